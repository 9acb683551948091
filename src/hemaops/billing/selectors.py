"""Reads of the billing context (house style §4): contracts with their price lists, invoices
and credit notes with what is still open on them, unbilled charges, receipts, and the aging
of receivables. Everything a user reads comes through the gates of ``billing.access``, so a
hospital user sees only its own hospital's (DESIGN.md invariant 6).

Open amounts are computed in the query (subqueries summed with ``Coalesce``), never row by row:
an invoice's open amount is its total less the credit notes issued against it and the receipts
applied to it, each counted only when dated on or before the day asked about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Max, Min, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from hemaops.billing import rules
from hemaops.billing.access import contracts_visible, invoices_visible, receipts_visible
from hemaops.billing.models import MONEY, Charge, Contract, Invoice, PriceEntry, Receipt, ReceiptApplication
from hemaops.core.access import hospital_scoped
from hemaops.core.models import User

VIEW_CHARGE = "billing.view_charge"
ZERO = Decimal("0.00")
_MONEY_FIELD = DecimalField(**MONEY)


def _summed(queryset: QuerySet, group: str, column: str) -> Coalesce:
    """``SUM(column)`` of ``queryset``'s rows for the outer invoice, 0.00 when there are none."""
    total = queryset.values(group).annotate(total=Sum(column)).values("total")
    return Coalesce(Subquery(total, output_field=_MONEY_FIELD), Value(ZERO), output_field=_MONEY_FIELD)


def with_open_amounts(invoices: QuerySet[Invoice], as_of: date | None = None) -> QuerySet[Invoice]:
    """``invoices`` annotated with ``credited``, ``paid`` and ``open_amount`` (credit notes
    issued and receipts received on or before ``as_of``; all of them without it). A credit
    note's own open amount is 0: it is not owed, it reduces what the invoice it credits owes."""
    credits = Invoice.objects.filter(credits=OuterRef("pk"), kind=Invoice.Kind.CREDIT_NOTE)
    applications = ReceiptApplication.objects.filter(invoice=OuterRef("pk"))
    if as_of is not None:
        credits = credits.filter(issued_on__lte=as_of)
        applications = applications.filter(receipt__received_on__lte=as_of)
    return invoices.annotate(
        credited=_summed(credits, "credits", "total"),
        paid=_summed(applications, "invoice", "amount"),
    ).annotate(open_amount=F("total") - F("credited") - F("paid"))


def invoice_status(invoice: Invoice, today: date) -> str:
    """``paid``, ``overdue`` (past its due date with something open) or ``open``; a credit
    note is ``issued``."""
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        return "issued"
    open_amount = getattr(invoice, "open_amount", None)
    if open_amount is not None and open_amount <= 0:
        return "paid"
    if invoice.due_on is not None and invoice.due_on < today:
        return "overdue"
    return "open"


# --- contracts ----------------------------------------------------------------------------------


def contract_list(user: User) -> QuerySet[Contract]:
    return contracts_visible(user).select_related("hospital").order_by("hospital__code", "-starts_on")


@dataclass(frozen=True)
class PriceRow:
    entry: PriceEntry
    state: str  # "current", "superseded" or "future", on the day the page is read


@dataclass(frozen=True)
class PriceGroup:
    item_code: str
    donor_classification: str
    rows: list[PriceRow]


@dataclass(frozen=True)
class ContractDetail:
    contract: Contract
    on: date
    prices: list[PriceGroup]


def _price_state(entry: PriceEntry, on: date) -> str:
    if entry.effective_from > on:
        return "future"
    if entry.effective_to is not None and entry.effective_to <= on:
        return "superseded"
    return "current"


def contract_detail(contract: Contract, on: date | None = None) -> ContractDetail:
    """The contract's price list grouped by item and donor classification, each entry marked
    current, superseded or future on ``on`` (today)."""
    on = on or timezone.localdate()
    groups: dict[tuple[str, str], list[PriceRow]] = {}
    for entry in contract.prices.order_by("item_code", "donor_classification", "effective_from", "pk"):
        key = (entry.item_code, entry.donor_classification)
        groups.setdefault(key, []).append(PriceRow(entry, _price_state(entry, on)))
    return ContractDetail(
        contract=contract,
        on=on,
        prices=[PriceGroup(code, classification, rows) for (code, classification), rows in groups.items()],
    )


# --- invoices -----------------------------------------------------------------------------------


