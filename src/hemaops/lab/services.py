"""The laboratory's writers (house style §3: one transaction each, permission-checked,
audited in the ``lab`` stream).

- ``panel_set``: the markers tested from a date.
- ``results_import``: an instrument file, whole or not at all, once (its SHA-256).
- ``result_enter`` / ``result_verify``: a result typed by hand counts once another person
  verifies it.
- ``hold_place`` / ``hold_lift``; ``donations_release``: a batch released as one signed act,
  only acceptable donations without a hold (the database refuses otherwise, migration 0002);
  ``discrepancy_resolve``: the supervisor signs the type after investigating.
- ``notification_record_done``: the donor was told.

After any new final result the donation is evaluated again (``rules.evaluate``). A reactive
result marks the donation for discard, puts the result on the donor's record (the donors
context; screening then defers by the engine's marker table) and opens a notification due in
8 weeks (21 CFR 630.40). A reactive result on a released donation does not edit history: the
donation is held and flagged for the quality officer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record, audit_record_many
from hemaops.core.models import Signature, User
from hemaops.core.signatures import RecordToSign, VerifiedSigner, signature_sign
from hemaops.donations.models import Donation
from hemaops.donations.services import record_family
from hemaops.donors import rules as donor_rules
from hemaops.donors import services as donor_services
from hemaops.lab import rules
from hemaops.lab.errors import LabError
from hemaops.lab.models import (
    DonationHold,
    DonationRelease,
    DonationTesting,
    DonorNotification,
    NatPool,
    ResultImport,
    TestPanel,
    TestResult,
)
from hemaops.lab.result_file import ParsedFile, ResultRow, parse_result_file

STREAM = "lab"
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


# --- test panels ---------------------------------------------------------------------------


@transaction.atomic
def panel_set(
    *,
    actor: User | None,
    name: str,
    markers: Iterable[str],
    effective_from: date,
    code: str = "standard",
    t_cruzi_once_per_donor: bool = True,
    babesia_states: Iterable[str] = rules.BABESIA_STATES,
    platelet_bacterial_control: str = "primary_culture",
    trali_policy: str = "hla_antibody_testing",
) -> TestPanel:
    """The markers every donation collected from ``effective_from`` is tested for."""
    require_permission(actor, "lab.manage_test_panel")
    chosen: list[str] = []
    for marker in markers:
        try:
            chosen.append(rules.Marker(marker).value)
        except ValueError:
            raise LabError(
                f"markers: unknown marker {marker!r}", code="unknown_code", field="markers"
            ) from None
    missing = sorted(m.value for m in REGULATORY_MINIMUM - {rules.Marker(m) for m in chosen})
    if missing:
        raise LabError(
            f"markers: a panel tests every donation for {', '.join(missing)} too (21 CFR 610.40(a))",
            code="below_regulatory_minimum",
            field="markers",
        )
    if TestPanel.objects.filter(effective_from=effective_from).exists():
        raise LabError(
            f"effective_from: a panel already starts on {effective_from}",
            code="duplicate",
            field="effective_from",
        )
    panel = TestPanel.objects.create(
        code=code,
        name=name.strip() or code,
        markers=sorted(set(chosen)),
        t_cruzi_once_per_donor=t_cruzi_once_per_donor,
        babesia_states=sorted({state.upper() for state in babesia_states}),
        platelet_bacterial_control=platelet_bacterial_control,
        trali_policy=trali_policy,
        effective_from=effective_from,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="lab.panel.set",
        actor=actor,
        target=panel,
        data={"new": {"markers": panel.markers, "effective_from": effective_from}},
    )
    return panel


# Every donation, 610.40(a)(1)–(2) and the typing of 640.5 (Babesia is added by state).
REGULATORY_MINIMUM = frozenset(
    {
        rules.Marker.ANTI_HIV_1_2,
        rules.Marker.HIV_NAT,
        rules.Marker.HBSAG,
        rules.Marker.ANTI_HBC,
        rules.Marker.HBV_NAT,
        rules.Marker.ANTI_HCV,
        rules.Marker.HCV_NAT,
        rules.Marker.ANTI_HTLV,
        rules.Marker.SYPHILIS,
        rules.Marker.WNV_NAT,
        rules.Marker.T_CRUZI,
        rules.Marker.ABO,
        rules.Marker.RHD,
        rules.Marker.ANTIBODY_SCREEN,
    }
)


def panel_on(day: date) -> TestPanel:
    panel = TestPanel.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if panel is None:
        raise LabError(
            f"panel: no test panel is in force on {day}; the lab supervisor sets one",
            code="no_panel",
            field="panel",
        )
    return panel


def _rules_panel(panel: TestPanel) -> rules.Panel:
    return rules.Panel(
        markers=frozenset(rules.Marker(m) for m in panel.markers),
        t_cruzi_once_per_donor=panel.t_cruzi_once_per_donor,
        babesia_states=frozenset(panel.babesia_states),
    )


# --- the testing record --------------------------------------------------------------------


def _donation_day(donation: Donation) -> date:
    return donation.screening.screened_on


def _t_cruzi_qualified(donation: Donation) -> bool:
    """A documented nonreactive T. cruzi result on an earlier donation of the same person."""
    return TestResult.objects.filter(
        donation__donor_id__in=record_family(donation.donor),
        marker=rules.Marker.T_CRUZI,
        stage=rules.Stage.INITIAL,
        reading=rules.Reading.NONREACTIVE,
        donation__started_at__lt=donation.started_at,
    ).exists()


def testing_open(donation: Donation) -> DonationTesting:
    """The donation's testing record, opened with the panel of its day and the markers it
    needs (frozen then: a later panel does not change what this donation needed)."""
    existing = DonationTesting.objects.filter(donation=donation).first()
    if existing is not None:
        return existing
    panel = panel_on(_donation_day(donation))
    required = rules.required_markers(
        _rules_panel(panel),
        procedure=donation.procedure,
        collection_state=donation.site.region,
        donor_qualified_for_t_cruzi=_t_cruzi_qualified(donation),
    )
    try:
        with transaction.atomic():
            return DonationTesting.objects.create(
                donation=donation,
                panel=panel,
                required_markers=sorted(m.value for m in required),
                bacterial_control=panel.platelet_bacterial_control
                if donation.procedure == "platelets"
                else "",
                evaluated_at=timezone.now(),
            )
    except IntegrityError:
        return DonationTesting.objects.get(donation=donation)


def _final_results(donation_ids: Sequence[int]) -> dict[int, list[rules.Result]]:
    results: dict[int, list[rules.Result]] = defaultdict(list)
    rows = (
        TestResult.objects.filter(donation_id__in=donation_ids)
        .filter(Q(source_import__isnull=False) | Q(verified_at__isnull=False))
        .order_by("tested_at", "pk")
        .values_list("donation_id", "marker", "stage", "reading", "value")
    )
    for donation_id, marker, stage, reading, value in rows:
        results[donation_id].append(
            rules.Result(rules.Marker(marker), rules.Stage(stage), rules.Reading(reading), value)
        )
    return results


def _history_type(donation: Donation) -> rules.BloodType | None:
    donor = donation.donor
    if donor.abo_on_record and donor.rhd_on_record:
        return rules.BloodType(donor.abo_on_record, donor.rhd_on_record)
    return None


@dataclass
class _Reevaluated:
    testing: DonationTesting
    evaluation: rules.Evaluation


def _reevaluate(
    actor: User | None, donations: Sequence[Donation], events: list[PendingEvent]
) -> list[_Reevaluated]:
    """Evaluate the donations again from their final results; keep status, typing and the
    consequences of new reactive results. Locks the testing rows (a release waits)."""
    testings = {
        t.donation_id: t
        for t in DonationTesting.objects.select_for_update()
        .filter(donation__in=[d.pk for d in donations])
        .order_by("pk")
    }
    results = _final_results([d.pk for d in donations])
    active_holds = set(
        DonationHold.objects.filter(
            donation__in=[d.pk for d in donations], lifted_at__isnull=True
        ).values_list("donation_id", flat=True)
    )
    released = set(
        DonationRelease.objects.filter(donation__in=[d.pk for d in donations]).values_list(
            "donation_id", flat=True
        )
    )
    outcomes: list[_Reevaluated] = []
    for donation in donations:
        testing = testings[donation.pk]
        resolved = (
            rules.BloodType(testing.discrepancy_resolved_abo, testing.discrepancy_resolved_rhd)
            if testing.discrepancy_resolved_abo
            else None
        )
        evaluation = rules.evaluate(
            required=frozenset(rules.Marker(m) for m in testing.required_markers),
            results=results.get(donation.pk, []),
            history=_history_type(donation),
            on_hold=donation.pk in active_holds,
            discrepancy_resolved_as=resolved,
        )
        if evaluation.status is rules.TestingStatus.REACTIVE and donation.pk in released:
            if donation.pk not in active_holds:
                # A late reactive result: history stays, the donation is held and flagged.
                hold = DonationHold.objects.create(
                    donation=donation,
                    reason=f"late reactive result after release: {', '.join(evaluation.reasons)}",
                    placed_by=actor,
                    placed_at=timezone.now(),
                )
                active_holds.add(donation.pk)
                events.append(PendingEvent("lab.hold.placed", hold, {"new": {"reason": hold.reason}}))
            testing.late_reactive = True
        old_status = testing.status
        testing.status = evaluation.status.value
        testing.reasons = list(evaluation.reasons)
        if evaluation.typing.blood_type is not None:
            testing.abo, testing.rhd = evaluation.typing.blood_type.abo, evaluation.typing.blood_type.rhd
        testing.antibody_screen = evaluation.antibody_screen
        testing.marked_for_discard = testing.marked_for_discard or bool(evaluation.reactive_markers)
        testing.evaluated_at = timezone.now()
        testing.save(
            update_fields=[
                "status",
                "reasons",
                "abo",
                "rhd",
                "antibody_screen",
                "marked_for_discard",
                "late_reactive",
                "evaluated_at",
            ]
        )
        if old_status != testing.status:
            events.append(
                PendingEvent(
                    "lab.testing.evaluated",
                    testing,
                    {
                        "old": {"status": old_status},
                        "new": {"status": testing.status, "reasons": testing.reasons},
                    },
                )
            )
        outcomes.append(_Reevaluated(testing, evaluation))
    for outcome in outcomes:
        _consequences(actor, outcome, events)
    return outcomes


def _consequences(actor: User | None, outcome: _Reevaluated, events: list[PendingEvent]) -> None:
    """A reactive result: on the donor's record (screening defers by the marker table) and a
    notification due in 8 weeks. A first concordant typing goes on the donor's record."""
    testing, evaluation = outcome.testing, outcome.evaluation
    donation = testing.donation
    today = timezone.localdate()
    for marker in evaluation.reactive_markers:
        status = evaluation.markers[marker]
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
                    {"new": {"marker": marker.value, "result": status.value, "due_on": notification.due_on}},
                )
            )
    typed = evaluation.typing.blood_type
    donor = donation.donor
    if (
        typed is not None
        and evaluation.typing.status is rules.TypingStatus.CONCORDANT
        and not (donor.abo_on_record and donor.rhd_on_record)
    ):
        donor_services.donor_blood_group_record(
            actor=actor, donor=donor, abo=typed.abo, rhd=typed.rhd, recorded_on=today
        )


