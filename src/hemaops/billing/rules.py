"""Billing: the contract price in force on a date, the price list's problems, invoice and
credit note arithmetic, payment terms, receivables aging and surcharges.

Pure (house style §2): no Django, no database, no clock — every date is an argument.
Sources and conventions, tagged as in domain-reference.md:

* Prices come from the hospital's contract (its price list), not from a catalogue default: an
  item the contract does not price on a date is refused, never guessed [U]. A price entry is
  in force from ``effective_from`` (inclusive) to ``effective_to`` (exclusive, ``None``: open
  ended), so a new price applies from its date and earlier dates keep the old price.
* A price may depend on the donor classification, "volunteer" or "paid", the statement every
  unit's label carries (21 CFR 606.121(c)(5)) [P]; an entry without one applies to both, and
  an entry for the unit's classification wins over it.
* Money follows docs/money.md (DESIGN.md invariant 5, house style §8): ``Decimal`` only, two
  places, one rounding — ``hemaops.finance.money.round_money`` (cents, half up), which lives in
  a pure module and is reused here rather than repeated. A line amount is rounded once
  (quantity × unit price); the invoice total is the sum of the rounded line amounts, so the
  total always equals what the printed lines add up to.
* A credit note reverses amounts: it is written with the same positive lines as an invoice and
  its total is the negative (docs/accounting-policies.md §3 posts it on its own date).
* Payment terms are the contract's "net N days" [U: 0–180 days accepted]; the due date is the
  invoice date plus N calendar days (day 0 is the invoice date itself).
* Aging by days past due in the conventional receivables buckets: current (not yet past due),
  1–30, 31–60, 61–90, over 90 [S: common accounts-receivable practice].
* When revenue is recognised (ASC 606, at shipment) is for later, in the services; these rules
  only price and add up what the contract says.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Final

from hemaops.finance.money import CENT, round_money

#: Donor classifications a price may be specific to (21 CFR 606.121(c)(5)).
CLASSIFICATIONS: Final = ("volunteer", "paid")

#: Item codes of the surcharges, priced in the contract like any other item.
SURCHARGE_STAT: Final = "SUR-STAT"
SURCHARGE_DELIVERY: Final = "SUR-DELIVERY"
SURCHARGE_IRRADIATION: Final = "SUR-IRR"

#: Payment terms the rules accept, in days [U].
MAX_TERMS_DAYS: Final = 180

#: Aging buckets, by days past due (0 or fewer: current).
AGING_BUCKETS: Final = ("current", "1-30", "31-60", "61-90", "90+")

ZERO: Final = Decimal("0.00")


class PricingError(ValueError):
    """A price, line or term the rules refuse, with a code, a message and the field at fault."""

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a price list (``price_list_problems``)."""

    code: str
    message: str
    field: str


