"""``hemaops rules din``, end to end in a subprocess: JSON Lines in, JSON Lines out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEMAOPS = [sys.executable, "-m", "hemaops"]

GOOD = [
    {"id": "typed", "input": "A9999 21 123456 3"},
    {"id": "scanned", "input": "=G12341765432170"},
    {"id": "plain", "input": "W000009123456"},
]
BAD = [
    {"id": "wrong-k", "input": "A9999 21 123456 4"},
    {"id": "no-input"},
    {"id": "bad-flags", "input": "=G12341765432171"},
]


def _bare_environment(home: Path) -> dict[str, str]:
    """The environment without secrets, database or settings, and an empty home."""
    removed = {"SECRET_KEY", "HEMAOPS_AUDIT_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    environment = {key: value for key, value in os.environ.items() if key not in removed}
    environment["HEMAOPS_HOME"] = str(home)
    return environment


def _run(args: list[str], home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HEMAOPS, "rules", "din", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_bare_environment(home),
        cwd=home,
        timeout=60,
        check=False,
    )


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _outputs(result: subprocess.CompletedProcess[str]) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    directory = tmp_path / "home"
    directory.mkdir()
    return directory


@pytest.mark.smoke
def test_mixed_file_gives_one_line_per_case_and_exit_status_1(home, tmp_path):
    lines = [
        json.dumps(GOOD[0]),
        json.dumps(BAD[0]),
        "{not json",
        json.dumps(GOOD[1]),
        json.dumps(BAD[1]),
        "[1, 2]",
        json.dumps(BAD[2]),
        json.dumps(GOOD[2]),
    ]
    cases = _write_lines(tmp_path / "cases.jsonl", lines)
    result = _run([str(cases)], home)
    assert result.returncode == 1, result.stderr
    outputs = _outputs(result)
    assert len(outputs) == len(lines)
    assert [output.get("id") for output in outputs] == [
        "typed",
        "wrong-k",
        None,
        "scanned",
        "no-input",
        None,
        "bad-flags",
        "plain",
    ]
    assert [output.get("valid") for output in outputs] == [True, False, None, True, False, None, False, True]
    assert outputs[0] == {
        "id": "typed",
        "valid": True,
        "din": "A999921123456",
        "facility": "A9999",
        "year": "21",
        "sequence": "123456",
        "check_character": "3",
        "flags": None,
    }
    assert outputs[1]["error"] == {
        "code": "check_character_mismatch",
        "message": "the check character does not match the DIN: re-enter the DIN and the boxed character",
        "field": "input",
    }
    assert outputs[2]["error"]["code"] == "malformed_json"
    assert outputs[2]["error"]["message"].startswith("line 3: ")
    assert outputs[3]["flags"] == "70"
    assert outputs[4]["error"] == {
        "code": "missing",
        "message": 'the case has no input: give the DIN as "input"',
        "field": "input",
    }
    assert outputs[5]["error"]["code"] == "malformed_case"
    assert outputs[6]["error"]["code"] == "flags_mismatch"
    assert outputs[7]["check_character"] == "G"


def test_a_file_of_valid_dins_exits_0(home, tmp_path):
    cases = _write_lines(tmp_path / "good.jsonl", [json.dumps(case) for case in GOOD])
    result = _run([str(cases)], home)
    assert result.returncode == 0, result.stderr
    assert [output["valid"] for output in _outputs(result)] == [True, True, True]


def test_blank_lines_are_skipped(home, tmp_path):
    cases = _write_lines(tmp_path / "blank.jsonl", [json.dumps(GOOD[0]), "", "   ", json.dumps(GOOD[1])])
    result = _run([str(cases)], home)
    assert result.returncode == 0
    assert len(_outputs(result)) == 2


@pytest.mark.parametrize("args", [[], ["-"]], ids=["no-file", "dash"])
def test_cases_are_read_from_standard_input(home, args):
    stdin = "".join(json.dumps(case) + "\n" for case in [GOOD[0], BAD[0]])
    result = _run(args, home, stdin=stdin)
    assert result.returncode == 1
    assert [(output["id"], output["valid"]) for output in _outputs(result)] == [
        ("typed", True),
        ("wrong-k", False),
    ]


def test_standard_input_of_valid_dins_exits_0(home):
    result = _run([], home, stdin=json.dumps(GOOD[2]) + "\n")
    assert result.returncode == 0
    assert _outputs(result)[0]["din"] == "W000009123456"


def test_an_unreadable_file_exits_2_with_a_message(home, tmp_path):
    result = _run([str(tmp_path / "absent.jsonl")], home)
    assert result.returncode == 2
    assert "cannot read" in result.stderr
    assert result.stdout == ""


def test_rules_din_needs_no_secret_key_and_no_database_and_writes_nothing_to_home(home, tmp_path):
    cases = _write_lines(tmp_path / "cases.jsonl", [json.dumps(GOOD[0]), json.dumps(BAD[0])])
    result = _run([str(cases)], home)
    assert result.returncode == 1, result.stderr
    assert len(_outputs(result)) == 2
    assert "SECRET_KEY" not in result.stderr
    assert list(home.rglob("*")) == []
