"""DESIGN.md invariant 1, the lab's half, under random use (issue 6): no donation that is not
acceptable is ever released, whatever results, holds, releases and direct writes come, in
whatever order.

A hypothesis state machine drives three donations with random results (imported or entered by
hand and verified, or left unverified), holds placed and lifted, releases through the service,
release rows and status changes written straight to the tables, and discrepancy resolutions.
It keeps its own model of every donation (final results in order, holds, the donor's type on
record, the resolved type, whether and in which state it was released) and after every step
checks the database against it:

- every release row belongs to a donation that was acceptable and not held when released, and
  that is acceptable or held now; no released donation is reactive without an active hold;
- the stored testing status equals ``rules.evaluate`` over the model's own results;
- the final results, active holds and release rows in the database are the model's.

Steps: MAX_EXAMPLES (130) examples of up to STEPS (30) steps. Hypothesis ends an example early
once its choice buffer is 80% full, so 20–24 steps an example run, 2,600–3,100 in all (measured);
at least MIN_STEPS (2,000) are asserted, and the count, with how often each rule and outcome
came up, is printed. The machine relies on the PostgreSQL triggers of migration 0002, so it runs
on PostgreSQL only: 45–60 seconds there.

A second test turns the release trigger off and checks that the machine then fails: the
invariants have teeth. The tests at the end pin what the machine found while it was written: a
late result that leaves a released donation not acceptable holds it, and a hold lift decides on
the donation as it will be without the hold.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hemaops.core.errors import DomainError
from hemaops.core.models import Signature
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.donors import services as donor_services
from hemaops.lab import rules, services
from hemaops.lab.models import DonationHold, DonationRelease, DonationTesting, TestPanel, TestResult
from tests.conftest import PASSWORD
from tests.donations.test_collection import collect, screen
from tests.lab.results import NAT, SEROLOGY, file_of, full_panel, line

pytestmark = pytest.mark.postgres

MAX_EXAMPLES = 130
STEPS = 30
MIN_STEPS = 2_000
DONATIONS = 3
MACHINE = settings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,  # nothing written into the shared checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

A = rules.TestingStatus.ACCEPTABLE
GROUPS = ("O", "O", "A")  # mostly the donor's first type, now and then a discrepancy


# --- random results --------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One result to import or enter: marker, stage, reading, value, and a pool for pool NAT."""

    marker: str
    stage: str
    reading: str
    value: str = ""
    pooled: bool = False


def _serology() -> st.SearchStrategy[Spec]:
    return st.builds(
        Spec,
        st.sampled_from(SEROLOGY),
        st.sampled_from(("initial", "repeat")),
        st.sampled_from(("nonreactive", "nonreactive", "nonreactive", "reactive", "invalid")),
    )


def _nat() -> st.SearchStrategy[Spec]:
    return st.builds(
        lambda marker, stage, reading: Spec(marker, stage, reading, pooled=stage == "pool"),
        st.sampled_from(NAT),
        st.sampled_from(("pool", "individual")),
        st.sampled_from(("nonreactive", "nonreactive", "nonreactive", "reactive", "invalid")),
    )


def _supplemental() -> st.SearchStrategy[Spec]:
    return st.builds(
        Spec,
        st.sampled_from(SEROLOGY + NAT),
        st.just("supplemental"),
        st.sampled_from(("positive", "negative", "indeterminate")),
    )


def _typing() -> st.SearchStrategy[Spec]:
    return st.one_of(
        st.builds(
            lambda stage, group: Spec("abo", stage, "positive", group),
            st.sampled_from(("forward", "reverse")),
            st.sampled_from(GROUPS),
        ),
        st.sampled_from(
            (
                Spec("rhd", "typing", "positive", "pos"),
                Spec("rhd", "typing", "negative", "neg"),
                Spec("rhd", "typing", "positive", "weak_d_pos"),
                Spec("rhd", "typing", "negative", "weak_d_neg"),
                Spec("antibody_screen", "typing", "negative"),
                Spec("antibody_screen", "typing", "positive"),
            )
        ),
    )


