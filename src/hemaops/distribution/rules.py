"""The distribution context's pure rules (house style §2: no Django, no settings, no clock).

Issue 8 items 2, 3 and 5:

* ``substitutes`` — the donor ABO/RhD a line asking for ``wanted`` may be filled with, best
  first. Acceptability is never decided here: a donor type is a candidate only when
  ``components.rules.compatibility.compatibility`` does not call it INCOMPATIBLE
  (domain-reference.md §4), so the two cannot disagree. On top of it the establishment's
  RhD policy [U]: an RhD-negative line of red cells, whole blood or platelets never gets
  RhD-positive units unless a medical director's order (``allow_rh_positive_for_negative``)
  allows it (§4.1: "only under documented emergency/medical-director policy" [U]; §4.3 for
  platelets), and then they come last. The order lifts exactly the blocking
  ``rhd_positive_to_rhd_negative`` reason of ``compatibility`` and nothing else. Plasma and
  cryoprecipitate ignore RhD (§4.2 "RhD is not considered for plasma"; §4.3 cryo "Rh not
  considered").
* ``pick`` — which units fill a line: first-expiry-first-out within the best substitution
  group, the next group only when the better one runs out.
* ``return_decision`` — whether a unit the hospital sent back may be reissued [U].
* ``SHIPPING_RANGE`` / ``container_for`` — shipping temperatures, 21 CFR 600.15 (§2.4) [P].
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from hemaops.components.rules.compatibility import (
    ALL_BLOOD_TYPES,
    Abo,
    BloodType,
    Component,
    Result,
    compatibility,
    plasma_abo_compatible,
)

__all__ = [
    "ATTRIBUTES",
    "COMPONENT_OF_CLASS",
    "DEFAULT_RETURN_POLICY",
    "PRODUCT_CLASSES",
    "RETURN_REASONS",
    "RHD_CONSIDERED",
    "SHIPPING_RANGE",
    "Candidate",
    "DistributionError",
    "Line",
    "ReturnDecision",
    "ReturnFacts",
    "ReturnPolicy",
    "container_for",
    "pick",
    "return_decision",
    "substitutes",
]


class DistributionError(ValueError):
    """A request the rules cannot answer: a stable ``code``, a ``message``, the ``field``."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


# --- substitution --------------------------------------------------------------------------

#: Components whose RhD the establishment's policy protects (§4.1 red cells, whole blood is red
#: cells too; §4.3 platelets: Rh-negative recipients should get Rh-negative platelets) [U].
RHD_CONSIDERED: Final = frozenset({Component.RED_CELLS, Component.WHOLE_BLOOD, Component.PLATELETS})

#: The compatibility reason the medical director's order lifts, and only that one.
_RHD_OVERRIDE_REASON: Final = "rhd_positive_to_rhd_negative"

#: After the identical group, which other ABO groups to spend first [U: establishment policy].
#: Cells: keep group O (the universal red-cell donor) for last. Plasma side (plasma, platelets,
#: cryo): keep group AB (the universal plasma donor) for last.
_ABO_ORDER: Final[Mapping[Component, tuple[Abo, ...]]] = {
    Component.RED_CELLS: (Abo.AB, Abo.A, Abo.B, Abo.O),
    Component.WHOLE_BLOOD: (Abo.AB, Abo.A, Abo.B, Abo.O),
    Component.PLASMA: (Abo.O, Abo.A, Abo.B, Abo.AB),
    Component.PLATELETS: (Abo.O, Abo.A, Abo.B, Abo.AB),
    Component.CRYO: (Abo.O, Abo.A, Abo.B, Abo.AB),
}


