"""Questionnaire events, earlier test results (marker × result) and recorded deferrals."""

from __future__ import annotations

from datetime import date

import pytest

from hemaops.donors.rules import (
    MARKER_RULES,
    DeferralKind,
    DonationType,
    Event,
    EventCode,
    Marker,
    MarkerRecord,
    MarkerResult,
    Outcome,
    Procedure,
    RecordedDeferral,
    evaluate,
)
from tests.donors.builders import ON, codes, days, make_case, reason

PERMANENT = Outcome.INELIGIBLE_PERMANENT
INDEFINITE = Outcome.INELIGIBLE_INDEFINITE
TEMPORARY = Outcome.INELIGIBLE_TEMPORARY
ELIGIBLE = Outcome.ELIGIBLE

# --- Questionnaire events ------------------------------------------------------------------

EVENT_DAY = date(2024, 11, 30)  # a month end: 3 months later is clamped to 28 February (C2)
# code: (first eligible date, procedure asked for, reason code)
TIMED_EVENTS = {
    EventCode.PREGNANCY_ENDED: (date(2025, 1, 11), Procedure.WHOLE_BLOOD, "pregnancy_within_6_weeks"),
    EventCode.INCARCERATION_RELEASED: (
        date(2025, 11, 30),
        Procedure.WHOLE_BLOOD,
        "incarceration_within_12_months",
    ),
    EventCode.ORAL_PREP_LAST_DOSE: (date(2025, 2, 28), Procedure.WHOLE_BLOOD, "oral_prep_within_3_months"),
    EventCode.PEP_LAST_DOSE: (date(2025, 2, 28), Procedure.WHOLE_BLOOD, "pep_within_3_months"),
    EventCode.INJECTABLE_PREP_LAST_DOSE: (
        date(2026, 11, 30),
        Procedure.PLASMA,
        "injectable_prep_within_2_years",
    ),
    EventCode.NEW_PARTNER_ANAL_SEX: (
        date(2025, 2, 28),
        Procedure.WHOLE_BLOOD,
        "new_partner_anal_sex_within_3_months",
    ),
    EventCode.SEX_FOR_MONEY_OR_DRUGS: (
        date(2025, 2, 28),
        Procedure.WHOLE_BLOOD,
        "sex_for_money_or_drugs_within_3_months",
    ),
    EventCode.MALARIA_AREA_RETURN: (
        date(2025, 2, 28),
        Procedure.PLATELETS,
        "malaria_area_travel_within_3_months",
    ),
    EventCode.MALARIA_RESIDENCE_DEPARTURE: (
        date(2027, 11, 30),
        Procedure.WHOLE_BLOOD,
        "malaria_area_residence_within_3_years",
    ),
    EventCode.MALARIA_RECOVERY: (date(2027, 11, 30), Procedure.WHOLE_BLOOD, "malaria_within_3_years"),
    EventCode.FINASTERIDE_LAST_DOSE: (
        date(2024, 12, 30),
        Procedure.WHOLE_BLOOD,
        "finasteride_within_1_month",
    ),
    EventCode.DUTASTERIDE_LAST_DOSE: (
        date(2025, 5, 30),
        Procedure.WHOLE_BLOOD,
        "dutasteride_within_6_months",
    ),
    EventCode.ISOTRETINOIN_LAST_DOSE: (
        date(2024, 12, 30),
        Procedure.WHOLE_BLOOD,
        "isotretinoin_within_1_month",
    ),
    EventCode.ACITRETIN_LAST_DOSE: (date(2027, 11, 30), Procedure.WHOLE_BLOOD, "acitretin_within_3_years"),
    EventCode.ASPIRIN_LAST_DOSE: (date(2024, 12, 2), Procedure.PLATELETS, "aspirin_within_2_days_platelets"),
    EventCode.PRASUGREL_LAST_DOSE: (
        date(2024, 12, 3),
        Procedure.PLATELETS,
        "prasugrel_within_3_days_platelets",
    ),
    EventCode.TICAGRELOR_LAST_DOSE: (
        date(2024, 12, 7),
        Procedure.PLATELETS,
        "ticagrelor_within_7_days_platelets",
    ),
    EventCode.CLOPIDOGREL_LAST_DOSE: (
        date(2024, 12, 14),
        Procedure.PLATELETS,
        "clopidogrel_within_14_days_platelets",
    ),
    EventCode.TICLOPIDINE_LAST_DOSE: (
        date(2024, 12, 14),
        Procedure.PLATELETS,
        "ticlopidine_within_14_days_platelets",
    ),
    EventCode.VORAPAXAR_LAST_DOSE: (
        date(2024, 12, 30),
        Procedure.PLATELETS,
        "vorapaxar_within_1_month_platelets",
    ),
    EventCode.LIVE_VACCINE_2_WEEKS: (
        date(2024, 12, 14),
        Procedure.WHOLE_BLOOD,
        "live_vaccine_within_2_weeks",
    ),
    EventCode.LIVE_VACCINE_4_WEEKS: (
        date(2024, 12, 28),
        Procedure.WHOLE_BLOOD,
        "live_vaccine_within_4_weeks",
    ),
}
INDEFINITE_EVENTS = {
    EventCode.HIV_TREATMENT: "hiv_treatment_ever",
    EventCode.ETRETINATE_EVER: "etretinate_ever",
}