results = st.one_of(_serology(), _nat(), _supplemental(), _typing())
donation_index = st.integers(min_value=0, max_value=DONATIONS - 1)


# --- the model ---------------------------------------------------------------------------------


@dataclass
class Model:
    """What the machine believes about one donation."""

    opened: bool = False  # its DonationTesting row exists
    results: list[rules.Result] = field(default_factory=list)  # final, in tested_at order
    holds: set[int] = field(default_factory=set)  # active holds
    history: rules.BloodType | None = None  # the donor's type on record
    resolved: rules.BloodType | None = None  # the supervisor's signed type after a discrepancy
    released: bool = False
    status_at_release: rules.TestingStatus | None = None

    def evaluate(self, required: frozenset[rules.Marker], *, on_hold: bool | None = None) -> rules.Evaluation:
        return rules.evaluate(
            required=required,
            results=self.results,
            history=self.history,
            on_hold=bool(self.holds) if on_hold is None else on_hold,
            discrepancy_resolved_as=self.resolved,
        )


class Undo(Exception):  # noqa: N818 - not an error: it rolls a direct write back that was taken
    pass


STATS: dict[str, int] = {}


def _count(what: str) -> None:
    STATS[what] = STATS.get(what, 0) + 1


class ReleaseMachine(RuleBasedStateMachine):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.savepoint = transaction.savepoint()
        self.models = [Model() for _ in range(DONATIONS)]
        self.files: list[bytes] = []
        # After the donations were collected, never in the future (they end minutes before the
        # world was made); one millisecond a result keeps the results in the order they came.
        self.clock = max(donation.ended_at for donation in world.donations)
        self.pools = 0

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    # --- helpers ---------------------------------------------------------------------------

    def _step(self, name: str) -> None:
        _count("steps")
        _count(f"rule {name}")

    def _tick(self) -> datetime:
        self.clock += timedelta(milliseconds=1)
        return self.clock

    def _line(self, index: int, spec: Spec) -> str:
        pool = ""
        if spec.pooled:
            self.pools += 1
            pool = f"P{self.pools}"
        return line(
            self.world.dins[index],
            spec.marker,
            spec.stage,
            spec.reading,
            spec.value,
            at=self._tick(),
            pool=pool,
        )

    @staticmethod
    def _result(spec: Spec) -> rules.Result:
        return rules.Result(
            rules.Marker(spec.marker), rules.Stage(spec.stage), rules.Reading(spec.reading), spec.value
        )

    def _active_holds(self, index: int) -> set[int]:
        return set(
            DonationHold.objects.filter(
                donation=self.world.donations[index], lifted_at__isnull=True
            ).values_list("pk", flat=True)
        )

    def _reevaluated(self, indexes: set[int], new: dict[int, list[rules.Result]]) -> dict[int, str]:
        """What a reevaluation of ``indexes`` after adding ``new`` results should do to each
        released donation: "" (nothing) or "hold" (a late result leaves it not acceptable: the
        service holds it)."""
        outcome: dict[int, str] = {}
        for index in indexes:
            model = self.models[index]
            after = Model(results=[*model.results, *new.get(index, [])], holds=model.holds,
                          history=model.history, resolved=model.resolved)  # fmt: skip
            status = after.evaluate(self.world.required).status
            outcome[index] = "" if not model.released or model.holds or status is A else "hold"
        return outcome

    def _apply(self, indexes: set[int], new: dict[int, list[rules.Result]], outcome: dict[int, str]) -> None:
        """The service succeeded: take the new results, the holds it placed, the donor's type."""
        for index in indexes:
            model = self.models[index]
            model.opened = True
            model.results.extend(new.get(index, []))
            placed = self._active_holds(index) - model.holds
            if outcome[index] == "hold":
                assert len(placed) == 1, f"donation {index}: expected the service to hold it, got {placed}"
                _count(f"late not acceptable: held ({outcome[index]})")
            else:
                assert not placed, f"donation {index}: unexpected holds {placed}"
            model.holds |= placed
            self._record_type(index)

    def _record_type(self, index: int) -> None:
        model = self.models[index]
        typing = model.evaluate(self.world.required).typing
        if (
            model.history is None
            and typing.status is rules.TypingStatus.CONCORDANT
            and typing.blood_type is not None
        ):
            model.history = typing.blood_type

    def _results_in(self, indexes: set[int], new: dict[int, list[rules.Result]], call) -> bool:
        """Run ``call`` (an import or a verification) and check its outcome against the model."""
        outcome = self._reevaluated(indexes, new)
        refusal = _attempt(call)
        if refusal is None:
            self._apply(indexes, new, outcome)
            return True
        assert not isinstance(refusal, IntegrityError), f"the database refused a result: {refusal!r}"
        # The docstring of result_services._row_errors means to refuse results for a released donation
        # that are not a late reactive; refusing them is safe, so the machine accepts it as well.
        released = any(self.models[index].released for index in indexes)
        assert released, f"the service refused a result: {refusal!r}"
        _count("result for a released donation refused by the service")
        return False

    # --- results ---------------------------------------------------------------------------

    @initialize(indexes=st.sets(donation_index))
    def start_some_donations_acceptable(self, indexes: set[int]) -> None:
        """Most examples start with acceptable donations, so that releases and what comes after
        them (late results, holds, direct writes) are reached in a short run."""
        for index in sorted(indexes):
            self._full_panel(index, "O", set())

    @rule(lines=st.lists(st.tuples(donation_index, results), min_size=1, max_size=4), again=st.integers(0, 4))
    def import_results(self, lines: list[tuple[int, Spec]], again: int) -> None:
        self._step("import_results")
        if again == 0 and self.files:  # now and then a file imported before, instead
            self._import_again(self.files[len(lines) % len(self.files)])
            return
        text = [self._line(index, spec) for index, spec in lines]
        new: dict[int, list[rules.Result]] = {}
        for index, spec in lines:
            new.setdefault(index, []).append(self._result(spec))
        data = file_of(text)
        indexes = {index for index, _ in lines}
        if self._results_in(
            indexes,
            new,
            lambda: services.results_import(actor=self.world.technologist, filename="run.csv", data=data),
        ):
            self.files.append(data)

    @rule(index=donation_index, group=st.sampled_from(GROUPS), skip=st.sets(st.sampled_from(NAT), max_size=1))
    def import_full_panel(self, index: int, group: str, skip: set[str]) -> None:
        """A whole nonreactive panel, so that donations become acceptable (and releasable)."""
        self._step("import_full_panel")
        self._full_panel(index, group, skip)

    def _full_panel(self, index: int, group: str, skip: set[str]) -> None:
        text = full_panel(self.world.dins[index], abo=group, skip=frozenset(skip))
        # full_panel stamps every line now: restamp them on the machine's clock, in order.
        stamped = [_restamp(entry, self._tick()) for entry in text]
        new = {index: [_parse(entry) for entry in stamped]}
        data = file_of(stamped)
        if self._results_in(
            {index},
            new,
            lambda: services.results_import(actor=self.world.technologist, filename="panel.csv", data=data),
        ):
            self.files.append(data)

    def _import_again(self, content: bytes) -> None:
        """The same file a second time returns the first import and changes nothing."""
        before = TestResult.objects.count()
        first = TestResult.objects.filter(source_import__sha256=_sha(content)).first()
        again = services.results_import(actor=self.world.technologist, filename="again.csv", data=content)
        assert first is not None
        assert again.pk == first.source_import_id
        assert TestResult.objects.count() == before
        _count("file imported again: nothing changed")

    @rule(index=donation_index, spec=results, verify=st.booleans())
    def enter_result(self, index: int, spec: Spec, verify: bool) -> None:
        """By hand: it counts only once another person verifies it."""
        self._step("enter_result")
        if spec.pooled:  # a pool result comes from the instrument file only
            spec = Spec(spec.marker, "individual", spec.reading)
        entered = services.result_enter(
            actor=self.world.technologist,
            donation=self.world.donations[index],
            marker=spec.marker,
            stage=spec.stage,
            reading=spec.reading,
            value=spec.value,
            tested_at=self._tick(),
            run_id="manual",
        )
        model = self.models[index]
        if not model.opened:  # result_enter opens the testing record and evaluates nothing
            model.opened = True
            _count("opened by an unverified entry")
        if not verify:
            _count("entered, left unverified")
            return
        self._results_in(
            {index},
            {index: [self._result(spec)]},
            lambda: services.result_verify(actor=self.world.verifier, result=entered),
        )

    # --- holds -----------------------------------------------------------------------------

    @rule(index=donation_index)
    def place_hold(self, index: int) -> None:
        self._step("place_hold")
        hold = services.hold_place(
            actor=self.world.technologist, donation=self.world.donations[index], reason="random check"
        )
        model = self.models[index]
        model.opened = True
        model.holds.add(hold.pk)
        self._record_type(index)

    @precondition(lambda self: any(model.holds for model in self.models))
    @rule(data=st.data())
    def lift_hold(self, data: st.DataObject) -> None:
        self._step("lift_hold")
        index, hold = data.draw(
            st.sampled_from([(i, pk) for i, model in enumerate(self.models) for pk in sorted(model.holds)])
        )
        model = self.models[index]
        others = model.holds - {hold}
        would_be = model.evaluate(self.world.required, on_hold=bool(others)).status
        must_refuse = model.released and not others and would_be is not A
        refusal = _attempt(
            lambda: services.hold_lift(
                actor=self.world.technologist, hold=DonationHold(pk=hold), reason="checked, fine"
            )
        )
        if isinstance(refusal, DomainError):
            assert must_refuse, f"the service refused to lift a hold it should lift: {refusal}"
            _count("hold lift refused by the service (released, not acceptable)")
            return
        assert refusal is None, f"the database refused a hold lift the service allowed: {refusal!r}"
        assert not must_refuse, "a released donation that is not acceptable lost its last hold"
        model.holds.discard(hold)
        self._record_type(index)
        _count("hold lifted")

    # --- release ---------------------------------------------------------------------------

    def _releasable(self, index: int) -> bool:
        model = self.models[index]
        return (
            model.opened
            and not model.released
            and not model.holds
            and model.evaluate(self.world.required).status is A
        )

    def _release(self, indexes: list[int]) -> None:
        expected = all(self._releasable(index) for index in indexes)
        signatures: list[Signature] = []
        refusal = _attempt(
            lambda: signatures.append(
                services.donations_release(
                    actor=self.world.supervisor,
                    signer=self.world.signer,
                    donations=[self.world.donations[index] for index in indexes],
                )
            )
        )
        if refusal is not None:
            assert not expected, f"release refused: {refusal!r}"
            assert isinstance(refusal, DomainError)
            assert refusal.code == "not_releasable"
            _count("release refused by the service")
            return
        (signature,) = signatures
        assert expected, f"the service released {indexes}, which the model says is not releasable"
        assert DonationRelease.objects.filter(signature=signature).count() == len(indexes)
        for index in indexes:
            self.models[index].released = True
            self.models[index].status_at_release = self.models[index].evaluate(self.world.required).status
        _count("released by the service")

    @rule(indexes=st.lists(donation_index, min_size=1, max_size=DONATIONS, unique=True))
    def release(self, indexes: list[int]) -> None:
        self._step("release")
        self._release(indexes)

    @precondition(lambda self: any(self._releasable(index) for index in range(DONATIONS)))
    @rule(data=st.data())
    def release_an_acceptable_donation(self, data: st.DataObject) -> None:
        self._step("release_an_acceptable_donation")
        self._release([data.draw(st.sampled_from([i for i in range(DONATIONS) if self._releasable(i)]))])

    @rule(index=donation_index)
    def insert_a_release_row_directly(self, index: int) -> None:
        """Past the service: the trigger (and the one-to-one key) decide."""
        self._step("insert_a_release_row_directly")
        expected = self._releasable(index)
        try:
            with transaction.atomic():
                signature = Signature.objects.create(
                    signer=self.world.supervisor,
                    signer_full_name="direct",
                    signed_at=timezone.now(),
                    meaning="released",
                    mac="x",
                )
                DonationRelease.objects.create(
                    donation=self.world.donations[index],
                    signature=signature,
                    released_by=self.world.supervisor,
                    released_at=timezone.now(),
                )
        except IntegrityError:
            assert not expected, "the database refused a release row of an acceptable, unheld donation"
            _count("direct release row refused by the database")
            return
        assert expected, f"the database took a release row of donation {index}: {self.models[index]}"
        self.models[index].released = True
        self.models[index].status_at_release = A
        _count("direct release row taken (acceptable, not held)")

    # --- direct writes to a released donation (always undone) -------------------------------

    @precondition(lambda self: any(model.released for model in self.models))
    @rule(
        data=st.data(),
        write=st.sampled_from(
            [
                "status pending",
                "status reactive",
                "status discrepancy",
                "status on_hold",
                "change release",
                "delete release",
                "lift holds",
                "delete holds",
            ]
        ),
    )
    def tamper_with_a_released_donation(self, data: st.DataObject, write: str) -> None:
        self._step("tamper_with_a_released_donation")
        index = data.draw(st.sampled_from([i for i, model in enumerate(self.models) if model.released]))
        model = self.models[index]
        donation = self.world.donations[index]
        status = DonationTesting.objects.get(donation=donation).status
        if write.startswith("status "):
            must_refuse = not model.holds and write.removeprefix("status ") != A
        elif write.endswith("release"):
            must_refuse = True
        else:  # lifting or deleting every active hold at once
            must_refuse = bool(model.holds) and status != A
        try:
            with transaction.atomic():
                if write.startswith("status "):
                    DonationTesting.objects.filter(donation=donation).update(
                        status=write.removeprefix("status ")
                    )
                elif write == "change release":
                    DonationRelease.objects.filter(donation=donation).update(released_at=timezone.now())
                elif write == "delete release":
                    DonationRelease.objects.filter(donation=donation).delete()
                elif write == "lift holds":
                    for hold in sorted(model.holds):  # one statement each: the last one is refused
                        DonationHold.objects.filter(pk=hold).update(lifted_at=timezone.now())
                else:
                    for hold in sorted(model.holds):
                        DonationHold.objects.filter(pk=hold).delete()
                raise Undo
        except IntegrityError:
            assert must_refuse, f"the database refused {write} on released donation {index} ({status})"
            _count(f"direct write refused: {write}")
        except Undo:
            assert not must_refuse, f"the database took {write} on released donation {index} ({status})"
            _count(f"direct write taken and undone: {write}")

    # --- discrepancies -------------------------------------------------------------------------

    @precondition(
        lambda self: any(
            m.opened and m.evaluate(self.world.required).status is rules.TestingStatus.DISCREPANCY
            for m in self.models
        )
    )
    @rule(data=st.data(), group=st.sampled_from(("O", "A")))
    def resolve_a_discrepancy(self, data: st.DataObject, group: str) -> None:
        self._step("resolve_a_discrepancy")
        index = data.draw(
            st.sampled_from(
                [
                    i
                    for i, m in enumerate(self.models)
                    if m.opened and m.evaluate(self.world.required).status is rules.TestingStatus.DISCREPANCY
                ]
            )
        )
        services.discrepancy_resolve(
            actor=self.world.supervisor,
            signer=self.world.signer,
            donation=self.world.donations[index],
            abo=group,
            rhd="pos",
            reason="two samples typed again",
        )
        model = self.models[index]
        model.resolved = model.history = rules.BloodType(group, "pos")
        _count("discrepancy resolved")

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def no_release_of_a_donation_that_is_not_acceptable(self) -> None:
        releases = set(DonationRelease.objects.values_list("donation_id", flat=True))
        testings = {t.donation_id: t for t in DonationTesting.objects.all()}
        held = set(DonationHold.objects.filter(lifted_at__isnull=True).values_list("donation_id", flat=True))
        for donation_id in releases:
            testing = testings[donation_id]
            assert testing.status == A or donation_id in held, f"released {donation_id}: {testing.status}"
            assert not (testing.status == rules.TestingStatus.REACTIVE and donation_id not in held)
        for index, model in enumerate(self.models):
            donation = self.world.donations[index]
            assert (donation.pk in releases) == model.released
            if model.released:
                assert model.status_at_release is A
            assert (donation.pk in testings) == model.opened, f"donation {index} testing record"
            if not model.opened:
                continue
            testing = testings[donation.pk]
            assert sorted(testing.required_markers) == sorted(m.value for m in self.world.required)
            expected = model.evaluate(self.world.required)
            assert testing.status == expected.status, (index, testing.status, expected, model)
            assert self._active_holds(index) == model.holds
            assert _final_results(donation) == model.results


