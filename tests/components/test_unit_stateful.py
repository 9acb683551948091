"""DESIGN.md invariants 1 (the unit's half) and 3 under random use (issue 7 item 7): no unit is
ever available, allocated or shipped unless every donation it is made from is released, no
donation or unit hold was active when it last moved, its label is verified and it was in date,
whatever releases, holds, labels, scans, moves, dispositions, time and direct writes come, in
whatever order.

A hypothesis state machine drives a small world — DONATIONS donations, typed by the lab, the
first released; each collected into whole blood and separated into red cells, plasma and
platelets; the components of the first two labelled and verified, the first red cells available
and the first plasma allocated — through the lab's release and donation holds and the
components services (unit holds, label print, scans right and wrong, make available, allocate,
deallocate, ship, return, quarantine, dispose as discarded, transfused or outdated), time
passing (a unit's expiry moved to just after its last move, so it is expired at its next use;
its printed label then no longer matches the record) and direct ``UPDATE components_unit SET
status = …`` writes, which the database must refuse whenever the model says the move is not in
the table or the gate is closed, and take otherwise. It keeps its own model of every unit and
donation, and checks:

- every service outcome against the model: a refusal carries the code the model expects (the
  first of the gate's reasons, in ``rules.lifecycle.gate_refusals``'s order), a success is one
  the model expected;
- after every step, from the database alone: every unit that is available, allocated or
  shipped has a release for each of its source donations, no donation or unit hold active at
  its status time, a verified label and ``expires_at > status_changed_at``; and the statuses,
  verified labels, holds and releases in the database are the model's.

Steps: MAX_EXAMPLES (100) examples of up to STEPS (30) steps; hypothesis ends some examples
early, so 2,800–3,000 steps run in all (measured); they are counted, printed with how often each
rule and outcome came up, and at least MIN_STEPS (2,000) are asserted. The machine relies on the
PostgreSQL triggers of migration 0002 (components) and 0002 (lab), so it runs on PostgreSQL
only: 30–50 seconds there. (The whole test is one transaction, whose ``now()`` the trigger
compares a direct write's status time with: it must stay well under five minutes.)

A second test turns the unit gate trigger off and checks that the machine then fails: the
invariants have teeth.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hemaops.components import inventory_services, label_services, manufacturing_services
from hemaops.components.labels import LabelContent, barcodes
from hemaops.components.models import Unit, UnitHold
from hemaops.components.rules import lifecycle
from hemaops.components.rules.lifecycle import FINAL, GATED, Status
from hemaops.core.errors import DomainError
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.donors import services as donor_services
from hemaops.lab import services as lab_services
from hemaops.lab.models import DonationHold, DonationRelease
from tests.components.conftest import product, release
from tests.components.test_manufacturing_and_gate import _label_and_verify, _separate
from tests.conftest import PASSWORD
from tests.donations.test_collection import collect, screen
from tests.lab.results import file_of, full_panel

pytestmark = pytest.mark.postgres

MAX_EXAMPLES = 100
STEPS = 30
MIN_STEPS = 2_000
DONATIONS = 3
PER_DONATION = 4  # whole blood (used in the separation), red cells, plasma, platelets
UNITS = DONATIONS * PER_DONATION
MACHINE = settings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,  # nothing written into the shared checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

unit_index = st.integers(min_value=0, max_value=UNITS - 1)
donation_index = st.integers(min_value=0, max_value=DONATIONS - 1)

#: The service moves: the status each leads to, and how it is called (actor, unit).
MOVES: dict[str, Status] = {
    "make_available": Status.AVAILABLE,
    "allocate": Status.ALLOCATED,
    "deallocate": Status.AVAILABLE,
    "ship": Status.SHIPPED,
    "return": Status.RETURNED,
    "quarantine": Status.QUARANTINED,
}
#: Moves the service allows from some statuses only (an allocated unit goes back to stock by
#: deallocation, which says why; only an allocated unit is deallocated).
ONLY_FROM: dict[str, frozenset[Status]] = {
    "make_available": frozenset({Status.QUARANTINED, Status.RETURNED}),
    "deallocate": frozenset({Status.ALLOCATED}),
}


def _call_move(world: World, name: str, unit: Unit) -> Unit:
    clerk = world.clerk
    if name == "make_available":
        return inventory_services.unit_make_available(actor=clerk, unit=unit)
    if name == "allocate":
        return inventory_services.unit_allocate(actor=clerk, unit=unit, reference="ORDER-7")
    if name == "deallocate":
        return inventory_services.unit_deallocate(actor=clerk, unit=unit, reason="order cancelled")
    if name == "ship":
        return inventory_services.unit_ship(actor=clerk, unit=unit, consignee="General Hospital")
    if name == "return":
        return inventory_services.unit_return(actor=clerk, unit=unit, reason="not used")
    return inventory_services.unit_quarantine(actor=clerk, unit=unit, reason="bag to inspect")


FATES = ("discarded", "transfused", "outdated")


# --- the model ---------------------------------------------------------------------------------


@dataclass
class DonationModel:
    released: bool = False
    holds: set[int] = field(default_factory=set)


@dataclass
class UnitModel:
    donation: int
    status: Status
    content: LabelContent | None = None  # the label printed last (None: none printed)
    stale: bool = False  # the record changed (its expiry) since the label was printed
    verified: bool = False
    expired: bool = False
    holds: set[int] = field(default_factory=set)


class Undo(Exception):  # noqa: N818 - not an error: it rolls back a write the database took
    pass


STATS: dict[str, int] = {}


def _count(what: str) -> None:
    STATS[what] = STATS.get(what, 0) + 1


def _attempt(call: Callable[[], object]) -> DomainError | None:
    """Run a service call; return its refusal, or None when it succeeded. A refusal by the
    database reaching the caller as such (IntegrityError) is a bug of the service: not caught."""
    try:
        call()
    except DomainError as refusal:
        return refusal
    return None


class UnitMachine(RuleBasedStateMachine):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.savepoint = transaction.savepoint()
        self.donations = [DonationModel(released=i in world.released) for i in range(DONATIONS)]
        self.units = [
            UnitModel(
                donation=i // PER_DONATION,
                status=Status(world.statuses[i]),
                content=world.contents.get(i),
                verified=i in world.contents,
            )
            for i in range(UNITS)
        ]

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    # --- the model's judgement ---------------------------------------------------------------

    def _gate(self, index: int) -> list[str]:
        """The refusal codes of the gate for unit ``index`` now, in the service's order."""
        unit = self.units[index]
        donation = self.donations[unit.donation]
        codes = []
        if not donation.released:
            codes.append("donation_not_released")
        if donation.holds:
            codes.append("donation_on_hold")
        if unit.holds:
            codes.append("unit_on_hold")
        if not unit.verified:
            codes.append("label_not_verified")
        if unit.expired:
            codes.append("expired")
        return codes

    def _move_refusal(self, index: int, new: Status) -> str | None:
        refusal = lifecycle.transition_refusal(self.units[index].status, new)
        if refusal is not None:
            return refusal.code
        if new in GATED:
            gate = self._gate(index)
            return gate[0] if gate else None
        return None

    def _dispose_refusal(self, index: int, fate: str) -> str | None:
        unit = self.units[index]
        disposition = lifecycle.Disposition(fate)
        refusal = lifecycle.disposition_refusal(unit.status, disposition)
        if refusal is not None:
            return refusal.code
        if disposition is lifecycle.Disposition.OUTDATED and not unit.expired:
            return "not_expired"
        # Every status a disposition may be recorded from moves to its final status by the table.
        assert lifecycle.transition_refusal(unit.status, lifecycle.DISPOSITION_STATUS[disposition]) is None
        return None

    def _print_refusal(self, index: int) -> str | None:
        unit = self.units[index]
        if unit.status in FINAL or unit.status is Status.SHIPPED:
            return "not_on_hand"
        if (unit.content is None or unit.stale) and unit.status in GATED:
            return "relabel_needs_quarantine"
        return None

    def _step(self, name: str) -> None:
        _count("steps")
        _count(f"rule {name}")

    def _expect(self, what: str, refusal: DomainError | None, expected: str | None) -> bool:
        """Compare a service's outcome with the model's; True when it succeeded."""
        got = None if refusal is None else refusal.code
        assert got == expected, (
            f"{what}: the service gave {got!r} ({refusal}), the model expected {expected!r}"
        )
        _count(f"{what}: {got or 'done'}")
        return refusal is None

    # --- the lab: release and donation holds -----------------------------------------------------

    @rule(index=donation_index)
    def release_donation(self, index: int) -> None:
        self._step("release_donation")
        model = self.donations[index]
        expected = "not_releasable" if model.released or model.holds else None
        refusal = _attempt(
            lambda: lab_services.donations_release(
                actor=self.world.supervisor, signer=self.world.signer, donations=[self.world.donations[index]]
            )
        )
        if self._expect("release donation", refusal, expected):
            model.released = True

    @rule(index=donation_index)
    def place_donation_hold(self, index: int) -> None:
        self._step("place_donation_hold")
        hold = lab_services.hold_place(
            actor=self.world.lab_technologist, donation=self.world.donations[index], reason="look-back"
        )
        self.donations[index].holds.add(hold.pk)
        _count("donation hold placed")

    @precondition(lambda self: any(d.holds for d in self.donations))
    @rule(data=st.data())
    def lift_donation_hold(self, data: st.DataObject) -> None:
        self._step("lift_donation_hold")
        index = data.draw(st.sampled_from([i for i, d in enumerate(self.donations) if d.holds]))
        hold = data.draw(st.sampled_from(sorted(self.donations[index].holds)))
        lab_services.hold_lift(
            actor=self.world.lab_technologist, hold=DonationHold(pk=hold), reason="look-back closed"
        )
        self.donations[index].holds.discard(hold)
        _count("donation hold lifted")

    # --- unit holds ------------------------------------------------------------------------------

    @rule(index=unit_index)
    def place_unit_hold(self, index: int) -> None:
        self._step("place_unit_hold")
        unit = self.units[index]
        held: list[UnitHold] = []
        refusal = _attempt(
            lambda: held.append(
                inventory_services.unit_hold_place(
                    actor=self.world.clerk, unit=self.world.units[index], reason="bag to inspect"
                )
            )
        )
        if self._expect("place unit hold", refusal, "unit_final" if unit.status in FINAL else None):
            unit.holds.add(held[0].pk)

    @precondition(lambda self: any(u.holds for u in self.units))
    @rule(data=st.data())
    def lift_unit_hold(self, data: st.DataObject) -> None:
        self._step("lift_unit_hold")
        index = data.draw(st.sampled_from([i for i, u in enumerate(self.units) if u.holds]))
        hold = data.draw(st.sampled_from(sorted(self.units[index].holds)))
        inventory_services.unit_hold_lift(
            actor=self.world.clerk, hold=UnitHold.objects.get(pk=hold), reason="bag fine"
        )
        self.units[index].holds.discard(hold)
        _count("unit hold lifted")

    # --- labels ----------------------------------------------------------------------------------

    @rule(index=unit_index)
    def print_label(self, index: int) -> None:
        self._step("print_label")
        unit = self.units[index]
        printed: list[LabelContent] = []
        refusal = _attempt(
            lambda: printed.append(
                label_services.unit_label_print(actor=self.world.technologist, unit=self.world.units[index])
            )
        )
        if self._expect("print label", refusal, self._print_refusal(index)):
            if unit.content is None or unit.stale:  # a new label: it must be verified again
                unit.verified = False
            unit.content, unit.stale = printed[0], False

    @rule(index=unit_index, right=st.booleans(), other=unit_index)
    def verify_label(self, index: int, right: bool, other: int) -> None:
        self._step("verify_label")
        unit = self.units[index]
        if right:
            content = unit.content or self.world.content(index)
        else:
            if other == index:
                other = (other + 1) % UNITS
            content = self.world.content(other)
        scans = [b.data for b in barcodes(content)]
        if unit.content is None:
            expected = "no_label"
        elif not right or unit.stale:
            expected = "label_mismatch"
        else:
            expected = None
        refusal = _attempt(
            lambda: label_services.unit_label_verify(
                actor=self.world.technologist, unit=self.world.units[index], scans=scans
            )
        )
        if self._expect(f"verify label ({'right' if right else 'wrong'} scans)", refusal, expected):
            unit.verified = True

    # --- moves -----------------------------------------------------------------------------------

    def _service_move_refusal(self, index: int, name: str) -> str | None:
        if name in ONLY_FROM and self.units[index].status not in ONLY_FROM[name]:
            return "unit_final" if self.units[index].status in FINAL else "transition_not_allowed"
        return self._move_refusal(index, MOVES[name])

    def _move(self, index: int, name: str) -> None:
        new = MOVES[name]
        refusal = _attempt(lambda: _call_move(self.world, name, self.world.units[index]))
        if self._expect(name, refusal, self._service_move_refusal(index, name)):
            self.units[index].status = new

    @rule(index=unit_index, name=st.sampled_from(sorted(MOVES)))
    def move(self, index: int, name: str) -> None:
        self._step(f"move {name}")
        self._move(index, name)

    def _allowed_moves(self) -> list[tuple[int, str]]:
        return [
            (index, name)
            for index in range(UNITS)
            for name in MOVES
            if self._service_move_refusal(index, name) is None
        ]

    @precondition(lambda self: bool(self._allowed_moves()))
    @rule(data=st.data())
    def move_as_the_model_allows(self, data: st.DataObject) -> None:
        """A move the model expects to succeed, so that allocated and shipped are reached."""
        allowed = self._allowed_moves()
        name = data.draw(st.sampled_from(sorted({name for _, name in allowed})))  # each move as likely
        index = data.draw(st.sampled_from([i for i, n in allowed if n == name]))
        self._step(f"allowed move {name}")
        self._move(index, name)

    @rule(index=unit_index, fate=st.sampled_from(FATES))
    def dispose(self, index: int, fate: str) -> None:
        self._step("dispose")
        refusal = _attempt(
            lambda: inventory_services.unit_dispose(
                actor=self.world.clerk, unit=self.world.units[index], disposition=fate, reason="bag torn"
            )
        )
        if self._expect(f"dispose {fate}", refusal, self._dispose_refusal(index, fate)):
            self.units[index].status = lifecycle.DISPOSITION_STATUS[lifecycle.Disposition(fate)]

    # --- time passes -----------------------------------------------------------------------------

    @precondition(lambda self: any(not u.expired and u.status not in FINAL for u in self.units))
    @rule(data=st.data(), now=st.integers(0, 2))
    def time_passes(self, data: st.DataObject, now: int) -> None:
        """The unit's expiry comes just after its last move (its times kept consistent with
        the check constraint), stated with its hour as a shortened dating is: at its next use
        it is expired, and its printed label no longer matches the record."""
        self._step("time_passes")
        if now:  # two times in three, no unit's expiry comes yet (units would expire too soon)
            _count("time passes, no expiry yet")
            return
        index = data.draw(
            st.sampled_from([i for i, u in enumerate(self.units) if not u.expired and u.status not in FINAL])
        )
        Unit.objects.filter(pk=self.world.units[index].pk).update(
            expires_at=F("status_changed_at") + timedelta(microseconds=1), label_shows_time=True
        )
        unit = self.units[index]
        unit.expired = True
        unit.stale = unit.content is not None  # the label states the old expiry
        _count("a unit expired")

    # --- direct writes ---------------------------------------------------------------------------

    @rule(index=unit_index, status=st.sampled_from(sorted(s.value for s in GATED)), keep=st.booleans())
    def write_status_directly(self, index: int, status: str, keep: bool) -> None:
        """``UPDATE components_unit SET status = …`` past the services: the triggers and check
        constraints decide. A write the database takes is kept or rolled back."""
        self._step("write_status_directly")
        unit = self.units[index]
        new = Status(status)
        if new is unit.status:
            return  # not a move (the status time alone: test_unit_gate_database)
        must_refuse = self._move_refusal(index, new) is not None
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE components_unit SET status = %s, status_changed_at = %s WHERE id = %s",
                    [status, timezone.now(), self.world.units[index].pk],
                )
                if not keep:
                    raise Undo
        except IntegrityError:
            assert must_refuse, (
                f"the database refused {unit.status.value} → {status}: {unit}, {self._gate(index)}"
            )
            _count(f"direct write refused: → {status}")
            return
        except Undo:
            assert not must_refuse, f"the database took {unit.status.value} → {status}: {unit}"
            _count(f"direct write taken and undone: → {status}")
            return
        assert not must_refuse, f"the database took {unit.status.value} → {status}: {unit}"
        unit.status = new
        _count(f"direct write taken: → {status}")

    # --- invariants ------------------------------------------------------------------------------

    @invariant()
    def no_unit_past_the_gate_that_should_not_be(self) -> None:
        world = self.world
        rows = {
            row["pk"]: row
            for row in Unit.objects.filter(pk__in=world.unit_ids).values(
                "pk", "status", "label_digest", "label_verified_digest", "expires_at", "status_changed_at"
            )
        }
        released = set(DonationRelease.objects.filter(donation__in=world.donation_ids).values_list(
            "donation_id", flat=True))  # fmt: skip
        donation_holds = list(
            DonationHold.objects.filter(donation__in=world.donation_ids).values_list(
                "pk", "donation_id", "placed_at", "lifted_at"
            )
        )
        unit_holds = list(
            UnitHold.objects.filter(unit__in=world.unit_ids).values_list(
                "pk", "unit_id", "placed_at", "lifted_at"
            )
        )
        for index, unit_id in enumerate(world.unit_ids):
            row = rows[unit_id]
            donation_id = world.donation_ids[index // PER_DONATION]
            if row["status"] in GATED:
                at = row["status_changed_at"]
                assert donation_id in released, f"unit {index} {row['status']}: donation not released"
                assert row["label_digest"], f"unit {index} {row['status']}: no label"
                assert row["label_verified_digest"] == row["label_digest"], (
                    f"unit {index}: label not verified"
                )
                assert row["expires_at"] > at, f"unit {index} {row['status']}: expired"
                for _, held, placed, lifted in donation_holds:
                    assert not (held == donation_id and placed <= at and (lifted is None or lifted > at)), (
                        f"unit {index} {row['status']}: its donation was on hold when it moved"
                    )
                for _, held, placed, lifted in unit_holds:
                    assert not (held == unit_id and placed <= at and (lifted is None or lifted > at)), (
                        f"unit {index} {row['status']}: it was on hold when it moved"
                    )
            model = self.units[index]
            assert row["status"] == model.status.value, (index, row["status"], model)
            verified = bool(row["label_digest"]) and row["label_verified_digest"] == row["label_digest"]
            assert verified == model.verified, (index, verified, model)
            active = {pk for pk, held, _, lifted in unit_holds if held == unit_id and lifted is None}
            assert active == model.holds, (index, active, model)
        for index, donation in enumerate(self.donations):
            donation_id = world.donation_ids[index]
            assert (donation_id in released) == donation.released, (index, donation)
            active = {pk for pk, held, _, lifted in donation_holds if held == donation_id and lifted is None}
            assert active == donation.holds, (index, active, donation)


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    """Made once per test: the donations, their units (whole blood, red cells, plasma,
    platelets each), the people, and what was done before the first example."""

    donations: list
    units: list[Unit]
    technologist: object
    clerk: object
    lab_technologist: object
    supervisor: object
    signer: object
    released: set[int]
    statuses: list[str]
    contents: dict[int, LabelContent]
    _contents: dict[int, LabelContent] = field(default_factory=dict)

    @property
    def donation_ids(self) -> list[int]:
        return [d.pk for d in self.donations]

    @property
    def unit_ids(self) -> list[int]:
        return [u.pk for u in self.units]

    def content(self, index: int) -> LabelContent:
        """The label unit ``index`` would carry as the world was made (for scans)."""
        if index not in self._contents:
            self._contents[index] = label_services.unit_label_content(
                Unit.objects.get(pk=self.units[index].pk)
            )
        return self._contents[index]


def _world(staff, site, lab, components) -> World:
    technologist, clerk = components["technologist"], components["clerk"]
    supervisor = lab["supervisor"]
    signer = signer_verify(actor=supervisor, password=PASSWORD, authenticated_by=INTERACTIVE)
    donations, units = [], []
    contents: dict[int, LabelContent] = {}
    for number in range(DONATIONS):
        donor = donor_services.donor_register(
            actor=None,
            details=donor_services.DonorDetails(
                family_name=f"Unit{number}",
                given_name="Ada",
                date_of_birth=date(1980, 2, 1 + number),
                sex="F",
            ),
        )
        donation = collect(staff, screen(staff, donor, site), site)
        lab_services.results_import(
            actor=lab["technologist"],
            filename=f"panel{number}.csv",
            data=file_of(full_panel(donation.din.din)),
        )
        (whole_blood,) = manufacturing_services.units_collect(
            actor=technologist, donation=donation, product=product("A0001"), volume_ml=500
        )
        parts = manufacturing_services.unit_process(
            actor=technologist, unit=whole_blood, products=[product(c) for c in ("A0002", "A0007", "A0012")]
        )
        donations.append(donation)
        units.extend([whole_blood, *parts])
        if number < 2:  # the components of the first two donations labelled and verified
            for offset, part in enumerate(parts, start=1):
                content = label_services.unit_label_print(actor=technologist, unit=part)
                label_services.unit_label_verify(
                    actor=technologist, unit=part, scans=[b.data for b in barcodes(content)]
                )
                contents[number * PER_DONATION + offset] = content
    lab_services.donations_release(actor=supervisor, signer=signer, donations=[donations[0]])
    inventory_services.unit_make_available(actor=clerk, unit=units[1])  # the first red cells
    inventory_services.unit_make_available(actor=clerk, unit=units[2])  # and plasma, allocated
    inventory_services.unit_allocate(actor=clerk, unit=units[2], reference="ORDER-0")
    statuses = [Unit.objects.get(pk=u.pk).status for u in units]
    assert statuses[1:3] == ["available", "allocated"]
    assert statuses[0] == "used"
    return World(
        donations=donations,
        units=units,
        technologist=technologist,
        clerk=clerk,
        lab_technologist=lab["technologist"],
        supervisor=supervisor,
        signer=signer,
        released={0},
        statuses=statuses,
        contents=contents,
    )


def test_no_unit_passes_the_gate_that_should_not(staff, site, panel, lab, catalogue, components, capsys):
    world = _world(staff, site, lab, components)
    STATS.clear()
    started = time.monotonic()
    run_state_machine_as_test(lambda: UnitMachine(world), settings=MACHINE)
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(f"\nunit state machine: {STATS['steps']} steps in {seconds:.0f} s")  # noqa: T201
        for what, count in sorted(STATS.items()):
            print(f"  {count:6d}  {what}")  # noqa: T201
    assert STATS["steps"] >= MIN_STEPS
    for reached in ("allocate: done", "ship: done", "direct write refused: → available"):
        assert STATS.get(reached, 0) > 0, reached
    assert any(what.startswith("direct write taken") for what in STATS)


def test_the_machine_catches_a_move_the_database_should_have_refused(
    staff, site, panel, lab, catalogue, components
):
    """The invariants have teeth: with the unit gate trigger off (inside this test's
    transaction, so for this test only), the machine soon finds a direct write the database
    took although the model says the gate is closed."""
    world = _world(staff, site, lab, components)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE components_unit DISABLE TRIGGER components_unit_gate")
    quick = settings(MACHINE, max_examples=50, phases=[Phase.generate], report_multiple_bugs=False)
    with pytest.raises(AssertionError, match="the database took"):
        run_state_machine_as_test(lambda: UnitMachine(world), settings=quick)


# --- what the machine met while it was written, pinned -------------------------------------------


def test_only_an_allocated_unit_can_be_deallocated(lab, components, whole_blood):
    red_cells, _, _ = _separate(components, whole_blood)
    release(lab, whole_blood.sources.get().donation)
    _label_and_verify(components, red_cells)
    with pytest.raises(DomainError):
        inventory_services.unit_deallocate(actor=components["clerk"], unit=red_cells, reason="no order")
