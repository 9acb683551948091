"""DIN label stock: receive pre-printed label sets, claim a scanned DIN at the chair,
generate a DIN on demand (house style §3: one transaction each, permission-checked,
audited in the ``donations`` stream).

A DIN is issued once: ``IssuedDin.din`` is unique, so of two concurrent claims of the same
DIN the database lets one commit and the other gets ``ConflictError``. Receipts and
generations of one FIN and year lock that FIN and year's ``DinSequence`` row, so generated
numbers never fall inside a received range and a range is never received over numbers
already generated.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.business_dates import business_time_resolve
from hemaops.core.errors import ConflictError, DomainError, PermissionDeniedError
from hemaops.core.models import Program, Signature, Site, User
from hemaops.core.signatures import RecordToSign, VerifiedSigner, signature_sign
from hemaops.donations import compensation_services
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import DinLabelStock, DinSequence, Drive, IssuedDin
from hemaops.donations.models.collection import (
    AdverseReaction,
    Donation,
    DonorDeferral,
    Screening,
    ScreeningOverride,
)
from hemaops.donations.models.din_labels import MAX_SEQUENCE
from hemaops.donors import rules
from hemaops.donors.models import Donor, DonorMarkerResult
from hemaops.donors.selectors import donor_type_current_by_donor, eligibility_configuration_on
from hemaops.donors.validation import CaseError, _code, _date, _measurement, _not_after, _number, _vitals
from hemaops.isbt128.din import Din, Isbt128Error, parse_din

STREAM = "donations"


@dataclass(frozen=True)
class IssuedDinResult:
    """The issued row and the DIN as the ISBT 128 library reads it (parts, K, flags)."""

    issued: IssuedDin
    din: Din


def _site_facility(site: Site) -> str:
    if not site.facility_identification_number:
        raise DonationsError(
            f"site: {site.name} has no ISBT 128 FIN, so it cannot collect under a DIN",
            code="site_without_facility",
            field="site",
        )
    return site.facility_identification_number


def _year(year: str | int) -> str:
    text = f"{year:02d}" if isinstance(year, int) else str(year).strip()
    if len(text) != 2 or not text.isdigit():
        raise DonationsError(
            f"year: {year!r} is not the two-digit year of a DIN (for example 25)",
            code="invalid_year",
            field="year",
        )
    return text


def _sequence_row(facility: str, year: str) -> DinSequence:
    """The locked counter of ``facility`` and ``year``, created on first use."""
    DinSequence.objects.bulk_create([DinSequence(facility=facility, year=year)], ignore_conflicts=True)
    return DinSequence.objects.select_for_update().get(facility=facility, year=year)


def _stock_data(stock: DinLabelStock) -> dict[str, object]:
    return {
        "site": stock.site.code,
        "facility": stock.facility,
        "year": stock.year,
        "first_sequence": stock.first_sequence,
        "last_sequence": stock.last_sequence,
        "received_on": stock.received_on,
        "lot": stock.lot,
        "notes": stock.notes,
    }


@transaction.atomic
def din_stock_receive(
    *,
    actor: User | None,
    site: Site,
    year: str | int,
    first_sequence: int,
    last_sequence: int,
    received_on: date | None = None,
    lot: str = "",
    notes: str = "",
) -> DinLabelStock:
    """Register a range of pre-printed DIN label sets received for ``site``'s FIN."""
    require_permission(actor, "donations.receive_din_label_stock")
    facility = _site_facility(site)
    year_text = _year(year)
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise DonationsError(
            "received_on: label stock cannot be received in the future",
            code="future_date",
            field="received_on",
        )
    for name, value in (("first_sequence", first_sequence), ("last_sequence", last_sequence)):
        if not 0 <= value <= MAX_SEQUENCE:
            raise DonationsError(
                f"{name}: {value} is not a six-digit sequence number (0 to 999999)",
                code="invalid_sequence",
                field=name,
            )
    if first_sequence > last_sequence:
        raise DonationsError(
            "last_sequence: the range ends before it starts", code="invalid_range", field="last_sequence"
        )
    counter = _sequence_row(facility, year_text)  # serialises with generation for this FIN and year
    overlapping = (
        DinLabelStock.objects.filter(
            facility=facility,
            year=year_text,
            first_sequence__lte=last_sequence,
            last_sequence__gte=first_sequence,
        )
        .order_by("first_sequence")
        .first()
    )
    if overlapping is not None:
        raise ConflictError(
            f"first_sequence: this range overlaps label stock already received ({overlapping})",
            code="range_overlaps",
            field="first_sequence",
        )
    generated = IssuedDin.objects.filter(
        facility=facility, year=year_text, sequence__gte=first_sequence, sequence__lte=last_sequence
    ).first()
    if generated is not None or first_sequence <= counter.last_sequence <= last_sequence:
        raise ConflictError(
            "first_sequence: DINs in this range were already generated on demand "
            f"(up to {facility} {year_text} {counter.last_sequence:06d}); order labels from a later number",
            code="range_already_generated",
            field="first_sequence",
        )
    stock = DinLabelStock(
        site=site,
        facility=facility,
        year=year_text,
        first_sequence=first_sequence,
        last_sequence=last_sequence,
        received_on=received_on,
        lot=lot.strip(),
        notes=notes.strip(),
        received_by=actor,
        recorded_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            stock.save()
    except IntegrityError as error:  # the exclusion constraint, on PostgreSQL
        raise ConflictError(
            "first_sequence: this range overlaps label stock already received",
            code="range_overlaps",
            field="first_sequence",
        ) from error
    audit_record(
        stream=STREAM,
        action="donations.din_stock.received",
        actor=actor,
        target=stock,
        data={"old": {}, "new": _stock_data(stock)},
    )
    return stock


def _parse(raw: str) -> Din:
    """A scanned or keyed DIN: bar code data (flags verified by the library) or keyboard
    entry, which must carry its check character (ST-001 §7.5)."""
    try:
        din = parse_din(raw)
    except Isbt128Error as error:
        raise DonationsError(f"{error.field}: {error.message}", code=error.code, field=error.field) from error
    if din.flags is None and len(raw.replace(" ", "").strip()) != len(din.text) + 1:
        raise DonationsError(
            "check_character: type the DIN followed by a space and the boxed check character "
            "(A9999 21 123456 3), or scan the bar code",
            code="check_character_required",
            field="check_character",
        )
    return din


def _issue(
    *, actor: User | None, site: Site, din: Din, source: str, stock: DinLabelStock | None
) -> IssuedDin:
    issued = IssuedDin(
        din=din.text,
        facility=din.facility,
        year=din.year,
        sequence=int(din.sequence),
        flags=din.flags or "",
        source=source,
        stock=stock,
        site=site,
        claimed_by=actor,
        claimed_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            issued.save()
    except IntegrityError as error:
        raise _used_error(din) from error
    return issued


def _used_error(din: Din) -> ConflictError:
    return ConflictError(
        f"din: DIN {din.eye_readable} was already used; a DIN is never used twice — take a new label set",
        code="din_used",
        field="din",
    )


@transaction.atomic
def din_claim_scanned(*, actor: User | None, site: Site, raw: str) -> IssuedDinResult:
    """Claim the DIN of a pre-printed label set scanned (or keyed) at the chair at ``site``."""
    require_permission(actor, "donations.claim_din")
    facility = _site_facility(site)
    din = _parse(raw)
    if din.facility != facility:
        raise DonationsError(
            f"facility: a label set from another facility ({din.facility}); {site.name} collects "
            f"under {facility}",
            code="other_facility",
            field="facility",
        )
    stock = DinLabelStock.objects.filter(
        facility=din.facility,
        year=din.year,
        first_sequence__lte=int(din.sequence),
        last_sequence__gte=int(din.sequence),
    ).first()
    if stock is None:
        raise DonationsError(
            f"sequence: DIN {din.eye_readable} is not in any label stock received for {facility} "
            f"year {din.year}; register the stock first or check the label",
            code="not_received",
            field="sequence",
        )
    if IssuedDin.objects.filter(din=din.text).exists():
        raise _used_error(din)
    issued = _issue(actor=actor, site=site, din=din, source=IssuedDin.Source.SCANNED, stock=stock)
    audit_record(
        stream=STREAM,
        action="donations.din.claimed",
        actor=actor,
        target=issued,
        data={
            "old": {},
            "new": {"din": issued.din, "flags": issued.flags, "site": site.code, "stock": stock.pk},
        },
    )
    return IssuedDinResult(issued, din)


@transaction.atomic
def din_generate(*, actor: User | None, site: Site, year: str | int) -> IssuedDinResult:
    """Issue the next DIN of ``site``'s FIN and ``year`` for a site that prints its own labels.

    Numbers inside received pre-printed ranges are skipped, so the two never collide. The
    returned ``Din`` carries Type 3 flags (60 + its MOD 37-2 checksum) for the printed label.
    """
    require_permission(actor, "donations.generate_din")
    facility = _site_facility(site)
    year_text = _year(year)
    counter = _sequence_row(facility, year_text)
    ranges = list(
        DinLabelStock.objects.filter(
            facility=facility, year=year_text, last_sequence__gt=counter.last_sequence
        ).order_by("first_sequence")
    )
    candidate = counter.last_sequence + 1
    for stock in ranges:
        if stock.first_sequence <= candidate <= stock.last_sequence:
            candidate = stock.last_sequence + 1
    if candidate > MAX_SEQUENCE:
        raise ConflictError(
            f"year: every DIN sequence of {facility} year {year_text} is used",
            code="sequence_exhausted",
            field="year",
        )
    din = Din(facility, year_text, f"{candidate:06d}").with_check_flags()
    issued = _issue(actor=actor, site=site, din=din, source=IssuedDin.Source.GENERATED, stock=None)
    counter.last_sequence = candidate
    counter.save(update_fields=["last_sequence"])
    audit_record(
        stream=STREAM,
        action="donations.din.generated",
        actor=actor,
        target=issued,
        data={"old": {}, "new": {"din": issued.din, "flags": issued.flags, "site": site.code}},
    )
    return IssuedDinResult(issued, din)


# --- Screening, overrides, donations, adverse reactions (issue 5 items 3 and 5) ------------
#
# DESIGN.md invariant 2: a donor who is not eligible for the procedure on that day is not
# collected. The screening stores the engine's decision with every reason; only reasons the
# engine marks overridable (``overridable_by``: a physician-judged finding, an establishment
# policy) can be overridden, by the medical director with a reason and a signature. A
# donation locks its screening and is refused unless the decision allows collection or each
# blocking reason is covered by an override; on PostgreSQL a trigger refuses the row too.

OVERRIDE_PERMISSION = "donations.override_eligibility"
# Outcomes that allow collection as they stand (ELIGIBLE_ALT_PROCEDURE: the female
# hemoglobin window under the establishment's FDA-accepted procedure).
_COLLECTABLE = frozenset({rules.Outcome.ELIGIBLE.value, rules.Outcome.ELIGIBLE_ALT_PROCEDURE.value})
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


def _procedure(value: str) -> rules.Procedure:
    try:
        return rules.Procedure(value)
    except ValueError:
        allowed = ", ".join(member.value for member in rules.Procedure)
        raise DonationsError(
            f"procedure: unknown procedure {value!r} (expected one of: {allowed})",
            code="unknown_procedure",
            field="procedure",
        ) from None


def jurisdiction_of(country: str, region: str) -> str:
    """The eligibility configuration's jurisdiction of an address: "US-CA" for a US state,
    else "other"."""
    region = region.strip().upper()
    if country == "US" and len(region) == 2 and region.isalpha():
        return f"US-{region}"
    return "other"


def _jurisdiction(site: Site) -> str:
    return jurisdiction_of(site.country, site.region)


def _site_day(moment: datetime, site: Site) -> date:
    return timezone.localtime(moment, zoneinfo.ZoneInfo(site.time_zone)).date()


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


def blocking_reasons(screening: Screening) -> list[dict[str, Any]]:
    """The reasons of the stored decision that stand in the way of collection."""
    return [reason for reason in screening.reasons if reason["outcome"] not in _COLLECTABLE]


def _collection_allowed(screening: Screening, overridden: set[str]) -> bool:
    return all(reason["code"] in overridden for reason in blocking_reasons(screening))


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


def _collection_program(screening: Screening) -> Program:
    """A drive's units go to the drive's program, a site's own to the site's program."""
    if screening.drive_id is not None:
        return screening.drive.program  # type: ignore[union-attr]
    program = screening.site.collections_program
    if program is None:
        raise DonationsError(
            f"site: {screening.site.name} has no collections program to file its units under; "
            "the administrator sets it on the site",
            code="no_collections_program",
            field="site",
        )
    return program


def _lock_screening(screening: Screening) -> Screening:
    return (
        Screening.objects.select_for_update(of=("self",))
        .select_related("donor", "site__collections_program", "drive__program")
        .get(pk=screening.pk)
    )


def _overridable_reason(screening: Screening, reason_code: str) -> dict[str, Any]:
    for reason in blocking_reasons(screening):
        if reason["code"] == reason_code:
            if reason["overridable_by"] is None:
                raise DonationsError(
                    f"reason_code: {reason_code} is not overridable — a regulatory minimum, an "
                    "infectious-disease deferral or an incomplete assessment is never overridden",
                    code="not_overridable",
                    field="reason_code",
                )
            return reason
    raise DonationsError(
        f"reason_code: the decision has no blocking reason {reason_code!r}",
        code="unknown_reason",
        field="reason_code",
    )


def _override_content(
    screening: Screening, reason: dict[str, Any], justification: str, director: User
) -> dict[str, Any]:
    """What the director's signature binds: the screening, its decision and the reason overridden."""
    return {
        "screening": screening.pk,
        "donor": screening.donor.donor_number,
        "screened_on": screening.screened_on.isoformat(),
        "procedure": screening.procedure,
        "outcome": screening.outcome,
        "reason": reason,
        "justification": justification,
        "director": director.pk,
    }


def _override_check(
    *, screening: Screening, reason_code: str, justification: str, director: User
) -> dict[str, Any]:
    if not justification.strip():
        raise DonationsError(
            "justification: give the reason for the override", code="required", field="justification"
        )
    if not director.is_active or not director.has_perm(OVERRIDE_PERMISSION):
        raise DonationsError(
            "director: only the medical director may override an eligibility finding",
            code="not_medical_director",
            field="director",
        )
    if Donation.objects.filter(screening=screening).exists():
        raise ConflictError(
            "screening: the donation was already collected", code="already_collected", field="screening"
        )
    reason = _overridable_reason(screening, reason_code)
    if screening.overrides.filter(reason_code=reason_code).exists():
        raise ConflictError(
            f"reason_code: {reason_code} is already overridden",
            code="already_overridden",
            field="reason_code",
        )
    return reason


def _override_sign(
    signer: VerifiedSigner, screening: Screening, override: ScreeningOverride, reason: dict[str, Any]
) -> Signature:
    content = _override_content(screening, reason, override.justification, override.director)
    return signature_sign(
        signer=signer,
        meaning=Signature.Meaning.OVERRIDDEN,
        records=[RecordToSign.of(screening, content)],
        reason=f"{override.reason_code}: {override.justification}",
        stream=STREAM,
    )


def _override_apply(screening: Screening) -> None:
    overridden = set(screening.overrides.values_list("reason_code", flat=True))
    allowed = _collection_allowed(screening, overridden)
    if allowed != screening.collection_allowed:
        screening.collection_allowed = allowed
        screening.save(update_fields=["collection_allowed"])


def _override_audit(actor: User | None, override: ScreeningOverride, action: str) -> None:
    audit_record(
        stream=STREAM,
        action=action,
        actor=actor,
        target=override,
        data={
            "old": {},
            "new": {
                "screening": override.screening_id,
                "reason_code": override.reason_code,
                "director": override.director.get_username(),
                "by_telephone": override.by_telephone,
                "signed": override.signature_id is not None,
            },
        },
        reason=override.justification,
    )


@transaction.atomic
def screening_override(
    *, actor: User, signer: VerifiedSigner, screening: Screening, reason_code: str, justification: str
) -> ScreeningOverride:
    """The medical director overrides one overridable reason and signs it ("overridden").
    ``signer`` comes from ``signer_verify``, called before this transaction."""
    require_permission(actor, OVERRIDE_PERMISSION)
    if signer.user.pk != actor.pk:
        raise PermissionDeniedError("The signer must be the director overriding.", code="signer_mismatch")
    screening = _lock_screening(screening)
    reason = _override_check(
        screening=screening, reason_code=reason_code, justification=justification, director=actor
    )
    override = ScreeningOverride(
        screening=screening,
        reason_code=reason_code,
        justification=justification.strip(),
        director=actor,
        by_telephone=False,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    override.signature = _override_sign(signer, screening, override, reason)
    override.save()
    _override_audit(actor, override, "donations.override.signed")
    _override_apply(screening)
    return override


@transaction.atomic
def screening_override_by_telephone(
    *, actor: User | None, screening: Screening, reason_code: str, justification: str, director: User
) -> ScreeningOverride:
    """The screener records the medical director's approval given by telephone; collection
    may go ahead, and the override waits on the director's list until signed."""
    require_permission(actor, "donations.add_screening")
    screening = _lock_screening(screening)
    _override_check(
        screening=screening, reason_code=reason_code, justification=justification, director=director
    )
    override = ScreeningOverride(
        screening=screening,
        reason_code=reason_code,
        justification=justification.strip(),
        director=director,
        by_telephone=True,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    override.save()
    _override_audit(actor, override, "donations.override.approved_by_telephone")
    _override_apply(screening)
    return override


@transaction.atomic
def screening_override_sign(
    *, actor: User, signer: VerifiedSigner, override: ScreeningOverride
) -> ScreeningOverride:
    """The director signs an override approved by telephone."""
    require_permission(actor, OVERRIDE_PERMISSION)
    if signer.user.pk != actor.pk or override.director_id != actor.pk:
        raise PermissionDeniedError(
            "Only the director who approved the override by telephone signs it.",
            code="not_the_approving_director",
        )
    screening = _lock_screening(override.screening)
    override = ScreeningOverride.objects.select_for_update().select_related("director").get(pk=override.pk)
    if override.signature_id is not None:
        raise ConflictError("override: already signed", code="already_signed", field="override")
    reason: dict[str, Any] = next((r for r in screening.reasons if r["code"] == override.reason_code), {})
    override.signature = _override_sign(signer, screening, override, reason)
    override.save(update_fields=["signature"])
    _override_audit(actor, override, "donations.override.signed")
    return override


def _not_in_future(moment: datetime, field: str, actor: User | None) -> datetime:
    try:
        return business_time_resolve(actor=actor, occurred_at=moment).occurred_at
    except DomainError as error:
        error.field = field
        if error.message.startswith("occurred_at"):
            error.message = f"{field}{error.message[len('occurred_at') :]}"
        raise


def _refuse_unless_allowed(screening: Screening) -> set[str]:
    """Invariant 2: the reason codes overridden; refused unless the decision allows collection
    or every blocking reason is overridden."""
    overridden = set(screening.overrides.values_list("reason_code", flat=True))
    if not (screening.collection_allowed and _collection_allowed(screening, overridden)):
        uncovered = [r["code"] for r in blocking_reasons(screening) if r["code"] not in overridden]
        raise DonationsError(
            f"screening: the donor is not eligible for {screening.get_procedure_display()} on "
            f"{screening.screened_on.isoformat()} ({screening.get_outcome_display()}: "
            f"{', '.join(uncovered)}); collection is refused",
            code="donor_not_eligible",
            field="screening",
        )
    return overridden


@transaction.atomic
def donation_record(
    *,
    actor: User | None,
    screening: Screening,
    din: IssuedDin,
    started_at: datetime,
    ended_at: datetime,
    volume_ml: int,
    bag_lot: str,
    outcome: str,
    procedure: str | None = None,
    phlebotomist: User | None = None,
) -> Donation:
    """Record the collection of a screened donor under ``din``. Refused unless the
    screening's decision allows collection of that procedure that day, or every blocking
    reason is covered by an override (DESIGN.md invariant 2). The phlebotomist is the actor
    unless the operator records it for them (``actor=None``, as the demo loader does)."""
    require_permission(actor, "donations.add_donation")
    collector = phlebotomist or actor
    if collector is None:
        raise DonationsError(
            "phlebotomist: say who collected the unit", code="required", field="phlebotomist"
        )
    screening = _lock_screening(screening)
    chosen = _procedure(procedure or screening.procedure).value
    started_at = _not_in_future(started_at, "started_at", actor)
    ended_at = _not_in_future(ended_at, "ended_at", actor)
    if ended_at < started_at:
        raise DonationsError(
            "ended_at: the donation ends before it starts", code="invalid_range", field="ended_at"
        )
    if chosen != screening.procedure:
        raise DonationsError(
            f"procedure: the donor was screened for {screening.get_procedure_display()}, not {chosen}",
            code="procedure_not_screened",
            field="procedure",
        )
    if _site_day(started_at, screening.site) != screening.screened_on:
        raise DonationsError(
            f"started_at: the screening judged {screening.screened_on.isoformat()}; "
            "screen the donor again today",
            code="screening_not_of_that_day",
            field="started_at",
        )
    overridden = _refuse_unless_allowed(screening)
    if Donation.objects.filter(screening=screening).exists():
        raise ConflictError(
            "screening: this screening already has its donation", code="already_collected", field="screening"
        )
    if din.site_id != screening.site_id:
        raise DonationsError("din: the DIN was issued at another site", code="din_other_site", field="din")
    if not 0 < volume_ml <= 1000:
        raise DonationsError(
            f"volume_ml: {volume_ml} mL is not a possible collection volume (1–1000 mL)",
            code="impossible_value",
            field="volume_ml",
        )
    if outcome not in Donation.Outcome.values:
        raise DonationsError(
            f"outcome: unknown outcome {outcome!r} (expected one of: {', '.join(Donation.Outcome.values)})",
            code="unknown_code",
            field="outcome",
        )
    if not bag_lot.strip():
        raise DonationsError("bag_lot: required", code="required", field="bag_lot")
    program = _collection_program(screening)
    terms = compensation_services.donation_terms(
        program=program, day=screening.screened_on, donation_type=screening.donation_type, procedure=chosen
    )
    donation = Donation(
        screening=screening,
        donor=screening.donor,
        site=screening.site,
        din=din,
        procedure=chosen,
        started_at=started_at,
        ended_at=ended_at,
        volume_ml=volume_ml,
        bag_lot=bag_lot.strip(),
        phlebotomist=collector,
        outcome=outcome,
        program=program,
        donor_classification=terms.unit.classification.value,
        collection_type=terms.unit.collection_type,
        compensation_amount=terms.amount,
        compensation_rate=terms.rate,
        recorded_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            donation.save()
    except IntegrityError as error:
        raise ConflictError(
            f"din: DIN {din.din} already identifies a donation; a DIN is never used twice",
            code="din_used",
            field="din",
        ) from error
    audit_record(
        stream=STREAM,
        action="donations.donation.recorded",
        actor=actor,
        target=donation,
        data={
            "old": {},
            "new": {
                "donor": screening.donor.donor_number,
                "din": din.din,
                "procedure": chosen,
                "volume_ml": volume_ml,
                "outcome": outcome,
                "overrides": sorted(overridden),
                "program": program.code,
                "donor_classification": donation.donor_classification,
                "collection_type": donation.collection_type,
                "compensation": donation.compensation_amount,
            },
        },
        occurred_at=started_at,
    )
    compensation_services.compensation_post(actor=actor, donation=donation)
    return donation


@transaction.atomic
def adverse_reaction_record(
    *,
    actor: User | None,
    donation: Donation,
    kind: str,
    severity: str,
    care_given: str,
    occurred_at: datetime | None = None,
    reportable: bool = False,
) -> AdverseReaction:
    """Record a donor's adverse reaction; a severe one is always flagged for the quality officer."""
    require_permission(actor, "donations.add_adversereaction")
    moment = _not_in_future(occurred_at, "occurred_at", actor) if occurred_at else timezone.now()
    if kind not in AdverseReaction.Kind.values:
        raise DonationsError(f"kind: unknown reaction kind {kind!r}", code="unknown_code", field="kind")
    if severity not in AdverseReaction.Severity.values:
        raise DonationsError(
            f"severity: unknown severity {severity!r}", code="unknown_code", field="severity"
        )
    if not care_given.strip():
        raise DonationsError("care_given: describe the care given", code="required", field="care_given")
    reaction = AdverseReaction(
        donation=donation,
        kind=kind,
        severity=severity,
        care_given=care_given.strip(),
        occurred_at=moment,
        reportable=reportable or severity == AdverseReaction.Severity.SEVERE,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    reaction.save()
    audit_record(
        stream=STREAM,
        action="donations.reaction.recorded",
        actor=actor,
        target=reaction,
        data={
            "old": {},
            "new": {
                "din": donation.din.din,
                "kind": kind,
                "severity": severity,
                "reportable": reaction.reportable,
            },
        },
        occurred_at=moment,
    )
    return reaction


@transaction.atomic
def donation_record_scanned(*, actor: User, screening: Screening, raw_din: str, **details: Any) -> Donation:
    """Claim the DIN scanned at the chair and record the donation under it, as one act: a
    refused collection leaves the label set unclaimed."""
    require_permission(actor, "donations.add_donation")
    screening = _lock_screening(screening)
    _refuse_unless_allowed(screening)  # before the DIN is claimed; checked again under the lock
    issued = din_claim_scanned(actor=actor, site=screening.site, raw=raw_din).issued
    return donation_record(actor=actor, screening=screening, din=issued, **details)