def _rank(component: Component, wanted: BloodType, donor: BloodType) -> tuple[bool | int, ...]:
    """Smaller is better. Red cells and whole blood spend same-RhD units of every compatible
    group before RhD-negative units (which are scarce); platelets and cryo put plasma-compatible
    groups before plasma-incompatible ones (§4.3 hemolysis risk) and RhD inside the ABO group."""
    override = component in RHD_CONSIDERED and donor.rhd_positive and not wanted.rhd_positive
    rhd_differs = donor.rhd_positive != wanted.rhd_positive
    plasma_incompatible = component in (Component.PLATELETS, Component.CRYO) and not plasma_abo_compatible(
        wanted.abo, donor.abo
    )
    abo = (donor.abo is not wanted.abo, plasma_incompatible, _ABO_ORDER[component].index(donor.abo))
    if component in (Component.RED_CELLS, Component.WHOLE_BLOOD):
        return (override, rhd_differs, *abo)
    return (override, *abo, rhd_differs)


def _acceptable(component: Component, wanted: BloodType, donor: BloodType, override: bool) -> bool:
    checked = compatibility(component, wanted, donor)
    rhd_step = component in RHD_CONSIDERED and donor.rhd_positive and not wanted.rhd_positive
    if rhd_step and not override:
        return False
    if checked.result is not Result.INCOMPATIBLE:
        return True
    blocking = {reason.code for reason in checked.reasons if reason.blocking}
    return override and rhd_step and blocking == {_RHD_OVERRIDE_REASON}


def substitutes(
    component: Component, wanted: BloodType, *, allow_rh_positive_for_negative: bool = False
) -> list[BloodType]:
    """The donor types a line of ``component`` asking for ``wanted`` may be filled with, best
    first: ``wanted`` itself, then the other acceptable groups by the stated preference, and —
    only with a medical director's order — RhD-positive units for an RhD-negative line, last."""
    return list(_substitutes(component, wanted, allow_rh_positive_for_negative))


@functools.cache
def _substitutes(component: Component, wanted: BloodType, override: bool) -> tuple[BloodType, ...]:
    # Pure, with a few dozen possible answers: an allocation run of thousands of lines asks
    # each once instead of judging eight donor types per line (bench/allocation.py).
    accepted = [donor for donor in ALL_BLOOD_TYPES if _acceptable(component, wanted, donor, override)]
    return tuple(sorted(accepted, key=lambda donor: _rank(component, wanted, donor)))


# --- picking units ---------------------------------------------------------------------------

#: Special requirements a line may carry and a unit may satisfy.
ATTRIBUTES: Final = (
    "irradiated",
    "cmv_negative",
    "leukoreduced",
    "hemoglobin_s_negative",
    "antigen_negative",
)


@dataclass(frozen=True)
class Candidate:
    unit_id: int
    blood_type: BloodType
    expires_at: datetime
    attributes: frozenset[str]
    antigens_negative: frozenset[str]  # antigens the unit is typed negative for, e.g. "K", "E"


@dataclass(frozen=True)
class Line:
    component: Component
    wanted: BloodType
    quantity: int
    attributes: frozenset[str]
    antigens_negative: frozenset[str]  # antigens the patient needs units negative for


def _check_attributes(attributes: Iterable[str], field_name: str) -> None:
    unknown = sorted(set(attributes) - set(ATTRIBUTES))
    if unknown:
        raise DistributionError(
            "unknown_attribute",
            f"unknown unit attribute(s) {', '.join(unknown)}: expected some of {', '.join(ATTRIBUTES)}",
            field=field_name,
        )


def _qualifies(line: Line, candidate: Candidate, at: datetime) -> bool:
    return (
        candidate.expires_at > at  # expired at `at` when expires_at <= at (610.53, checked at use)
        and line.attributes <= candidate.attributes
        and line.antigens_negative <= candidate.antigens_negative
    )