def test_every_event_code_is_tested():
    assert set(TIMED_EVENTS) | set(INDEFINITE_EVENTS) | {EventCode.PREGNANT} == set(EventCode)


def with_event(code: EventCode, on: date, procedure: Procedure, event_day: date = EVENT_DAY, hours=None):
    hours = 72.0 if code is EventCode.INCARCERATION_RELEASED and hours is None else hours
    return make_case(on=on, procedure=procedure, events=(Event(code=code, date=event_day, hours=hours),))


@pytest.mark.parametrize(("code", "expected"), TIMED_EVENTS.items(), ids=[c.value for c in TIMED_EVENTS])
def test_each_timed_event_ends_on_its_date(code, expected):
    end, procedure, reason_code = expected
    early = evaluate(with_event(code, end - days(1), procedure))
    assert early.outcome is TEMPORARY
    assert codes(early) == [reason_code]
    assert early.eligible_on == end
    found = early.reasons[0]
    assert found.ends_on == end
    assert found.overridable_by is None
    assert "[" in found.source  # a verification tag
    assert evaluate(with_event(code, end, procedure)).outcome is ELIGIBLE
    assert evaluate(with_event(code, EVENT_DAY, procedure)).outcome is TEMPORARY  # day 0


@pytest.mark.parametrize(("code", "reason_code"), INDEFINITE_EVENTS.items())
def test_indefinite_events(code, reason_code):
    decision = evaluate(with_event(code, ON, Procedure.WHOLE_BLOOD, event_day=date(2001, 1, 1)))
    assert (decision.outcome, codes(decision)) == (INDEFINITE, [reason_code])
    assert decision.eligible_on is None


def test_pregnancy_42_days_after_it_ended():
    ended = date(2025, 1, 20)
    assert (
        evaluate(
            with_event(EventCode.PREGNANCY_ENDED, date(2025, 3, 3), Procedure.WHOLE_BLOOD, ended)
        ).outcome
        is ELIGIBLE
    )
    early = evaluate(with_event(EventCode.PREGNANCY_ENDED, date(2025, 3, 2), Procedure.WHOLE_BLOOD, ended))
    assert early.eligible_on == date(2025, 3, 3)
    assert "630.10(e)(2)(v)" in early.reasons[0].source


def test_a_current_pregnancy_has_no_fixed_end():
    decision = evaluate(with_event(EventCode.PREGNANT, ON, Procedure.WHOLE_BLOOD, date(2025, 1, 5)))
    assert (decision.outcome, codes(decision)) == (TEMPORARY, ["currently_pregnant"])
    assert decision.eligible_on is None


def test_a_pregnancy_that_has_since_ended_counts_from_its_end():
    events = (
        Event(EventCode.PREGNANT, date(2024, 6, 1)),
        Event(EventCode.PREGNANCY_ENDED, date(2025, 2, 1)),
    )
    decision = evaluate(make_case(events=events))
    assert codes(decision) == ["pregnancy_within_6_weeks"]
    assert decision.eligible_on == date(2025, 3, 15)
    # A new pregnancy reported after an earlier one ended is current.
    events = (Event(EventCode.PREGNANCY_ENDED, date(2023, 2, 1)), Event(EventCode.PREGNANT, date(2025, 1, 1)))
    assert codes(evaluate(make_case(events=events))) == ["currently_pregnant"]


