"""Screening: the eligibility engine's case assembled from the donor, its merged history, its
deferrals and markers and the day's answers and vitals; the live decision (saves nothing); the
recorded screening with the deferral a deferring decision puts on the donor's record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.business_dates import business_time_resolve
from hemaops.core.errors import DomainError
from hemaops.core.models import Site, User
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import Drive
from hemaops.donations.models.collection import Donation, DonorDeferral, Screening
from hemaops.donations.service_support import STREAM, _collection_allowed, _procedure, _site_day
from hemaops.donors import rules
from hemaops.donors.models import Donor, DonorMarkerResult
from hemaops.donors.selectors import donor_type_current_by_donor, eligibility_configuration_on
from hemaops.donors.validation import CaseError, _code, _date, _measurement, _not_after, _number, _vitals

_DEFERRAL_KINDS = {
    rules.Outcome.INELIGIBLE_TEMPORARY.value: DonorDeferral.Kind.TEMPORARY,
    rules.Outcome.INELIGIBLE_INDEFINITE.value: DonorDeferral.Kind.INDEFINITE,
    rules.Outcome.INELIGIBLE_PERMANENT.value: DonorDeferral.Kind.PERMANENT,
}
# The donation type a donor's type implies (every other donor gives allogeneic units).
DONATION_TYPE_OF_DONOR = {"autologous": "autologous", "directed": "directed"}


def _case_error(error: CaseError, prefix: str = "") -> DonationsError:
    field = error.field or ""
    if prefix and not field.startswith(prefix):
        field = f"{prefix}{field}"
    message = error.message
    if error.field and message.startswith(f"{error.field}:"):
        message = f"{field}:{message[len(error.field) + 1 :]}"
    return DonationsError(message, code=error.code, field=field or None)


def jurisdiction_of(country: str, region: str) -> str:
    """The eligibility configuration's jurisdiction of an address: "US-CA" for a US state,
    else "other"."""
    region = region.strip().upper()
    if country == "US" and len(region) == 2 and region.isalpha():
        return f"US-{region}"
    return "other"


def _jurisdiction(site: Site) -> str:
    return jurisdiction_of(site.country, site.region)


def _parse_vitals(raw: Mapping[str, Any]) -> tuple[rules.Vitals, float | None]:
    if not isinstance(raw, Mapping):
        raise DonationsError("vitals: expected an object", code="invalid_type", field="vitals")
    document = dict(raw)
    height = document.pop("height_cm", None)
    try:
        vitals = _vitals(document)
        height_cm = _measurement({"height_cm": height}, "height_cm", "vitals")
    except CaseError as error:
        raise _case_error(error) from error
    return vitals, height_cm


def _parse_answers(raw: Sequence[Mapping[str, Any]], on: date) -> tuple[rules.Event, ...]:
    events = []
    for index, entry in enumerate(raw):
        prefix = f"answers[{index}]"
        try:
            if not isinstance(entry, Mapping):
                raise CaseError("invalid_type", f"{prefix}: expected an object", prefix)
            code = _code(rules.EventCode, entry.get("code"), f"{prefix}.code")
            day = _not_after(_date(entry.get("date"), f"{prefix}.date"), on, f"{prefix}.date")
            hours = entry.get("hours")
            if code is rules.EventCode.INCARCERATION_RELEASED:
                hours = _number(hours, f"{prefix}.hours")
            elif hours is not None:
                raise CaseError("invalid_value", f"{prefix}.hours: only for incarceration_released", prefix)
        except CaseError as error:
            raise _case_error(error) from error
        events.append(rules.Event(code=code, date=day, hours=hours))
    return tuple(events)


def record_families(donor_ids: Iterable[int]) -> dict[int, set[int]]:
    """Each donor with every duplicate merged into it, also through earlier merges: one
    person's history is the union of these records (a merge keeps both histories). A few
    queries however many donors."""
    families = {donor_id: {donor_id} for donor_id in donor_ids}
    owner = {donor_id: donor_id for donor_id in families}
    frontier = set(families)
    while frontier:
        merged = Donor.objects.filter(merged_into__in=frontier).values_list("pk", "merged_into_id")
        frontier = set()
        for duplicate, survivor in merged:
            owner[duplicate] = owner[survivor]
            families[owner[survivor]].add(duplicate)
            frontier.add(duplicate)
    return families


def record_family(donor: Donor) -> set[int]:
    return record_families([donor.pk])[donor.pk]


def _donor_history(donor: Donor) -> tuple[rules.PriorDonation, ...]:
    """Earlier donations of the donor and of the duplicates merged into it."""
    return tuple(
        rules.PriorDonation(
            date=_site_day(donation.started_at, donation.site), procedure=rules.Procedure(donation.procedure)
        )
        for donation in Donation.objects.filter(donor_id__in=record_family(donor)).select_related("site")
    )


def _recorded_deferrals(donor: Donor) -> tuple[rules.RecordedDeferral, ...]:
    """Deferrals on the donor's record and on the duplicates merged into it: a deferral
    recorded under a duplicate still defers the person."""
    return tuple(
        rules.RecordedDeferral(kind=rules.DeferralKind(row.kind), code=row.code, until=row.until)
        for row in DonorDeferral.objects.filter(donor_id__in=record_family(donor)).order_by("pk")
    )


def marker_history(donor: Donor) -> tuple[rules.MarkerRecord, ...]:
    """Test results on the record of the donor and its merged duplicates (written by the
    laboratory): the engine defers by its marker table."""
    return tuple(
        rules.MarkerRecord(
            date=row.tested_on, marker=rules.Marker(row.marker), result=rules.MarkerResult(row.result)
        )
        for row in DonorMarkerResult.objects.filter(donor_id__in=record_family(donor)).order_by(
            "tested_on", "pk"
        )
    )


@dataclass(frozen=True)
class ScreeningCase:
    case: rules.Case
    decision: rules.Decision
    answers: list[dict[str, Any]]
    vitals: dict[str, Any]


def screening_evaluate(
    *,
    donor: Donor,
    site: Site,
    on: date,
    procedure: str,
    vitals: Mapping[str, Any],
    answers: Sequence[Mapping[str, Any]] = (),
    donation_type: str | None = None,
) -> ScreeningCase:
    """Assemble the engine's case from the donor, its history, its deferrals and the day's
    answers and vitals, and evaluate it with the configuration in force that day. Saves
    nothing: the screening page's live decision uses it as it is."""
    chosen = _procedure(procedure)
    if donation_type is None:
        period = donor_type_current_by_donor([donor.pk]).get(donor.pk)
        donation_type = DONATION_TYPE_OF_DONOR.get(period.donor_type if period else "", "allogeneic")
    try:
        kind = _code(rules.DonationType, donation_type, "donation_type")
    except CaseError as error:
        raise _case_error(error) from error
    parsed_vitals, height_cm = _parse_vitals(vitals)
    events = _parse_answers(answers, on)
    case = rules.Case(
        on=on,
        procedure=chosen,
        donor=rules.Donor(sex=rules.Sex(donor.sex), birth_date=donor.date_of_birth, height_cm=height_cm),
        vitals=parsed_vitals,
        donation_type=kind,
        jurisdiction=_jurisdiction(site),
        history=_donor_history(donor),
        events=events,
        deferrals=_recorded_deferrals(donor),
        marker_history=marker_history(donor),
    )
    decision = rules.evaluate(case, eligibility_configuration_on(on))
    return ScreeningCase(
        case,
        decision,
        [
            {"code": event.code.value, "date": event.date.isoformat(), "hours": event.hours}
            for event in events
        ],
        {key: value for key, value in vitals.items() if value is not None},
    )


