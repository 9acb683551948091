"""The validation format of ``hemaops rules eligibility``: one JSON case in, one JSON
decision out (docs/validation.md).

A case that cannot be evaluated — a missing or mistyped field, an unknown code, a date after
the evaluation date, a physiologically impossible value — gives an error naming the field
instead of a decision: a wrong input must never turn into a plausible-looking decision.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from enum import StrEnum
from typing import Any, Final, TypeVar

from hemaops.donors.configuration import (
    DEFAULT_CONFIGURATION,
    ConfigurationError,
    Procedure,
    Sex,
    configuration_from_json,
)
from hemaops.donors.rules import (
    MARKER_RULES,
    Case,
    Configuration,
    Decision,
    DeferralKind,
    DonationType,
    Donor,
    Event,
    EventCode,
    HemoglobinSample,
    Marker,
    MarkerRecord,
    MarkerResult,
    Policy,
    PriorDonation,
    RecordedDeferral,
    Vitals,
    evaluate,
)

CaseId = str | int | None
E = TypeVar("E", bound=StrEnum)


class CaseError(ValueError):
    """A case that cannot be evaluated, with a stable code and the offending field."""

    def __init__(self, code: str, message: str, field: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


# Plausible ranges: a value outside is not a finding but a physiologically impossible
# measurement (a typing or unit error), reported as an error. The limits are wide on purpose.
PLAUSIBLE: Final[Mapping[str, tuple[float, float, str]]] = {
    "weight_kg": (20.0, 400.0, "kg"),
    "weight_lb": (44.0, 880.0, "lb"),
    "temperature_c": (30.0, 45.0, "°C"),
    "temperature_f": (86.0, 113.0, "°F"),
    "systolic_mm_hg": (40.0, 300.0, "mm Hg"),
    "diastolic_mm_hg": (20.0, 200.0, "mm Hg"),
    "pulse_bpm": (20.0, 250.0, "bpm"),
    "hemoglobin_g_dl": (2.0, 25.0, "g/dL"),
    "hematocrit_pct": (5.0, 75.0, "%"),
    "platelet_count_k_per_ul": (1.0, 2000.0, "×10³/µL"),
    "height_cm": (50.0, 260.0, "cm"),
}
OLDEST_AGE_YEARS: Final = 120
EARLIEST_DATE: Final = date(1900, 1, 1)
LATEST_DATE: Final = date(2199, 12, 31)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CASE_KEYS: Final = (
    "id",
    "on",
    "procedure",
    "donation_type",
    "jurisdiction",
    "policy",
    "donor",
    "vitals",
    "history",
    "events",
    "deferrals",
    "marker_history",
    "comment",
)
_DONOR_KEYS: Final = ("sex", "birth_date", "parental_consent", "height_cm")
_NUMBER_VITALS: Final = (
    "weight_kg",
    "weight_lb",
    "temperature_c",
    "temperature_f",
    "systolic_mm_hg",
    "diastolic_mm_hg",
    "pulse_bpm",
    "hemoglobin_g_dl",
    "hematocrit_pct",
    "platelet_count_k_per_ul",
)
_BOOLEAN_VITALS: Final = ("pulse_regular", "healthy_athlete", "phlebotomy_site_ok", "injection_drug_signs")
_VITALS_KEYS: Final = (*_NUMBER_VITALS, *_BOOLEAN_VITALS, "hemoglobin_sample")
_POLICY_KEYS: Final = ("female_low_hemoglobin_program", "healthy_athlete_pulse_sop")


# --- Field readers --------------------------------------------------------------------------


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CaseError("invalid_type", f"{field}: expected a JSON object", field)
    return value


def _keys(document: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    for key in document:
        if key not in allowed:
            field = f"{prefix}.{key}" if prefix else key
            raise CaseError(
                "unknown_field", f"{field}: unknown field (expected one of: {', '.join(allowed)})", field
            )


def _required(document: Mapping[str, Any], key: str, field: str) -> Any:
    value = document.get(key)
    if value is None:
        raise CaseError("missing_field", f"{field}: required", field)
    return value


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise CaseError("invalid_type", f"{field}: expected a non-empty string", field)
    return value


def _code(kind: type[E], value: Any, field: str) -> E:
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in kind)
    raise CaseError("unknown_code", f"{field}: unknown value {value!r} (expected one of: {allowed})", field)


def _boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise CaseError("invalid_type", f"{field}: expected true or false", field)
    return value


def _optional_boolean(document: Mapping[str, Any], key: str, field: str) -> bool | None:
    value = document.get(key)
    return None if value is None else _boolean(value, field)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CaseError("invalid_type", f"{field}: expected a number", field)
    number = float(value)
    if not math.isfinite(number):
        raise CaseError("invalid_value", f"{field}: expected a finite number", field)
    return number


def _measurement(document: Mapping[str, Any], key: str, prefix: str) -> float | None:
    value = document.get(key)
    if value is None:
        return None
    field = f"{prefix}.{key}"
    number = _number(value, field)
    low, high, unit = PLAUSIBLE[key]
    if not low <= number <= high:
        raise CaseError(
            "impossible_value",
            f"{field}: {number:g} {unit} is not a physiologically possible value "
            f"(accepted {low:g}–{high:g} {unit})",
            field,
        )
    return number


def _date(value: Any, field: str, latest: date = LATEST_DATE) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise CaseError("invalid_type", f"{field}: expected a date as YYYY-MM-DD", field)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CaseError("invalid_value", f"{field}: {value} is not a calendar date", field) from None
    if not EARLIEST_DATE <= day <= latest:
        raise CaseError(
            "invalid_value",
            f"{field}: {value} is outside {EARLIEST_DATE.isoformat()} – {latest.isoformat()}",
            field,
        )
    return day


def _not_after(day: date, on: date, field: str) -> date:
    if day > on:
        raise CaseError(
            "date_after_on",
            f"{field}: {day.isoformat()} is after the evaluation date {on.isoformat()}",
            field,
        )
    return day


def _list(document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise CaseError("invalid_type", f"{key}: expected a JSON array", key)
    return value


# --- The case -------------------------------------------------------------------------------


def case_id(document: Mapping[str, Any]) -> CaseId:
    value = document.get("id")
    if isinstance(value, str | int) and not isinstance(value, bool):
        return value
    return None


def parse_case(document: Mapping[str, Any]) -> Case:
    """A validation case (docs/validation.md) as the engine's dataclasses; raises CaseError."""
    value = document.get("id")
    if value is None:
        raise CaseError("missing_field", "id: required", "id")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CaseError("invalid_type", "id: expected a string or a whole number", "id")
    _keys(document, _CASE_KEYS, "")
    on = _date(_required(document, "on", "on"), "on")
    procedure = _code(Procedure, _required(document, "procedure", "procedure"), "procedure")
    donation_type = DonationType.ALLOGENEIC
    if document.get("donation_type") is not None:
        donation_type = _code(DonationType, document["donation_type"], "donation_type")
    jurisdiction = "other"
    if document.get("jurisdiction") is not None:
        jurisdiction = _string(document["jurisdiction"], "jurisdiction").upper()
        if jurisdiction == "OTHER":
            jurisdiction = "other"

    policy = Policy()
    if document.get("policy") is not None:
        raw_policy = _object(document["policy"], "policy")
        _keys(raw_policy, _POLICY_KEYS, "policy")
        policy = Policy(
            female_low_hemoglobin_program=_optional_boolean(
                raw_policy, "female_low_hemoglobin_program", "policy.female_low_hemoglobin_program"
            ),
            healthy_athlete_pulse_sop=_optional_boolean(
                raw_policy, "healthy_athlete_pulse_sop", "policy.healthy_athlete_pulse_sop"
            ),
        )

    raw_donor = _object(_required(document, "donor", "donor"), "donor")
    _keys(raw_donor, _DONOR_KEYS, "donor")
    birth_date = _date(_required(raw_donor, "birth_date", "donor.birth_date"), "donor.birth_date")
    if birth_date > on:
        raise CaseError(
            "date_after_on",
            f"donor.birth_date: {birth_date.isoformat()} is after the evaluation date {on.isoformat()}",
            "donor.birth_date",
        )
    if birth_date.year < on.year - OLDEST_AGE_YEARS:
        raise CaseError(
            "impossible_value",
            f"donor.birth_date: {birth_date.isoformat()} makes the donor older than {OLDEST_AGE_YEARS} years",
            "donor.birth_date",
        )
    donor = Donor(
        sex=_code(Sex, _required(raw_donor, "sex", "donor.sex"), "donor.sex"),
        birth_date=birth_date,
        parental_consent=bool(_optional_boolean(raw_donor, "parental_consent", "donor.parental_consent")),
        height_cm=_measurement(raw_donor, "height_cm", "donor"),
    )

    vitals = _vitals(_object(_required(document, "vitals", "vitals"), "vitals"))

    history = []
    for index, item in enumerate(_list(document, "history")):
        prefix = f"history[{index}]"
        entry = _object(item, prefix)
        _keys(entry, ("date", "procedure"), prefix)
        day = _not_after(
            _date(_required(entry, "date", f"{prefix}.date"), f"{prefix}.date"), on, f"{prefix}.date"
        )
        history.append(
            PriorDonation(
                date=day,
                procedure=_code(
                    Procedure, _required(entry, "procedure", f"{prefix}.procedure"), f"{prefix}.procedure"
                ),
            )
        )

    events = []
    for index, item in enumerate(_list(document, "events")):
        prefix = f"events[{index}]"
        entry = _object(item, prefix)
        _keys(entry, ("code", "date", "hours"), prefix)
        code = _code(EventCode, _required(entry, "code", f"{prefix}.code"), f"{prefix}.code")
        day = _not_after(
            _date(_required(entry, "date", f"{prefix}.date"), f"{prefix}.date"), on, f"{prefix}.date"
        )
        hours: float | None = None
        if code is EventCode.INCARCERATION_RELEASED:
            hours = _number(_required(entry, "hours", f"{prefix}.hours"), f"{prefix}.hours")
            if hours < 0:
                raise CaseError("invalid_value", f"{prefix}.hours: must not be negative", f"{prefix}.hours")
        elif entry.get("hours") is not None:
            raise CaseError(
                "invalid_value",
                f"{prefix}.hours: only for {EventCode.INCARCERATION_RELEASED}",
                f"{prefix}.hours",
            )
        events.append(Event(code=code, date=day, hours=hours))

    deferrals = []
    for index, item in enumerate(_list(document, "deferrals")):
        prefix = f"deferrals[{index}]"
        entry = _object(item, prefix)
        _keys(entry, ("kind", "code", "until"), prefix)
        kind = _code(DeferralKind, _required(entry, "kind", f"{prefix}.kind"), f"{prefix}.kind")
        code_text = _string(_required(entry, "code", f"{prefix}.code"), f"{prefix}.code")
        until: date | None = None
        if kind is DeferralKind.TEMPORARY:
            until = _date(_required(entry, "until", f"{prefix}.until"), f"{prefix}.until", date(9999, 12, 31))
        elif entry.get("until") is not None:
            raise CaseError(
                "invalid_value",
                f"{prefix}.until: an {kind.value} deferral has no end date",
                f"{prefix}.until",
            )
        deferrals.append(RecordedDeferral(kind=kind, code=code_text, until=until))

    markers = []
    for index, item in enumerate(_list(document, "marker_history")):
        prefix = f"marker_history[{index}]"
        entry = _object(item, prefix)
        _keys(entry, ("date", "marker", "result"), prefix)
        day = _not_after(
            _date(_required(entry, "date", f"{prefix}.date"), f"{prefix}.date"), on, f"{prefix}.date"
        )
        marker = _code(Marker, _required(entry, "marker", f"{prefix}.marker"), f"{prefix}.marker")
        result = _code(MarkerResult, _required(entry, "result", f"{prefix}.result"), f"{prefix}.result")
        if (marker, result) not in MARKER_RULES:
            allowed = ", ".join(r.value for (m, r) in MARKER_RULES if m is marker)
            raise CaseError(
                "unknown_code",
                f"{prefix}.result: {result.value} does not apply to {marker.value} "
                f"(expected one of: {allowed})",
                f"{prefix}.result",
            )
        markers.append(MarkerRecord(date=day, marker=marker, result=result))

    return Case(
        on=on,
        procedure=procedure,
        donor=donor,
        vitals=vitals,
        donation_type=donation_type,
        jurisdiction=jurisdiction,
        history=tuple(history),
        events=tuple(events),
        deferrals=tuple(deferrals),
        marker_history=tuple(markers),
        policy=policy,
    )


