"""The evaluation again of donations after any new final result, hold, lift, resolved
discrepancy or special test (``rules.evaluate``), shared by the result, release and special test
services: ``_reevaluate`` keeps each donation's status and typing and its consequences. A reactive
result marks the donation for discard, goes on the donor's record (screening then defers by the
engine's marker table) and opens a notification due in 8 weeks (21 CFR 630.40); a first
concordant typing goes on the donor's record; a late result that leaves a released donation not
acceptable does not edit history: the donation is held (a reactive one flagged for the quality
officer).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from hemaops.core.audit import PendingEvent
from hemaops.core.models import User
from hemaops.donations.models import Donation
from hemaops.donors import rules as donor_rules
from hemaops.donors import services as donor_services
from hemaops.donors.models import Donor, DonorMarkerResult
from hemaops.lab import rules
from hemaops.lab.models import DonationHold, DonationRelease, DonationTesting, DonorNotification, TestResult

NOTIFY_WITHIN = timedelta(weeks=8)  # 21 CFR 630.40(a)

# The lab's markers as the eligibility engine's marker table names them.
ENGINE_MARKER: dict[rules.Marker, donor_rules.Marker] = {
    rules.Marker.ANTI_HIV_1_2: donor_rules.Marker.HIV,
    rules.Marker.HIV_NAT: donor_rules.Marker.HIV,
    rules.Marker.HBSAG: donor_rules.Marker.HBSAG,
    rules.Marker.ANTI_HBC: donor_rules.Marker.ANTI_HBC,
    rules.Marker.HBV_NAT: donor_rules.Marker.HBV_NAT,
    rules.Marker.ANTI_HCV: donor_rules.Marker.HCV,
    rules.Marker.HCV_NAT: donor_rules.Marker.HCV,
    rules.Marker.ANTI_HTLV: donor_rules.Marker.HTLV,
    rules.Marker.SYPHILIS: donor_rules.Marker.SYPHILIS,
    rules.Marker.WNV_NAT: donor_rules.Marker.WNV,
    rules.Marker.T_CRUZI: donor_rules.Marker.CHAGAS,
    rules.Marker.BABESIA_NAT: donor_rules.Marker.BABESIA,
}
ENGINE_RESULT: dict[rules.MarkerStatus, donor_rules.MarkerResult] = {
    rules.MarkerStatus.REPEATEDLY_REACTIVE: donor_rules.MarkerResult.REPEATEDLY_REACTIVE,
    rules.MarkerStatus.NAT_REACTIVE: donor_rules.MarkerResult.NAT_REACTIVE,
    rules.MarkerStatus.CONFIRMED_POSITIVE: donor_rules.MarkerResult.CONFIRMED_POSITIVE,
}


# A final result with what orders it: when it was tested, then its id.
_Timed = tuple[datetime, int, rules.Result]


@dataclass(frozen=True)
class _JustImported:
    """The results an import has just stored, by donation, so they are not read back."""

    batch_id: int
    by_donation: dict[int, list[_Timed]]


def _final_results(
    donation_ids: Sequence[int], just_imported: _JustImported | None = None
) -> dict[int, list[rules.Result]]:
    """Each donation's final results in the order they were tested. An import passes the
    rows it has just stored (final by construction) so they are not read back; only the
    donations' earlier results are read."""
    timed: dict[int, list[_Timed]] = defaultdict(list)
    rows = TestResult.objects.filter(donation_id__in=donation_ids).filter(
        Q(source_import__isnull=False) | Q(verified_at__isnull=False)
    )
    if just_imported is not None:
        rows = rows.exclude(source_import_id=just_imported.batch_id)
        for donation_id, items in just_imported.by_donation.items():
            timed[donation_id].extend(items)
    for donation_id, pk, tested_at, marker, stage, reading, value in rows.values_list(
        "donation_id", "pk", "tested_at", "marker", "stage", "reading", "value"
    ):
        timed[donation_id].append(
            (
                tested_at,
                pk,
                rules.Result(rules.Marker(marker), rules.Stage(stage), rules.Reading(reading), value),
            )
        )
    return {
        donation_id: [r for _, _, r in sorted(items, key=lambda item: item[:2])]
        for donation_id, items in timed.items()
    }