def _donations_by_din(dins: Iterable[str]) -> dict[str, Donation]:
    return {
        d.din.din: d
        for d in Donation.objects.filter(din__din__in=set(dins)).select_related(
            "din", "donor", "site", "screening"
        )
    }


# --- results: import, entry, verification ----------------------------------------------------


class ResultFileRefusedError(LabError):
    """The file is refused whole; ``errors`` lists every line and field at fault."""

    def __init__(self, errors: Sequence[tuple[int, str, str]]) -> None:
        first = errors[0]
        super().__init__(
            f"file: refused, {len(errors)} error(s); line {first[0]}, {first[1]}: {first[2]}",
            code="file_refused",
            field="file",
        )
        self.errors = list(errors)


@transaction.atomic
def results_import(*, actor: User | None, filename: str, data: bytes) -> ResultImport:
    """Import an instrument export whole or not at all. The same file a second time returns
    the first import and changes nothing."""
    require_permission(actor, "lab.import_results")
    parsed: ParsedFile = parse_result_file(data)
    previous = ResultImport.objects.filter(sha256=parsed.sha256).first()
    if previous is not None:
        return previous
    errors = [(e.line, e.field, e.message) for e in parsed.errors]
    donations = _donations_by_din(row.din for row in parsed.rows)
    errors += _row_errors(parsed.rows, donations)
    if errors:
        raise ResultFileRefusedError(sorted(errors))
    for donation in donations.values():
        testing_open(donation)
    now = timezone.now()
    batch = ResultImport.objects.create(
        sha256=parsed.sha256,
        filename=filename[:255],
        instrument=", ".join(sorted({row.instrument for row in parsed.rows if row.instrument}))[:100],
        rows=len(parsed.rows),
        imported_by=actor,
        imported_at=now,
    )
    pools = _pools(parsed.rows, donations, now)
    results = TestResult.objects.bulk_create(
        [
            TestResult(
                donation=donations[row.din],
                marker=row.marker.value,
                stage=row.stage.value,
                reading=row.reading.value,
                value=row.value,
                instrument=row.instrument,
                run_id=row.run_id,
                tested_at=row.tested_at,
                pool=pools.get(row.pool_id) if row.pool_id else None,
                source_import=batch,
                entered_by=actor,
                entered_at=now,
            )
            for row in parsed.rows
        ],
        batch_size=2000,
    )
    events = [
        PendingEvent(
            "lab.result.imported",
            ("lab.testresult", result.pk),
            {
                "new": {
                    "din": row.din,
                    "marker": row.marker.value,
                    "stage": row.stage.value,
                    "reading": row.reading.value,
                }
            },
        )
        for result, row in zip(results, parsed.rows, strict=True)
    ]
    _reevaluate(actor, list(donations.values()), events)
    events.append(PendingEvent("lab.import.done", batch, {"new": {"file": filename, "rows": batch.rows}}))
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return batch


