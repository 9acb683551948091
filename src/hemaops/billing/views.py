"""Pages of the billing context: contracts with their price lists, invoices and credit notes
(with the PDF), unbilled charges and their credit, receipts, and the aging report. The same
pages serve accountants and hospital users: every object is loaded through the gates of
``billing.access``, so a hospital user sees its own hospital's and gets a 404 for any other.

Each write is one service call; a refusal is shown on the field it names and the page answers
200 with nothing changed."""

from __future__ import annotations

import re
from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hemaops.billing import selectors, services
from hemaops.billing.access import (
    VIEW_CONTRACT,
    VIEW_INVOICE,
    VIEW_RECEIPT,
    access_contract_by_id,
    access_invoice_by_id,
)
from hemaops.billing.forms import (
    AsOfForm,
    ContractForm,
    CreditForm,
    InvoiceFilterForm,
    InvoiceIssueForm,
    PriceForm,
    ReceiptForm,
    RunForm,
)
from hemaops.billing.invoice_pdf import invoice_pdf as render_invoice_pdf
from hemaops.billing.models import Charge, Contract
from hemaops.core.access import hospital_scoped
from hemaops.core.charts import Series, stacked_bars
from hemaops.core.errors import DomainError, NotFoundError
from hemaops.core.pages import field_message, form_error, page_actor, permission_page

MANAGE_CONTRACT = "billing.manage_contract"
ISSUE_INVOICE = "billing.issue_invoice"
ISSUE_CREDIT_NOTE = "billing.issue_credit_note"
RECORD_RECEIPT = "billing.record_receipt"

#: ``prices[2].unit_price``, ``applications.0.amount``, ``entries[1].effective_to``: a line's field.
_INDEXED = re.compile(r"^(?:prices|entries|applications)(?:\[(\d+)\]|\.(\d+))\.(\w+)$")


def _indexed(field: str | None) -> tuple[int, str] | None:
    match = _INDEXED.match(field or "")
    if match is None:
        return None
    return int(match.group(1) or match.group(2)), match.group(3)


def _today() -> date:
    return timezone.localdate()


# --- contracts ----------------------------------------------------------------------------------


