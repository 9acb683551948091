"""Component dating: when a blood component expires, and whether its label shows the hour.

Pure (house style §2): no Django, no settings, no clock. Times are parameters, aware
``datetime`` values; the facility's time zone is a parameter too.

Sources (domain-reference.md): §2.1 the 21 CFR 610.53(b) table [P]; §2.2 post-thaw and
post-processing dating (AABB Circular of Information, FDA guidance) with their tags; §2.3
labeling (21 CFR 606.121(c)(4), ISBT 128 ST-001 §2.4.5); §8 conventions C1–C4.

How a dating is computed:

* Date-based dating ("N days", "N months", "N years") counts the local calendar date of its
  start as day 0 (C1), moves by calendar months clamped to the month end (C2), and ends at
  23:59 local of the expiry date (C3; ST-001 §2.4.5 default time 2359).
* Hour-based dating ("24 hours", "6 hours", "4 hours") is the event time plus N *elapsed*
  hours: the sum is taken in UTC and converted back to local time, so a daylight-saving
  night neither adds nor removes an hour (C3, elapsed-time reading [U]).
* Every event caps the current expiry: the result is the minimum of the event's own limit
  and the expiry before it (C4 [U]; 610.50(a) for combinations [P]). An event never extends
  a dating.
* The label shows the hour when the dating period — from the latest date of manufacture
  (collection, or the last processing event, 610.50(c)) to the expiry, in elapsed time — is
  72 hours or less (606.121(c)(4)(i) [P]).
* An event that §2 gives no dating for on that product (irradiating plasma, thawing red cells
  that were never frozen) is a :class:`DatingError`, never a guess.

Expiry times are floored to the minute (an ISBT 128 time has no seconds): never later.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from hemaops.isbt128.dates import END_OF_DAY, DateStructure, IsbtDate, format_date

#: 606.121(c)(4)(i) [P]: the hour is on the label when the dating period is ≤ 72 hours.
LABEL_HOUR_LIMIT: Final = timedelta(hours=72)


class DatingError(ValueError):
    """A dating that cannot be decided: a stable ``code``, a ``message``, the ``field``."""

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class Product(StrEnum):
    WHOLE_BLOOD = "whole_blood"
    RED_CELLS = "red_cells"
    RED_CELLS_FROZEN = "red_cells_frozen"
    RED_CELLS_DEGLYCEROLIZED = "red_cells_deglycerolized"
    PLATELETS = "platelets"
    PLATELETS_COLD_STORED = "platelets_cold_stored"
    PLASMA_FFP = "plasma_ffp"
    PLASMA_PF24 = "plasma_pf24"
    PLASMA = "plasma"
    LIQUID_PLASMA = "liquid_plasma"
    CRYO = "cryo"


class Anticoagulant(StrEnum):
    """Anticoagulant, or additive solution for red cells."""

    ACD = "ACD"
    CPD = "CPD"
    CP2D = "CP2D"
    CPDA_1 = "CPDA-1"
    AS_1 = "AS-1"
    AS_3 = "AS-3"
    AS_5 = "AS-5"
    AS_7 = "AS-7"

    @property
    def is_additive_solution(self) -> bool:
        return self.value.startswith("AS-")


class EventKind(StrEnum):
    IRRADIATED = "irradiated"
    WASHED = "washed"
    OPENED = "opened"
    THAWED = "thawed"
    THAWED_RELABELLED = "thawed_relabelled"
    POOLED_OPEN = "pooled_open"
    DEGLYCEROLIZED_CLOSED = "deglycerolized_closed"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: datetime


@dataclass(frozen=True)
class Expiry:
    """``expires_at`` local (the zone given), ``rule`` the code of the rule that decided it,
    ``source`` where that rule comes from, ``manufactured_at`` the start of the labelled
    dating period (collection or the latest processing event, 610.50(c))."""

    expires_at: datetime
    label_shows_time: bool
    rule: str
    source: str
    manufactured_at: datetime

    @property
    def isbt128(self) -> str:
        """ISBT 128 Data Structure 005 ``&>cyyjjjhhmm`` (ST-001 §2.4.5; domain-reference §3.6)."""
        local = self.expires_at
        return format_date(
            IsbtDate(DateStructure.EXPIRATION_DATE_AND_TIME, local.date(), time(local.hour, local.minute))
        )


# --- calendar arithmetic (C1, C2, C3) -------------------------------------------------


def add_months(day: date, months: int) -> date:
    """C2 [U]: the same day of the month ``months`` later, clamped to the month's end
    (29 Feb 2028 + 12 months → 28 Feb 2029)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _end_of_day(day: date, zone: ZoneInfo) -> datetime:
    # C3 / ST-001 §2.4.5 [P]: a date-based expiry ends at 23:59 local.
    return datetime.combine(day, END_OF_DAY, tzinfo=zone)


