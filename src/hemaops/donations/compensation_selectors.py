"""Reading paid donor programs: their basis and rates, and a program's collections by month
with the volumes before and after a conversion from paid to volunteer donors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from hemaops.core.errors import NotFoundError
from hemaops.core.models import Program
from hemaops.donations.compensation_services import COLLECTION_KINDS, basis_on
from hemaops.donations.models import CompensationRate, ProgramDonorBasis
from hemaops.donations.models.collection import Donation
from hemaops.donations.models.compensation import PROCEDURES
from hemaops.donors.rules import add_months

PROCEDURE_NAMES = dict(PROCEDURES)


def collection_programs() -> QuerySet[Program]:
    return Program.objects.filter(kind__in=COLLECTION_KINDS).order_by("code")


def collection_program_get(code: str) -> Program:
    program = collection_programs().filter(code=code).first()
    if program is None:
        raise NotFoundError(f"program: no collections program {code!r}", field="program")
    return program


def basis_history(program: Program) -> QuerySet[ProgramDonorBasis]:
    return ProgramDonorBasis.objects.filter(program=program).select_related("recorded_by")


def rate_history(program: Program) -> QuerySet[CompensationRate]:
    return CompensationRate.objects.filter(program=program).order_by("procedure", "-effective_from")


def rates_in_force(program: Program, on: date) -> list[CompensationRate]:
    return list(
        CompensationRate.objects.filter(program=program, effective_from__lte=on)
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=on))
        .order_by("procedure")
    )


def conversion_to_volunteer(program: Program, start: date, end: date) -> date | None:
    """The last day in [start, end] on which the program stopped paying its donors."""
    for row in basis_history(program).filter(effective_from__range=(start, end)).order_by("-effective_from"):
        if row.basis == "volunteer" and basis_on(program, row.effective_from - timedelta(days=1)) == "paid":
            return row.effective_from
    return None


@dataclass
class MonthFigures:
    month: date
    paid_units: int = 0
    volunteer_units: int = 0
    donors: int = 0
    compensation: Decimal = Decimal("0.00")
    by_procedure: dict[str, int] = field(default_factory=dict)

    @property
    def units(self) -> int:
        return self.paid_units + self.volunteer_units


@dataclass(frozen=True)
class Window:
    """Collections in [start, end]: the rate per 30 days makes windows of unequal length
    comparable."""

    start: date
    end: date
    units: int
    by_procedure: dict[str, int]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def per_30_days(self, units: int) -> Decimal:
        return (Decimal(units) * 30 / self.days).quantize(Decimal("0.1")) if self.days > 0 else Decimal(0)

    @property
    def units_per_30_days(self) -> Decimal:
        return self.per_30_days(self.units)


@dataclass(frozen=True)
class ProcedureChange:
    procedure: str
    name: str
    before: Decimal
    after: Decimal

    @property
    def change_percent(self) -> Decimal | None:
        if not self.before:
            return None
        return ((self.after - self.before) * 100 / self.before).quantize(Decimal("1"))


@dataclass(frozen=True)
class ProgramFigures:
    program: Program
    start: date
    end: date
    months: list[MonthFigures]
    conversion_on: date | None
    before: Window | None
    after: Window | None

    @property
    def total_units(self) -> int:
        return sum(month.units for month in self.months)

    @property
    def total_compensation(self) -> Decimal:
        return sum((month.compensation for month in self.months), Decimal("0.00"))

    @property
    def procedure_changes(self) -> list[ProcedureChange]:
        if self.before is None or self.after is None:
            return []
        codes = sorted(set(self.before.by_procedure) | set(self.after.by_procedure))
        return [
            ProcedureChange(
                code,
                PROCEDURE_NAMES.get(code, code),
                self.before.per_30_days(self.before.by_procedure.get(code, 0)),
                self.after.per_30_days(self.after.by_procedure.get(code, 0)),
            )
            for code in codes
        ]


def figures_default_start(end: date) -> date:
    """The figures' first month when none is asked: twelve months ending with ``end``'s."""
    return add_months(end.replace(day=1), -11)


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _window(donations: QuerySet[Donation], start: date, end: date) -> Window:
    rows = (
        donations.filter(screening__screened_on__range=(start, end))
        .values("procedure")
        .annotate(units=Count("pk"))
    )
    by_procedure = {row["procedure"]: row["units"] for row in rows}
    return Window(start, end, sum(by_procedure.values()), by_procedure)


def program_figures(program: Program, start: date, end: date) -> ProgramFigures:
    """The program's units by month, paid and volunteer, with donors and compensation; and,
    when it converted to volunteer donors in the range, the volumes before and after."""
    donations = Donation.objects.filter(program=program, screening__screened_on__range=(start, end))
    by_month = {month: MonthFigures(month) for month in _months(start, end)}
    rows = (
        donations.annotate(month=TruncMonth("screening__screened_on"))
        .values("month", "donor_classification", "procedure")
        .annotate(units=Count("pk"), compensation=Sum("compensation_amount"))
    )
    for row in rows:
        figures = by_month[row["month"]]
        if row["donor_classification"] == "paid":
            figures.paid_units += row["units"]
        else:
            figures.volunteer_units += row["units"]
        figures.compensation += row["compensation"] or Decimal("0.00")
        figures.by_procedure[row["procedure"]] = figures.by_procedure.get(row["procedure"], 0) + row["units"]
    donor_rows = (
        donations.annotate(month=TruncMonth("screening__screened_on"))
        .values("month")
        .annotate(donors=Count("donor", distinct=True))
    )
    for row in donor_rows:
        by_month[row["month"]].donors = row["donors"]
    conversion = conversion_to_volunteer(program, start, end)
    before = after = None
    if conversion is not None:
        # Windows of the same length on both sides of the conversion (the shorter side sets
        # it), so that a slow season or the range's edges do not pass for the conversion.
        days = min((end - conversion).days + 1, (conversion - start).days)
        if days > 0:
            before = _window(donations, conversion - timedelta(days=days), conversion - timedelta(days=1))
            after = _window(donations, conversion, conversion + timedelta(days=days - 1))
    return ProgramFigures(program, start, end, list(by_month.values()), conversion, before, after)
