"""Validation cases for ``hemaops rules din`` (one JSON object a line in, one out).

In: ``{"id": …, "input": "A9999 21 123456 3"}``. Out, when the input is a DIN:
``{"id", "valid": true, "din", "facility", "year", "sequence", "check_character", "flags"}``
(``din`` the 13 characters without spaces, ``flags`` null when the input carried none);
otherwise ``{"id", "valid": false, "error": {"code", "message", "field": "input"}}``.
The rules and their ST-001 sections are in ``hemaops.isbt128.din``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hemaops.isbt128.din import parse_din
from hemaops.isbt128.errors import Isbt128Error


def _invalid(case_id: Any, code: str, message: str) -> dict[str, Any]:
    return {"id": case_id, "valid": False, "error": {"code": code, "message": message, "field": "input"}}


def evaluate_din(case: Mapping[str, Any]) -> dict[str, Any]:
    case_id = case.get("id")
    text = case.get("input")
    if text is None:
        return _invalid(case_id, "missing", 'the case has no input: give the DIN as "input"')
    if not isinstance(text, str):
        return _invalid(case_id, "not_text", "the input must be a JSON string")
    try:
        din = parse_din(text)
    except Isbt128Error as error:
        return _invalid(case_id, error.code, error.message)
    return {
        "id": case_id,
        "valid": True,
        "din": din.text,
        "facility": din.facility,
        "year": din.year,
        "sequence": din.sequence,
        "check_character": din.check_character,
        "flags": din.flags,
    }