def _history_type(donation: Donation) -> rules.BloodType | None:
    donor = donation.donor
    if donor.abo_on_record and donor.rhd_on_record:
        return rules.BloodType(donor.abo_on_record, donor.rhd_on_record)
    return None


@dataclass
class _Reevaluated:
    testing: DonationTesting
    evaluation: rules.Evaluation
    status_before: str

    @property
    def status_changed(self) -> bool:
        return self.status_before != self.testing.status


def _evaluate(
    testing: DonationTesting, donation: Donation, results: dict[int, list[rules.Result]], *, on_hold: bool
) -> rules.Evaluation:
    resolved = (
        rules.BloodType(testing.discrepancy_resolved_abo, testing.discrepancy_resolved_rhd)
        if testing.discrepancy_resolved_abo
        else None
    )
    return rules.evaluate(
        required=frozenset(rules.Marker(m) for m in testing.required_markers),
        results=results.get(donation.pk, []),
        history=_history_type(donation),
        on_hold=on_hold,
        discrepancy_resolved_as=resolved,
        special_required=frozenset(testing.required_special_tests),
        special_done=frozenset(testing.special_tests),
    )


def _reevaluate(
    actor: User | None,
    donations: Sequence[Donation],
    events: list[PendingEvent],
    *,
    status_events: bool = True,
    just_imported: _JustImported | None = None,
    lifting: int | None = None,
) -> list[_Reevaluated]:
    """Evaluate the donations again from their final results; keep status, typing and the
    consequences of reactive results. Locks the testing rows (a release waits). The
    donations come with their DIN, donor, site and screening loaded."""
    by_id = {donation.pk: donation for donation in donations}
    testings = list(
        DonationTesting.objects.select_for_update().filter(donation__in=list(by_id)).order_by("pk")
    )
    results = _final_results(list(by_id), just_imported)
    holds = DonationHold.objects.filter(donation__in=list(by_id), lifted_at__isnull=True)
    if lifting is not None:
        holds = holds.exclude(pk=lifting)  # the hold being lifted no longer counts
    active_holds = set(holds.values_list("donation_id", flat=True))
    released = set(
        DonationRelease.objects.filter(donation__in=list(by_id)).values_list("donation_id", flat=True)
    )
    outcomes: list[_Reevaluated] = []
    changed: list[DonationTesting] = []
    now = timezone.now()
    for testing in testings:
        donation = testing.donation = by_id[testing.donation_id]
        evaluation = _evaluate(testing, donation, results, on_hold=donation.pk in active_holds)
        if (
            donation.pk in released
            and donation.pk not in active_holds
            and evaluation.status is not rules.TestingStatus.ACCEPTABLE
        ):
            # A late result leaves a released donation not acceptable: history stays, the
            # donation is held (reactive ones flagged for the quality officer).
            hold = DonationHold.objects.create(
                donation=donation,
                reason=f"late result after release: {', '.join(evaluation.reasons)}",
                placed_by=actor,
                placed_at=now,
            )
            active_holds.add(donation.pk)
            events.append(PendingEvent("lab.hold.placed", hold, {"new": {"reason": hold.reason}}))
            evaluation = _evaluate(testing, donation, results, on_hold=True)
        if evaluation.status is rules.TestingStatus.REACTIVE and donation.pk in released:
            testing.late_reactive = True
        before = (testing.status, testing.reasons, testing.abo, testing.rhd, testing.antibody_screen)
        testing.status = evaluation.status.value
        testing.reasons = list(evaluation.reasons)
        if evaluation.typing.blood_type is not None:
            testing.abo, testing.rhd = evaluation.typing.blood_type.abo, evaluation.typing.blood_type.rhd
        testing.antibody_screen = evaluation.antibody_screen
        testing.marked_for_discard = testing.marked_for_discard or bool(evaluation.reactive_markers)
        testing.evaluated_at = now
        changed.append(testing)
        outcome = _Reevaluated(testing, evaluation, before[0])
        if status_events and outcome.status_changed:
            events.append(
                PendingEvent(
                    "lab.testing.evaluated",
                    testing,
                    {
                        "old": {"status": before[0]},
                        "new": {"status": testing.status, "reasons": testing.reasons},
                    },
                )
            )
        outcomes.append(outcome)
    _testings_save(changed)
    _consequences(actor, outcomes, events)
    return outcomes


