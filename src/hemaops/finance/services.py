"""Services of the ledger: the posting interface operations call, receivables, manual
entries, reversals, opening balances, fiscal years and the signed close of a period.

Every function is one transaction (a savepoint when called inside an operational
service's transaction, which is how the posting interface is meant to be used).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.errors import ConflictError, NotFoundError
from hemaops.core.models import Company, Hospital, Program, User
from hemaops.core.signatures import RecordToSign, VerifiedSigner, signature_sign
from hemaops.finance.errors import FinanceError
from hemaops.finance.models import (
    Account,
    AccountMapping,
    FiscalPeriod,
    JournalEntry,
    JournalLine,
    PeriodStatusChange,
)
from hemaops.finance.money import MoneyError, to_money
from hemaops.finance.rules import (
    ENTRY_TRANSITIONS,
    PERIOD_TRANSITIONS,
    PROGRAM_REQUIRED,
    AccountType,
    EntryOrigin,
    EntryStatus,
    LineAmounts,
    PeriodKind,
    PeriodStatus,
    fiscal_periods,
    fiscal_year_of,
    fiscal_year_start,
    is_balance_sheet,
    line_problem,
    manual_entry_refusal,
    transition_allowed,
    unbalanced_by,
)
from hemaops.finance.sources import SourceDocument

STREAM = "finance"
# The receivables a credit note may reduce (policy 3).
CREDITABLE_RECEIVABLES = ("billed_receivables", "unbilled_receivables")
OPENING_PERIOD_CODE = "OPENING"
# Which account types each kind of mapping may point at.
MAPPABLE_TYPES: dict[str, frozenset[str]] = {
    "revenue": frozenset({AccountType.REVENUE}),
    "cost": frozenset({AccountType.COST_OF_REVENUE}),
    "system": frozenset({AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY}),
}


@dataclass(frozen=True)
class PostingLine:
    """One line as a caller gives it: an account (or its code), one side, dimensions."""

    account: Account | str
    debit: Decimal | str | int = "0"
    credit: Decimal | str | int = "0"
    program: Program | None = None
    hospital: Hospital | None = None
    memo: str = ""


def company_get() -> Company:
    company = Company.objects.order_by("pk").first()
    if company is None:
        raise FinanceError("No company is set up yet.", code="no_company")
    return company


# --- periods and lines -------------------------------------------------------------------


def _period_for(company: Company, entry_date: date, origin: EntryOrigin) -> FiscalPeriod:
    """The month an entry falls in, refusing a closed month or quarter and the opening
    period for anything but opening balances."""
    if origin == EntryOrigin.OPENING:
        period = FiscalPeriod.objects.filter(company=company, code=OPENING_PERIOD_CODE).first()
        if period is None:
            raise FinanceError("There is no opening period.", code="no_opening_period")
        return period
    covering = list(
        FiscalPeriod.objects.filter(
            company=company,
            kind__in=[PeriodKind.MONTH, PeriodKind.QUARTER],
            start_date__lte=entry_date,
            end_date__gte=entry_date,
        )
    )
    month = next((period for period in covering if period.kind == PeriodKind.MONTH), None)
    if month is None:
        raise FinanceError(
            f"date: no fiscal period covers {entry_date}; open its fiscal year first",
            code="no_period",
            field="date",
        )
    closed = [period.code for period in covering if period.status == PeriodStatus.CLOSED]
    if closed:
        raise FinanceError(
            f"date: period {', '.join(sorted(closed))} is closed and takes no postings",
            code="period_closed",
            field="date",
        )
    return month


def _accounts_by_code(company: Company, lines: Sequence[PostingLine]) -> dict[str, Account]:
    codes = {line.account for line in lines if isinstance(line.account, str)}
    return {account.code: account for account in Account.objects.filter(company=company, code__in=codes)}


def _build_lines(company: Company, lines: Sequence[PostingLine], *, manual: bool) -> list[JournalLine]:
    if len(lines) < 2:
        raise FinanceError("lines: an entry needs at least two lines", code="too_few_lines", field="lines")
    by_code = _accounts_by_code(company, lines)
    built = []
    for index, line in enumerate(lines):
        where = f"lines.{index}"
        account = line.account if isinstance(line.account, Account) else by_code.get(line.account)
        if account is None or account.company_id != company.pk:
            raise FinanceError(
                f"{where}.account: no account {line.account!r}",
                code="unknown_account",
                field=f"{where}.account",
            )
        if not account.is_active:
            raise FinanceError(
                f"{where}.account: account {account.code} is inactive", field=f"{where}.account"
            )
        try:
            debit = to_money(line.debit, field=f"{where}.debit")
            credit = to_money(line.credit, field=f"{where}.credit")
        except MoneyError as error:
            field = str(error).split(":", 1)[0]
            raise FinanceError(str(error), code="invalid_amount", field=field) from None
        problem = line_problem(debit, credit)
        if problem:
            raise FinanceError(f"{where}: {problem}", code="invalid_line", field=where)
        if manual and (refusal := manual_entry_refusal(account.type)):
            raise FinanceError(
                f"{where}.account: {account.code} — {refusal}",
                code="manual_entry_on_revenue",
                field=f"{where}.account",
            )
        if AccountType(account.type) in PROGRAM_REQUIRED and line.program is None:
            raise FinanceError(
                f"{where}.program: a {account.get_type_display().lower()} line needs its program "
                "(it gives the segment)",
                code="program_required",
                field=f"{where}.program",
            )
        built.append(
            JournalLine(
                account=account,
                program=line.program,
                hospital=line.hospital,
                debit=debit,
                credit=credit,
                memo=line.memo,
            )
        )
    difference = unbalanced_by(LineAmounts(line.debit, line.credit) for line in built)
    if difference:
        raise FinanceError(
            f"lines: debits and credits differ by {difference}; an entry must balance",
            code="unbalanced",
            field="lines",
        )
    return built


def _write_entry(
    *,
    company: Company,
    entry_date: date,
    memo: str,
    origin: EntryOrigin,
    lines: list[JournalLine],
    actor: User | None,
    post: bool,
    source: SourceDocument | None = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    period = _period_for(company, entry_date, origin)
    now = timezone.now()
    entry = JournalEntry.objects.create(
        company=company,
        entry_date=entry_date,
        period=period,
        memo=memo[:300],
        origin=origin,
        status=EntryStatus.PENDING_APPROVAL,
        source_type=source.type if source else "",
        source_id=source.id if source else "",
        source_kind=source.kind if source else "",
        reverses=reverses,
        created_by=actor,
        created_at=now,
    )
    for line in lines:
        line.entry = entry
    JournalLine.objects.bulk_create(lines)
    if post:
        _post(entry, approved_by=actor)
    audit_record(
        stream=STREAM,
        action=f"finance.journal_entry.{'posted' if post else 'submitted'}",
        actor=actor,
        target=entry,
        data={
            "new": {
                "date": entry_date,
                "memo": memo,
                "origin": origin,
                "period": period.code,
                "source": [entry.source_type, entry.source_id, entry.source_kind] if source else None,
                "lines": [
                    [line.account.code, line.debit, line.credit, line.program_id, line.hospital_id]
                    for line in lines
                ],
            }
        },
    )
    return entry


def _post(entry: JournalEntry, *, approved_by: User | None) -> None:
    if not transition_allowed(ENTRY_TRANSITIONS, EntryStatus(entry.status), EntryStatus.POSTED):
        raise ConflictError(f"Journal entry {entry.pk} is {entry.status} and cannot be posted.")
    entry.status = EntryStatus.POSTED
    entry.posted_at = timezone.now()
    entry.approved_by = approved_by
    entry.save(update_fields=["status", "posted_at", "approved_by"])


# --- the posting interface ---------------------------------------------------------------


@transaction.atomic
def posting_record(
    *,
    source: SourceDocument,
    entry_date: date,
    memo: str,
    lines: Sequence[PostingLine],
    actor: User | None = None,
) -> JournalEntry:
    """Post an operational document's entry. Idempotent on (type, id, kind): posting the
    same document twice returns the first entry and changes nothing — also when two
    transactions race (the unique constraint decides; the loser reads the winner's entry)."""
    company = company_get()
    existing = _posted_for(company, source)
    if existing is not None:
        return existing
    built = _build_lines(company, lines, manual=False)
    try:
        with transaction.atomic():
            return _write_entry(
                company=company,
                entry_date=entry_date,
                memo=memo,
                origin=EntryOrigin.OPERATIONAL,
                lines=built,
                actor=actor,
                post=True,
                source=source,
            )
    except IntegrityError:
        existing = _posted_for(company, source)
        if existing is None:
            raise
        return existing


def _posted_for(company: Company, source: SourceDocument) -> JournalEntry | None:
    return JournalEntry.objects.filter(
        company=company, source_type=source.type, source_id=source.id, source_kind=source.kind
    ).first()


def account_for(company: Company, kind: str, key: str, on: date) -> Account:
    """The account configured for ``kind``/``key`` on a date (AccountMapping)."""
    mapping = (
        AccountMapping.objects.select_related("account")
        .filter(company=company, kind=kind, key=key, effective_from__lte=on)
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=on))
        .order_by("-effective_from")
        .first()
    )
    if mapping is None:
        raise FinanceError(
            f"No account is mapped for {kind} {key!r} on {on}; set it up in the account mapping.",
            code="no_account_mapping",
        )
    return mapping.account


