"""Money: Decimal end to end, two places, one rounding function (house style §8).

Pure: no Django. Every amount that enters the ledger passes through ``to_money``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
# The ledger's columns hold 14 digits, two after the point.
LARGEST = Decimal("999999999999.99")


class MoneyError(ValueError):
    """An amount that is not money: not a number, more than two decimals, or negative."""


def to_money(value: object, *, field: str = "amount", allow_negative: bool = False) -> Decimal:
    """Parse an amount given as a string, int or Decimal — never a float, whose binary
    value is not the decimal the person typed. Refuses more than two decimal places instead
    of rounding them away: a ledger must not invent or lose a fraction of a cent."""
    if isinstance(value, float):
        raise MoneyError(f'{field}: give amounts as strings such as "12.50", not floating-point numbers')
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0.00")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise MoneyError(f"{field}: {value!r} is not an amount") from None
    if not amount.is_finite():
        raise MoneyError(f"{field}: {value!r} is not an amount")
    if amount != amount.quantize(CENT):
        raise MoneyError(f"{field}: {value!r} has more than two decimal places")
    if abs(amount) > LARGEST:
        raise MoneyError(f"{field}: {value!r} is larger than the ledger holds ({LARGEST:,})")
    if amount < 0 and not allow_negative:
        raise MoneyError(f"{field}: {value!r} is negative; put it on the other side")
    return amount.quantize(CENT)


def round_money(value: Decimal) -> Decimal:
    """The one rounding of a computed amount (a share of a price, a percentage)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