def _vitals(raw: Mapping[str, Any]) -> Vitals:
    _keys(raw, _VITALS_KEYS, "vitals")
    values = {key: _measurement(raw, key, "vitals") for key in _NUMBER_VITALS}
    for one, other in (("weight_kg", "weight_lb"), ("temperature_c", "temperature_f")):
        if values[one] is not None and values[other] is not None:
            raise CaseError(
                "conflicting_fields",
                f"vitals.{other}: give {one} or {other}, not both (compare in the unit measured)",
                f"vitals.{other}",
            )
    systolic, diastolic = values["systolic_mm_hg"], values["diastolic_mm_hg"]
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        raise CaseError(
            "impossible_value",
            f"vitals.diastolic_mm_hg: {diastolic:g} mm Hg is not below the systolic {systolic:g} mm Hg",
            "vitals.diastolic_mm_hg",
        )
    sample = None
    if raw.get("hemoglobin_sample") is not None:
        sample = _code(HemoglobinSample, raw["hemoglobin_sample"], "vitals.hemoglobin_sample")
    return Vitals(
        weight_kg=values["weight_kg"],
        weight_lb=values["weight_lb"],
        temperature_c=values["temperature_c"],
        temperature_f=values["temperature_f"],
        systolic_mm_hg=systolic,
        diastolic_mm_hg=diastolic,
        pulse_bpm=values["pulse_bpm"],
        pulse_regular=_optional_boolean(raw, "pulse_regular", "vitals.pulse_regular"),
        healthy_athlete=bool(_optional_boolean(raw, "healthy_athlete", "vitals.healthy_athlete")),
        hemoglobin_g_dl=values["hemoglobin_g_dl"],
        hematocrit_pct=values["hematocrit_pct"],
        hemoglobin_sample=sample,
        platelet_count_k_per_ul=values["platelet_count_k_per_ul"],
        phlebotomy_site_ok=_optional_boolean(raw, "phlebotomy_site_ok", "vitals.phlebotomy_site_ok"),
        injection_drug_signs=_optional_boolean(raw, "injection_drug_signs", "vitals.injection_drug_signs"),
    )


