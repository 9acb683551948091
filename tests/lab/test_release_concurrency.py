"""DESIGN.md invariant 1, the lab's half, under concurrent use on PostgreSQL (issue 6): threads
released together by a barrier, each on its own connection.

(a) Several supervisors releasing the same acceptable donation at once release it once; batches
    that overlap, listed in opposite orders, neither deadlock nor release a donation twice; direct
    release rows for one donation at once give one row. TRIALS trials each.
(b) A release racing a late reactive import, a hold placement or a hold lift never leaves a
    released donation that is neither acceptable nor held. RACES trials each, the start of one
    side staggered by 0–45 ms so that both orders are reached (the counts are printed).
(c) Concurrent imports of the same file store it once.
(d) Two direct lifts of the two holds of a released reactive donation at once: the trigger makes
    them take turns on the testing row, so the second sees the first and is refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hemaops.core import roles
from hemaops.core.audit import audit_verify
from hemaops.core.errors import DomainError
from hemaops.core.models import AuditEvent, Signature
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.donations.models import Donation
from hemaops.donors import services as donor_services
from hemaops.lab import services
from hemaops.lab.models import DonationHold, DonationRelease, DonationTesting, ResultImport, TestResult
from tests.conftest import PASSWORD
from tests.donations.test_collection import collect, screen
from tests.lab.results import file_of, full_panel, line

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SUPERVISORS = 5
TRIALS = 3
RACES = 12
IMPORTERS = 4


# --- helpers -------------------------------------------------------------------------------------


def _signer(user):
    return signer_verify(actor=user, password=PASSWORD, authenticated_by=INTERACTIVE)


def _donation(staff, site, number: int) -> Donation:
    donor = donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name=f"Racer{number}",
            given_name="Ada",
            date_of_birth=date(1980, 1, 1 + number % 28),
            sex="F",
        ),
    )
    return collect(staff, screen(staff, donor, site), site)


def _acceptable(lab, staff, site, number: int) -> Donation:
    donation = _donation(staff, site, number)
    services.results_import(
        actor=lab["technologist"], filename=f"panel{number}.csv", data=file_of(full_panel(donation.din.din))
    )
    assert DonationTesting.objects.get(donation=donation).status == "acceptable"
    return donation


class Race:
    """Run callables at once on their own connections; keep what each returned or raised."""

    def __init__(self, *calls: Callable[[], object], stagger: tuple[float, ...] = ()) -> None:
        self.calls = calls
        self.stagger = stagger or (0.0,) * len(calls)
        self.outcomes: list[object] = [None] * len(calls)
        self.errors: list[BaseException] = []

    def run(self) -> Race:
        barrier = threading.Barrier(len(self.calls))

        def worker(number: int) -> None:
            try:
                barrier.wait(timeout=10)
                time.sleep(self.stagger[number])
                self.outcomes[number] = self.calls[number]()
            except (DomainError, IntegrityError) as refusal:
                self.outcomes[number] = refusal
            except BaseException as error:  # reported to the test thread
                self.errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(number,)) for number in range(len(self.calls))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
        assert self.errors == []
        return self


def _released_donations_are_acceptable_or_held() -> None:
    """The database-level invariant, over every release row."""
    held = set(DonationHold.objects.filter(lifted_at__isnull=True).values_list("donation_id", flat=True))
    for release in DonationRelease.objects.all():
        status = DonationTesting.objects.get(donation_id=release.donation_id).status
        assert status == "acceptable" or release.donation_id in held, (release.donation_id, status)


def _stagger(trial: int, step: float = 0.005) -> tuple[float, float]:
    """Trial by trial: the first side late, both together, the second side late."""
    delay = step * (trial % 3)
    return (delay, 0.0) if trial % 2 else (0.0, delay)


# --- (a) one donation, one release ---------------------------------------------------------------


def test_supervisors_releasing_one_donation_at_once_release_it_once(lab, staff, site, panel, make_user):
    supervisors = [make_user(roles.LAB_SUPERVISOR, username=f"supervisor{n}") for n in range(SUPERVISORS)]
    signers = [_signer(supervisor) for supervisor in supervisors]
    for trial in range(TRIALS):
        donation = _acceptable(lab, staff, site, trial)
        race = Race(
            *(
                lambda s=supervisor, v=signer, d=donation: services.donations_release(
                    actor=s, signer=v, donations=[d]
                )
                for supervisor, signer in zip(supervisors, signers, strict=True)
            )
        ).run()
        signed = [o for o in race.outcomes if isinstance(o, Signature)]
        refused = [o for o in race.outcomes if isinstance(o, DomainError)]
        assert len(signed) == 1
        assert len(refused) == SUPERVISORS - 1
        assert {error.code for error in refused} == {"not_releasable"}
        assert all("released already" in error.message for error in refused)
        release = DonationRelease.objects.get(donation=donation)
        assert release.signature == signed[0]
    assert Signature.objects.filter(meaning="released").count() == TRIALS
    _released_donations_are_acceptable_or_held()
    assert audit_verify().ok


def test_overlapping_batches_in_opposite_orders_release_each_donation_once(
    lab, staff, site, panel, make_user
):
    supervisors = [make_user(roles.LAB_SUPERVISOR, username=f"supervisor{n}") for n in range(4)]
    for trial in range(TRIALS):
        first, second, third = (_acceptable(lab, staff, site, 10 * trial + n) for n in range(3))
        batches = [[first, second], [second, first], [second, third], [third, first]]
        race = Race(
            *(
                lambda s=supervisor, b=batch: services.donations_release(
                    actor=s, signer=_signer(s), donations=b
                )
                for supervisor, batch in zip(supervisors, batches, strict=True)
            )
        ).run()
        signed = {
            number: outcome for number, outcome in enumerate(race.outcomes) if isinstance(outcome, Signature)
        }
        assert signed, "no batch was released"
        assert all(
            isinstance(outcome, DomainError)
            for number, outcome in enumerate(race.outcomes)
            if number not in signed
        )
        released = [d.pk for number in signed for d in batches[number]]
        assert len(released) == len(set(released)), "a donation released in two batches"
        for number, signature in signed.items():  # each batch whole, under its own signature
            assert set(
                DonationRelease.objects.filter(signature=signature).values_list("donation_id", flat=True)
            ) == {d.pk for d in batches[number]}
        assert DonationRelease.objects.filter(donation__in=[first, second, third]).count() == len(released)
    _released_donations_are_acceptable_or_held()
    assert audit_verify().ok


def test_direct_release_rows_for_one_donation_at_once_give_one_row(lab, staff, site, panel):
    supervisor = lab["supervisor"]
    donation = _acceptable(lab, staff, site, 0)

    def insert() -> DonationRelease:
        with transaction.atomic():
            signature = Signature.objects.create(
                signer=supervisor,
                signer_full_name="direct",
                signed_at=timezone.now(),
                meaning="released",
                mac="x",
            )
            return DonationRelease.objects.create(
                donation=donation, signature=signature, released_by=supervisor, released_at=timezone.now()
            )

    race = Race(*(insert for _ in range(SUPERVISORS))).run()
    assert sum(isinstance(o, DonationRelease) for o in race.outcomes) == 1
    assert sum(isinstance(o, IntegrityError) for o in race.outcomes) == SUPERVISORS - 1
    assert DonationRelease.objects.filter(donation=donation).count() == 1


# --- (b) a release racing what takes the donation out of acceptable --------------------------------


def test_a_release_racing_a_late_reactive_import_never_leaves_it_released_unheld(
    lab, staff, site, panel, capsys
):
    supervisor, signer = lab["supervisor"], _signer(lab["supervisor"])
    orders = {"released first": 0, "reactive first": 0}
    for trial in range(RACES):
        donation = _acceptable(lab, staff, site, trial)
        din = donation.din.din
        reactive = file_of(
            [
                line(din, "anti_hcv", "initial", "reactive", run="R8"),
                line(din, "anti_hcv", "repeat", "reactive", run="R9"),
            ]
        )
        race = Race(
            lambda d=donation: services.donations_release(actor=supervisor, signer=signer, donations=[d]),
            lambda data=reactive: services.results_import(
                actor=lab["technologist"], filename="late.csv", data=data
            ),
            stagger=(0.015 * (trial % 4), 0.0),  # an import takes longer to reach the lock than a release
        ).run()
        released, imported = race.outcomes
        assert isinstance(imported, ResultImport), f"the late reactive import failed: {imported!r}"
        testing = DonationTesting.objects.get(donation=donation)
        assert testing.status == "reactive"
        assert testing.marked_for_discard
        if isinstance(released, Signature):
            orders["released first"] += 1
            assert testing.late_reactive
            assert DonationHold.objects.filter(donation=donation, lifted_at__isnull=True).count() == 1
        else:
            orders["reactive first"] += 1
            assert isinstance(released, DomainError)
            assert "is reactive" in released.message
            assert not DonationRelease.objects.filter(donation=donation).exists()
        _released_donations_are_acceptable_or_held()
    with capsys.disabled():
        print(f"\nrelease ‖ late reactive import, {RACES} trials: {orders}")  # noqa: T201
    assert audit_verify().ok


def test_a_release_racing_a_hold_never_releases_past_a_committed_hold(lab, staff, site, panel, capsys):
    supervisor, signer = lab["supervisor"], _signer(lab["supervisor"])
    orders = {"released, then held": 0, "held, release refused": 0}
    for trial in range(RACES):
        donation = _acceptable(lab, staff, site, trial)
        race = Race(
            lambda d=donation: services.donations_release(actor=supervisor, signer=signer, donations=[d]),
            lambda d=donation: services.hold_place(actor=lab["technologist"], donation=d, reason="look-back"),
            stagger=_stagger(trial),
        ).run()
        released, hold = race.outcomes
        assert isinstance(hold, DonationHold), f"the hold failed: {hold!r}"
        assert DonationTesting.objects.get(donation=donation).status == "on_hold"
        if isinstance(released, Signature):
            orders["released, then held"] += 1
        else:
            orders["held, release refused"] += 1
            assert isinstance(released, DomainError)
            assert "on hold" in released.message
        _released_donations_are_acceptable_or_held()
    with capsys.disabled():
        print(f"\nrelease ‖ hold placement, {RACES} trials: {orders}")  # noqa: T201


def test_a_release_racing_a_hold_lift_releases_only_after_the_lift(lab, staff, site, panel, capsys):
    supervisor, signer = lab["supervisor"], _signer(lab["supervisor"])
    orders = {"lifted, then released": 0, "release refused, then lifted": 0}
    for trial in range(RACES):
        donation = _acceptable(lab, staff, site, trial)
        hold = services.hold_place(actor=lab["technologist"], donation=donation, reason="label check")
        race = Race(
            lambda d=donation: services.donations_release(actor=supervisor, signer=signer, donations=[d]),
            lambda h=hold: services.hold_lift(actor=lab["technologist"], hold=h, reason="label fine"),
            stagger=_stagger(trial),
        ).run()
        released, lifted = race.outcomes
        assert isinstance(lifted, DonationHold), f"the lift failed: {lifted!r}"
        assert DonationTesting.objects.get(donation=donation).status == "acceptable"
        if isinstance(released, Signature):
            orders["lifted, then released"] += 1
            release = DonationRelease.objects.get(donation=donation)
            assert DonationHold.objects.get(pk=hold.pk).lifted_at <= release.released_at
        else:
            orders["release refused, then lifted"] += 1
            assert isinstance(released, DomainError)
            assert "on hold" in released.message
        _released_donations_are_acceptable_or_held()
    with capsys.disabled():
        print(f"\nrelease ‖ hold lift, {RACES} trials: {orders}")  # noqa: T201


# --- (c) one file, imported at once by several people ----------------------------------------------


def _import_one_file_at_once(lab, staff, site, trial: int) -> tuple[Race, Donation, int]:
    donation = _donation(staff, site, trial)
    lines = full_panel(donation.din.din)
    data = file_of(lines)
    race = Race(
        *(
            lambda: services.results_import(actor=lab["technologist"], filename="run.csv", data=data)
            for _ in range(IMPORTERS)
        )
    ).run()
    return race, donation, len(lines)


def test_concurrent_imports_of_one_file_store_it_once(lab, staff, site, panel):
    for trial in range(TRIALS):
        race, donation, rows = _import_one_file_at_once(lab, staff, site, trial)
        imports = [o for o in race.outcomes if isinstance(o, ResultImport)]
        assert imports, f"no import succeeded: {race.outcomes!r}"
        assert all(isinstance(o, ResultImport | IntegrityError) for o in race.outcomes)
        (stored,) = ResultImport.objects.filter(results__donation=donation).distinct()
        assert {i.pk for i in imports} == {stored.pk}
        assert stored.rows == rows
        assert TestResult.objects.filter(donation=donation).count() == rows
        # the refused imports left no trace in the audit trail: one "import done" per stored import
        assert AuditEvent.objects.filter(action="lab.import.done").count() == ResultImport.objects.count()
        assert DonationTesting.objects.get(donation=donation).status == "acceptable"
    assert audit_verify().ok


def test_every_concurrent_import_of_one_file_gets_the_import_back(lab, staff, site, panel):
    for trial in range(TRIALS):
        race, _, _ = _import_one_file_at_once(lab, staff, site, trial)
        assert all(isinstance(o, ResultImport) for o in race.outcomes), race.outcomes


# --- (d) direct writes racing each other ---------------------------------------------------------


def test_two_direct_lifts_of_the_last_two_holds_at_once_leave_one_hold(lab, staff, site, panel):
    donation = _acceptable(lab, staff, site, 0)
    supervisor = lab["supervisor"]
    services.donations_release(actor=supervisor, signer=_signer(supervisor), donations=[donation])
    din = donation.din.din
    late = [line(din, "hiv_nat", "individual", "reactive", run="R9")]
    services.results_import(actor=lab["technologist"], filename="late.csv", data=file_of(late))
    services.hold_place(actor=lab["technologist"], donation=donation, reason="quality case")
    holds = list(DonationHold.objects.filter(donation=donation, lifted_at__isnull=True))
    assert len(holds) == 2
    assert DonationTesting.objects.get(donation=donation).status == "reactive"

    def lift(hold: DonationHold) -> int:
        with transaction.atomic():
            updated = DonationHold.objects.filter(pk=hold.pk).update(lifted_at=timezone.now())
            time.sleep(0.3)  # still uncommitted while the other lift arrives
        return updated

    # The second lift arrives while the first is uncommitted: the trigger makes it wait on the
    # donation's testing row, then it sees the first lift and is refused.
    race = Race(*(lambda h=hold: lift(h) for hold in holds), stagger=(0.0, 0.1)).run()
    assert any(isinstance(o, IntegrityError) for o in race.outcomes), race.outcomes
    assert DonationHold.objects.filter(donation=donation, lifted_at__isnull=True).exists()
