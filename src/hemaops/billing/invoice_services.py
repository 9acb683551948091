"""Invoices: issuing one for a contract's unbilled charges (a shipment or a month), and the
run that issues every invoice due on a day.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hemaops.billing import rules
from hemaops.billing.errors import BillingError
from hemaops.billing.models import Charge, Contract, Invoice
from hemaops.billing.service_support import STREAM, charge_lines
from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.models import User
from hemaops.finance import services as ledger
from hemaops.finance.sources import SourceDocument

ZERO = rules.ZERO


@transaction.atomic
def invoice_issue(
    *,
    actor: User | None,
    contract: Contract,
    issued_on: date,
    group_key: str | None = None,
    period_start: date | None = None,
) -> Invoice:
    """Invoice a contract's unbilled, uncredited charges: one group (a shipment) under a
    per-shipment contract, one month under a monthly one. The charges are locked, so two runs
    never bill one charge twice: the second waits, then finds nothing to bill."""
    require_permission(actor, "billing.issue_invoice")
    contract = Contract.objects.select_related("hospital").get(pk=contract.pk)
    charges = Charge.objects.filter(contract=contract, invoice__isnull=True, credit_note__isnull=True)
    if contract.invoicing == Contract.Invoicing.PER_SHIPMENT:
        group_key = (group_key or "").strip()
        if not group_key:
            raise BillingError(
                f"group_key: contract {contract.number} is invoiced per shipment; name the shipment",
                code="required",
                field="group_key",
            )
        if period_start is not None:
            raise BillingError(
                f"period_start: contract {contract.number} is invoiced per shipment, not monthly",
                code="invalid_choice",
                field="period_start",
            )
        charges = charges.filter(group_key=group_key)
        what = f"shipment {group_key}"
    else:
        if period_start is None:
            raise BillingError(
                f"period_start: contract {contract.number} is invoiced monthly; name the month",
                code="required",
                field="period_start",
            )
        if period_start.day != 1:
            raise BillingError(
                f"period_start: {period_start.isoformat()} is not the first day of a month",
                code="invalid_period",
                field="period_start",
            )
        if group_key:
            raise BillingError(
                f"group_key: contract {contract.number} is invoiced monthly, not per shipment",
                code="invalid_choice",
                field="group_key",
            )
        next_month = date(period_start.year + period_start.month // 12, period_start.month % 12 + 1, 1)
        charges = charges.filter(occurred_on__gte=period_start, occurred_on__lt=next_month)
        what = f"{period_start:%B %Y}"
    # Locked in pk order; a charge a concurrent run billed meanwhile drops out of the filter
    # once its lock is released (PostgreSQL re-checks the condition on the updated row).
    billed = list(charges.select_for_update().order_by("pk"))
    if not billed:
        raise BillingError(
            f"contract {contract.number} has nothing unbilled for {what}", code="nothing_to_bill", field=None
        )
    latest = max(c.occurred_on for c in billed)
    if issued_on < latest:
        raise BillingError(
            f"issued_on: the invoice cannot be dated before its last charge ({latest.isoformat()})",
            code="issued_before_charge",
            field="issued_on",
        )
    total = rules.invoice_total(charge_lines(billed))
    if total != sum((c.amount for c in billed), ZERO):  # the charges' amounts were rounded by the same rule
        raise BillingError("the invoice lines do not add up to the charges", code="total_mismatch")
    due_on = rules.due_date(issued_on, contract.terms_days)
    invoice = Invoice.objects.create(
        kind=Invoice.Kind.INVOICE,
        contract=contract,
        hospital=contract.hospital,
        issued_on=issued_on,
        due_on=due_on,
        period_start=period_start if contract.invoicing == Contract.Invoicing.MONTHLY else None,
        total=total,
        issued_by=actor,
        issued_at=timezone.now(),
    )
    Charge.objects.filter(pk__in=[c.pk for c in billed]).update(invoice=invoice)
    ledger.invoice_post(
        source=SourceDocument("billing.invoice", str(invoice.pk), "invoice"),
        entry_date=issued_on,
        hospital=contract.hospital,
        amount=total,
        memo=f"{invoice.number} {contract.hospital.code} {what}",
        actor=actor,
    )
    audit_record(
        stream=STREAM,
        action="invoice.issued",
        actor=actor,
        target=invoice,
        data={
            "number": invoice.number,
            "contract": contract.number,
            "for": what,
            "charges": [c.pk for c in billed],
            "total": str(total),
            "due_on": due_on.isoformat(),
        },
    )
    return invoice


def invoices_issue_due(*, actor: User | None, on: date) -> list[Invoice]:
    """Every invoice due on ``on``: each full month before ``on``'s month with unbilled charges
    (monthly contracts), each shipment with unbilled charges up to ``on`` (per-shipment ones).
    Each invoice is its own transaction; a re-run (or a concurrent run) issues nothing twice."""
    require_permission(actor, "billing.issue_invoice")
    unbilled = Charge.objects.filter(invoice__isnull=True, credit_note__isnull=True)
    month_start = on.replace(day=1)
    issued: list[Invoice] = []
    work: list[tuple[Contract, date | None, str | None]] = []  # (contract, month, shipment group)
    monthly = (
        unbilled.filter(contract__invoicing=Contract.Invoicing.MONTHLY, occurred_on__lt=month_start)
        .values_list("contract_id", "occurred_on")
        .order_by("contract_id", "occurred_on")
    )
    months = sorted({(contract_id, day.replace(day=1)) for contract_id, day in monthly})
    groups = (
        unbilled.filter(contract__invoicing=Contract.Invoicing.PER_SHIPMENT)
        .values("contract_id", "group_key")
        .annotate(latest=Max("occurred_on"))
        .filter(latest__lte=on)
        .order_by("contract_id", "latest", "group_key")
    )
    contracts = Contract.objects.in_bulk(
        {contract_id for contract_id, _ in months} | {g["contract_id"] for g in groups}
    )
    work += [(contracts[contract_id], start, None) for contract_id, start in months]
    work += [(contracts[g["contract_id"]], None, g["group_key"]) for g in groups]
    for contract, period_start, group_key in work:
        try:
            issued.append(
                invoice_issue(
                    actor=actor,
                    contract=contract,
                    issued_on=on,
                    period_start=period_start,
                    group_key=group_key,
                )
            )
        except BillingError as error:
            if error.code != "nothing_to_bill":  # a concurrent run got there first: nothing lost
                raise
    return issued