def _mapped(kind: str, key: str, on: date) -> Account:
    return account_for(company_get(), kind, key, on)


# --- receivables and costs (policy: docs/accounting-policies.md) --------------------------


def revenue_recognize(
    *,
    source: SourceDocument,
    entry_date: date,
    program: Program,
    hospital: Hospital,
    amount: Decimal | str,
    revenue_key: str,
    memo: str,
    actor: User | None = None,
) -> JournalEntry:
    """A shipment or a completed procedure: revenue on its own date, against unbilled receivables."""
    return posting_record(
        source=source,
        entry_date=entry_date,
        memo=memo,
        actor=actor,
        lines=[
            PostingLine(
                _mapped("system", "unbilled_receivables", entry_date), debit=amount, hospital=hospital
            ),
            PostingLine(
                _mapped("revenue", revenue_key, entry_date), credit=amount, program=program, hospital=hospital
            ),
        ],
    )


def invoice_post(
    *,
    source: SourceDocument,
    entry_date: date,
    hospital: Hospital,
    amount: Decimal | str,
    memo: str,
    actor: User | None = None,
) -> JournalEntry:
    """An invoice moves its amount from unbilled to billed receivables; it never posts revenue."""
    return posting_record(
        source=source,
        entry_date=entry_date,
        memo=memo,
        actor=actor,
        lines=[
            PostingLine(_mapped("system", "billed_receivables", entry_date), debit=amount, hospital=hospital),
            PostingLine(
                _mapped("system", "unbilled_receivables", entry_date), credit=amount, hospital=hospital
            ),
        ],
    )