def invoice_list(
    user: User,
    hospital: str | None = None,
    kind: str | None = None,
    open_only: bool = False,
) -> QuerySet[Invoice]:
    """Invoices and credit notes ``user`` may see, newest first, with their open amounts;
    ``hospital`` is a hospital code; ``open_only`` keeps invoices with something still owed."""
    invoices = with_open_amounts(invoices_visible(user).select_related("hospital", "contract", "credits"))
    if hospital:
        invoices = invoices.filter(hospital__code=hospital)
    if kind:
        invoices = invoices.filter(kind=kind)
    if open_only:
        invoices = invoices.filter(kind=Invoice.Kind.INVOICE, open_amount__gt=0)
    return invoices.order_by("-issued_on", "-pk")


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: Invoice
    lines: list[Charge]  # an invoice's charges, or the charges a credit note credits
    credit_notes: list[Invoice]
    applications: list[ReceiptApplication]
    credited: Decimal
    paid: Decimal
    open_amount: Decimal
    status: str


def invoice_detail(invoice: Invoice, today: date | None = None) -> InvoiceDetail:
    loaded = with_open_amounts(Invoice.objects.filter(pk=invoice.pk)).select_related(
        "hospital", "contract", "credits"
    )[0]
    lines_of = loaded.credited_charges if loaded.kind == Invoice.Kind.CREDIT_NOTE else loaded.charges
    return InvoiceDetail(
        invoice=loaded,
        lines=list(lines_of.order_by("occurred_on", "pk")),
        credit_notes=list(loaded.credit_notes.order_by("issued_on", "pk")),
        applications=list(
            loaded.applications.select_related("receipt").order_by("receipt__received_on", "pk")
        ),
        credited=loaded.credited,
        paid=loaded.paid,
        open_amount=loaded.open_amount if loaded.kind == Invoice.Kind.INVOICE else ZERO,
        status=invoice_status(loaded, today or timezone.localdate()),
    )


# --- charges and receipts -----------------------------------------------------------------------


def unbilled_charges(user: User) -> QuerySet[Charge]:
    """Charges neither invoiced nor credited: what the next invoices will carry."""
    charges = hospital_scoped(user, Charge.objects.all(), VIEW_CHARGE)
    return (
        charges.filter(invoice__isnull=True, credit_note__isnull=True)
        .select_related("hospital", "contract")
        .order_by("hospital__code", "occurred_on", "pk")
    )


def unbilled_groups(contract: Contract) -> list[dict]:
    """What invoicing ``contract`` now would bill: its unbilled charges by group (a shipment)
    and month, with their count, amount and dates, oldest first."""
    return list(
        Charge.objects.filter(contract=contract, invoice__isnull=True, credit_note__isnull=True)
        .annotate(month=TruncMonth("occurred_on"))
        .values("group_key", "month")
        .annotate(
            charges=Count("pk"), amount=Sum("amount"), first=Min("occurred_on"), last=Max("occurred_on")
        )
        .order_by("first", "group_key")
    )


def receipt_list(user: User) -> QuerySet[Receipt]:
    applied = ReceiptApplication.objects.filter(receipt=OuterRef("pk"))
    return (
        receipts_visible(user)
        .select_related("hospital")
        .prefetch_related("applications__invoice")
        .annotate(applied=_summed(applied, "receipt", "amount"))
        .annotate(unapplied=F("amount") - F("applied"))
        .order_by("-received_on", "-pk")
    )


# --- aging --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgingRow:
    hospital: str  # its code
    amounts: dict[str, Decimal]  # by bucket, in the order of ``rules.AGING_BUCKETS``

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)


@dataclass(frozen=True)
class AgingReport:
    as_of: date
    buckets: tuple[str, ...]
    rows: list[AgingRow]
    totals: AgingRow  # the totals row (hospital "total")


def aging_report(user: User, as_of: date) -> AgingReport:
    """Open amounts of the invoices ``user`` may see, issued by ``as_of`` and open on that
    day, by hospital and by days past due (``rules.aging``)."""
    open_items = (
        with_open_amounts(
            invoices_visible(user).filter(kind=Invoice.Kind.INVOICE, issued_on__lte=as_of), as_of=as_of
        )
        .filter(open_amount__gt=0)
        .values_list("hospital__code", "due_on", "open_amount")
    )
    by_hospital = rules.aging(list(open_items), as_of)
    totals = {
        bucket: sum((amounts[bucket] for amounts in by_hospital.values()), ZERO)
        for bucket in rules.AGING_BUCKETS
    }
    return AgingReport(
        as_of=as_of,
        buckets=rules.AGING_BUCKETS,
        rows=[AgingRow(code, amounts) for code, amounts in by_hospital.items()],
        totals=AgingRow("total", totals),
    )
