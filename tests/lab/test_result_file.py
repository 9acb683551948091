"""The instrument result file (docs/lab-result-file.md): what a good file gives, and the error
each fault gives, on its line and column. Pure: no database."""

from __future__ import annotations

import ast
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hemaops.isbt128.din import Din
from hemaops.lab import result_file
from hemaops.lab.result_file import (
    ALLOWED_READINGS,
    ALLOWED_STAGES,
    ALLOWED_VALUES,
    COLUMNS,
    MAX_ERRORS,
    LineError,
    ResultRow,
    parse_result_file,
)
from hemaops.lab.rules import METHOD, Marker, Reading, Stage

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "samples" / "lab-results-sample.csv"
DOCS = ROOT / "docs" / "lab-result-file.md"

HEADER = ",".join(COLUMNS)
DIN = Din("W0001", "26", "000101")  # check character D
OTHER_DIN = Din("W0001", "26", "000102")
EASTERN = timezone(timedelta(hours=-5))
SEROLOGY = f"{DIN.text},anti_hbc,initial,nonreactive,,2026-11-25T09:10:00-05:00,Alinity s,ALS-01,"


def csv_file(*lines: str, header: str = HEADER, end: str = "\n") -> bytes:
    return end.join([header, *lines, ""]).encode("utf-8")


def line_with(**changes: str) -> str:
    """The serology line above with some columns changed."""
    values = dict(zip(COLUMNS, SEROLOGY.split(","), strict=True))
    values.update(changes)
    return ",".join(values[column] for column in COLUMNS)


def the_error(data: bytes) -> LineError:
    parsed = parse_result_file(data)
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


# --- Good files -----------------------------------------------------------------------------


def test_a_good_file_gives_one_row_per_line_and_no_errors():
    parsed = parse_result_file(
        csv_file(
            SEROLOGY,
            f"={OTHER_DIN.text}09,hbv_nat,pool,reactive,,2026-11-25T16:02:00Z,cobas 6800,C68-07,NP-07",
            f"{DIN.keyboard_entry},abo,forward,positive,A,2026-11-25T10:20:00-05:00,NEO Iris,NEO-03,",
        )
    )
    assert parsed.errors == []
    assert parsed.rows == [
        ResultRow(
            line=2,
            din="W000126000101",
            marker=Marker.ANTI_HBC,
            stage=Stage.INITIAL,
            reading=Reading.NONREACTIVE,
            value="",
            tested_at=datetime(2026, 11, 25, 9, 10, tzinfo=EASTERN),
            instrument="Alinity s",
            run_id="ALS-01",
            pool_id="",
        ),
        ResultRow(
            line=3,
            din="W000126000102",
            marker=Marker.HBV_NAT,
            stage=Stage.POOL,
            reading=Reading.REACTIVE,
            value="",
            tested_at=datetime(2026, 11, 25, 16, 2, tzinfo=UTC),
            instrument="cobas 6800",
            run_id="C68-07",
            pool_id="NP-07",
        ),
        ResultRow(
            line=4,
            din="W000126000101",
            marker=Marker.ABO,
            stage=Stage.FORWARD,
            reading=Reading.POSITIVE,
            value="A",
            tested_at=datetime(2026, 11, 25, 10, 20, tzinfo=EASTERN),
            instrument="NEO Iris",
            run_id="NEO-03",
            pool_id="",
        ),
    ]
    assert all(row.tested_at.utcoffset() is not None for row in parsed.rows)


def test_the_digest_is_the_sha256_of_the_raw_bytes_good_or_bad():
    good, bad = csv_file(SEROLOGY), b"\xff\xfe not a result file"
    assert parse_result_file(good).sha256 == hashlib.sha256(good).hexdigest()
    assert parse_result_file(bad).sha256 == hashlib.sha256(bad).hexdigest()


def test_a_byte_order_mark_and_windows_line_ends_are_accepted():
    parsed = parse_result_file(b"\xef\xbb\xbf" + csv_file(SEROLOGY, end="\r\n"))
    assert parsed.errors == []
    assert [(row.line, row.din, row.run_id, row.pool_id) for row in parsed.rows] == [
        (2, "W000126000101", "ALS-01", "")
    ]