def credit_note_post(
    *,
    source: SourceDocument,
    entry_date: date,
    program: Program,
    hospital: Hospital,
    amount: Decimal | str,
    revenue_key: str,
    memo: str,
    actor: User | None = None,
    receivable: str = "billed_receivables",
) -> JournalEntry:
    """A credit note reverses its share of revenue and of the receivable it was in, on its own
    date (so a credit for a closed period lands in the current one). ``receivable`` is
    ``billed_receivables`` for an invoiced charge, ``unbilled_receivables`` for one credited
    before it was invoiced (it then never reaches an invoice)."""
    if receivable not in CREDITABLE_RECEIVABLES:
        raise FinanceError(
            f"receivable: {receivable!r} is not one of {', '.join(CREDITABLE_RECEIVABLES)}",
            code="invalid_choice",
            field="receivable",
        )
    return posting_record(
        source=source,
        entry_date=entry_date,
        memo=memo,
        actor=actor,
        lines=[
            PostingLine(
                _mapped("revenue", revenue_key, entry_date), debit=amount, program=program, hospital=hospital
            ),
            PostingLine(_mapped("system", receivable, entry_date), credit=amount, hospital=hospital),
        ],
    )


def receipt_post(
    *,
    source: SourceDocument,
    entry_date: date,
    hospital: Hospital,
    amount: Decimal | str,
    memo: str,
    actor: User | None = None,
) -> JournalEntry:
    """A receipt posts cash and clears billed receivables."""
    return posting_record(
        source=source,
        entry_date=entry_date,
        memo=memo,
        actor=actor,
        lines=[
            PostingLine(_mapped("system", "cash", entry_date), debit=amount, hospital=hospital),
            PostingLine(
                _mapped("system", "billed_receivables", entry_date), credit=amount, hospital=hospital
            ),
        ],
    )


def cost_record(
    *,
    source: SourceDocument,
    entry_date: date,
    program: Program,
    amount: Decimal | str,
    cost_key: str,
    memo: str,
    credit_role: str = "accounts_payable",
    actor: User | None = None,
) -> JournalEntry:
    """A cost of collecting, testing or making a program's units (donor compensation,
    supplies, test fees, staff time, outdated units): expensed in its period, by program."""
    return posting_record(
        source=source,
        entry_date=entry_date,
        memo=memo,
        actor=actor,
        lines=[
            PostingLine(_mapped("cost", cost_key, entry_date), debit=amount, program=program),
            PostingLine(_mapped("system", credit_role, entry_date), credit=amount),
        ],
    )


