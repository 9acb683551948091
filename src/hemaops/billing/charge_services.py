"""Charges: pricing what was delivered by its contract and recognising the revenue through
the ledger's posting interface, and crediting charges on a credit note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from hemaops.billing import rules
from hemaops.billing.errors import BillingConflictError, BillingError
from hemaops.billing.models import Charge, Contract, Invoice
from hemaops.billing.service_support import STREAM, charge_lines, rules_entry
from hemaops.core.audit import audit_record
from hemaops.core.errors import PermissionDeniedError
from hemaops.core.models import Program, User
from hemaops.finance import services as ledger
from hemaops.finance.sources import SourceDocument


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


def _existing_charge(charge: ChargeInput) -> Charge | None:
    return Charge.objects.filter(source_type=charge.source_type, source_id=str(charge.source_id)).first()


@transaction.atomic
def charges_record(
    *,
    actor: User | None,
    contract: Contract,
    occurred_on: date,
    group_key: str,
    charges: Sequence[ChargeInput],
) -> list[Charge]:
    """Price what was delivered by the contract on ``occurred_on``, record the charges and
    recognise their revenue (policy 1: at delivery, against unbilled receivables).

    No billing permission is checked: this is the posting interface of the operational contexts
    (distribution ships, apheresis completes a procedure), called inside their own service's
    transaction after *their* permission check; ``actor`` is who did that, for the audit.
    Idempotent per source document: a source already charged returns its charge unchanged."""
    group_key = (group_key or "").strip()
    if not group_key:
        raise BillingError("group_key: a charge group is required", code="required", field="group_key")
    if not charges:
        raise BillingError("charges: nothing to charge", code="required", field="charges")
    if occurred_on < contract.starts_on or (contract.ends_on is not None and occurred_on > contract.ends_on):
        raise BillingError(
            f"occurred_on: contract {contract.number} is not in force on {occurred_on.isoformat()}",
            code="no_contract",
            field="occurred_on",
        )
    entries = list(contract.prices.all())
    rule_entries = [rules_entry(e) for e in entries]
    recorded: list[Charge] = []
    created: list[Charge] = []
    now = timezone.now()
    for i, item in enumerate(charges):
        if not item.source_type or not str(item.source_id):
            raise BillingError(
                f"charges[{i}]: a source document is required",
                code="required",
                field=f"charges[{i}].source_id",
            )
        existing = _existing_charge(item)
        if existing is not None:
            recorded.append(existing)
            continue
        try:
            price = rules.price_on(
                rule_entries, item.item_code, occurred_on, item.donor_classification or None
            )
            amount = rules.line_amount(
                rules.Line(item.item_code, item.description, item.quantity, price.unit_price)
            )
        except rules.PricingError as error:
            raise BillingError(
                f"charges[{i}]: {error.message}", code=error.code, field=f"charges[{i}].{error.field}"
            ) from None
        row = Charge(
            contract=contract,
            hospital=contract.hospital,
            program=item.program,
            item_code=item.item_code,
            description=item.description[:200],
            quantity=item.quantity,
            unit_price=price.unit_price,
            amount=amount,
            revenue_key=item.revenue_key,
            occurred_on=occurred_on,
            group_key=group_key,
            source_type=item.source_type,
            source_id=str(item.source_id),
            created_at=now,
        )
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            # A concurrent transaction charged the same source first: its charge stands.
            existing = _existing_charge(item)
            if existing is None:
                raise
            recorded.append(existing)
            continue
        ledger.revenue_recognize(
            source=SourceDocument("billing.charge", str(row.pk), "revenue"),
            entry_date=occurred_on,
            program=item.program,
            hospital=contract.hospital,
            amount=amount,
            revenue_key=item.revenue_key,
            memo=f"{item.item_code} × {item.quantity} {group_key}",
            actor=actor,
        )
        recorded.append(row)
        created.append(row)
    if created:
        audit_record(
            stream=STREAM,
            action="charges.recorded",
            actor=actor,
            target=contract,
            data={
                "group_key": group_key,
                "occurred_on": occurred_on.isoformat(),
                "charges": [
                    {"id": c.pk, "item_code": c.item_code, "quantity": c.quantity, "amount": str(c.amount)}
                    for c in created
                ],
            },
        )
    return recorded


@transaction.atomic
def charges_credit(*, actor: User | None, charges: Sequence[Charge], issued_on: date, reason: str) -> Invoice:
    """A credit note for charges of one contract, billed or not (policy 3: reversed on the
    credit note's own date, from the receivable each charge is in). Charges invoiced on one
    invoice credit that invoice; uninvoiced ones then never reach an invoice.

    Allowed to an accountant (``billing.issue_credit_note``) and to the distribution clerk
    recording a return (``distribution.record_return``): distribution's return service credits
    the returned units' charges inside its own transaction."""
    if actor is not None and not (
        actor.is_active
        and (actor.has_perm("billing.issue_credit_note") or actor.has_perm("distribution.record_return"))
    ):
        raise PermissionDeniedError("You do not have permission to do this.")
    reason = (reason or "").strip()
    if not reason:
        raise BillingError("reason: a credit note needs a reason", code="required", field="reason")
    ids = sorted({c.pk for c in charges})
    if not ids:
        raise BillingError("charges: choose the charges to credit", code="required", field="charges")
    locked = list(
        Charge.objects.select_for_update(of=("self",))
        .select_related("contract", "hospital", "program")
        .filter(pk__in=ids)
    )
    locked.sort(key=lambda c: c.pk)
    if len(locked) != len(ids):
        raise BillingError("charges: a charge was not found", code="not_found", field="charges")
    if len({c.contract_id for c in locked}) > 1:
        raise BillingError(
            "charges: a credit note credits charges of one contract", code="mixed_contracts", field="charges"
        )
    credited = [c for c in locked if c.credit_note_id is not None]
    if credited:
        raise BillingConflictError(
            "charges: " + ", ".join(f"{c} is already credited" for c in credited),
            code="already_credited",
            field="charges",
        )
    if len({c.invoice_id for c in locked}) > 1:
        raise BillingError(
            "charges: the charges are on different invoices (or some are not invoiced); "
            "credit each invoice's charges on their own credit note",
            code="mixed_invoices",
            field="charges",
        )
    latest = max(c.occurred_on for c in locked)
    if issued_on < latest:
        raise BillingError(
            f"issued_on: a credit note cannot be dated before its charges ({latest.isoformat()})",
            code="issued_before_charge",
            field="issued_on",
        )
    contract = locked[0].contract
    invoice_id = locked[0].invoice_id
    # The invoice's row is the lock receipts take too: its open amount is read consistently.
    credits = Invoice.objects.select_for_update().get(pk=invoice_id) if invoice_id else None
    if credits is not None and issued_on < credits.issued_on:
        raise BillingError(
            f"issued_on: a credit note cannot be dated before the invoice it credits "
            f"({credits.number}, {credits.issued_on.isoformat()})",
            code="issued_before_invoice",
            field="issued_on",
        )
    note = Invoice.objects.create(
        kind=Invoice.Kind.CREDIT_NOTE,
        contract=contract,
        hospital=contract.hospital,
        issued_on=issued_on,
        total=rules.invoice_total(charge_lines(locked)),
        credits=credits,
        reason=reason,
        issued_by=actor,
        issued_at=timezone.now(),
    )
    Charge.objects.filter(pk__in=ids).update(credit_note=note)
    receivable = "billed_receivables" if credits is not None else "unbilled_receivables"
    for charge in locked:
        charge.credit_note = note
        ledger.credit_note_post(
            source=SourceDocument("billing.charge", str(charge.pk), "credit"),
            entry_date=issued_on,
            program=charge.program,
            hospital=charge.hospital,
            amount=charge.amount,
            revenue_key=charge.revenue_key,
            memo=f"{note.number}: {charge.item_code} × {charge.quantity} {charge.group_key}",
            receivable=receivable,
            actor=actor,
        )
    audit_record(
        stream=STREAM,
        action="credit_note.issued",
        actor=actor,
        target=note,
        reason=reason,
        data={
            "number": note.number,
            "credits": credits.number if credits else None,
            "charges": ids,
            "total": str(note.total),
        },
    )
    return note