def test_columns_may_come_in_any_order_and_any_case():
    header = "Pool_ID,RUN_ID,Instrument,Tested_At,Value,Reading,Stage,Marker,DIN"
    line = f",ALS-01,Alinity s,2026-11-25T09:10:00-05:00,,nonreactive,initial,anti_hbc,{DIN.text}"
    parsed = parse_result_file(csv_file(line, header=header))
    assert parsed.errors == []
    assert parsed.rows == parse_result_file(csv_file(SEROLOGY)).rows


def test_codes_are_matched_ignoring_case_and_stored_in_their_canonical_spelling():
    parsed = parse_result_file(
        csv_file(
            f"{DIN.text},ABO,Forward,Positive,ab,2026-11-25T10:20:00Z,NEO Iris,NEO-03,",
            f"{DIN.text},RhD,typing,NEGATIVE,Weak_D_Neg,2026-11-25T10:21:00Z,NEO Iris,NEO-03,",
        )
    )
    assert parsed.errors == []
    assert [(r.marker, r.stage, r.reading, r.value) for r in parsed.rows] == [
        (Marker.ABO, Stage.FORWARD, Reading.POSITIVE, "AB"),
        (Marker.RHD, Stage.TYPING, Reading.NEGATIVE, "weak_d_neg"),
    ]


def test_empty_lines_are_skipped_and_still_counted_in_line_numbers():
    data = f"\n{HEADER}\n\n{SEROLOGY}\n,,,,,,,,\n   \n{line_with(marker='hbsag')}\n\n".encode()
    parsed = parse_result_file(data)
    assert parsed.errors == []
    assert [row.line for row in parsed.rows] == [4, 7]


@pytest.mark.parametrize(
    "din",
    [
        "W000126000101",
        "W0001 26 000101",
        "W0001 26 000101 D",
        "W000126000101 D",
        "=W00012600010100",
        "=W00012600010109",
        "=W00012600010173",
        " =W00012600010109 ",
    ],
)
def test_every_spelling_of_a_din_gives_its_13_characters_without_flags_or_check_character(din):
    parsed = parse_result_file(csv_file(line_with(din=din)))
    assert parsed.errors == []
    assert parsed.rows[0].din == "W000126000101"


def test_a_quoted_value_may_hold_a_comma():
    parsed = parse_result_file(csv_file(line_with(instrument='"Alinity s, bay 2"')))
    assert parsed.errors == []
    assert parsed.rows[0].instrument == "Alinity s, bay 2"


# --- The whole table of markers, stages, readings and values -------------------------------


def _combination(marker: Marker, stage: Stage, reading: Reading) -> str:
    value = ALLOWED_VALUES.get(marker, ("",))[0]
    pool_id = "NP-07" if stage is Stage.POOL else ""
    run_id = f"R-{reading}"  # one result per run, so no line repeats another
    return f"{DIN.text},{marker},{stage},{reading},{value},2026-11-25T09:10:00Z,X1,{run_id},{pool_id}"


def test_every_marker_has_stages_and_every_allowed_combination_parses():
    assert set(ALLOWED_STAGES) == set(Marker)
    lines = [
        _combination(marker, stage, reading)
        for (marker, stage), readings in ALLOWED_READINGS.items()
        for reading in readings
    ]
    parsed = parse_result_file(csv_file(*lines))
    assert parsed.errors == []
    assert len(parsed.rows) == len(lines)


def test_every_combination_not_in_the_table_is_refused_on_its_stage_or_reading():
    refused = [
        (marker, stage, reading)
        for marker in Marker
        for stage in Stage
        for reading in Reading
        if reading not in ALLOWED_READINGS.get((marker, stage), ())
    ]
    parsed = parse_result_file(csv_file(*(_combination(*c) for c in refused)))
    assert parsed.rows == []
    fields = {error.line: error.field for error in parsed.errors}
    assert len(parsed.errors) == len(refused)  # exactly one error each
    for line, (marker, stage, _reading) in enumerate(refused, start=2):
        assert fields[line] == ("reading" if stage in ALLOWED_STAGES[marker] else "stage")


def test_the_method_decides_the_stages():
    for marker, method in METHOD.items():
        if method == "serology":
            assert ALLOWED_STAGES[marker] == (Stage.INITIAL, Stage.REPEAT, Stage.SUPPLEMENTAL)
        elif method == "nat":
            assert ALLOWED_STAGES[marker] == (Stage.POOL, Stage.INDIVIDUAL, Stage.SUPPLEMENTAL)


# --- Each fault on its line and column ------------------------------------------------------