def after_days(start: datetime, days: int, zone: ZoneInfo) -> datetime:
    """C1 [U]: the local date of ``start`` is day 0; expires at 23:59 of day ``days``."""
    return _end_of_day(start.astimezone(zone).date() + timedelta(days=days), zone)


def after_months(start: datetime, months: int, zone: ZoneInfo) -> datetime:
    """C1 + C2 [U]: calendar months from the local date of ``start``, ending at 23:59."""
    return _end_of_day(add_months(start.astimezone(zone).date(), months), zone)


def after_hours(start: datetime, hours: int, zone: ZoneInfo) -> datetime:
    """C3: ``hours`` elapsed hours after ``start``, summed in UTC (daylight-saving safe)."""
    return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(zone)


def _utc(moment: datetime) -> datetime:
    # Compare in UTC: Python compares two times of the same zone on the wall clock, which
    # misorders the repeated hour of a daylight-saving night.
    return moment.astimezone(UTC)


def label_shows_time(manufactured_at: datetime, expires_at: datetime) -> bool:
    """606.121(c)(4)(i) [P]: the hour is on the label when the dating period is ≤ 72 hours
    (elapsed time)."""
    return expires_at.astimezone(UTC) - manufactured_at.astimezone(UTC) <= LABEL_HOUR_LIMIT


# --- the 610.53(b) table (domain-reference §2.1 [P]) ------------------------------------

_CITRATE_21: Final = frozenset({Anticoagulant.ACD, Anticoagulant.CPD, Anticoagulant.CP2D})
_PLATELET_DATING_DAYS: Final = frozenset({5, 7})
_ALL_RED_CELLS: Final = frozenset(
    {Product.RED_CELLS, Product.RED_CELLS_FROZEN, Product.RED_CELLS_DEGLYCEROLIZED}
)
_FROZEN_PLASMA_THAWABLE: Final = frozenset({Product.PLASMA_FFP, Product.PLASMA_PF24})


@dataclass(frozen=True)
class _Limit:
    expires_at: datetime
    rule: str
    source: str


def _whole_blood_days(anticoagulant: Anticoagulant, field: str) -> int:
    if anticoagulant in _CITRATE_21:
        return 21  # 610.53(b): Whole Blood ACD/CPD/CP2D, 21 days [P]
    if anticoagulant is Anticoagulant.CPDA_1:
        return 35  # 610.53(b): Whole Blood CPDA-1, 35 days [P]
    raise DatingError(
        "not_applicable",
        f"{anticoagulant.value} is a red cell additive solution, not a whole blood anticoagulant "
        "(610.53(b) dates whole blood in ACD, CPD, CP2D or CPDA-1)",
        field,
    )


