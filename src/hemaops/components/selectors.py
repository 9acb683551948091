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

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from hemaops.components import inventory_services
from hemaops.components.models import (
    LabelScan,
    Product,
    StorageLocation,
    TemperatureExcursion,
    TemperatureReading,
    Unit,
    UnitEvent,
    UnitHold,
    UnitSource,
)
from hemaops.components.rules.lifecycle import ON_HAND, Status
from hemaops.donations.models import Donation
from hemaops.lab.models import DonationHold, DonationRelease, DonationTesting

BANDS = ("0-1", "2-3", "4-7", "8-14", "15-42", "43+")  # days to expiry
EXPIRED = "expired"


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
    waits_for: list[str]  # of "release", "label", "verification", "hold"; or only "expired"


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


def _active_unit_hold() -> Exists:
    return Exists(UnitHold.objects.filter(unit_id=OuterRef("pk"), lifted_at__isnull=True))


def _active_donation_hold() -> Exists:
    held = DonationHold.objects.filter(donation_id=OuterRef("donation_id"), lifted_at__isnull=True)
    return Exists(UnitSource.objects.filter(unit_id=OuterRef("pk")).filter(Exists(held)))


def _at_sites(queryset: QuerySet[Unit], site_ids: list[int] | None) -> QuerySet[Unit]:
    return queryset if site_ids is None else queryset.filter(site_id__in=site_ids)


def _available(at: datetime, site_ids: list[int] | None) -> QuerySet[Unit]:
    """Units that may be picked at ``at``: available, in date, no active unit or donation hold."""
    units = Unit.objects.filter(status=Status.AVAILABLE.value, expires_at__gt=at)
    return _at_sites(units, site_ids).filter(~_active_unit_hold(), ~_active_donation_hold())


#: The upper end of each band but the last, in days from ``at`` (exclusive).
BAND_ENDS = (2, 4, 8, 15, 43)


def _band(at: datetime) -> Case:
    """The days-to-expiry band, from thresholds on ``expires_at`` computed here from ``at``
    (an expired unit is "expired")."""
    return Case(
        When(expires_at__lte=at, then=Value(EXPIRED)),
        *(
            When(expires_at__lt=at + timedelta(days=days), then=Value(band))
            for band, days in zip(BANDS, BAND_ENDS, strict=False)
        ),
        default=Value(BANDS[-1]),
        output_field=CharField(),
    )


def _held_ids() -> QuerySet[Any]:
    """Ids of the units with an active unit hold or an active hold on one of their donations:
    few, so the held units are reached from the holds, never by scanning the stock."""
    unit_held = UnitHold.objects.filter(lifted_at__isnull=True).order_by().values("unit_id")
    held_donations = DonationHold.objects.filter(lifted_at__isnull=True).order_by().values("donation_id")
    donation_held = UnitSource.objects.filter(donation_id__in=held_donations).order_by().values("unit_id")
    return unit_held.union(donation_held)


def stock_board(*, at: datetime, site_ids: list[int] | None = None) -> StockBoard:
    """Three queries. The available and quarantined units counted per status, product and
    group, with a count below each band's end (``COUNT(*) FILTER``: the rows stream in the
    order of the stock index, no per-row band, no hashing); the held ones, reached from the
    holds and counted by band; then the products. The board is the first less the second."""
    ends = [at, *(at + timedelta(days=days) for days in BAND_ENDS)]  # "expired" first
    below = {f"below_{i}": Count("expires_at", filter=Q(expires_at__lt=end)) for i, end in enumerate(ends)}
    below["below_0"] = Count("expires_at", filter=Q(expires_at__lte=at))
    stock = Unit.objects.filter(status__in=[Status.AVAILABLE.value, Status.QUARANTINED.value])
    rows = list(
        _at_sites(stock, site_ids)
        .order_by()
        .values("status", "product_id", "abo", "rhd")
        .annotate(total=Count("*"), **below)
        .order_by("status", "product_id", "abo", "rhd")
    )
    held_units = Unit.objects.filter(status=Status.AVAILABLE.value, pk__in=_held_ids())
    held_rows = list(
        _at_sites(held_units, site_ids)
        .annotate(band=_band(at))
        .order_by()
        .values("product_id", "abo", "rhd", "band")
        .annotate(units=Count("*"))
    )
    products = Product.objects.in_bulk({row["product_id"] for row in rows + held_rows})
    cells: Counter[tuple[str, str, str, str]] = Counter()
    quarantined: Counter[str] = Counter()
    held: Counter[str] = Counter()
    for row in rows:
        code = products[row["product_id"]].code
        if row["status"] == Status.QUARANTINED.value:
            quarantined[code] += row["total"]
            continue
        counts = [row[f"below_{i}"] for i in range(len(ends))] + [row["total"]]
        for band, (low, high) in zip(BANDS, itertools.pairwise(counts), strict=True):
            cells[(code, row["abo"], row["rhd"], band)] += high - low
    for row in held_rows:
        code = products[row["product_id"]].code
        held[code] += row["units"]
        if row["band"] != EXPIRED:
            cells[(code, row["abo"], row["rhd"], row["band"])] -= row["units"]
    by_code = {product.code: product for product in products.values()}
    order = {band: i for i, band in enumerate(BANDS)}
    return StockBoard(
        at=at,
        cells=[
            StockCell(
                product_code=code,
                product_description=by_code[code].description,
                product_class=by_code[code].product_class,
                abo=abo,
                rhd=rhd,
                band=band,
                units=count,
            )
            for (code, abo, rhd, band), count in sorted(
                cells.items(), key=lambda i: (*i[0][:3], order[i[0][3]])
            )
            if count > 0
        ],
        quarantined_by_product=dict(sorted(quarantined.items())),
        held_by_product=dict(sorted(held.items())),
        total_available=sum(count for count in cells.values() if count > 0),
    )


