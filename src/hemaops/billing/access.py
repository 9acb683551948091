"""Gates through which pages and the API load contracts, invoices and receipts (house style
§10; DESIGN.md invariant 6): a hospital user reaches only its own hospital's; anyone else needs
the view permission; the answer to what one may not see is the same 404 as to nothing."""

from __future__ import annotations

from django.db.models import QuerySet

from hemaops.billing.models import NUMBER_PREFIX, Contract, Invoice, Receipt
from hemaops.core.access import hospital_scoped, one_or_404
from hemaops.core.errors import NotFoundError
from hemaops.core.models import User

VIEW_CONTRACT = "billing.view_contract"
VIEW_INVOICE = "billing.view_invoice"
VIEW_RECEIPT = "billing.view_receipt"


def contracts_visible(user: User) -> QuerySet[Contract]:
    return hospital_scoped(user, Contract.objects.all(), VIEW_CONTRACT)


def invoices_visible(user: User) -> QuerySet[Invoice]:
    return hospital_scoped(user, Invoice.objects.all(), VIEW_INVOICE)


def receipts_visible(user: User) -> QuerySet[Receipt]:
    return hospital_scoped(user, Receipt.objects.all(), VIEW_RECEIPT)


def access_contract_by_id(user: User, contract_id: int) -> Contract:
    return one_or_404(contracts_visible(user).select_related("hospital"), contract_id, "contract")


def access_invoice_by_id(user: User, invoice_id: int) -> Invoice:
    return one_or_404(invoices_visible(user).select_related("hospital", "contract"), invoice_id, "invoice")


def invoice_pk_from_number(number: str) -> tuple[str, int] | None:
    """(kind, primary key) of ``INV-000012`` / ``CN-000013``; None when it is not such a number."""
    prefix, _, digits = number.strip().upper().partition("-")
    kinds = {value: kind for kind, value in NUMBER_PREFIX.items()}
    if prefix not in kinds or not digits.isdigit():
        return None
    return kinds[prefix], int(digits)


def access_invoice_by_number(user: User, number: str) -> Invoice:
    parsed = invoice_pk_from_number(number)
    if parsed is None:
        raise NotFoundError(f"No such invoice {number!r}.")
    kind, pk = parsed
    return one_or_404(
        invoices_visible(user).filter(kind=kind).select_related("hospital", "contract"), pk, "invoice"
    )
