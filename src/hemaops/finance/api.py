"""Ledger API: accounts, trial balance, manual journal entries. Money is a string."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from hemaops.core.access import require_permission
from hemaops.core.authentication import request_actor
from hemaops.core.models import Program
from hemaops.finance import selectors, services
from hemaops.finance.errors import FinanceError
from hemaops.finance.models import JournalEntry
from hemaops.finance.services import PostingLine, company_get

router = Router(tags=["finance"])


class AccountOut(Schema):
    code: str
    name: str
    type: str
    group: str


class TrialBalanceRowOut(Schema):
    account: str
    name: str
    type: str
    opening: str
    debit: str
    credit: str
    closing: str


class TrialBalanceOut(Schema):
    period: str
    start: date
    end: date
    rows: list[TrialBalanceRowOut]
    prior_years_result: str = Field(
        description="Earlier years' income not yet closed to equity (debit positive)"
    )
    total_debit: str
    total_credit: str
    balanced: bool


class LineIn(Schema):
    account: str
    program: str | None = None
    debit: str | None = Field(default=None, description='Amount as a string, e.g. "1250.00"')
    credit: str | None = None


class JournalEntryIn(Schema):
    date: date
    memo: str
    lines: list[LineIn]


class LineOut(Schema):
    account: str
    program: str | None
    debit: str
    credit: str


class JournalEntryOut(Schema):
    id: int
    date: date
    period: str
    memo: str
    origin: str
    status: str
    lines: list[LineOut]


def entry_out(entry: JournalEntry) -> JournalEntryOut:
    return JournalEntryOut(
        id=entry.pk,
        date=entry.entry_date,
        period=entry.period.code,
        memo=entry.memo,
        origin=entry.origin,
        status=entry.status,
        lines=[
            LineOut(
                account=line.account.code,
                program=line.program.code if line.program else None,
                debit=f"{line.debit:.2f}",
                credit=f"{line.credit:.2f}",
            )
            for line in entry.lines.select_related("account", "program")
        ],
    )


@router.get("/accounts", response=list[AccountOut], summary="The chart of accounts")
def accounts(request: HttpRequest) -> list[AccountOut]:
    require_permission(request_actor(request), "finance.view_ledger")
    return [
        AccountOut(code=a.code, name=a.name, type=a.type, group=a.group)
        for a in selectors.accounts_list(company_get())
    ]


class TrialBalanceQuery(Schema):
    period: str = Field(description="2025-03 (month), 2025Q1 (fiscal quarter) or FY2025")


@router.get("/trial-balance", response=TrialBalanceOut, summary="Trial balance of a period")
def trial_balance(request: HttpRequest, query: Query[TrialBalanceQuery]) -> TrialBalanceOut:
    require_permission(request_actor(request), "finance.view_ledger")
    balance = selectors.trial_balance(company_get(), query.period)
    return TrialBalanceOut(
        period=balance.period.code,
        start=balance.period.start,
        end=balance.period.end,
        rows=[
            TrialBalanceRowOut(
                account=row.account.code,
                name=row.account.name,
                type=row.account.type,
                opening=f"{row.opening:.2f}",
                debit=f"{row.debit:.2f}",
                credit=f"{row.credit:.2f}",
                closing=f"{row.closing:.2f}",
            )
            for row in balance.rows
        ],
        prior_years_result=f"{balance.prior_years_result:.2f}",
        total_debit=f"{balance.total_debit:.2f}",
        total_credit=f"{balance.total_credit:.2f}",
        balanced=balance.balanced,
    )


@router.post("/journal-entries", response={201: JournalEntryOut}, summary="Submit a manual journal entry")
def journal_entry_create(request: HttpRequest, payload: JournalEntryIn) -> Status:
    """Posted at once when the caller is a controller; otherwise it waits for approval.
    Refused on revenue and cost-of-revenue accounts."""
    codes = {line.program for line in payload.lines if line.program}
    programs = {program.code: program for program in Program.objects.filter(code__in=codes)}
    lines = []
    for index, line in enumerate(payload.lines):
        if line.program and line.program not in programs:
            raise FinanceError(
                f"lines.{index}.program: no program {line.program!r}",
                code="unknown_program",
                field=f"lines.{index}.program",
            )
        lines.append(
            PostingLine(
                line.account,
                debit=line.debit or "0",
                credit=line.credit or "0",
                program=programs.get(line.program) if line.program else None,
            )
        )
    entry = services.journal_entry_submit(
        actor=request_actor(request), entry_date=payload.date, memo=payload.memo, lines=lines
    )
    return Status(201, entry_out(entry))


@router.get("/journal-entries/{entry_id}", response=JournalEntryOut, summary="One journal entry")
def journal_entry_detail(request: HttpRequest, entry_id: int) -> JournalEntryOut:
    require_permission(request_actor(request), "finance.view_ledger")
    return entry_out(selectors.journal_entry_get(company_get(), entry_id))