def reason_to_json(reason: rules.Reason) -> dict[str, Any]:
    return {
        "outcome": reason.outcome.value,
        "code": reason.code,
        "message": reason.message,
        "source": reason.source,
        "overridable_by": reason.overridable_by,
        "ends_on": None if reason.ends_on is None else reason.ends_on.isoformat(),
    }


def _record_deferral(
    *, actor: User | None, screening: Screening, decision: rules.Decision
) -> DonorDeferral | None:
    """The deferral a deferring decision puts on the donor's record: from its reasons of the
    decision's severity that nobody may override and that are not already on record. A
    finding of the day without a fixed end (a fever) is re-assessed at the next visit."""
    kind = _DEFERRAL_KINDS.get(decision.outcome.value)
    if kind is None:
        return None
    reasons = [
        reason
        for reason in decision.reasons
        if reason.outcome is decision.outcome
        and reason.overridable_by is None
        and not reason.code.startswith("recorded_")
    ]
    if not reasons:
        return None
    until = None
    if kind == DonorDeferral.Kind.TEMPORARY:
        ends = [reason.ends_on for reason in reasons]
        if any(end is None for end in ends):
            return None
        until = max(end for end in ends if end is not None)
    deferral = DonorDeferral(
        donor=screening.donor,
        screening=screening,
        kind=kind,
        code=",".join(reason.code for reason in reasons)[:200],
        reason="; ".join(reason.message for reason in reasons),
        starts_on=screening.screened_on,
        until=until,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    deferral.save()
    audit_record(
        stream=STREAM,
        action="donations.deferral.recorded",
        actor=actor,
        target=deferral,
        data={
            "old": {},
            "new": {
                "donor": screening.donor.donor_number,
                "kind": kind,
                "code": deferral.code,
                "until": until,
            },
        },
        occurred_at=screening.screened_at,
    )
    return deferral


@transaction.atomic
def screening_record(
    *,
    actor: User | None,
    donor: Donor,
    site: Site,
    procedure: str,
    vitals: Mapping[str, Any],
    answers: Sequence[Mapping[str, Any]] = (),
    donation_type: str | None = None,
    occurred_at: datetime | None = None,
    drive: Drive | None = None,
) -> Screening:
    """Record a donor's screening with the eligibility decision of that day; a deferring
    decision puts its deferral on the donor's record. ``drive`` is the mobile drive the donor
    came to (its units go to the drive's program); it must be held at ``site`` that day."""
    require_permission(actor, "donations.add_screening")
    try:
        resolved = business_time_resolve(actor=actor, occurred_at=occurred_at)
    except DomainError as error:
        error.field = "screened_at"
        raise
    if donor.merged_into_id is not None:
        raise DonationsError(
            f"donor: {donor.donor_number} was merged into another record; screen the survivor",
            code="donor_merged",
            field="donor",
        )
    Donor.objects.select_for_update().filter(pk=donor.pk).first()  # one screening of a donor at a time
    on = _site_day(resolved.occurred_at, site)
    _drive_check(drive, site, on)
    evaluated = screening_evaluate(
        donor=donor,
        site=site,
        on=on,
        procedure=procedure,
        vitals=vitals,
        answers=answers,
        donation_type=donation_type,
    )
    decision = evaluated.decision
    screening = Screening(
        donor=donor,
        site=site,
        drive=drive,
        screened_at=resolved.occurred_at,
        screened_on=on,
        procedure=evaluated.case.procedure.value,
        donation_type=evaluated.case.donation_type.value,
        jurisdiction=evaluated.case.jurisdiction,
        answers=evaluated.answers,
        vitals=evaluated.vitals,
        outcome=decision.outcome.value,
        eligible_on=decision.eligible_on,
        reasons=[reason_to_json(reason) for reason in decision.reasons],
        screened_by=actor,
        recorded_at=timezone.now(),
    )
    screening.collection_allowed = _collection_allowed(screening, set())
    screening.save()
    audit_record(
        stream=STREAM,
        action="donations.screening.recorded",
        actor=actor,
        target=screening,
        data={
            "old": {},
            "new": {
                "donor": donor.donor_number,
                "site": site.code,
                "drive": drive.pk if drive else None,
                "procedure": screening.procedure,
                "outcome": screening.outcome,
                "eligible_on": screening.eligible_on,
                "reasons": [reason["code"] for reason in screening.reasons],
                **resolved.audit_data(),
            },
        },
        occurred_at=resolved.occurred_at,
    )
    _record_deferral(actor=actor, screening=screening, decision=decision)
    return screening


def _drive_check(drive: Drive | None, site: Site, on: date) -> None:
    if drive is None:
        return
    if drive.site_id != site.pk or drive.date != on:
        raise DonationsError(
            f"drive: the drive of {drive.host_organization} is held at {drive.site.code} on "
            f"{drive.date.isoformat()}, not at {site.code} on {on.isoformat()}",
            code="drive_elsewhere",
            field="drive",
        )
    if drive.status == Drive.Status.CANCELLED:
        raise DonationsError("drive: the drive was cancelled", code="drive_cancelled", field="drive")
