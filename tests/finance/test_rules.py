"""Pure ledger rules: money, balance, the fiscal calendar, lifecycles, the anti-plug rule."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemaops.finance.money import MoneyError, round_money, to_money
from hemaops.finance.rules import (
    ENTRY_TRANSITIONS,
    PERIOD_TRANSITIONS,
    AccountType,
    EntryStatus,
    LineAmounts,
    PeriodKind,
    PeriodStatus,
    fiscal_periods,
    fiscal_year_of,
    fiscal_year_start,
    line_problem,
    manual_entry_refusal,
    period_bounds,
    transition_allowed,
    unbalanced_by,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.5", Decimal("12.50")),
        ("0.01", Decimal("0.01")),
        (7, Decimal("7.00")),
        ("", Decimal("0.00")),
        (None, Decimal("0.00")),
        (Decimal("6931000.00"), Decimal("6931000.00")),
    ],
)
def test_to_money_accepts_amounts_with_at_most_two_places(raw, expected):
    assert to_money(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1.005", "more than two decimal places"),
        ("abc", "is not an amount"),
        ("-1.00", "negative"),
        (1.5, "not floating-point"),
        ("NaN", "is not an amount"),
        ("Infinity", "is not an amount"),
    ],
)
def test_to_money_refuses_what_is_not_money(raw, message):
    with pytest.raises(MoneyError, match=message):
        to_money(raw, field="debit")


def test_round_money_rounds_half_up():
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    assert round_money(Decimal("2.344999")) == Decimal("2.34")


def test_unbalanced_by_is_debits_minus_credits():
    lines = [LineAmounts(Decimal("10.00"), Decimal("0")), LineAmounts(Decimal("0"), Decimal("9.99"))]
    assert unbalanced_by(lines) == Decimal("0.01")


@pytest.mark.parametrize(
    ("debit", "credit", "ok"),
    [("1", "0", True), ("0", "1", True), ("0", "0", False), ("1", "1", False), ("-1", "0", False)],
)
def test_a_line_has_exactly_one_positive_side(debit, credit, ok):
    assert (line_problem(Decimal(debit), Decimal(credit)) is None) is ok


@pytest.mark.parametrize("account_type", list(AccountType))
def test_manual_entries_are_refused_only_on_revenue_and_cost_of_revenue(account_type):
    refused = manual_entry_refusal(account_type) is not None
    assert refused is (account_type in (AccountType.REVENUE, AccountType.COST_OF_REVENUE))


def test_entry_lifecycle_walks_the_whole_table():
    assert transition_allowed(ENTRY_TRANSITIONS, None, EntryStatus.PENDING_APPROVAL)
    assert transition_allowed(ENTRY_TRANSITIONS, EntryStatus.PENDING_APPROVAL, EntryStatus.POSTED)
    assert transition_allowed(ENTRY_TRANSITIONS, EntryStatus.PENDING_APPROVAL, EntryStatus.REJECTED)
    for status in EntryStatus:
        assert not transition_allowed(ENTRY_TRANSITIONS, EntryStatus.POSTED, status)
        assert not transition_allowed(ENTRY_TRANSITIONS, EntryStatus.REJECTED, status)
    assert transition_allowed(PERIOD_TRANSITIONS, PeriodStatus.OPEN, PeriodStatus.CLOSED)
    assert transition_allowed(PERIOD_TRANSITIONS, PeriodStatus.CLOSED, PeriodStatus.OPEN)
    assert not transition_allowed(PERIOD_TRANSITIONS, PeriodStatus.OPEN, PeriodStatus.OPEN)


def test_a_january_fiscal_year_is_the_calendar_year():
    periods = fiscal_periods(2025, 1)
    months = [p for p in periods if p.kind == PeriodKind.MONTH]
    quarters = [p for p in periods if p.kind == PeriodKind.QUARTER]
    assert [m.code for m in months][:2] == ["2025-01", "2025-02"]
    assert (months[1].start, months[1].end) == (date(2025, 2, 1), date(2025, 2, 28))
    assert [(q.code, q.start, q.end) for q in quarters] == [
        ("2025Q1", date(2025, 1, 1), date(2025, 3, 31)),
        ("2025Q2", date(2025, 4, 1), date(2025, 6, 30)),
        ("2025Q3", date(2025, 7, 1), date(2025, 9, 30)),
        ("2025Q4", date(2025, 10, 1), date(2025, 12, 31)),
    ]


def test_a_july_fiscal_year_is_named_by_the_year_it_ends():
    assert fiscal_year_start(2025, 7) == date(2024, 7, 1)
    assert fiscal_year_of(date(2024, 7, 1), 7) == 2025
    assert fiscal_year_of(date(2025, 6, 30), 7) == 2025
    assert period_bounds("2025Q1", 7).start == date(2024, 7, 1)
    assert period_bounds("2025Q3", 7).end == date(2025, 3, 31)
    assert period_bounds("FY2025", 7).end == date(2025, 6, 30)
    assert period_bounds("2024-02", 7).end == date(2024, 2, 29)


@pytest.mark.parametrize("code", ["2025Q5", "25Q1", "2025-13", "Q1", "", "2025/01"])
def test_a_bad_period_code_is_refused_naming_the_forms(code):
    with pytest.raises(ValueError, match="use 2025-03, 2025Q1 or FY2025"):
        period_bounds(code, 1)


@settings(max_examples=300)
@given(st.integers(min_value=2000, max_value=2100), st.integers(min_value=1, max_value=12))
def test_months_and_quarters_tile_the_fiscal_year_without_gaps(fiscal_year, start_month):
    """300 examples: months and quarters each cover the year exactly, day after day."""
    periods = fiscal_periods(fiscal_year, start_month)
    for kind, count in ((PeriodKind.MONTH, 12), (PeriodKind.QUARTER, 4)):
        chosen = [p for p in periods if p.kind == kind]
        assert len(chosen) == count
        assert chosen[0].start == fiscal_year_start(fiscal_year, start_month)
        for earlier, later in itertools.pairwise(chosen):
            assert (later.start - earlier.end).days == 1
        assert all(fiscal_year_of(p.start, start_month) == fiscal_year for p in chosen)
        assert all(fiscal_year_of(p.end, start_month) == fiscal_year for p in chosen)
