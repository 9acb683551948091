"""DESIGN.md invariants 1 (the unit's half) and 3 in the database (issue 7 item 7): writes that
go past the services straight to the tables, each of which the database must refuse.

The label and expiry halves are check constraints (migration 0001) and are proved on every
database; the release and hold halves, the table of transitions, the status time and the
append-only traceability rows are triggers of migration 0002, PostgreSQL only. Each refusal
has its control: the same write with the one missing condition met is taken, so the refusal
is the guard under test and not some other rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hemaops.components import inventory_services, label_services
from hemaops.components.labels import barcodes
from hemaops.components.models import Unit, UnitParentage, UnitSource
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.lab import services as lab_services
from tests.components.conftest import release
from tests.components.test_manufacturing_and_gate import _label_and_verify, _separate
from tests.conftest import PASSWORD
from tests.lab.results import file_of, full_panel

postgres = pytest.mark.postgres


class Undo(Exception):  # noqa: N818 - not an error: it rolls back a write the database took
    pass


def _set(unit: Unit, status: str, at: datetime | None = None, **extra: object) -> None:
    """``UPDATE components_unit SET status = …, status_changed_at = …`` straight to the table."""
    columns = {"status": status, "status_changed_at": at or timezone.now(), **extra}
    assignments = ", ".join(f"{name} = %s" for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE components_unit SET {assignments} WHERE id = %s",  # noqa: S608 - our own names
            [*columns.values(), unit.pk],
        )


def _refused(write, match: str = "") -> str:
    """Run ``write`` in a savepoint; it must be refused by the database. Returns the message."""
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        write()
    message = str(refused.value)
    assert match.lower() in message.lower(), message
    return message


def _taken(write) -> None:
    """Run ``write`` in a savepoint and roll it back: the database must take it."""
    try:
        with transaction.atomic():
            write()
            raise Undo
    except Undo:
        pass


@pytest.fixture
def units(components, lab, whole_blood):
    """Red cells, plasma and platelets of ``whole_blood``, quarantined, and its donation."""
    red_cells, plasma, platelets = _separate(components, whole_blood)
    return red_cells, plasma, platelets, whole_blood.sources.get().donation


def _ready(components, lab, units) -> Unit:
    """Red cells whose gate is open: the donation released, the label verified."""
    red_cells, _, _, donation = units
    release(lab, donation)
    _label_and_verify(components, red_cells)
    return red_cells


# --- the label and expiry halves: check constraints, every database ----------------------------


def test_a_unit_without_a_printed_label_cannot_be_made_available_directly(components, lab, units):
    red_cells, _, _, donation = units
    release(lab, donation)
    _refused(lambda: _set(red_cells, "available"), "unit_gated_status_verified_and_in_date")


def test_a_unit_whose_label_is_printed_but_not_verified_cannot_be_made_available(components, lab, units):
    red_cells, _, _, donation = units
    release(lab, donation)
    label_services.unit_label_print(actor=components["technologist"], unit=red_cells)
    _refused(lambda: _set(red_cells, "available"), "unit_gated_status_verified_and_in_date")
    _refused(lambda: _set(red_cells, "available", label_verified_digest="0" * 64))
    # Control: the digest that was printed, verified, is taken.
    red_cells.refresh_from_db()
    _taken(lambda: _set(red_cells, "available", label_verified_digest=red_cells.label_digest))


def test_an_expired_unit_cannot_be_made_available_directly(components, lab, units):
    red_cells = _ready(components, lab, units)
    expires_at = red_cells.status_changed_at + timedelta(seconds=1)
    Unit.objects.filter(pk=red_cells.pk).update(expires_at=expires_at)
    at = expires_at + timedelta(seconds=1)
    _refused(lambda: _set(red_cells, "available", at=at), "unit_gated_status_verified_and_in_date")
    # Expiring at the very moment of the move is expired too.
    _refused(lambda: _set(red_cells, "available", at=expires_at), "unit_gated_status_verified_and_in_date")
    _taken(lambda: _set(red_cells, "available", at=expires_at - timedelta(microseconds=1)))


def test_an_available_unit_cannot_be_relabelled_directly(components, lab, units):
    red_cells = _ready(components, lab, units)
    inventory_services.unit_make_available(actor=components["clerk"], unit=red_cells)
    _refused(lambda: Unit.objects.filter(pk=red_cells.pk).update(label_digest="f" * 64))
    _refused(lambda: Unit.objects.filter(pk=red_cells.pk).update(label_verified_digest=""))


# --- the release and hold halves, the transitions, the status time: PostgreSQL triggers ----------


@postgres
def test_a_unit_cannot_be_created_past_quarantine(components, lab, units):
    red_cells = _ready(components, lab, units)

    def create(status: str) -> None:
        copy = Unit.objects.get(pk=red_cells.pk)
        copy.pk = None
        copy.product_code = "A0002V99"
        copy.status = status
        copy.status_changed_at = timezone.now()
        copy.save(force_insert=True)

    for status in ("available", "allocated", "shipped", "returned"):
        _refused(lambda status=status: create(status), "must be created quarantined")
    _taken(lambda: create("quarantined"))


@postgres
def test_the_unit_of_an_unreleased_donation_cannot_be_made_available_directly(components, lab, units):
    red_cells, _, _, donation = units
    lab_services.results_import(
        actor=lab["technologist"], filename="panel.csv", data=file_of(full_panel(donation.din.din))
    )  # typed (the label needs the typing) and acceptable, but not released
    _label_and_verify(components, red_cells)
    _refused(lambda: _set(red_cells, "available"), "donation is not released")
    signer = signer_verify(actor=lab["supervisor"], password=PASSWORD, authenticated_by=INTERACTIVE)
    lab_services.donations_release(actor=lab["supervisor"], signer=signer, donations=[donation])
    _taken(lambda: _set(red_cells, "available"))


@postgres
def test_a_unit_without_any_source_cannot_pass_the_gate(components, lab, units):
    red_cells = _ready(components, lab, units)
    with connection.cursor() as cursor:  # the append-only trigger off, in this test's transaction only
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending on the table
        cursor.execute("ALTER TABLE components_unitsource DISABLE TRIGGER components_unitsource_append_only")
        cursor.execute("DELETE FROM components_unitsource WHERE unit_id = %s", [red_cells.pk])
        cursor.execute("ALTER TABLE components_unitsource ENABLE TRIGGER components_unitsource_append_only")
    _refused(lambda: _set(red_cells, "available"), "donation is not released")


@postgres
def test_a_unit_of_a_held_donation_cannot_move_through_the_gate_directly(components, lab, units):
    red_cells = _ready(components, lab, units)
    donation = units[3]
    hold = lab_services.hold_place(actor=lab["technologist"], donation=donation, reason="look-back")
    for status in ("available",):
        _refused(lambda status=status: _set(red_cells, status), "donation is on hold")
    lab_services.hold_lift(actor=lab["technologist"], hold=hold, reason="look-back closed")
    _set(red_cells, "available")
    lab_services.hold_place(actor=lab["technologist"], donation=donation, reason="look-back again")
    _refused(lambda: _set(red_cells, "allocated"), "donation is on hold")


@postgres
def test_a_held_unit_cannot_move_through_the_gate_directly(components, lab, units):
    red_cells = _ready(components, lab, units)
    clerk = components["clerk"]
    hold = inventory_services.unit_hold_place(actor=clerk, unit=red_cells, reason="bag leaking?")
    _refused(lambda: _set(red_cells, "available"), "is on hold")
    inventory_services.unit_hold_lift(actor=clerk, hold=hold, reason="bag fine")
    _set(red_cells, "available")
    _set(red_cells, "allocated")
    inventory_services.unit_hold_place(actor=clerk, unit=red_cells, reason="order query")
    _refused(lambda: _set(red_cells, "shipped"), "is on hold")
    _refused(lambda: _set(red_cells, "available"), "is on hold")
    _taken(lambda: _set(red_cells, "quarantined"))  # out of the gate is always open


@postgres
def test_moves_outside_the_table_of_transitions_are_refused(components, lab, units):
    red_cells = _ready(components, lab, units)
    clerk = components["clerk"]
    # quarantined → shipped and → allocated skip the steps between; the gate is open otherwise.
    _refused(lambda: _set(red_cells, "shipped"), "a quarantined unit cannot become shipped")
    _refused(lambda: _set(red_cells, "allocated"), "a quarantined unit cannot become allocated")
    _refused(lambda: _set(red_cells, "returned"), "a quarantined unit cannot become returned")
    _refused(lambda: _set(red_cells, "nonsense"))
    inventory_services.unit_make_available(actor=clerk, unit=red_cells)
    _refused(lambda: _set(red_cells, "shipped"), "a available unit cannot become shipped")
    inventory_services.unit_allocate(actor=clerk, unit=red_cells, reference="ORDER-1")
    inventory_services.unit_ship(actor=clerk, unit=red_cells, consignee="General Hospital")
    _refused(lambda: _set(red_cells, "available"), "a shipped unit cannot become available")
    _refused(lambda: _set(red_cells, "allocated"), "a shipped unit cannot become allocated")
    inventory_services.unit_dispose(actor=clerk, unit=red_cells, disposition="transfused")
    # used → available, with the disposition cleared so that only the transition is at stake.
    _refused(lambda: _set(red_cells, "available", disposition=""), "a used unit cannot become available")
    _refused(lambda: _set(red_cells, "returned", disposition=""), "a used unit cannot become returned")


@postgres
def test_a_discarded_unit_stays_discarded(components, lab, units):
    red_cells = _ready(components, lab, units)
    inventory_services.unit_dispose(
        actor=components["clerk"], unit=red_cells, disposition="discarded", reason="bag torn"
    )
    for status in ("available", "quarantined", "returned"):
        _refused(
            lambda status=status: _set(red_cells, status, disposition=""),
            f"a discarded unit cannot become {status}",
        )


@postgres
def test_a_move_cannot_be_dated_before_the_last_move_nor_in_the_future(components, lab, units):
    red_cells = _ready(components, lab, units)
    inventory_services.unit_make_available(actor=components["clerk"], unit=red_cells)
    red_cells.refresh_from_db()
    last = red_cells.status_changed_at
    _refused(lambda: _set(red_cells, "allocated", at=last - timedelta(minutes=1)), "cannot go backwards")
    _refused(
        lambda: _set(red_cells, "quarantined", at=last - timedelta(microseconds=1)), "cannot go backwards"
    )
    _refused(lambda: _set(red_cells, "allocated", at=timezone.now() + timedelta(hours=1)), "in the future")
    _taken(lambda: _set(red_cells, "allocated", at=last))


@postgres
def test_the_status_time_never_goes_backwards_even_without_a_move(components, lab, units):
    red_cells = _ready(components, lab, units)
    inventory_services.unit_make_available(actor=components["clerk"], unit=red_cells)
    red_cells.refresh_from_db()
    _refused(
        lambda: Unit.objects.filter(pk=red_cells.pk).update(
            status_changed_at=red_cells.status_changed_at - timedelta(days=1)
        )
    )


# --- traceability is append-only -------------------------------------------------------------------


@postgres
def test_sources_and_parentage_are_never_changed_nor_removed(components, lab, units, whole_blood):
    red_cells, plasma, _, _ = units
    source = UnitSource.objects.get(unit=red_cells)
    parentage = UnitParentage.objects.get(child=red_cells)
    _refused(lambda: UnitSource.objects.filter(pk=source.pk).delete(), "traceability")
    _refused(lambda: UnitSource.objects.filter(pk=source.pk).update(unit=plasma), "traceability")
    _refused(lambda: UnitParentage.objects.filter(pk=parentage.pk).delete(), "traceability")
    _refused(lambda: UnitParentage.objects.filter(pk=parentage.pk).update(parent=plasma), "traceability")
    _refused(lambda: UnitParentage.objects.filter(pk=parentage.pk).update(process="irradiation"))
    with connection.cursor() as cursor:
        _refused(lambda: cursor.execute("DELETE FROM components_unitsource"), "traceability")
        _refused(lambda: cursor.execute("DELETE FROM components_unitparentage"), "traceability")
    assert UnitSource.objects.filter(unit=red_cells).count() == 1
    assert UnitParentage.objects.filter(parent=whole_blood).count() == 3


def test_a_scan_mismatch_never_opens_the_gate(components, lab, units):
    """The label check is the service's; the database's constraint sees only the digests."""
    red_cells, plasma, _, donation = units
    release(lab, donation)
    label_services.unit_label_print(actor=components["technologist"], unit=red_cells)
    plasma_content = label_services.unit_label_print(actor=components["technologist"], unit=plasma)
    with pytest.raises(Exception):  # noqa: B017, PT011 - the refusal is tested in test_labels
        label_services.unit_label_verify(
            actor=components["technologist"], unit=red_cells, scans=[b.data for b in barcodes(plasma_content)]
        )
    _refused(lambda: _set(red_cells, "available"))