FAULTS = [
    # (changes to a good serology line, field, the start of the message)
    ({"din": ""}, "din", "din: missing (expected a DIN"),
    ({"din": "W0001 26 000101 X"}, "din", "din: 'W0001 26 000101 X' is not a DIN: the check character"),
    ({"din": "W00012600010"}, "din", "din: 'W00012600010' is not a DIN: 12 characters without spaces"),
    ({"din": "=W00012600010160"}, "din", "din: '=W00012600010160' is not a DIN: flags 60 are a Type 3"),
    ({"din": "=W00012600010197"}, "din", "din: '=W00012600010197' is not a DIN: flags 97 are reserved"),
    ({"din": "W0O0126000101"}, "din", "din: 'W0O0126000101' is not a DIN"),
    ({"marker": "hiv"}, "marker", "marker: unknown marker 'hiv' (expected one of: anti_hiv_1_2, hiv_nat,"),
    ({"marker": ""}, "marker", "marker: missing (expected one of: anti_hiv_1_2,"),
    (
        {"stage": "screen"},
        "stage",
        "stage: unknown stage 'screen' (expected one of: initial, repeat, supplemental)",
    ),
    ({"stage": "pool", "pool_id": "NP-1"}, "stage", "stage: anti_hbc (serology) is not tested in stage pool"),
    (
        {"reading": "neg"},
        "reading",
        "reading: unknown reading 'neg' (expected one of: reactive, nonreactive, invalid)",
    ),
    (
        {"reading": "positive"},
        "reading",
        "reading: positive is not a reading of anti_hbc initial (expected one of:",
    ),
    (
        {"stage": "supplemental", "reading": "reactive"},
        "reading",
        "reading: reactive is not a reading of anti_hbc supplemental (expected one of: positive, negative, "
        "indeterminate)",
    ),
    ({"value": "A"}, "value", "value: 'A' given, but only abo and rhd lines take a value"),
    ({"tested_at": "2026-11-25T09:10:00"}, "tested_at", "tested_at: '2026-11-25T09:10:00' has no UTC offset"),
    ({"tested_at": "2026-11-25"}, "tested_at", "tested_at: '2026-11-25' has no UTC offset"),
    ({"tested_at": "25/11/2026 09:10"}, "tested_at", "tested_at: '25/11/2026 09:10' is not an ISO 8601"),
    ({"tested_at": "2026-02-30T09:10:00Z"}, "tested_at", "tested_at: '2026-02-30T09:10:00Z' is not an ISO"),
    ({"tested_at": ""}, "tested_at", "tested_at: missing"),
    ({"instrument": " "}, "instrument", "instrument: missing"),
    ({"instrument": "x" * 101}, "instrument", "instrument: 101 characters (expected at most 100)"),
    ({"run_id": ""}, "run_id", "run_id: missing"),
    ({"pool_id": "NP-1"}, "pool_id", "pool_id: 'NP-1' given for stage initial: only pool lines take one"),
]
TYPING_FAULTS = [
    ("abo,forward,positive,", "value", "value: missing (expected one of: A, B, AB, O)"),
    ("abo,forward,positive,C", "value", "value: 'C' is not a abo value (expected one of: A, B, AB, O)"),
    ("abo,typing,positive,A", "stage", "stage: abo (typing) is not tested in stage typing"),
    ("rhd,forward,positive,pos", "stage", "stage: rhd (typing) is not tested in stage forward"),
    ("rhd,typing,positive,weak_d", "value", "value: 'weak_d' is not a rhd value (expected one of: pos, neg,"),
    ("rhd,typing,indeterminate,pos", "reading", "reading: indeterminate is not a reading of rhd typing"),
    ("antibody_screen,typing,reactive,", "reading", "reading: reactive is not a reading of antibody_screen"),
    ("antibody_screen,typing,positive,pos", "value", "value: 'pos' given, but only abo and rhd lines"),
]
NAT_FAULTS = [
    ("hbv_nat,pool,reactive,", "pool_id", "pool_id: missing: a pool line names its NAT pool"),
    ("hbv_nat,individual,reactive,NP-1", "pool_id", "pool_id: 'NP-1' given for stage individual"),
    ("hbv_nat,pool,reactive," + "P" * 61, "pool_id", "pool_id: 61 characters (expected at most 60)"),
    ("hbv_nat,initial,reactive,", "stage", "stage: hbv_nat (nat) is not tested in stage initial"),
]


