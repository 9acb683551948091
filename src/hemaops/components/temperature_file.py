"""A temperature logger's CSV export: the readings of a fridge, freezer or platelet incubator.

Pure: no Django, no database, no clock (house style §2). ``parse_temperature_file`` checks the
whole file and raises :class:`TemperatureFileError` with every error it found (line, field,
reason); a file with any error yields no readings, so an excursion check never runs on half a
file. The readings go to ``hemaops.components.rules.temperature.excursions``. The format, for
the people who export the files: docs/component-files.md.

Loggers differ: the file's columns other than ``recorded_at`` and ``temperature_c`` are
ignored, the delimiter is a comma or (European exports) a semicolon, read from the header, and
with a semicolon the decimal separator may be a comma.

Times. A reading's time must be an instant: ISO 8601 with a UTC offset or ``Z``. A time
without an offset is refused unless the caller names the logger's ``zone``; then it is read as
local time there, with ``fold=0`` (PEP 495) and no error on daylight-saving nights:

* an ambiguous time (the repeated hour in autumn) is read as its first occurrence, the one
  before the clocks go back;
* a time that does not exist (the skipped hour in spring) is read with the offset in force
  before the change, so 02:30 on that night is 03:30 daylight time.

Both are a guess the file cannot settle; a logger that matters should export offsets. Times
are returned in UTC, which orders and compares without daylight-saving surprises.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from hemaops.components.file_errors import ErrorList, FileParseError, LineError, decode_text

__all__ = [
    "COLUMNS",
    "TEMPERATURE_HIGHEST",
    "TEMPERATURE_LOWEST",
    "LineError",
    "Reading",
    "TemperatureFileError",
    "parse_temperature_file",
]

COLUMNS: Final = ("recorded_at", "temperature_c")
#: Plausible logger readings: below −100 °C or above 60 °C is a broken probe, not a reading.
TEMPERATURE_LOWEST: Final = Decimal(-100)
TEMPERATURE_HIGHEST: Final = Decimal(60)

_TIME_EXAMPLE = "e.g. 2026-11-25T14:30:00-05:00 or 2026-11-25T19:30:00Z"
_POINT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_COMMA = re.compile(r"[+-]?(?:[0-9]+(?:,[0-9]*)?|,[0-9]+)")


@dataclass(frozen=True)
class Reading:
    line: int  # 1-based line number in the file (the header is line 1)
    recorded_at: datetime  # aware, in UTC
    temperature_c: Decimal


class TemperatureFileError(FileParseError):
    """The temperature file does not parse; ``errors`` lists every error (line, field, message)."""

    what = "temperature file"


def parse_temperature_file(data: bytes, zone: ZoneInfo | None = None) -> tuple[Reading, ...]:
    """Read a logger export (docs/component-files.md): its readings sorted by time.

    ``zone`` is the logger's time zone, used only for times written without an offset (see the
    module docstring for daylight-saving nights). Readings repeated with the same time and the
    same value (overlapping exports) are kept once; the same time with another value is an
    error, since the file would not say which temperature it was.
    Raises :class:`TemperatureFileError` with every error found.
    """
    text = decode_text(data)
    if isinstance(text, LineError):
        raise TemperatureFileError([text])
    return _Parser(zone).parse(text)


def _delimiter(text: str) -> str:
    """The header's delimiter: a semicolon when the header has one and no comma, or when only
    the semicolon splits it into the two required columns."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    if ";" not in header:
        return ","
    if "," not in header:
        return ";"
    names = {name.strip().strip('"').lower() for name in header.split(";")}
    return ";" if set(COLUMNS) <= names else ","


