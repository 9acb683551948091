"""What the billing service modules share: the audit stream they write on and the conversions
of stored rows into the pure rules' values. Internal to billing; callers use ``billing.services``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hemaops.billing import rules
from hemaops.billing.models import Charge, PriceEntry

STREAM = "billing"


def rules_entry(entry: PriceEntry) -> rules.PriceEntry:
    return rules.PriceEntry(
        item_code=entry.item_code,
        donor_classification=entry.donor_classification or None,
        effective_from=entry.effective_from,
        effective_to=entry.effective_to,
        unit_price=entry.unit_price,
    )


def charge_lines(charges: Sequence[Charge]) -> list[rules.Line]:
    return [rules.Line(c.item_code, c.description, c.quantity, c.unit_price) for c in charges]
