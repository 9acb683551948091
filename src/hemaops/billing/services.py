"""Services of billing (issue 8): contracts and price lists, charges (revenue at the time of
the delivery, through the ledger's posting interface), invoices per shipment or per month,
credit notes, receipts matched to invoices.

Every function is one transaction, permission-checked, audited on the ``billing`` stream.
The arithmetic and the price lookup are the pure rules' (``billing.rules``); money follows
docs/money.md and the postings docs/accounting-policies.md (policies 1–4).

Each action lives in its own module, re-exported here so callers import from ``billing.services``:
contracts and prices in ``contract_services``, charges and credit notes in ``charge_services``,
invoices in ``invoice_services``, receipts in ``receipt_services``.
"""

from __future__ import annotations

from hemaops.billing.charge_services import ChargeInput, charges_credit, charges_record
from hemaops.billing.contract_services import (
    PriceInput,
    contract_create,
    contract_in_force,
    price_for,
    prices_add,
)
from hemaops.billing.invoice_services import invoice_issue, invoices_issue_due
from hemaops.billing.receipt_services import ApplicationInput, invoice_open_amount, receipt_record

__all__ = [
    "ApplicationInput",
    "ChargeInput",
    "PriceInput",
    "charges_credit",
    "charges_record",
    "contract_create",
    "contract_in_force",
    "invoice_issue",
    "invoice_open_amount",
    "invoices_issue_due",
    "price_for",
    "prices_add",
    "receipt_record",
]
