"""Contracts and their price lists: creating a contract, adding prices, and finding the
contract in force and the price of an item on a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hemaops.billing import rules
from hemaops.billing.errors import BillingConflictError, BillingError
from hemaops.billing.models import Contract, PriceEntry
from hemaops.billing.service_support import STREAM, rules_entry
from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.models import Hospital, User
from hemaops.finance.money import MoneyError, to_money


@dataclass(frozen=True)
class PriceInput:
    """One price list line as a caller gives it."""

    item_code: str
    unit_price: Decimal | str
    effective_from: date
    effective_to: date | None = None
    donor_classification: str = ""  # "" (both), "volunteer" or "paid"
    description: str = ""


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
    problems = rules.price_list_problems([rules_entry(e) for e in entries])
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
    return Contract.objects.select_for_update(of=("self",)).select_related("hospital").get(pk=contract.pk)


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
        found = rules.price_on([rules_entry(e) for e in entries], item_code, on, donor_classification or None)
    except rules.PricingError as error:
        raise BillingError(error.message, code=error.code, field=error.field) from None
    return next(e for e in entries if rules_entry(e) == found)
