"""API of the billing context, mounted under /api/v1/billing: contracts and their price lists,
invoices and credit notes (with the PDF), unbilled charges, receipts matched to invoices, and
the aging of receivables.

A hospital's users read their own hospital's, through the same gates as the pages
(``billing.access``): another hospital's contract or invoice answers 404. Every POST records
something and answers 201; money is a string ("123.45") both ways, parsed by the services.
Errors are ``{"error": {"code", "message", "field"}}`` with their 4xx status (hemaops.api)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from hemaops.billing import selectors, services
from hemaops.billing.access import (
    VIEW_CONTRACT,
    VIEW_INVOICE,
    VIEW_RECEIPT,
    access_contract_by_id,
    access_invoice_by_id,
)
from hemaops.billing.errors import BillingError
from hemaops.billing.invoice_pdf import invoice_pdf as render_invoice_pdf
from hemaops.billing.models import Charge, Contract, Invoice, Receipt
from hemaops.core.access import hospital_scoped, require_permission
from hemaops.core.authentication import request_actor
from hemaops.core.errors import NotFoundError
from hemaops.core.models import Hospital, User

router = Router(tags=["billing"])

_MONEY_HELP = 'An amount as a string, e.g. "215.00"'


# --- schemas ----------------------------------------------------------------------------------


class PriceIn(Schema):
    item_code: str
    unit_price: str = Field(description=_MONEY_HELP)
    effective_from: date
    effective_to: date | None = Field(default=None, description="Exclusive; none: until further notice")
    donor_classification: str = Field(default="", description='"volunteer", "paid", or "" for both')
    description: str = ""


class PricesIn(Schema):
    prices: list[PriceIn]


class ContractIn(Schema):
    hospital: str = Field(description="The hospital's code")
    number: str
    starts_on: date
    ends_on: date | None = None
    terms_days: int = Field(default=30, description="Net days from the invoice date")
    invoicing: str = Field(default=Contract.Invoicing.MONTHLY, description='"monthly" or "per_shipment"')
    prices: list[PriceIn] = []


class PriceOut(Schema):
    id: int
    item_code: str
    description: str
    donor_classification: str
    unit_price: Decimal
    effective_from: date
    effective_to: date | None
    state: str = Field(description="current, superseded or future, today")


class ContractOut(Schema):
    id: int
    number: str
    hospital: str
    starts_on: date
    ends_on: date | None
    terms_days: int
    invoicing: str


class ContractDetailOut(ContractOut):
    prices: list[PriceOut]


class ChargeOut(Schema):
    id: int
    hospital: str
    contract: str
    item_code: str
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    occurred_on: date
    group_key: str
    invoice: str | None
    credit_note: str | None


class InvoiceOut(Schema):
    id: int
    number: str
    kind: str
    hospital: str
    contract: str
    issued_on: date
    due_on: date | None
    period_start: date | None
    total: Decimal
    credited: Decimal = Field(description="Credit notes issued against it")
    paid: Decimal = Field(description="Receipts applied to it")
    open_amount: Decimal = Field(description="What is still owed (0 for a credit note)")
    status: str = Field(description="open, overdue, paid; issued for a credit note")
    credits: str | None = Field(description="A credit note: the invoice it credits")
    reason: str


class SettlementOut(Schema):
    receipt: str = Field(description="The receipt's reference")
    received_on: date
    amount: Decimal


class InvoiceDetailOut(InvoiceOut):
    lines: list[ChargeOut]
    credit_notes: list[str]
    receipts: list[SettlementOut]


class IssueIn(Schema):
    contract_id: int
    issued_on: date
    group_key: str | None = Field(default=None, description="Per-shipment contracts: the shipment's group")
    period_start: date | None = Field(default=None, description="Monthly contracts: the month's first day")


class RunIn(Schema):
    on: date


class CreditIn(Schema):
    charge_ids: list[int]
    issued_on: date
    reason: str


class ApplicationIn(Schema):
    invoice: str = Field(description="The invoice's number, e.g. INV-000012")
    amount: str = Field(description=_MONEY_HELP)


class ReceiptIn(Schema):
    hospital: str = Field(description="The hospital's code")
    reference: str
    received_on: date
    amount: str = Field(description=_MONEY_HELP)
    applications: list[ApplicationIn] = Field(
        default=[], description="The invoices it pays; none: its open invoices, oldest due first"
    )


class ApplicationOut(Schema):
    invoice: str
    amount: Decimal


class ReceiptOut(Schema):
    id: int
    hospital: str
    reference: str
    received_on: date
    amount: Decimal
    applied: Decimal
    unapplied: Decimal = Field(description="Left on account")
    applications: list[ApplicationOut]


class AgingRowOut(Schema):
    hospital: str
    buckets: dict[str, Decimal]
    total: Decimal


class AgingOut(Schema):
    as_of: date
    buckets: list[str]
    rows: list[AgingRowOut]
    totals: AgingRowOut


# --- helpers ----------------------------------------------------------------------------------


def _hospital(code: str, field: str = "hospital") -> Hospital:
    hospital = Hospital.objects.filter(code=(code or "").strip()).first()
    if hospital is None:
        raise BillingError(f"{field}: no hospital has code {code!r}", code="not_found", field=field)
    return hospital


def _prices(prices: list[PriceIn]) -> list[services.PriceInput]:
    return [services.PriceInput(**price.dict()) for price in prices]


def _contract_out(contract: Contract) -> dict[str, Any]:
    return {
        "id": contract.pk,
        "number": contract.number,
        "hospital": contract.hospital.code,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "terms_days": contract.terms_days,
        "invoicing": contract.invoicing,
    }


def _contract_detail_out(contract: Contract) -> ContractDetailOut:
    detail = selectors.contract_detail(contract, timezone.localdate())
    prices = [
        PriceOut(
            id=row.entry.pk,
            item_code=row.entry.item_code,
            description=row.entry.description,
            donor_classification=row.entry.donor_classification,
            unit_price=row.entry.unit_price,
            effective_from=row.entry.effective_from,
            effective_to=row.entry.effective_to,
            state=row.state,
        )
        for group in detail.prices
        for row in group.rows
    ]
    return ContractDetailOut(**_contract_out(contract), prices=prices)


def _invoice_out(invoice: Invoice, today: date) -> dict[str, Any]:
    """``invoice`` must carry the open-amount annotations (``selectors.with_open_amounts``)."""
    is_invoice = invoice.kind == Invoice.Kind.INVOICE
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "kind": invoice.kind,
        "hospital": invoice.hospital.code,
        "contract": invoice.contract.number,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "period_start": invoice.period_start,
        "total": invoice.total,
        "credited": invoice.credited if is_invoice else selectors.ZERO,
        "paid": invoice.paid if is_invoice else selectors.ZERO,
        "open_amount": invoice.open_amount if is_invoice else selectors.ZERO,
        "status": selectors.invoice_status(invoice, today),
        "credits": invoice.credits.number if invoice.credits_id else None,
        "reason": invoice.reason,
    }


def _invoices_out(actor: User, invoices: list[Invoice]) -> list[InvoiceOut]:
    today = timezone.localdate()
    loaded = selectors.invoice_list(actor).filter(pk__in=[invoice.pk for invoice in invoices])
    return [InvoiceOut(**_invoice_out(invoice, today)) for invoice in loaded]


def _charge_out(charge: Charge) -> ChargeOut:
    return ChargeOut(
        id=charge.pk,
        hospital=charge.hospital.code,
        contract=charge.contract.number,
        item_code=charge.item_code,
        description=charge.description,
        quantity=charge.quantity,
        unit_price=charge.unit_price,
        amount=charge.amount,
        occurred_on=charge.occurred_on,
        group_key=charge.group_key,
        invoice=charge.invoice.number if charge.invoice_id else None,
        credit_note=charge.credit_note.number if charge.credit_note_id else None,
    )


def _receipt_out(receipt: Receipt) -> ReceiptOut:
    """``receipt`` from ``selectors.receipt_list`` (applications prefetched, sums annotated)."""
    return ReceiptOut(
        id=receipt.pk,
        hospital=receipt.hospital.code,
        reference=receipt.reference,
        received_on=receipt.received_on,
        amount=receipt.amount,
        applied=receipt.applied,
        unapplied=receipt.unapplied,
        applications=[
            ApplicationOut(invoice=application.invoice.number, amount=application.amount)
            for application in receipt.applications.all()
        ],
    )


# --- contracts ----------------------------------------------------------------------------------


@router.get("/contracts", response=list[ContractOut], summary="Contracts")
def contracts(request: HttpRequest) -> list[ContractOut]:
    actor = request_actor(request)
    require_permission(actor, VIEW_CONTRACT)
    return [ContractOut(**_contract_out(contract)) for contract in selectors.contract_list(actor)]


@router.post("/contracts", response={201: ContractDetailOut}, summary="Set up a contract with its prices")
def contract_create(request: HttpRequest, payload: ContractIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "billing.manage_contract")
    contract = services.contract_create(
        actor=actor,
        hospital=_hospital(payload.hospital),
        number=payload.number,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        terms_days=payload.terms_days,
        invoicing=payload.invoicing,
        prices=_prices(payload.prices),
    )
    return Status(201, _contract_detail_out(access_contract_by_id(actor, contract.pk)))


@router.get("/contracts/{contract_id}", response=ContractDetailOut, summary="A contract and its price list")
def contract_detail(request: HttpRequest, contract_id: int) -> ContractDetailOut:
    return _contract_detail_out(access_contract_by_id(request_actor(request), contract_id))


@router.post(
    "/contracts/{contract_id}/prices",
    response={201: ContractDetailOut},
    summary="Add prices (a new price closes the one before it)",
)
def prices_add(request: HttpRequest, contract_id: int, payload: PricesIn) -> Status:
    actor = request_actor(request)
    contract = access_contract_by_id(actor, contract_id)
    services.prices_add(actor=actor, contract=contract, prices=_prices(payload.prices))
    return Status(201, _contract_detail_out(contract))


# --- invoices -----------------------------------------------------------------------------------


@router.get("/invoices", response=list[InvoiceOut], summary="Invoices and credit notes")
def invoices(
    request: HttpRequest, open: bool = False, hospital: str | None = None, kind: str | None = None
) -> list[InvoiceOut]:
    """Newest first; ``open=true`` keeps the invoices with something still owed."""
    actor = request_actor(request)
    require_permission(actor, VIEW_INVOICE)
    today = timezone.localdate()
    found = selectors.invoice_list(actor, hospital=hospital, kind=kind, open_only=open)
    return [InvoiceOut(**_invoice_out(invoice, today)) for invoice in found]


# Declared before /invoices/{invoice_id}: the router matches paths in order.
@router.post("/invoices/run", response={201: list[InvoiceOut]}, summary="Issue every invoice due on a day")
def invoices_issue_due(request: HttpRequest, payload: RunIn) -> Status:
    actor = request_actor(request)
    issued = services.invoices_issue_due(actor=actor, on=payload.on)
    return Status(201, _invoices_out(actor, issued))


@router.get("/invoices/{invoice_id}", response=InvoiceDetailOut, summary="An invoice with its lines")
def invoice_detail(request: HttpRequest, invoice_id: int) -> InvoiceDetailOut:
    detail = selectors.invoice_detail(access_invoice_by_id(request_actor(request), invoice_id))
    return InvoiceDetailOut(
        **_invoice_out(detail.invoice, timezone.localdate()),
        lines=[_charge_out(charge) for charge in detail.lines],
        credit_notes=[note.number for note in detail.credit_notes],
        receipts=[
            SettlementOut(
                receipt=application.receipt.reference,
                received_on=application.receipt.received_on,
                amount=application.amount,
            )
            for application in detail.applications
        ],
    )


@router.get("/invoices/{invoice_id}/pdf", summary="The invoice as a PDF")
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = access_invoice_by_id(request_actor(request), invoice_id)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


@router.post("/invoices", response={201: InvoiceOut}, summary="Invoice a contract now")
def invoice_issue(request: HttpRequest, payload: IssueIn) -> Status:
    """A month (``period_start``) of a monthly contract, or a group (``group_key``) of a
    per-shipment one."""
    actor = request_actor(request)
    contract = access_contract_by_id(actor, payload.contract_id)
    invoice = services.invoice_issue(
        actor=actor,
        contract=contract,
        issued_on=payload.issued_on,
        group_key=payload.group_key,
        period_start=payload.period_start,
    )
    return Status(201, _invoices_out(actor, [invoice])[0])


@router.post("/credit-notes", response={201: InvoiceOut}, summary="Credit charges")
def credit_note_issue(request: HttpRequest, payload: CreditIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "billing.issue_credit_note")
    found = hospital_scoped(actor, Charge.objects.all(), selectors.VIEW_CHARGE).in_bulk(payload.charge_ids)
    missing = [pk for pk in payload.charge_ids if pk not in found]
    if missing:
        raise NotFoundError(f"charge_ids: no charge {missing[0]}", field="charge_ids")
    note = services.charges_credit(
        actor=actor,
        charges=[found[pk] for pk in payload.charge_ids],
        issued_on=payload.issued_on,
        reason=payload.reason,
    )
    return Status(201, _invoices_out(actor, [note])[0])


# --- charges and receipts -----------------------------------------------------------------------


@router.get(
    "/charges", response=list[ChargeOut], summary="Charges (unbilled=true: what the next invoices carry)"
)
def charges(request: HttpRequest, unbilled: bool = False) -> list[ChargeOut]:
    actor = request_actor(request)
    require_permission(actor, selectors.VIEW_CHARGE)
    if unbilled:
        found = selectors.unbilled_charges(actor)
    else:
        found = hospital_scoped(actor, Charge.objects.all(), selectors.VIEW_CHARGE).order_by(
            "occurred_on", "pk"
        )
    return [
        _charge_out(charge)
        for charge in found.select_related("hospital", "contract", "invoice", "credit_note")
    ]


@router.post("/receipts", response={201: ReceiptOut}, summary="Record a receipt and apply it to invoices")
def receipt_record(request: HttpRequest, payload: ReceiptIn) -> Status:
    """Applied to the invoices named (``applications``), or to the hospital's open invoices
    oldest due first; what is left stays on account. Answers how it was applied."""
    actor = request_actor(request)
    require_permission(actor, "billing.record_receipt")
    receipt = services.receipt_record(
        actor=actor,
        hospital=_hospital(payload.hospital),
        reference=payload.reference,
        received_on=payload.received_on,
        amount=payload.amount,
        applications=[
            services.ApplicationInput(invoice_number=application.invoice, amount=application.amount)
            for application in payload.applications
        ],
    )
    return Status(201, _receipt_out(selectors.receipt_list(actor).get(pk=receipt.pk)))


@router.get("/receipts", response=list[ReceiptOut], summary="Receipts and how they were applied")
def receipts(request: HttpRequest) -> list[ReceiptOut]:
    actor = request_actor(request)
    require_permission(actor, VIEW_RECEIPT)
    return [_receipt_out(receipt) for receipt in selectors.receipt_list(actor)]


@router.get("/aging", response=AgingOut, summary="Open receivables by hospital and days past due")
def aging(request: HttpRequest, as_of: date | None = None) -> AgingOut:
    actor = request_actor(request)
    require_permission(actor, VIEW_INVOICE)
    report = selectors.aging_report(actor, as_of or timezone.localdate())

    def row(one: selectors.AgingRow) -> AgingRowOut:
        return AgingRowOut(hospital=one.hospital, buckets=one.amounts, total=one.total)

    return AgingOut(
        as_of=report.as_of,
        buckets=list(report.buckets),
        rows=[row(one) for one in report.rows],
        totals=row(report.totals),
    )