def pick(
    line: Line,
    candidates: Sequence[Candidate],
    at: datetime,
    *,
    allow_rh_positive_for_negative: bool = False,
) -> list[Candidate]:
    """At most ``line.quantity`` units for ``line``, in the order to ship them.

    Groups are the ``substitutes`` in order; inside a group the unit expiring first goes first
    (ties by unit id); a worse group is used only when every qualifying unit of the better ones
    is taken. A unit qualifies when it is in date at ``at``, has every attribute the line asks
    for and is typed negative for every antigen the line names. A unit id listed twice counts
    once, at its best rank. Fewer than ``quantity`` units come back when the shelf runs short."""
    if line.quantity < 1:
        raise DistributionError(
            "invalid_quantity", f"quantity must be at least 1, got {line.quantity}", field="quantity"
        )
    _check_attributes(line.attributes, "attributes")
    for candidate in candidates:
        _check_attributes(candidate.attributes, "attributes")
    order = {
        blood_type: rank
        for rank, blood_type in enumerate(
            _substitutes(line.component, line.wanted, allow_rh_positive_for_negative)
        )
    }
    usable = sorted(
        (c for c in candidates if c.blood_type in order and _qualifies(line, c, at)),
        key=lambda c: (order[c.blood_type], c.expires_at, c.unit_id),
    )
    seen: set[int] = set()
    picked: list[Candidate] = []
    for candidate in usable:
        if candidate.unit_id not in seen:  # a unit listed twice counts once, at its best rank
            seen.add(candidate.unit_id)
            picked.append(candidate)
    return picked[: line.quantity]


# --- shipping --------------------------------------------------------------------------------

#: Product classes the distribution rules know.
PRODUCT_CLASSES: Final = ("red_cells", "whole_blood", "platelets", "plasma", "cryo")

#: Which compatibility table (domain-reference.md §4) a product class is judged by.
COMPONENT_OF_CLASS: Final[Mapping[str, Component]] = {
    "red_cells": Component.RED_CELLS,
    "whole_blood": Component.WHOLE_BLOOD,
    "platelets": Component.PLATELETS,
    "plasma": Component.PLASMA,
    "cryo": Component.CRYO,
}

#: Shipping temperature range (°C, inclusive; None = unbounded), 21 CFR 600.15 via
#: domain-reference.md §2.4 [P]: whole blood and red cells 1–10 °C; platelets "as close as
#: possible to 20–24 °C"; FFP, PF24, plasma and cryo ≤ −18 °C.
SHIPPING_RANGE: Final[dict[str, tuple[Decimal | None, Decimal | None]]] = {
    "red_cells": (Decimal(1), Decimal(10)),
    "whole_blood": (Decimal(1), Decimal(10)),
    "platelets": (Decimal(20), Decimal(24)),
    "plasma": (None, Decimal(-18)),
    "cryo": (None, Decimal(-18)),
}


def _check_product_class(product_class: str) -> None:
    if product_class not in SHIPPING_RANGE:
        raise DistributionError(
            "unknown_product_class",
            f"unknown product class {product_class!r}: expected one of {', '.join(PRODUCT_CLASSES)}",
            field="product_class",
        )


def container_for(product_classes: Iterable[str]) -> list[tuple[str, ...]]:
    """The containers a shipment of ``product_classes`` needs: classes share one when their
    shipping range is the same. Containers in the order their first class appears, classes in
    given order, each once."""
    containers: dict[tuple[Decimal | None, Decimal | None], list[str]] = {}
    for product_class in product_classes:
        _check_product_class(product_class)
        members = containers.setdefault(SHIPPING_RANGE[product_class], [])
        if product_class not in members:
            members.append(product_class)
    return [tuple(members) for members in containers.values()]


# --- returns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnFacts:
    product_class: str  # "red_cells" | "platelets" | "plasma" | "cryo" | "whole_blood"
    shipped_at: datetime
    returned_at: datetime
    container_validated: bool
    lowest_c: Decimal | None  # the lowest temperature recorded while out; None = no record
    highest_c: Decimal | None
    seal_intact: bool


def _default_hours() -> dict[str, int]:
    return dict.fromkeys(PRODUCT_CLASSES, 24)


def _default_ranges() -> dict[str, tuple[Decimal | None, Decimal | None]]:
    return dict(SHIPPING_RANGE)


