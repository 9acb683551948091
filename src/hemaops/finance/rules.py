"""Pure rules of the ledger: fiscal calendar, balance, what a manual entry may touch, and
the lifecycles of entries and periods. No Django, no database, no clock."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any


class AccountType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    REVENUE = "revenue"
    COST_OF_REVENUE = "cost_of_revenue"
    EXPENSE = "expense"
    OTHER_INCOME = "other_income"
    TAX = "tax"


DEBIT_NORMAL = frozenset(
    {AccountType.ASSET, AccountType.COST_OF_REVENUE, AccountType.EXPENSE, AccountType.TAX}
)
BALANCE_SHEET = frozenset({AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY})
# Lines on these accounts need a program (it gives the segment): finance-reference §2.2.
PROGRAM_REQUIRED = frozenset({AccountType.REVENUE, AccountType.COST_OF_REVENUE})


def is_debit_normal(account_type: str) -> bool:
    return AccountType(account_type) in DEBIT_NORMAL


def is_balance_sheet(account_type: str) -> bool:
    return AccountType(account_type) in BALANCE_SHEET


class EntryStatus(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    POSTED = "posted"
    REJECTED = "rejected"


# House style §7: the allowed moves of a journal entry. Posted is final: a correction is a
# reversal plus a new entry, never an edit.
ENTRY_TRANSITIONS: dict[EntryStatus | None, frozenset[EntryStatus]] = {
    None: frozenset({EntryStatus.PENDING_APPROVAL}),
    EntryStatus.PENDING_APPROVAL: frozenset({EntryStatus.POSTED, EntryStatus.REJECTED}),
    EntryStatus.POSTED: frozenset(),
    EntryStatus.REJECTED: frozenset(),
}


class PeriodStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


PERIOD_TRANSITIONS: dict[PeriodStatus, frozenset[PeriodStatus]] = {
    PeriodStatus.OPEN: frozenset({PeriodStatus.CLOSED}),
    PeriodStatus.CLOSED: frozenset({PeriodStatus.OPEN}),
}


def transition_allowed(table: Mapping[Any, frozenset[Any]], old: object, new: object) -> bool:
    return new in table.get(old, frozenset())


class EntryOrigin(enum.StrEnum):
    OPERATIONAL = "operational"  # from a source document through the posting interface
    MANUAL = "manual"
    OPENING = "opening"
    REVERSAL = "reversal"


def manual_entry_refusal(account_type: str) -> str | None:
    """Why a manual entry may not touch an account of this type, or None.

    Policy (docs/accounting-policies.md): revenue and cost of revenue come only from
    operational source documents through the posting interface, so that the segment results
    of the earnings release are the sum of real shipments, procedures and costs — never a plug.
    """
    if AccountType(account_type) in (AccountType.REVENUE, AccountType.COST_OF_REVENUE):
        return (
            "revenue and cost of revenue are posted only from shipments, procedures and costs "
            "through the posting interface, never by a manual entry"
        )
    return None


@dataclass(frozen=True)
class LineAmounts:
    debit: Decimal
    credit: Decimal


def unbalanced_by(lines: Iterable[LineAmounts]) -> Decimal:
    """Debits minus credits; zero for a balanced entry."""
    total = Decimal("0.00")
    for line in lines:
        total += line.debit - line.credit
    return total


def line_problem(debit: Decimal, credit: Decimal) -> str | None:
    if debit < 0 or credit < 0:
        return "amounts are not negative; put the amount on the other side"
    if (debit > 0) == (credit > 0):
        return "a line has either a debit or a credit, not both and not neither"
    return None


# --- fiscal calendar ---------------------------------------------------------------------


class PeriodKind(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    OPENING = "opening"


@dataclass(frozen=True)
class PeriodSpec:
    code: str
    kind: PeriodKind
    fiscal_year: int
    start: date
    end: date


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def fiscal_year_start(fiscal_year: int, start_month: int) -> date:
    """A fiscal year is named by the calendar year in which it ends (FY2025 of a July
    year runs 2024-07-01 to 2025-06-30; of a January year, the calendar year 2025)."""
    if not 1 <= start_month <= 12:
        raise ValueError("the fiscal year starts in a month 1-12")
    return date(fiscal_year - (1 if start_month > 1 else 0), start_month, 1)


def fiscal_year_of(day: date, start_month: int) -> int:
    return day.year + (1 if start_month > 1 and day.month >= start_month else 0)


def fiscal_periods(fiscal_year: int, start_month: int) -> list[PeriodSpec]:
    """The twelve months and four quarters of a fiscal year. Months carry their calendar
    code (2025-03); quarters their fiscal code (2025Q1)."""
    first = fiscal_year_start(fiscal_year, start_month)
    periods = []
    for offset in range(12):
        start = _add_months(first, offset)
        end = _add_months(first, offset + 1) - timedelta(days=1)
        periods.append(PeriodSpec(f"{start:%Y-%m}", PeriodKind.MONTH, fiscal_year, start, end))
    for quarter in range(4):
        start = _add_months(first, quarter * 3)
        end = _add_months(first, quarter * 3 + 3) - timedelta(days=1)
        periods.append(
            PeriodSpec(f"{fiscal_year}Q{quarter + 1}", PeriodKind.QUARTER, fiscal_year, start, end)
        )
    return periods


_PERIOD_CODE = re.compile(
    r"^(?:(?P<year>\d{4})(?:Q(?P<quarter>[1-4])|-(?P<month>0[1-9]|1[0-2]))?|FY(?P<fy>\d{4}))$"
)


def period_bounds(code: str, start_month: int) -> PeriodSpec:
    """Parse a period code: ``2025-03`` (month), ``2025Q1`` (fiscal quarter), ``FY2025`` or
    ``2025`` (fiscal year). Raises ValueError naming the expected forms."""
    match = _PERIOD_CODE.match(code.strip()) if code else None
    if match is None:
        raise ValueError(f"period: {code!r} is not a period; use 2025-03, 2025Q1 or FY2025")
    if match["month"]:
        start = date(int(match["year"]), int(match["month"]), 1)
        end = _add_months(start, 1) - timedelta(days=1)
        return PeriodSpec(code, PeriodKind.MONTH, fiscal_year_of(start, start_month), start, end)
    if match["quarter"]:
        fiscal_year, quarter = int(match["year"]), int(match["quarter"])
        start = _add_months(fiscal_year_start(fiscal_year, start_month), (quarter - 1) * 3)
        return PeriodSpec(
            code, PeriodKind.QUARTER, fiscal_year, start, _add_months(start, 3) - timedelta(days=1)
        )
    fiscal_year = int(match["fy"] or match["year"])
    start = fiscal_year_start(fiscal_year, start_month)
    return PeriodSpec(code, PeriodKind.YEAR, fiscal_year, start, _add_months(start, 12) - timedelta(days=1))
