"""Paid donor programs API: a collections program's basis and rates (read, set) and its
collections by month with the volumes before and after a conversion to volunteer donors.

Added to the donations router (``hemaops.donations.api``); errors are the one shape
``{"error": {"code", "message", "field"}}`` (hemaops.api)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from hemaops.core.access import require_permission
from hemaops.core.authentication import request_actor
from hemaops.core.models import Program
from hemaops.donations import compensation_selectors as selectors
from hemaops.donations import compensation_services as services
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import CompensationRate, ProgramDonorBasis

router = Router(tags=["paid donor programs"])


class BasisIn(Schema):
    basis: str = Field(description="paid or volunteer")
    effective_from: date
    reason: str = ""


class BasisOut(Schema):
    basis: str
    effective_from: date
    reason: str


class RateIn(Schema):
    procedure: str = Field(description="whole_blood, double_red_cells, platelets, plasma, source_plasma")
    amount: str = Field(description='Paid to the donor, a decimal string such as "50.00"')
    effective_from: date
    effective_until: date | None = Field(default=None, description="Last day (inclusive); empty = open")


class RateOut(Schema):
    procedure: str
    amount: str
    effective_from: date
    effective_until: date | None


class ProgramCompensationOut(Schema):
    program: str
    name: str
    basis_today: str
    bases: list[BasisOut]
    rates: list[RateOut]


class MonthOut(Schema):
    month: date
    paid_units: int
    volunteer_units: int
    donors: int
    compensation: str
    by_procedure: dict[str, int]


class ProcedureChangeOut(Schema):
    procedure: str
    units_per_30_days_before: str
    units_per_30_days_after: str
    change_percent: str | None


class FiguresOut(Schema):
    program: str
    start: date
    end: date
    total_units: int
    total_compensation: str
    conversion_on: date | None
    months: list[MonthOut]
    before_and_after: list[ProcedureChangeOut]


def _basis_out(row: ProgramDonorBasis) -> BasisOut:
    return BasisOut(basis=row.basis, effective_from=row.effective_from, reason=row.reason)


def _rate_out(rate: CompensationRate) -> RateOut:
    return RateOut(
        procedure=rate.procedure,
        amount=str(rate.amount),
        effective_from=rate.effective_from,
        effective_until=rate.effective_until,
    )


def _compensation_out(program: Program) -> ProgramCompensationOut:
    return ProgramCompensationOut(
        program=program.code,
        name=program.name,
        basis_today=services.basis_on(program, timezone.localdate()).value,
        bases=[_basis_out(row) for row in selectors.basis_history(program)],
        rates=[_rate_out(rate) for rate in selectors.rate_history(program)],
    )


@router.get(
    "/programs/{code}/compensation",
    response=ProgramCompensationOut,
    summary="A collections program's donor basis and compensation rates",
)
def program_compensation(request: HttpRequest, code: str) -> ProgramCompensationOut:
    require_permission(request_actor(request), "donations.view_donor_compensation")
    return _compensation_out(selectors.collection_program_get(code))


@router.post(
    "/programs/{code}/basis",
    response={201: ProgramCompensationOut},
    summary="Pay or stop paying a program's donors from a date",
)
def program_basis_set(request: HttpRequest, code: str, payload: BasisIn) -> Status:
    """Converting to volunteer stops compensation from that day, switches the units'
    collection type and moves the program's paid donors to volunteer in the registry."""
    require_permission(request_actor(request), "donations.manage_donor_compensation")
    program = selectors.collection_program_get(code)
    services.program_donor_basis_set(actor=request_actor(request), program=program, **payload.dict())
    return Status(201, _compensation_out(program))


@router.post(
    "/programs/{code}/rates",
    response={201: ProgramCompensationOut},
    summary="Set what a program pays for a procedure from a date",
)
def program_rate_set(request: HttpRequest, code: str, payload: RateIn) -> Status:
    require_permission(request_actor(request), "donations.manage_donor_compensation")
    program = selectors.collection_program_get(code)
    services.compensation_rate_set(actor=request_actor(request), program=program, **payload.dict())
    return Status(201, _compensation_out(program))


@router.get(
    "/programs/{code}/figures",
    response=FiguresOut,
    summary="A program's units by month, paid and volunteer, before and after a conversion",
)
def program_figures(
    request: HttpRequest, code: str, start: date | None = None, end: date | None = None
) -> FiguresOut:
    require_permission(request_actor(request), "donations.view_donor_compensation")
    program = selectors.collection_program_get(code)
    end = end or timezone.localdate()
    start = start or selectors.figures_default_start(end)
    if end < start:
        raise DonationsError("end: the end is before the start", code="invalid_range", field="end")
    if (end - start).days > 3660:
        raise DonationsError("start: ask for ten years at most", code="range_too_long", field="start")
    figures = selectors.program_figures(program, start, end)
    return FiguresOut(
        program=program.code,
        start=start,
        end=end,
        total_units=figures.total_units,
        total_compensation=str(figures.total_compensation),
        conversion_on=figures.conversion_on,
        months=[
            MonthOut(
                month=month.month,
                paid_units=month.paid_units,
                volunteer_units=month.volunteer_units,
                donors=month.donors,
                compensation=str(month.compensation),
                by_procedure=month.by_procedure,
            )
            for month in figures.months
        ],
        before_and_after=[
            ProcedureChangeOut(
                procedure=change.procedure,
                units_per_30_days_before=str(change.before),
                units_per_30_days_after=str(change.after),
                change_percent=str(change.change_percent) if change.change_percent is not None else None,
            )
            for change in figures.procedure_changes
        ],
    )
