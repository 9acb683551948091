"""``hemaops rules …``: run validation cases through the rule engines, one JSON object a
line in and one a line out, as a blood center's validation team does. Pure: it needs no
keys and no database, and imports nothing from Django."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

Evaluate = Callable[[dict[str, Any]], dict[str, Any]]


def _lines(source: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(source, start=1):
        if line.strip():
            yield number, line


def run_json_lines(source: Iterable[tuple[int, str]], evaluate: Evaluate, out: IO[str]) -> int:
    """Evaluate each line; a bad line gives an error object and the rest go on.
    Returns 1 when any line had an error, else 0."""
    status = 0
    for number, line in source:
        try:
            case = json.loads(line)
        except json.JSONDecodeError as error:
            result: dict[str, Any] = {
                "id": None,
                "error": {"code": "malformed_json", "message": f"line {number}: {error.msg}", "field": None},
            }
        else:
            if not isinstance(case, dict):
                result = {
                    "id": None,
                    "error": {
                        "code": "malformed_case",
                        "message": f"line {number}: a case is a JSON object",
                        "field": None,
                    },
                }
            else:
                result = evaluate(case)
        if "error" in result:
            status = 1
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return status


def _open(path: str) -> IO[str]:
    return sys.stdin if path in ("", "-") else open(path, encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="hemaops rules", description="Run validation cases through the rule engines."
    )
    sub = parser.add_subparsers(dest="engine", required=True)
    eligibility = sub.add_parser("eligibility", help="Donor eligibility cases (JSON Lines) → decisions")
    eligibility.add_argument("file", nargs="?", default="-", help="case file; - or absent for standard input")
    eligibility.add_argument(
        "--config", help="the establishment's configuration (JSON); default: shipped defaults"
    )
    din = sub.add_parser("din", help="Donation identification numbers (JSON Lines) → parsed DINs")
    din.add_argument("file", nargs="?", default="-", help="input file; - or absent for standard input")
    expiry = sub.add_parser("expiry", help="Component dating cases (JSON Lines) → expiry and label time")
    expiry.add_argument("file", nargs="?", default="-", help="input file; - or absent for standard input")
    compatible = sub.add_parser("compatible", help="ABO/RhD compatibility cases (JSON Lines) → results")
    compatible.add_argument("file", nargs="?", default="-", help="input file; - or absent for standard input")
    options = parser.parse_args(argv)
    try:
        source = _open(options.file)
    except OSError as error:
        print(f"hemaops rules: cannot read {options.file}: {error.strerror}", file=sys.stderr)  # noqa: T201
        return 2
    with source:
        if options.engine == "din":
            from hemaops.isbt128.validation import evaluate_din

            return run_json_lines(_lines(source), evaluate_din, sys.stdout)
        if options.engine == "expiry":
            from hemaops.components.expiry_validation import evaluate_expiry

            return run_json_lines(_lines(source), evaluate_expiry, sys.stdout)
        if options.engine == "compatible":
            from hemaops.components.compatibility_validation import evaluate_compatibility

            return run_json_lines(_lines(source), evaluate_compatibility, sys.stdout)
        from hemaops.donors.validation import evaluator

        try:
            evaluate = evaluator(options.config)
        except ValueError as error:
            print(f"hemaops rules: --config: {error}", file=sys.stderr)  # noqa: T201
            return 2
        return run_json_lines(_lines(source), evaluate, sys.stdout)