# --- Output -----------------------------------------------------------------------------------


def decision_to_json(identifier: CaseId, decision: Decision) -> dict[str, Any]:
    return {
        "id": identifier,
        "outcome": decision.outcome.value,
        "eligible_on": None if decision.eligible_on is None else decision.eligible_on.isoformat(),
        "reasons": [
            {
                "code": reason.code,
                "message": reason.message,
                "source": reason.source,
                "overridable_by": reason.overridable_by,
            }
            for reason in decision.reasons
        ],
    }


def error_to_json(identifier: CaseId, error: CaseError) -> dict[str, Any]:
    return {"id": identifier, "error": {"code": error.code, "message": error.message, "field": error.field}}


def load_configuration(config_path: str | None) -> Configuration:
    """The shipped defaults, or the establishment's JSON file; ValueError with a clear message."""
    if config_path is None:
        return DEFAULT_CONFIGURATION
    try:
        with open(config_path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise ValueError(f"cannot read {config_path}: {error.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{config_path}: not valid JSON: {error.msg} (line {error.lineno})") from None
    try:
        return configuration_from_json(document)
    except ConfigurationError as error:
        raise ValueError(f"{config_path}: {error}") from None


def evaluator(config_path: str | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """One case dict in, one result dict out (a decision or an error), with the shipped
    configuration or the establishment's file. Raises ValueError for a bad configuration."""
    config = load_configuration(config_path)

    def evaluate_case(document: dict[str, Any]) -> dict[str, Any]:
        identifier = case_id(document)
        try:
            case = parse_case(document)
        except CaseError as error:
            return error_to_json(identifier, error)
        return decision_to_json(identifier, evaluate(case, config))

    return evaluate_case
