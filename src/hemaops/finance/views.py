"""Pages of the ledger: trial balance, account activity, journal entries (manual entry,
approval, reversal) and the signed close of fiscal periods.

Views are not atomic: each write is one service call, which is its own transaction. The
signer is verified before that transaction starts, so a refused attempt stays recorded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from hemaops.core import selectors as core_selectors
from hemaops.core.access import require_permission
from hemaops.core.errors import DomainError, NotFoundError
from hemaops.core.models import Company
from hemaops.core.pages import field_message, form_error, page_actor
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.finance import selectors, services
from hemaops.finance.errors import FinanceError
from hemaops.finance.forms import (
    JournalEntryForm,
    JournalLineForm,
    PeriodSignForm,
    RejectForm,
    ReverseForm,
    line_forms,
)
from hemaops.finance.models import Account, FiscalPeriod, JournalEntry, PeriodStatusChange
from hemaops.finance.rules import EntryStatus, PeriodStatus, fiscal_year_of
from hemaops.finance.services import PostingLine
from hemaops.finance.sources import source_link

LedgerView = Callable[..., HttpResponse]


def ledger_page(permission: str) -> Callable[[LedgerView], LedgerView]:
    """Sign-in, then ``permission`` (403 otherwise), then the company the ledger belongs
    to, passed to the view; without a company the page says so instead of failing."""

    def decorate(view: LedgerView) -> LedgerView:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require_permission(page_actor(request), permission)
            try:
                company = services.company_get()
            except FinanceError as error:
                return render(request, "finance/no_company.html", {"message": error.message})
            return view(request, company, *args, **kwargs)

        return login_required(wrapper)

    return decorate


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def dr_cr(amount: Decimal) -> str:
    """A signed balance (debit positive) as an accountant reads it: ``1,200.00 Dr``."""
    if not amount:
        return "0.00"
    return f"{abs(amount):,.2f} {'Dr' if amount > 0 else 'Cr'}"


def _today() -> date:
    return timezone.localdate()


def _period_links(company: Company, today: date) -> list[tuple[str, str]]:
    """Quick choices of period: (label, code)."""
    start_month = company.fiscal_year_start_month
    fiscal_year = fiscal_year_of(today, start_month)
    quarter = (today.month - start_month) % 12 // 3 + 1
    last_month = today.replace(day=1) - timedelta(days=1)
    return [
        ("This month", selectors.current_period_code(company, today)),
        ("Last month", f"{last_month:%Y-%m}"),
        ("This quarter", f"{fiscal_year}Q{quarter}"),
        ("This fiscal year", f"FY{fiscal_year}"),
    ]


def _period_code(request: HttpRequest, company: Company) -> str:
    return request.GET.get("period", "").strip() or selectors.current_period_code(company, _today())


# --- reading ------------------------------------------------------------------------------


@ledger_page("finance.view_ledger")
def trial_balance(request: HttpRequest, company: Company) -> HttpResponse:
    code = _period_code(request, company)
    context: dict[str, Any] = {"code": code, "period_links": _period_links(company, _today())}
    try:
        balance = selectors.trial_balance(company, code)
    except FinanceError as error:
        context["period_error"] = field_message(error)
    else:
        prior = balance.prior_years_result
        context.update(
            balance=balance,
            rows=[(row, dr_cr(row.opening)) for row in balance.rows],
            # Earlier fiscal years' income-statement result, until a year-end closing entry
            # moves it to retained earnings: part of the totals, so shown as a line of its own.
            prior_years=dr_cr(prior),
            prior_years_debit=max(prior, Decimal("0.00")),
            prior_years_credit=max(-prior, Decimal("0.00")),
            period_debit=sum((row.debit for row in balance.rows), Decimal("0.00")),
            period_credit=sum((row.credit for row in balance.rows), Decimal("0.00")),
            difference=balance.total_debit - balance.total_credit,
        )
    return render(request, "finance/trial_balance.html", context)


def _account_or_404(company: Company, pk: int) -> Account:
    # No account_get selector exists yet; this is the one read of a single account.
    account = Account.objects.select_related("company").filter(company=company, pk=pk).first()
    if account is None:
        raise Http404("No such account.")
    return account


@ledger_page("finance.view_ledger")
def account_activity(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    account = _account_or_404(company, pk)
    code = _period_code(request, company)
    context: dict[str, Any] = {
        "account": account,
        "code": code,
        "period_links": _period_links(company, _today()),
    }
    try:
        period, opening, lines = selectors.account_activity(account, code)
    except FinanceError as error:
        context["period_error"] = field_message(error)
    else:
        closing = lines[-1].running_balance if lines else opening
        context.update(
            period=period,
            opening=dr_cr(opening),
            closing=dr_cr(closing),
            lines=lines,
            rows=[(item.line, dr_cr(item.running_balance)) for item in lines],
            period_debit=sum((item.line.debit for item in lines), Decimal("0.00")),
            period_credit=sum((item.line.credit for item in lines), Decimal("0.00")),
        )
    return render(request, "finance/account_activity.html", context)


def _entry_or_404(company: Company, pk: int) -> JournalEntry:
    try:
        return selectors.journal_entry_get(company, pk)
    except NotFoundError:
        raise Http404("No such journal entry.") from None


def _entry_page(
    request: HttpRequest, entry: JournalEntry, reverse_form: ReverseForm | None = None, status: int = 200
) -> HttpResponse:
    lines = list(entry.lines.all())
    try:
        reversed_by = entry.reversed_by
    except JournalEntry.reversed_by.RelatedObjectDoesNotExist:
        reversed_by = None
    source_label, source_url = (
        source_link(entry.source_type, entry.source_id) if entry.source_type else ("", None)
    )
    can_post = page_actor(request).has_perm("finance.post_journal_entry")
    context = {
        "entry": entry,
        "lines": lines,
        "total_debit": sum((line.debit for line in lines), Decimal("0.00")),
        "total_credit": sum((line.credit for line in lines), Decimal("0.00")),
        "reversed_by": reversed_by,
        "source_label": source_label,
        "source_url": source_url,
        "can_post": can_post,
        "is_pending": entry.status == EntryStatus.PENDING_APPROVAL,
        "can_reverse": can_post and entry.status == EntryStatus.POSTED and reversed_by is None,
        "reverse_form": reverse_form or ReverseForm(initial={"entry_date": _today()}),
        "reject_form": RejectForm(),
    }
    return render(request, "finance/entry_detail.html", context, status=status)


@ledger_page("finance.view_ledger")
def entry_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    return _entry_page(request, _entry_or_404(company, pk))


@ledger_page("finance.view_ledger")
def entry_pending(request: HttpRequest, company: Company) -> HttpResponse:
    entries = selectors.journal_entry_list_pending(company).prefetch_related("lines__account")
    rows = [(entry, sum((line.debit for line in entry.lines.all()), Decimal("0.00"))) for entry in entries]
    return render(
        request,
        "finance/entry_pending.html",
        {
            "rows": rows,
            "can_post": page_actor(request).has_perm("finance.post_journal_entry"),
            "reject_form": RejectForm(),
        },
    )


# --- manual entries -------------------------------------------------------------------------


def _line_choices(company: Company) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    accounts = [
        (account.code, f"{account.code} {account.name}")
        for account in selectors.accounts_list(company).filter(is_active=True)
    ]
    programs = [
        (program.code, f"{program.code} — {program.name}")
        for program in core_selectors.program_list().filter(company=company)
    ]
    return accounts, programs


def _line_error(rows: list[JournalLineForm], row_of_line: list[int], error: DomainError) -> bool:
    """Put an error whose field is ``lines.<n>[.<field>]`` on the form row line n came from."""
    parts = (error.field or "").split(".")
    if len(parts) < 2 or parts[0] != "lines" or not parts[1].isdigit() or int(parts[1]) >= len(row_of_line):
        return False
    row = rows[row_of_line[int(parts[1])]]
    field = parts[2] if len(parts) > 2 and parts[2] in row.fields else None
    row.add_error(field, field_message(error))
    return True


@ledger_page("finance.submit_journal_entry")
def entry_new(request: HttpRequest, company: Company) -> HttpResponse:
    account_choices, program_choices = _line_choices(company)
    data = request.POST if request.method == "POST" else None
    form = JournalEntryForm(data, initial={"entry_date": _today()})
    rows = line_forms(data, account_choices=account_choices, program_choices=program_choices)
    if data is not None and form.is_valid() and all(row.is_valid() for row in rows):
        programs = {
            program.code: program for program in core_selectors.program_list().filter(company=company)
        }
        lines, row_of_line = [], []
        for index, row in enumerate(rows):
            if row.is_blank():
                continue
            values = row.cleaned_data
            lines.append(
                PostingLine(
                    values["account"],
                    debit=values["debit"] or "0",
                    credit=values["credit"] or "0",
                    program=programs.get(values["program"]),
                )
            )
            row_of_line.append(index)
        try:
            entry = services.journal_entry_submit(
                actor=page_actor(request),
                entry_date=form.cleaned_data["entry_date"],
                memo=form.cleaned_data["memo"],
                lines=lines,
            )
        except DomainError as error:
            if _line_error(rows, row_of_line, error):
                form.add_error(None, "The entry was not saved; see the marked line.")
            else:
                form_error(form, error, {"date": "entry_date"})
        else:
            if entry.status == EntryStatus.POSTED:
                messages.success(request, f"JE {entry.pk} is posted.")
            else:
                messages.success(
                    request, f"JE {entry.pk} is submitted; it waits for a controller's approval."
                )
            return redirect("finance:entry_detail", entry.pk)
    return render(
        request,
        "finance/entry_form.html",
        {
            "form": form,
            "rows": rows,
            "posts_at_once": page_actor(request).has_perm("finance.post_journal_entry"),
        },
    )


@require_POST
@ledger_page("finance.post_journal_entry")
def entry_approve(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    entry = _entry_or_404(company, pk)
    try:
        services.journal_entry_approve(actor=page_actor(request), entry=entry)
    except DomainError as error:
        messages.error(request, f"JE {entry.pk} was not approved: {field_message(error)}")
    else:
        messages.success(request, f"JE {entry.pk} is approved and posted.")
    return redirect(_safe_next(request, reverse("finance:entry_pending")))


@require_POST
@ledger_page("finance.post_journal_entry")
def entry_reject(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    entry = _entry_or_404(company, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"JE {entry.pk} was not rejected: give the reason.")
    else:
        try:
            services.journal_entry_reject(
                actor=page_actor(request), entry=entry, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            messages.error(request, f"JE {entry.pk} was not rejected: {field_message(error)}")
        else:
            messages.success(request, f"JE {entry.pk} is rejected.")
    return redirect(_safe_next(request, reverse("finance:entry_pending")))


@require_POST
@ledger_page("finance.post_journal_entry")
def entry_reverse(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    entry = _entry_or_404(company, pk)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            reversal = services.journal_entry_reverse(
                actor=page_actor(request),
                entry=entry,
                entry_date=form.cleaned_data["entry_date"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form_error(form, error, {"date": "entry_date"})
        else:
            messages.success(request, f"JE {reversal.pk} reverses JE {entry.pk}.")
            return redirect("finance:entry_detail", reversal.pk)
    return _entry_page(request, entry, reverse_form=form)


# --- periods --------------------------------------------------------------------------------


@ledger_page("finance.view_ledger")
def period_list(request: HttpRequest, company: Company) -> HttpResponse:
    changes = PeriodStatusChange.objects.select_related("actor", "signature").order_by("-changed_at", "-pk")
    periods = selectors.fiscal_period_list(company).prefetch_related(
        Prefetch("status_changes", queryset=changes)
    )
    return render(
        request,
        "finance/period_list.html",
        {"periods": periods, "can_close": page_actor(request).has_perm("finance.close_period")},
    )


def _period_or_404(company: Company, pk: int) -> FiscalPeriod:
    # No fiscal_period_get selector exists yet; this is the one read of a single period.
    period = selectors.fiscal_period_list(company).filter(pk=pk).first()
    if period is None:
        raise Http404("No such fiscal period.")
    return period


def _period_sign(request: HttpRequest, company: Company, pk: int, *, closing: bool) -> HttpResponse:
    period = _period_or_404(company, pk)
    actor = page_actor(request)
    applies = period.status == (PeriodStatus.OPEN if closing else PeriodStatus.CLOSED)
    form = PeriodSignForm(request.POST if request.method == "POST" else None, reason_required=not closing)
    if request.method == "POST" and applies and form.is_valid():
        try:
            # Outside any transaction, so that a refusal stays recorded (signatures.py).
            signer = signer_verify(
                actor=actor,
                password=form.cleaned_data["password"],
                authenticated_by=INTERACTIVE,
                second_factor_code=form.cleaned_data["second_factor_code"],
            )
            change = services.period_close if closing else services.period_reopen
            change(actor=actor, period=period, signer=signer, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form_error(form, error)
        else:
            verb = "closed" if closing else "reopened"
            messages.success(request, f"Period {period.code} is {verb}; your signature is recorded.")
            return redirect("finance:period_list")
    return render(
        request,
        "finance/period_sign.html",
        {
            "period": period,
            "form": form,
            "closing": closing,
            "applies": applies,
            "signer_name": actor.get_full_name() or actor.get_username(),
        },
    )


@ledger_page("finance.close_period")
def period_close(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    return _period_sign(request, company, pk, closing=True)


@ledger_page("finance.close_period")
def period_reopen(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    return _period_sign(request, company, pk, closing=False)
