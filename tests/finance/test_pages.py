"""The ledger's pages: trial balance, account activity, entries, manual entry with approval,
and the signed close of a period — through the pages, as the people who use them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hemaops.core import roles
from hemaops.core.models import AuditEvent, Signature
from hemaops.finance import services, sources
from hemaops.finance.models import Account, FiscalPeriod, JournalEntry, PeriodStatusChange
from hemaops.finance.services import PostingLine
from hemaops.finance.sources import SourceDocument
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CHART = [
    ("1000", "Cash", "asset", "cash_and_marketable_securities"),
    ("1100", "Unbilled receivables", "asset", "other_current_assets"),
    ("1200", "Billed receivables", "asset", "other_current_assets"),
    ("2000", "Accounts payable", "liability", "current_liabilities"),
    ("3900", "Opening balance equity", "equity", "equity"),
    ("4000", "Revenue - red cells", "revenue", ""),
    ("5000", "Cost of revenue - collection", "cost_of_revenue", ""),
    ("6000", "General and administrative", "expense", ""),
]
MAPPING = [
    ("system", "cash", "1000"),
    ("system", "unbilled_receivables", "1100"),
    ("system", "billed_receivables", "1200"),
    ("system", "accounts_payable", "2000"),
    ("system", "opening_balance_equity", "3900"),
    ("revenue", "red_cells", "4000"),
    ("cost", "collection", "5000"),
]


@pytest.fixture
def books(company) -> dict[str, Account]:
    """The chart of accounts, its mapping and fiscal year 2025, set up by the operator."""
    accounts = {
        code: services.account_create(actor=None, code=code, name=name, type=kind, group=group)
        for code, name, kind, group in CHART
    }
    for kind, key, code in MAPPING:
        services.account_mapping_set(
            actor=None, kind=kind, key=key, account=accounts[code], effective_from=date(2024, 1, 1)
        )
    services.fiscal_year_open(actor=None, fiscal_year=2025)
    return accounts


@pytest.fixture
def first_quarter(books, program, hospital, make_user) -> dict[str, JournalEntry]:
    """A shipment of 1,200.00 in January, its invoice, and 300.00 of rent in February."""
    shipment = services.revenue_recognize(
        source=SourceDocument("tests.shipment", "S-1", "revenue"),
        entry_date=date(2025, 1, 10),
        program=program,
        hospital=hospital,
        amount="1200.00",
        revenue_key="red_cells",
        memo="Shipment S-1",
    )
    invoice = services.invoice_post(
        source=SourceDocument("tests.invoice", "INV-1", "invoice"),
        entry_date=date(2025, 1, 31),
        hospital=hospital,
        amount="1200.00",
        memo="Invoice INV-1",
    )
    rent = services.journal_entry_submit(
        actor=make_user(roles.CONTROLLER),
        entry_date=date(2025, 2, 15),
        memo="February rent",
        lines=[PostingLine("6000", debit="300.00"), PostingLine("2000", credit="300.00")],
    )
    return {"shipment": shipment, "invoice": invoice, "rent": rent}


def _entry_form(day: str, memo: str, *lines: tuple[str, str, str, str]) -> dict[str, str]:
    """The manual entry form as typed: (account, program, debit, credit) per row."""
    data = {"entry_date": day, "memo": memo}
    for index, (account, program_code, debit, credit) in enumerate(lines):
        data |= {
            f"lines-{index}-account": account,
            f"lines-{index}-program": program_code,
            f"lines-{index}-debit": debit,
            f"lines-{index}-credit": credit,
        }
    return data


def _period(code: str) -> FiscalPeriod:
    return FiscalPeriod.objects.get(code=code)


# --- reading ----------------------------------------------------------------------------------


@pytest.mark.smoke
def test_trial_balance_of_the_first_quarter_totals_and_balances(login, make_user, first_quarter):
    response = login(make_user(roles.ACCOUNTANT)).get("/finance/trial-balance/?period=2025Q1")

    assert response.status_code == 200
    balance = response.context["balance"]
    assert [(row.account.code, row.debit, row.credit, row.closing) for row in balance.rows] == [
        ("1100", Decimal("1200.00"), Decimal("1200.00"), Decimal("0.00")),
        ("1200", Decimal("1200.00"), Decimal("0.00"), Decimal("1200.00")),
        ("2000", Decimal("0.00"), Decimal("300.00"), Decimal("-300.00")),
        ("4000", Decimal("0.00"), Decimal("1200.00"), Decimal("-1200.00")),
        ("6000", Decimal("300.00"), Decimal("0.00"), Decimal("300.00")),
    ]
    assert balance.total_debit == Decimal("1500.00")
    assert balance.total_credit == Decimal("1500.00")
    assert response.context["period_debit"] == Decimal("2700.00")
    page = response.content.decode()
    assert '<td class="num" id="total-debit">1,500.00</td>' in page
    assert '<td class="num" id="total-credit">1,500.00</td>' in page
    assert "Balanced" in page
    assert "NOT balanced" not in page
    unbilled = first_quarter["shipment"].lines.get(account__code="1100").account
    assert f'href="/finance/accounts/{unbilled.pk}/?period=2025Q1"' in page


def test_a_later_fiscal_year_shows_the_earlier_years_result_as_its_own_line(login, make_user, first_quarter):
    response = login(make_user(roles.CONTROLLER)).get("/finance/trial-balance/?period=2026-01")

    balance = response.context["balance"]
    assert [(row.account.code, row.closing) for row in balance.rows] == [
        ("1200", Decimal("1200.00")),
        ("2000", Decimal("-300.00")),
    ]
    assert balance.prior_years_result == Decimal("-900.00")
    assert (balance.total_debit, balance.total_credit, balance.balanced) == (
        Decimal("1200.00"),
        Decimal("1200.00"),
        True,
    )
    page = response.content.decode()
    assert "Result of earlier fiscal years" in page
    assert '<td class="num">900.00 Cr</td>' in page


def test_the_trial_balance_page_reads_in_as_many_queries_however_many_entries(
    login, make_user, first_quarter, django_assert_max_num_queries
):
    client = login(make_user(roles.ACCOUNTANT))
    with CaptureQueriesContext(connection) as few:
        client.get("/finance/trial-balance/?period=2025Q1")
    for day in range(1, 11):
        services.journal_entry_submit(
            actor=make_user(roles.CONTROLLER),
            entry_date=date(2025, 3, day),
            memo=f"Supplies {day}",
            lines=[PostingLine("6000", debit="10.00"), PostingLine("1000", credit="10.00")],
        )

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/finance/trial-balance/?period=2025Q1")

    assert response.context["balance"].total_debit == Decimal("1600.00")


def test_a_bad_period_shows_the_reason_and_no_table(login, make_user, first_quarter):
    response = login(make_user(roles.EXECUTIVE)).get("/finance/trial-balance/?period=2025Q7")

    assert response.status_code == 200
    page = response.content.decode()
    assert "is not a period; use 2025-03, 2025Q1 or FY2025" in page
    assert "<table" not in page
    assert "balance" not in response.context


def test_account_activity_shows_each_line_with_its_running_balance(login, make_user, first_quarter, books):
    response = login(make_user(roles.ACCOUNTANT)).get(f"/finance/accounts/{books['1100'].pk}/?period=2025Q1")

    assert response.status_code == 200
    assert [
        (item.line.entry.memo, item.line.debit, item.line.credit, item.running_balance)
        for item in response.context["lines"]
    ] == [
        ("Shipment S-1", Decimal("1200.00"), Decimal("0.00"), Decimal("1200.00")),
        ("Invoice INV-1", Decimal("0.00"), Decimal("1200.00"), Decimal("0.00")),
    ]
    page = response.content.decode()
    assert '<td class="num" id="opening-balance">0.00</td>' in page
    assert '<td class="num">1,200.00 Dr</td>' in page
    assert '<td class="num" id="closing-balance">0.00</td>' in page
    assert "Cedars Valley" in page


def test_the_balance_of_a_credit_account_reads_as_a_credit(login, make_user, first_quarter, books):
    response = login(make_user(roles.ACCOUNTANT)).get(f"/finance/accounts/{books['2000'].pk}/?period=2025-03")

    assert response.context["lines"] == []
    assert '<td class="num" id="closing-balance">300.00 Cr</td>' in response.content.decode()


def test_an_entry_shows_its_source_document_through_the_registry(
    login, make_user, first_quarter, monkeypatch
):
    monkeypatch.setattr(sources, "_registry", {})
    sources.source_type_register("tests.shipment", "Shipment", lambda number: f"/shipments/{number}/")
    client = login(make_user(roles.EXECUTIVE))

    shipment_page = client.get(f"/finance/entries/{first_quarter['shipment'].pk}/").content.decode()
    invoice_page = client.get(f"/finance/entries/{first_quarter['invoice'].pk}/").content.decode()

    assert '<a href="/shipments/S-1/">Shipment S-1</a>' in shipment_page
    assert "Operational" in shipment_page
    assert "2025-01" in shipment_page
    # A type no context registered is shown as stored, without a link.
    assert "tests.invoice INV-1" in invoice_page


def test_an_unknown_entry_is_not_found(login, make_user, first_quarter):
    assert login(make_user(roles.CONTROLLER)).get("/finance/entries/999999/").status_code == 404


# --- manual entries -------------------------------------------------------------------------


def test_an_accountants_entry_waits_until_a_controller_approves_it_on_the_pending_page(
    client, make_user, first_quarter, program
):
    client.force_login(make_user(roles.ACCOUNTANT))
    response = client.post(
        "/finance/entries/new/",
        _entry_form(
            "2025-03-05",
            "March insurance",
            ("6000", "", "450.00", ""),
            ("", "", "", ""),
            ("1000", "", "", "450.00"),
        ),
    )
    entry = JournalEntry.objects.get(memo="March insurance")
    assert response.status_code == 302
    assert response["Location"] == f"/finance/entries/{entry.pk}/"
    assert entry.status == "pending_approval"
    assert [(line.account.code, line.debit, line.credit) for line in entry.lines.all()] == [
        ("6000", Decimal("450.00"), Decimal("0.00")),
        ("1000", Decimal("0.00"), Decimal("450.00")),
    ]

    client.force_login(make_user(roles.CONTROLLER))
    pending_page = client.get("/finance/entries/pending/").content.decode()
    assert f"/finance/entries/{entry.pk}/approve/" in pending_page
    response = client.post(f"/finance/entries/{entry.pk}/approve/")

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == "posted"
    assert entry.approved_by.username == roles.CONTROLLER
    assert (
        "No manual entry is waiting for approval." in client.get("/finance/entries/pending/").content.decode()
    )


def test_a_controller_rejects_a_pending_entry_with_a_reason(client, make_user, books):
    pending = services.journal_entry_submit(
        actor=make_user(roles.ACCOUNTANT),
        entry_date=date(2025, 3, 5),
        memo="Duplicate rent",
        lines=[PostingLine("6000", debit="300.00"), PostingLine("2000", credit="300.00")],
    )
    client.force_login(make_user(roles.CONTROLLER))

    client.post(f"/finance/entries/{pending.pk}/reject/", {"reason": ""})
    pending.refresh_from_db()
    assert pending.status == "pending_approval"

    client.post(f"/finance/entries/{pending.pk}/reject/", {"reason": "entered twice"})
    pending.refresh_from_db()
    assert pending.status == "rejected"
    assert AuditEvent.objects.get(action="finance.journal_entry.rejected").reason == "entered twice"


def test_a_manual_entry_on_revenue_is_refused_with_the_reason_and_keeps_what_was_typed(
    login, make_user, books, program
):
    client = login(make_user(roles.ACCOUNTANT))
    before = JournalEntry.objects.count()

    response = client.post(
        "/finance/entries/new/",
        _entry_form(
            "2025-03-05",
            "Revenue plug",
            ("1000", "", "99.00", ""),
            ("4000", program.code, "", "99.00"),
        ),
    )

    assert response.status_code == 200
    assert JournalEntry.objects.count() == before
    row = response.context["rows"][1]
    assert row.errors["account"] == [
        "4000 — revenue and cost of revenue are posted only from shipments, procedures and costs "
        "through the posting interface, never by a manual entry"
    ]
    page = response.content.decode()
    assert 'value="Revenue plug"' in page
    assert 'value="99.00"' in page
    assert '<option value="4000" selected>' in page


def test_an_error_on_a_later_line_is_shown_on_the_row_it_was_typed_in(login, make_user, books):
    client = login(make_user(roles.CONTROLLER))

    response = client.post(
        "/finance/entries/new/",
        _entry_form(
            "2025-03-05",
            "Office supplies",
            ("", "", "", ""),
            ("6000", "", "12.345", ""),
            ("2000", "", "", "12.35"),
        ),
    )

    assert response.status_code == 200
    rows = response.context["rows"]
    assert rows[1].errors["debit"] == ["'12.345' has more than two decimal places"]
    assert not rows[0].errors
    assert not JournalEntry.objects.filter(memo="Office supplies").exists()


def test_an_unbalanced_entry_is_refused_at_the_top_of_the_form(login, make_user, books):
    client = login(make_user(roles.CONTROLLER))

    response = client.post(
        "/finance/entries/new/",
        _entry_form("2025-03-05", "Lopsided", ("6000", "", "10.00", ""), ("2000", "", "", "9.00")),
    )

    assert response.context["form"].non_field_errors() == [
        "Debits and credits differ by 1.00; an entry must balance"
    ]
    assert not JournalEntry.objects.filter(memo="Lopsided").exists()


def test_a_controller_reverses_a_posted_entry(login, make_user, first_quarter):
    client = login(make_user(roles.CONTROLLER))
    rent = first_quarter["rent"]

    response = client.post(
        f"/finance/entries/{rent.pk}/reverse/", {"entry_date": "2025-03-01", "reason": "wrong landlord"}
    )

    reversal = JournalEntry.objects.get(reverses=rent)
    assert response["Location"] == f"/finance/entries/{reversal.pk}/"
    assert [(line.account.code, line.debit, line.credit) for line in reversal.lines.all()] == [
        ("6000", Decimal("0.00"), Decimal("300.00")),
        ("2000", Decimal("300.00"), Decimal("0.00")),
    ]
    assert f'<a href="/finance/entries/{reversal.pk}/">JE {reversal.pk}</a>' in (
        client.get(f"/finance/entries/{rent.pk}/").content.decode()
    )


# --- the signed close -------------------------------------------------------------------------


def test_a_controller_closes_a_month_by_signing_with_the_password(login, make_user, books):
    controller = make_user(roles.CONTROLLER)
    january = _period("2025-01")

    response = login(controller).post(
        f"/finance/periods/{january.pk}/close/", {"password": PASSWORD, "reason": "January books done"}
    )

    assert response.status_code == 302
    january.refresh_from_db()
    assert january.status == "closed"
    change = PeriodStatusChange.objects.get(period=january)
    assert (change.old_status, change.new_status, change.actor, change.reason) == (
        "open",
        "closed",
        controller,
        "January books done",
    )
    signature = Signature.objects.get(pk=change.signature_id)
    assert (signature.signer, signature.meaning) == (controller, "closed")


def test_a_wrong_password_closes_nothing_and_says_so_on_the_password_field(login, make_user, books):
    january = _period("2025-01")

    response = login(make_user(roles.CONTROLLER)).post(
        f"/finance/periods/{january.pk}/close/", {"password": "not-my-password", "reason": "done"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password"] == [
        "The password does not match; the signature was not recorded"
    ]
    january.refresh_from_db()
    assert january.status == "open"
    assert not PeriodStatusChange.objects.exists()
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="core.signature.refused").count() == 1


def test_reopening_needs_a_reason(login, make_user, books):
    client = login(make_user(roles.CONTROLLER))
    january = _period("2025-01")
    client.post(f"/finance/periods/{january.pk}/close/", {"password": PASSWORD})

    response = client.post(f"/finance/periods/{january.pk}/reopen/", {"password": PASSWORD, "reason": ""})

    assert response.context["form"].errors["reason"]
    january.refresh_from_db()
    assert january.status == "closed"


def test_a_posting_into_a_closed_month_through_the_form_is_refused(login, make_user, books):
    client = login(make_user(roles.CONTROLLER))
    client.post(f"/finance/periods/{_period('2025-01').pk}/close/", {"password": PASSWORD})

    response = client.post(
        "/finance/entries/new/",
        _entry_form(
            "2025-01-20", "Late January rent", ("6000", "", "300.00", ""), ("2000", "", "", "300.00")
        ),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["entry_date"] == ["Period 2025-01 is closed and takes no postings"]
    assert not JournalEntry.objects.filter(memo="Late January rent").exists()


def test_the_periods_page_shows_who_closed_a_month(login, make_user, books):
    client = login(make_user(roles.CONTROLLER))
    client.post(f"/finance/periods/{_period('2025-02').pk}/close/", {"password": PASSWORD, "reason": "done"})

    page = client.get("/finance/periods/").content.decode()

    assert "Fiscal year 2025" in page
    assert f"/finance/periods/{_period('2025-02').pk}/reopen/" in page
    assert f"/finance/periods/{_period('2025-03').pk}/close/" in page
    assert "done" in page


# --- the dashboard ------------------------------------------------------------------------------


def test_the_ledger_panel_shows_this_months_totals_and_the_entries_waiting(
    login, make_user, books, time_machine
):
    time_machine.move_to("2025-03-20 12:00Z")
    services.journal_entry_submit(
        actor=make_user(roles.CONTROLLER),
        entry_date=date(2025, 3, 2),
        memo="March rent",
        lines=[PostingLine("6000", debit="300.00"), PostingLine("2000", credit="300.00")],
    )
    services.journal_entry_submit(
        actor=make_user(roles.ACCOUNTANT),
        entry_date=date(2025, 3, 3),
        memo="March phone",
        lines=[PostingLine("6000", debit="80.00"), PostingLine("2000", credit="80.00")],
    )

    home = login(make_user(roles.EXECUTIVE)).get("/").content.decode()

    assert 'id="panel-financeledger"' in home
    assert "<strong>300.00</strong> closing debits, 2025-03" in home
    assert "<strong>1</strong> manual entry waiting for approval" in home


def test_the_ledger_panel_is_honest_when_nothing_is_posted(login, make_user, books):
    home = login(make_user(roles.ACCOUNTANT)).get("/").content.decode()

    assert "No posted entries in or before" in home
    assert "No manual entry is waiting for approval." in home


def test_the_ledger_panel_hides_without_a_company(login, make_user, monkeypatch):
    from hemaops.finance import dashboard
    from hemaops.finance.errors import FinanceError

    def no_company():
        raise FinanceError("No company is set up yet.", code="no_company")

    monkeypatch.setattr(dashboard.services, "company_get", no_company)
    home = login(make_user(roles.CONTROLLER)).get("/").content.decode()

    assert 'id="panel-financeledger"' not in home