def _row_errors(rows: Sequence[ResultRow], donations: dict[str, Donation]) -> list[tuple[int, str, str]]:
    """Unknown DINs, markers the donation's panel does not test, results for a released
    donation that are not a late reactive (they would rewrite a released record)."""
    errors: list[tuple[int, str, str]] = []
    testings = {
        t.donation_id: t
        for t in DonationTesting.objects.filter(donation__in=[d.pk for d in donations.values()])
    }
    panels: dict[date, TestPanel | None] = {}
    now = timezone.now()
    for row in rows:
        donation = donations.get(row.din)
        if donation is None:
            errors.append((row.line, "din", f"no donation has DIN {row.din}"))
            continue
        if row.tested_at > now:
            errors.append((row.line, "tested_at", f"{row.tested_at.isoformat()} is in the future"))
        elif row.tested_at < donation.started_at:
            errors.append(
                (row.line, "tested_at", f"{row.tested_at.isoformat()} is before {row.din} was collected")
            )
        testing = testings.get(donation.pk)
        if testing is not None:
            required = set(testing.required_markers)
        else:
            day = _donation_day(donation)
            if day not in panels:
                panels[day] = (
                    TestPanel.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
                )
            panel = panels[day]
            if panel is None:
                errors.append((row.line, "din", f"no test panel is in force on {day}, the day of {row.din}"))
                continue
            required = set(panel.markers) | {rules.Marker.BABESIA_NAT.value}
        if row.marker.value not in required:
            errors.append((row.line, "marker", f"{row.marker.value} is not in the panel of {row.din}"))
    return errors


