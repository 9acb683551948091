"""Manufacturing: which process applies to which product, the time limits of separation, the
dating event each process writes, the divisions of a split, and the pooling policy.

Pure (house style §2). Sources, with their tags as in domain-reference.md:

* Separation time limits: FFP is plasma frozen within 8 hours of phlebotomy, PF24 within 24
  hours (21 CFR 610.53(b) product names; AABB Circular of Information) [P]; platelets from
  whole blood are separated within 8 hours of collection, or as the collection system's
  instructions allow (AABB Standards) [S; 8 h is our default, the IFU may allow 24 h].
* Irradiation applies to cellular products only (red cells, whole blood, platelets): plasma
  and cryoprecipitate are acellular (AABB Circular of Information) [S]. Washing, volume
  reduction and splitting apply to cellular products; thawing to frozen plasma and cryo.
* The dating events (hemaops.components.rules.dating): irradiation, washing (open system,
  24 h), opening (open volume reduction: 4 h [U]), thawing, thawing and relabelling as Thawed
  Plasma, open pooling (4 h), closed deglycerolization.
* Divisions: ISBT 128 product code positions 7–8, ``A0``, ``B0`` … for a first-level division,
  ``00`` for an undivided product (ST-001 §3.4) [P].
* Pools: all members of one product, each on hand, in date and not on hold, of one ABO/RhD (a
  pool carries one blood group on its label) and within the pool size the establishment
  allows; platelets are pooled from 4 to 6 units, cryoprecipitate from 2 to 10 (AABB
  Circular of Information, common practice) [U: establishment policy].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from hemaops.components.rules.dating import EventKind, Product


class ProductClass(StrEnum):
    WHOLE_BLOOD = "whole_blood"
    RED_CELLS = "red_cells"
    PLATELETS = "platelets"
    PLASMA = "plasma"
    CRYO = "cryo"


class Process(StrEnum):
    SEPARATION = "separation"
    IRRADIATION = "irradiation"
    LEUKOREDUCTION = "leukoreduction"
    WASHING = "washing"
    THAWING = "thawing"
    THAWING_RELABEL = "thawing_relabel"
    POOLING = "pooling"
    VOLUME_REDUCTION = "volume_reduction"
    SPLITTING = "splitting"
    FREEZING = "freezing"
    DEGLYCEROLIZATION = "deglycerolization"


_CELLULAR: Final = frozenset({ProductClass.WHOLE_BLOOD, ProductClass.RED_CELLS, ProductClass.PLATELETS})

#: The product classes a process may take as input.
PROCESS_INPUTS: Final[dict[Process, frozenset[ProductClass]]] = {
    Process.SEPARATION: frozenset({ProductClass.WHOLE_BLOOD, ProductClass.PLASMA}),  # plasma → cryo
    Process.IRRADIATION: _CELLULAR,
    Process.LEUKOREDUCTION: _CELLULAR,
    Process.WASHING: frozenset({ProductClass.RED_CELLS, ProductClass.PLATELETS}),
    Process.THAWING: frozenset({ProductClass.PLASMA, ProductClass.CRYO}),
    Process.THAWING_RELABEL: frozenset({ProductClass.PLASMA}),
    Process.POOLING: frozenset({ProductClass.PLATELETS, ProductClass.CRYO}),
    Process.VOLUME_REDUCTION: frozenset({ProductClass.PLATELETS, ProductClass.RED_CELLS}),
    Process.SPLITTING: frozenset({ProductClass.PLATELETS, ProductClass.RED_CELLS, ProductClass.PLASMA}),
    Process.FREEZING: frozenset({ProductClass.RED_CELLS}),
    Process.DEGLYCEROLIZATION: frozenset({ProductClass.RED_CELLS}),
}

#: The dating event a process records on the child (none: the child keeps its parent's dating).
PROCESS_EVENT: Final[dict[Process, EventKind | None]] = {
    Process.SEPARATION: None,
    Process.IRRADIATION: EventKind.IRRADIATED,
    Process.LEUKOREDUCTION: None,  # closed, in-line filter: dating unchanged
    Process.WASHING: EventKind.WASHED,
    Process.THAWING: EventKind.THAWED,
    Process.THAWING_RELABEL: EventKind.THAWED_RELABELLED,
    Process.POOLING: EventKind.POOLED_OPEN,
    Process.VOLUME_REDUCTION: EventKind.OPENED,
    Process.SPLITTING: None,  # closed, sterile connection: dating unchanged
    Process.FREEZING: None,
    Process.DEGLYCEROLIZATION: EventKind.DEGLYCEROLIZED_CLOSED,
}

#: Separation deadlines from collection, by the dating of the product made.
SEPARATION_WITHIN: Final[dict[Product, timedelta]] = {
    Product.PLASMA_FFP: timedelta(hours=8),
    Product.PLASMA_PF24: timedelta(hours=24),
    Product.PLATELETS: timedelta(hours=8),
}

#: Pool sizes the establishment allows, by product class [U].
POOL_SIZE: Final[dict[ProductClass, tuple[int, int]]] = {
    ProductClass.PLATELETS: (4, 6),
    ProductClass.CRYO: (2, 10),
}

#: Divisions of a split or a multi-product apheresis collection: A0 … Z0 (ST-001 §3.4).
MAX_DIVISIONS: Final = 26


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    field: str


def process_refusal(process: Process, input_class: ProductClass, input_name: str) -> Refusal | None:
    """Why ``process`` cannot be applied to a product of ``input_class``, or ``None``."""
    if input_class in PROCESS_INPUTS[process]:
        return None
    allowed = ", ".join(sorted(c.value.replace("_", " ") for c in PROCESS_INPUTS[process]))
    return Refusal(
        "process_not_applicable",
        f"{process.value.replace('_', ' ')} does not apply to {input_name} "
        f"({input_class.value.replace('_', ' ')}); it applies to {allowed}",
        "process",
    )


def separation_refusal(made: Product, collected_at: datetime, at: datetime) -> Refusal | None:
    """Why a product separated at ``at`` from blood collected at ``collected_at`` is late."""
    limit = SEPARATION_WITHIN.get(made)
    if limit is None or at - collected_at <= limit:
        return None
    hours = int(limit.total_seconds() // 3600)
    elapsed = (at - collected_at).total_seconds() / 3600
    return Refusal(
        "separation_too_late",
        f"{made.value} must be separated and frozen within {hours} hours of collection; "
        f"{elapsed:.1f} hours have passed",
        "occurred_at",
    )


def divisions(count: int) -> list[str]:
    """The division codes of ``count`` parts: ``["A0", "B0", …]``; one part is undivided."""
    if count < 1 or count > MAX_DIVISIONS:
        raise ValueError(f"a product is divided into 1 to {MAX_DIVISIONS} parts, not {count}")
    if count == 1:
        return ["00"]
    return [f"{chr(ord('A') + index)}0" for index in range(count)]


@dataclass(frozen=True)
class PoolMember:
    unit: str  # how the unit is named in messages (its DIN and product code)
    product_code: str  # the 5-character description code
    blood_group: str  # "A POS", or "" when not typed yet
    on_hand: bool
    held: bool
    expires_at: datetime


def pool_refusals(product_class: ProductClass, members: Sequence[PoolMember], at: datetime) -> list[Refusal]:
    """Every reason policy forbids pooling ``members`` at ``at`` (empty: it may)."""
    refusals: list[Refusal] = []
    sizes = POOL_SIZE.get(product_class)
    if sizes is None:
        return [Refusal("pool_not_allowed", f"{product_class.value} is not pooled", "units")]
    low, high = sizes
    if not low <= len(members) <= high:
        refusals.append(
            Refusal(
                "pool_size",
                f"a {product_class.value} pool has {low} to {high} units, not {len(members)}",
                "units",
            )
        )
    if len({member.product_code for member in members}) > 1:
        refusals.append(Refusal("pool_mixed_products", "every unit of a pool is the same product", "units"))
    groups = {member.blood_group for member in members}
    if "" in groups:
        refusals.append(Refusal("pool_untyped", "every unit of a pool has its ABO/RhD typed", "units"))
    elif len(groups) > 1:
        refusals.append(
            Refusal(
                "pool_mixed_groups",
                f"a pool carries one ABO/RhD; these units are {', '.join(sorted(groups))}",
                "units",
            )
        )
    for member in members:
        if not member.on_hand:
            refusals.append(Refusal("pool_member_not_on_hand", f"{member.unit} is not on hand", "units"))
        if member.held:
            refusals.append(Refusal("pool_member_on_hold", f"{member.unit} is on hold", "units"))
        if member.expires_at <= at:
            refusals.append(Refusal("pool_member_expired", f"{member.unit} has expired", "units"))
    return refusals


#: Platelet dating by the bacterial risk control the lab recorded (FDA guidance "Bacterial
#: Risk Control Strategies for Blood Collection Establishments and Transfusion Services to
#: Enhance the Safety and Availability of Platelets for Transfusion", Dec 2020) [S]: large-volume
#: delayed sampling or a secondary culture / rapid test allow 7 days; a primary culture alone
#: or pathogen reduction 5 days.
PLATELET_DATING_BY_CONTROL: Final[dict[str, int]] = {
    "primary_culture": 5,
    "pathogen_reduction": 5,
    "lvds": 7,
    "secondary_test": 7,
}

#: Processes that make a new product with its own dating from collection rather than modify
#: the parent: separation adds the additive solution (red cells AS-1 get 42 days although the
#: whole blood had 21) and freezing starts the 10-year frozen dating. Every other process
#: caps the child at its parent's expiry (C4).
NEW_DATING: Final = frozenset({Process.SEPARATION, Process.FREEZING})


def child_division(parent_division: str, index: int, parts: int) -> str:
    """The division of part ``index`` of ``parts`` split from a unit of ``parent_division``:
    an undivided unit splits into A0, B0 …; a first-level division ``A0`` into Aa, Ab …
    (ST-001 §3.4: ``d`` first level, ``s`` second level) [P]."""
    if parts == 1:
        return parent_division
    if parent_division == "00":
        return divisions(parts)[index]
    if parent_division[1] == "0":
        return f"{parent_division[0]}{chr(ord('a') + index)}"
    raise ValueError(f"division {parent_division} is already divided twice")
