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

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from hemaops.billing import rules
from hemaops.billing.access import invoice_pk_from_number
from hemaops.billing.errors import BillingConflictError, BillingError
from hemaops.billing.models import Charge, Contract, Invoice, PriceEntry, Receipt, ReceiptApplication
from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.errors import PermissionDeniedError
from hemaops.core.models import Hospital, Program, User
from hemaops.finance import services as ledger
from hemaops.finance.money import MoneyError, to_money
from hemaops.finance.sources import SourceDocument

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


ZERO = rules.ZERO


# --- helpers ---------------------------------------------------------------------------------


def _money(value: object, field: str) -> Decimal:
    try:
        return to_money(value, field=field)
    except MoneyError as error:
        raise BillingError(str(error), code="invalid_amount", field=field) from None


def _rules_entry(entry: PriceEntry) -> rules.PriceEntry:
    return rules.PriceEntry(
        item_code=entry.item_code,
        donor_classification=entry.donor_classification or None,
        effective_from=entry.effective_from,
        effective_to=entry.effective_to,
        unit_price=entry.unit_price,
    )


def _parsed_prices(prices: Sequence[PriceInput], first: int = 0) -> list[PriceEntry]:
    """Unsaved ``PriceEntry`` rows of what a caller gave, every parse problem at once (fields
    ``prices[i].<attr>``). Item codes are trimmed; prices parsed by ``to_money``."""
    problems: list[tuple[str, str]] = []
    entries: list[PriceEntry] = []
    for i, price in enumerate(prices):
        item_code = (price.item_code or "").strip()
        if not item_code:
            problems.append((f"prices[{i}].item_code", "an item code is required"))
        try:
            unit_price = to_money(price.unit_price, field=f"prices[{i}].unit_price")
        except MoneyError as error:
            problems.append((f"prices[{i}].unit_price", str(error)))
            unit_price = Decimal("0.01")  # placeholder: the list is refused anyway
        entries.append(
            PriceEntry(
                item_code=item_code,
                description=(price.description or "").strip(),
                donor_classification=(price.donor_classification or "").strip(),
                effective_from=price.effective_from,
                effective_to=price.effective_to,
                unit_price=unit_price,
            )
        )
    if problems:
        raise BillingError(
            "; ".join(f"{field}: {message}" for field, message in problems),
            code="invalid_price",
            field=problems[0][0],
        )
    return entries


def _check_price_list(entries: Sequence[PriceEntry], new_from: int) -> None:
    """Refuse the whole list when ``rules.price_list_problems`` finds anything, all problems in
    the message. Entries from ``new_from`` on are the caller's ``prices[i]``; a problem of an
    older entry is named by the field ``prices`` (the caller cannot index it)."""
    problems = rules.price_list_problems([_rules_entry(e) for e in entries])
    if not problems:
        return

    def field(problem: rules.Problem) -> str:
        index, _, attr = problem.field.removeprefix("entries[").partition("].")
        position = int(index) - new_from
        return f"prices[{position}].{attr}" if position >= 0 else "prices"

    raise BillingError(
        "; ".join(f"{field(p)}: {p.message}" for p in problems),
        code=problems[0].code,
        field=field(problems[0]),
    )


def _price_data(entry: PriceEntry) -> dict[str, object]:
    return {
        "item_code": entry.item_code,
        "donor_classification": entry.donor_classification,
        "unit_price": str(entry.unit_price),
        "effective_from": entry.effective_from.isoformat(),
        "effective_to": entry.effective_to.isoformat() if entry.effective_to else None,
    }


