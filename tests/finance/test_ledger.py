"""The ledger's services: posting interface, receivables, manual entries, close."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hemaops.core import roles
from hemaops.core.errors import ConflictError, DomainError, PermissionDeniedError
from hemaops.core.models import AuditEvent, Signature
from hemaops.core.signatures import signer_verify
from hemaops.finance import selectors, services
from hemaops.finance.errors import FinanceError
from hemaops.finance.models import FiscalPeriod, JournalEntry, PeriodStatusChange
from hemaops.finance.services import PostingLine
from hemaops.finance.sources import SourceDocument
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

JAN = date(2025, 1, 15)


def _shipment(number: int, kind: str = "revenue") -> SourceDocument:
    return SourceDocument("tests.shipment", str(number), kind)


def _ship(number, program, hospital, amount="250.00", on=JAN):
    return services.revenue_recognize(
        source=_shipment(number),
        entry_date=on,
        program=program,
        hospital=hospital,
        amount=amount,
        revenue_key="red_cells",
        memo=f"shipment {number}",
    )


def _balances(code: str, period="2025Q1") -> dict[str, Decimal]:
    balance = selectors.trial_balance(services.company_get(), period)
    assert balance.balanced
    return {row.account.code: row.closing for row in balance.rows}


def test_a_shipment_posts_revenue_against_unbilled_receivables_on_its_date(ledger, program, hospital):
    entry = _ship(1, program, hospital)
    assert entry.status == "posted"
    assert entry.period.code == "2025-01"
    lines = {(line.account.code, line.debit, line.credit, line.program_id) for line in entry.lines.all()}
    assert lines == {
        ("1100", Decimal("250.00"), Decimal("0.00"), None),
        ("4000", Decimal("0.00"), Decimal("250.00"), program.pk),
    }
    assert AuditEvent.objects.filter(stream="finance", action="finance.journal_entry.posted").count() == 1


@pytest.mark.smoke
def test_posting_the_same_document_twice_changes_nothing(ledger, program, hospital):
    first = _ship(1, program, hospital)
    events = AuditEvent.objects.count()
    again = _ship(1, program, hospital, amount="999.00")
    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("rhythm", ["per_shipment", "monthly"])
def test_revenue_is_posted_once_whatever_the_invoicing_rhythm(ledger, program, hospital, rhythm):
    for number in (1, 2, 3):
        _ship(number, program, hospital, amount="100.00", on=date(2025, 1, number * 5))
    if rhythm == "per_shipment":
        for number in (1, 2, 3):
            services.invoice_post(
                source=_shipment(number, "invoice"),
                entry_date=date(2025, 1, number * 5),
                hospital=hospital,
                amount="100.00",
                memo="invoice",
            )
    else:
        services.invoice_post(
            source=SourceDocument("tests.invoice", "jan", "invoice"),
            entry_date=date(2025, 1, 31),
            hospital=hospital,
            amount="300.00",
            memo="monthly invoice",
        )
    balances = _balances("2025Q1")
    assert balances["4000"] == Decimal("-300.00")  # credit balance: revenue 300, once
    assert balances["1200"] == Decimal("300.00")
    assert "1100" not in balances or balances["1100"] == Decimal("0.00")


def test_a_receipt_clears_billed_receivables_and_a_credit_note_reverses_its_share(ledger, program, hospital):
    _ship(1, program, hospital, amount="500.00")
    services.invoice_post(
        source=_shipment(1, "invoice"), entry_date=JAN, hospital=hospital, amount="500.00", memo="invoice"
    )
    services.credit_note_post(
        source=SourceDocument("tests.credit_note", "1", "credit"),
        entry_date=date(2025, 2, 3),
        program=program,
        hospital=hospital,
        amount="50.00",
        revenue_key="red_cells",
        memo="damaged unit",
    )
    services.receipt_post(
        source=SourceDocument("tests.receipt", "1", "receipt"),
        entry_date=date(2025, 2, 20),
        hospital=hospital,
        amount="450.00",
        memo="check 1001",
    )
    balances = _balances("2025Q1")
    assert balances["4000"] == Decimal("-450.00")
    assert balances["1000"] == Decimal("450.00")
    assert balances.get("1200", Decimal("0.00")) == Decimal("0.00")


def test_a_cost_is_expensed_by_program(ledger, program):
    entry = services.cost_record(
        source=SourceDocument("tests.compensation", "7", "cost"),
        entry_date=JAN,
        program=program,
        amount="35.00",
        cost_key="collection",
        memo="donor fee",
    )
    line = entry.lines.get(account__code="5000")
    assert (line.debit, line.program) == (Decimal("35.00"), program)


def test_revenue_without_a_program_is_refused(ledger, hospital):
    with pytest.raises(FinanceError) as refusal:
        services.posting_record(
            source=_shipment(1),
            entry_date=JAN,
            memo="x",
            lines=[
                PostingLine("1100", debit="10.00"),
                PostingLine("4000", credit="10.00"),
            ],
        )
    assert refusal.value.code == "program_required"
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize(
    ("lines", "code", "field"),
    [
        ([PostingLine("6000", debit="10.00"), PostingLine("1000", credit="9.99")], "unbalanced", "lines"),
        (
            [PostingLine("6000", debit="10.005"), PostingLine("1000", credit="10.005")],
            "invalid_amount",
            "lines.0.debit",
        ),
        (
            [PostingLine("9999", debit="10.00"), PostingLine("1000", credit="10.00")],
            "unknown_account",
            "lines.0.account",
        ),
        (
            [PostingLine("6000", debit="10.00", credit="1.00"), PostingLine("1000", credit="9.00")],
            "invalid_line",
            "lines.0",
        ),
        ([PostingLine("6000", debit="10.00")], "too_few_lines", "lines"),
    ],
)
def test_bad_manual_entries_are_refused_naming_the_field_and_nothing_is_saved(
    make_user, ledger, lines, code, field
):
    controller = make_user(roles.CONTROLLER)
    with pytest.raises(FinanceError) as refusal:
        services.journal_entry_submit(actor=controller, entry_date=JAN, memo="rent", lines=lines)
    assert (refusal.value.code, refusal.value.field) == (code, field)
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize("account", ["4000", "5000"])
def test_a_manual_entry_on_revenue_or_cost_of_revenue_is_refused(make_user, ledger, program, account):
    """The anti-plug rule: segment results come only from operations."""
    with pytest.raises(FinanceError) as refusal:
        services.journal_entry_submit(
            actor=make_user(roles.CONTROLLER),
            entry_date=JAN,
            memo="plug",
            lines=[
                PostingLine(account, debit="1000.00", program=program),
                PostingLine("1000", credit="1000.00"),
            ],
        )
    assert refusal.value.code == "manual_entry_on_revenue"
    assert not JournalEntry.objects.exists()


def test_a_controllers_entry_posts_at_once_and_an_accountants_waits_for_approval(make_user, ledger):
    lines = [PostingLine("6000", debit="1200.00"), PostingLine("1000", credit="1200.00")]
    posted = services.journal_entry_submit(
        actor=make_user(roles.CONTROLLER), entry_date=JAN, memo="rent", lines=lines
    )
    assert posted.status == "posted"
    waiting = services.journal_entry_submit(
        actor=make_user(roles.ACCOUNTANT), entry_date=JAN, memo="rent", lines=lines
    )
    assert waiting.status == "pending_approval"
    assert "6000" not in _balances("2025-01") or _balances("2025-01")["6000"] == Decimal("1200.00")
    with pytest.raises(PermissionDeniedError):
        services.journal_entry_approve(actor=make_user(roles.ACCOUNTANT), entry=waiting)
    services.journal_entry_approve(actor=make_user(roles.CONTROLLER), entry=waiting)
    assert _balances("2025-01")["6000"] == Decimal("2400.00")


def test_a_recruiter_cannot_submit_entries(make_user, ledger):
    with pytest.raises(PermissionDeniedError):
        services.journal_entry_submit(
            actor=make_user(roles.RECRUITER),
            entry_date=JAN,
            memo="x",
            lines=[PostingLine("6000", debit="1.00"), PostingLine("1000", credit="1.00")],
        )


def test_a_reversal_is_the_only_correction_and_happens_once(make_user, ledger, program, hospital):
    controller = make_user(roles.CONTROLLER)
    entry = _ship(1, program, hospital, amount="80.00")
    reversal = services.journal_entry_reverse(
        actor=controller, entry=entry, entry_date=date(2025, 2, 1), reason="shipped in error"
    )
    assert reversal.reverses == entry
    assert reversal.origin == "reversal"
    assert _balances("2025Q1").get("4000", Decimal("0.00")) == Decimal("0.00")
    with pytest.raises(ConflictError):
        services.journal_entry_reverse(
            actor=controller, entry=entry, entry_date=date(2025, 2, 1), reason="again"
        )


def _close(controller, code):
    signer = signer_verify(actor=controller, password=PASSWORD, authenticated_by="session")
    return services.period_close(
        actor=controller, period=FiscalPeriod.objects.get(code=code), signer=signer, reason="month-end"
    )


def test_a_closed_period_takes_no_postings_and_reopening_is_signed(make_user, ledger, program, hospital):
    controller = make_user(roles.CONTROLLER)
    _close(controller, "2025-01")
    assert Signature.objects.get(meaning="closed").signer == controller
    assert PeriodStatusChange.objects.get().new_status == "closed"
    with pytest.raises(FinanceError) as refusal:
        _ship(1, program, hospital)
    assert refusal.value.code == "period_closed"
    # A credit note dated today's open period is fine even for a January shipment.
    _ship(2, program, hospital, on=date(2025, 2, 2))
    signer = signer_verify(actor=controller, password=PASSWORD, authenticated_by="session")
    with pytest.raises(DomainError):
        services.period_reopen(
            actor=controller, period=FiscalPeriod.objects.get(code="2025-01"), signer=signer, reason=""
        )
    services.period_reopen(
        actor=controller,
        period=FiscalPeriod.objects.get(code="2025-01"),
        signer=signer,
        reason="late supplier invoice",
    )
    assert _ship(1, program, hospital).period.code == "2025-01"


def test_a_closed_quarter_refuses_its_months_too(make_user, ledger, program, hospital):
    _close(make_user(roles.CONTROLLER), "2025Q1")
    with pytest.raises(FinanceError, match="2025Q1 is closed"):
        _ship(1, program, hospital, on=date(2025, 3, 31))


def test_a_period_with_entries_waiting_cannot_close(make_user, ledger):
    services.journal_entry_submit(
        actor=make_user(roles.ACCOUNTANT),
        entry_date=JAN,
        memo="rent",
        lines=[PostingLine("6000", debit="1.00"), PostingLine("1000", credit="1.00")],
    )
    with pytest.raises(ConflictError) as refusal:
        _close(make_user(roles.CONTROLLER), "2025-01")
    assert refusal.value.code == "pending_entries"
    assert FiscalPeriod.objects.get(code="2025-01").status == "open"


def test_a_date_outside_any_open_fiscal_year_is_refused(ledger, program, hospital):
    with pytest.raises(FinanceError) as refusal:
        _ship(1, program, hospital, on=date(2026, 1, 2))
    assert refusal.value.code == "no_period"


def test_opening_balances_balance_against_opening_equity_in_their_own_period(make_user, ledger):
    controller = make_user(roles.CONTROLLER)
    entry = services.opening_balances_post(
        actor=controller,
        as_of=date(2024, 12, 31),
        lines=[
            PostingLine("1000", debit="150000.00"),
            PostingLine("1200", debit="50000.00"),
            PostingLine("2000", credit="40000.00"),
        ],
    )
    assert entry.period.code == "OPENING"
    assert entry.lines.get(account__code="3900").credit == Decimal("160000.00")
    balances = _balances("2025Q1")
    assert balances["1000"] == Decimal("150000.00")
    assert balances["3900"] == Decimal("-160000.00")
    with pytest.raises(ConflictError):
        services.opening_balances_post(
            actor=controller, as_of=date(2024, 12, 31), lines=[PostingLine("1000", debit="1.00")]
        )


def test_opening_balances_must_precede_the_first_period(make_user, ledger):
    with pytest.raises(FinanceError) as refusal:
        services.opening_balances_post(
            actor=make_user(roles.CONTROLLER),
            as_of=date(2025, 1, 31),
            lines=[PostingLine("1000", debit="1.00")],
        )
    assert refusal.value.field == "as_of"


def test_trial_balance_starts_income_accounts_at_zero_each_fiscal_year(make_user, ledger, program, hospital):
    services.fiscal_year_open(actor=None, fiscal_year=2026)
    _ship(1, program, hospital, amount="100.00", on=date(2025, 12, 30))
    _ship(2, program, hospital, amount="40.00", on=date(2026, 1, 5))
    balance = selectors.trial_balance(services.company_get(), "2026Q1")
    rows = {row.account.code: row for row in balance.rows}
    assert rows["4000"].opening == Decimal("0.00")
    assert rows["4000"].closing == Decimal("-40.00")
    assert rows["1100"].opening == Decimal("100.00")
    assert rows["1100"].closing == Decimal("140.00")
    assert balance.prior_years_result == Decimal("-100.00")  # 2025's revenue, not yet closed to equity
    assert balance.balanced


def test_a_mapping_change_applies_from_its_date(ledger, program, hospital):
    services.account_mapping_set(
        actor=None, kind="revenue", key="red_cells", account=ledger["4100"], effective_from=date(2025, 2, 1)
    )
    assert _ship(1, program, hospital, on=date(2025, 1, 31)).lines.filter(account__code="4000").exists()
    assert _ship(2, program, hospital, on=date(2025, 2, 1)).lines.filter(account__code="4100").exists()


def test_an_amount_larger_than_the_ledger_holds_is_refused(make_user, ledger):
    with pytest.raises(FinanceError) as refusal:
        services.journal_entry_submit(
            actor=make_user(roles.CONTROLLER),
            entry_date=JAN,
            memo="huge",
            lines=[
                PostingLine("6000", debit="1000000000000.00"),
                PostingLine("1000", credit="1000000000000.00"),
            ],
        )
    assert refusal.value.field == "lines.0.debit"


def test_opening_balances_with_a_bad_amount_name_the_line(make_user, ledger):
    with pytest.raises(FinanceError) as refusal:
        services.opening_balances_post(
            actor=make_user(roles.CONTROLLER),
            as_of=date(2024, 12, 31),
            lines=[PostingLine("1000", debit="1.005")],
        )
    assert refusal.value.field == "lines.0.debit"


def test_no_fiscal_year_may_start_before_the_opening_balances(make_user, ledger):
    services.opening_balances_post(
        actor=make_user(roles.CONTROLLER),
        as_of=date(2024, 12, 31),
        lines=[PostingLine("1000", debit="10.00")],
    )
    with pytest.raises(FinanceError) as refusal:
        services.fiscal_year_open(actor=None, fiscal_year=2024)
    assert refusal.value.field == "fiscal_year"


@pytest.mark.parametrize(
    ("kind", "code"), [("revenue", "1000"), ("cost", "4000"), ("system", "6000"), ("nonsense", "1000")]
)
def test_a_mapping_to_the_wrong_kind_of_account_is_refused(ledger, kind, code):
    with pytest.raises(FinanceError):
        services.account_mapping_set(
            actor=None, kind=kind, key="x", account=ledger[code], effective_from=date(2025, 1, 1)
        )
