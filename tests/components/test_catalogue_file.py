"""The product catalogue file (hemaops.components.catalogue_file): pure, no database.

Every check is one case: each missing column, each bad value (named by line and field), the
code ranges of local and ICCBBA catalogues, made_from links and loops, duplicates, the header
comment and the encoding; and the demo's own local catalogue parses.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import hemaops.components
from hemaops.components.catalogue_file import (
    COLUMNS,
    PROCEDURES,
    PROCESSES,
    PRODUCT_CLASSES,
    CatalogueFileError,
    LineError,
    parse_catalogue,
)
from hemaops.components.rules.dating import Anticoagulant, Product

LOCAL = "# hemaops product catalogue; source=local; version=2026.1"
ICCBBA = "# hemaops product catalogue; source=iccbba; version=7.81"
HEADER = ",".join(COLUMNS)
WB = "A0001,Whole blood CPD,whole_blood,whole_blood,CPD,1,6,WB,,,whole_blood"
RBC = "A0002,Red cells AS-1,red_cells,red_cells,AS-1,1,6,RBC,A0001,separation,"
FFP = "A0003,Fresh frozen plasma,plasma,plasma_ffp,CPD,-90,-18,FFP,A0001,separation,"


def catalogue(*rows: str, comment: str = LOCAL, header: str = HEADER) -> bytes:
    return "\n".join([comment, header, *rows, ""]).encode()


def errors_of(data: bytes) -> list[LineError]:
    with pytest.raises(CatalogueFileError) as caught:
        parse_catalogue(data)
    return caught.value.errors


def fields_at(errors: list[LineError]) -> list[tuple[int, str]]:
    return [(e.line, e.field) for e in errors]


def with_field(row: str, column: str, value: str) -> str:
    fields = row.split(",")
    fields[COLUMNS.index(column)] = value
    return ",".join(fields)


# --- a good file ---------------------------------------------------------------------


def test_a_good_file_gives_its_rows() -> None:
    parsed = parse_catalogue(catalogue(WB, RBC, FFP))
    assert (parsed.source, parsed.version) == ("local", "2026.1")
    wb, rbc, ffp = parsed.rows
    assert (wb.line, wb.code, wb.procedure, wb.made_from, wb.process) == (3, "A0001", "whole_blood", "", "")
    assert rbc.dating_product is Product.RED_CELLS
    assert rbc.anticoagulant is Anticoagulant.AS_1
    assert (rbc.made_from, rbc.process) == ("A0001", "separation")
    assert (ffp.storage_min_c, ffp.storage_max_c) == (Decimal(-90), Decimal(-18))


def test_columns_in_any_order_and_case_crlf_bom_and_blank_lines() -> None:
    columns = list(reversed(COLUMNS))
    header = ",".join(c.upper() for c in columns)
    row = ",".join(reversed(WB.split(",")))
    data = "\ufeff" + "\r\n".join([LOCAL, header, row, "", ""])
    (wb,) = parse_catalogue(data.encode()).rows
    assert (wb.code, wb.billable_item_code, wb.procedure) == ("A0001", "WB", "whole_blood")


def test_codes_are_matched_ignoring_case_and_stored_canonically() -> None:
    row = "A0001,Whole blood,WHOLE_BLOOD,Whole_Blood,cpd,1,6,WB,,,Whole_Blood"
    (wb,) = parse_catalogue(catalogue(row)).rows
    assert (wb.product_class, wb.dating_product, wb.anticoagulant, wb.procedure) == (
        "whole_blood",
        Product.WHOLE_BLOOD,
        Anticoagulant.CPD,
        "whole_blood",
    )


def test_an_iccbba_extract_takes_e_and_f_codes() -> None:
    rows = [WB.replace("A0001", "E0001"), RBC.replace("A0002", "F0002").replace("A0001", "E0001")]
    parsed = parse_catalogue(catalogue(*rows, comment=ICCBBA))
    assert parsed.source == "iccbba"
    assert [r.code for r in parsed.rows] == ["E0001", "F0002"]


def test_a_quoted_description_with_a_comma() -> None:
    row = with_field(WB, "description", '"Whole blood, CPD"')
    (wb,) = parse_catalogue(catalogue(row)).rows
    assert wb.description == "Whole blood, CPD"


def test_the_constants() -> None:
    assert PRODUCT_CLASSES == ("whole_blood", "red_cells", "platelets", "plasma", "cryo")
    assert "thawing_relabel" in PROCESSES
    assert len(PROCESSES) == 11


def test_procedures_are_those_of_the_donation_model() -> None:
    # This module cannot import Django; the donation model is the source of the spelling.
    from hemaops.donations.models.collection import PROCEDURES as DONATION_PROCEDURES

    assert tuple(code for code, _ in DONATION_PROCEDURES) == PROCEDURES


# --- the demo's local catalogue ------------------------------------------------------


def test_the_local_catalogue_parses() -> None:
    path = Path(hemaops.components.__file__).parent / "data" / "local_catalogue.csv"
    parsed = parse_catalogue(path.read_bytes())
    assert (parsed.source, parsed.version) == ("local", "2026.1")
    by_code = {row.code: row for row in parsed.rows}
    assert len(by_code) >= 19
    assert all(code[0] in "ABCD" for code in by_code)
    collected = {row.procedure for row in parsed.rows if row.procedure}
    assert {"whole_blood", "platelets", "plasma", "double_red_cells"} <= collected
    processes = {row.process for row in parsed.rows}
    for process in ("separation", "leukoreduction", "irradiation", "washing", "thawing_relabel", "pooling"):
        assert process in processes
    assert {"volume_reduction", "splitting"} <= processes
    for row in parsed.rows:  # storage per domain-reference §2.4
        if row.product_class in ("whole_blood", "red_cells"):
            assert (row.storage_min_c, row.storage_max_c) == (Decimal(1), Decimal(6))
        elif row.product_class == "platelets" or row.process == "pooling":  # cryo thawed to pool (§2.4)
            assert (row.storage_min_c, row.storage_max_c) == (Decimal(20), Decimal(24))
        elif row.process != "thawing_relabel":
            assert (row.storage_min_c, row.storage_max_c) == (Decimal(-90), Decimal(-18))
        # a product is either collected or made from another product of the file
        assert bool(row.procedure) != bool(row.made_from)


# --- the header comment --------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "field"),
    [
        ("code,description", "header"),
        ("# product catalogue; source=local; version=1", "header"),
        ("# hemaops product catalogue; version=1", "source"),
        ("# hemaops product catalogue; source=national; version=1", "source"),
        ("# hemaops product catalogue; source=local", "version"),
        ("# hemaops product catalogue; source=local; version=", "version"),
        ("# hemaops product catalogue; source=local; version=" + "9" * 41, "version"),
        ("# hemaops product catalogue; source=local; version=1; owner=me", "header"),
        ("# hemaops product catalogue; source=local; source=local; version=1", "header"),
    ],
)
def test_a_bad_header_comment(comment: str, field: str) -> None:
    errors = errors_of(catalogue(WB, comment=comment))
    assert (1, field) in fields_at(errors)


def test_the_header_comment_keys_in_any_order_and_case() -> None:
    parsed = parse_catalogue(catalogue(WB, comment="#hemaops product catalogue;VERSION=3;Source=LOCAL"))
    assert (parsed.source, parsed.version) == ("local", "3")


def test_an_unknown_source_still_checks_the_rest() -> None:
    bad = with_field(WB, "storage_min_c", "x")
    errors = errors_of(catalogue(bad, comment="# hemaops product catalogue; source=other; version=1"))
    assert fields_at(errors) == [(1, "source"), (3, "storage_min_c")]


# --- the column header ---------------------------------------------------------------


@pytest.mark.parametrize("column", COLUMNS)
def test_each_required_column_missing(column: str) -> None:
    keep = [c for c in COLUMNS if c != column]
    row = ",".join(v for c, v in zip(COLUMNS, WB.split(","), strict=True) if c != column)
    errors = errors_of(catalogue(row, header=",".join(keep)))
    assert fields_at(errors) == [(2, column)]
    assert "missing" in errors[0].message


def test_an_unknown_column() -> None:
    errors = errors_of(catalogue(WB + ",x", header=HEADER + ",colour"))
    assert fields_at(errors) == [(2, "header")]
    assert "'colour'" in errors[0].message


def test_a_column_given_twice() -> None:
    errors = errors_of(catalogue(WB + ",WB", header=HEADER + ",billable_item_code"))
    assert fields_at(errors) == [(2, "header")]
    assert "twice" in errors[0].message


def test_no_column_header_and_no_products() -> None:
    assert fields_at(errors_of(LOCAL.encode())) == [(2, "header")]
    assert fields_at(errors_of(catalogue())) == [(2, "file")]
    assert fields_at(errors_of(catalogue(header="hello,world"))) == [(2, "header")]


def test_a_line_with_the_wrong_number_of_fields() -> None:
    errors = errors_of(catalogue(WB, RBC + ",extra"))
    assert fields_at(errors) == [(4, "file")]


# --- each bad value ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("code", ""),
        ("code", "A001"),
        ("code", "A00011"),
        ("code", "a0001"),
        ("code", "0A001"),
        ("description", ""),
        ("description", "x" * 121),
        ("product_class", ""),
        ("product_class", "granulocytes"),
        ("dating_product", ""),
        ("dating_product", "blood"),
        ("dating_product", "plasma_ffp"),  # a plasma dating on a whole blood row
        ("anticoagulant", ""),
        ("anticoagulant", "heparin"),
        ("storage_min_c", ""),
        ("storage_min_c", "one"),
        ("storage_min_c", "NaN"),
        ("storage_min_c", "1e1"),
        ("storage_min_c", "-91"),
        ("storage_max_c", "41"),
        ("storage_max_c", "1"),  # not above the minimum
        ("storage_max_c", "0.5"),
        ("billable_item_code", ""),
        ("billable_item_code", "RBC LR"),
        ("billable_item_code", "RBC_LR"),
        ("billable_item_code", "X" * 21),
        ("process", "separation"),  # without made_from
        ("procedure", "platelets_apheresis"),
        ("procedure", "collection"),
    ],
)
def test_each_bad_value_names_line_and_field(column: str, value: str) -> None:
    errors = errors_of(catalogue(with_field(WB, column, value)))
    assert fields_at(errors) == [(3, column)]
    assert errors[0].message.startswith(f"{column}: ")


def test_limits_inclusive_and_decimals() -> None:
    row = with_field(with_field(WB, "storage_min_c", "-90.0"), "storage_max_c", "40")
    (wb,) = parse_catalogue(catalogue(row)).rows
    assert (wb.storage_min_c, wb.storage_max_c) == (Decimal("-90.0"), Decimal(40))
    (long,) = parse_catalogue(catalogue(with_field(WB, "description", "x" * 120))).rows
    assert len(long.description) == 120


@pytest.mark.parametrize("made_from", ["whole blood", "A1", "a0001"])
def test_a_made_from_that_is_not_a_code(made_from: str) -> None:
    errors = errors_of(catalogue(WB, with_field(RBC, "made_from", made_from)))
    assert fields_at(errors) == [(4, "made_from")]


@pytest.mark.parametrize("process", ["", "boiling"])
def test_made_from_needs_a_process(process: str) -> None:
    errors = errors_of(catalogue(WB, with_field(RBC, "process", process)))
    assert fields_at(errors) == [(4, "process")]


def test_made_from_and_procedure_together() -> None:
    errors = errors_of(catalogue(WB, with_field(RBC, "procedure", "whole_blood")))
    assert fields_at(errors) == [(4, "procedure")]


def test_every_bad_line_is_reported_and_no_rows() -> None:
    rows = [with_field(WB, "code", "A1"), RBC, with_field(FFP, "anticoagulant", "x"), "A0004,,,,,,,,,,"]
    errors = errors_of(catalogue(*rows))
    assert (3, "code") in fields_at(errors)
    assert (5, "anticoagulant") in fields_at(errors)
    assert {field for line, field in fields_at(errors) if line == 6} >= {
        "description",
        "product_class",
        "dating_product",
        "anticoagulant",
        "storage_min_c",
        "storage_max_c",
        "billable_item_code",
    }
    assert 4 not in [line for line, _ in fields_at(errors)]


# --- code ranges ---------------------------------------------------------------------


@pytest.mark.parametrize("code", ["E0001", "F0001", "H0001", "Z0001"])
def test_a_local_code_outside_a_to_d(code: str) -> None:
    errors = errors_of(catalogue(with_field(WB, "code", code)))
    assert fields_at(errors) == [(3, "code")]
    assert "A, B, C or D" in errors[0].message


@pytest.mark.parametrize("code", ["A0001", "B0001", "C0001", "D0001"])
def test_local_codes_a_to_d(code: str) -> None:
    (row,) = parse_catalogue(catalogue(with_field(WB, "code", code))).rows
    assert row.code == code


@pytest.mark.parametrize("code", ["A0001", "D0001", "G0001", "S1295"])
def test_an_iccbba_code_not_e_or_f(code: str) -> None:
    errors = errors_of(catalogue(with_field(WB, "code", code), comment=ICCBBA))
    assert fields_at(errors) == [(3, "code")]
    assert "E or F" in errors[0].message


# --- links ---------------------------------------------------------------------------


def test_a_duplicate_code() -> None:
    errors = errors_of(catalogue(WB, RBC, with_field(FFP, "code", "A0002")))
    assert fields_at(errors) == [(5, "code")]
    assert "line 4" in errors[0].message


def test_an_unknown_made_from() -> None:
    errors = errors_of(catalogue(WB, with_field(RBC, "made_from", "A0999")))
    assert fields_at(errors) == [(4, "made_from")]
    assert "A0999" in errors[0].message


def test_made_from_may_name_a_later_line() -> None:
    parsed = parse_catalogue(catalogue(RBC, WB))
    assert [r.code for r in parsed.rows] == ["A0002", "A0001"]


def test_a_product_made_from_itself() -> None:
    errors = errors_of(catalogue(WB, with_field(RBC, "made_from", "A0002")))
    assert fields_at(errors) == [(4, "made_from")]
    assert "A0002 → A0002" in errors[0].message


def test_a_loop_of_three_is_reported_once() -> None:
    rows = [
        WB,
        with_field(RBC, "made_from", "A0004"),  # A0002 ← A0004 ← A0003 ← A0002
        with_field(FFP, "made_from", "A0002"),
        "A0004,Cryo,cryo,cryo,CPD,-90,-18,CRYO,A0003,separation,",
        "A0005,Pooled cryo,cryo,cryo,CPD,-90,-18,CRYO-P,A0004,pooling,",  # hangs off the loop
    ]
    errors = errors_of(catalogue(*rows))
    assert fields_at(errors) == [(4, "made_from")]
    assert "loops" in errors[0].message
    assert "A0002 → A0004 → A0003 → A0002" in errors[0].message


def test_two_separate_loops() -> None:
    rows = [
        WB,
        "A0002,a,red_cells,red_cells,AS-1,1,6,X,A0003,washing,",
        "A0003,b,red_cells,red_cells,AS-1,1,6,X,A0002,washing,",
        "A0004,c,red_cells,red_cells,AS-1,1,6,X,A0004,washing,",
    ]
    errors = errors_of(catalogue(*rows))
    assert fields_at(errors) == [(4, "made_from"), (6, "made_from")]


# --- encoding ------------------------------------------------------------------------


def test_non_utf8_bytes() -> None:
    data = catalogue(WB, "A0002,Gef\xe4\xdf,red_cells,red_cells,AS-1,1,6,RBC,A0001,separation,")
    data = data.replace("Gef\xe4\xdf".encode(), "Gef\xe4\xdf".encode("latin-1"))
    errors = errors_of(data)
    assert fields_at(errors) == [(4, "file")]
    assert "UTF-8" in errors[0].message


def test_utf16_is_refused() -> None:
    errors = errors_of(catalogue(WB).decode().encode("utf-16-le"))
    assert [e.field for e in errors] == ["file"]


def test_the_error_message_lists_the_first_errors() -> None:
    rows = [with_field(WB, "code", f"bad{i}") for i in range(8)]
    with pytest.raises(CatalogueFileError) as caught:
        parse_catalogue(catalogue(*rows))
    text = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "8 error(s)" in text
    assert "line 3: code:" in text
    assert "(and 3 more)" in text