def _base(
    product: Product,
    anticoagulant: Anticoagulant,
    collected_at: datetime,
    platelet_dating_days: int | None,
    zone: ZoneInfo,
) -> _Limit:
    def days(count: int, rule: str, source: str) -> _Limit:
        return _Limit(after_days(collected_at, count, zone), rule, source)

    def months(count: int, rule: str, source: str) -> _Limit:
        return _Limit(after_months(collected_at, count, zone), rule, source)

    if platelet_dating_days is not None and product is not Product.PLATELETS:
        raise DatingError(
            "not_applicable",
            f"platelet_dating_days applies to platelets stored at 20–24 °C, not to {product.value}",
            "platelet_dating_days",
        )
    if product is Product.WHOLE_BLOOD:
        count = _whole_blood_days(anticoagulant, "anticoagulant")
        return days(count, f"whole_blood_{count}_days", "21 CFR 610.53(b) [P]")
    if product is Product.RED_CELLS:
        if anticoagulant.is_additive_solution:
            return days(42, "red_cells_additive_42_days", "21 CFR 610.53(b): additive solutions [P]")
        count = _whole_blood_days(anticoagulant, "anticoagulant")
        return days(count, f"red_cells_{count}_days", "21 CFR 610.53(b) [P]")
    if product in (Product.RED_CELLS_FROZEN, Product.RED_CELLS_DEGLYCEROLIZED):
        # 610.53(b): Red Blood Cells Frozen, ≤ −65 °C, 10 years from collection [P]; C2 years.
        return months(120, "red_cells_frozen_10_years", "21 CFR 610.53(b) [P]; C2 [U]")
    if product is Product.PLATELETS:
        if platelet_dating_days is None:
            # 610.53(b): Platelets 20–24 °C, 5 days from collection [P].
            return days(5, "platelets_5_days", "21 CFR 610.53(b) [P]")
        if platelet_dating_days not in _PLATELET_DATING_DAYS:
            raise DatingError(
                "invalid_value",
                f"platelet_dating_days is 5 or 7 (bacterial risk control), not {platelet_dating_days}",
                "platelet_dating_days",
            )
        # FDA "Bacterial Risk Control Strategies…" Dec 2020: 5 days, or up to 7 with large-volume
        # delayed sampling or secondary testing per device labeling [S].
        return days(
            platelet_dating_days,
            f"platelets_{platelet_dating_days}_days_bacterial_control",
            "FDA bacterial risk control guidance, Dec 2020 [S]",
        )
    if product is Product.PLATELETS_COLD_STORED:
        # FDA guidance June 2023: cold-stored platelets 1–6 °C, up to 14 days [S].
        return days(14, "platelets_cold_stored_14_days", "FDA cold-stored platelet guidance, June 2023 [S]")
    if product in _FROZEN_PLASMA_THAWABLE:
        # 610.53(b): FFP and PF24, ≤ −18 °C, 1 year [P]; C2: 1 year = 12 months.
        return months(12, f"{product.value}_1_year", "21 CFR 610.53(b) [P]; C2 [U]")
    if product is Product.PLASMA:
        # 610.53(b): Plasma, ≤ −18 °C, 5 years [P].
        return months(60, "plasma_5_years", "21 CFR 610.53(b) [P]; C2 [U]")
    if product is Product.LIQUID_PLASMA:
        # 610.53(b): Liquid Plasma, 5 days from the end of the Whole Blood dating period [P].
        count = _whole_blood_days(anticoagulant, "anticoagulant") + 5
        return days(count, f"liquid_plasma_{count}_days", "21 CFR 610.53(b) [P]")
    # Product.CRYO — 610.53(b): Cryoprecipitated AHF, 1 year from collection [P].
    return months(12, "cryo_1_year", "21 CFR 610.53(b) [P]; C2 [U]")


# --- events (§2.1 and §2.2) ------------------------------------------------------------


def _not_applicable(kind: EventKind, product: Product, index: int, why: str) -> DatingError:
    return DatingError(
        "event_not_applicable",
        f"{kind.value} on {product.value}: {why}",
        f"events[{index}].kind",
    )


def _event_limit(
    product: Product, event: Event, index: int, earlier: Sequence[EventKind], zone: ZoneInfo
) -> _Limit:
    kind, at = event.kind, event.at
    if kind is EventKind.IRRADIATED:
        if product is not Product.RED_CELLS:
            raise _not_applicable(kind, product, index, "§2 gives irradiated dating for red cells only [U]")
        # 610.53(b) / §2.2: min(irradiation date + 28 days, original dating) [P].
        return _Limit(after_days(at, 28, zone), "irradiated_28_days", "21 CFR 610.53(b) [P]")
    if kind in (EventKind.WASHED, EventKind.OPENED):
        allowed = (
            _ALL_RED_CELLS
            if kind is EventKind.OPENED
            else {Product.RED_CELLS, Product.RED_CELLS_DEGLYCEROLIZED}
        )
        if product not in allowed:
            raise _not_applicable(kind, product, index, "§2 gives open-system dating for red cells only")
        # 610.53(b): RBC open system, 24 hours after entering the bag [P]; cap by the
        # original dating (§2.2) [U].
        return _Limit(
            after_hours(at, 24, zone), f"{kind.value}_open_system_24_hours", "21 CFR 610.53(b) [P]; cap [U]"
        )
    if kind is EventKind.DEGLYCEROLIZED_CLOSED:
        if product not in (Product.RED_CELLS_FROZEN, Product.RED_CELLS_DEGLYCEROLIZED):
            raise _not_applicable(kind, product, index, "only frozen red cells are deglycerolized")
        # 610.53(b): deglycerolized in a closed system with additive solution, 14 days after
        # entering the bag [P]; counted as days (C1, date-based) [U].
        return _Limit(
            after_days(at, 14, zone), "deglycerolized_closed_14_days", "21 CFR 610.53(b) [P]; C1 [U]"
        )
    if kind in (EventKind.THAWED, EventKind.THAWED_RELABELLED):
        thawed_before = {EventKind.THAWED, EventKind.THAWED_RELABELLED} & set(earlier)
        if thawed_before:
            raise DatingError(
                "conflicting_events",
                f"{kind.value}: the unit was already thawed; give one thaw event "
                "(thawed_relabelled carries the thaw time of Thawed Plasma)",
                f"events[{index}].kind",
            )
        if product in _FROZEN_PLASMA_THAWABLE:
            if kind is EventKind.THAWED:
                # §2.2: FFP/PF24 thawed, 1–6 °C, 24 hours after thawing [S] (CoI).
                return _Limit(after_hours(at, 24, zone), "plasma_thawed_24_hours", "AABB CoI [S]")
            # §2.2: "Thawed Plasma" (closed system), up to 5 days after thawing [S]; counted as
            # days (C1, date-based) [U].
            return _Limit(after_days(at, 5, zone), "thawed_plasma_5_days", "AABB CoI [S]; C1 [U]")
        if product is Product.CRYO and kind is EventKind.THAWED:
            # §2.2: cryo thawed, 20–24 °C, 6 hours after thawing [S] (USP monograph; CoI).
            return _Limit(after_hours(at, 6, zone), "cryo_thawed_6_hours", "USP monograph; AABB CoI [S]")
        if product in _ALL_RED_CELLS:
            raise _not_applicable(
                kind,
                product,
                index,
                "red cells are not thawed into a product of their own: frozen red cells are "
                "deglycerolized (deglycerolized_closed, or opened for an open system)",
            )
        raise _not_applicable(kind, product, index, "§2 gives no thawed dating for this product")
    # EventKind.POOLED_OPEN
    if product is Product.PLATELETS:
        # §2.2: whole-blood-derived platelets pooled in an open system, 4 hours after pooling,
        # not beyond the earliest unit's expiry [U].
        return _Limit(after_hours(at, 4, zone), "platelets_pooled_open_4_hours", "AABB [U]")
    if product is Product.CRYO:
        if EventKind.THAWED not in earlier:
            raise DatingError(
                "event_order",
                "pooled_open on cryo: cryo is pooled in an open system after thawing; record thawed first",
                f"events[{index}].kind",
            )
        # §2.2: cryo pooled after thawing in an open system, 4 hours after pooling [U] (CoI).
        return _Limit(after_hours(at, 4, zone), "cryo_pooled_open_4_hours", "AABB CoI [U]")
    raise _not_applicable(kind, product, index, "§2 gives no open-pool dating for this product")


