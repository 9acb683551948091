"""DESIGN.md invariants 1 (the unit's half) and 3 under concurrent use on PostgreSQL (issue 7
item 7): threads released together by a barrier, each on its own connection (the lab's
``Race``), the start of one side staggered by 0–10 ms so that both orders are reached (the
counts are printed).

(a) A unit hold placed while the unit is made available: never both committed with the unit
    available past a hold it did not see (the hold's history row comes after the move's).
(b) A donation hold (the lab's ``hold_place``) while an available unit of the donation is
    allocated: never allocated with the hold placed before the allocation.
(c) Two clerks allocating the same unit at once: exactly one succeeds.
(d) Two shipments of one allocated unit at once: exactly one succeeds.

RACES trials each, each on a fresh unit.
"""

from __future__ import annotations

from datetime import date

import pytest

from hemaops.components import inventory_services, manufacturing_services
from hemaops.components.errors import ComponentsError
from hemaops.components.models import Unit, UnitEvent, UnitHold
from hemaops.core import roles
from hemaops.core.audit import audit_verify
from hemaops.donors import services as donor_services
from hemaops.lab import services as lab_services
from hemaops.lab.models import DonationHold, DonationRelease
from tests.components.conftest import product, release
from tests.components.test_manufacturing_and_gate import _label_and_verify
from tests.donations.test_collection import collect, screen
from tests.lab.test_release_concurrency import Race, _stagger

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACES = 6


def _red_cells(components, lab, staff, site, number: int) -> Unit:
    """Red cells of a fresh donation, released, labelled and verified: quarantined, the gate open."""
    donor = donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name=f"Racer{number}",
            given_name="Ada",
            date_of_birth=date(1981, 3, 1 + number % 28),
            sex="F",
        ),
    )
    donation = collect(staff, screen(staff, donor, site), site)
    (whole_blood,) = manufacturing_services.units_collect(
        actor=components["technologist"], donation=donation, product=product("A0001"), volume_ml=500
    )
    (red_cells,) = manufacturing_services.unit_process(
        actor=components["technologist"], unit=whole_blood, products=[product("A0002")]
    )
    release(lab, donation)
    _label_and_verify(components, red_cells)
    return red_cells


def _event(unit: Unit, action: str) -> UnitEvent:
    return UnitEvent.objects.get(unit=unit, action=action)


def _gated_units_are_unheld_and_released() -> None:
    """The database-level invariant, over every unit past the gate: no hold placed before its
    last move is still active (by the order the rows were written), every source released."""
    for unit in Unit.objects.filter(status__in=["available", "allocated", "shipped"]):
        last = UnitEvent.objects.filter(unit=unit).exclude(to_status="").order_by("-pk").first()
        assert last is not None
        for hold in UnitHold.objects.filter(unit=unit, lifted_at__isnull=True):
            held = UnitEvent.objects.get(unit=unit, action="held", data__hold=hold.pk)
            assert held.pk > last.pk, f"unit {unit} {unit.status} past an earlier hold"
        for source in unit.sources.all():
            assert DonationRelease.objects.filter(donation_id=source.donation_id).exists(), unit


@pytest.fixture
def clerks(make_user):
    return [make_user(roles.DISTRIBUTION_CLERK, username=f"racer{n}") for n in range(2)]


# --- (a) a unit hold racing the move through the gate -------------------------------------------


def test_a_unit_hold_racing_make_available_never_lets_the_unit_past_it(
    components, lab, staff, site, panel, catalogue, clerks, capsys
):
    orders: dict[str, int] = {}
    for trial in range(RACES):
        unit = _red_cells(components, lab, staff, site, trial)
        race = Race(
            lambda u=unit: inventory_services.unit_make_available(actor=clerks[0], unit=u),
            lambda u=unit: inventory_services.unit_hold_place(
                actor=clerks[1], unit=u, reason="bag to inspect"
            ),
            stagger=_stagger(trial),
        ).run()
        moved, hold = race.outcomes
        assert isinstance(hold, UnitHold), f"the hold failed: {hold!r}"
        unit.refresh_from_db()
        if isinstance(moved, Unit):
            orders["available, then held"] = orders.get("available, then held", 0) + 1
            assert unit.status == "available"
            assert _event(unit, "held").pk > _event(unit, "made_available").pk
            if UnitHold.objects.get(pk=hold.pk).placed_at <= unit.status_changed_at:
                # The hold's time is taken before it waits for the unit's lock (see the report).
                orders["  of which the hold is dated before the move"] = (
                    orders.get("  of which the hold is dated before the move", 0) + 1
                )
        else:
            assert isinstance(moved, ComponentsError)
            what = f"held, move refused ({moved.code})"
            orders[what] = orders.get(what, 0) + 1
            assert moved.code in {"unit_on_hold", "refused_by_database"}, moved
            assert unit.status == "quarantined"
        _gated_units_are_unheld_and_released()
    with capsys.disabled():
        print(f"\nunit hold ‖ make available, {RACES} trials: {orders}")  # noqa: T201
    assert audit_verify().ok