def _pools(rows: Sequence[ResultRow], donations: dict[str, Donation], now: datetime) -> dict[str, NatPool]:
    members: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.pool_id:
            members[row.pool_id].add(donations[row.din].pk)
    pools: dict[str, NatPool] = {}
    for pool_id, donation_ids in members.items():
        pool, _ = NatPool.objects.get_or_create(pool_id=pool_id, defaults={"created_at": now})
        pool.donations.add(*donation_ids)
        pools[pool_id] = pool
    return pools


def _donation_locked(donation: Donation) -> Donation:
    return Donation.objects.select_related("din", "donor", "site", "screening").get(pk=donation.pk)


@transaction.atomic
def result_enter(
    *,
    actor: User,
    donation: Donation,
    marker: str,
    stage: str,
    reading: str,
    value: str = "",
    tested_at: datetime | None = None,
    instrument: str = "",
    run_id: str = "",
) -> TestResult:
    """A result typed by hand: it counts once another person verifies it."""
    require_permission(actor, "lab.enter_result")
    donation = _donation_locked(donation)
    testing = testing_open(donation)
    try:
        chosen = rules.Result(rules.Marker(marker), rules.Stage(stage), rules.Reading(reading), value.strip())
    except ValueError as error:
        field = "marker" if "Marker" in str(error) else "stage" if "Stage" in str(error) else "reading"
        raise LabError(f"{field}: {error}", code="unknown_code", field=field) from None
    if chosen.marker.value not in testing.required_markers:
        raise LabError(
            f"marker: {marker} is not in the panel of {donation.din.din}", code="not_in_panel", field="marker"
        )
    moment = tested_at or timezone.now()
    if moment > timezone.now():
        raise LabError("tested_at: in the future", code="future_time", field="tested_at")
    result = TestResult.objects.create(
        donation=donation,
        marker=chosen.marker.value,
        stage=chosen.stage.value,
        reading=chosen.reading.value,
        value=chosen.value,
        instrument=instrument,
        run_id=run_id,
        tested_at=moment,
        entered_by=actor,
        entered_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="lab.result.entered",
        actor=actor,
        target=result,
        data={
            "new": {
                "din": donation.din.din,
                "marker": marker,
                "stage": stage,
                "reading": reading,
                "value": value,
            }
        },
    )
    return result


