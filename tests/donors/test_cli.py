"""``hemaops rules eligibility`` as a validation team runs it: a subprocess, JSON Lines in and
out, exit statuses 0 / 1 / 2. Also checks the documented sample against its expected output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CASES = ROOT / "docs" / "validation" / "eligibility-cases.jsonl"
SAMPLE_EXPECTED = ROOT / "docs" / "validation" / "eligibility-expected.jsonl"

GOOD = {
    "id": "good",
    "on": "2025-03-03",
    "procedure": "whole_blood",
    "donor": {"sex": "M", "birth_date": "1985-07-02"},
    "vitals": {
        "weight_kg": 72.0,
        "temperature_c": 36.7,
        "systolic_mm_hg": 122,
        "diastolic_mm_hg": 78,
        "pulse_bpm": 68,
        "pulse_regular": True,
        "hemoglobin_g_dl": 14.1,
        "hemoglobin_sample": "fingerstick",
        "phlebotomy_site_ok": True,
        "injection_drug_signs": False,
    },
}


def with_changes(identifier: str, **vitals: object) -> str:
    case = json.loads(json.dumps(GOOD))
    case["id"] = identifier
    case["vitals"].update(vitals)
    return json.dumps(case)


def run(*arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hemaops", "rules", "eligibility", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


@pytest.mark.smoke
def test_good_malformed_and_impossible_lines_give_one_line_each_and_exit_1(tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        "\n".join(
            [
                with_changes("g1"),
                "{not json",
                with_changes("hot", temperature_c=60),
                "",  # blank lines are skipped
                "[1, 2]",
                with_changes("g2", pulse_bpm=101),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = run(str(cases))
    assert result.returncode == 1
    assert result.stderr == ""
    out = lines(result.stdout)
    assert [line["id"] for line in out] == ["g1", None, "hot", None, "g2"]
    assert out[0] == {"id": "g1", "outcome": "ELIGIBLE", "eligible_on": None, "reasons": []}
    assert out[1]["error"]["code"] == "malformed_json"
    assert out[2]["error"] == {
        "code": "impossible_value",
        "message": "vitals.temperature_c: 60 °C is not a physiologically possible value (accepted 30–45 °C)",
        "field": "vitals.temperature_c",
    }
    assert out[3]["error"]["code"] == "malformed_case"
    assert out[4]["outcome"] == "REQUIRES_PHYSICIAN"
    assert out[4]["reasons"][0]["overridable_by"] == "physician"


@pytest.mark.parametrize(
    ("vitals", "field"),
    [
        ({"pulse_bpm": 0}, "vitals.pulse_bpm"),
        ({"weight_kg": 5}, "vitals.weight_kg"),
        ({"hemoglobin_g_dl": 40}, "vitals.hemoglobin_g_dl"),
    ],
)
def test_impossible_values_from_the_issue(vitals, field, tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(with_changes("x", **vitals) + "\n" + with_changes("ok") + "\n", encoding="utf-8")
    result = run(str(cases))
    assert result.returncode == 1
    bad, good = lines(result.stdout)
    assert (bad["id"], bad["error"]["code"], bad["error"]["field"]) == ("x", "impossible_value", field)
    assert good["outcome"] == "ELIGIBLE"


def test_all_good_lines_exit_0():
    result = run("-", stdin=with_changes("a") + "\n" + with_changes("b", hemoglobin_sample="earlobe") + "\n")
    assert result.returncode == 0
    out = lines(result.stdout)
    assert [(line["id"], line["outcome"]) for line in out] == [
        ("a", "ELIGIBLE"),
        ("b", "INVALID_MEASUREMENT"),
    ]


def test_standard_input_without_a_file_argument():
    result = run(stdin=with_changes("stdin") + "\n")
    assert result.returncode == 0
    assert lines(result.stdout)[0]["id"] == "stdin"


def test_a_configuration_below_a_floor_exits_2_with_a_clear_message(tmp_path):
    config = tmp_path / "establishment.json"
    config.write_text('{"intervals_days": {"whole_blood": {"whole_blood": 42}}}', encoding="utf-8")
    result = run("--config", str(config), stdin=with_changes("a") + "\n")
    assert result.returncode == 2
    assert result.stdout == ""
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert message.startswith(f"hemaops rules: --config: {config}: intervals_days.whole_blood.whole_blood: ")
    assert "42 days is below the regulatory floor of 56 days" in message


def test_a_tightening_configuration_is_applied(tmp_path):
    config = tmp_path / "establishment.json"
    config.write_text('{"intervals_days": {"whole_blood": {"whole_blood": 60}}}', encoding="utf-8")
    case = json.loads(with_changes("a"))
    case["history"] = [{"date": "2025-01-05", "procedure": "whole_blood"}]  # day 57
    result = run("--config", str(config), stdin=json.dumps(case) + "\n")
    assert result.returncode == 0
    (decision,) = lines(result.stdout)
    assert (decision["outcome"], decision["eligible_on"]) == ("INELIGIBLE_TEMPORARY", "2025-03-06")
    assert decision["reasons"][0]["overridable_by"] == "establishment_policy"


def test_a_missing_case_file_exits_2(tmp_path):
    result = run(str(tmp_path / "nowhere.jsonl"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_the_documented_sample_gives_the_documented_output_exactly():
    result = run(str(SAMPLE_CASES))
    assert result.stdout == SAMPLE_EXPECTED.read_text(encoding="utf-8")
    assert result.returncode == 1  # the sample ends with three cases that are errors


def test_the_documented_sample_covers_every_outcome_and_errors():
    expected = lines(SAMPLE_EXPECTED.read_text(encoding="utf-8"))
    cases = SAMPLE_CASES.read_text(encoding="utf-8").splitlines()
    assert len(cases) == len(expected) >= 12
    outcomes = {line["outcome"] for line in expected if "outcome" in line}
    assert outcomes == {
        "INELIGIBLE_PERMANENT",
        "INELIGIBLE_INDEFINITE",
        "INELIGIBLE_TEMPORARY",
        "INVALID_MEASUREMENT",
        "REQUIRES_PHYSICIAN",
        "ELIGIBLE_ALT_PROCEDURE",
        "ELIGIBLE",
    }
    assert any("error" in line for line in expected)