def _contract_locked(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().select_related("hospital").get(pk=contract.pk)


# --- contracts and prices --------------------------------------------------------------------


@transaction.atomic
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
    """A hospital's contract with its first price list, whole or not at all."""
    require_permission(actor, "billing.manage_contract")
    number = (number or "").strip()
    if not number:
        raise BillingError("number: a contract number is required", code="required", field="number")
    try:
        rules.due_date(starts_on, terms_days)
    except rules.PricingError as error:
        raise BillingError(error.message, code=error.code, field="terms_days") from None
    if invoicing not in Contract.Invoicing.values:
        raise BillingError(
            f"invoicing: {invoicing!r} is not one of {', '.join(Contract.Invoicing.values)}",
            code="invalid_choice",
            field="invoicing",
        )
    if ends_on is not None and ends_on < starts_on:
        raise BillingError(
            f"ends_on: the contract ends ({ends_on}) before it starts ({starts_on})",
            code="invalid_period",
            field="ends_on",
        )
    # The hospital row is the lock that keeps two overlapping contracts from being created at once.
    Hospital.objects.select_for_update().get(pk=hospital.pk)
    if Contract.objects.filter(number=number).exists():
        raise BillingConflictError(
            f"number: contract {number} already exists", code="duplicate_number", field="number"
        )
    overlapping = Contract.objects.filter(hospital=hospital).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    clash = overlapping.first()
    if clash is not None:
        raise BillingConflictError(
            f"starts_on: contract {clash.number} of {hospital.name} is in force during this period "
            "(a hospital has one contract in force on any day)",
            code="overlapping_contract",
            field="starts_on",
        )
    entries = _parsed_prices(prices)
    _check_price_list(entries, 0)
    now = timezone.now()
    contract = Contract.objects.create(
        hospital=hospital,
        number=number,
        starts_on=starts_on,
        ends_on=ends_on,
        terms_days=terms_days,
        invoicing=invoicing,
        created_by=actor,
        created_at=now,
    )
    for entry in entries:
        entry.contract, entry.created_by, entry.created_at = contract, actor, now
    PriceEntry.objects.bulk_create(entries)
    audit_record(
        stream=STREAM,
        action="contract.created",
        actor=actor,
        target=contract,
        data={
            "hospital": hospital.code,
            "number": number,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
            "terms_days": terms_days,
            "invoicing": invoicing,
            "prices": [_price_data(e) for e in entries],
        },
    )
    return contract


@transaction.atomic
def prices_add(*, actor: User | None, contract: Contract, prices: Sequence[PriceInput]) -> list[PriceEntry]:
    """New prices for a contract. A new price of an item (same classification) whose current
    entry is open ended closes that entry on the new one's date: the new price applies from its
    date, earlier dates (and the charges already priced) keep the old one."""
    require_permission(actor, "billing.manage_contract")
    if not prices:
        raise BillingError("prices: give at least one price", code="required", field="prices")
    contract = _contract_locked(contract)
    existing = list(contract.prices.order_by("pk"))
    new = _parsed_prices(prices)
    closed: list[PriceEntry] = []
    for entry in new:
        for old in existing:
            if (
                old.item_code == entry.item_code
                and old.donor_classification == entry.donor_classification
                and old.effective_to is None
                and old.effective_from < entry.effective_from
            ):
                old.effective_to = entry.effective_from
                closed.append(old)
    _check_price_list([*existing, *new], len(existing))
    for old in closed:
        old.save(update_fields=["effective_to"])
    now = timezone.now()
    for entry in new:
        entry.contract, entry.created_by, entry.created_at = contract, actor, now
    created = PriceEntry.objects.bulk_create(new)
    audit_record(
        stream=STREAM,
        action="contract.prices_added",
        actor=actor,
        target=contract,
        data={
            "prices": [_price_data(e) for e in created],
            "closed": [{"id": old.pk, **_price_data(old)} for old in closed],
        },
    )
    return created


def contract_in_force(hospital: Hospital, on: date) -> Contract:
    contract = (
        Contract.objects.filter(hospital=hospital, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .order_by("-starts_on")
        .first()
    )
    if contract is None:
        raise BillingError(
            f"{hospital.name} has no contract in force on {on.isoformat()}",
            code="no_contract",
            field="hospital",
        )
    return contract


def price_for(
    contract: Contract, item_code: str, on: date, donor_classification: str | None = None
) -> PriceEntry:
    entries = list(contract.prices.all())
    try:
        found = rules.price_on(
            [_rules_entry(e) for e in entries], item_code, on, donor_classification or None
        )
    except rules.PricingError as error:
        raise BillingError(error.message, code=error.code, field=error.field) from None
    return next(e for e in entries if _rules_entry(e) == found)


# --- charges -----------------------------------------------------------------------------------


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
    rule_entries = [_rules_entry(e) for e in entries]
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


def _lines(charges: Sequence[Charge]) -> list[rules.Line]:
    return [rules.Line(c.item_code, c.description, c.quantity, c.unit_price) for c in charges]


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
        Charge.objects.select_for_update()
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
        total=rules.invoice_total(_lines(locked)),
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


# --- invoices ----------------------------------------------------------------------------------


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
    total = rules.invoice_total(_lines(billed))
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


# --- receipts ------------------------------------------------------------------------------


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
