"""A unit's lifecycle: its statuses, the moves allowed between them, its final dispositions,
and the unit-level release gate.

Pure (house style §2, §7). Sources: DESIGN.md invariants 1 and 3 — no unit becomes
available, allocated or shipped unless its donation is released (21 CFR 606.100(b)(19),
610.40(h): a unit is not distributed before its required tests are complete and
acceptable), no hold is active, its label was verified (21 CFR 606.121(c)(13) machine-readable
label; scan-back verification is our control [U]) and it is in date (610.53; "expiry is
checked at every use, not by a sweep").

The database repeats the gate on PostgreSQL (migration 0002 of components) and the
label/expiry halves everywhere (check constraints): a direct write meets the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final


class Status(StrEnum):
    QUARANTINED = "quarantined"
    AVAILABLE = "available"
    ALLOCATED = "allocated"
    SHIPPED = "shipped"
    RETURNED = "returned"
    DISCARDED = "discarded"  # final: outdated, discarded with a reason, recalled
    USED = "used"  # final: transfused (as the hospital reported) or used in a modification


class Disposition(StrEnum):
    """A unit's fate, recorded once, when it reaches a final status."""

    TRANSFUSED = "transfused"
    USED_IN_MODIFICATION = "used_in_modification"
    OUTDATED = "outdated"
    DISCARDED = "discarded"
    RECALLED = "recalled"


#: The final status each disposition leaves the unit in.
DISPOSITION_STATUS: Final[dict[Disposition, Status]] = {
    Disposition.TRANSFUSED: Status.USED,
    Disposition.USED_IN_MODIFICATION: Status.USED,
    Disposition.OUTDATED: Status.DISCARDED,
    Disposition.DISCARDED: Status.DISCARDED,
    Disposition.RECALLED: Status.DISCARDED,
}

#: Allowed moves (house style §7). A unit is born quarantined; DISCARDED and USED are final.
#: A shipped unit is shipped once until it comes back (DESIGN.md invariant 3).
TRANSITIONS: Final[dict[Status, frozenset[Status]]] = {
    Status.QUARANTINED: frozenset({Status.AVAILABLE, Status.DISCARDED, Status.USED}),
    Status.AVAILABLE: frozenset({Status.ALLOCATED, Status.QUARANTINED, Status.DISCARDED, Status.USED}),
    Status.ALLOCATED: frozenset({Status.AVAILABLE, Status.SHIPPED, Status.QUARANTINED, Status.DISCARDED}),
    Status.SHIPPED: frozenset({Status.RETURNED, Status.USED, Status.DISCARDED}),
    Status.RETURNED: frozenset({Status.AVAILABLE, Status.QUARANTINED, Status.DISCARDED}),
    Status.DISCARDED: frozenset(),
    Status.USED: frozenset(),
}

#: Statuses a unit can only enter through the gate.
GATED: Final = frozenset({Status.AVAILABLE, Status.ALLOCATED, Status.SHIPPED})
FINAL: Final = frozenset({Status.DISCARDED, Status.USED})
#: Statuses in which the unit is still in our hands (on the shelf, counted in stock).
ON_HAND: Final = frozenset({Status.QUARANTINED, Status.AVAILABLE, Status.ALLOCATED, Status.RETURNED})

#: Which dispositions may be recorded from which status. A hospital reports transfusion of a
#: shipped unit; a modification consumes a unit still on hand; a recall reaches any unit.
DISPOSITION_FROM: Final[dict[Disposition, frozenset[Status]]] = {
    Disposition.TRANSFUSED: frozenset({Status.SHIPPED}),
    Disposition.USED_IN_MODIFICATION: frozenset({Status.QUARANTINED, Status.AVAILABLE}),
    Disposition.OUTDATED: ON_HAND,
    Disposition.DISCARDED: ON_HAND | {Status.SHIPPED},
    Disposition.RECALLED: ON_HAND | {Status.SHIPPED},
}


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def transition_refusal(old: Status, new: Status) -> Refusal | None:
    """Why ``old → new`` is not allowed, or ``None``."""
    if new in TRANSITIONS[old]:
        return None
    if old in FINAL:
        return Refusal("unit_final", f"the unit is {old.value}: its fate is recorded and final")
    return Refusal("transition_not_allowed", f"a {old.value} unit cannot become {new.value}")


def disposition_refusal(status: Status, disposition: Disposition) -> Refusal | None:
    if status in DISPOSITION_FROM[disposition]:
        return None
    return Refusal(
        "disposition_not_allowed", f"a {status.value} unit cannot be recorded as {disposition.value}"
    )


@dataclass(frozen=True)
class GateFacts:
    """What the gate judges, as the service read it under lock."""

    donations_released: bool  # every donation the unit is made from has its release record
    donation_hold_active: bool
    unit_hold_active: bool
    label_verified: bool  # the label printed is the label scanned back, barcode by barcode
    expires_at: datetime
    at: datetime  # when the move happens (the use the expiry is checked against)


def gate_refusals(facts: GateFacts) -> list[Refusal]:
    """Every reason the unit may not become available, allocated or shipped at ``facts.at``
    (empty: it may). All reasons are given at once so a technologist sees the whole picture."""
    refusals: list[Refusal] = []
    if not facts.donations_released:
        refusals.append(Refusal("donation_not_released", "the donation's testing is not released"))
    if facts.donation_hold_active:
        refusals.append(Refusal("donation_on_hold", "the donation is on hold"))
    if facts.unit_hold_active:
        refusals.append(Refusal("unit_on_hold", "the unit is on hold"))
    if not facts.label_verified:
        refusals.append(
            Refusal("label_not_verified", "the unit's label has not been scanned back and verified")
        )
    if facts.expires_at <= facts.at:
        refusals.append(
            Refusal("expired", f"the unit expired at {facts.expires_at.isoformat(timespec='minutes')}")
        )
    return refusals