@dataclass(frozen=True)
class PriceEntry:
    item_code: str
    donor_classification: str | None  # "volunteer" | "paid" | None: applies to both
    effective_from: date  # inclusive
    effective_to: date | None  # exclusive; None: until further notice
    unit_price: Decimal

    def in_force_on(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


def _check_classification(donor_classification: str | None) -> None:
    if donor_classification is not None and donor_classification not in CLASSIFICATIONS:
        raise PricingError(
            "invalid_classification",
            f"donor classification {donor_classification!r} is neither volunteer nor paid",
            "donor_classification",
        )


def price_on(
    entries: Sequence[PriceEntry], item_code: str, on: date, donor_classification: str | None = None
) -> PriceEntry:
    """The entry in force on ``on`` for ``item_code``. An entry for ``donor_classification``
    wins over a generic one; with no classification given, only generic entries apply.

    Raises ``PricingError``: ``no_price`` (the contract does not price the item on that date),
    ``overlapping_prices`` (two entries of the same specificity are in force on that date: the
    price list is ambiguous and nothing is guessed), ``invalid_classification``.
    """
    _check_classification(donor_classification)
    in_force = [e for e in entries if e.item_code == item_code and e.in_force_on(on)]
    tiers: list[str | None] = [donor_classification, None] if donor_classification is not None else [None]
    for classification in tiers:
        found = [e for e in in_force if e.donor_classification == classification]
        if len(found) > 1:
            which = f"{classification} donor" if classification else "generic"
            raise PricingError(
                "overlapping_prices",
                f"{len(found)} {which} prices for {item_code} are in force on {on.isoformat()}",
                "item_code",
            )
        if found:
            return found[0]
    who = f" ({donor_classification} donor)" if donor_classification else ""
    raise PricingError(
        "no_price", f"the contract has no price for {item_code}{who} on {on.isoformat()}", "item_code"
    )


def _overlap(a: PriceEntry, b: PriceEntry) -> bool:
    a_before_b_ends = b.effective_to is None or a.effective_from < b.effective_to
    b_before_a_ends = a.effective_to is None or b.effective_from < a.effective_to
    return a_before_b_ends and b_before_a_ends


def _has_more_than_cents(price: Decimal) -> bool:
    try:
        return price != price.quantize(CENT)
    except InvalidOperation:  # too many digits to quantize: certainly not a price
        return True


def price_list_problems(entries: Sequence[PriceEntry]) -> list[Problem]:
    """Everything wrong with a price list, all at once (empty: it is usable): an unknown donor
    classification, a price that is not positive or has more than two decimals, a period that
    ends on or before it starts, and two entries for one (item, classification) whose periods
    overlap. Fields are ``entries[i].<attribute>``."""
    problems: list[Problem] = []
    for i, e in enumerate(entries):
        if e.donor_classification is not None and e.donor_classification not in CLASSIFICATIONS:
            problems.append(
                Problem(
                    "invalid_classification",
                    f"{e.item_code}: donor classification {e.donor_classification!r} "
                    "is neither volunteer nor paid",
                    f"entries[{i}].donor_classification",
                )
            )
        if not e.unit_price.is_finite() or e.unit_price <= 0:
            problems.append(
                Problem(
                    "non_positive_price",
                    f"{e.item_code}: the price {e.unit_price} is not positive",
                    f"entries[{i}].unit_price",
                )
            )
        elif _has_more_than_cents(e.unit_price):
            problems.append(
                Problem(
                    "too_many_decimals",
                    f"{e.item_code}: the price {e.unit_price} has more than two decimal places",
                    f"entries[{i}].unit_price",
                )
            )
        if e.effective_to is not None and e.effective_to <= e.effective_from:
            problems.append(
                Problem(
                    "empty_period",
                    f"{e.item_code}: the price ends ({e.effective_to.isoformat()}) on or before "
                    f"it starts ({e.effective_from.isoformat()})",
                    f"entries[{i}].effective_to",
                )
            )
    for i, a in enumerate(entries):
        for j in range(i + 1, len(entries)):
            b = entries[j]
            if (a.item_code, a.donor_classification) != (b.item_code, b.donor_classification):
                continue
            if _overlap(a, b):
                which = f"{a.donor_classification} donor" if a.donor_classification else "generic"
                start = max(a.effective_from, b.effective_from)
                problems.append(
                    Problem(
                        "overlapping_prices",
                        f"{a.item_code}: two {which} prices are in force from {start.isoformat()} "
                        f"(entries {i} and {j})",
                        f"entries[{j}].effective_from",
                    )
                )
    return problems


@dataclass(frozen=True)
class Line:
    item_code: str
    description: str
    quantity: int
    unit_price: Decimal


def line_amount(line: Line) -> Decimal:
    """Quantity × unit price, rounded once to the cent, half up. A quantity below 1 is refused
    (``invalid_quantity``): credits are credit notes, not negative lines; so is a negative
    unit price (``negative_price``)."""
    if isinstance(line.quantity, bool) or line.quantity < 1:
        raise PricingError(
            "invalid_quantity",
            f"{line.item_code}: the quantity must be at least 1, not {line.quantity}",
            "quantity",
        )
    if line.unit_price < 0:
        raise PricingError(
            "negative_price", f"{line.item_code}: the unit price {line.unit_price} is negative", "unit_price"
        )
    return round_money(line.quantity * line.unit_price)


def invoice_total(lines: Iterable[Line]) -> Decimal:
    """The sum of the rounded line amounts (not the rounding of an unrounded sum): the total is
    what the printed lines add up to. No lines: ``0.00``."""
    return sum((line_amount(line) for line in lines), ZERO)


def credit_total(lines: Iterable[Line]) -> Decimal:
    """A credit note's total: the negative of the same lines as an invoice (``0.00``, not
    ``-0.00``, when there is nothing to credit)."""
    return ZERO - invoice_total(lines)


def due_date(invoice_date: date, terms_days: int) -> date:
    """The invoice date plus ``terms_days`` calendar days ("net N"; 0: due on the invoice date).
    Terms outside 0–180 are refused (``invalid_terms``)."""
    if isinstance(terms_days, bool) or not 0 <= terms_days <= MAX_TERMS_DAYS:
        raise PricingError(
            "invalid_terms",
            f"payment terms must be 0 to {MAX_TERMS_DAYS} days, not {terms_days}",
            "terms_days",
        )
    return invoice_date + timedelta(days=terms_days)


def aging_bucket(due: date, as_of: date) -> str:
    """The aging bucket of an amount due on ``due``, seen on ``as_of``: ``current`` until and
    on the due date, then by whole days past due."""
    days = (as_of - due).days
    if days <= 0:
        return "current"
    if days <= 30:
        return "1-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


def aging(open_items: Sequence[tuple[str, date, Decimal]], as_of: date) -> dict[str, dict[str, Decimal]]:
    """Open amounts by hospital and bucket: ``{hospital: {bucket: amount}}``, hospitals in
    sorted order, every bucket of ``AGING_BUCKETS`` present (``0.00`` when empty). Each item is
    ``(hospital, due date, open amount)``."""
    report: dict[str, dict[str, Decimal]] = {}
    for hospital, due, amount in sorted(open_items, key=lambda item: item[0]):
        buckets = report.setdefault(hospital, dict.fromkeys(AGING_BUCKETS, ZERO))
        bucket = aging_bucket(due, as_of)
        buckets[bucket] = buckets[bucket] + amount
    return {
        hospital: {bucket: round_money(amount) for bucket, amount in buckets.items()}
        for hospital, buckets in report.items()
    }


def surcharge_lines(
    stat: bool, delivery: bool, irradiated_units: int, entries: Sequence[PriceEntry], on: date
) -> list[Line]:
    """The surcharge lines of an order, priced by the contract on ``on``: one STAT surcharge,
    one delivery surcharge, one irradiation surcharge per irradiated unit. Surcharges are
    looked up without a donor classification (they price a service, not a unit). Only the
    surcharges charged are looked up; a missing price for one of them is ``no_price``."""
    if isinstance(irradiated_units, bool) or irradiated_units < 0:
        raise PricingError(
            "invalid_quantity",
            f"the number of irradiated units cannot be {irradiated_units}",
            "irradiated_units",
        )
    wanted: list[tuple[str, str, int]] = []
    if stat:
        wanted.append((SURCHARGE_STAT, "STAT order surcharge", 1))
    if delivery:
        wanted.append((SURCHARGE_DELIVERY, "Delivery surcharge", 1))
    if irradiated_units:
        wanted.append((SURCHARGE_IRRADIATION, "Irradiation surcharge", irradiated_units))
    return [
        Line(code, description, quantity, price_on(entries, code, on).unit_price)
        for code, description, quantity in wanted
    ]
