"""Storage (locations, temperature files, excursions), the catalogue import, and the
manufacturing cases beyond separation: divisions, splits and pools."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from hemaops.components import (
    catalogue_services,
    inventory_services,
    label_services,
    manufacturing_services,
    storage_services,
)
from hemaops.components.access import access_unit_by_code
from hemaops.components.errors import ComponentsError
from hemaops.components.models import (
    Catalogue,
    Product,
    TemperatureExcursion,
    TemperatureReading,
    Unit,
    UnitHold,
    UnitParentage,
)
from hemaops.core.models import AuditEvent
from tests.components.conftest import local_catalogue_bytes, product, release


def _logger_file(*rows: tuple[str, str]) -> bytes:
    return ("recorded_at,temperature_c\n" + "".join(f"{at},{c}\n" for at, c in rows)).encode()


def _stored_red_cells(components, whole_blood, refrigerator):
    red_cells, _plasma = manufacturing_services.unit_process(
        actor=components["technologist"], unit=whole_blood, products=[product("A0002"), product("A0007")]
    )
    # Stored before the logger's readings begin (recorded at its time by the operator).
    inventory_services.unit_store(
        actor=None, unit=red_cells, location=refrigerator, occurred_at=timezone.now() - timedelta(hours=4)
    )
    return red_cells


def test_a_unit_is_stored_only_where_its_temperature_is_kept_and_there_is_room(
    components, whole_blood, refrigerator, site
):
    freezer = storage_services.location_create(
        actor=None, site=site, name="Freezer", kind="freezer", minimum_c=Decimal("-40"),
        maximum_c=Decimal("-18"), capacity_units=10,
    )  # fmt: skip
    red_cells = _stored_red_cells(components, whole_blood, refrigerator)
    with pytest.raises(ComponentsError) as refused:
        inventory_services.unit_store(actor=components["technologist"], unit=red_cells, location=freezer)
    assert refused.value.code == "wrong_temperature"
    red_cells.refresh_from_db()
    assert red_cells.location == refrigerator


def test_an_excursion_holds_the_units_stored_there_until_the_quality_officer_decides(
    components, whole_blood, refrigerator
):
    red_cells = _stored_red_cells(components, whole_blood, refrigerator)
    now = timezone.now().replace(microsecond=0)
    data = _logger_file(
        ((now - timedelta(hours=3)).isoformat(), "4.0"),
        ((now - timedelta(hours=2)).isoformat(), "8.5"),
        ((now - timedelta(hours=1)).isoformat(), "4.2"),
    )
    imported = storage_services.temperatures_import(
        actor=components["technologist"], location=refrigerator, filename="logger.csv", data=data
    )
    assert (imported.reading_count, imported.excursion_count) == (3, 1)
    excursion = TemperatureExcursion.objects.get()
    assert excursion.extreme_c == Decimal("8.5")
    hold = UnitHold.objects.get(unit=red_cells)
    assert hold.kind == "temperature"
    with pytest.raises(ComponentsError):
        inventory_services.unit_hold_lift(actor=components["quality"], hold=hold, reason="looks fine")
    storage_services.excursion_decide(
        actor=components["quality"],
        excursion=excursion,
        decision="units_discarded",
        note="above 6 °C for 1 h",
    )
    red_cells.refresh_from_db()
    assert (red_cells.status, red_cells.disposition) == ("discarded", "discarded")
    assert AuditEvent.objects.filter(action="components.excursion.decided").exists()


def test_a_temperature_file_that_does_not_parse_saves_nothing(components, refrigerator):
    bad = _logger_file(("2026-01-01T10:00:00+00:00", "4.0"), ("yesterday", "4.1"))
    with pytest.raises(storage_services.TemperatureImportError) as refused:
        storage_services.temperatures_import(actor=components["technologist"], location=refrigerator,
                                             filename="bad.csv", data=bad)  # fmt: skip
    assert refused.value.errors[0].line == 3
    assert refused.value.errors[0].field == "recorded_at"
    assert not TemperatureReading.objects.exists()


def test_an_overlapping_download_skips_equal_readings_and_refuses_different_ones(components, refrigerator):
    first = _logger_file(("2026-01-01T10:00:00+00:00", "4.0"), ("2026-01-01T11:00:00+00:00", "4.1"))
    storage_services.temperatures_import(actor=None, location=refrigerator, filename="a.csv", data=first)
    overlap = _logger_file(("2026-01-01T11:00:00+00:00", "4.1"), ("2026-01-01T12:00:00+00:00", "4.3"))
    assert (
        storage_services.temperatures_import(
            actor=None, location=refrigerator, filename="b.csv", data=overlap
        ).reading_count
        == 1
    )
    different = _logger_file(("2026-01-01T12:00:00+00:00", "5.0"))
    with pytest.raises(storage_services.TemperatureImportError):
        storage_services.temperatures_import(
            actor=None, location=refrigerator, filename="c.csv", data=different
        )
    assert TemperatureReading.objects.count() == 3


def test_a_catalogue_version_is_imported_once_and_a_new_one_updates_products_with_an_audit_trail(catalogue):
    with pytest.raises(ComponentsError) as refused:
        catalogue_services.catalogue_import(actor=None, filename="again.csv", data=local_catalogue_bytes())
    assert refused.value.code == "already_imported"
    newer = (
        local_catalogue_bytes()
        .replace(b"version=2026.1", b"version=2026.2")
        .replace(b",RBC-LR,", b",RBC-LR2,")
    )
    catalogue_services.catalogue_import(actor=None, filename="newer.csv", data=newer)
    assert Product.objects.get(code="A0003").billable_item_code == "RBC-LR2"
    assert Catalogue.objects.count() == 2
    change = AuditEvent.objects.get(action="components.product.changed")
    assert change.data["old"] == {"billable_item_code": "RBC-LR"}


def test_a_catalogue_declaring_irradiated_plasma_is_refused_whole(db):
    bad = local_catalogue_bytes().replace(b"version=2026.1", b"version=bad") + (
        b"A0020,Plasma irradiated,plasma,plasma_ffp,CPD,-90,-18,FFP-IRR,A0007,irradiation,\n"
    )
    with pytest.raises(catalogue_services.CatalogueImportError) as refused:
        catalogue_services.catalogue_import(actor=None, filename="bad.csv", data=bad)
    assert [(e.line, e.field) for e in refused.value.errors] == [(22, "process")]
    assert not Product.objects.exists()


def test_the_catalogue_command_prints_line_errors_and_imports_nothing(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"# hemaops product catalogue; source=local; version=1\ncode,description\nA0001,x\n")
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("catalogue_import", str(path))
    assert not Catalogue.objects.exists()


def test_an_apheresis_collection_is_divided_and_a_split_keeps_the_division_path(
    components, catalogue, staff, site
):
    from tests.donations.test_collection import collect, screen

    screening = screen(staff, _donor(), site)
    screening.procedure = "platelets"
    screening.save(update_fields=["procedure"])
    donation = collect(staff, screening, site)
    units = manufacturing_services.units_collect(
        actor=components["technologist"], donation=donation, product=product("A0014"), parts=2
    )
    assert [u.product_code[5:] for u in units] == ["VA0", "VB0"]
    halves = manufacturing_services.unit_process(
        actor=components["technologist"], unit=units[0], products=[product("A0017")], parts=2
    )
    assert [u.product_code for u in halves] == ["A0017VAa", "A0017VAb"]
    # A scan names the half by its code as printed: the division's lower-case letter counts.
    found = access_unit_by_code(components["technologist"], halves[1].din, "A0017VAb")
    assert found.pk == halves[1].pk
    assert UnitParentage.objects.filter(parent=units[0]).count() == 2


def _donor():
    from datetime import date

    from hemaops.donors import services as donor_services

    return donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name="Berg", given_name="Ola", date_of_birth=date(1985, 1, 2), sex="M"
        ),
    )


def test_a_pool_of_mixed_groups_is_refused_by_policy(components, whole_blood):
    _, _, platelets = manufacturing_services.unit_process(
        actor=components["technologist"],
        unit=whole_blood,
        products=[product(c) for c in ("A0002", "A0007", "A0012")],
    )
    Unit.objects.filter(pk=platelets.pk).update(abo="O", rhd="pos")
    with pytest.raises(ComponentsError) as refused:
        manufacturing_services.units_pool(
            actor=components["technologist"], units=[platelets], product=product("A0013")
        )
    assert refused.value.code == "pool_size"
    assert "4 to 6" in refused.value.message
    assert Unit.objects.filter(product__code="A0013").count() == 0


def test_cryo_from_two_donations_pools_under_a_new_din_thawed_for_four_hours(
    components, lab, catalogue, collected_donation, another_donation
):
    technologist = components["technologist"]
    members = []
    for donation in (collected_donation, another_donation):
        (whole,) = manufacturing_services.units_collect(
            actor=technologist, donation=donation, product=product("A0001")
        )
        (plasma,) = manufacturing_services.unit_process(
            actor=technologist, unit=whole, products=[product("A0007")]
        )
        (cryo,) = manufacturing_services.unit_process(
            actor=technologist, unit=plasma, products=[product("A0010")]
        )
        release(lab, donation, abo="A", rhd="pos")
        label_services.unit_label_print(actor=technologist, unit=cryo)
        members.append(cryo)
    pool = manufacturing_services.units_pool(actor=technologist, units=members, product=product("A0011"))
    assert pool.din not in {m.din for m in members}
    assert pool.product_code == "A0011V00"
    assert (pool.abo, pool.rhd) == ("A", "pos")
    assert timedelta(hours=3, minutes=59) <= pool.expires_at - pool.recorded_at <= timedelta(hours=4)
    assert pool.label_shows_time
    assert set(pool.sources.values_list("donation_id", flat=True)) == {
        collected_donation.pk,
        another_donation.pk,
    }
    for member in members:
        member.refresh_from_db()
        assert (member.status, member.disposition) == ("used", "used_in_modification")


def test_an_excursion_holds_a_unit_moved_out_since_and_not_one_stored_after_it(
    components, whole_blood, another_donation, refrigerator, site
):
    other = storage_services.location_create(
        actor=None, site=site, name="Refrigerator 2", kind="refrigerator", minimum_c=Decimal("2"),
        maximum_c=Decimal("6"), capacity_units=10,
    )  # fmt: skip
    (red_cells,) = manufacturing_services.unit_process(
        actor=components["technologist"], unit=whole_blood, products=[product("A0002")]
    )
    (later_whole_blood,) = manufacturing_services.units_collect(
        actor=components["technologist"], donation=another_donation, product=product("A0001")
    )
    now = timezone.now().replace(microsecond=0)
    # The operator records the moves at their times (back-dating is the operator's or a supervisor's).
    inventory_services.unit_store(
        actor=None, unit=red_cells, location=refrigerator, occurred_at=now - timedelta(minutes=50)
    )
    inventory_services.unit_store(
        actor=None, unit=red_cells, location=other, occurred_at=now - timedelta(minutes=20)
    )
    inventory_services.unit_store(
        actor=None, unit=later_whole_blood, location=refrigerator, occurred_at=now - timedelta(minutes=10)
    )
    data = _logger_file(
        ((now - timedelta(minutes=45)).isoformat(), "4.0"),
        ((now - timedelta(minutes=40)).isoformat(), "9.0"),
        ((now - timedelta(minutes=30)).isoformat(), "4.1"),
    )
    storage_services.temperatures_import(actor=None, location=refrigerator, filename="l.csv", data=data)
    held = set(UnitHold.objects.filter(kind="temperature").values_list("unit_id", flat=True))
    assert held == {red_cells.pk}
