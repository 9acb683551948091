"""The validation format of ``hemaops rules compatible``: one JSON case in, one JSON result
out (docs/compatibility.md).

In: ``{"id", "component": "red_cells" | "plasma" | "platelets" | "cryo" | "whole_blood",
"recipient": "A+", "donor": "O-", "recipient_female_of_childbearing_potential": false}`` (the
flag is optional, default false). Out: ``{"id", "result": "COMPATIBLE" | "INCOMPATIBLE" |
"COMPATIBLE_WITH_WARNING", "reasons": [{"code", "message"}]}``, or, for a case that cannot be
evaluated, ``{"id", "error": {"code", "message", "field"}}`` naming the field: a wrong input
must never turn into a plausible-looking result. The rules and their sources are in
``hemaops.components.rules.compatibility``. Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from hemaops.components.rules.compatibility import (
    BloodType,
    BloodTypeError,
    Compatibility,
    Component,
    compatibility,
)

CaseId = str | int | None

FEMALE_FLAG: Final = "recipient_female_of_childbearing_potential"
_CASE_KEYS: Final = ("id", "component", "recipient", "donor", FEMALE_FLAG, "comment")


class CaseError(ValueError):
    """A case that cannot be evaluated, with a stable code and the offending field."""

    def __init__(self, code: str, message: str, field: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def _case_id(case: Mapping[str, Any]) -> CaseId:
    value = case.get("id")
    if isinstance(value, str | int) and not isinstance(value, bool):
        return value
    return None


def _required(case: Mapping[str, Any], field: str) -> Any:
    value = case.get(field)
    if value is None:
        raise CaseError("missing_field", f"{field}: required", field)
    return value


def _component(value: Any) -> Component:
    if isinstance(value, str):
        try:
            return Component(value)
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in Component)
    raise CaseError(
        "unknown_code", f"component: unknown value {value!r} (expected one of: {allowed})", "component"
    )


def _blood_type(value: Any, field: str) -> BloodType:
    if not isinstance(value, str):
        raise CaseError("invalid_type", f"{field}: expected a blood type as a string, e.g. 'A+'", field)
    try:
        return BloodType.parse(value)
    except BloodTypeError as error:
        raise CaseError("malformed_blood_type", f"{field}: {error}", field) from None


def parse_case(case: Mapping[str, Any]) -> tuple[Component, BloodType, BloodType, bool]:
    """The case's component, recipient, donor and flag; raises CaseError naming the field."""
    value = case.get("id")
    if value is None:
        raise CaseError("missing_field", "id: required", "id")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CaseError("invalid_type", "id: expected a string or a whole number", "id")
    for key in case:
        if key not in _CASE_KEYS:
            raise CaseError(
                "unknown_field", f"{key}: unknown field (expected one of: {', '.join(_CASE_KEYS)})", key
            )
    component = _component(_required(case, "component"))
    recipient = _blood_type(_required(case, "recipient"), "recipient")
    donor = _blood_type(_required(case, "donor"), "donor")
    female = case.get(FEMALE_FLAG)
    if female is None:  # absent or null: not a female of childbearing potential
        female = False
    elif not isinstance(female, bool):
        raise CaseError("invalid_type", f"{FEMALE_FLAG}: expected true or false", FEMALE_FLAG)
    return component, recipient, donor, female


def result_to_json(identifier: CaseId, outcome: Compatibility) -> dict[str, Any]:
    return {
        "id": identifier,
        "result": outcome.result.value,
        "reasons": [{"code": reason.code, "message": reason.message} for reason in outcome.reasons],
    }


def evaluate_compatibility(case: Mapping[str, Any]) -> dict[str, Any]:
    """One case in, one result or one error out."""
    identifier = _case_id(case)
    try:
        component, recipient, donor, female = parse_case(case)
    except CaseError as error:
        return {
            "id": identifier,
            "error": {"code": error.code, "message": error.message, "field": error.field},
        }
    outcome = compatibility(component, recipient, donor, recipient_female_of_childbearing_potential=female)
    return result_to_json(identifier, outcome)