@transaction.atomic
def result_verify(*, actor: User, result: TestResult) -> TestResult:
    """A second person confirms a hand-entered result; then it counts."""
    require_permission(actor, "lab.verify_result")
    result = TestResult.objects.select_for_update().get(pk=result.pk)
    if result.source_import_id is not None or result.verified_at is not None:
        raise LabError("result: already final", code="already_final", field="result")
    if result.entered_by_id == actor.pk:
        raise LabError(
            "result: the person who entered a result cannot verify it", code="same_person", field="result"
        )
    result.verified_by, result.verified_at = actor, timezone.now()
    result.save(update_fields=["verified_by", "verified_at"])
    events = [PendingEvent("lab.result.verified", result, {"new": {"verified_by": actor.get_username()}})]
    _reevaluate(actor, [_donation_locked(result.donation)], events)
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return result


# --- holds, release, discrepancies ------------------------------------------------------------


@transaction.atomic
def hold_place(*, actor: User | None, donation: Donation, reason: str) -> DonationHold:
    require_permission(actor, "lab.place_hold")
    if not reason.strip():
        raise LabError("reason: say why the donation is held", code="required", field="reason")
    donation = _donation_locked(donation)
    testing_open(donation)
    hold = DonationHold.objects.create(
        donation=donation, reason=reason.strip(), placed_by=actor, placed_at=timezone.now()
    )
    events = [
        PendingEvent("lab.hold.placed", hold, {"new": {"din": donation.din.din, "reason": hold.reason}})
    ]
    _reevaluate(actor, [donation], events)
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return hold


