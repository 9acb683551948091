"""``hemaops rules compatible``: JSON Lines in, JSON Lines out, through ``rules_cli.main``;
and the documented validation sample (docs/validation/compatibility-*.jsonl) against the
engine's output, so an establishment rerunning it gets exactly the expected file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hemaops.rules_cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CASES = ROOT / "docs" / "validation" / "compatibility-cases.jsonl"
SAMPLE_EXPECTED = ROOT / "docs" / "validation" / "compatibility-expected.jsonl"


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def outputs(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_good_cases_give_one_result_a_line_and_exit_0(tmp_path, capsys):
    cases = write_lines(
        tmp_path / "cases.jsonl",
        [
            json.dumps({"id": "rbc", "component": "red_cells", "recipient": "A+", "donor": "O-"}),
            "",  # blank lines are skipped
            json.dumps(
                {
                    "id": "fcbp",
                    "component": "red_cells",
                    "recipient": "O-",
                    "donor": "O+",
                    "recipient_female_of_childbearing_potential": True,
                }
            ),
            json.dumps({"id": 3, "component": "platelets", "recipient": "A+", "donor": "O+"}),
        ],
    )
    assert main(["compatible", str(cases)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    out = outputs(captured.out)
    assert [(line["id"], line["result"]) for line in out] == [
        ("rbc", "COMPATIBLE"),
        ("fcbp", "INCOMPATIBLE"),
        (3, "COMPATIBLE_WITH_WARNING"),
    ]
    assert [reason["code"] for reason in out[1]["reasons"]] == [
        "rhd_positive_to_rhd_negative",
        "rhd_positive_to_female_of_childbearing_potential",
    ]
    assert all(set(reason) == {"code", "message"} for line in out for reason in line["reasons"])


def test_bad_lines_give_an_error_each_the_rest_go_on_and_exit_1(tmp_path, capsys):
    cases = write_lines(
        tmp_path / "cases.jsonl",
        [
            json.dumps({"id": "a", "component": "plasma", "recipient": "O+", "donor": "AB-"}),
            "{not json",
            json.dumps({"id": "b", "component": "plasma", "recipient": "ABO+", "donor": "AB-"}),
            "[1, 2]",
            json.dumps(
                {
                    "id": "c",
                    "component": "cryo",
                    "recipient": "A+",
                    "donor": "A+",
                    "recipient_female_of_childbearing_potential": "yes",
                }
            ),
            json.dumps({"id": "d", "component": "blood", "recipient": "A+", "donor": "A+"}),
            json.dumps({"id": "e", "component": "whole_blood", "recipient": "B+", "donor": "B+"}),
        ],
    )
    assert main(["compatible", str(cases)]) == 1
    out = outputs(capsys.readouterr().out)
    assert [line["id"] for line in out] == ["a", None, "b", None, "c", "d", "e"]
    assert out[0]["result"] == "COMPATIBLE"
    assert out[1]["error"]["code"] == "malformed_json"
    assert out[2]["error"] == {
        "code": "malformed_blood_type",
        "message": "recipient: 'ABO+' is not a blood type: expected O, A, B or AB followed by + or - "
        "(e.g. 'A+', 'O-')",
        "field": "recipient",
    }
    assert out[3]["error"]["code"] == "malformed_case"
    assert out[4]["error"]["field"] == "recipient_female_of_childbearing_potential"
    assert out[5]["error"]["field"] == "component"
    assert out[6]["result"] == "COMPATIBLE"


def test_standard_input_is_read_when_no_file_is_given(monkeypatch, capsys):
    line = json.dumps({"id": "in", "component": "whole_blood", "recipient": "A+", "donor": "O+"})
    monkeypatch.setattr("sys.stdin", io.StringIO(line + "\n"))
    assert main(["compatible"]) == 0
    assert outputs(capsys.readouterr().out) == [
        {
            "id": "in",
            "result": "INCOMPATIBLE",
            "reasons": [
                {
                    "code": "abo_not_identical",
                    "message": "whole blood must be ABO-identical: group O to a group A recipient",
                }
            ],
        }
    ]


def test_an_unreadable_file_exits_2(tmp_path, capsys):
    assert main(["compatible", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_the_documented_sample_gives_the_expected_file(capsys):
    # The sample carries two deliberately bad cases (k14, k15) to show the error format: exit 1.
    assert main(["compatible", str(SAMPLE_CASES)]) == 1
    produced = capsys.readouterr().out
    assert produced == SAMPLE_EXPECTED.read_text(encoding="utf-8")
    results = {line["id"]: line.get("result") for line in outputs(produced)}
    assert len(results) == 15
    assert (
        results["k04"] == "INCOMPATIBLE"
    )  # RhD-positive red cells never to a female of childbearing potential


@pytest.mark.parametrize("component", ["red_cells", "plasma", "platelets", "cryo", "whole_blood"])
def test_every_component_is_accepted(tmp_path, capsys, component):
    cases = write_lines(
        tmp_path / "one.jsonl",
        [json.dumps({"id": component, "component": component, "recipient": "AB+", "donor": "AB+"})],
    )
    assert main(["compatible", str(cases)]) == 0
    assert outputs(capsys.readouterr().out) == [{"id": component, "result": "COMPATIBLE", "reasons": []}]