# --- manual entries, approval, reversal --------------------------------------------------


@transaction.atomic
def journal_entry_submit(
    *, actor: User, entry_date: date, memo: str, lines: Sequence[PostingLine]
) -> JournalEntry:
    """A manual entry (G&A, interest, depreciation, taxes, financing): posted at once for a
    controller, waiting for a controller's approval when an accountant submits it."""
    require_permission(actor, "finance.submit_journal_entry")
    if not memo.strip():
        raise FinanceError("memo: say what the entry is for", code="memo_required", field="memo")
    company = company_get()
    built = _build_lines(company, lines, manual=True)
    post_now = actor.has_perm("finance.post_journal_entry")
    return _write_entry(
        company=company,
        entry_date=entry_date,
        memo=memo,
        origin=EntryOrigin.MANUAL,
        lines=built,
        actor=actor,
        post=post_now,
    )


def _locked_entry(entry: JournalEntry) -> JournalEntry:
    locked = JournalEntry.objects.select_for_update().filter(pk=entry.pk).first()
    if locked is None:
        raise NotFoundError("No such journal entry.")
    return locked


@transaction.atomic
def journal_entry_approve(*, actor: User, entry: JournalEntry) -> JournalEntry:
    require_permission(actor, "finance.post_journal_entry")
    entry = _locked_entry(entry)
    if entry.status != EntryStatus.PENDING_APPROVAL:
        raise ConflictError(f"Journal entry {entry.pk} is {entry.status}, not waiting for approval.")
    _period_for(entry.company, entry.entry_date, EntryOrigin(entry.origin))
    _post(entry, approved_by=actor)
    audit_record(
        stream=STREAM,
        action="finance.journal_entry.approved",
        actor=actor,
        target=entry,
        data={"old": {"status": "pending_approval"}, "new": {"status": "posted"}},
    )
    return entry


@transaction.atomic
def journal_entry_reject(*, actor: User, entry: JournalEntry, reason: str) -> JournalEntry:
    require_permission(actor, "finance.post_journal_entry")
    if not reason.strip():
        raise FinanceError("reason: say why the entry is rejected", field="reason")
    entry = _locked_entry(entry)
    if not transition_allowed(ENTRY_TRANSITIONS, EntryStatus(entry.status), EntryStatus.REJECTED):
        raise ConflictError(f"Journal entry {entry.pk} is {entry.status} and cannot be rejected.")
    entry.status = EntryStatus.REJECTED
    entry.save(update_fields=["status"])
    audit_record(
        stream=STREAM,
        action="finance.journal_entry.rejected",
        actor=actor,
        target=entry,
        data={"old": {"status": "pending_approval"}, "new": {"status": "rejected"}},
        reason=reason,
    )
    return entry


@transaction.atomic
def journal_entry_reverse(*, actor: User, entry: JournalEntry, entry_date: date, reason: str) -> JournalEntry:
    """The only correction of a posted entry: a new entry with every line on the other
    side, dated in an open period, linked to the one it reverses (once)."""
    require_permission(actor, "finance.post_journal_entry")
    if not reason.strip():
        raise FinanceError("reason: say why the entry is reversed", field="reason")
    entry = _locked_entry(entry)
    if entry.status != EntryStatus.POSTED:
        raise ConflictError(f"Journal entry {entry.pk} is not posted; there is nothing to reverse.")
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise ConflictError(f"Journal entry {entry.pk} is already reversed.", code="already_reversed")
    lines = [
        JournalLine(
            account=line.account,
            program=line.program,
            hospital=line.hospital,
            debit=line.credit,
            credit=line.debit,
            memo=line.memo,
        )
        for line in entry.lines.select_related("account")
    ]
    reversal = _write_entry(
        company=entry.company,
        entry_date=entry_date,
        memo=f"Reversal of JE {entry.pk}: {reason}",
        origin=EntryOrigin.REVERSAL,
        lines=lines,
        actor=actor,
        post=True,
        reverses=entry,
    )
    audit_record(
        stream=STREAM,
        action="finance.journal_entry.reversed",
        actor=actor,
        target=entry,
        data={"new": {"reversed_by": reversal.pk}},
        reason=reason,
    )
    return reversal


# --- set-up: accounts, mapping, fiscal years, opening balances ---------------------------