def expiry(
    *,
    product: Product,
    anticoagulant: Anticoagulant,
    collected_at: datetime,
    events: Sequence[Event] = (),
    platelet_dating_days: int | None = None,
    zone: ZoneInfo,
) -> Expiry:
    """The expiry of a component collected at ``collected_at`` (aware) after ``events``,
    in the facility's time zone ``zone``. Events are applied in time order; each caps the
    expiry before it (C4). Raises :class:`DatingError`."""
    if collected_at.tzinfo is None or collected_at.utcoffset() is None:
        raise DatingError("naive_time", "collected_at needs a UTC offset", "collected_at")
    current = _base(product, anticoagulant, collected_at, platelet_dating_days, zone)
    manufactured_at = collected_at
    for index, event in enumerate(events):
        if event.at.tzinfo is None or event.at.utcoffset() is None:
            field = f"events[{index}].at"
            raise DatingError("naive_time", f"{field} needs a UTC offset", field)
    ordered = sorted(enumerate(events), key=lambda pair: _utc(pair[1].at))
    earlier: list[EventKind] = []
    for index, event in ordered:
        field = f"events[{index}].at"
        if _utc(event.at) < _utc(collected_at):
            raise DatingError("event_before_collection", f"{field}: before the collection", field)
        if _utc(event.at) >= _utc(current.expires_at):
            raise DatingError(
                "event_after_expiry",
                f"{field}: {event.kind.value} after the unit expired "
                f"({current.expires_at.isoformat(timespec='minutes')})",
                field,
            )
        limit = _event_limit(product, event, index, earlier, zone)
        earlier.append(event.kind)
        manufactured_at = event.at  # 610.50(c): the processing event dates the new product
        if _utc(limit.expires_at) < _utc(current.expires_at):  # C4: never beyond the parent's expiry
            current = limit
    if product is Product.RED_CELLS_DEGLYCEROLIZED and not (
        {EventKind.DEGLYCEROLIZED_CLOSED, EventKind.OPENED} & set(earlier)
    ):
        raise DatingError(
            "missing_event",
            "red_cells_deglycerolized needs its deglycerolization: deglycerolized_closed "
            "(closed system) or opened (open system)",
            "events",
        )
    local = current.expires_at.astimezone(zone).replace(second=0, microsecond=0)
    return Expiry(
        expires_at=local,
        label_shows_time=label_shows_time(manufactured_at, local),
        rule=current.rule,
        source=current.source,
        manufactured_at=manufactured_at,
    )
