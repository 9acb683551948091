"""The one error type of the billing context (house style §3)."""

from __future__ import annotations

from hemaops.core.errors import DomainError


class BillingError(DomainError):
    """Contracts, prices, charges, invoices, credit notes and receipts."""


class BillingConflictError(BillingError):
    """What the records' state refuses (already billed, already credited, overpaid): HTTP 409."""

    status = 409
    code = "conflict"
