"""A small ledger for the finance tests: chart of accounts, mapping, fiscal year 2025."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from hemaops.finance.models import Account
from hemaops.finance.services import account_create, account_mapping_set, fiscal_year_open

CHART = [
    ("1000", "Cash", "asset", "cash_and_marketable_securities"),
    ("1100", "Unbilled receivables", "asset", "other_current_assets"),
    ("1200", "Billed receivables", "asset", "other_current_assets"),
    ("2000", "Accounts payable", "liability", "current_liabilities"),
    ("3900", "Opening balance equity", "equity", "equity"),
    ("4000", "Revenue - red cells", "revenue", ""),
    ("4100", "Revenue - therapeutic apheresis", "revenue", ""),
    ("5000", "Cost of revenue - collection", "cost_of_revenue", ""),
    ("6000", "General and administrative", "expense", ""),
]
SYSTEM_KEYS = {
    "cash": "1000",
    "unbilled_receivables": "1100",
    "billed_receivables": "1200",
    "accounts_payable": "2000",
    "opening_balance_equity": "3900",
}


@dataclass
class Ledger:
    accounts: dict[str, Account]

    def __getitem__(self, code: str) -> Account:
        return self.accounts[code]


@pytest.fixture
def ledger(company) -> Ledger:
    accounts = {
        code: account_create(actor=None, code=code, name=name, type=kind, group=group)
        for code, name, kind, group in CHART
    }
    start = date(2024, 1, 1)
    for key, code in SYSTEM_KEYS.items():
        account_mapping_set(actor=None, kind="system", key=key, account=accounts[code], effective_from=start)
    account_mapping_set(
        actor=None, kind="revenue", key="red_cells", account=accounts["4000"], effective_from=start
    )
    account_mapping_set(
        actor=None,
        kind="revenue",
        key="therapeutic_apheresis",
        account=accounts["4100"],
        effective_from=start,
    )
    account_mapping_set(
        actor=None, kind="cost", key="collection", account=accounts["5000"], effective_from=start
    )
    fiscal_year_open(actor=None, fiscal_year=2025)
    return Ledger(accounts)