# --- helpers of the file ---------------------------------------------------------------------


def _attempt(call: Callable[[], object]) -> DomainError | IntegrityError | None:
    """Run a write; return how it was refused, or None when it was not."""
    try:
        call()
    except (DomainError, IntegrityError) as refusal:
        return refusal
    return None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _restamp(entry: str, at: datetime) -> str:
    fields = entry.split(",")
    fields[5] = at.isoformat()
    return ",".join(fields)


def _parse(entry: str) -> rules.Result:
    _din, marker, stage, reading, value, *_ = entry.split(",")
    return rules.Result(rules.Marker(marker), rules.Stage(stage), rules.Reading(reading), value)


def _final_results(donation) -> list[rules.Result]:
    return [
        rules.Result(rules.Marker(m), rules.Stage(s), rules.Reading(r), v)
        for m, s, r, v in TestResult.objects.filter(donation=donation)
        .filter(Q(source_import__isnull=False) | Q(verified_at__isnull=False))
        .order_by("tested_at", "pk")
        .values_list("marker", "stage", "reading", "value")
    ]


@dataclass
class World:
    """Made once per test: three donations of three first-time donors, the lab's people."""

    donations: list
    dins: list[str]
    required: frozenset[rules.Marker]
    technologist: object
    verifier: object
    supervisor: object
    signer: object


