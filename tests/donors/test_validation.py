"""The validation case format: parsing, impossible values, errors naming the field, and the
output shape."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from hemaops.donors.rules import (
    DonationType,
    EventCode,
    HemoglobinSample,
    Marker,
    MarkerResult,
    Procedure,
    Sex,
)
from hemaops.donors.validation import CaseError, evaluator, parse_case

CASE: dict[str, Any] = {
    "id": "c1",
    "on": "2025-03-03",
    "procedure": "whole_blood",
    "donation_type": "allogeneic",
    "jurisdiction": "US-MN",
    "policy": {"female_low_hemoglobin_program": False, "healthy_athlete_pulse_sop": True},
    "donor": {"sex": "F", "birth_date": "1990-05-15", "parental_consent": False, "height_cm": 165.0},
    "vitals": {
        "weight_kg": 60.0,
        "temperature_c": 36.8,
        "systolic_mm_hg": 118,
        "diastolic_mm_hg": 76,
        "pulse_bpm": 72,
        "pulse_regular": True,
        "healthy_athlete": False,
        "hemoglobin_g_dl": 13.4,
        "hemoglobin_sample": "fingerstick",
        "platelet_count_k_per_ul": None,
        "phlebotomy_site_ok": True,
        "injection_drug_signs": False,
    },
    "history": [{"date": "2025-01-06", "procedure": "whole_blood"}],
    "events": [{"code": "pregnancy_ended", "date": "2025-01-20"}],
    "deferrals": [{"kind": "temporary", "code": "travel", "until": "2025-03-01"}],
    "marker_history": [{"date": "2024-06-01", "marker": "anti_hbc", "result": "repeatedly_reactive"}],
}

evaluate = evaluator(None)


def changed(path: str, value: Any) -> dict[str, Any]:
    """CASE with one field set (``vitals.pulse_bpm``, ``history.0.date``); a value of
    ``...`` removes it."""
    document = copy.deepcopy(CASE)
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is ...:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return document


def test_the_issue_example_parses_into_the_dataclasses():
    case = parse_case(CASE)
    assert case.on == date(2025, 3, 3)
    assert case.procedure is Procedure.WHOLE_BLOOD
    assert case.donation_type is DonationType.ALLOGENEIC
    assert case.jurisdiction == "US-MN"
    assert case.policy.healthy_athlete_pulse_sop is True
    assert case.donor.sex is Sex.FEMALE
    assert case.donor.birth_date == date(1990, 5, 15)
    assert case.vitals.systolic_mm_hg == 118.0
    assert case.vitals.hemoglobin_sample is HemoglobinSample.FINGERSTICK
    assert case.vitals.platelet_count_k_per_ul is None
    assert case.history[0].procedure is Procedure.WHOLE_BLOOD
    assert case.events[0].code is EventCode.PREGNANCY_ENDED
    assert case.marker_history[0].marker is Marker.ANTI_HBC
    assert case.marker_history[0].result is MarkerResult.REPEATEDLY_REACTIVE


def test_the_issue_example_decision_in_the_output_shape():
    # Day 56 after whole blood, day 42 after the pregnancy ended, deferral ended: eligible,
    # with the note on the single anti-HBc reactive.
    result = evaluate(copy.deepcopy(CASE))
    assert result == {
        "id": "c1",
        "outcome": "ELIGIBLE",
        "eligible_on": None,
        "reasons": [
            {
                "code": "anti_hbc_reactive_once",
                "message": "anti-HBc repeatedly reactive on one occasion only (2024-06-01): that donation is "
                "not used; the donor is not deferred",
                "source": "21 CFR 610.41(a): anti-HBc or anti-HTLV reactive on one occasion only is not a "
                "deferral; more than one occasion, or a positive further test, is [P]",
                "overridable_by": None,
            }
        ],
    }
    json.dumps(result)  # serialisable as is


def test_a_temporary_decision_has_an_iso_eligible_on():
    result = evaluate(changed("history.0.date", "2025-01-07"))
    assert result["outcome"] == "INELIGIBLE_TEMPORARY"
    assert result["eligible_on"] == "2025-03-04"
    assert list(result["reasons"][0]) == ["code", "message", "source", "overridable_by"]


def test_optional_fields_may_be_absent():
    minimal = {
        "id": 7,
        "on": "2025-03-03",
        "procedure": "plasma",
        "donor": {"sex": "M", "birth_date": "1980-01-01"},
        "vitals": {},
    }
    case = parse_case(minimal)
    assert case.jurisdiction == "other"
    assert case.donation_type is DonationType.ALLOGENEIC
    assert case.history == case.events == case.deferrals == case.marker_history == ()
    result = evaluate(minimal)
    assert result["id"] == 7
    assert result["outcome"] == "INVALID_MEASUREMENT"  # nothing measured yet


def test_weight_in_pounds_and_temperature_in_fahrenheit():
    document = copy.deepcopy(CASE)
    document["vitals"].pop("weight_kg")
    document["vitals"].pop("temperature_c")
    document["vitals"].update({"weight_lb": 110, "temperature_f": 99.5})
    case = parse_case(document)
    assert (case.vitals.weight_kg, case.vitals.weight_lb) == (None, 110.0)
    assert (case.vitals.temperature_c, case.vitals.temperature_f) == (None, 99.5)


def test_hemoglobin_and_hematocrit_may_both_be_given():
    case = parse_case(changed("vitals.hematocrit_pct", 37))
    assert (case.vitals.hemoglobin_g_dl, case.vitals.hematocrit_pct) == (13.4, 37.0)


def test_jurisdiction_is_case_insensitive():
    assert parse_case(changed("jurisdiction", "us-wa")).jurisdiction == "US-WA"
    assert parse_case(changed("jurisdiction", "Other")).jurisdiction == "other"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("vitals.temperature_c", 60, "vitals.temperature_c"),
        ("vitals.temperature_c", 29.9, "vitals.temperature_c"),
        ("vitals.pulse_bpm", 0, "vitals.pulse_bpm"),
        ("vitals.pulse_bpm", 251, "vitals.pulse_bpm"),
        ("vitals.weight_kg", 5, "vitals.weight_kg"),
        ("vitals.weight_kg", 401, "vitals.weight_kg"),
        ("vitals.hemoglobin_g_dl", 40, "vitals.hemoglobin_g_dl"),
        ("vitals.hemoglobin_g_dl", 1.9, "vitals.hemoglobin_g_dl"),
        ("vitals.hematocrit_pct", 90, "vitals.hematocrit_pct"),
        ("vitals.systolic_mm_hg", 20, "vitals.systolic_mm_hg"),
        ("vitals.diastolic_mm_hg", 118, "vitals.diastolic_mm_hg"),  # not below the systolic
        ("vitals.platelet_count_k_per_ul", 0, "vitals.platelet_count_k_per_ul"),
        ("donor.height_cm", 30, "donor.height_cm"),
        ("donor.birth_date", "1890-01-01", "donor.birth_date"),
    ],
)
def test_physiologically_impossible_values_are_errors_naming_the_field(path, value, field):
    result = evaluate(changed(path, value))
    assert result["id"] == "c1"
    assert set(result) == {"id", "error"}
    assert result["error"]["field"] == field
    assert result["error"]["code"] in {"impossible_value", "invalid_value"}
    assert field in result["error"]["message"]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("vitals.temperature_c", 45),
        ("vitals.temperature_c", 30),
        ("vitals.pulse_bpm", 20),
        ("vitals.weight_kg", 20),
    ],
)
def test_the_plausible_ranges_are_inclusive(path, value):
    assert "error" not in evaluate(changed(path, value))


def test_the_temperature_error_reads_well():
    error = evaluate(changed("vitals.temperature_c", 60))["error"]
    assert error == {
        "code": "impossible_value",
        "message": "vitals.temperature_c: 60 °C is not a physiologically possible value (accepted 30–45 °C)",
        "field": "vitals.temperature_c",
    }


@pytest.mark.parametrize(
    ("path", "value", "code", "field"),
    [
        ("history.0.date", "2025-03-04", "date_after_on", "history[0].date"),
        ("events.0.date", "2025-03-04", "date_after_on", "events[0].date"),
        ("marker_history.0.date", "2025-04-01", "date_after_on", "marker_history[0].date"),
        ("donor.birth_date", "2025-03-04", "date_after_on", "donor.birth_date"),
        ("procedure", "granulocytes", "unknown_code", "procedure"),
        ("history.0.procedure", "apheresis", "unknown_code", "history[0].procedure"),
        ("events.0.code", "tattoo", "unknown_code", "events[0].code"),
        ("marker_history.0.marker", "zika", "unknown_code", "marker_history[0].marker"),
        ("marker_history.0.result", "positive", "unknown_code", "marker_history[0].result"),
        ("marker_history.0.result", "nat_reactive", "unknown_code", "marker_history[0].result"),
        ("deferrals.0.kind", "forever", "unknown_code", "deferrals[0].kind"),
        ("donation_type", "paid", "unknown_code", "donation_type"),
        ("donor.sex", "X", "unknown_code", "donor.sex"),
        ("vitals.hemoglobin_sample", "capillary", "unknown_code", "vitals.hemoglobin_sample"),
        ("on", "03/03/2025", "invalid_type", "on"),
        ("on", "2025-02-30", "invalid_value", "on"),
        ("on", ..., "missing_field", "on"),
        ("procedure", ..., "missing_field", "procedure"),
        ("donor", ..., "missing_field", "donor"),
        ("vitals", ..., "missing_field", "vitals"),
        ("donor.birth_date", ..., "missing_field", "donor.birth_date"),
        ("vitals.pulse_bpm", "72", "invalid_type", "vitals.pulse_bpm"),
        ("vitals.pulse_bpm", True, "invalid_type", "vitals.pulse_bpm"),
        ("vitals.pulse_regular", "yes", "invalid_type", "vitals.pulse_regular"),
        ("vitals.weight_lb", 132, "conflicting_fields", "vitals.weight_lb"),
        ("vitals.temperature_f", 98.2, "conflicting_fields", "vitals.temperature_f"),
        ("vitals.pulse", 72, "unknown_field", "vitals.pulse"),
        ("hemoglobin", 13, "unknown_field", "hemoglobin"),
        ("history", {"date": "2025-01-06"}, "invalid_type", "history"),
        ("deferrals.0.until", ..., "missing_field", "deferrals[0].until"),
        ("events.0.hours", 80, "invalid_value", "events[0].hours"),
        ("policy", [], "invalid_type", "policy"),
    ],
)
def test_malformed_cases_are_errors_naming_the_field(path, value, code, field):
    result = evaluate(changed(path, value))
    assert result["error"]["code"] == code, result
    assert result["error"]["field"] == field


def test_a_marker_result_that_does_not_apply_names_the_allowed_results():
    result = evaluate(
        changed("marker_history.0", {"date": "2024-06-01", "marker": "hbsag", "result": "nat_reactive"})
    )
    assert result["error"]["message"] == (
        "marker_history[0].result: nat_reactive does not apply to hbsag "
        "(expected one of: repeatedly_reactive, confirmed_positive)"
    )


def test_incarceration_needs_its_hours():
    document = changed("events.0", {"code": "incarceration_released", "date": "2024-06-01"})
    assert evaluate(document)["error"]["field"] == "events[0].hours"
    document["events"][0]["hours"] = 72
    assert parse_case(document).events[0].hours == 72.0


def test_indefinite_deferrals_have_no_until():
    document = changed("deferrals.0", {"kind": "indefinite", "code": "x", "until": "2026-01-01"})
    assert evaluate(document)["error"]["field"] == "deferrals[0].until"


def test_non_finite_numbers_are_refused():
    result = evaluate(changed("vitals.pulse_bpm", float("nan")))
    assert result["error"] == {
        "code": "invalid_value",
        "message": "vitals.pulse_bpm: expected a finite number",
        "field": "vitals.pulse_bpm",
    }


@pytest.mark.parametrize(("identifier", "expected"), [(None, None), (True, None), ([1], None)])
def test_a_missing_or_bad_id_is_an_error_without_an_id(identifier, expected):
    document = changed("id", identifier)
    result = evaluate(document)
    assert result["id"] is expected
    assert result["error"]["field"] == "id"


def test_parse_case_raises_case_error():
    with pytest.raises(CaseError) as raised:
        parse_case(changed("vitals.weight_kg", 5))
    assert (raised.value.code, raised.value.field) == ("impossible_value", "vitals.weight_kg")


def test_a_bad_configuration_file_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        evaluator(str(tmp_path / "missing.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken.json: not valid JSON"):
        evaluator(str(broken))
    low = tmp_path / "low.json"
    low.write_text('{"intervals_days": {"whole_blood": {"whole_blood": 50}}}', encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"low.json: intervals_days.whole_blood.whole_blood: 50 days is below"
    ):
        evaluator(str(low))


def test_a_configuration_file_is_used(tmp_path):
    config = tmp_path / "establishment.json"
    config.write_text('{"intervals_days": {"whole_blood": {"whole_blood": 60}}}', encoding="utf-8")
    result = evaluator(str(config))(copy.deepcopy(CASE))
    assert result["outcome"] == "INELIGIBLE_TEMPORARY"
    assert result["eligible_on"] == "2025-03-07"
    assert result["reasons"][0]["overridable_by"] == "establishment_policy"
