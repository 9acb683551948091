"""Donation intervals (C1: donation date = day 0, "N days" → date + N) and the platelet and
source plasma frequency limits (C8)."""

from __future__ import annotations

from datetime import date

import pytest

from hemaops.donors.configuration import DEFAULT_CONFIGURATION, configuration_from_json
from hemaops.donors.rules import Outcome, PriorDonation, Procedure, add_months, evaluate
from tests.donors.builders import ON, codes, days, make_case, reason

WB, DRC, PLT, PLA, SP = (
    Procedure.WHOLE_BLOOD,
    Procedure.DOUBLE_RED_CELLS,
    Procedure.PLATELETS,
    Procedure.PLASMA,
    Procedure.SOURCE_PLASMA,
)
TEMPORARY = Outcome.INELIGIBLE_TEMPORARY
ELIGIBLE = Outcome.ELIGIBLE


def after(previous: Procedure, days_before: int, procedure: Procedure, on: date = ON, **extra):
    history = (PriorDonation(date=on - days(days_before), procedure=previous),)
    return make_case(on=on, procedure=procedure, history=history, **extra)


@pytest.mark.parametrize(
    ("previous", "following", "interval"),
    [(WB, WB, 56), (DRC, WB, 112), (DRC, DRC, 112), (WB, DRC, 56), (PLT, PLT, 2), (SP, SP, 2)],
)
def test_regulatory_intervals_end_on_day_n(previous, following, interval):
    early = evaluate(after(previous, interval - 1, following))
    assert early.outcome is TEMPORARY
    code = f"interval_{previous.value}_to_{following.value}"
    assert codes(early) == [code]
    assert early.eligible_on == ON + days(1)
    assert early.reasons[0].overridable_by is None  # a regulatory floor
    assert evaluate(after(previous, interval, following)).outcome is ELIGIBLE


def test_whole_blood_56_days_from_the_issue_example():
    # Last whole blood on 2025-01-06 (day 0): day 56 is 2025-03-03.
    case = make_case(on=date(2025, 3, 3), history=(PriorDonation(date(2025, 1, 6), WB),))
    assert evaluate(case).outcome is ELIGIBLE
    day_before = make_case(on=date(2025, 3, 2), history=(PriorDonation(date(2025, 1, 6), WB),))
    decision = evaluate(day_before)
    assert decision.eligible_on == date(2025, 3, 3)
    assert "630.15(a)" in decision.reasons[0].source


def test_a_donation_on_the_same_day_blocks_another():
    decision = evaluate(after(WB, 0, WB))
    assert decision.eligible_on == ON + days(56)


@pytest.mark.parametrize(("pair", "interval"), sorted(DEFAULT_CONFIGURATION.intervals.items()))
def test_every_cell_of_the_matrix_ends_on_its_day(pair, interval):
    previous, following = pair
    extra = {}
    early = evaluate(after(previous, interval.days - 1, following, **extra))
    assert reason(early, interval.code).ends_on == ON + days(1)
    assert early.eligible_on == ON + days(1)
    # Between the floor and the establishment's value only the establishment's policy defers.
    expected = "establishment_policy" if interval.days - 1 >= interval.floor_days else None
    assert reason(early, interval.code).overridable_by == expected
    on_time = evaluate(after(previous, interval.days, following))
    assert interval.code not in codes(on_time)


def test_only_the_latest_donation_of_each_procedure_counts():
    history = (
        PriorDonation(ON - days(200), WB),
        PriorDonation(ON - days(30), WB),
        PriorDonation(ON - days(120), WB),
    )
    decision = evaluate(make_case(history=history))
    assert codes(decision) == ["interval_whole_blood_to_whole_blood"]
    assert decision.eligible_on == ON - days(30) + days(56)


def test_intervals_from_several_procedures_give_several_reasons_and_the_latest_end():
    history = (PriorDonation(ON - days(100), DRC), PriorDonation(ON - days(3), PLT))
    decision = evaluate(make_case(history=history))
    assert codes(decision) == [
        "interval_double_red_cells_to_whole_blood",
        "interval_platelets_to_whole_blood",
    ]
    assert decision.eligible_on == ON + days(12)  # 112 − 100


def test_a_tightened_interval_is_overridable_by_the_establishment_policy_only_above_the_floor():
    config = configuration_from_json({"intervals_days": {"whole_blood": {"whole_blood": 60}}})
    policy_only = evaluate(after(WB, 57, WB), config)
    assert policy_only.eligible_on == ON + days(3)
    assert policy_only.reasons[0].overridable_by == "establishment_policy"
    regulatory = evaluate(after(WB, 55, WB), config)
    assert regulatory.reasons[0].overridable_by is None
    assert evaluate(after(WB, 60, WB), config).outcome is ELIGIBLE