@pytest.mark.parametrize(("hours", "deferred"), [(71.9, False), (72.0, True), (2000.0, True), (0.0, False)])
def test_incarceration_of_72_consecutive_hours(hours, deferred):
    case = with_event(EventCode.INCARCERATION_RELEASED, ON, Procedure.WHOLE_BLOOD, date(2024, 6, 1), hours)
    decision = evaluate(case)
    assert (decision.outcome is TEMPORARY) is deferred
    if deferred:
        assert decision.eligible_on == date(2025, 6, 1)
        assert "630.10(e)(1)(iv)" in decision.reasons[0].source


@pytest.mark.parametrize(
    "code",
    [
        EventCode.ASPIRIN_LAST_DOSE,
        EventCode.PRASUGREL_LAST_DOSE,
        EventCode.TICAGRELOR_LAST_DOSE,
        EventCode.CLOPIDOGREL_LAST_DOSE,
        EventCode.TICLOPIDINE_LAST_DOSE,
        EventCode.VORAPAXAR_LAST_DOSE,
    ],
)
def test_antiplatelet_drugs_defer_platelet_donation_only(code):
    for procedure in (
        Procedure.WHOLE_BLOOD,
        Procedure.PLASMA,
        Procedure.SOURCE_PLASMA,
        Procedure.DOUBLE_RED_CELLS,
    ):
        assert evaluate(with_event(code, ON, procedure, ON)).outcome is ELIGIBLE
    assert evaluate(with_event(code, ON, Procedure.PLATELETS, ON)).outcome is TEMPORARY


@pytest.mark.parametrize(
    "code",
    [EventCode.MALARIA_AREA_RETURN, EventCode.MALARIA_RESIDENCE_DEPARTURE, EventCode.MALARIA_RECOVERY],
)
def test_source_plasma_is_exempt_from_the_malaria_deferrals(code):
    assert evaluate(with_event(code, ON, Procedure.SOURCE_PLASMA, ON)).outcome is ELIGIBLE
    assert evaluate(with_event(code, ON, Procedure.WHOLE_BLOOD, ON)).outcome is TEMPORARY


def test_several_events_give_the_latest_end():
    events = (
        Event(EventCode.MALARIA_AREA_RETURN, date(2025, 2, 1)),  # → 2025-05-01
        Event(EventCode.FINASTERIDE_LAST_DOSE, date(2025, 2, 20)),  # → 2025-03-20
    )
    decision = evaluate(make_case(events=events))
    assert decision.eligible_on == date(2025, 5, 1)
    assert len(decision.reasons) == 2


# --- Earlier test results: every marker × result row ---------------------------------------

RR, NAT, CP = MarkerResult.REPEATEDLY_REACTIVE, MarkerResult.NAT_REACTIVE, MarkerResult.CONFIRMED_POSITIVE
ONCE = "once"  # anti-HBc / anti-HTLV: not deferred after one occasion
EXPECTED_ROWS = {
    (Marker.HIV, RR): INDEFINITE,
    (Marker.HIV, NAT): INDEFINITE,
    (Marker.HIV, CP): INDEFINITE,
    (Marker.HBSAG, RR): INDEFINITE,
    (Marker.HBSAG, CP): INDEFINITE,
    (Marker.HBV_NAT, NAT): INDEFINITE,
    (Marker.HBV_NAT, CP): INDEFINITE,
    (Marker.HCV, RR): INDEFINITE,
    (Marker.HCV, NAT): INDEFINITE,
    (Marker.HCV, CP): INDEFINITE,
    (Marker.CHAGAS, RR): INDEFINITE,
    (Marker.CHAGAS, CP): INDEFINITE,
    (Marker.SYPHILIS, RR): INDEFINITE,
    (Marker.SYPHILIS, CP): INDEFINITE,
    (Marker.ANTI_HBC, RR): ONCE,
    (Marker.ANTI_HBC, CP): INDEFINITE,
    (Marker.HTLV, RR): ONCE,
    (Marker.HTLV, CP): INDEFINITE,
    (Marker.WNV, NAT): date(2025, 3, 3),  # 2024-11-03 + 120 days
    (Marker.WNV, CP): date(2025, 3, 3),
    (Marker.BABESIA, RR): date(2026, 11, 3),  # 2024-11-03 + 2 years
    (Marker.BABESIA, NAT): date(2026, 11, 3),
    (Marker.BABESIA, CP): date(2026, 11, 3),
}
RESULT_DAY = date(2024, 11, 3)


def test_the_marker_table_has_exactly_the_expected_rows():
    assert set(MARKER_RULES) == set(EXPECTED_ROWS)