@transaction.atomic
def account_create(*, actor: User | None, code: str, name: str, type: str, group: str = "") -> Account:
    require_permission(actor, "finance.manage_ledger_setup")
    if type not in AccountType.__members__.values():
        raise FinanceError(f"type: {type!r} is not an account type", field="type")
    if is_balance_sheet(type) and not group:
        raise FinanceError("group: a balance-sheet account needs its balance-sheet group", field="group")
    company = company_get()
    if Account.objects.filter(company=company, code=code).exists():
        raise ConflictError(f"code: account {code} exists", field="code")
    account = Account.objects.create(
        company=company, code=code, name=name, type=type, group=group if is_balance_sheet(type) else ""
    )
    audit_record(
        stream=STREAM,
        action="finance.account.created",
        actor=actor,
        target=account,
        data={"new": {"code": code, "name": name, "type": type, "group": account.group}},
    )
    return account


@transaction.atomic
def account_mapping_set(
    *, actor: User | None, kind: str, key: str, account: Account, effective_from: date
) -> AccountMapping:
    """Map ``kind``/``key`` to ``account`` from a date; the mapping in force until then
    ends the day before."""
    require_permission(actor, "finance.manage_ledger_setup")
    allowed = MAPPABLE_TYPES.get(kind)
    if allowed is None:
        raise FinanceError(f"kind: {kind!r} is not revenue, cost or system", field="kind")
    if account.type not in allowed:
        raise FinanceError(
            f"account: a {kind} key maps to an account of type {' or '.join(sorted(allowed))}, "
            f"not {account.type}",
            field="account",
        )
    company = company_get()
    current = (
        AccountMapping.objects.select_for_update()
        .filter(company=company, kind=kind, key=key, effective_until__isnull=True)
        .first()
    )
    if current is not None:
        if current.effective_from >= effective_from:
            raise ConflictError(
                "effective_from: a mapping already starts on or after that date", field="effective_from"
            )
        current.effective_until = effective_from - timedelta(days=1)
        current.save(update_fields=["effective_until"])
    mapping = AccountMapping.objects.create(
        company=company, kind=kind, key=key, account=account, effective_from=effective_from
    )
    audit_record(
        stream=STREAM,
        action="finance.account_mapping.set",
        actor=actor,
        target=mapping,
        data={"new": {"kind": kind, "key": key, "account": account.code, "from": effective_from}},
    )
    return mapping


@transaction.atomic
def fiscal_year_open(*, actor: User | None, fiscal_year: int) -> list[FiscalPeriod]:
    """Create the months and quarters of a fiscal year (idempotent)."""
    require_permission(actor, "finance.manage_ledger_setup")
    company = company_get()
    opening = FiscalPeriod.objects.filter(company=company, code=OPENING_PERIOD_CODE).first()
    if (
        opening is not None
        and fiscal_year_start(fiscal_year, company.fiscal_year_start_month) <= opening.end_date
    ):
        raise FinanceError(
            f"fiscal_year: FY{fiscal_year} does not start after the opening balances ({opening.end_date}); "
            "history before them is not kept here",
            field="fiscal_year",
        )
    created = []
    for spec in fiscal_periods(fiscal_year, company.fiscal_year_start_month):
        period, was_created = FiscalPeriod.objects.get_or_create(
            company=company,
            code=spec.code,
            defaults={
                "kind": spec.kind,
                "fiscal_year": fiscal_year,
                "start_date": spec.start,
                "end_date": spec.end,
            },
        )
        if was_created:
            created.append(period)
    if created:
        audit_record(
            stream=STREAM,
            action="finance.fiscal_year.opened",
            actor=actor,
            target=("finance.fiscal_year", fiscal_year),
            data={"new": {"periods": [period.code for period in created]}},
        )
    return created