def _world(staff, site, panel: TestPanel, lab) -> World:
    donations = []
    for number in range(DONATIONS):
        donor = donor_services.donor_register(
            actor=None,
            details=donor_services.DonorDetails(
                family_name=f"Machine{number}",
                given_name="Ada",
                date_of_birth=date(1980, 1, 1 + number),
                sex="F",
            ),
        )
        donations.append(collect(staff, screen(staff, donor, site), site))
    required = rules.required_markers(
        rules.Panel(markers=frozenset(rules.Marker(m) for m in panel.markers)),
        procedure="whole_blood",
        collection_state=site.region,
        donor_qualified_for_t_cruzi=False,
    )
    supervisor = lab["supervisor"]
    return World(
        donations=donations,
        dins=[d.din.din for d in donations],
        required=required,
        technologist=lab["technologist"],
        verifier=lab["second_technologist"],
        supervisor=supervisor,
        signer=signer_verify(actor=supervisor, password=PASSWORD, authenticated_by=INTERACTIVE),
    )


def test_no_donation_that_is_not_acceptable_is_ever_released(staff, site, panel, lab, capsys):
    world = _world(staff, site, panel, lab)
    STATS.clear()
    started = time.monotonic()
    run_state_machine_as_test(lambda: ReleaseMachine(world), settings=MACHINE)
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(f"\nrelease state machine: {STATS['steps']} steps in {seconds:.0f} s")  # noqa: T201
        for what, count in sorted(STATS.items()):
            print(f"  {count:6d}  {what}")  # noqa: T201
    assert STATS["steps"] >= MIN_STEPS
    assert STATS.get("released by the service", 0) > 0
    assert STATS.get("direct release row refused by the database", 0) > 0


