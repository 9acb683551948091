"""Convention C9: the most severe outcome wins; eligible_on for a temporary outcome whose
reasons all have fixed ends. Convention C2: month arithmetic."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemaops.donors.rules import (
    SEVERITY,
    DeferralKind,
    Event,
    EventCode,
    Outcome,
    Policy,
    PriorDonation,
    Procedure,
    Reason,
    RecordedDeferral,
    Sex,
    add_months,
    decide,
    evaluate,
)
from tests.donors.builders import ON, codes, days, make_case

ORDER = [
    Outcome.INELIGIBLE_PERMANENT,
    Outcome.INELIGIBLE_INDEFINITE,
    Outcome.INELIGIBLE_TEMPORARY,
    Outcome.INVALID_MEASUREMENT,
    Outcome.REQUIRES_PHYSICIAN,
    Outcome.ELIGIBLE_ALT_PROCEDURE,
    Outcome.ELIGIBLE,
]


def test_the_outcome_vocabulary_and_its_severity_order():
    assert [outcome.value for outcome in Outcome] == [outcome.value for outcome in ORDER]
    assert sorted(Outcome, key=SEVERITY.__getitem__, reverse=True) == ORDER


# One finding per outcome, most severe first.
FINDINGS = {
    Outcome.INELIGIBLE_PERMANENT: {"deferrals": (RecordedDeferral(DeferralKind.PERMANENT, "p"),)},
    Outcome.INELIGIBLE_INDEFINITE: {"events": (Event(EventCode.HIV_TREATMENT, date(2020, 1, 1)),)},
    Outcome.INELIGIBLE_TEMPORARY: {"history": (PriorDonation(ON - days(10), Procedure.WHOLE_BLOOD),)},
    Outcome.INVALID_MEASUREMENT: {"vitals": {"temperature_c": None}},
    Outcome.REQUIRES_PHYSICIAN: {"vitals": {"pulse_regular": False}},
    Outcome.ELIGIBLE_ALT_PROCEDURE: {"vitals": {"hemoglobin_g_dl": 12.2, "hematocrit_pct": None}},
}


def combined(outcomes):
    fields: dict = {"vitals": {}}
    for outcome in outcomes:
        for key, value in FINDINGS[outcome].items():
            if key == "vitals":
                fields["vitals"].update(value)
            else:
                fields[key] = value
    return make_case(sex=Sex.FEMALE, policy=Policy(female_low_hemoglobin_program=True), **fields)


@pytest.mark.parametrize("start", range(len(FINDINGS)))
def test_the_most_severe_outcome_wins(start):
    outcomes = list(FINDINGS)[start:]
    decision = evaluate(combined(outcomes))
    assert decision.outcome is outcomes[0]
    # Every finding is reported, the most severe first.
    ranks = [SEVERITY[reason.outcome] for reason in decision.reasons]
    assert ranks == sorted(ranks, reverse=True)
    assert len(decision.reasons) == len(outcomes)


def test_eligible_on_is_the_latest_fixed_end():
    case = make_case(
        history=(PriorDonation(ON - days(50), Procedure.WHOLE_BLOOD),),  # → ON + 6
        events=(Event(EventCode.MALARIA_AREA_RETURN, date(2025, 2, 1)),),  # → 2025-05-01
        deferrals=(RecordedDeferral(DeferralKind.TEMPORARY, "t", date(2025, 4, 1)),),
    )
    decision = evaluate(case)
    assert decision.outcome is Outcome.INELIGIBLE_TEMPORARY
    assert decision.eligible_on == date(2025, 5, 1)


def test_a_finding_of_the_day_leaves_eligible_on_empty():
    case = make_case(
        history=(PriorDonation(ON - days(50), Procedure.WHOLE_BLOOD),), vitals={"weight_kg": 45.0}
    )
    decision = evaluate(case)
    assert decision.outcome is Outcome.INELIGIBLE_TEMPORARY
    assert decision.eligible_on is None


def test_eligible_on_is_only_for_a_temporary_outcome():
    case = make_case(
        history=(PriorDonation(ON - days(50), Procedure.WHOLE_BLOOD),),
        deferrals=(RecordedDeferral(DeferralKind.INDEFINITE, "i"),),
    )
    decision = evaluate(case)
    assert decision.outcome is Outcome.INELIGIBLE_INDEFINITE
    assert decision.eligible_on is None
    assert codes(decision) == ["recorded_indefinite_deferral", "interval_whole_blood_to_whole_blood"]


def test_decide_keeps_the_order_of_equally_severe_reasons():
    reasons = [
        Reason(Outcome.REQUIRES_PHYSICIAN, "b", "", ""),
        Reason(Outcome.INELIGIBLE_TEMPORARY, "a", "", "", None, date(2025, 1, 2)),
        Reason(Outcome.REQUIRES_PHYSICIAN, "c", "", ""),
        Reason(Outcome.INELIGIBLE_TEMPORARY, "d", "", "", None, date(2025, 1, 1)),
    ]
    decision = decide(reasons)
    assert [r.code for r in decision.reasons] == ["a", "d", "b", "c"]
    assert decision.eligible_on == date(2025, 1, 2)


def test_no_reasons_is_eligible():
    assert decide([]).outcome is Outcome.ELIGIBLE


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2100, 1, 29), 1, date(2100, 2, 28)),  # 2100 is not a leap year
        (date(2000, 1, 29), 1, date(2000, 2, 29)),  # 2000 is
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


@settings(max_examples=500)
@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)),
    st.integers(min_value=0, max_value=600),
)
def test_add_months_keeps_the_day_or_clamps(start, months):
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day == start.day or (result.day < start.day and (result + days(1)).day == 1)
