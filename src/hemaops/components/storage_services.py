"""Storage: locations with the temperature range they keep, a logger's readings, and the
excursions that hold the units stored there until the quality officer decides.

An excursion holds every unit on hand that was in the location at some moment of the
excursion, read from the units' storage history — also a unit moved elsewhere since.
The decision either lifts those holds (the units stayed acceptable, with the reason) or
discards the units. Both are recorded, audited and final.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from hemaops.components.errors import ComponentsConflictError, ComponentsError, FileRefusedError
from hemaops.components.file_errors import LineError
from hemaops.components.inventory_services import (
    STREAM,
    _move,
    hold_lift_locked,
    hold_place_locked,
    units_locked,
)
from hemaops.components.models import (
    StorageLocation,
    TemperatureExcursion,
    TemperatureImport,
    TemperatureReading,
    Unit,
    UnitEvent,
    UnitHold,
)
from hemaops.components.rules import lifecycle
from hemaops.components.rules.lifecycle import Disposition
from hemaops.components.rules.temperature import excursions
from hemaops.components.temperature_file import TemperatureFileError, parse_temperature_file
from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record_many
from hemaops.core.models import Site, User


@transaction.atomic
def location_create(
    *,
    actor: User | None,
    site: Site,
    name: str,
    kind: str,
    minimum_c: Decimal,
    maximum_c: Decimal,
    capacity_units: int,
) -> StorageLocation:
    require_permission(actor, "components.add_storagelocation")
    if not name.strip():
        raise ComponentsError("name: name the location", code="required", field="name")
    if kind not in StorageLocation.Kind.values:
        raise ComponentsError(f"kind: {kind!r} is not a kind of storage", code="invalid_choice", field="kind")
    if minimum_c >= maximum_c:
        raise ComponentsError(
            "maximum_c: the range's maximum is above its minimum", code="invalid", field="maximum_c"
        )
    if capacity_units < 1:
        raise ComponentsError("capacity_units: at least one unit", code="invalid", field="capacity_units")
    if StorageLocation.objects.filter(site=site, name=name.strip()).exists():
        raise ComponentsConflictError(
            f"name: {site.code} already has {name.strip()}", code="exists", field="name"
        )
    location = StorageLocation.objects.create(
        site=site,
        name=name.strip(),
        kind=kind,
        minimum_c=minimum_c,
        maximum_c=maximum_c,
        capacity_units=capacity_units,
    )
    audit_record_many(
        stream=STREAM,
        actor=actor,
        events=[
            PendingEvent(
                "components.location.created",
                location,
                {
                    "new": {
                        "site": site.code,
                        "name": location.name,
                        "range": [str(minimum_c), str(maximum_c)],
                    }
                },
            )
        ],
    )
    return location


class TemperatureImportError(FileRefusedError):
    """A logger's file refused, with every line error."""