def test_the_machine_catches_a_release_row_the_database_should_have_refused(staff, site, panel, lab):
    """The invariants have teeth: with the release trigger off (inside this test's transaction,
    so for this test only), the machine soon finds a release row of a donation that is not
    releasable."""
    world = _world(staff, site, panel, lab)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE lab_donationrelease DISABLE TRIGGER lab_release_requires_acceptable")
    quick = settings(MACHINE, max_examples=50, phases=[Phase.generate], report_multiple_bugs=False)
    with pytest.raises(AssertionError, match="the database took a release row"):
        run_state_machine_as_test(lambda: ReleaseMachine(world), settings=quick)


# --- bugs the machine meets, pinned one by one ------------------------------------------------


def _released(lab, donation) -> None:
    services.results_import(
        actor=lab["technologist"], filename="panel.csv", data=file_of(full_panel(donation.din.din))
    )
    supervisor = lab["supervisor"]
    signer = signer_verify(actor=supervisor, password=PASSWORD, authenticated_by=INTERACTIVE)
    services.donations_release(actor=supervisor, signer=signer, donations=[donation])


LATE_NOT_ACCEPTABLE = {
    "initially reactive serology": ("anti_hcv", "initial", "reactive", ""),
    "RhD negative, weak D due": ("rhd", "typing", "negative", "neg"),
    "forward ABO disagreeing": ("abo", "forward", "positive", "A"),
}