class _Parser:
    def __init__(self, zone: ZoneInfo | None) -> None:
        self.zone = zone
        self.errors = ErrorList()

    def parse(self, text: str) -> tuple[Reading, ...]:
        delimiter = _delimiter(text)
        readings: dict[datetime, Reading] = {}
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        previous = 0
        index: tuple[int, int] | None = None
        width = 0
        count = 0
        try:
            for fields in reader:
                line, previous = previous + 1, reader.line_num
                if not any(field.strip() for field in fields):
                    continue
                if index is None:
                    width = len(fields)
                    index = self._header(line, fields)
                    if index is None:
                        raise TemperatureFileError(self.errors.result())
                    continue
                count += 1
                if len(fields) != width:
                    hint = (
                        "; a decimal comma is read only in files separated by semicolons"
                        if delimiter == ","
                        else ""
                    )
                    self.errors.add(
                        line,
                        "file",
                        f"file: this line has {len(fields)} fields and the header {width}{hint}",
                    )
                    continue
                self._line(line, fields[index[0]].strip(), fields[index[1]].strip(), delimiter, readings)
        except csv.Error as error:
            self.errors.add(previous + 1, "file", f"file: not readable as CSV after line {previous}: {error}")
        if index is None:
            self.errors.add(
                1, "header", f"header: the file is empty (expected a header line: {','.join(COLUMNS)})"
            )
        elif not count:
            self.errors.add(previous, "file", "file: no readings after the header")
        if self.errors:
            raise TemperatureFileError(self.errors.result())
        return tuple(sorted(readings.values(), key=lambda reading: reading.recorded_at))

    def _header(self, line: int, fields: list[str]) -> tuple[int, int] | None:
        """The positions of recorded_at and temperature_c; other columns are the logger's own."""
        names = [name.strip().lower() for name in fields]
        expected = f"expected a header line with the columns {' and '.join(COLUMNS)} (others are ignored)"
        for column in COLUMNS:
            if column not in names:
                self.errors.add(line, column, f"{column}: the column is missing ({expected})")
            elif names.count(column) > 1:
                self.errors.add(line, column, f"{column}: the column is given twice ({expected})")
        if self.errors:
            return None
        return names.index(COLUMNS[0]), names.index(COLUMNS[1])

    def _line(
        self, line: int, time_raw: str, value_raw: str, delimiter: str, readings: dict[datetime, Reading]
    ) -> None:
        at = self._time(line, time_raw)
        value = self._temperature(line, value_raw, delimiter)
        if at is None or value is None:
            return
        first = readings.setdefault(at, Reading(line, at, value))
        if first.line != line and first.temperature_c != value:
            self.errors.add(
                line,
                "recorded_at",
                f"recorded_at: {time_raw} is also on line {first.line} with {first.temperature_c} °C "
                f"and here with {value} °C (a time is listed once)",
            )

    def _time(self, line: int, raw: str) -> datetime | None:
        add = self.errors.add
        if not raw:
            add(line, "recorded_at", f"recorded_at: missing (expected an ISO 8601 time, {_TIME_EXAMPLE})")
            return None
        try:
            at = datetime.fromisoformat(raw)
        except ValueError:
            add(line, "recorded_at", f"recorded_at: {raw!r} is not an ISO 8601 time ({_TIME_EXAMPLE})")
            return None
        if at.utcoffset() is None:
            if self.zone is None:
                add(
                    line,
                    "recorded_at",
                    f"recorded_at: {raw!r} needs a UTC offset or Z ({_TIME_EXAMPLE}), or the logger's "
                    "time zone given with the file",
                )
                return None
            at = at.replace(tzinfo=self.zone, fold=0)  # DST nights: see the module docstring
        return at.astimezone(UTC)

    def _temperature(self, line: int, raw: str, delimiter: str) -> Decimal | None:
        add = self.errors.add
        if _POINT.fullmatch(raw):
            value = Decimal(raw)
        elif _COMMA.fullmatch(raw):
            if delimiter != ";":
                add(
                    line,
                    "temperature_c",
                    f"temperature_c: {raw!r}: a decimal comma is read only in files separated by "
                    "semicolons (write a decimal point, e.g. 4.5)",
                )
                return None
            value = Decimal(raw.replace(",", "."))
        else:
            what = "missing" if not raw else f"{raw!r} is not a number"
            add(line, "temperature_c", f"temperature_c: {what} (expected degrees Celsius, e.g. 4.5 or -25)")
            return None
        if not TEMPERATURE_LOWEST <= value <= TEMPERATURE_HIGHEST:
            add(
                line,
                "temperature_c",
                f"temperature_c: {raw} °C is outside {TEMPERATURE_LOWEST} to {TEMPERATURE_HIGHEST} °C "
                "(a faulty probe?)",
            )
            return None
        return value