@transaction.atomic
def hold_lift(*, actor: User | None, hold: DonationHold, reason: str) -> DonationHold:
    require_permission(actor, "lab.place_hold")
    if not reason.strip():
        raise LabError("reason: say why the hold is lifted", code="required", field="reason")
    hold = DonationHold.objects.select_for_update().get(pk=hold.pk)
    if hold.lifted_at is not None:
        raise LabError("hold: already lifted", code="already_lifted", field="hold")
    donation = _donation_locked(hold.donation)
    testing = DonationTesting.objects.select_for_update().get(donation=donation)
    others = (
        DonationHold.objects.filter(donation=donation, lifted_at__isnull=True).exclude(pk=hold.pk).exists()
    )
    if (
        testing.status != rules.TestingStatus.ON_HOLD
        and testing.status != rules.TestingStatus.ACCEPTABLE
        and DonationRelease.objects.filter(donation=donation).exists()
        and not others
    ):
        raise LabError(
            f"hold: {donation.din.din} is released and {testing.status}; its hold stays (quality decides)",
            code="released_not_acceptable",
            field="hold",
        )
    hold.lifted_by, hold.lifted_at, hold.lift_reason = actor, timezone.now(), reason.strip()
    hold.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
    events = [PendingEvent("lab.hold.lifted", hold, {"new": {"reason": hold.lift_reason}})]
    _reevaluate(actor, [donation], events)
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return hold


def _release_content(testing: DonationTesting) -> dict[str, Any]:
    return {
        "din": testing.donation.din.din,
        "status": testing.status,
        "abo": testing.abo,
        "rhd": testing.rhd,
        "required_markers": testing.required_markers,
    }


@transaction.atomic
def donations_release(
    *, actor: User, signer: VerifiedSigner, donations: Sequence[Donation], reason: str = ""
) -> Signature:
    """Release one donation or a batch as one signed act (meaning ``released``). Refused
    whole, naming each DIN and why, unless every donation is acceptable, not held and not
    released yet."""
    require_permission(actor, "lab.release_donation")
    if signer.user.pk != actor.pk:
        raise LabError("signer: the person releasing signs", code="signer_mismatch", field="signer")
    if not donations:
        raise LabError("donations: choose the donations to release", code="required", field="donations")
    testings = list(
        DonationTesting.objects.select_for_update()
        .select_related("donation__din")
        .filter(donation__in=[d.pk for d in donations])
        .order_by("pk")
    )
    by_donation = {t.donation_id: t for t in testings}
    held = set(
        DonationHold.objects.filter(donation__in=list(by_donation), lifted_at__isnull=True).values_list(
            "donation_id", flat=True
        )
    )
    released = set(
        DonationRelease.objects.filter(donation__in=list(by_donation)).values_list("donation_id", flat=True)
    )
    problems = []
    for donation in donations:
        testing = by_donation.get(donation.pk)
        if testing is None:
            problems.append(f"{donation.din.din} has no results")
        elif donation.pk in released:
            problems.append(f"{donation.din.din} is released already")
        elif donation.pk in held:
            problems.append(f"{donation.din.din} is on hold")
        elif testing.status != rules.TestingStatus.ACCEPTABLE:
            problems.append(f"{donation.din.din} is {testing.status.replace('_', ' ')}")
    if problems:
        raise LabError(
            f"donations: release refused — {'; '.join(problems)}", code="not_releasable", field="donations"
        )
    signature = signature_sign(
        signer=signer,
        meaning=Signature.Meaning.RELEASED,
        records=[RecordToSign.of(t.donation, _release_content(t)) for t in testings],
        reason=reason,
        stream=STREAM,
    )
    now = timezone.now()
    rows = DonationRelease.objects.bulk_create(
        [
            DonationRelease(
                donation_id=t.donation_id, signature=signature, released_by=actor, released_at=now
            )
            for t in testings
        ]
    )
    audit_record_many(
        stream=STREAM,
        actor=actor,
        events=[
            PendingEvent(
                "lab.donation.released", row, {"new": {"din": t.donation.din.din, "signature": signature.pk}}
            )
            for row, t in zip(rows, testings, strict=True)
        ],
    )
    return signature


