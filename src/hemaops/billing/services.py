"""Services of billing (issue 8): contracts and price lists, charges (revenue at the time of
the delivery, through the ledger's posting interface), invoices per shipment or per month,
credit notes, receipts matched to invoices.

Every function is one transaction, permission-checked, audited on the ``billing`` stream.
The arithmetic and the price lookup are the pure rules' (``billing.rules``); money follows
docs/money.md and the postings docs/accounting-policies.md (policies 1–4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hemaops.billing.models import Charge, Contract, Invoice, PriceEntry, Receipt
from hemaops.core.models import Hospital, Program, User

STREAM = "billing"


@dataclass(frozen=True)
class PriceInput:
    """One price list line as a caller gives it."""

    item_code: str
    unit_price: Decimal | str
    effective_from: date
    effective_to: date | None = None
    donor_classification: str = ""  # "" (both), "volunteer" or "paid"
    description: str = ""


@dataclass(frozen=True)
class ChargeInput:
    """Something delivered, to be priced by the contract and charged. ``source_type`` /
    ``source_id`` name the operational record (``distribution.shipmentitem``, its pk); one
    source is charged once."""

    item_code: str
    description: str
    quantity: int
    program: Program
    revenue_key: str
    source_type: str
    source_id: str
    donor_classification: str | None = None


@dataclass(frozen=True)
class ApplicationInput:
    """How much of a receipt pays which invoice (``INV-000012``)."""

    invoice_number: str
    amount: Decimal | str


def contract_create(
    *,
    actor: User | None,
    hospital: Hospital,
    number: str,
    starts_on: date,
    ends_on: date | None = None,
    terms_days: int = 30,
    invoicing: str = Contract.Invoicing.MONTHLY,
    prices: Sequence[PriceInput] = (),
) -> Contract:
    raise NotImplementedError


def prices_add(*, actor: User | None, contract: Contract, prices: Sequence[PriceInput]) -> list[PriceEntry]:
    raise NotImplementedError


def contract_in_force(hospital: Hospital, on: date) -> Contract:
    raise NotImplementedError


def price_for(
    contract: Contract, item_code: str, on: date, donor_classification: str | None = None
) -> PriceEntry:
    raise NotImplementedError


def charges_record(
    *,
    actor: User | None,
    contract: Contract,
    occurred_on: date,
    group_key: str,
    charges: Sequence[ChargeInput],
) -> list[Charge]:
    raise NotImplementedError


def charges_credit(*, actor: User | None, charges: Sequence[Charge], issued_on: date, reason: str) -> Invoice:
    raise NotImplementedError


def invoice_issue(
    *,
    actor: User | None,
    contract: Contract,
    issued_on: date,
    group_key: str | None = None,
    period_start: date | None = None,
) -> Invoice:
    raise NotImplementedError


def invoices_issue_due(*, actor: User | None, on: date) -> list[Invoice]:
    raise NotImplementedError


def receipt_record(
    *,
    actor: User | None,
    hospital: Hospital,
    reference: str,
    received_on: date,
    amount: Decimal | str,
    applications: Sequence[ApplicationInput] = (),
) -> Receipt:
    raise NotImplementedError


def invoice_open_amount(invoice: Invoice) -> Decimal:
    raise NotImplementedError
