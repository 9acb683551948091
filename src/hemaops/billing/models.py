"""Tables of the billing context (issue 8): hospital contracts and their price lists, the
charges a hospital owes (unbilled until invoiced), invoices and credit notes, receipts and
how they were applied.

Billing knows nothing of units or shipments: an operational context (distribution today,
apheresis and blood management later) records a **charge** for what it delivered, with its
own document as the charge's source, and billing prices, recognises, invoices and credits it.
A charge is billed once (``invoice``) and credited once (``credit_note``); the database keeps
a source document to one charge, so nothing is billed twice even under a race.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from hemaops.billing.rules import CLASSIFICATIONS, MAX_TERMS_DAYS
from hemaops.core.models import Hospital, Program

MONEY = {"max_digits": 14, "decimal_places": 2}


class Contract(models.Model):
    """A hospital's supply contract: its price list, payment terms and invoicing rhythm."""

    class Invoicing(models.TextChoices):
        PER_SHIPMENT = "per_shipment", "An invoice per shipment"
        MONTHLY = "monthly", "A monthly invoice"

    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="contracts")
    number = models.CharField(max_length=40, unique=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Last day in force; empty: open ended.")
    terms_days = models.PositiveSmallIntegerField(default=30, help_text="Net days from the invoice date.")
    invoicing = models.CharField(max_length=20, choices=Invoicing.choices, default=Invoicing.MONTHLY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["hospital__code", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(terms_days__lte=MAX_TERMS_DAYS), name="contract_terms_in_range"
            ),
        ]
        permissions = [("manage_contract", "Can set up contracts and their price lists")]

    def __str__(self) -> str:
        return f"{self.number} ({self.hospital.code})"


class PriceEntry(models.Model):
    """One line of a contract's price list: a billable item's price from a date
    (``effective_to`` exclusive), for volunteer or paid donors' units or for both ('')."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="prices")
    item_code = models.CharField(max_length=20)
    description = models.CharField(max_length=120, blank=True)
    donor_classification = models.CharField(max_length=10, blank=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    unit_price = models.DecimalField(**MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["contract", "item_code", "donor_classification", "effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="price_entry_positive"),
            models.CheckConstraint(
                condition=Q(donor_classification__in=["", *CLASSIFICATIONS]),
                name="price_entry_classification_known",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="price_entry_period_not_empty",
            ),
        ]
        indexes = [models.Index(fields=["contract", "item_code"], name="price_entry_item")]

    def __str__(self) -> str:
        return f"{self.item_code} {self.unit_price} from {self.effective_from}"


class Invoice(models.Model):
    """An invoice (bills unbilled charges) or a credit note (credits charges, billed or not).
    Both carry a positive ``total``; a credit note's counts against what the hospital owes."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="invoices")
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="invoices")
    issued_on = models.DateField()
    due_on = models.DateField(null=True, blank=True, help_text="Invoices only: issued_on + the terms.")
    period_start = models.DateField(null=True, blank=True, help_text="A monthly invoice's month.")
    total = models.DecimalField(**MONEY)
    # A credit note names the invoice it credits (None: it credits charges not yet invoiced).
    credits = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    reason = models.TextField(blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
            models.CheckConstraint(
                condition=Q(kind="invoice", due_on__isnull=False, credits__isnull=True)
                | Q(kind="credit_note", due_on__isnull=True),
                name="invoice_kind_shape",
            ),
        ]
        indexes = [models.Index(fields=["hospital", "kind", "issued_on"], name="invoice_hospital_kind")]
        permissions = [
            ("issue_invoice", "Can issue invoices"),
            ("issue_credit_note", "Can issue credit notes"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """``INV-000012`` or ``CN-000013``: from the primary key, so there is no counter to race on."""
        return f"{NUMBER_PREFIX[self.kind]}-{self.pk:06d}"


#: The printed number's prefix of each kind of invoice.
NUMBER_PREFIX = {Invoice.Kind.INVOICE: "INV", Invoice.Kind.CREDIT_NOTE: "CN"}


class Charge(models.Model):
    """Something a hospital owes under its contract, priced when it happened (a shipped unit,
    a surcharge; later a procedure or a fee). Its revenue is posted on ``occurred_on``; it is
    unbilled until ``invoice`` bills it, and ``credit_note`` credits it once."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="charges")
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="charges")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="charges")
    item_code = models.CharField(max_length=20)
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)
    revenue_key = models.CharField(max_length=40, help_text="The ledger's revenue mapping key.")
    occurred_on = models.DateField()
    # Charges of one group (a shipment) go on one invoice under a per-shipment contract.
    group_key = models.CharField(max_length=60)
    source_type = models.CharField(max_length=60)
    source_id = models.CharField(max_length=64)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="charges"
    )
    credit_note = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="credited_charges"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source_type", "source_id"], name="charge_one_per_source"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="charge_quantity_positive"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="charge_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["contract", "invoice", "occurred_on"], name="charge_unbilled"),
            models.Index(fields=["group_key"], name="charge_group"),
        ]

    def __str__(self) -> str:
        return f"{self.item_code} × {self.quantity} = {self.amount}"


class Receipt(models.Model):
    """A payment from a hospital, as its remittance advice names it."""

    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="receipts")
    reference = models.CharField(max_length=60, help_text="The payment's reference (check, wire).")
    received_on = models.DateField()
    amount = models.DecimalField(**MONEY)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "reference"], name="receipt_reference_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive"),
        ]
        permissions = [("record_receipt", "Can record receipts from hospitals")]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"


class ReceiptApplication(models.Model):
    """How much of a receipt paid which invoice."""

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="applications")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="applications")
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_application_positive"),
            models.UniqueConstraint(fields=["receipt", "invoice"], name="receipt_application_once"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_id} → {self.invoice_id}: {self.amount}"