@transaction.atomic
def opening_balances_post(
    *, actor: User, as_of: date, lines: Sequence[PostingLine], memo: str = ""
) -> JournalEntry:
    """The balances of a company that starts using Hemaops mid-life: one entry, balanced
    against the opening-balance equity account, in an opening period that ends on
    ``as_of`` — before the first ordinary period — and accepts nothing else."""
    require_permission(actor, "finance.manage_ledger_setup")
    company = company_get()
    if FiscalPeriod.objects.filter(company=company, code=OPENING_PERIOD_CODE).exists():
        raise ConflictError(
            "Opening balances are posted already; correct them with a reversal.", code="opening_exists"
        )
    first = (
        FiscalPeriod.objects.filter(company=company)
        .exclude(code=OPENING_PERIOD_CODE)
        .order_by("start_date")
        .first()
    )
    if first is not None and as_of >= first.start_date:
        raise FinanceError(
            f"as_of: opening balances are dated before the first period ({first.code} starts "
            f"{first.start_date})",
            field="as_of",
        )
    equity = account_for(company, "system", "opening_balance_equity", as_of)
    given = [line for line in lines if line.account != equity and line.account != equity.code]
    by_code = _accounts_by_code(company, given)
    for index, line in enumerate(given):
        account = line.account if isinstance(line.account, Account) else by_code.get(line.account)
        if account is not None and not is_balance_sheet(account.type):
            raise FinanceError(
                f"lines.{index}.account: opening balances are balance-sheet accounts only",
                field=f"lines.{index}.account",
            )
    try:
        difference = unbalanced_by(
            LineAmounts(
                to_money(line.debit, field=f"lines.{index}.debit"),
                to_money(line.credit, field=f"lines.{index}.credit"),
            )
            for index, line in enumerate(given)
        )
    except MoneyError as error:
        raise FinanceError(str(error), code="invalid_amount", field=str(error).split(":", 1)[0]) from None
    balancing = (
        PostingLine(equity, credit=difference) if difference > 0 else PostingLine(equity, debit=-difference)
    )
    built = _build_lines(company, [*given, *([balancing] if difference else [])], manual=True)
    FiscalPeriod.objects.create(
        company=company,
        code=OPENING_PERIOD_CODE,
        kind=PeriodKind.OPENING,
        fiscal_year=fiscal_year_of(as_of, company.fiscal_year_start_month),
        start_date=as_of,
        end_date=as_of,
    )
    return _write_entry(
        company=company,
        entry_date=as_of,
        memo=memo or "Opening balances",
        origin=EntryOrigin.OPENING,
        lines=built,
        actor=actor,
        post=True,
    )


# --- the signed close --------------------------------------------------------------------


def _period_transition(
    *, actor: User, period: FiscalPeriod, signer: VerifiedSigner, new: PeriodStatus, meaning: str, reason: str
) -> FiscalPeriod:
    require_permission(actor, "finance.close_period")
    if signer.user.pk != actor.pk:
        raise FinanceError("The signer must be the user closing the period.", code="signer_mismatch")
    period = FiscalPeriod.objects.select_for_update().get(pk=period.pk)
    old = PeriodStatus(period.status)
    if not transition_allowed(PERIOD_TRANSITIONS, old, new):
        raise ConflictError(f"Period {period.code} is {old} already.")
    if new == PeriodStatus.CLOSED:
        pending = JournalEntry.objects.filter(
            company=period.company,
            status=EntryStatus.PENDING_APPROVAL,
            entry_date__gte=period.start_date,
            entry_date__lte=period.end_date,
        ).count()
        if pending:
            raise ConflictError(
                f"Period {period.code} has {pending} entries waiting for approval; "
                "approve or reject them first.",
                code="pending_entries",
            )
    period.status = new
    period.save(update_fields=["status"])
    signature = signature_sign(
        signer=signer,
        meaning=meaning,
        stream=STREAM,
        reason=reason,
        records=[
            RecordToSign.of(
                period,
                {"code": period.code, "status": new, "start": period.start_date, "end": period.end_date},
            )
        ],
    )
    PeriodStatusChange.objects.create(
        period=period,
        old_status=old,
        new_status=new,
        actor=actor,
        signature=signature,
        reason=reason,
        changed_at=signature.signed_at,
    )
    audit_record(
        stream=STREAM,
        action=f"finance.period.{meaning}",
        actor=actor,
        target=period,
        data={"old": {"status": old}, "new": {"status": new}},
        reason=reason,
    )
    return period


@transaction.atomic
def period_close(
    *, actor: User, period: FiscalPeriod, signer: VerifiedSigner, reason: str = ""
) -> FiscalPeriod:
    return _period_transition(
        actor=actor, period=period, signer=signer, new=PeriodStatus.CLOSED, meaning="closed", reason=reason
    )


@transaction.atomic
def period_reopen(*, actor: User, period: FiscalPeriod, signer: VerifiedSigner, reason: str) -> FiscalPeriod:
    if not reason.strip():
        raise FinanceError("reason: say why the period is reopened", field="reason")
    return _period_transition(
        actor=actor, period=period, signer=signer, new=PeriodStatus.OPEN, meaning="reopened", reason=reason
    )
