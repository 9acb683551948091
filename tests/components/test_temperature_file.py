"""A temperature logger's CSV (hemaops.components.temperature_file): pure, no database.

Delimiters and decimal commas, the byte order mark, offsets and Z, naive times with and
without the logger's zone (daylight-saving nights included), duplicates, out-of-range values,
unsorted input; every bad line reported, and a bad file gives no readings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from hemaops.components.temperature_file import (
    LineError,
    Reading,
    TemperatureFileError,
    parse_temperature_file,
)

NY = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def parse(*lines: str, zone: ZoneInfo | None = None) -> tuple[Reading, ...]:
    return parse_temperature_file("\n".join([*lines, ""]).encode(), zone)


def errors_of(*lines: str, zone: ZoneInfo | None = None) -> list[LineError]:
    with pytest.raises(TemperatureFileError) as caught:
        parse(*lines, zone=zone)
    assert isinstance(caught.value, ValueError)
    return caught.value.errors


def fields_at(errors: list[LineError]) -> list[tuple[int, str]]:
    return [(e.line, e.field) for e in errors]


def test_a_comma_file_with_z_and_offsets() -> None:
    readings = parse(
        "recorded_at,temperature_c",
        "2026-11-25T10:00:00Z,4.0",
        "2026-11-25T05:05:00-05:00,4.5",
        "2026-11-25T11:10:00+01:00,-2",
    )
    assert readings == (
        Reading(2, utc("2026-11-25T10:00:00"), Decimal("4.0")),
        Reading(3, utc("2026-11-25T10:05:00"), Decimal("4.5")),
        Reading(4, utc("2026-11-25T10:10:00"), Decimal(-2)),
    )
    assert all(r.recorded_at.tzinfo is UTC for r in readings)


def test_semicolons_with_decimal_commas_other_columns_and_header_case() -> None:
    readings = parse(
        "Sensor;Recorded_At;Serial;TEMPERATURE_C",
        "F1;2026-11-25T10:00:00Z;SN9;4,25",
        "F1;2026-11-25T10:05:00Z;SN9;-18.5",
        "F1;2026-11-25T10:10:00Z;SN9;-0,5",
    )
    assert [r.temperature_c for r in readings] == [Decimal("4.25"), Decimal("-18.5"), Decimal("-0.5")]


def test_a_decimal_comma_in_a_comma_file() -> None:
    errors = errors_of("recorded_at,temperature_c", "2026-11-25T10:00:00Z,4,5")
    assert fields_at(errors) == [(2, "file")]
    assert "semicolons" in errors[0].message
    quoted = errors_of("recorded_at,temperature_c", '2026-11-25T10:00:00Z,"4,5"')
    assert fields_at(quoted) == [(2, "temperature_c")]


def test_a_byte_order_mark_and_crlf() -> None:
    data = "\ufeffrecorded_at,temperature_c\r\n2026-11-25T10:00:00Z,4\r\n".encode()
    (reading,) = parse_temperature_file(data)
    assert reading == Reading(2, utc("2026-11-25T10:00:00"), Decimal(4))


def test_unsorted_input_is_returned_sorted() -> None:
    readings = parse(
        "recorded_at,temperature_c",
        "2026-11-25T10:10:00Z,3",
        "2026-11-25T10:00:00Z,1",
        "2026-11-25T10:05:00Z,2",
    )
    assert [r.line for r in readings] == [3, 4, 2]
    assert [r.temperature_c for r in readings] == [1, 2, 3]


def test_a_time_without_offset_needs_one() -> None:
    errors = errors_of("recorded_at,temperature_c", "2026-11-25T10:00:00,4")
    assert fields_at(errors) == [(2, "recorded_at")]
    assert "needs a UTC offset" in errors[0].message


def test_a_time_without_offset_read_in_the_zone_given() -> None:
    (reading,) = parse("recorded_at,temperature_c", "2026-11-25T10:00:00,4", zone=NY)
    assert reading.recorded_at == utc("2026-11-25T15:00:00")


def test_an_offset_wins_over_the_zone() -> None:
    (reading,) = parse("recorded_at,temperature_c", "2026-11-25T10:00:00Z,4", zone=NY)
    assert reading.recorded_at == utc("2026-11-25T10:00:00")


def test_an_ambiguous_local_time_is_its_first_occurrence() -> None:
    # 1 Nov 2026, New York: 01:30 happens twice (EDT, then EST); fold=0 is the first, EDT.
    (reading,) = parse("recorded_at,temperature_c", "2026-11-01T01:30:00,4", zone=NY)
    assert reading.recorded_at == utc("2026-11-01T05:30:00")


def test_a_nonexistent_local_time_takes_the_offset_before_the_change() -> None:
    # 8 Mar 2026, New York: 02:30 does not exist; read with EST (−5): 07:30 UTC = 03:30 EDT.
    (reading,) = parse("recorded_at,temperature_c", "2026-03-08T02:30:00,4", zone=NY)
    assert reading.recorded_at == utc("2026-03-08T07:30:00")


def test_the_same_instant_twice_with_another_value() -> None:
    errors = errors_of(
        "recorded_at,temperature_c",
        "2026-11-25T10:00:00Z,4",
        "2026-11-25T05:00:00-05:00,5",
    )
    assert fields_at(errors) == [(3, "recorded_at")]
    assert "line 2" in errors[0].message


def test_the_same_reading_twice_is_kept_once() -> None:
    readings = parse(
        "recorded_at,temperature_c",
        "2026-11-25T10:00:00Z,4",
        "2026-11-25T10:05:00Z,4.5",
        "2026-11-25T10:00:00Z,4.0",
    )
    assert [(r.line, r.temperature_c) for r in readings] == [(2, Decimal(4)), (3, Decimal("4.5"))]


@pytest.mark.parametrize("value", ["-100.1", "60.01", "200", "-273"])
def test_a_temperature_out_of_range(value: str) -> None:
    errors = errors_of("recorded_at,temperature_c", f"2026-11-25T10:00:00Z,{value}")
    assert fields_at(errors) == [(2, "temperature_c")]
    assert "outside" in errors[0].message


@pytest.mark.parametrize("value", ["-100", "60", "0", "+4", ".5", "-80.25"])
def test_a_temperature_in_range(value: str) -> None:
    (reading,) = parse("recorded_at,temperature_c", f"2026-11-25T10:00:00Z,{value}")
    assert reading.temperature_c == Decimal(value)


@pytest.mark.parametrize("value", ["", "warm", "NaN", "inf", "1e2", "4.5°C", "1,234.5"])
def test_a_temperature_that_is_not_a_number(value: str) -> None:
    errors = errors_of("recorded_at;temperature_c", f"2026-11-25T10:00:00Z;{value}")
    assert fields_at(errors) == [(2, "temperature_c")]


@pytest.mark.parametrize("value", ["", "yesterday", "2026-13-01T00:00:00Z", "25/11/2026 10:00"])
def test_a_time_that_is_not_iso_8601(value: str) -> None:
    errors = errors_of("recorded_at,temperature_c", f"{value},4")
    assert fields_at(errors) == [(2, "recorded_at")]


@pytest.mark.parametrize(
    ("header", "fields"),
    [
        ("time,temperature_c", ["recorded_at"]),
        ("recorded_at,temp", ["temperature_c"]),
        ("sensor,serial", ["recorded_at", "temperature_c"]),
        ("recorded_at,temperature_c,recorded_at", ["recorded_at"]),
    ],
)
def test_a_header_without_the_columns(header: str, fields: list[str]) -> None:
    errors = errors_of(header, "2026-11-25T10:00:00Z,4,x")
    assert fields_at(errors) == [(1, field) for field in fields]


@pytest.mark.parametrize("data", [b"", b"\n\n", "\ufeff".encode()])
def test_an_empty_file(data: bytes) -> None:
    with pytest.raises(TemperatureFileError) as caught:
        parse_temperature_file(data)
    assert fields_at(caught.value.errors) == [(1, "header")]


def test_a_header_only() -> None:
    assert fields_at(errors_of("recorded_at,temperature_c")) == [(1, "file")]


def test_every_bad_line_is_reported_and_no_readings() -> None:
    errors = errors_of(
        "recorded_at,temperature_c,sensor",
        "2026-11-25T10:00:00Z,4,a",
        "2026-11-25T10:05:00,4,a",
        "2026-11-25T10:10:00Z,99,a",
        "2026-11-25T10:15:00Z,4",
        "bad,worse,a",
    )
    assert fields_at(errors) == [
        (3, "recorded_at"),
        (4, "temperature_c"),
        (5, "file"),
        (6, "recorded_at"),
        (6, "temperature_c"),
    ]


def test_non_utf8_bytes() -> None:
    data = "recorded_at,temperature_c,sensor\n2026-11-25T10:00:00Z,4,Kühl\n".encode("latin-1")
    with pytest.raises(TemperatureFileError) as caught:
        parse_temperature_file(data)
    assert fields_at(caught.value.errors) == [(2, "file")]