@pytest.mark.parametrize("late", LATE_NOT_ACCEPTABLE.values(), ids=LATE_NOT_ACCEPTABLE.keys())
def test_a_late_result_that_makes_a_released_donation_not_acceptable_holds_it(lab, donation, late):
    _released(lab, donation)
    marker, stage, reading, value = late
    late_line = line(donation.din.din, marker, stage, reading, value, run="R9")
    services.results_import(actor=lab["technologist"], filename="late.csv", data=file_of([late_line]))
    testing = DonationTesting.objects.get(donation=donation)
    assert testing.status == rules.TestingStatus.ON_HOLD
    assert DonationHold.objects.filter(donation=donation, lifted_at__isnull=True).count() == 1


def test_a_hold_on_a_released_acceptable_donation_can_be_lifted(lab, donation):
    _released(lab, donation)
    hold = services.hold_place(actor=lab["technologist"], donation=donation, reason="label check")
    assert DonationTesting.objects.get(donation=donation).status == rules.TestingStatus.ON_HOLD

    services.hold_lift(actor=lab["technologist"], hold=hold, reason="label fine")
    assert DonationTesting.objects.get(donation=donation).status == A
    assert not DonationHold.objects.filter(donation=donation, lifted_at__isnull=True).exists()


def test_lifting_the_last_hold_of_a_released_donation_that_would_be_pending_is_refused_by_the_service(
    lab, donation
):
    _released(lab, donation)
    hold = services.hold_place(actor=lab["technologist"], donation=donation, reason="look-back")
    late = line(donation.din.din, "anti_hcv", "initial", "reactive", run="R9")
    services.results_import(actor=lab["technologist"], filename="late.csv", data=file_of([late]))
    assert DonationTesting.objects.get(donation=donation).status == rules.TestingStatus.ON_HOLD

    with pytest.raises(DomainError) as refused:
        services.hold_lift(actor=lab["technologist"], hold=hold, reason="x")
    assert refused.value.code == "released_not_acceptable"