@transaction.atomic
def discrepancy_resolve(
    *, actor: User, signer: VerifiedSigner, donation: Donation, abo: str, rhd: str, reason: str
) -> DonationTesting:
    """After investigating an ABO/RhD discrepancy the supervisor signs the donation's type
    (meaning ``approved``); the donor's record takes it."""
    require_permission(actor, "lab.resolve_discrepancy")
    if signer.user.pk != actor.pk:
        raise LabError("signer: the person resolving signs", code="signer_mismatch", field="signer")
    if abo not in rules.ABO_GROUPS:
        raise LabError(f"abo: {abo!r} is not an ABO group", code="unknown_code", field="abo")
    if rhd not in {"pos", "neg"}:
        raise LabError(f"rhd: {rhd!r} is not pos or neg", code="unknown_code", field="rhd")
    if not reason.strip():
        raise LabError("reason: say what the investigation found", code="required", field="reason")
    donation = _donation_locked(donation)
    testing = DonationTesting.objects.select_for_update().get(donation=donation)
    if testing.status != rules.TestingStatus.DISCREPANCY:
        raise LabError(
            f"donation: {donation.din.din} has no ABO/RhD discrepancy to resolve",
            code="no_discrepancy",
            field="donation",
        )
    signature = signature_sign(
        signer=signer,
        meaning=Signature.Meaning.APPROVED,
        records=[
            RecordToSign.of(donation, {"din": donation.din.din, "abo": abo, "rhd": rhd, "reason": reason})
        ],
        reason=reason,
        stream=STREAM,
    )
    testing.discrepancy_resolved_abo, testing.discrepancy_resolved_rhd = abo, rhd
    testing.discrepancy_signature = signature
    testing.save(
        update_fields=["discrepancy_resolved_abo", "discrepancy_resolved_rhd", "discrepancy_signature"]
    )
    donor_services.donor_blood_group_record(
        actor=actor, donor=donation.donor, abo=abo, rhd=rhd, recorded_on=timezone.localdate()
    )
    donation.donor.refresh_from_db()
    events = [
        PendingEvent("lab.discrepancy.resolved", testing, {"new": {"abo": abo, "rhd": rhd, "reason": reason}})
    ]
    _reevaluate(actor, [donation], events)
    audit_record_many(stream=STREAM, actor=actor, events=events)
    testing.refresh_from_db()
    return testing


@transaction.atomic
def notification_record_done(*, actor: User, notification: DonorNotification, how: str) -> DonorNotification:
    require_permission(actor, "lab.notify_donor")
    if not how.strip():
        raise LabError("how: say how the donor was told", code="required", field="how")
    notification = DonorNotification.objects.select_for_update().get(pk=notification.pk)
    if notification.done_at is not None:
        raise LabError("notification: already recorded", code="already_done", field="notification")
    notification.done_at, notification.done_by, notification.how = timezone.now(), actor, how.strip()
    notification.save(update_fields=["done_at", "done_by", "how"])
    audit_record(
        stream=STREAM,
        action="lab.notification.done",
        actor=actor,
        target=notification,
        data={"new": {"how": notification.how}},
    )
    return notification