# --- Platelets: ≥ 2 days apart, ≤ 2 in any 7 days, ≤ 24 in 12 months ----------------------


def platelets(*days_before: int, on: date = ON, **extra):
    history = tuple(PriorDonation(on - days(n), PLT) for n in days_before)
    return make_case(on=on, procedure=PLT, history=history, **extra)


def test_two_platelet_procedures_in_the_7_days_before_block_a_third():
    decision = evaluate(platelets(2, 4))
    assert codes(decision) == ["platelets_more_than_allowed_in_7_days"]
    # The older one (day −4) leaves the 7-day window on day −4 + 7.
    assert decision.eligible_on == ON + days(3)
    assert decision.reasons[0].overridable_by is None
    assert "C8" in decision.reasons[0].source


@pytest.mark.parametrize(("older", "outcome"), [(6, TEMPORARY), (7, ELIGIBLE)])
def test_the_7_day_window_is_today_and_the_6_days_before(older, outcome):
    assert evaluate(platelets(2, older)).outcome is outcome


def test_one_platelet_procedure_in_7_days_is_allowed():
    assert evaluate(platelets(2)).outcome is ELIGIBLE


def test_the_7_day_limit_tightened_to_one():
    config = configuration_from_json({"platelets": {"max_in_7_days": 1}})
    decision = evaluate(platelets(3), config)
    assert codes(decision) == ["platelets_more_than_allowed_in_7_days"]
    assert decision.eligible_on == ON + days(4)
    assert decision.reasons[0].overridable_by == "establishment_policy"


def twenty_four_a_year(first_days_before: int) -> tuple[int, ...]:
    # 24 procedures 14 days apart, the most recent `first_days_before` days ago.
    return tuple(first_days_before + 14 * n for n in range(24))


def test_24_platelet_procedures_in_12_months_block_the_25th():
    before = twenty_four_a_year(7)  # oldest 7 + 14 × 23 = 329 days ago
    decision = evaluate(platelets(*before))
    assert codes(decision) == ["platelets_more_than_allowed_in_12_months"]
    oldest = ON - days(before[-1])
    assert decision.eligible_on == add_months(oldest, 12)
    assert evaluate(platelets(*before[:-1])).outcome is ELIGIBLE


def test_a_procedure_counts_until_the_same_date_12_months_later():
    on = date(2025, 3, 3)
    history = [on - days(7 + 14 * n) for n in range(23)] + [date(2024, 3, 3)]
    case = make_case(on=on, procedure=PLT, history=tuple(PriorDonation(d, PLT) for d in history))
    assert evaluate(case).outcome is ELIGIBLE  # 2024-03-03 + 12 months = today: out of the window
    history[-1] = date(2024, 3, 4)
    case = make_case(on=on, procedure=PLT, history=tuple(PriorDonation(d, PLT) for d in history))
    decision = evaluate(case)
    assert decision.eligible_on == date(2025, 3, 4)


def test_the_12_month_limit_tightened():
    config = configuration_from_json({"platelets": {"max_in_12_months": 20}})
    decision = evaluate(platelets(*twenty_four_a_year(7)[:20]), config)
    assert codes(decision) == ["platelets_more_than_allowed_in_12_months"]
    assert decision.reasons[0].overridable_by == "establishment_policy"


def test_other_procedures_do_not_count_toward_the_platelet_limits():
    history = (PriorDonation(ON - days(2), PLA), PriorDonation(ON - days(4), PLT))
    decision = evaluate(make_case(procedure=PLT, history=history))
    assert "platelets_more_than_allowed_in_7_days" not in codes(decision)


# --- Source plasma: ≥ 2 days apart, ≤ 2 in any 7 days -------------------------------------


def source_plasma(*days_before: int):
    history = tuple(PriorDonation(ON - days(n), SP) for n in days_before)
    return make_case(procedure=SP, history=history)


def test_source_plasma_twice_in_7_days():
    decision = evaluate(source_plasma(2, 5))
    assert codes(decision) == ["source_plasma_more_than_allowed_in_7_days"]
    assert decision.eligible_on == ON + days(2)
    assert "640.65" in decision.reasons[0].source
    assert evaluate(source_plasma(2, 7)).outcome is ELIGIBLE
    assert evaluate(source_plasma(2)).outcome is ELIGIBLE


def test_source_plasma_one_day_apart_is_too_soon():
    decision = evaluate(source_plasma(1))
    assert codes(decision) == ["interval_source_plasma_to_source_plasma"]
    assert decision.eligible_on == ON + days(1)