@pytest.mark.parametrize(("changes", "field", "message"), FAULTS)
def test_each_fault_of_a_line_is_reported_on_its_line_and_column(changes, field, message):
    error = the_error(csv_file(SEROLOGY, line_with(**changes)))
    assert (error.line, error.field) == (3, field)
    assert error.message.startswith(message), error.message


@pytest.mark.parametrize(("middle", "field", "message"), TYPING_FAULTS)
def test_each_fault_of_a_typing_line_is_reported_on_its_column(middle, field, message):
    marker, stage, reading, value = middle.split(",")
    line = line_with(marker=marker, stage=stage, reading=reading, value=value)
    error = the_error(csv_file(line))
    assert (error.line, error.field) == (2, field)
    assert error.message.startswith(message), error.message


@pytest.mark.parametrize(("middle", "field", "message"), NAT_FAULTS)
def test_each_fault_of_a_nat_line_is_reported_on_its_column(middle, field, message):
    marker, stage, reading, pool_id = middle.split(",")
    error = the_error(csv_file(line_with(marker=marker, stage=stage, reading=reading, pool_id=pool_id)))
    assert (error.line, error.field) == (2, field)
    assert error.message.startswith(message), error.message


def test_a_wrong_check_character_is_refused_without_saying_the_right_one():
    error = the_error(csv_file(line_with(din="W0001 26 000101 E")))
    assert error.field == "din"
    assert "'D'" not in error.message
    assert " D " not in error.message.replace("'W0001 26 000101 E'", "")


def test_a_line_with_the_wrong_number_of_fields_is_one_file_error():
    error = the_error(csv_file(SEROLOGY + ",extra"))
    assert (error.line, error.field) == (2, "file")
    assert error.message.startswith("file: this line has 10 fields and the header 9")


def test_every_fault_of_one_line_is_reported():
    line = "W00012600010,hiv,initial,maybe,,yesterday,,R1,"
    errors = parse_result_file(csv_file(line)).errors
    assert [(e.line, e.field) for e in errors] == [
        (2, "din"),
        (2, "marker"),
        (2, "reading"),
        (2, "tested_at"),
        (2, "instrument"),
    ]


def test_every_faulty_line_is_reported_and_only_good_lines_become_rows():
    data = csv_file(
        line_with(marker="hiv"),
        SEROLOGY,
        line_with(din="W0001 26 000101 X", marker="hbsag"),
        "",
        line_with(marker="anti_hcv", tested_at="2026-11-25 09:10"),
    )
    parsed = parse_result_file(data)
    assert [(e.line, e.field) for e in parsed.errors] == [(2, "marker"), (4, "din"), (6, "tested_at")]
    assert [row.line for row in parsed.rows] == [3]


def test_the_error_list_is_capped_with_a_last_error_counting_the_rest():
    lines = [line_with(marker="hiv", run_id=f"R{n}") for n in range(MAX_ERRORS + 234)]
    errors = parse_result_file(csv_file(*lines)).errors
    assert len(errors) == MAX_ERRORS + 1
    assert errors[MAX_ERRORS - 1] == LineError(
        MAX_ERRORS + 1, "marker", errors[0].message
    )  # the first 1,000 listed in full
    assert errors[-1] == LineError(
        0,
        "file",
        "file: 234 more errors are not listed (only the first 1,000 are); "
        "correct these and check the file again",
    )


# --- Duplicates -----------------------------------------------------------------------------


def test_the_same_result_twice_is_an_error_on_the_second_line():
    parsed = parse_result_file(csv_file(SEROLOGY, line_with(marker="hbsag"), line_with(reading="reactive")))
    assert parsed.errors == [
        LineError(
            4,
            "file",
            "file: the same result as line 2 (din, marker, stage, tested_at and run_id): "
            "a result is listed once",
        )
    ]
    assert [row.line for row in parsed.rows] == [2, 3]


def test_the_same_instant_in_another_offset_and_the_same_din_spelt_otherwise_are_duplicates():
    again = line_with(din="=W00012600010109", tested_at="2026-11-25T14:10:00Z")
    error = the_error(csv_file(SEROLOGY, again))
    assert (error.line, error.field) == (3, "file")


def test_duplicate_repeats_at_different_times_or_in_different_runs_are_not_duplicates():
    parsed = parse_result_file(
        csv_file(
            line_with(stage="repeat", tested_at="2026-11-25T13:41:05-05:00"),
            line_with(stage="repeat", tested_at="2026-11-25T13:41:50-05:00"),
            line_with(stage="repeat", tested_at="2026-11-25T13:41:50-05:00", run_id="ALS-02"),
        )
    )
    assert parsed.errors == []
    assert len(parsed.rows) == 3