@transaction.atomic
def temperatures_import(
    *, actor: User | None, location: StorageLocation, filename: str, data: bytes
) -> TemperatureImport:
    """Import a logger's file for ``location``, whole or not at all, once. Readings already
    stored (an overlapping download) are skipped when equal and refused when they differ."""
    require_permission(actor, "components.import_temperatures")
    location = (
        StorageLocation.objects.select_for_update(of=("self",)).select_related("site").get(pk=location.pk)
    )
    try:
        readings = parse_temperature_file(data, zone=ZoneInfo(location.site.time_zone))
    except TemperatureFileError as error:
        raise TemperatureImportError(
            f"file: {filename} does not parse: {error}", list(error.errors)
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if TemperatureImport.objects.filter(location=location, sha256=digest).exists():
        raise ComponentsConflictError(
            f"file: {filename} is already imported", code="already_imported", field="file"
        )
    stored = dict(
        TemperatureReading.objects.filter(
            location=location, recorded_at__in=[r.recorded_at for r in readings]
        ).values_list("recorded_at", "temperature_c")
    )
    differing = [r for r in readings if r.recorded_at in stored and stored[r.recorded_at] != r.temperature_c]
    if differing:
        first = differing[0]
        message = (
            f"a reading at {first.recorded_at.isoformat()} is already stored as "
            f"{stored[first.recorded_at]} °C, not {first.temperature_c} °C"
        )
        raise TemperatureImportError(
            f"file: line {first.line}: {message}", [LineError(first.line, "temperature_c", message)]
        )
    new = [r for r in readings if r.recorded_at not in stored]
    found = excursions(
        [(r.recorded_at, r.temperature_c) for r in new], location.minimum_c, location.maximum_c
    )
    now = timezone.now()
    source = TemperatureImport.objects.create(
        location=location,
        filename=filename[:200],
        sha256=digest,
        reading_count=len(new),
        excursion_count=len(found),
        imported_by=actor,
        imported_at=now,
    )
    TemperatureReading.objects.bulk_create(
        [
            TemperatureReading(
                location=location, recorded_at=r.recorded_at, temperature_c=r.temperature_c, source=source
            )
            for r in new
        ],
        batch_size=2000,
    )
    events = [
        PendingEvent(
            "components.temperatures.imported",
            source,
            {"new": {"location": location.pk, "readings": len(new), "excursions": len(found)}},
        )
    ]
    for found_excursion in found:
        excursion = TemperatureExcursion.objects.create(
            location=location,
            source=source,
            started_at=found_excursion.started_at,
            ended_at=found_excursion.ended_at,
            extreme_c=found_excursion.extreme_c,
            direction=found_excursion.direction,
        )
        events.append(_excursion_holds(actor, excursion, now, events))
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return source


def _units_there_during(location: StorageLocation, start: datetime, end: datetime) -> list[int]:
    """The units on hand that were in ``location`` at some moment from ``start`` to ``end``,
    read from their storage history (``stored`` events): a unit moved out after the excursion
    began, before the logger's file was read, was exposed all the same."""
    on_hand = sorted(s.value for s in lifecycle.ON_HAND)
    candidates = set(
        UnitEvent.objects.filter(action="stored", data__location=location.pk, occurred_at__lte=end)
        .filter(unit__status__in=on_hand)
        .values_list("unit_id", flat=True)
    )
    moves = (
        UnitEvent.objects.filter(unit_id__in=candidates, action="stored")
        .order_by("unit_id", "occurred_at", "pk")
        .values_list("unit_id", "occurred_at", "data")
    )
    stays: dict[int, list[tuple[datetime, int | None]]] = {}
    for unit_id, occurred_at, data in moves:
        stays.setdefault(unit_id, []).append((occurred_at, data.get("location")))
    exposed = []
    for unit_id, history in stays.items():
        for index, (arrived, where) in enumerate(history):
            left = history[index + 1][0] if index + 1 < len(history) else None
            if where == location.pk and arrived <= end and (left is None or left > start):
                exposed.append(unit_id)
                break
    return sorted(exposed)


def _excursion_holds(
    actor: User | None, excursion: TemperatureExcursion, at: datetime, events: list[PendingEvent]
) -> PendingEvent:
    there = _units_there_during(excursion.location, excursion.started_at, excursion.ended_at or at)
    units = units_locked(list(Unit.objects.filter(pk__in=there))) if there else []
    reason = (
        f"temperature excursion at {excursion.location.name}: {excursion.extreme_c} °C "
        f"from {excursion.started_at.isoformat(timespec='minutes')}"
    )
    for unit in units:
        _, event = hold_place_locked(
            actor, unit, reason, at, kind=UnitHold.Kind.TEMPERATURE, excursion=excursion
        )
        events.append(event)
    return PendingEvent(
        "components.excursion.recorded",
        excursion,
        {
            "new": {
                "extreme_c": str(excursion.extreme_c),
                "direction": excursion.direction,
                "units_held": len(units),
            }
        },
    )


@transaction.atomic
def excursion_decide(
    *, actor: User | None, excursion: TemperatureExcursion, decision: str, note: str
) -> TemperatureExcursion:
    """The quality officer's decision: the units stayed acceptable (their holds are lifted)
    or they are discarded."""
    require_permission(actor, "components.decide_excursion")
    if decision not in (
        TemperatureExcursion.Decision.UNITS_RELEASED,
        TemperatureExcursion.Decision.UNITS_DISCARDED,
    ):
        raise ComponentsError(
            "decision: units_released or units_discarded", code="invalid_choice", field="decision"
        )
    if not note.strip():
        raise ComponentsError("note: say what the decision rests on", code="required", field="note")
    excursion = TemperatureExcursion.objects.select_for_update().get(pk=excursion.pk)
    if excursion.decision:
        raise ComponentsConflictError("excursion: already decided", code="decided", field="excursion")
    now = timezone.now()
    holds = list(excursion.holds.filter(lifted_at__isnull=True).select_related("unit"))
    units = {unit.pk: unit for unit in units_locked([hold.unit for hold in holds])} if holds else {}
    events: list[PendingEvent] = []
    for hold in holds:
        unit = units[hold.unit_id]
        hold.unit = unit
        events.append(hold_lift_locked(actor, hold, note.strip(), now))
        if decision == TemperatureExcursion.Decision.UNITS_DISCARDED and unit.status in {
            s.value for s in lifecycle.ON_HAND
        }:
            events.append(
                _move(
                    actor,
                    unit,
                    lifecycle.Status.DISCARDED,
                    max(now, unit.status_changed_at),
                    Disposition.DISCARDED.value,
                    reason=f"temperature excursion: {note.strip()}",
                    disposition=Disposition.DISCARDED,
                )
            )
    excursion.decision = decision
    excursion.decided_by = actor
    excursion.decided_at = now
    excursion.decision_note = note.strip()
    excursion.save(update_fields=["decision", "decided_by", "decided_at", "decision_note"])
    events.append(
        PendingEvent(
            "components.excursion.decided",
            excursion,
            {"new": {"decision": decision, "units": len(holds)}},
            note.strip(),
        )
    )
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return excursion