def _testings_save(testings: Sequence[DonationTesting]) -> None:
    """One parameterised UPDATE per row, sent as a batch. Written out because Django's
    ``bulk_update`` builds a CASE expression per field and row in Python, which took most of a
    6,600-donation import (bench/lab_import.py); the row triggers fire the same either way."""
    table = DonationTesting._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, reasons = %s, abo = %s, rhd = %s, antibody_screen = %s, "  # noqa: S608
            "marked_for_discard = %s, late_reactive = %s, evaluated_at = %s WHERE id = %s",
            [
                (
                    t.status,
                    json.dumps(t.reasons),
                    t.abo,
                    t.rhd,
                    t.antibody_screen,
                    t.marked_for_discard,
                    t.late_reactive,
                    t.evaluated_at,
                    t.pk,
                )
                for t in testings
            ],
        )


def _consequences(actor: User | None, outcomes: Sequence[_Reevaluated], events: list[PendingEvent]) -> None:
    """A reactive result goes on the donor's record (screening defers by the marker table)
    with a notification due in 8 weeks; a first concordant typing goes on the donor's record."""
    today = timezone.localdate()
    first_typings: list[tuple[Donor, str, str]] = []
    reactive_dins = [o.testing.donation.din.din for o in outcomes if o.evaluation.reactive_markers]
    on_record = set(
        DonorMarkerResult.objects.filter(din__in=reactive_dins).values_list("din", "marker", "result")
    )
    for outcome in outcomes:
        testing, evaluation = outcome.testing, outcome.evaluation
        donation = testing.donation
        for marker in evaluation.reactive_markers:
            status = evaluation.markers[marker]
            engine = (donation.din.din, ENGINE_MARKER[marker].value, ENGINE_RESULT[status].value)
            if engine in on_record:
                continue  # on the donor's record already (a hold or a later run re-evaluates)
            donor_services.donor_marker_result_record(
                actor=actor,
                donor=donation.donor,
                tested_on=today,
                marker=ENGINE_MARKER[marker].value,
                result=ENGINE_RESULT[status].value,
                din=donation.din.din,
            )
            notification, created = DonorNotification.objects.get_or_create(
                donation=donation,
                marker=marker.value,
                defaults={
                    "donor": donation.donor,
                    "result": status.value,
                    "due_on": today + NOTIFY_WITHIN,
                    "created_at": timezone.now(),
                },
            )
            if created:
                events.append(
                    PendingEvent(
                        "lab.notification.due",
                        notification,
                        {
                            "new": {
                                "marker": marker.value,
                                "result": status.value,
                                "due_on": notification.due_on,
                            }
                        },
                    )
                )
        typed = evaluation.typing.blood_type
        donor = donation.donor
        if (
            typed is not None
            and evaluation.typing.status is rules.TypingStatus.CONCORDANT
            and not (donor.abo_on_record and donor.rhd_on_record)
        ):
            first_typings.append((donor, typed.abo, typed.rhd))
    if first_typings:
        donor_services.donor_blood_groups_record(actor=actor, typed=first_typings, recorded_on=today)
