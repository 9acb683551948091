"""Cases for the eligibility tests: a healthy, eligible donor unless a test says otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from hemaops.donors.rules import (
    Case,
    Decision,
    DonationType,
    Donor,
    HemoglobinSample,
    Outcome,
    Policy,
    Procedure,
    Reason,
    Sex,
    Vitals,
)

ON = date(2025, 3, 3)

GOOD_VITALS: dict[str, Any] = {
    "weight_kg": 70.0,
    "temperature_c": 36.8,
    "systolic_mm_hg": 120.0,
    "diastolic_mm_hg": 80.0,
    "pulse_bpm": 70.0,
    "pulse_regular": True,
    "healthy_athlete": False,
    "hemoglobin_g_dl": 14.0,
    "hematocrit_pct": 45.0,
    "hemoglobin_sample": HemoglobinSample.FINGERSTICK,
    "platelet_count_k_per_ul": 250.0,
    "phlebotomy_site_ok": True,
    "injection_drug_signs": False,
}


def vitals(**overrides: Any) -> Vitals:
    return Vitals(**{**GOOD_VITALS, **overrides})


def make_case(
    *,
    on: date = ON,
    procedure: Procedure = Procedure.WHOLE_BLOOD,
    sex: Sex = Sex.MALE,
    birth_date: date = date(1990, 5, 15),
    parental_consent: bool = False,
    height_cm: float | None = 180.0,
    donation_type: DonationType = DonationType.ALLOGENEIC,
    policy: Policy | None = None,
    **fields: Any,
) -> Case:
    """``vitals=`` takes a dict of overrides of GOOD_VITALS; other keywords are Case fields."""
    vital_overrides = fields.pop("vitals", {})
    return Case(
        on=on,
        procedure=procedure,
        donor=Donor(sex=sex, birth_date=birth_date, parental_consent=parental_consent, height_cm=height_cm),
        vitals=vitals(**vital_overrides),
        donation_type=donation_type,
        policy=policy or Policy(),
        **fields,
    )


def days(n: int) -> timedelta:
    return timedelta(days=n)


def on_day(case: Case, day: date) -> Case:
    return replace(case, on=day)


def codes(decision: Decision) -> list[str]:
    return [reason.code for reason in decision.reasons]


def reason(decision: Decision, code: str) -> Reason:
    found = [r for r in decision.reasons if r.code == code]
    assert len(found) == 1, f"expected one reason {code}, got {codes(decision)}"
    return found[0]


def is_only(decision: Decision, outcome: Outcome, code: str) -> bool:
    return decision.outcome is outcome and codes(decision) == [code]
