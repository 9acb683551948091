"""Paid donor programs (issue 5 item 6): a program's paid or volunteer basis over time, its
compensation rates, what a donation is under them, and the compensation posted to the ledger.

- ``program_donor_basis_set`` records that a collections program pays (or stops paying) its
  donors from a date. Converting to volunteer also moves the program's paid donors to
  volunteer in the donor registry from that date; both periods stay on record.
- ``compensation_rate_set`` records what the program pays for a procedure from a date; an
  open rate in force is closed the day before. Recorded donations keep the rate they were
  paid at: a change that would rewrite one is refused.
- ``donation_terms`` (called by ``services.donation_record``) answers what a unit is that day
  (``rules.unit_class``) and at what rate its donor is paid.
- ``compensation_post`` posts a paid donation's compensation as a cost of its program
  through the finance posting interface (accounting-policies.md §5), paid in cash at the chair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.models import Program, User
from hemaops.donations import rules
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import CompensationRate, ProgramDonorBasis
from hemaops.donations.models.collection import Donation
from hemaops.donations.models.compensation import PROCEDURES
from hemaops.donors import services as donor_services
from hemaops.finance import services as finance
from hemaops.finance.money import MoneyError, to_money
from hemaops.finance.sources import SourceDocument

STREAM = "donations"
COLLECTION_KINDS = frozenset({Program.Kind.FIXED_COLLECTIONS, Program.Kind.MOBILE_COLLECTIONS})
SOURCE_TYPE = "donations.donation"
COST_KEY = "donor_compensation"


def _collections_program(program: Program) -> Program:
    if program.kind not in COLLECTION_KINDS:
        raise DonationsError(
            f"program: {program.name} is not a collections program; only collections pay donors",
            code="not_collections_program",
            field="program",
        )
    return Program.objects.select_for_update().get(pk=program.pk)


def _procedure(value: str) -> str:
    known = [code for code, _ in PROCEDURES]
    if value not in known:
        raise DonationsError(
            f"procedure: unknown procedure {value!r} (expected one of: {', '.join(known)})",
            code="unknown_code",
            field="procedure",
        )
    return value


def basis_on(program: Program, day: date) -> rules.Basis:
    rows = ProgramDonorBasis.objects.filter(program=program, effective_from__lte=day)
    return rules.basis_on(((row.effective_from, rules.Basis(row.basis)) for row in rows), day)


def _units_on_or_after(program: Program, day: date, classification: str) -> int:
    return Donation.objects.filter(
        program=program, screening__screened_on__gte=day, donor_classification=classification
    ).count()


@transaction.atomic
def program_donor_basis_set(
    *, actor: User | None, program: Program, basis: str, effective_from: date, reason: str = ""
) -> ProgramDonorBasis:
    """The program pays (``paid``) or stops paying (``volunteer``) its donors from
    ``effective_from``. Refused when units already recorded on or after that day would change
    what they are (their labels say it already)."""
    require_permission(actor, "donations.manage_donor_compensation")
    program = _collections_program(program)
    try:
        chosen = rules.Basis(basis)
    except ValueError:
        raise DonationsError(
            f"basis: unknown basis {basis!r} (expected paid or volunteer)", code="unknown_code", field="basis"
        ) from None
    if (
        basis_on(program, effective_from) is chosen
        and not ProgramDonorBasis.objects.filter(program=program, effective_from__gt=effective_from).exists()
    ):
        raise DonationsError(
            f"basis: {program.name} already has {chosen.value} donors on {effective_from.isoformat()}",
            code="no_change",
            field="basis",
        )
    if effective_from > timezone.localdate():
        raise DonationsError(
            f"effective_from: {effective_from.isoformat()} is in the future; record the change when it "
            "takes effect (the program's donors move with it that day)",
            code="future_date",
            field="effective_from",
        )
    other = rules.Classification.VOLUNTEER if chosen is rules.Basis.PAID else rules.Classification.PAID
    recorded = _units_on_or_after(program, effective_from, other.value)
    if recorded:
        raise DonationsError(
            f"effective_from: {recorded} unit(s) of {program.name} on or after "
            f"{effective_from.isoformat()} were collected as {other.value}; a change of basis "
            "cannot rewrite them — choose a later date",
            code="units_recorded",
            field="effective_from",
        )
    if ProgramDonorBasis.objects.filter(program=program, effective_from=effective_from).exists():
        raise DonationsError(
            f"effective_from: {program.name} already has a change of basis on {effective_from.isoformat()}",
            code="duplicate",
            field="effective_from",
        )
    row = ProgramDonorBasis.objects.create(
        program=program,
        basis=chosen.value,
        effective_from=effective_from,
        reason=reason.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    moved = 0
    if chosen is rules.Basis.VOLUNTEER:
        moved = donor_services.donor_types_convert_for_program(
            actor=actor,
            program=program,
            from_type="paid",
            to_type="volunteer",
            effective_on=effective_from,
            reason=reason.strip() or f"{program.name} converted to volunteer donors",
        )
    audit_record(
        stream=STREAM,
        action="donations.program_basis.set",
        actor=actor,
        target=row,
        data={
            "old": {},
            "new": {
                "program": program.code,
                "basis": chosen.value,
                "effective_from": effective_from,
                "donors_moved_to_volunteer": moved,
            },
        },
    )
    return row


@transaction.atomic
def compensation_rate_set(
    *,
    actor: User | None,
    program: Program,
    procedure: str,
    amount: Decimal | str,
    effective_from: date,
    effective_until: date | None = None,
) -> CompensationRate:
    """What ``program`` pays a donor for ``procedure`` from ``effective_from``. A rate in force
    then is closed the day before; a later rate or a paid unit at the old rate on or after that
    day refuses the change (a recorded unit keeps what it was paid)."""
    require_permission(actor, "donations.manage_donor_compensation")
    program = _collections_program(program)
    procedure = _procedure(procedure)
    try:
        money = to_money(amount)
    except MoneyError as error:
        raise DonationsError(str(error), code="invalid_amount", field="amount") from None
    if money <= 0:
        raise DonationsError(
            "amount: a compensation rate is more than zero", code="invalid_amount", field="amount"
        )
    if effective_until is not None and effective_until < effective_from:
        raise DonationsError(
            "effective_until: the rate ends before it starts", code="invalid_range", field="effective_until"
        )
    rates = CompensationRate.objects.filter(program=program, procedure=procedure)
    later = rates.filter(effective_from__gte=effective_from).first()
    if later is not None:
        raise DonationsError(
            f"effective_from: a rate from {later.effective_from.isoformat()} is already set; "
            "set a new rate after the last one",
            code="rate_overlap",
            field="effective_from",
        )
    current = rates.filter(Q(effective_until__isnull=True) | Q(effective_until__gte=effective_from)).first()
    if current is not None:
        paid_at_old = Donation.objects.filter(
            compensation_rate=current, screening__screened_on__gte=effective_from
        ).count()
        if paid_at_old:
            raise DonationsError(
                f"effective_from: {paid_at_old} donation(s) on or after {effective_from.isoformat()} "
                f"were paid at the rate of {current.amount}; choose a later date",
                code="units_recorded",
                field="effective_from",
            )
        current.effective_until = effective_from - timedelta(days=1)
        current.save(update_fields=["effective_until"])
    rate = CompensationRate.objects.create(
        program=program,
        procedure=procedure,
        amount=money,
        effective_from=effective_from,
        effective_until=effective_until,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="donations.compensation_rate.set",
        actor=actor,
        target=rate,
        data={
            "old": {"closed_rate": current.pk if current else None},
            "new": {
                "program": program.code,
                "procedure": procedure,
                "amount": money,
                "effective_from": effective_from,
                "effective_until": effective_until,
            },
        },
    )
    return rate


def rate_on(program: Program, procedure: str, day: date) -> CompensationRate | None:
    return (
        CompensationRate.objects.filter(program=program, procedure=procedure, effective_from__lte=day)
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=day))
        .order_by("-effective_from")
        .first()
    )


@dataclass(frozen=True)
class DonationTerms:
    unit: rules.UnitClass
    rate: CompensationRate | None

    @property
    def amount(self) -> Decimal:
        return self.rate.amount if self.rate is not None else Decimal("0.00")


def donation_terms(*, program: Program, day: date, donation_type: str, procedure: str) -> DonationTerms:
    """What a unit of ``program`` collected on ``day`` is, and its donor's compensation.
    A paid program with no rate for the procedure that day is a set-up error: refused, so
    that no paid unit goes unpaid or unlabelled."""
    unit = rules.unit_class(basis=basis_on(program, day), donation_type=donation_type, procedure=procedure)
    if not unit.paid:
        return DonationTerms(unit, None)
    rate = rate_on(program, procedure, day)
    if rate is None:
        raise DonationsError(
            f"procedure: {program.name} pays its donors on {day.isoformat()} but has no compensation "
            f"rate for {dict(PROCEDURES).get(procedure, procedure)}; the program manager sets it",
            code="no_compensation_rate",
            field="procedure",
        )
    return DonationTerms(unit, rate)


def compensation_post(*, actor: User | None, donation: Donation) -> None:
    """Post a paid donation's compensation as a cost of its program on the day it was given
    (accounting-policies.md §5); idempotent through the posting interface's source key."""
    if donation.compensation_amount <= 0:
        return
    finance.cost_record(
        source=SourceDocument(SOURCE_TYPE, str(donation.pk), COST_KEY),
        entry_date=donation.screening.screened_on,
        program=donation.program,
        amount=donation.compensation_amount,
        cost_key=COST_KEY,
        credit_role="cash",
        memo=f"Donor compensation, DIN {donation.din.din} ({donation.get_procedure_display()})",
        actor=actor,
    )
