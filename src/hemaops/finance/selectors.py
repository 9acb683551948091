"""Read side of the ledger: trial balance, account activity, entries. Sums are SQL
aggregates over posted lines, never Python loops over history (house style §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from hemaops.core.errors import NotFoundError
from hemaops.core.models import Company
from hemaops.finance.errors import FinanceError
from hemaops.finance.models import Account, FiscalPeriod, JournalEntry, JournalLine
from hemaops.finance.money import CENT
from hemaops.finance.rules import (
    EntryStatus,
    PeriodSpec,
    fiscal_year_start,
    is_balance_sheet,
    is_debit_normal,
    period_bounds,
)

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=16, decimal_places=2)


def period_resolve(company: Company, code: str) -> PeriodSpec:
    try:
        return period_bounds(code, company.fiscal_year_start_month)
    except ValueError as error:
        raise FinanceError(str(error), code="invalid_period", field="period") from None


@dataclass(frozen=True)
class TrialBalanceRow:
    account: Account
    opening: Decimal  # signed, debit positive
    debit: Decimal
    credit: Decimal

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit - self.credit

    @property
    def closing_debit(self) -> Decimal:
        return self.closing if self.closing > 0 else ZERO

    @property
    def closing_credit(self) -> Decimal:
        return -self.closing if self.closing < 0 else ZERO

    @property
    def normal_balance(self) -> Decimal:
        """The closing balance on the account's normal side (positive when normal)."""
        return self.closing if is_debit_normal(self.account.type) else -self.closing


@dataclass(frozen=True)
class TrialBalance:
    period: PeriodSpec
    rows: list[TrialBalanceRow]
    # Income-statement balances of earlier fiscal years (debit positive): until a year-end
    # closing entry moves them to retained earnings, they stand here as one equity line.
    prior_years_result: Decimal = ZERO

    @property
    def total_debit(self) -> Decimal:
        prior = self.prior_years_result if self.prior_years_result > 0 else ZERO
        return sum((row.closing_debit for row in self.rows), prior)

    @property
    def total_credit(self) -> Decimal:
        prior = -self.prior_years_result if self.prior_years_result < 0 else ZERO
        return sum((row.closing_credit for row in self.rows), prior)

    @property
    def balanced(self) -> bool:
        return self.total_debit == self.total_credit


def _posted_lines(company: Company) -> QuerySet[JournalLine]:
    return JournalLine.objects.filter(entry__company=company, entry__status=EntryStatus.POSTED)


def _sum(field: str, condition: Q) -> Coalesce:
    return Coalesce(Sum(field, filter=condition), Value(ZERO), output_field=_MONEY)


def trial_balance(company: Company, code: str) -> TrialBalance:
    """Per account: the balance at the period's start, its debits and credits in the
    period, the balance at its end. Balance-sheet accounts carry their whole history
    (opening balances included); income-statement accounts start each fiscal year at zero
    (the year-end close moves them to retained earnings)."""
    period = period_resolve(company, code)
    year_start = fiscal_year_start(period.fiscal_year, company.fiscal_year_start_month)
    before = Q(entry__entry_date__lt=period.start)
    within = Q(entry__entry_date__gte=period.start, entry__entry_date__lte=period.end)
    this_year_before = before & Q(entry__entry_date__gte=year_start)
    earlier_years = Q(entry__entry_date__lt=year_start)
    sums = (
        _posted_lines(company)
        .values("account_id")
        .annotate(
            debit_before=_sum("debit", before),
            credit_before=_sum("credit", before),
            debit_year_before=_sum("debit", this_year_before),
            credit_year_before=_sum("credit", this_year_before),
            debit_earlier_years=_sum("debit", earlier_years),
            credit_earlier_years=_sum("credit", earlier_years),
            debit=_sum("debit", within),
            credit=_sum("credit", within),
        )
    )
    # SQLite sums decimals in floating point: bring every sum back to cents.
    by_account = {
        row["account_id"]: {
            key: value.quantize(CENT) if isinstance(value, Decimal) else value for key, value in row.items()
        }
        for row in sums
    }
    rows = []
    prior_years_result = ZERO
    for account in Account.objects.filter(company=company, pk__in=by_account).order_by("code"):
        row = by_account[account.pk]
        if is_balance_sheet(account.type):
            opening = row["debit_before"] - row["credit_before"]
        else:
            opening = row["debit_year_before"] - row["credit_year_before"]
            prior_years_result += row["debit_earlier_years"] - row["credit_earlier_years"]
        if opening or row["debit"] or row["credit"]:
            rows.append(TrialBalanceRow(account, opening, row["debit"], row["credit"]))
    return TrialBalance(period, rows, prior_years_result)


@dataclass(frozen=True)
class ActivityLine:
    line: JournalLine
    running_balance: Decimal


def account_activity(account: Account, code: str) -> tuple[PeriodSpec, Decimal, list[ActivityLine]]:
    """The posted lines of one account in a period with a running balance (debit positive)."""
    period = period_resolve(account.company, code)
    opening_filter = Q(entry__entry_date__lt=period.start)
    if not is_balance_sheet(account.type):
        year_start = fiscal_year_start(period.fiscal_year, account.company.fiscal_year_start_month)
        opening_filter &= Q(entry__entry_date__gte=year_start)
    totals = (
        _posted_lines(account.company)
        .filter(account=account)
        .aggregate(debit=_sum("debit", opening_filter), credit=_sum("credit", opening_filter))
    )
    balance = (totals["debit"] - totals["credit"]).quantize(CENT)
    opening = balance
    lines = []
    for line in (
        _posted_lines(account.company)
        .filter(account=account, entry__entry_date__gte=period.start, entry__entry_date__lte=period.end)
        .select_related("entry", "program", "hospital")
        .order_by("entry__entry_date", "entry_id", "pk")
    ):
        balance += line.debit - line.credit
        lines.append(ActivityLine(line, balance))
    return period, opening, lines


def journal_entry_get(company: Company, entry_id: int) -> JournalEntry:
    entry = (
        JournalEntry.objects.select_related("period", "created_by", "approved_by", "reverses")
        .prefetch_related("lines__account", "lines__program", "lines__hospital")
        .filter(company=company, pk=entry_id)
        .first()
    )
    if entry is None:
        raise NotFoundError("No such journal entry.")
    return entry


def journal_entry_list_pending(company: Company) -> QuerySet[JournalEntry]:
    return (
        JournalEntry.objects.filter(company=company, status=EntryStatus.PENDING_APPROVAL)
        .select_related("created_by")
        .order_by("entry_date", "pk")
    )


def fiscal_period_list(company: Company) -> QuerySet[FiscalPeriod]:
    return FiscalPeriod.objects.filter(company=company).order_by("start_date", "-end_date")


def accounts_list(company: Company) -> QuerySet[Account]:
    return Account.objects.filter(company=company).order_by("code")


def current_period_code(company: Company, today: date) -> str:
    return f"{today:%Y-%m}"
