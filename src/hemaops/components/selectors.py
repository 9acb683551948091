"""The components context's read side (house style §4). CONTRACT — implemented by the
selectors helper; pages and API code against these signatures.

- ``stock_board(*, at, site_ids=None) -> StockBoard``: on-hand units (status available, not
  expired at ``at``, no active unit or donation hold) counted by product × ABO/RhD × days to
  expiry band ("0-1", "2-3", "4-7", "8-14", "15-42", "43+"), across sites, plus counts of
  quarantined and held units per product. SQL aggregates only.
- ``pick_list(*, product, abo, rhd, count, at, site_ids=None) -> list[Unit]``: available,
  in-date, unheld units of that product and group, first-expiry-first-out (expires_at, pk).
- ``processing_worklist(*, site_ids=None, limit=200) -> list[Unit]``: quarantined units with
  what each still waits for (release, label print, label verification).
- ``unit_chain(unit) -> UnitChain``: donor → donation → testing and release → ancestors →
  the unit → descendants → location → history and fate.
- ``locations_with_occupancy(site_ids=None)``, ``excursions_pending()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hemaops.components.models import (
    LabelScan,
    StorageLocation,
    TemperatureReading,
    Unit,
    UnitEvent,
    UnitHold,
)

BANDS = ("0-1", "2-3", "4-7", "8-14", "15-42", "43+")  # days to expiry


@dataclass(frozen=True)
class StockCell:
    product_code: str  # the 5-character description code
    product_description: str
    product_class: str
    abo: str
    rhd: str  # "pos" | "neg"
    band: str  # one of BANDS
    units: int


@dataclass(frozen=True)
class StockBoard:
    at: datetime
    cells: list[StockCell]
    quarantined_by_product: dict[str, int]
    held_by_product: dict[str, int]
    total_available: int


@dataclass(frozen=True)
class WorklistItem:
    unit: Unit
    waits_for: list[str]  # of "release", "label", "verification", "hold"


@dataclass(frozen=True)
class UnitChain:
    unit: Unit
    donations: list[Any]  # Donation with donor, din and site loaded
    testings: dict[int, Any]  # donation id → DonationTesting
    releases: dict[int, Any]  # donation id → DonationRelease
    ancestors: list[Unit]
    descendants: list[Unit]
    events: list[UnitEvent]
    holds: list[UnitHold]
    scans: list[LabelScan]
    gate_refusals: list[Any]  # rules.lifecycle.Refusal: why it may not become available now


@dataclass(frozen=True)
class LocationOccupancy:
    location: StorageLocation
    units_on_hand: int
    last_reading: TemperatureReading | None
    open_excursions: int


def stock_board(*, at: datetime, site_ids: list[int] | None = None) -> StockBoard:
    raise NotImplementedError


def pick_list(
    *, product: str, abo: str, rhd: str, count: int, at: datetime, site_ids: list[int] | None = None
) -> list[Unit]:
    raise NotImplementedError


def processing_worklist(*, site_ids: list[int] | None = None, limit: int = 200) -> list[WorklistItem]:
    raise NotImplementedError


def unit_chain(unit: Unit) -> UnitChain:
    raise NotImplementedError


def locations_with_occupancy(site_ids: list[int] | None = None) -> list[LocationOccupancy]:
    raise NotImplementedError


def excursions_pending() -> list[Any]:
    raise NotImplementedError
