"""``hemaops rules expiry``: JSON Lines in, JSON Lines out, through ``rules_cli.main``; the
documented sample (docs/validation/expiry-*.jsonl) gives its expected output exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hemaops.components.expiry_validation import evaluate_expiry
from hemaops.rules_cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CASES = ROOT / "docs" / "validation" / "expiry-cases.jsonl"
SAMPLE_EXPECTED = ROOT / "docs" / "validation" / "expiry-expected.jsonl"

GOOD = {
    "id": "rbc",
    "product": "red_cells",
    "anticoagulant": "AS-1",
    "collected_at": "2026-01-10T09:00-08:00",
}


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str]) -> tuple[int, list[dict]]:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    status = main(["expiry", str(path)])
    return status, [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_good_case_gives_the_expiry_the_label_time_and_the_isbt128_structure(tmp_path, capsys):
    status, outputs = _run(tmp_path, capsys, [json.dumps(GOOD)])
    assert status == 0
    assert outputs == [
        {"id": "rbc", "expires_at": "2026-02-21T23:59", "label_shows_time": False, "isbt128": "&>0260522359"}
    ]


def test_a_mixed_file_gives_one_line_per_case_and_exit_status_1(tmp_path, capsys):
    lines = [
        json.dumps(GOOD),
        "{not json",
        json.dumps({**GOOD, "id": "typo", "prodcut": "x"}),
        json.dumps({**GOOD, "id": 7, "events": [{"kind": "irradiated", "at": "2026-01-12T14:00-08:00"}]}),
    ]
    status, outputs = _run(tmp_path, capsys, lines)
    assert status == 1
    assert [output["id"] for output in outputs] == ["rbc", None, "typo", 7]
    assert outputs[1]["error"]["code"] == "malformed_json"
    assert outputs[2]["error"] == {
        "code": "unknown_field",
        "message": "prodcut: not a field of the case",
        "field": "prodcut",
    }
    assert outputs[3]["expires_at"] == "2026-02-09T23:59"


# (changes to the good case, error code, field)
FIELD_ERRORS = [
    ({"product": None}, "missing_field", "product"),
    ({"product": "granulocytes"}, "unknown_code", "product"),
    ({"anticoagulant": "heparin"}, "unknown_code", "anticoagulant"),
    ({"anticoagulant": 3}, "invalid_type", "anticoagulant"),
    ({"collected_at": "2026-01-10T09:00"}, "naive_time", "collected_at"),
    ({"collected_at": "10/01/2026"}, "invalid_value", "collected_at"),
    ({"time_zone": "Mars/Olympus"}, "unknown_code", "time_zone"),
    ({"events": {"kind": "washed"}}, "invalid_type", "events"),
    ({"events": [{"kind": "frozen", "at": "2026-01-11T09:00-08:00"}]}, "unknown_code", "events[0].kind"),
    ({"events": [{"kind": "washed"}]}, "missing_field", "events[0].at"),
    ({"events": [{"kind": "washed", "at": "2026-01-11T09:00"}]}, "naive_time", "events[0].at"),
    (
        {"events": [{"kind": "washed", "at": "2026-01-11T09:00-08:00", "by": "x"}]},
        "unknown_field",
        "events[0].by",
    ),
    ({"platelet_dating_days": "7"}, "invalid_type", "platelet_dating_days"),
    ({"platelet_dating_days": 7}, "not_applicable", "platelet_dating_days"),
    ({"collected_at": "2100-01-10T09:00-08:00"}, "unsupported_century", "date"),
]


@pytest.mark.parametrize(("changes", "code", "field"), FIELD_ERRORS)
def test_a_wrong_field_gives_an_error_naming_it(changes, code, field):
    result = evaluate_expiry({**GOOD, **changes})
    assert result["id"] == "rbc"
    assert (result["error"]["code"], result["error"]["field"]) == (code, field)


def test_the_time_zone_defaults_to_los_angeles():
    # 2026-01-11T05:00Z is the 10th in Los Angeles, the 11th in UTC
    case = {"id": 1, "product": "platelets", "anticoagulant": "ACD", "collected_at": "2026-01-11T05:00+00:00"}
    assert evaluate_expiry(case)["expires_at"] == "2026-01-15T23:59"
    assert evaluate_expiry({**case, "time_zone": "UTC"})["expires_at"] == "2026-01-16T23:59"


def test_the_documented_sample_gives_the_documented_output_exactly(capsys):
    status = main(["expiry", str(SAMPLE_CASES)])
    assert capsys.readouterr().out == SAMPLE_EXPECTED.read_text(encoding="utf-8")
    assert status == 1  # the sample ends with three errors


def test_the_documented_sample_has_a_dozen_cases_and_errors():
    expected = [json.loads(line) for line in SAMPLE_EXPECTED.read_text(encoding="utf-8").splitlines()]
    assert len(expected) == len(SAMPLE_CASES.read_text(encoding="utf-8").splitlines()) >= 12
    assert sum("error" in line for line in expected) == 3
    assert {line["label_shows_time"] for line in expected if "error" not in line} == {True, False}