# --- The file as a whole --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ((HEADER + "\n" + line_with(instrument="Analyseur é") + "\n").encode("latin-1"), 2),
        ((HEADER + "\n" + SEROLOGY + "\n").encode("utf-16"), 1),
        (b"\xff" + csv_file(SEROLOGY), 1),
    ],
    ids=["latin-1", "utf-16 with its bom", "stray byte"],
)
def test_a_file_that_is_not_utf8_is_one_file_error(data, line):
    parsed = parse_result_file(data)
    assert parsed.rows == []
    assert len(parsed.errors) == 1
    assert (parsed.errors[0].line, parsed.errors[0].field) == (line, "file")
    assert parsed.errors[0].message.startswith("file: not UTF-8 text")
    assert parsed.errors[0].message.endswith("export the file as UTF-8")


def test_utf16_without_a_byte_order_mark_is_one_file_error():
    error = the_error((HEADER + "\n" + SEROLOGY + "\n").encode("utf-16-le"))
    assert (error.line, error.field) == (1, "file")
    assert error.message.startswith("file: a NUL character on line 1")


def test_an_empty_file_is_a_header_error():
    for data in (b"", b"\n\n", b"\xef\xbb\xbf"):
        error = the_error(data)
        assert (error.line, error.field) == (1, "header")
        assert error.message == (
            "header: the file is empty (expected a header line: "
            "din,marker,stage,reading,value,tested_at,instrument,run_id,pool_id)"
        )


def test_a_header_without_results_is_a_file_error():
    assert the_error(csv_file()) == LineError(1, "file", "file: no result lines after the header")


def test_missing_columns_are_one_header_error_naming_them_and_no_line_is_checked():
    header = "din,marker,stage,reading,value,tested_at"
    parsed = parse_result_file(csv_file("garbage", header=header))
    assert parsed.rows == []
    assert parsed.errors == [
        LineError(
            1,
            "header",
            "header: missing columns instrument, run_id, pool_id (expected the columns "
            "din,marker,stage,reading,value,tested_at,instrument,run_id,pool_id, in any order)",
        )
    ]


def test_unknown_and_repeated_columns_are_header_errors_and_the_lines_are_still_checked():
    header = HEADER + ",Result,marker"
    parsed = parse_result_file(csv_file(line_with(marker="hiv") + ",x,hiv", SEROLOGY + ",y,z", header=header))
    assert [(e.line, e.field) for e in parsed.errors] == [(1, "header"), (1, "header"), (2, "marker")]
    assert parsed.errors[0].message.startswith("header: unknown columns 'Result' (expected the columns")
    assert parsed.errors[1].message.startswith("header: columns given twice: marker (expected")


def test_a_file_without_its_header_line_is_one_header_error():
    error = the_error(SEROLOGY.encode() + b"\n" + SEROLOGY.encode())
    assert (error.line, error.field) == (1, "header")
    assert error.message.startswith("header: the first line is not the header (expected the columns din,")


def test_an_unclosed_double_quote_is_reported_on_the_line_where_it_opens():
    parsed = parse_result_file(csv_file(SEROLOGY, line_with(instrument='"Alinity s'), SEROLOGY))
    assert [(e.line, e.field) for e in parsed.errors] == [(3, "file")]
    assert parsed.errors[0].message.endswith("or a double quote that is not closed)")


def test_a_field_too_long_for_csv_stops_the_reading_with_a_file_error():
    parsed = parse_result_file(
        csv_file(SEROLOGY, line_with(instrument="x" * 200_000), line_with(marker="hiv"))
    )
    assert parsed.errors == [
        LineError(3, "file", "file: not readable as CSV after line 2: field larger than field limit (131072)")
    ]


def test_a_semicolon_separated_header_gets_a_hint():
    error = the_error(csv_file(header=HEADER.replace(",", ";")))
    assert error.field == "header"
    assert error.message.startswith("header: columns are separated by commas, not semicolons (expected")


def test_more_than_max_rows_is_one_file_error(monkeypatch):
    monkeypatch.setattr(result_file, "MAX_ROWS", 3)
    lines = [line_with(run_id=f"R{n}") for n in range(4)]
    assert parse_result_file(csv_file(*lines[:3])).errors == []
    parsed = parse_result_file(csv_file("", *lines))
    assert parsed.rows == []
    assert parsed.errors == [
        LineError(
            6,
            "file",
            "file: more than 3 result lines (line 6 is one too many); "
            "split the export into files of at most 3 lines",
        )
    ]