# --- (b) a donation hold racing an allocation ----------------------------------------------------


def test_a_donation_hold_racing_an_allocation_never_allocates_past_it(
    components, lab, staff, site, panel, catalogue, clerks, capsys
):
    orders: dict[str, int] = {}
    for trial in range(RACES):
        unit = _red_cells(components, lab, staff, site, trial)
        inventory_services.unit_make_available(actor=clerks[0], unit=unit)
        donation = unit.sources.get().donation
        race = Race(
            lambda u=unit: inventory_services.unit_allocate(actor=clerks[0], unit=u, reference="ORDER-9"),
            lambda d=donation: lab_services.hold_place(
                actor=lab["technologist"], donation=d, reason="look-back"
            ),
            stagger=_stagger(trial),
        ).run()
        allocated, hold = race.outcomes
        assert isinstance(hold, DonationHold), f"the hold failed: {hold!r}"
        unit.refresh_from_db()
        if isinstance(allocated, Unit):
            orders["allocated, then held"] = orders.get("allocated, then held", 0) + 1
            assert unit.status == "allocated"
            # The hold is written under the testing row's lock, after the allocation committed.
            assert DonationHold.objects.get(pk=hold.pk).placed_at > unit.status_changed_at
        else:
            assert isinstance(allocated, ComponentsError)
            what = f"held, allocation refused ({allocated.code})"
            orders[what] = orders.get(what, 0) + 1
            assert allocated.code in {"donation_on_hold", "refused_by_database"}, allocated
            assert unit.status == "available"
        _gated_units_are_unheld_and_released()
    with capsys.disabled():
        print(f"\ndonation hold ‖ allocate, {RACES} trials: {orders}")  # noqa: T201


# --- (c), (d) one unit, one allocation, one shipment ---------------------------------------------


def test_two_clerks_allocating_one_unit_at_once_allocate_it_once(
    components, lab, staff, site, panel, catalogue, clerks
):
    for trial in range(RACES):
        unit = _red_cells(components, lab, staff, site, trial)
        inventory_services.unit_make_available(actor=clerks[0], unit=unit)
        race = Race(
            *(
                lambda c=clerk, n=n, u=unit: inventory_services.unit_allocate(
                    actor=c, unit=u, reference=f"ORDER-{n}"
                )
                for n, clerk in enumerate(clerks)
            ),
            stagger=_stagger(trial),
        ).run()
        done = [o for o in race.outcomes if isinstance(o, Unit)]
        refused = [o for o in race.outcomes if isinstance(o, ComponentsError)]
        assert len(done) == 1, race.outcomes
        assert [e.code for e in refused] == ["transition_not_allowed"], refused
        assert UnitEvent.objects.filter(unit=unit, action="allocated").count() == 1
        unit.refresh_from_db()
        assert unit.status == "allocated"
    _gated_units_are_unheld_and_released()


def test_two_shipments_of_one_allocated_unit_ship_it_once(
    components, lab, staff, site, panel, catalogue, clerks
):
    for trial in range(RACES):
        unit = _red_cells(components, lab, staff, site, trial)
        inventory_services.unit_make_available(actor=clerks[0], unit=unit)
        inventory_services.unit_allocate(actor=clerks[0], unit=unit, reference="ORDER-1")
        race = Race(
            *(
                lambda c=clerk, n=n, u=unit: inventory_services.unit_ship(
                    actor=c, unit=u, consignee=f"Hospital {n}"
                )
                for n, clerk in enumerate(clerks)
            ),
            stagger=_stagger(trial),
        ).run()
        done = [o for o in race.outcomes if isinstance(o, Unit)]
        refused = [o for o in race.outcomes if isinstance(o, ComponentsError)]
        assert len(done) == 1, race.outcomes
        assert [e.code for e in refused] == ["transition_not_allowed"], refused
        assert UnitEvent.objects.filter(unit=unit, action="shipped").count() == 1
        unit.refresh_from_db()
        assert unit.status == "shipped"
    _gated_units_are_unheld_and_released()
    assert audit_verify().ok
