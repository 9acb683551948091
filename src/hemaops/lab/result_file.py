"""The instrument result file: a CSV export of test results, read and checked whole.

Pure: no Django, no database, no clock (house style §2). ``parse_result_file`` never raises
on bad input: it returns every row it could read and every error it found, each with its line
and column. The import service saves the rows only when ``errors`` is empty, so a bad file is
refused whole, and it keys the import on ``sha256``, so importing the same file twice changes
nothing. The format, for the people who configure instrument exports: docs/lab-result-file.md.

Which stages, readings and values a marker takes follows ``hemaops.lab.rules`` (METHOD and the
interpretation rules there); DINs are read by ``hemaops.isbt128.din`` (ICCBBA ST-001 §2.4.1,
§7.5).
"""

from __future__ import annotations

import csv
import hashlib
import io
import operator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hemaops.isbt128.din import parse_din
from hemaops.isbt128.errors import Isbt128Error
from hemaops.lab.rules import METHOD, Marker, Method, Reading, Stage

__all__ = [
    "ALLOWED_READINGS",
    "ALLOWED_STAGES",
    "ALLOWED_VALUES",
    "COLUMNS",
    "MAX_ERRORS",
    "MAX_ROWS",
    "LineError",
    "ParsedFile",
    "ResultRow",
    "parse_result_file",
]

COLUMNS: Final = (
    "din",
    "marker",
    "stage",
    "reading",
    "value",
    "tested_at",
    "instrument",
    "run_id",
    "pool_id",
)
MAX_ROWS = 200_000
#: Errors listed in full; past this, one last "file" error says how many more there are.
MAX_ERRORS: Final = 1_000
#: The line of an error about the file as a whole (the error cap).
FILE_LINE: Final = 0
#: Column lengths the database holds (lab.models.TestResult, NatPool).
MAX_LENGTHS: Final = {"instrument": 100, "run_id": 100, "pool_id": 60}

_SEROLOGY_STAGES = (Stage.INITIAL, Stage.REPEAT, Stage.SUPPLEMENTAL)
_NAT_STAGES = (Stage.POOL, Stage.INDIVIDUAL, Stage.SUPPLEMENTAL)

#: The stages each marker is tested in.
ALLOWED_STAGES: Final[dict[Marker, tuple[Stage, ...]]] = {
    **{m: _SEROLOGY_STAGES for m, method in METHOD.items() if method is Method.SEROLOGY},
    **{m: _NAT_STAGES for m, method in METHOD.items() if method is Method.NAT},
    Marker.ABO: (Stage.FORWARD, Stage.REVERSE),
    Marker.RHD: (Stage.TYPING,),
    Marker.ANTIBODY_SCREEN: (Stage.TYPING,),
}

#: The values a typing line carries (rules.interpret_typing); every other marker takes none.
ALLOWED_VALUES: Final[dict[Marker, tuple[str, ...]]] = {
    Marker.ABO: ("A", "B", "AB", "O"),
    Marker.RHD: ("pos", "neg", "weak_d_pos", "weak_d_neg"),
}


def _readings(marker: Marker, stage: Stage) -> tuple[Reading, ...]:
    if stage is Stage.SUPPLEMENTAL:  # a licensed supplemental test, 21 CFR 610.40(e)
        return (Reading.POSITIVE, Reading.NEGATIVE, Reading.INDETERMINATE)
    if METHOD[marker] is not Method.TYPING:
        return (Reading.REACTIVE, Reading.NONREACTIVE, Reading.INVALID)
    # A failed typing run is exported as invalid (with no value): it counts for nothing, the
    # typing is done again.
    if marker in ALLOWED_VALUES:  # the value is the answer; the reading may be either pair
        return (Reading.POSITIVE, Reading.NEGATIVE, Reading.REACTIVE, Reading.NONREACTIVE, Reading.INVALID)
    return (Reading.POSITIVE, Reading.NEGATIVE, Reading.INVALID)


#: The readings each (marker, stage) takes.
ALLOWED_READINGS: Final[dict[tuple[Marker, Stage], tuple[Reading, ...]]] = {
    (marker, stage): _readings(marker, stage) for marker, stages in ALLOWED_STAGES.items() for stage in stages
}

