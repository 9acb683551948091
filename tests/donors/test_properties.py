"""Property tests (hypothesis) of the eligibility engine.

(a) eligible_on is the first date on which the same case is no longer temporarily ineligible:
    on eligible_on the temporary reasons are gone, on the day before the case is still
    INELIGIBLE_TEMPORARY. 1,000 examples.
(b) adding a deferral never makes a decision less severe (nor brings eligible_on forward).
    1,000 examples.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hemaops.donors.rules import (
    MARKER_RULES,
    SEVERITY,
    Case,
    DeferralKind,
    DonationType,
    Donor,
    Event,
    EventCode,
    HemoglobinSample,
    MarkerDeferral,
    MarkerRecord,
    Outcome,
    Policy,
    PriorDonation,
    Procedure,
    RecordedDeferral,
    Sex,
    Vitals,
    evaluate,
)

TEMPORARY = Outcome.INELIGIBLE_TEMPORARY
ONE_DAY = timedelta(days=1)
EXAMPLES_ELIGIBLE_ON = 1000
EXAMPLES_DEFERRAL = 1000

SEVERE_EVENTS = {EventCode.HIV_TREATMENT, EventCode.ETRETINATE_EVER}
TIMED_EVENTS = sorted(set(EventCode) - SEVERE_EVENTS)
TIMED_MARKER_ROWS = sorted(
    row for row, rule in MARKER_RULES.items() if rule.kind in (MarkerDeferral.DAYS, MarkerDeferral.MONTHS)
)


def _choice(*values):
    return st.sampled_from(values)


@st.composite
def vitals(draw, *, around_limits: bool) -> Vitals:
    """Values at and around the limits; with around_limits=False only the findings that do
    not stop an eligible_on (physician, alternative procedure) or none at all."""
    if around_limits:
        return Vitals(
            weight_kg=draw(_choice(49.9, 50.0, 58.9, 59.0, 70.0, None)),
            temperature_c=draw(_choice(36.8, 37.5, 37.6)),
            systolic_mm_hg=draw(_choice(89.0, 90.0, 120.0, 180.0, 181.0)),
            diastolic_mm_hg=draw(_choice(49.0, 50.0, 80.0)),
            pulse_bpm=draw(_choice(49.0, 50.0, 72.0, 100.0, 101.0)),
            pulse_regular=draw(_choice(True, True, False, None)),
            healthy_athlete=draw(st.booleans()),
            hemoglobin_g_dl=draw(_choice(10.9, 11.0, 12.0, 12.4, 12.5, 13.0, 14.0, None)),
            hematocrit_pct=draw(_choice(None, 35.9, 36.0, 38.0, 39.0, 40.0, 45.0)),
            hemoglobin_sample=draw(st.sampled_from(HemoglobinSample)),
            platelet_count_k_per_ul=draw(_choice(149.0, 150.0, 250.0)),
            phlebotomy_site_ok=draw(_choice(True, True, False)),
            injection_drug_signs=draw(_choice(False, False, True)),
        )
    return Vitals(
        weight_kg=70.0,
        temperature_c=36.8,
        systolic_mm_hg=draw(_choice(120.0, 181.0)),
        diastolic_mm_hg=80.0,
        pulse_bpm=draw(_choice(72.0, 45.0)),
        pulse_regular=True,
        healthy_athlete=draw(st.booleans()),
        hemoglobin_g_dl=draw(_choice(12.2, 14.0)),
        hematocrit_pct=45.0,
        hemoglobin_sample=HemoglobinSample.VENOUS,
        platelet_count_k_per_ul=250.0,
        phlebotomy_site_ok=True,
        injection_drug_signs=False,
    )


@st.composite
def cases(draw, *, severe: bool) -> Case:
    on = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
    procedure = draw(st.sampled_from(Procedure))
    sex = draw(st.sampled_from(Sex))
    donor = Donor(
        sex=sex,
        birth_date=on - timedelta(days=draw(st.integers(min_value=15 * 365, max_value=70 * 365))),
        parental_consent=draw(st.booleans()),
        height_cm=draw(_choice(150.0, 154.94, 165.0, 165.1, 180.0)),
    )
    # Earlier donations: some of any kind over a year or so, and a run of the same procedure
    # close together (the 7-day and 12-month limits).
    history = tuple(
        PriorDonation(date=on - timedelta(days=before), procedure=previous)
        for before, previous in draw(
            st.lists(
                st.tuples(st.integers(min_value=0, max_value=400), st.sampled_from(Procedure)), max_size=8
            )
        )
    ) + tuple(
        PriorDonation(date=on - timedelta(days=before), procedure=procedure)
        for before in draw(
            st.integers(min_value=0, max_value=30).flatmap(
                lambda count: st.lists(
                    st.one_of(
                        st.integers(min_value=0, max_value=10), st.integers(min_value=0, max_value=380)
                    ),
                    min_size=count,
                    max_size=count,
                )
            )
        )
    )
    event_codes = st.sampled_from(EventCode) if severe else st.sampled_from(TIMED_EVENTS)
    events = tuple(
        Event(
            code=code,
            date=on - timedelta(days=before),
            hours=draw(_choice(24.0, 72.0, 100.0)) if code is EventCode.INCARCERATION_RELEASED else None,
        )
        for code, before in draw(
            st.lists(st.tuples(event_codes, st.integers(min_value=0, max_value=1200)), max_size=3)
        )
    )
    deferrals = tuple(draw(st.lists(deferrals_strategy(on, severe=severe), max_size=2)))
    rows = st.sampled_from(sorted(MARKER_RULES)) if severe else st.sampled_from(TIMED_MARKER_ROWS)
    markers = tuple(
        MarkerRecord(date=on - timedelta(days=before), marker=marker, result=result)
        for (marker, result), before in draw(
            st.lists(st.tuples(rows, st.integers(min_value=0, max_value=1000)), max_size=2)
        )
    )
    policy = Policy(
        female_low_hemoglobin_program=draw(_choice(None, True, False)),
        healthy_athlete_pulse_sop=draw(_choice(None, True, False)),
    )
    return Case(
        on=on,
        procedure=procedure,
        donor=donor,
        vitals=draw(vitals(around_limits=severe)),
        donation_type=draw(st.sampled_from(DonationType)),
        jurisdiction=draw(_choice("US-MN", "US-WA", "US-TX", "other")),
        history=history,
        events=events,
        deferrals=deferrals,
        marker_history=markers,
        policy=policy,
    )


def deferrals_strategy(on: date, *, severe: bool) -> st.SearchStrategy[RecordedDeferral]:
    temporary = st.builds(
        RecordedDeferral,
        kind=st.just(DeferralKind.TEMPORARY),
        code=st.just("recorded"),
        until=st.integers(min_value=-30, max_value=400).map(lambda n: on + timedelta(days=n)),
    )
    if not severe:
        return temporary
    return st.one_of(
        temporary,
        st.builds(
            RecordedDeferral,
            kind=st.sampled_from([DeferralKind.INDEFINITE, DeferralKind.PERMANENT]),
            code=st.just("recorded"),
        ),
    )


@settings(
    max_examples=EXAMPLES_ELIGIBLE_ON,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(cases(severe=False))
def test_eligible_on_is_the_first_date_the_same_case_is_eligible(case):
    decision = evaluate(case)
    assume(decision.outcome is TEMPORARY and decision.eligible_on is not None)
    assert decision.eligible_on is not None
    assert decision.eligible_on > case.on

    then = evaluate(replace(case, on=decision.eligible_on))
    assert SEVERITY[then.outcome] < SEVERITY[TEMPORARY]
    assert all(reason.outcome is not TEMPORARY for reason in then.reasons)

    day_before = evaluate(replace(case, on=decision.eligible_on - ONE_DAY))
    assert day_before.outcome is TEMPORARY
    assert day_before.eligible_on == decision.eligible_on


@settings(max_examples=EXAMPLES_DEFERRAL, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_adding_a_deferral_never_makes_a_decision_less_severe(data):
    case = data.draw(cases(severe=True))
    deferral = data.draw(deferrals_strategy(case.on, severe=True))
    before = evaluate(case)
    after = evaluate(replace(case, deferrals=(*case.deferrals, deferral)))
    assert SEVERITY[after.outcome] >= SEVERITY[before.outcome]
    assert len(after.reasons) >= len(before.reasons)
    if before.outcome is TEMPORARY and after.outcome is TEMPORARY:
        if before.eligible_on is None:
            assert after.eligible_on is None
        elif after.eligible_on is not None:
            assert after.eligible_on >= before.eligible_on
