"""The finance demo: idempotent, balanced, and true to the manual-entry policy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hemaops.core import demo as core_demo
from hemaops.core.demo import DemoLogins
from hemaops.finance import demo as finance_demo
from hemaops.finance.models import Account, AccountMapping, FiscalPeriod, JournalEntry, JournalLine
from hemaops.finance.rules import AccountType, EntryOrigin, EntryStatus
from hemaops.finance.selectors import trial_balance
from hemaops.finance.services import company_get

pytestmark = [pytest.mark.smoke]


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Account, AccountMapping, FiscalPeriod, JournalEntry, JournalLine)
    }


@pytest.fixture
def demo_ledger(db) -> dict[str, int]:
    core_demo.load(DemoLogins())
    finance_demo.load(DemoLogins())
    return _counts()


def test_a_second_run_of_the_finance_demo_adds_nothing(demo_ledger):
    entries = set(JournalEntry.objects.values_list("pk", flat=True))

    finance_demo.load(DemoLogins())

    assert set(JournalEntry.objects.values_list("pk", flat=True)) == entries
    assert _counts() == demo_ledger


def test_the_demo_posts_opening_balances_and_the_controllers_entries(demo_ledger):
    assert JournalEntry.objects.filter(origin=EntryOrigin.OPENING, status=EntryStatus.POSTED).count() == 1
    manual = JournalEntry.objects.filter(origin=EntryOrigin.MANUAL)
    assert manual.count() == 18
    assert not manual.exclude(status=EntryStatus.POSTED).exists()
    assert set(manual.values_list("created_by__username", flat=True)) == {"controller"}


def test_the_2025q1_trial_balance_is_balanced(demo_ledger):
    balance = trial_balance(company_get(), "2025Q1")

    assert balance.balanced
    closing = {row.account.code: row.closing for row in balance.rows}
    assert closing["1000"] == Decimal("186049.99")  # 612,400.00 less a quarter of rent, salaries, interest
    assert closing["3900"] == Decimal("-650000.00")  # opening balance equity, a credit
    assert closing["1550"] == Decimal("-1816249.99")  # accumulated depreciation after three months


def test_no_manual_entry_touches_revenue_or_cost_of_revenue(demo_ledger):
    touched = JournalLine.objects.filter(
        entry__origin__in=[EntryOrigin.MANUAL, EntryOrigin.OPENING],
        account__type__in=[AccountType.REVENUE, AccountType.COST_OF_REVENUE],
    )

    assert not touched.exists()
