"""Receipts: recording a hospital's payment and applying it to its invoices, and the amount
still open on an invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from hemaops.billing import rules
from hemaops.billing.access import invoice_pk_from_number
from hemaops.billing.errors import BillingConflictError, BillingError
from hemaops.billing.models import Invoice, Receipt, ReceiptApplication
from hemaops.billing.service_support import STREAM
from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.models import Hospital, User
from hemaops.finance import services as ledger
from hemaops.finance.money import MoneyError, to_money
from hemaops.finance.sources import SourceDocument

ZERO = rules.ZERO


@dataclass(frozen=True)
class ApplicationInput:
    """How much of a receipt pays which invoice (``INV-000012``)."""

    invoice_number: str
    amount: Decimal | str


def _money(value: object, field: str) -> Decimal:
    try:
        return to_money(value, field=field)
    except MoneyError as error:
        raise BillingError(str(error), code="invalid_amount", field=field) from None


def invoice_open_amount(invoice: Invoice) -> Decimal:
    """What is still owed on an invoice: its total less what receipts paid and what credit notes
    credited (0 for a credit note)."""
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        return ZERO
    paid = ReceiptApplication.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or ZERO
    credited = Invoice.objects.filter(credits=invoice).aggregate(s=Sum("total"))["s"] or ZERO
    return invoice.total - paid - credited


@transaction.atomic
def receipt_record(
    *,
    actor: User | None,
    hospital: Hospital,
    reference: str,
    received_on: date,
    amount: Decimal | str,
    applications: Sequence[ApplicationInput] = (),
) -> Receipt:
    """A hospital's payment, applied to the invoices its remittance names, or (none named) to
    its open invoices oldest due first; what is left stays on account. The invoices applied to
    are locked, so two receipts cannot both pay the same open amount."""
    require_permission(actor, "billing.record_receipt")
    total = _money(amount, "amount")
    if total <= 0:
        raise BillingError("amount: a receipt must be more than 0.00", code="invalid_amount", field="amount")
    reference = (reference or "").strip()
    if not reference:
        raise BillingError(
            "reference: the payment's reference is required", code="required", field="reference"
        )
    wanted: list[tuple[int, Decimal]] = []
    for i, application in enumerate(applications):
        field = f"applications[{i}].invoice_number"
        parsed = invoice_pk_from_number(application.invoice_number or "")
        if parsed is None or parsed[0] != Invoice.Kind.INVOICE:
            raise BillingError(
                f"{field}: {application.invoice_number!r} is not an invoice number",
                code="not_found",
                field=field,
            )
        # Another hospital's invoice is answered as if it did not exist.
        if not Invoice.objects.filter(pk=parsed[1], kind=Invoice.Kind.INVOICE, hospital=hospital).exists():
            raise BillingError(
                f"{field}: {hospital.name} has no invoice {application.invoice_number}",
                code="not_found",
                field=field,
            )
        if parsed[1] in {pk for pk, _ in wanted}:
            raise BillingError(f"{field}: the invoice is named twice", code="duplicate", field=field)
        applied = _money(application.amount, f"applications[{i}].amount")
        if applied <= 0:
            raise BillingError(
                f"applications[{i}].amount: must be more than 0.00",
                code="invalid_amount",
                field=f"applications[{i}].amount",
            )
        wanted.append((parsed[1], applied))
    if sum((a for _, a in wanted), ZERO) > total:
        raise BillingError(
            f"applications: the applications add up to more than the receipt ({total})",
            code="over_applied",
            field="applications",
        )
    if Receipt.objects.filter(hospital=hospital, reference=reference).exists():
        raise BillingConflictError(
            f"reference: receipt {reference} of {hospital.name} is already recorded",
            code="duplicate_receipt",
            field="reference",
        )
    if wanted:
        ids = [pk for pk, _ in wanted]
    else:
        ids = list(
            Invoice.objects.filter(hospital=hospital, kind=Invoice.Kind.INVOICE).values_list("pk", flat=True)
        )
    # Locked in pk order (no deadlock between two receipts); open amounts read after the lock.
    invoices = Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk").in_bulk()
    plan: list[tuple[Invoice, Decimal]] = []
    if wanted:
        for i, (pk, applied) in enumerate(wanted):
            invoice = invoices[pk]
            open_amount = invoice_open_amount(invoice)
            if applied > open_amount:
                raise BillingConflictError(
                    f"applications[{i}].amount: {applied} is more than {invoice.number}'s open amount "
                    f"({open_amount})",
                    code="overpaid",
                    field=f"applications[{i}].amount",
                )
            plan.append((invoice, applied))
    else:
        left = total
        for invoice in sorted(invoices.values(), key=lambda inv: (inv.due_on, inv.pk)):
            if left <= 0:
                break
            open_amount = invoice_open_amount(invoice)
            if open_amount > 0:
                applied = min(open_amount, left)
                plan.append((invoice, applied))
                left -= applied
    try:
        with transaction.atomic():
            receipt = Receipt.objects.create(
                hospital=hospital,
                reference=reference,
                received_on=received_on,
                amount=total,
                recorded_by=actor,
                recorded_at=timezone.now(),
            )
    except IntegrityError:
        raise BillingConflictError(
            f"reference: receipt {reference} of {hospital.name} is already recorded",
            code="duplicate_receipt",
            field="reference",
        ) from None
    ReceiptApplication.objects.bulk_create(
        [ReceiptApplication(receipt=receipt, invoice=invoice, amount=applied) for invoice, applied in plan]
    )
    ledger.receipt_post(
        source=SourceDocument("billing.receipt", str(receipt.pk), "receipt"),
        entry_date=received_on,
        hospital=hospital,
        amount=total,
        memo=f"receipt {reference} {hospital.code}",
        actor=actor,
    )
    audit_record(
        stream=STREAM,
        action="receipt.recorded",
        actor=actor,
        target=receipt,
        data={
            "hospital": hospital.code,
            "reference": reference,
            "amount": str(total),
            "applications": [{"invoice": inv.number, "amount": str(a)} for inv, a in plan],
            "on_account": str(total - sum((a for _, a in plan), ZERO)),
        },
    )
    return receipt