def pick_list(
    *, product: str, abo: str, rhd: str, count: int, at: datetime, site_ids: list[int] | None = None
) -> list[Unit]:
    units = _available(at, site_ids).filter(product__code=product, abo=abo, rhd=rhd)
    return list(units.select_related("product", "site", "location").order_by("expires_at", "pk")[:count])


def processing_worklist(*, site_ids: list[int] | None = None, limit: int = 200) -> list[WorklistItem]:
    unreleased = UnitSource.objects.filter(unit_id=OuterRef("pk")).filter(
        ~Exists(DonationRelease.objects.filter(donation_id=OuterRef("donation_id")))
    )
    units = (
        _at_sites(Unit.objects.filter(status=Status.QUARANTINED.value), site_ids)
        .annotate(
            has_source=Exists(UnitSource.objects.filter(unit_id=OuterRef("pk"))),
            has_unreleased=Exists(unreleased),
            unit_held=_active_unit_hold(),
            donation_held=_active_donation_hold(),
        )
        .select_related("product", "site", "location")
        .order_by("expires_at", "pk")[:limit]
    )
    items = []
    now = timezone.now()
    for unit in units:
        if unit.expires_at <= now:  # nothing left to wait for: its outdate is to be recorded
            items.append(WorklistItem(unit=unit, waits_for=["expired"]))
            continue
        waits_for = []
        if unit.has_unreleased or not unit.has_source:
            waits_for.append("release")
        if not unit.label_digest:
            waits_for.append("label")
        elif not inventory_services.label_verified(unit):
            waits_for.append("verification")
        if unit.unit_held or unit.donation_held:
            waits_for.append("hold")
        items.append(WorklistItem(unit=unit, waits_for=waits_for))
    return items


def _units() -> QuerySet[Unit]:
    return Unit.objects.select_related("product", "site", "location")


def _walk(start: int, link: str) -> list[Unit]:
    """Every unit reached from ``start`` through ``link`` (one query per level), nearest first."""
    seen = {start}
    found: list[Unit] = []
    level = [start]
    while level:
        step = [
            u for u in _units().filter(**{f"{link}__in": level}).distinct().order_by("pk") if u.pk not in seen
        ]
        seen.update(u.pk for u in step)
        found.extend(step)
        level = [u.pk for u in step]
    return found


def unit_chain(unit: Unit) -> UnitChain:
    unit = _units().get(pk=unit.pk)
    donations = list(
        Donation.objects.filter(unit_sources__unit=unit).select_related("donor", "din", "site").order_by("pk")
    )
    donation_ids = [d.pk for d in donations]
    return UnitChain(
        unit=unit,
        donations=donations,
        testings={t.donation_id: t for t in DonationTesting.objects.filter(donation_id__in=donation_ids)},
        releases={
            r.donation_id: r
            for r in DonationRelease.objects.filter(donation_id__in=donation_ids).select_related(
                "released_by"
            )
        },
        ancestors=_walk(unit.pk, "child_links__child_id"),
        descendants=_walk(unit.pk, "parent_links__parent_id"),
        events=list(unit.events.select_related("actor")),
        holds=list(unit.holds.select_related("placed_by", "lifted_by", "excursion")),
        scans=list(unit.label_scans.select_related("scanned_by")),
        gate_refusals=inventory_services.unit_gate_refusals(unit),
    )


def _count(queryset: QuerySet[Any], key: str) -> Subquery:
    return Subquery(
        queryset.filter(**{key: OuterRef("pk")}).order_by().values(key).annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )


def locations_with_occupancy(site_ids: list[int] | None = None) -> list[LocationOccupancy]:
    locations = StorageLocation.objects.select_related("site").annotate(
        on_hand=Coalesce(_count(Unit.objects.filter(status__in=sorted(ON_HAND)), "location_id"), 0),
        pending=Coalesce(_count(TemperatureExcursion.objects.filter(decision=""), "location_id"), 0),
        last_reading_id=Subquery(
            TemperatureReading.objects.filter(location_id=OuterRef("pk"))
            .order_by("-recorded_at")
            .values("pk")[:1]
        ),
    )
    if site_ids is not None:
        locations = locations.filter(site_id__in=site_ids)
    locations = list(locations)
    readings = TemperatureReading.objects.in_bulk(
        [loc.last_reading_id for loc in locations if loc.last_reading_id]
    )
    return [
        LocationOccupancy(
            location=loc,
            units_on_hand=loc.on_hand,
            last_reading=readings.get(loc.last_reading_id),
            open_excursions=loc.pending,
        )
        for loc in locations
    ]


def excursions_pending() -> list[Any]:
    return list(
        TemperatureExcursion.objects.filter(decision="")
        .select_related("location__site")
        .order_by("-started_at", "-pk")
    )