@dataclass(frozen=True)
class ReturnPolicy:
    """When a returned unit may be reissued [U: establishment policy — the quality unit signs
    these numbers]. The temperature ranges may be narrower than, never wider than, the §2.4
    shipping ranges (the regulatory floor) [P]; the defaults are exactly those ranges. A unit
    must come back in a validated container, with a temperature record and an intact seal,
    within ``max_hours_out`` of shipping (default 24 h for every class)."""

    max_hours_out: Mapping[str, int] = field(default_factory=_default_hours)
    temperature_range: Mapping[str, tuple[Decimal | None, Decimal | None]] = field(
        default_factory=_default_ranges
    )

    def __post_init__(self) -> None:
        for product_class in PRODUCT_CLASSES:
            hours = self.max_hours_out.get(product_class)
            if hours is None or hours <= 0:
                raise DistributionError(
                    "invalid_policy",
                    f"max_hours_out for {product_class} must be a positive number of hours",
                    field="max_hours_out",
                )
            policy_range = self.temperature_range.get(product_class)
            floor_low, floor_high = SHIPPING_RANGE[product_class]
            if policy_range is None or not _within(policy_range, floor_low, floor_high):
                raise DistributionError(
                    "policy_below_floor",
                    f"the return range for {product_class} must lie inside the 21 CFR 600.15 shipping "
                    f"range {_describe((floor_low, floor_high))}",
                    field="temperature_range",
                )


def _within(inner: tuple[Decimal | None, Decimal | None], low: Decimal | None, high: Decimal | None) -> bool:
    inner_low, inner_high = inner
    if low is not None and (inner_low is None or inner_low < low):
        return False
    if high is not None and (inner_high is None or inner_high > high):
        return False
    return inner_low is None or inner_high is None or inner_low <= inner_high


def _describe(limits: tuple[Decimal | None, Decimal | None]) -> str:
    low, high = limits
    if low is None:
        return f"≤ {high} °C"
    if high is None:
        return f"≥ {low} °C"
    return f"{low}–{high} °C"


DEFAULT_RETURN_POLICY: Final = ReturnPolicy()


@dataclass(frozen=True)
class ReturnDecision:
    reissue: bool
    reasons: list[str]  # codes of RETURN_REASONS; empty when reissue is True


#: Every reason a returned unit is discarded, by code.
RETURN_REASONS: Final[Mapping[str, str]] = {
    "container_not_validated": "not kept in a validated shipping container",
    "out_too_long": "out of the blood center's control longer than the policy allows",
    "no_temperature_record": "no temperature record for the time out",
    "below_range": "kept colder than the allowed range",
    "above_range": "kept warmer than the allowed range",
    "seal_broken": "the container or unit seal is not intact",
}


def return_decision(facts: ReturnFacts, policy: ReturnPolicy = DEFAULT_RETURN_POLICY) -> ReturnDecision:
    """Reissue a returned unit only inside the policy's limits (all inclusive); otherwise
    discard it, with every reason that applies (codes of ``RETURN_REASONS``)."""
    _check_product_class(facts.product_class)
    if facts.returned_at < facts.shipped_at:
        raise DistributionError("invalid_times", "returned_at is before shipped_at", field="returned_at")
    if facts.lowest_c is not None and facts.highest_c is not None and facts.lowest_c > facts.highest_c:
        raise DistributionError("invalid_temperatures", "lowest_c is above highest_c", field="lowest_c")
    reasons: list[str] = []
    if not facts.container_validated:
        reasons.append("container_not_validated")
    if facts.returned_at - facts.shipped_at > timedelta(hours=policy.max_hours_out[facts.product_class]):
        reasons.append("out_too_long")
    low, high = policy.temperature_range[facts.product_class]
    if facts.lowest_c is None or facts.highest_c is None:
        reasons.append("no_temperature_record")
    else:
        if low is not None and facts.lowest_c < low:
            reasons.append("below_range")
        if high is not None and facts.highest_c > high:
            reasons.append("above_range")
    if not facts.seal_intact:
        reasons.append("seal_broken")
    return ReturnDecision(reissue=not reasons, reasons=reasons)
