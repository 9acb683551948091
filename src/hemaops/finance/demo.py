"""The demo ledger of Pacific Blood Services: a chart of accounts for a blood products and
services company, the account mapping the posting interface uses, fiscal years 2025 and
2026, opening balances at 2024-12-31 and three months of general and administrative entries
posted by the controller.

Revenue and cost of revenue are not posted here: by policy (docs/accounting-policies.md)
they come only from shipments, procedures and costs through the posting interface, never
from a manual entry. Idempotent: a second run finds every row and adds nothing.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from hemaops.core.demo import DemoLogins
from hemaops.core.models import User
from hemaops.finance.models import Account, AccountMapping, FiscalPeriod, JournalEntry
from hemaops.finance.rules import AccountType, EntryOrigin
from hemaops.finance.services import (
    OPENING_PERIOD_CODE,
    PostingLine,
    account_create,
    account_mapping_set,
    company_get,
    fiscal_year_open,
    journal_entry_submit,
    opening_balances_post,
)

CASH = Account.Group.CASH_AND_MARKETABLE_SECURITIES
CURRENT = Account.Group.OTHER_CURRENT_ASSETS
NON_CURRENT = Account.Group.NON_CURRENT_ASSETS
CURRENT_LIABILITIES = Account.Group.CURRENT_LIABILITIES
LONG_TERM = Account.Group.LONG_TERM_LIABILITIES
EQUITY = Account.Group.EQUITY

# code, name, type, balance-sheet group
CHART_OF_ACCOUNTS: list[tuple[str, str, AccountType, str]] = [
    ("1000", "Cash — operating account", AccountType.ASSET, CASH),
    ("1050", "Marketable securities", AccountType.ASSET, CASH),
    ("1100", "Unbilled receivables", AccountType.ASSET, CURRENT),
    ("1110", "Billed receivables (trade accounts receivable)", AccountType.ASSET, CURRENT),
    ("1150", "Allowance for doubtful accounts", AccountType.ASSET, CURRENT),  # contra asset
    ("1200", "Inventories of supplies", AccountType.ASSET, CURRENT),
    ("1300", "Prepaid expenses", AccountType.ASSET, CURRENT),
    ("1500", "Property and equipment", AccountType.ASSET, NON_CURRENT),
    ("1550", "Accumulated depreciation", AccountType.ASSET, NON_CURRENT),  # contra asset
    ("2000", "Accounts payable", AccountType.LIABILITY, CURRENT_LIABILITIES),
    ("2100", "Accrued payroll and benefits", AccountType.LIABILITY, CURRENT_LIABILITIES),
    ("2200", "Line of credit", AccountType.LIABILITY, CURRENT_LIABILITIES),
    ("2500", "Long-term debt", AccountType.LIABILITY, LONG_TERM),
    ("3000", "Common stock", AccountType.EQUITY, EQUITY),
    ("3100", "Retained earnings", AccountType.EQUITY, EQUITY),
    ("3900", "Opening balance equity", AccountType.EQUITY, EQUITY),
    ("4000", "Blood products revenue — red blood cells", AccountType.REVENUE, ""),
    ("4010", "Blood products revenue — platelets", AccountType.REVENUE, ""),
    ("4020", "Blood products revenue — plasma", AccountType.REVENUE, ""),
    ("4030", "Blood products revenue — surcharges and delivery", AccountType.REVENUE, ""),
    ("4100", "Blood products revenue — blood management fees", AccountType.REVENUE, ""),
    ("4500", "Blood services revenue — therapeutic apheresis procedures", AccountType.REVENUE, ""),
    ("5000", "Donor compensation", AccountType.COST_OF_REVENUE, ""),
    ("5100", "Collection supplies", AccountType.COST_OF_REVENUE, ""),
    ("5200", "Testing fees", AccountType.COST_OF_REVENUE, ""),
    ("5300", "Collection and procedure staff", AccountType.COST_OF_REVENUE, ""),
    ("5400", "Outdated and discarded units", AccountType.COST_OF_REVENUE, ""),
    ("6000", "Salaries — general and administrative", AccountType.EXPENSE, ""),
    ("6100", "Rent", AccountType.EXPENSE, ""),
    ("6200", "Professional fees", AccountType.EXPENSE, ""),
    ("6300", "Depreciation", AccountType.EXPENSE, ""),
    ("7000", "Interest expense", AccountType.EXPENSE, ""),
    ("7100", "Interest income", AccountType.OTHER_INCOME, ""),
    ("8000", "Provision for income taxes", AccountType.TAX, ""),
]

MAPPINGS_FROM = date(2024, 1, 1)
# kind, key, account code — the keys the finance services and the operations name.
ACCOUNT_MAPPING: list[tuple[str, str, str]] = [
    (AccountMapping.Kind.SYSTEM, "cash", "1000"),
    (AccountMapping.Kind.SYSTEM, "unbilled_receivables", "1100"),
    (AccountMapping.Kind.SYSTEM, "billed_receivables", "1110"),
    (AccountMapping.Kind.SYSTEM, "accounts_payable", "2000"),
    (AccountMapping.Kind.SYSTEM, "opening_balance_equity", "3900"),
    (AccountMapping.Kind.REVENUE, "red_cells", "4000"),
    (AccountMapping.Kind.REVENUE, "platelets", "4010"),
    (AccountMapping.Kind.REVENUE, "plasma", "4020"),
    (AccountMapping.Kind.REVENUE, "product_surcharges", "4030"),
    (AccountMapping.Kind.REVENUE, "blood_management_fee", "4100"),
    (AccountMapping.Kind.REVENUE, "therapeutic_apheresis", "4500"),
    (AccountMapping.Kind.COST, "donor_compensation", "5000"),
    (AccountMapping.Kind.COST, "collection_supplies", "5100"),
    (AccountMapping.Kind.COST, "testing_fees", "5200"),
    (AccountMapping.Kind.COST, "collection_staff", "5300"),
    (AccountMapping.Kind.COST, "outdated_units", "5400"),
]

FISCAL_YEARS = (2025, 2026)

OPENING_AS_OF = date(2024, 12, 31)
# account code, debit, credit. Total assets $5,972,000.00; liabilities $2,922,000.00;
# common stock $2,400,000.00. The service credits the remaining $650,000.00 (the earnings
# accumulated before Hemaops) to opening balance equity, to be reclassified to retained
# earnings once the prior-year audit is signed.
OPENING_BALANCES: list[tuple[str, str, str]] = [
    ("1000", "612400.00", "0"),
    ("1050", "450000.00", "0"),
    ("1100", "185000.00", "0"),
    ("1110", "2150000.00", "0"),
    ("1150", "0", "64500.00"),
    ("1200", "412300.00", "0"),
    ("1300", "96800.00", "0"),
    ("1500", "3850000.00", "0"),
    ("1550", "0", "1720000.00"),
    ("2000", "0", "1180000.00"),
    ("2100", "0", "342000.00"),
    ("2200", "0", "500000.00"),
    ("2500", "0", "900000.00"),
    ("3000", "0", "2400000.00"),
]

# Manual entries: general and administrative expense, depreciation and interest — never
# revenue or cost of revenue. (date, memo, [(account code, debit, credit), ...])
MONTHS = [(2025, 1, "January"), (2025, 2, "February"), (2025, 3, "March")]
PROFESSIONAL_FEES = {
    1: ("Year-end audit fieldwork", "18750.00"),
    2: ("Legal counsel, hospital contract renewals", "12400.00"),
    3: ("Quarterly review and tax advice", "9850.00"),
}


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(first_of_next.toordinal() - 1)


def _general_and_administrative_entries() -> list[tuple[date, str, list[tuple[str, str, str]]]]:
    entries: list[tuple[date, str, list[tuple[str, str, str]]]] = []
    for year, month, name in MONTHS:
        month_end = _month_end(year, month)
        fees_memo, fees = PROFESSIONAL_FEES[month]
        entries += [
            (
                date(year, month, 1),
                f"Rent, {name} {year}: headquarters and Sherman Oaks donor center",
                [("6100", "38500.00", "0"), ("1000", "0", "38500.00")],
            ),
            (
                month_end,
                f"General and administrative salaries, {name} {year}",
                [("6000", "96400.00", "0"), ("1000", "0", "96400.00")],
            ),
            (
                month_end,
                f"Professional fees, {name} {year}: {fees_memo.lower()}",
                [("6200", fees, "0"), ("2000", "0", fees)],
            ),
            (
                month_end,
                # $3,850,000.00 of property and equipment over ten years, straight line.
                f"Depreciation, {name} {year}",
                [("6300", "32083.33", "0"), ("1550", "0", "32083.33")],
            ),
            (
                month_end,
                # Long-term debt $900,000.00 at 7% and the line of credit $500,000.00 at 8.5%.
                f"Interest on long-term debt and line of credit, {name} {year}",
                [("7000", "8791.67", "0"), ("1000", "0", "8791.67")],
            ),
            (
                month_end,
                # Marketable securities $450,000.00 at 4.2%.
                f"Interest earned on marketable securities, {name} {year}",
                [("1000", "1575.00", "0"), ("7100", "0", "1575.00")],
            ),
        ]
    return entries


def _lines(rows: list[tuple[str, str, str]]) -> list[PostingLine]:
    return [PostingLine(code, debit=debit, credit=credit) for code, debit, credit in rows]


@transaction.atomic
def load(logins: DemoLogins) -> None:
    """Set up the demo ledger. ``logins`` is untouched: the finance users (accountant,
    controller, executive) come from the core demo."""
    company = company_get()
    controller = User.objects.get(username="controller")

    existing_codes = set(Account.objects.filter(company=company).values_list("code", flat=True))
    for code, name, account_type, group in CHART_OF_ACCOUNTS:
        if code not in existing_codes:
            account_create(actor=None, code=code, name=name, type=account_type, group=group)

    accounts = {account.code: account for account in Account.objects.filter(company=company)}
    for kind, key, code in ACCOUNT_MAPPING:
        if not AccountMapping.objects.filter(company=company, kind=kind, key=key).exists():
            account_mapping_set(
                actor=None, kind=kind, key=key, account=accounts[code], effective_from=MAPPINGS_FROM
            )

    for fiscal_year in FISCAL_YEARS:
        if (
            not FiscalPeriod.objects.filter(company=company, fiscal_year=fiscal_year)
            .exclude(code=OPENING_PERIOD_CODE)
            .exists()
        ):
            fiscal_year_open(actor=None, fiscal_year=fiscal_year)

    if not FiscalPeriod.objects.filter(company=company, code=OPENING_PERIOD_CODE).exists():
        opening_balances_post(
            actor=controller,
            as_of=OPENING_AS_OF,
            lines=_lines(OPENING_BALANCES),
            memo="Opening balances at 31 December 2024, from the audited prior-system trial balance",
        )

    for entry_date, memo, rows in _general_and_administrative_entries():
        if JournalEntry.objects.filter(
            company=company, origin=EntryOrigin.MANUAL, entry_date=entry_date, memo=memo
        ).exists():
            continue
        journal_entry_submit(actor=controller, entry_date=entry_date, memo=memo, lines=_lines(rows))
