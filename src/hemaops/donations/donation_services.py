"""Donations and adverse reactions: recording the collection of a screened donor under a DIN
(alone, or with the DIN scanned at the chair claimed in the same act), with its program and
compensation terms, and a donor's adverse reaction. DESIGN.md invariant 2: a donation locks its
screening and is refused unless the decision allows collection or each blocking reason is
covered by an override; on PostgreSQL a trigger refuses the row too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.business_dates import business_time_resolve
from hemaops.core.errors import ConflictError, DomainError
from hemaops.core.models import Program, User
from hemaops.donations import compensation_services
from hemaops.donations.din_services import din_claim_scanned
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import IssuedDin
from hemaops.donations.models.collection import AdverseReaction, Donation, Screening
from hemaops.donations.service_support import (
    STREAM,
    _collection_allowed,
    _lock_screening,
    _procedure,
    _site_day,
    blocking_reasons,
)


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