# Codes are matched ignoring case and stored in their canonical spelling.
_MARKERS: Final = {m.value: m for m in Marker}
_STAGES: Final = {s.value: s for s in Stage}
_READINGS: Final = {r.value: r for r in Reading}
_VALUES: Final = {marker: {v.lower(): v for v in values} for marker, values in ALLOWED_VALUES.items()}
_COMBINATIONS: Final = {
    (marker.value, stage.value, reading.value): (marker, stage, reading)
    for (marker, stage), readings in ALLOWED_READINGS.items()
    for reading in readings
}

_DIN_EXAMPLE = (
    "the 13 characters such as W000126000101, optionally a space and the check character after them, "
    "or the scanned data such as =W00012600010100"
)
_TIME_EXAMPLE = "e.g. 2026-11-25T14:30:00-05:00 or 2026-11-25T19:30:00Z"


@dataclass(frozen=True, slots=True)
class ResultRow:
    line: int  # 1-based line number in the file (the header is line 1)
    din: str  # the 13-character DIN, e.g. "W000125000042" (no flags, no check character)
    marker: Marker
    stage: Stage
    reading: Reading
    value: str  # "" or the typing value: A/B/AB/O for ABO, pos/neg/weak_d_pos/weak_d_neg for RhD
    tested_at: datetime  # timezone-aware
    instrument: str
    run_id: str
    pool_id: str  # "" unless a NAT pool result (stage "pool")


@dataclass(frozen=True, slots=True)
class LineError:
    line: int  # 1-based; 0 for the file as a whole (the error cap)
    field: str  # the column at fault, or "file" / "header"
    message: str  # what is wrong and what was expected


@dataclass(frozen=True)
class ParsedFile:
    """``rows`` holds the lines that passed every check; import only when ``errors`` is empty."""

    sha256: str  # hex digest of the raw bytes
    rows: list[ResultRow]
    errors: list[LineError]