def with_markers(*records: tuple[date, Marker, MarkerResult], on: date = ON, **extra):
    history = tuple(MarkerRecord(date=d, marker=m, result=r) for d, m, r in records)
    return make_case(on=on, marker_history=history, **extra)


@pytest.mark.parametrize(
    ("row", "expected"), EXPECTED_ROWS.items(), ids=[f"{m.value}-{r.value}" for m, r in EXPECTED_ROWS]
)
def test_every_marker_result_row(row, expected):
    marker, result = row
    decision = evaluate(with_markers((RESULT_DAY, marker, result)))
    if expected is INDEFINITE:
        assert decision.outcome is INDEFINITE
        assert decision.eligible_on is None
        assert "610.41" in decision.reasons[0].message  # the re-entry path
        assert "610.41(a)" in decision.reasons[0].source
    elif expected == ONCE:
        assert decision.outcome is ELIGIBLE
        assert codes(decision) == [f"{marker.value}_reactive_once"]
    else:
        assert isinstance(expected, date)
        early = evaluate(with_markers((RESULT_DAY, marker, result), on=expected - days(1)))
        assert early.outcome is TEMPORARY
        assert early.eligible_on == expected
        assert evaluate(with_markers((RESULT_DAY, marker, result), on=expected)).outcome is ELIGIBLE


def test_wnv_120_days():
    decision = evaluate(with_markers((date(2024, 11, 4), Marker.WNV, NAT)))
    assert decision.eligible_on == date(2025, 3, 4)
    assert "120" in decision.reasons[0].source


@pytest.mark.parametrize("marker", [Marker.ANTI_HBC, Marker.HTLV])
def test_reactive_on_a_second_occasion_is_an_indefinite_deferral(marker):
    same_day = evaluate(with_markers((date(2024, 6, 1), marker, RR), (date(2024, 6, 1), marker, RR)))
    assert same_day.outcome is ELIGIBLE  # one occasion
    twice = evaluate(with_markers((date(2023, 6, 1), marker, RR), (date(2024, 6, 1), marker, RR)))
    assert (twice.outcome, codes(twice)) == (INDEFINITE, [f"{marker.value}_reactive_more_than_once"])
    assert "610.41" in twice.reasons[0].source


def test_anti_hbc_and_anti_htlv_occasions_are_counted_per_marker():
    decision = evaluate(
        with_markers((date(2023, 6, 1), Marker.ANTI_HBC, RR), (date(2024, 6, 1), Marker.HTLV, RR))
    )
    assert decision.outcome is ELIGIBLE
    assert codes(decision) == ["anti_hbc_reactive_once", "htlv_reactive_once"]


def test_a_deferred_donor_may_donate_autologously():
    decision = evaluate(with_markers((RESULT_DAY, Marker.HIV, RR), donation_type=DonationType.AUTOLOGOUS))
    assert decision.outcome is ELIGIBLE
    found = reason(decision, "hiv_repeatedly_reactive_autologous_permitted")
    assert "610.41(b)" in found.source


# --- Recorded deferrals ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("until", "outcome", "eligible_on"),
    [(ON + days(1), TEMPORARY, ON + days(1)), (ON, ELIGIBLE, None), (ON - days(1), ELIGIBLE, None)],
)
def test_a_temporary_deferral_ends_on_its_until_date(until, outcome, eligible_on):
    case = make_case(deferrals=(RecordedDeferral(DeferralKind.TEMPORARY, "low_iron", until),))
    decision = evaluate(case)
    assert (decision.outcome, decision.eligible_on) == (outcome, eligible_on)
    if outcome is TEMPORARY:
        assert "low_iron" in decision.reasons[0].message
        assert "606.160(e)" in decision.reasons[0].source


@pytest.mark.parametrize(
    ("kind", "outcome", "code"),
    [
        (DeferralKind.INDEFINITE, INDEFINITE, "recorded_indefinite_deferral"),
        (DeferralKind.PERMANENT, PERMANENT, "recorded_permanent_deferral"),
    ],
)
def test_indefinite_and_permanent_deferrals(kind, outcome, code):
    decision = evaluate(make_case(deferrals=(RecordedDeferral(kind, "implicated_in_transmission"),)))
    assert (decision.outcome, codes(decision), decision.eligible_on) == (outcome, [code], None)
    assert decision.reasons[0].overridable_by is None
