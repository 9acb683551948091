"""Validation cases for ``hemaops rules expiry`` (one JSON object a line in, one out).

In::

    {"id", "product", "anticoagulant", "collected_at", "events": [{"kind", "at"}],
     "platelet_dating_days", "time_zone", "comment"}

``collected_at`` and each event's ``at`` are ISO 8601 date-times **with a UTC offset**
(``2026-03-07T12:00-08:00``); a time without an offset is an error (``naive_time``), never
read in some default zone. ``time_zone`` (optional, an IANA name) is the collection
facility's zone, which sets the calendar for day counts and the 23:59 end of day
(convention C1); it defaults to ``America/Los_Angeles``. ``events`` and
``platelet_dating_days`` are optional; ``comment`` is for the protocol's own notes.

Out: ``{"id", "expires_at": "YYYY-MM-DDTHH:MM" (local, the facility's zone),
"label_shows_time", "isbt128": "&>cyyjjjhhmm"}``, or ``{"id", "error": {"code", "message",
"field"}}``. The rules and their sources are in ``hemaops.components.rules.dating``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hemaops.components.rules.dating import (
    Anticoagulant,
    DatingError,
    Event,
    EventKind,
    Product,
    expiry,
)
from hemaops.isbt128.errors import Isbt128Error

DEFAULT_TIME_ZONE: Final = "America/Los_Angeles"
_FIELDS: Final = frozenset(
    {
        "id",
        "product",
        "anticoagulant",
        "collected_at",
        "events",
        "platelet_dating_days",
        "time_zone",
        "comment",
    }
)
_EVENT_FIELDS: Final = frozenset({"kind", "at"})
E = TypeVar("E", bound=StrEnum)


def _error(case_id: Any, code: str, message: str, field: str | None) -> dict[str, Any]:
    return {"id": case_id, "error": {"code": code, "message": message, "field": field}}


def _required(document: Mapping[str, Any], key: str, field: str) -> Any:
    value = document.get(key)
    if value is None:
        raise DatingError("missing_field", f"{field}: required", field)
    return value


def _code(kind: type[E], value: Any, field: str) -> E:
    if not isinstance(value, str):
        raise DatingError("invalid_type", f"{field}: expected a string", field)
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise DatingError(
            "unknown_code", f"{field}: unknown value {value!r} (expected one of: {allowed})", field
        ) from None


def _moment(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise DatingError("invalid_type", f"{field}: expected an ISO 8601 date-time string", field)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise DatingError(
            "invalid_value", f"{field}: {value!r} is not an ISO 8601 date-time", field
        ) from None
    if moment.tzinfo is None:
        raise DatingError(
            "naive_time", f"{field}: {value!r} has no UTC offset (write e.g. 2026-03-07T12:00-08:00)", field
        )
    return moment


def _unknown(document: Mapping[str, Any], allowed: frozenset[str], prefix: str) -> None:
    for key in document:
        if key not in allowed:
            raise DatingError("unknown_field", f"{prefix}{key}: not a field of the case", f"{prefix}{key}")


def _events(value: Any) -> list[Event]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise DatingError("invalid_type", "events: expected a list", "events")
    events = []
    for index, item in enumerate(value):
        prefix = f"events[{index}]"
        if not isinstance(item, dict):
            raise DatingError("invalid_type", f"{prefix}: expected a JSON object", prefix)
        _unknown(item, _EVENT_FIELDS, f"{prefix}.")
        kind = _code(EventKind, _required(item, "kind", f"{prefix}.kind"), f"{prefix}.kind")
        events.append(Event(kind, _moment(_required(item, "at", f"{prefix}.at"), f"{prefix}.at")))
    return events


def _zone(value: Any) -> ZoneInfo:
    if value is None:
        return ZoneInfo(DEFAULT_TIME_ZONE)
    if not isinstance(value, str) or not value:
        raise DatingError("invalid_type", "time_zone: expected an IANA time zone name", "time_zone")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise DatingError(
            "unknown_code", f"time_zone: {value!r} is not a known time zone", "time_zone"
        ) from None


def _platelet_days(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DatingError(
            "invalid_type", "platelet_dating_days: expected a whole number", "platelet_dating_days"
        )
    return value


def evaluate_expiry(case: Mapping[str, Any]) -> dict[str, Any]:
    case_id = case.get("id")
    if isinstance(case_id, bool) or not isinstance(case_id, str | int | type(None)):
        return _error(None, "invalid_type", "id: expected a string or a whole number", "id")
    try:
        _unknown(case, _FIELDS, "")
        product = _code(Product, _required(case, "product", "product"), "product")
        anticoagulant = _code(
            Anticoagulant, _required(case, "anticoagulant", "anticoagulant"), "anticoagulant"
        )
        collected_at = _moment(_required(case, "collected_at", "collected_at"), "collected_at")
        result = expiry(
            product=product,
            anticoagulant=anticoagulant,
            collected_at=collected_at,
            events=_events(case.get("events")),
            platelet_dating_days=_platelet_days(case.get("platelet_dating_days")),
            zone=_zone(case.get("time_zone")),
        )
        isbt128 = result.isbt128
    except (DatingError, Isbt128Error) as error:
        return _error(case_id, error.code, error.message, error.field)
    return {
        "id": case_id,
        "expires_at": result.expires_at.strftime("%Y-%m-%dT%H:%M"),
        "label_shows_time": result.label_shows_time,
        "isbt128": isbt128,
    }