@permission_page(VIEW_CONTRACT)
def contract_list(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    return render(
        request,
        "billing/contract_list.html",
        {"contracts": selectors.contract_list(actor), "can_manage": actor.has_perm(MANAGE_CONTRACT)},
    )


@permission_page(MANAGE_CONTRACT)
def contract_new(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    form = ContractForm(request.POST or None, initial={"starts_on": _today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = services.contract_create(
                actor=actor,
                hospital=data["hospital"],
                number=data["number"].strip(),
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                terms_days=data["terms_days"],
                invoicing=data["invoicing"],
                prices=data["price_inputs"],
            )
        except DomainError as error:
            line = _indexed(error.field)
            if line is not None:
                form.add_error("prices", f"Line {line[0] + 1}: {field_message(error)}")
            else:
                form_error(form, error)
        else:
            messages.success(request, f"Contract {contract.number} created.")
            return redirect("billing:contract_detail", pk=contract.pk)
    return render(request, "billing/contract_new.html", {"form": form})


def _contract_page(
    request: HttpRequest,
    contract: Contract,
    *,
    price_form: PriceForm | None = None,
    issue_form: InvoiceIssueForm | None = None,
) -> HttpResponse:
    actor = page_actor(request)
    can_manage = actor.has_perm(MANAGE_CONTRACT) and actor.hospital_id is None
    can_issue = actor.has_perm(ISSUE_INVOICE) and actor.hospital_id is None
    today = _today()
    return render(
        request,
        "billing/contract_detail.html",
        {
            "detail": selectors.contract_detail(contract, today),
            "contract": contract,
            "price_form": (price_form or PriceForm(initial={"effective_from": today}))
            if can_manage
            else None,
            "issue_form": (issue_form or InvoiceIssueForm(initial={"issued_on": today}))
            if can_issue
            else None,
            "invoices": selectors.invoice_list(actor).filter(contract=contract)[:20],
            "unbilled": selectors.unbilled_groups(contract) if can_issue else [],
        },
    )


@permission_page(VIEW_CONTRACT)
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _contract_page(request, access_contract_by_id(page_actor(request), pk))


@require_POST
@permission_page(MANAGE_CONTRACT)
def prices_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    contract = access_contract_by_id(actor, pk)
    form = PriceForm(request.POST)
    if form.is_valid():
        try:
            services.prices_add(actor=actor, contract=contract, prices=[form.price()])
        except DomainError as error:
            line = _indexed(error.field)
            form_error(form, error, {error.field or "": line[1]} if line else None)
        else:
            messages.success(request, f"Price of {form.cleaned_data['item_code'].upper()} added.")
            return redirect("billing:contract_detail", pk=pk)
    return _contract_page(request, contract, price_form=form)


@require_POST
@permission_page(ISSUE_INVOICE)
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Invoice one contract now: a month (monthly contracts) or a group (per shipment)."""
    actor = page_actor(request)
    contract = access_contract_by_id(actor, pk)
    form = InvoiceIssueForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            invoice = services.invoice_issue(
                actor=actor,
                contract=contract,
                issued_on=data["issued_on"],
                group_key=data["group_key"] or None,
                period_start=data["period_start"],
            )
        except DomainError as error:
            form_error(form, error, {"contract": "issued_on"})
        else:
            messages.success(request, f"Invoice {invoice.number} issued: {invoice.total}.")
            return redirect("billing:invoice_detail", pk=invoice.pk)
    return _contract_page(request, contract, issue_form=form)


# --- invoices -----------------------------------------------------------------------------------


def _invoice_list_page(request: HttpRequest, run_form: RunForm | None = None) -> HttpResponse:
    actor = page_actor(request)
    filters = InvoiceFilterForm(request.GET or None, hospital_bound=actor.hospital_id is not None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    hospital = chosen.get("hospital")
    invoices = selectors.invoice_list(
        actor,
        hospital=hospital.code if hospital else None,
        kind=chosen.get("kind") or None,
        open_only=bool(chosen.get("open_only")),
    )
    today = _today()
    can_issue = actor.has_perm(ISSUE_INVOICE) and actor.hospital_id is None
    return render(
        request,
        "billing/invoice_list.html",
        {
            "filters": filters,
            "rows": [(invoice, selectors.invoice_status(invoice, today)) for invoice in invoices],
            "run_form": (run_form or RunForm(initial={"on": today})) if can_issue else None,
        },
    )


@permission_page(VIEW_INVOICE)
def invoice_list(request: HttpRequest) -> HttpResponse:
    return _invoice_list_page(request)


@require_POST
@permission_page(ISSUE_INVOICE)
def invoices_issue(request: HttpRequest) -> HttpResponse:
    """Issue every invoice due on a day (what the scheduled job does), by hand."""
    actor = page_actor(request)
    form = RunForm(request.POST)
    if form.is_valid():
        try:
            issued = services.invoices_issue_due(actor=actor, on=form.cleaned_data["on"])
        except DomainError as error:
            form_error(form, error)
        else:
            numbers = ", ".join(invoice.number for invoice in issued) or "none due"
            messages.success(request, f"Invoices issued: {numbers}.")
            return redirect("billing:invoice_list")
    return _invoice_list_page(request, run_form=form)


@permission_page(VIEW_INVOICE)
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = access_invoice_by_id(page_actor(request), pk)
    return render(request, "billing/invoice_detail.html", {"detail": selectors.invoice_detail(invoice)})


@permission_page(VIEW_INVOICE)
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = access_invoice_by_id(page_actor(request), pk)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


# --- charges ------------------------------------------------------------------------------------


def _charge_page(
    request: HttpRequest,
    *,
    credit_forms: dict[int, CreditForm] | None = None,
    refusals: list[str] | None = None,
) -> HttpResponse:
    actor = page_actor(request)
    can_credit = actor.has_perm(ISSUE_CREDIT_NOTE) and actor.hospital_id is None
    credit_forms = credit_forms or {}
    today = _today()
    rows = [
        {
            "charge": charge,
            "form": (
                credit_forms.get(charge.pk)
                or CreditForm(initial={"issued_on": today}, auto_id=f"id_credit_{charge.pk}_%s")
            )
            if can_credit
            else None,
        }
        for charge in selectors.unbilled_charges(actor)
    ]
    return render(request, "billing/charge_list.html", {"rows": rows, "refusals": refusals or []})


@permission_page(selectors.VIEW_CHARGE)
def charge_list(request: HttpRequest) -> HttpResponse:
    return _charge_page(request)


@require_POST
@permission_page(ISSUE_CREDIT_NOTE)
def charge_credit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    charge = hospital_scoped(actor, Charge.objects.all(), selectors.VIEW_CHARGE).filter(pk=pk).first()
    if charge is None:
        raise NotFoundError("No such charge.")
    form = CreditForm(request.POST, auto_id=f"id_credit_{pk}_%s")
    if form.is_valid():
        try:
            note = services.charges_credit(
                actor=actor,
                charges=[charge],
                issued_on=form.cleaned_data["issued_on"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            if error.field not in form.fields:
                return _charge_page(request, refusals=[field_message(error)], credit_forms={pk: form})
            form_error(form, error)
        else:
            messages.success(request, f"Credit note {note.number} issued: {note.total}.")
            return redirect("billing:invoice_detail", pk=note.pk)
    return _charge_page(request, credit_forms={pk: form})


# --- receipts -----------------------------------------------------------------------------------


@permission_page(VIEW_RECEIPT)
def receipt_list(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    return render(
        request,
        "billing/receipt_list.html",
        {
            "receipts": selectors.receipt_list(actor),
            "can_record": actor.has_perm(RECORD_RECEIPT) and actor.hospital_id is None,
        },
    )


@permission_page(RECORD_RECEIPT)
def receipt_new(request: HttpRequest) -> HttpResponse:
    """A payment, with the invoices it pays (none named: oldest first)."""
    actor = page_actor(request)
    form = ReceiptForm(request.POST or None, initial={"received_on": _today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            receipt = services.receipt_record(
                actor=actor,
                hospital=data["hospital"],
                reference=data["reference"].strip(),
                received_on=data["received_on"],
                amount=data["amount"],
                applications=form.applications(),
            )
        except DomainError as error:
            line = _indexed(error.field)
            if line is not None:
                index, name = line
                target = "amount" if name == "amount" else "invoice"
                form.add_error(f"{target}_{index + 1}", field_message(error))
            else:
                form_error(form, error)
        else:
            messages.success(request, f"Receipt {receipt.reference} recorded: {receipt.amount}.")
            return redirect("billing:receipt_list")
    return render(request, "billing/receipt_new.html", {"form": form})


# --- aging --------------------------------------------------------------------------------------


@permission_page(VIEW_INVOICE)
def aging_report(request: HttpRequest) -> HttpResponse:
    form = AsOfForm(request.GET or None)
    report = selectors.aging_report(page_actor(request), form.day(_today()))
    hospitals = [row.hospital for row in report.rows]
    chart = stacked_bars(
        f"Open receivables by hospital and days past due, {report.as_of.isoformat()}",
        hospitals,
        # Floats only for the bars' geometry; the table shows the Decimal amounts.
        [Series(bucket, [float(row.amounts[bucket]) for row in report.rows]) for bucket in report.buckets],
    )
    return render(request, "billing/aging.html", {"form": form, "report": report, "chart": chart})
