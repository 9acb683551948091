"""Storage temperature excursions: when a logger's readings left the storage range.

Pure (house style §2): no Django, no settings, no clock; readings are parameters.

Sources: the storage ranges themselves are regulatory — 21 CFR 600.15 and the AABB Standards,
domain-reference §2.4 (red cells 1–6 °C, platelets 20–24 °C, frozen plasma and cryo ≤ −18 °C)
[P]. What counts as an excursion is the establishment's policy [U]: *any* reading outside the
range, however short, is an excursion, and the quality officer decides what it means for the
units stored there. The rule never judges duration or product impact; it finds the windows.

How a window is drawn:

* the limits are inclusive: a reading exactly at ``minimum_c`` or ``maximum_c`` is in range;
* an excursion starts at the time of an out-of-range reading and ends at the time of the first
  later reading back in range (the earliest moment the logger shows the unit safe again);
  ``ended_at`` is None when the last reading is still out of range;
* consecutive out-of-range readings are one excursion, even when they cross from above the
  range to below it (a thermostat fault that overshoots): ``direction`` is that of the reading
  farthest from the range, ``extreme_c`` its value;
* readings are taken in time order; readings with equal times keep their given order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

__all__ = ["Excursion", "excursions"]


@dataclass(frozen=True)
class Excursion:
    started_at: datetime  # the first out-of-range reading
    ended_at: datetime | None  # the first reading back in range; None = still out at the last one
    extreme_c: Decimal  # the reading farthest from the range
    direction: str  # "above" | "below": the side of extreme_c
    readings: int  # how many out-of-range readings the excursion holds


def excursions(
    readings: Sequence[tuple[datetime, Decimal]], minimum_c: Decimal, maximum_c: Decimal
) -> list[Excursion]:
    """The excursions of ``readings`` (time, °C) outside [minimum_c, maximum_c], in time order."""
    if minimum_c > maximum_c:
        raise ValueError(f"minimum_c {minimum_c} is above maximum_c {maximum_c}")
    found: list[Excursion] = []
    started: datetime | None = None
    extreme = Decimal(0)
    distance = Decimal(0)
    count = 0
    for at, value in sorted(readings, key=lambda reading: reading[0]):
        gap = value - maximum_c if value > maximum_c else minimum_c - value
        if gap <= 0:  # in range, limits included
            if started is not None:
                found.append(_excursion(started, at, extreme, maximum_c, count))
                started = None
            continue
        if started is None:
            started, extreme, distance, count = at, value, gap, 0
        elif gap > distance:
            extreme, distance = value, gap
        count += 1
    if started is not None:
        found.append(_excursion(started, None, extreme, maximum_c, count))
    return found


def _excursion(
    started: datetime, ended: datetime | None, extreme: Decimal, maximum_c: Decimal, count: int
) -> Excursion:
    return Excursion(started, ended, extreme, "above" if extreme > maximum_c else "below", count)
