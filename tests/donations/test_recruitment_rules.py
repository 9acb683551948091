"""The history-only judgement of recruitment lists (hemaops.donations.recruitment_rules):
pure, case by case."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hemaops.donations.recruitment_rules import (
    DAY_FINDING_CODES,
    eligible_since,
    history_case,
    history_only,
    is_day_only,
    judge_history,
)
from hemaops.donors import rules
from hemaops.donors.configuration import DEFAULT_CONFIGURATION

ON = date(2026, 12, 1)
WB, PLT, DRC, SP = (
    rules.Procedure.WHOLE_BLOOD,
    rules.Procedure.PLATELETS,
    rules.Procedure.DOUBLE_RED_CELLS,
    rules.Procedure.SOURCE_PLASMA,
)


def case(
    procedure=WB,
    *,
    on=ON,
    born=date(1980, 5, 17),
    history=(),
    deferrals=(),
    jurisdiction="US-CA",
    donation_type=rules.DonationType.ALLOGENEIC,
    sex=rules.Sex.FEMALE,
):
    return history_case(
        on=on,
        procedure=procedure,
        sex=sex,
        birth_date=born,
        jurisdiction=jurisdiction,
        donation_type=donation_type,
        history=tuple(rules.PriorDonation(day, kind) for day, kind in history),
        deferrals=tuple(deferrals),
    )


def judge(*args, **kwargs):
    return judge_history(case(*args, **kwargs), DEFAULT_CONFIGURATION)


def test_a_donor_with_no_history_is_listed_although_nothing_of_the_day_is_recorded():
    full = rules.evaluate(case(), DEFAULT_CONFIGURATION)
    assert full.outcome is rules.Outcome.INVALID_MEASUREMENT  # what screening would say now
    judged = judge()
    assert judged.listed is True
    assert judged.outcome is rules.Outcome.ELIGIBLE
    assert judged.reasons == ()


def test_whole_blood_30_days_ago_is_not_yet_eligible_for_whole_blood():
    judged = judge(history=[(ON - timedelta(days=30), WB)])
    assert judged.listed is False
    assert judged.outcome is rules.Outcome.INELIGIBLE_TEMPORARY
    assert judged.eligible_on == ON + timedelta(days=26)
    assert [reason.code for reason in judged.reasons] == ["interval_whole_blood_to_whole_blood"]


def test_whole_blood_56_days_ago_is_eligible_again_on_the_day_the_interval_ends():
    assert judge(history=[(ON - timedelta(days=56), WB)]).listed is True
    assert judge(history=[(ON - timedelta(days=55), WB)]).listed is False


def test_whole_blood_7_days_ago_does_not_keep_a_donor_from_platelets():
    assert judge(PLT, history=[(ON - timedelta(days=7), WB)]).listed is True
    assert judge(PLT, history=[(ON - timedelta(days=6), WB)]).listed is False


def test_double_red_cells_keep_a_donor_from_red_cells_for_112_days():
    assert judge(WB, history=[(ON - timedelta(days=111), DRC)]).listed is False
    assert judge(WB, history=[(ON - timedelta(days=112), DRC)]).listed is True


def test_double_red_cells_with_no_height_or_hematocrit_on_record_is_judged_on_the_day():
    # height and hematocrit are measured at the visit: not recorded is not a deferral here
    assert judge(DRC).listed is True


def test_the_platelet_limit_of_24_in_12_months_comes_from_the_history():
    history = [(ON - timedelta(days=14 * n), PLT) for n in range(1, 25)]
    judged = judge(PLT, history=history)
    assert judged.listed is False
    assert "platelets_more_than_allowed_in_12_months" in {reason.code for reason in judged.reasons}


def test_source_plasma_twice_in_the_last_7_days_is_not_listed():
    judged = judge(SP, history=[(ON - timedelta(days=2), SP), (ON - timedelta(days=5), SP)])
    assert judged.listed is False
    assert "source_plasma_more_than_allowed_in_7_days" in {reason.code for reason in judged.reasons}


def test_a_donor_below_the_minimum_age_on_the_day_is_not_listed_until_the_birthday():
    judged = judge(born=date(2010, 1, 10), jurisdiction="other")
    assert judged.listed is False
    assert judged.reasons[0].code == "below_minimum_age"
    assert judged.eligible_on is not None
    assert judged.eligible_on > ON


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        (rules.DeferralKind.INDEFINITE, rules.Outcome.INELIGIBLE_INDEFINITE),
        (rules.DeferralKind.PERMANENT, rules.Outcome.INELIGIBLE_PERMANENT),
    ],
)
def test_an_indefinite_or_permanent_deferral_on_record_is_never_listed(kind, outcome):
    judged = judge(deferrals=[rules.RecordedDeferral(kind, "hiv_repeatedly_reactive")])
    assert judged.listed is False
    assert judged.outcome is outcome


def test_a_temporary_deferral_on_record_lists_the_donor_from_its_end():
    deferral = rules.RecordedDeferral(rules.DeferralKind.TEMPORARY, "malaria_area_travel", ON + timedelta(1))
    assert judge(deferrals=[deferral]).listed is False
    assert judge(on=ON + timedelta(days=1), deferrals=[deferral]).listed is True


def test_a_temporary_deferral_without_an_end_keeps_the_donor_off_with_no_date():
    judged = judge(deferrals=[rules.RecordedDeferral(rules.DeferralKind.TEMPORARY, "pending", None)])
    assert judged.listed is False
    assert judged.eligible_on is None


def test_the_most_severe_history_reason_decides():
    judged = judge(
        history=[(ON - timedelta(days=3), WB)],
        deferrals=[rules.RecordedDeferral(rules.DeferralKind.PERMANENT, "hiv")],
    )
    assert judged.outcome is rules.Outcome.INELIGIBLE_PERMANENT


def test_measurements_not_recorded_and_physician_judgements_are_of_the_day():
    not_recorded = rules.Reason(rules.Outcome.INVALID_MEASUREMENT, "pulse_not_recorded", "", "")
    physician = rules.Reason(rules.Outcome.REQUIRES_PHYSICIAN, "pulse_out_of_range", "", "", "physician")
    fever = rules.Reason(rules.Outcome.INELIGIBLE_TEMPORARY, "temperature_above_limit", "", "")
    interval = rules.Reason(
        rules.Outcome.INELIGIBLE_TEMPORARY, "interval_whole_blood_to_whole_blood", "", "", None, ON
    )
    assert [is_day_only(reason) for reason in (not_recorded, physician, fever)] == [True, True, True]
    assert not is_day_only(interval)


def test_findings_of_the_day_in_a_decision_do_not_keep_a_donor_off_the_list():
    reasons = (
        rules.Reason(rules.Outcome.INELIGIBLE_TEMPORARY, code, "", "") for code in sorted(DAY_FINDING_CODES)
    )
    decision = rules.Decision(rules.Outcome.INELIGIBLE_TEMPORARY, None, tuple(reasons))
    assert history_only(decision).listed is True


def test_a_reason_the_engine_does_not_yet_know_is_taken_as_history():
    unknown = rules.Reason(rules.Outcome.INELIGIBLE_INDEFINITE, "some_future_rule", "", "")
    judged = history_only(rules.Decision(unknown.outcome, None, (unknown,)))
    assert judged.listed is False


def test_notes_and_the_alternative_procedure_do_not_defer():
    note = rules.Reason(rules.Outcome.ELIGIBLE, "anti_hbc_reactive_once", "", "")
    alternative = rules.Reason(rules.Outcome.ELIGIBLE_ALT_PROCEDURE, "female_alternative", "", "")
    assert history_only(rules.Decision(alternative.outcome, None, (note, alternative))).listed is True


def test_eligible_since_is_the_end_of_the_interval_after_the_last_donation():
    last = ON - timedelta(days=90)
    history = [(ON - timedelta(days=400), WB), (last, WB)]
    assert eligible_since(case(history=history), DEFAULT_CONFIGURATION) == last + timedelta(days=56)


def test_eligible_since_for_platelets_after_whole_blood_is_7_days_later():
    last = ON - timedelta(days=30)
    assert eligible_since(case(PLT, history=[(last, WB)]), DEFAULT_CONFIGURATION) == last + timedelta(7)


def test_eligible_since_is_the_end_of_a_later_temporary_deferral():
    until = ON - timedelta(days=10)
    deferral = rules.RecordedDeferral(rules.DeferralKind.TEMPORARY, "travel", until)
    history = [(ON - timedelta(days=200), WB)]
    assert eligible_since(case(history=history, deferrals=[deferral]), DEFAULT_CONFIGURATION) == until


def test_eligible_since_for_a_donor_who_never_gave_is_the_birthday_of_the_minimum_age():
    since = eligible_since(case(born=date(2000, 2, 29), jurisdiction="other"), DEFAULT_CONFIGURATION)
    minimum = DEFAULT_CONFIGURATION.age_rule("other").minimum_years
    assert since == rules.add_months(date(2000, 2, 29), 12 * minimum)