def test_the_limit_is_200_000_rows():
    assert result_file.MAX_ROWS == 200_000


# --- The sample, and a large file -----------------------------------------------------------


def test_the_sample_file_in_the_docs_parses_without_errors():
    parsed = parse_result_file(SAMPLE.read_bytes())
    assert parsed.errors == []
    assert len(parsed.rows) == 67
    assert {row.din for row in parsed.rows} == {f"W0001260001{n:02d}" for n in range(1, 5)}
    pool = [row for row in parsed.rows if row.stage is Stage.POOL]
    assert {row.pool_id for row in pool} == {"NP-261125-07"}
    reactive_pool = {row.din for row in pool if row.reading is Reading.REACTIVE}
    resolved = {row.din for row in parsed.rows if row.stage is Stage.INDIVIDUAL}
    assert reactive_pool == resolved  # every donation of the reactive pool tested alone
    repeats = [row for row in parsed.rows if row.stage is Stage.REPEAT]
    assert [(row.din, row.marker) for row in repeats] == [("W000126000103", Marker.ANTI_HBC)] * 2
    assert {row.value for row in parsed.rows if row.marker is Marker.RHD} == {"pos", "neg", "weak_d_pos"}


def _large_file(rows: int) -> bytes:
    markers = [m for m in Marker if m not in ALLOWED_VALUES and METHOD[m] == "serology"]
    lines = [HEADER]
    spellings = (lambda d: d.text, lambda d: d.keyboard_entry, lambda d: f"={d.text}09")
    donations = rows // len(markers) + 1
    for n in range(donations):
        din = Din("W0001", "26", f"{n:06d}")
        spelling = spellings[n % 3](din)
        for i, marker in enumerate(markers):
            reading = "reactive" if n % 97 == 0 else "nonreactive"
            lines.append(
                f"{spelling},{marker},initial,{reading},,2026-11-25T{n % 24:02d}:{i:02d}:00-05:00,"
                f"Alinity s,ALS-{n // 500:04d},"
            )
    return ("\n".join(lines[: rows + 1]) + "\n").encode()


def test_a_file_of_100_000_lines_parses_completely():
    parsed = parse_result_file(_large_file(100_000))
    assert parsed.errors == []
    assert len(parsed.rows) == 100_000
    assert parsed.rows[0].line == 2
    assert parsed.rows[-1].line == 100_001
    assert parsed.rows[-1].din == Din("W0001", "26", f"{99_999 // 7:06d}").text
    # donations 0, 97, … 14_259 (148 of them), 7 lines each
    assert sum(row.reading is Reading.REACTIVE for row in parsed.rows) == 7 * 148


# --- Purity and the docs --------------------------------------------------------------------


def test_the_parser_is_pure():
    path = Path(result_file.__file__)
    source = path.read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert {name for name in imported if name.startswith("hemaops")} == {
        "hemaops.isbt128.din",
        "hemaops.isbt128.errors",
        "hemaops.lab.rules",
    }
    assert not any(name.startswith("django") for name in imported)
    for call in ("now(", "today(", "utcnow(", "time.time("):
        assert call not in source


def test_the_docs_name_every_marker_stage_and_value():
    text = DOCS.read_text(encoding="utf-8")
    for code in [*Marker, *Stage, *Reading, *COLUMNS, *(v for vs in ALLOWED_VALUES.values() for v in vs)]:
        assert f"`{code}`" in text, code


def test_every_example_in_the_docs_parses_without_errors():
    blocks = DOCS.read_text(encoding="utf-8").split("```csv\n")[1:]
    assert len(blocks) == 3
    for block in blocks:
        parsed = parse_result_file(block.split("```", 1)[0].encode())
        assert parsed.errors == []
        assert parsed.rows


def test_a_failed_typing_run_is_exported_as_invalid_with_no_value():
    data = (
        b"din,marker,stage,reading,value,tested_at,instrument,run_id,pool_id\n"
        b"W000126000101,abo,forward,invalid,,2026-11-25T10:00:00Z,Echo,E-1,\n"
    )
    parsed = parse_result_file(data)
    assert parsed.errors == []
    assert (parsed.rows[0].reading.value, parsed.rows[0].value) == ("invalid", "")
