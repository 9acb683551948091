"""From a whole blood unit to a shipped red cell unit, and each refusal on the way."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from hemaops.components import inventory_services, label_services, manufacturing_services
from hemaops.components.errors import ComponentsError
from hemaops.components.labels import barcodes
from hemaops.components.models import LabelScan, Unit, UnitParentage
from hemaops.core.models import AuditEvent
from hemaops.lab import services as lab_services
from tests.components.conftest import product, release


def _separate(components, unit, codes=("A0002", "A0007", "A0012")):
    return manufacturing_services.unit_process(
        actor=components["technologist"], unit=unit, products=[product(c) for c in codes]
    )


def _label_and_verify(components, unit):
    content = label_services.unit_label_print(actor=components["technologist"], unit=unit)
    label_services.unit_label_verify(
        actor=components["technologist"], unit=unit, scans=[b.data for b in barcodes(content)]
    )
    unit.refresh_from_db()
    return content


def test_whole_blood_separates_into_components_that_trace_back_and_start_quarantined(components, whole_blood):
    red_cells, plasma, platelets = _separate(components, whole_blood)
    whole_blood.refresh_from_db()
    assert (whole_blood.status, whole_blood.disposition) == ("used", "used_in_modification")
    assert [u.product_code for u in (red_cells, plasma, platelets)] == ["A0002V00", "A0007V00", "A0012V00"]
    assert {u.status for u in (red_cells, plasma, platelets)} == {"quarantined"}
    # Red cells in AS-1 keep 42 days from collection although the whole blood had 21 (separation).
    assert red_cells.expires_at - whole_blood.expires_at > timedelta(days=20)
    # Platelets keep 5 days, day 0 the collection's: counted in the site's calendar days (elapsed
    # time is an hour longer across the autumn clock change).
    zone = ZoneInfo(platelets.site.time_zone)
    assert platelets.expires_at.astimezone(zone).date() - platelets.collected_at.astimezone(zone).date() == (
        timedelta(days=5)
    )
    assert set(UnitParentage.objects.filter(parent=whole_blood).values_list("child", flat=True)) == {
        red_cells.pk,
        plasma.pk,
        platelets.pk,
    }
    assert list(red_cells.sources.values_list("donation_id", flat=True)) == list(
        whole_blood.sources.values_list("donation_id", flat=True)
    )


def test_irradiating_plasma_is_refused_and_nothing_is_saved(components, whole_blood):
    _, plasma, _ = _separate(components, whole_blood)
    before = Unit.objects.count()
    with pytest.raises(ComponentsError) as refused:
        manufacturing_services.unit_process(
            actor=components["technologist"], unit=plasma, products=[product("A0004")]
        )
    assert refused.value.field == "products"
    assert Unit.objects.count() == before
    plasma.refresh_from_db()
    assert plasma.status == "quarantined"


def test_fresh_frozen_plasma_is_refused_after_eight_hours(components, catalogue, collected_donation):
    (unit,) = manufacturing_services.units_collect(
        actor=components["technologist"], donation=collected_donation, product=product("A0001")
    )
    Unit.objects.filter(pk=unit.pk).update(collected_at=timezone.now() - timedelta(hours=9))
    unit.refresh_from_db()
    with pytest.raises(ComponentsError) as refused:
        _separate(components, unit, codes=("A0007",))
    assert refused.value.code == "separation_too_late"
    assert "8 hours" in refused.value.message
    (pf24,) = _separate(components, unit, codes=("A0008",))
    assert pf24.product_code == "A0008V00"


def test_the_gate_names_every_missing_condition_then_lets_the_unit_through(components, lab, whole_blood):
    red_cells, _, _ = _separate(components, whole_blood)
    clerk = components["clerk"]
    with pytest.raises(ComponentsError) as refused:
        inventory_services.unit_make_available(actor=components["technologist"], unit=red_cells)
    assert refused.value.code == "donation_not_released"
    assert "label" in refused.value.message
    release(lab, whole_blood.sources.get().donation)
    _label_and_verify(components, red_cells)
    inventory_services.unit_make_available(actor=components["technologist"], unit=red_cells)
    inventory_services.unit_allocate(actor=clerk, unit=red_cells, reference="ORDER-1")
    inventory_services.unit_ship(actor=clerk, unit=red_cells, consignee="General Hospital")
    red_cells.refresh_from_db()
    assert red_cells.status == "shipped"
    assert list(red_cells.events.values_list("action", flat=True))[-3:] == [
        "made_available",
        "allocated",
        "shipped",
    ]
    assert AuditEvent.objects.filter(stream="components", action="components.unit.shipped").count() == 1


def test_a_scan_of_another_unit_is_refused_and_kept(components, lab, whole_blood):
    red_cells, plasma, _ = _separate(components, whole_blood)
    release(lab, whole_blood.sources.get().donation)
    red_content = label_services.unit_label_print(actor=components["technologist"], unit=red_cells)
    plasma_content = label_services.unit_label_print(actor=components["technologist"], unit=plasma)
    wrong = [b.data for b in barcodes(red_content)][:2] + [b.data for b in barcodes(plasma_content)][2:]
    with pytest.raises(ComponentsError) as refused:
        label_services.unit_label_verify(actor=components["technologist"], unit=red_cells, scans=wrong)
    assert refused.value.code == "label_mismatch"
    scan = LabelScan.objects.get(unit=red_cells)
    assert not scan.matched
    assert AuditEvent.objects.filter(action="components.unit.label_mismatch").exists()
    red_cells.refresh_from_db()
    assert red_cells.label_verified_at is None


def test_a_donation_hold_stops_allocation_of_an_available_unit(components, lab, whole_blood):
    red_cells, _, _ = _separate(components, whole_blood)
    donation = whole_blood.sources.get().donation
    release(lab, donation)
    _label_and_verify(components, red_cells)
    inventory_services.unit_make_available(actor=components["technologist"], unit=red_cells)
    lab_services.hold_place(actor=lab["technologist"], donation=donation, reason="look-back")
    with pytest.raises(ComponentsError) as refused:
        inventory_services.unit_allocate(actor=components["clerk"], unit=red_cells, reference="ORDER-2")
    assert refused.value.code == "donation_on_hold"


def test_an_expired_unit_is_refused_at_use_without_any_sweep(components, lab, whole_blood):
    _, _, platelets = _separate(components, whole_blood)
    release(lab, whole_blood.sources.get().donation)
    _label_and_verify(components, platelets)
    inventory_services.unit_make_available(actor=components["technologist"], unit=platelets)
    with (
        time_machine.travel(platelets.expires_at + timedelta(minutes=1)),
        pytest.raises(ComponentsError) as refused,
    ):
        inventory_services.unit_allocate(actor=components["clerk"], unit=platelets, reference="ORDER-3")
    assert refused.value.code == "expired"
    platelets.refresh_from_db()
    assert platelets.status == "available"  # no sweep ran; the use itself refused