def _choices(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


class _Errors:
    """The first MAX_ERRORS errors, and a count of the rest."""

    def __init__(self) -> None:
        self.listed: list[LineError] = []
        self.unlisted = 0

    def add(self, line: int, field: str, message: str) -> None:
        if len(self.listed) < MAX_ERRORS:
            self.listed.append(LineError(line, field, message))
        else:
            self.unlisted += 1

    def result(self) -> list[LineError]:
        if not self.unlisted:
            return self.listed
        more = LineError(
            FILE_LINE,
            "file",
            f"file: {self.unlisted:,} more errors are not listed (only the first {MAX_ERRORS:,} are); "
            "correct these and check the file again",
        )
        return [*self.listed, more]


def parse_result_file(data: bytes) -> ParsedFile:
    """Read an instrument result file (docs/lab-result-file.md) and check every line of it."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")  # a byte order mark is accepted and dropped
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = (
            f"file: not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); export the file as UTF-8"
        )
        return ParsedFile(digest, [], [LineError(line, "file", message)])
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        message = f"file: a NUL character on line {line}: not UTF-8 text (UTF-16?); export the file as UTF-8"
        return ParsedFile(digest, [], [LineError(line, "file", message)])
    return _Parser(digest).parse(text)


class _Parser:
    def __init__(self, digest: str) -> None:
        self.digest = digest
        self.errors = _Errors()
        self.rows: list[ResultRow] = []
        # An export repeats the same DINs and timestamps many times: read each once.
        self.dins: dict[str, tuple[str, str]] = {}
        self.times: dict[str, datetime | str] = {}
        self.seen: dict[tuple[str, str, str, datetime, str], int] = {}

    def parse(self, text: str) -> ParsedFile:
        reader = csv.reader(io.StringIO(text, newline=""))
        previous = 0
        index: dict[str, int] | None = None
        width = 0
        data_rows = 0
        try:
            for fields in reader:
                line, previous = previous + 1, reader.line_num
                if not fields or (not fields[0].strip() and not any(f.strip() for f in fields)):
                    continue  # an empty line
                if index is None:
                    index = self._header(line, fields)
                    if index is None:
                        return self._done()
                    width = len(fields)
                    pick = operator.itemgetter(*(index[column] for column in COLUMNS))
                    continue
                data_rows += 1
                if data_rows > MAX_ROWS:
                    message = (
                        f"file: more than {MAX_ROWS:,} result lines (line {line} is one too many); "
                        f"split the export into files of at most {MAX_ROWS:,} lines"
                    )
                    return ParsedFile(self.digest, [], [LineError(line, "file", message)])
                if len(fields) != width:
                    self.errors.add(
                        line,
                        "file",
                        f"file: this line has {len(fields)} fields and the header {width} "
                        "(a missing or extra comma, a value with a comma that is not in double quotes, "
                        "or a double quote that is not closed)",
                    )
                    continue
                self._line(line, pick(fields))
        except csv.Error as error:
            self.errors.add(previous + 1, "file", f"file: not readable as CSV after line {previous}: {error}")
            return self._done()
        if index is None:
            message = f"header: the file is empty (expected a header line: {','.join(COLUMNS)})"
            self.errors.add(1, "header", message)
        elif not data_rows:
            self.errors.add(previous, "file", "file: no result lines after the header")
        return self._done()

    def _done(self) -> ParsedFile:
        return ParsedFile(self.digest, self.rows, self.errors.result())

    def _header(self, line: int, fields: list[str]) -> dict[str, int] | None:
        """The position of each column, or None when a column is missing."""
        names = [name.strip().lower() for name in fields]
        expected = f"expected the columns {','.join(COLUMNS)}, in any order"
        missing = [column for column in COLUMNS if column not in names]
        unknown = [name.strip() for name in fields if name.strip().lower() not in COLUMNS]
        repeated = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
        if len(names) == 1 and ";" in names[0]:
            self.errors.add(
                line, "header", f"header: columns are separated by commas, not semicolons ({expected})"
            )
            return None
        if not set(names) & set(COLUMNS):
            self.errors.add(line, "header", f"header: the first line is not the header ({expected})")
            return None
        if missing:
            self.errors.add(line, "header", f"header: missing columns {_choices(missing)} ({expected})")
        if unknown:
            listed = _choices([repr(name) for name in unknown])
            self.errors.add(line, "header", f"header: unknown columns {listed} ({expected})")
        if repeated:
            self.errors.add(line, "header", f"header: columns given twice: {_choices(repeated)} ({expected})")
        if missing:
            return None
        # With unknown or repeated columns the file is refused, but its lines are still checked.
        return {column: names.index(column) for column in COLUMNS}

    def _line(self, line: int, fields: tuple[str, ...]) -> None:
        """Check one line (its fields in COLUMNS order); keep it as a row when nothing is wrong."""
        din_raw, marker_raw, stage_raw, reading_raw, value_raw, time_raw, instrument, run_id, pool_id = map(
            str.strip, fields
        )
        add = self.errors.add
        ok = True

        din, din_error = self.dins.get(din_raw) or self._din(din_raw)
        if din_error:
            add(line, "din", din_error)
            ok = False

        # The usual case, a valid combination, is one look-up; otherwise say what is wrong.
        marker: Marker | None
        stage: Stage | None
        reading: Reading | None
        combination = _COMBINATIONS.get((marker_raw.lower(), stage_raw.lower(), reading_raw.lower()))
        if combination is not None:
            marker, stage, reading = combination
        else:
            marker, stage, reading = self._combination(line, marker_raw, stage_raw, reading_raw)
            ok = False

        value = value_raw
        if marker is not None:
            values = _VALUES.get(marker)
            if values is None:
                if value_raw:
                    add(
                        line,
                        "value",
                        f"value: {value_raw!r} given, but only abo and rhd lines take a value "
                        "(leave it empty)",
                    )
                    ok = False
            elif not (reading is Reading.INVALID and not value_raw):
                value = values.get(value_raw.lower(), "")
                if not value:
                    what = "missing" if not value_raw else f"{value_raw!r} is not a {marker} value"
                    add(line, "value", f"value: {what} (expected one of: {_choices(ALLOWED_VALUES[marker])})")
                    ok = False

        tested_at = self.times.get(time_raw) or self._time(time_raw)
        if isinstance(tested_at, str):
            add(line, "tested_at", tested_at)
            ok = False

        if not instrument or len(instrument) > MAX_LENGTHS["instrument"]:
            self._text_error(line, "instrument", instrument, "the instrument's name")
            ok = False
        if not run_id or len(run_id) > MAX_LENGTHS["run_id"]:
            self._text_error(line, "run_id", run_id, "the instrument's run or batch")
            ok = False

        if stage is Stage.POOL and not pool_id:
            add(line, "pool_id", "pool_id: missing: a pool line names its NAT pool (expected the pool's id)")
            ok = False
        elif pool_id and stage is not None and stage is not Stage.POOL:
            add(line, "pool_id", f"pool_id: {pool_id!r} given for stage {stage}: only pool lines take one")
            ok = False
        elif len(pool_id) > MAX_LENGTHS["pool_id"]:
            self._text_error(line, "pool_id", pool_id, "")
            ok = False

        if not ok or marker is None or stage is None or reading is None or isinstance(tested_at, str):
            return
        key = (din, marker_raw.lower(), stage_raw.lower(), tested_at, run_id)
        first = self.seen.setdefault(key, line)
        if first != line:
            add(
                line,
                "file",
                f"file: the same result as line {first} (din, marker, stage, tested_at and run_id): "
                "a result is listed once",
            )
            return
        self.rows.append(
            ResultRow(line, din, marker, stage, reading, value, tested_at, instrument, run_id, pool_id)
        )

    def _combination(
        self, line: int, marker_raw: str, stage_raw: str, reading_raw: str
    ) -> tuple[Marker | None, Stage | None, Reading | None]:
        """Report what is wrong with a marker, stage and reading that do not go together."""
        add = self.errors.add
        marker = _MARKERS.get(marker_raw.lower())
        if marker is None:
            what = "missing" if not marker_raw else f"unknown marker {marker_raw!r}"
            add(line, "marker", f"marker: {what} (expected one of: {_choices(list(_MARKERS))})")

        stage = _STAGES.get(stage_raw.lower())
        if stage is None:
            what = "missing" if not stage_raw else f"unknown stage {stage_raw!r}"
            expected = ALLOWED_STAGES[marker] if marker is not None else tuple(Stage)
            add(line, "stage", f"stage: {what} (expected one of: {_choices(expected)})")
        elif marker is not None and stage not in ALLOWED_STAGES[marker]:
            add(
                line,
                "stage",
                f"stage: {marker} ({METHOD[marker]}) is not tested in stage {stage} "
                f"(expected one of: {_choices(ALLOWED_STAGES[marker])})",
            )

        reading = _READINGS.get(reading_raw.lower())
        allowed = ALLOWED_READINGS.get((marker, stage)) if marker is not None and stage is not None else None
        if reading is None:
            what = "missing" if not reading_raw else f"unknown reading {reading_raw!r}"
            expected_readings = allowed or tuple(Reading)
            add(line, "reading", f"reading: {what} (expected one of: {_choices(expected_readings)})")
        elif allowed is not None and reading not in allowed:
            add(
                line,
                "reading",
                f"reading: {reading} is not a reading of {marker} {stage} "
                f"(expected one of: {_choices(allowed)})",
            )
        return marker, stage, reading

    def _din(self, raw: str) -> tuple[str, str]:
        if not raw:
            found = ("", f"din: missing (expected a DIN: {_DIN_EXAMPLE})")
        else:
            try:
                found = (parse_din(raw).text, "")
            except Isbt128Error as error:
                found = ("", f"din: {raw!r} is not a DIN: {error.message} (expected {_DIN_EXAMPLE})")
        self.dins[raw] = found
        return found

    def _time(self, raw: str) -> datetime | str:
        found: datetime | str
        if not raw:
            found = (
                "tested_at: missing (expected an ISO 8601 date and time with its UTC offset, "
                f"{_TIME_EXAMPLE})"
            )
        else:
            try:
                at = datetime.fromisoformat(raw)
            except ValueError:
                found = (
                    f"tested_at: {raw!r} is not an ISO 8601 date and time "
                    f"(expected one with its UTC offset, {_TIME_EXAMPLE})"
                )
            else:
                found = (
                    at
                    if at.utcoffset() is not None
                    else f"tested_at: {raw!r} has no UTC offset (expected an offset or Z, {_TIME_EXAMPLE})"
                )
        self.times[raw] = found
        return found

    def _text_error(self, line: int, column: str, value: str, what: str) -> None:
        if not value:
            self.errors.add(line, column, f"{column}: missing (expected {what})")
        else:
            message = f"{column}: {len(value)} characters (expected at most {MAX_LENGTHS[column]})"
            self.errors.add(line, column, message)
