"""21 CFR 630.10(f): the physical assessment of the day, at every printed limit (C5, C6)."""

from __future__ import annotations

import pytest

from hemaops.donors.configuration import configuration_from_json
from hemaops.donors.rules import (
    DonationType,
    HemoglobinSample,
    Outcome,
    Policy,
    Procedure,
    Sex,
    evaluate,
)
from tests.donors.builders import codes, make_case, reason

ELIGIBLE = Outcome.ELIGIBLE
TEMPORARY = Outcome.INELIGIBLE_TEMPORARY
PHYSICIAN = Outcome.REQUIRES_PHYSICIAN
INVALID = Outcome.INVALID_MEASUREMENT
ALTERNATIVE = Outcome.ELIGIBLE_ALT_PROCEDURE


def test_the_baseline_donor_is_eligible_with_no_reasons():
    decision = evaluate(make_case())
    assert decision.outcome is ELIGIBLE
    assert decision.eligible_on is None
    assert decision.reasons == ()


# --- Temperature: ≤ 37.5 °C (99.5 °F), in the unit measured ---------------------------------


@pytest.mark.parametrize(
    ("celsius", "outcome"),
    [(36.0, ELIGIBLE), (37.4, ELIGIBLE), (37.5, ELIGIBLE), (37.6, TEMPORARY), (39.0, TEMPORARY)],
)
def test_temperature_celsius_is_inclusive_at_37_5(celsius, outcome):
    decision = evaluate(make_case(vitals={"temperature_c": celsius}))
    assert decision.outcome is outcome
    if outcome is TEMPORARY:
        found = reason(decision, "temperature_above_limit")
        assert found.ends_on is None  # a finding of the day: re-assessed at the next visit
        assert found.overridable_by is None
        assert "630.10(f)(1)" in found.source
        assert decision.eligible_on is None


@pytest.mark.parametrize(("fahrenheit", "outcome"), [(99.5, ELIGIBLE), (99.6, TEMPORARY), (98.6, ELIGIBLE)])
def test_temperature_fahrenheit_is_compared_in_fahrenheit(fahrenheit, outcome):
    case = make_case(vitals={"temperature_c": None, "temperature_f": fahrenheit})
    assert evaluate(case).outcome is outcome


def test_temperature_not_recorded_is_an_invalid_measurement():
    decision = evaluate(make_case(vitals={"temperature_c": None}))
    assert decision.outcome is INVALID
    assert codes(decision) == ["temperature_not_recorded"]


# --- Blood pressure: systolic 90–180, diastolic 50–100, a physician may judge ---------------


@pytest.mark.parametrize(
    ("systolic", "outcome"),
    [(89.0, PHYSICIAN), (90.0, ELIGIBLE), (180.0, ELIGIBLE), (181.0, PHYSICIAN)],
)
def test_systolic_limits_are_inclusive(systolic, outcome):
    decision = evaluate(make_case(vitals={"systolic_mm_hg": systolic, "diastolic_mm_hg": 60.0}))
    assert decision.outcome is outcome
    if outcome is PHYSICIAN:
        found = reason(decision, "systolic_blood_pressure_out_of_range")
        assert found.overridable_by == "physician"
        assert "630.10(f)(2)" in found.source


@pytest.mark.parametrize(
    ("diastolic", "outcome"),
    [(49.0, PHYSICIAN), (50.0, ELIGIBLE), (100.0, ELIGIBLE), (101.0, PHYSICIAN)],
)
def test_diastolic_limits_are_inclusive(diastolic, outcome):
    decision = evaluate(make_case(vitals={"systolic_mm_hg": 150.0, "diastolic_mm_hg": diastolic}))
    assert decision.outcome is outcome
    if outcome is PHYSICIAN:
        assert reason(decision, "diastolic_blood_pressure_out_of_range").overridable_by == "physician"


def test_both_pressures_out_of_range_give_two_reasons():
    decision = evaluate(make_case(vitals={"systolic_mm_hg": 190.0, "diastolic_mm_hg": 110.0}))
    assert decision.outcome is PHYSICIAN
    assert codes(decision) == [
        "systolic_blood_pressure_out_of_range",
        "diastolic_blood_pressure_out_of_range",
    ]


def test_blood_pressure_not_recorded():
    decision = evaluate(make_case(vitals={"diastolic_mm_hg": None}))
    assert (decision.outcome, codes(decision)) == (INVALID, ["blood_pressure_not_recorded"])


# --- Pulse: regular and 50–100 bpm; the healthy-athlete SOP for a low pulse ---------------


@pytest.mark.parametrize(
    ("pulse", "outcome"), [(49.0, PHYSICIAN), (50.0, ELIGIBLE), (100.0, ELIGIBLE), (101.0, PHYSICIAN)]
)
def test_pulse_limits_are_inclusive(pulse, outcome):
    decision = evaluate(make_case(vitals={"pulse_bpm": pulse}))
    assert decision.outcome is outcome
    if outcome is PHYSICIAN:
        found = reason(decision, "pulse_out_of_range")
        assert found.overridable_by == "physician"
        assert "630.10(f)(4)" in found.source


def test_irregular_pulse_needs_the_physician():
    decision = evaluate(make_case(vitals={"pulse_regular": False}))
    assert (decision.outcome, codes(decision)) == (PHYSICIAN, ["pulse_irregular"])
    assert decision.reasons[0].overridable_by == "physician"


def test_pulse_regularity_not_recorded():
    decision = evaluate(make_case(vitals={"pulse_regular": None}))
    assert (decision.outcome, codes(decision)) == (INVALID, ["pulse_regularity_not_recorded"])


def test_healthy_athlete_with_a_low_pulse_is_eligible_under_the_sop():
    case = make_case(
        vitals={"pulse_bpm": 44.0, "healthy_athlete": True}, policy=Policy(healthy_athlete_pulse_sop=True)
    )
    decision = evaluate(case)
    assert decision.outcome is ELIGIBLE
    assert codes(decision) == ["low_pulse_healthy_athlete"]
    assert "July 2024" in decision.reasons[0].source


def test_healthy_athlete_without_the_sop_needs_the_physician():
    case = make_case(
        vitals={"pulse_bpm": 44.0, "healthy_athlete": True}, policy=Policy(healthy_athlete_pulse_sop=False)
    )
    decision = evaluate(case)
    assert (decision.outcome, codes(decision)) == (PHYSICIAN, ["pulse_out_of_range"])
    assert "no healthy-athlete SOP" in decision.reasons[0].message


def test_the_sop_does_not_cover_a_donor_who_is_not_a_healthy_athlete():
    case = make_case(vitals={"pulse_bpm": 44.0}, policy=Policy(healthy_athlete_pulse_sop=True))
    assert evaluate(case).outcome is PHYSICIAN


def test_the_sop_does_not_cover_a_high_pulse():
    case = make_case(
        vitals={"pulse_bpm": 101.0, "healthy_athlete": True}, policy=Policy(healthy_athlete_pulse_sop=True)
    )
    assert evaluate(case).outcome is PHYSICIAN


def test_the_sop_flag_comes_from_the_configuration_when_the_case_is_silent():
    config = configuration_from_json({"policy": {"healthy_athlete_pulse_sop": True}})
    case = make_case(vitals={"pulse_bpm": 44.0, "healthy_athlete": True})
    assert evaluate(case).outcome is PHYSICIAN
    assert evaluate(case, config).outcome is ELIGIBLE


def test_pulse_not_recorded():
    decision = evaluate(make_case(vitals={"pulse_bpm": None}))
    assert (decision.outcome, codes(decision)) == (INVALID, ["pulse_not_recorded"])


# --- Weight: ≥ 50 kg or ≥ 110 lb, in the unit measured -----------------------------------


@pytest.mark.parametrize(("kilograms", "outcome"), [(49.9, TEMPORARY), (50.0, ELIGIBLE), (120.0, ELIGIBLE)])
def test_weight_in_kilograms(kilograms, outcome):
    decision = evaluate(make_case(vitals={"weight_kg": kilograms}))
    assert decision.outcome is outcome
    if outcome is TEMPORARY:
        assert codes(decision) == ["weight_below_minimum"]
        assert decision.eligible_on is None


@pytest.mark.parametrize(("pounds", "outcome"), [(109.9, TEMPORARY), (110.0, ELIGIBLE)])
def test_weight_in_pounds_is_not_converted(pounds, outcome):
    # 110 lb is 49.9 kg: comparing after conversion would refuse this donor.
    decision = evaluate(make_case(vitals={"weight_kg": None, "weight_lb": pounds}))
    assert decision.outcome is outcome


def test_weight_not_recorded():
    decision = evaluate(make_case(vitals={"weight_kg": None}))
    assert (decision.outcome, codes(decision)) == (INVALID, ["weight_not_recorded"])


# --- Hemoglobin or hematocrit by sex ------------------------------------------------------


@pytest.mark.parametrize(
    ("sex", "hemoglobin", "outcome"),
    [
        (Sex.FEMALE, 12.5, ELIGIBLE),
        (Sex.FEMALE, 12.4, TEMPORARY),
        (Sex.FEMALE, 11.9, TEMPORARY),
        (Sex.MALE, 13.0, ELIGIBLE),
        (Sex.MALE, 12.9, TEMPORARY),
    ],
)
def test_hemoglobin_thresholds_by_sex(sex, hemoglobin, outcome):
    case = make_case(sex=sex, vitals={"hemoglobin_g_dl": hemoglobin, "hematocrit_pct": None})
    decision = evaluate(case)
    assert decision.outcome is outcome
    if outcome is TEMPORARY:
        found = reason(decision, "hemoglobin_below_minimum")
        assert found.ends_on is None
        assert ("(3)(i)(A)" if sex is Sex.FEMALE else "(3)(i)(B)") in found.source


@pytest.mark.parametrize(
    ("sex", "hematocrit", "outcome"),
    [
        (Sex.FEMALE, 38.0, ELIGIBLE),
        (Sex.FEMALE, 37.9, TEMPORARY),
        (Sex.MALE, 39.0, ELIGIBLE),
        (Sex.MALE, 38.9, TEMPORARY),
    ],
)
def test_hematocrit_thresholds_by_sex(sex, hematocrit, outcome):
    case = make_case(sex=sex, vitals={"hemoglobin_g_dl": None, "hematocrit_pct": hematocrit})
    assert evaluate(case).outcome is outcome


@pytest.mark.parametrize(
    ("hemoglobin", "hematocrit", "outcome"),
    [
        (12.9, 39.0, ELIGIBLE),  # hematocrit meets its threshold
        (13.0, 38.0, ELIGIBLE),  # hemoglobin meets its threshold
        (12.9, 38.9, TEMPORARY),  # neither does
    ],
)
def test_when_both_are_measured_either_meeting_its_threshold_suffices(hemoglobin, hematocrit, outcome):
    case = make_case(sex=Sex.MALE, vitals={"hemoglobin_g_dl": hemoglobin, "hematocrit_pct": hematocrit})
    assert evaluate(case).outcome is outcome


@pytest.mark.parametrize(
    ("hemoglobin", "hematocrit", "outcome"),
    [
        (12.0, None, ALTERNATIVE),
        (12.4, None, ALTERNATIVE),
        (12.5, None, ELIGIBLE),
        (11.9, None, TEMPORARY),
        (None, 36.0, ALTERNATIVE),
        (None, 37.9, ALTERNATIVE),
        (None, 38.0, ELIGIBLE),
        (None, 35.9, TEMPORARY),
        (11.9, 36.0, ALTERNATIVE),
        (12.0, 35.0, ALTERNATIVE),
    ],
)
def test_female_alternative_window_is_12_0_inclusive_to_12_5_exclusive(hemoglobin, hematocrit, outcome):
    case = make_case(
        sex=Sex.FEMALE,
        vitals={"hemoglobin_g_dl": hemoglobin, "hematocrit_pct": hematocrit},
        policy=Policy(female_low_hemoglobin_program=True),
    )
    decision = evaluate(case)
    assert decision.outcome is outcome
    if outcome is ALTERNATIVE:
        found = reason(decision, "female_alternative_hemoglobin_standard")
        assert "C6" in found.source
        assert found.overridable_by is None


def test_female_alternative_window_without_the_program_is_ineligible():
    case = make_case(
        sex=Sex.FEMALE,
        vitals={"hemoglobin_g_dl": 12.2, "hematocrit_pct": None},
        policy=Policy(female_low_hemoglobin_program=False),
    )
    decision = evaluate(case)
    assert (decision.outcome, codes(decision)) == (TEMPORARY, ["hemoglobin_below_minimum"])


def test_the_female_program_flag_comes_from_the_configuration_when_the_case_is_silent():
    config = configuration_from_json({"policy": {"female_low_hemoglobin_program": True}})
    case = make_case(sex=Sex.FEMALE, vitals={"hemoglobin_g_dl": 12.2, "hematocrit_pct": None})
    assert evaluate(case).outcome is TEMPORARY
    assert evaluate(case, config).outcome is ALTERNATIVE


def test_the_female_program_does_not_apply_to_men():
    case = make_case(
        sex=Sex.MALE,
        vitals={"hemoglobin_g_dl": 12.2, "hematocrit_pct": None},
        policy=Policy(female_low_hemoglobin_program=True),
    )
    assert evaluate(case).outcome is TEMPORARY


@pytest.mark.parametrize(
    ("hemoglobin", "hematocrit", "outcome"),
    [(11.0, None, ELIGIBLE), (10.9, None, TEMPORARY), (None, 33.0, ELIGIBLE), (None, 32.9, TEMPORARY)],
)
def test_autologous_thresholds(hemoglobin, hematocrit, outcome):
    for sex in Sex:
        case = make_case(
            sex=sex,
            donation_type=DonationType.AUTOLOGOUS,
            vitals={"hemoglobin_g_dl": hemoglobin, "hematocrit_pct": hematocrit},
        )
        decision = evaluate(case)
        assert decision.outcome is outcome
        if outcome is TEMPORARY:
            assert "(3)(ii)" in reason(decision, "hemoglobin_below_minimum").source


def test_directed_donors_use_the_allogeneic_thresholds():
    case = make_case(
        sex=Sex.MALE,
        donation_type=DonationType.DIRECTED,
        vitals={"hemoglobin_g_dl": 12.9, "hematocrit_pct": None},
    )
    assert evaluate(case).outcome is TEMPORARY


def test_an_earlobe_sample_is_an_invalid_measurement_whatever_its_value():
    for hemoglobin in (10.0, 15.0):
        case = make_case(
            vitals={"hemoglobin_g_dl": hemoglobin, "hemoglobin_sample": HemoglobinSample.EARLOBE}
        )
        decision = evaluate(case)
        assert (decision.outcome, codes(decision)) == (INVALID, ["hemoglobin_earlobe_sample"])
        assert "630.10(f)(3)" in decision.reasons[0].source


@pytest.mark.parametrize(
    "sample", [HemoglobinSample.FINGERSTICK, HemoglobinSample.VENOUS, HemoglobinSample.NONINVASIVE]
)
def test_acceptable_samples(sample):
    assert evaluate(make_case(vitals={"hemoglobin_sample": sample})).outcome is ELIGIBLE


def test_hemoglobin_not_recorded_and_sample_not_recorded():
    missing = evaluate(make_case(vitals={"hemoglobin_g_dl": None, "hematocrit_pct": None}))
    assert (missing.outcome, codes(missing)) == (INVALID, ["hemoglobin_not_recorded"])
    no_sample = evaluate(make_case(vitals={"hemoglobin_sample": None}))
    assert (no_sample.outcome, codes(no_sample)) == (INVALID, ["hemoglobin_sample_not_recorded"])


def test_low_hemoglobin_waiting_period_is_named_but_gives_no_fixed_end():
    config = configuration_from_json({"low_hemoglobin_waiting_days": 56})
    decision = evaluate(make_case(vitals={"hemoglobin_g_dl": 12.0, "hematocrit_pct": None}), config)
    found = reason(decision, "hemoglobin_below_minimum")
    assert "not re-tested before 2025-04-28" in found.message
    assert found.ends_on is None
    assert decision.eligible_on is None


# --- Skin: the phlebotomy site and signs of injection drug use, two findings ---------------


def test_phlebotomy_site_and_injection_signs_are_separate_findings():
    site = evaluate(make_case(vitals={"phlebotomy_site_ok": False}))
    assert (site.outcome, codes(site)) == (TEMPORARY, ["phlebotomy_site_not_acceptable"])
    signs = evaluate(make_case(vitals={"injection_drug_signs": True}))
    assert (signs.outcome, codes(signs)) == (TEMPORARY, ["injection_drug_use_signs"])
    both = evaluate(make_case(vitals={"phlebotomy_site_ok": False, "injection_drug_signs": True}))
    assert codes(both) == ["phlebotomy_site_not_acceptable", "injection_drug_use_signs"]
    assert all("630.10(f)(6)" in r.source for r in both.reasons)


def test_skin_examinations_not_recorded():
    decision = evaluate(make_case(vitals={"phlebotomy_site_ok": None, "injection_drug_signs": None}))
    assert decision.outcome is INVALID
    assert codes(decision) == ["phlebotomy_site_not_recorded", "injection_drug_signs_not_recorded"]


# --- Platelet pre-count ≥ 150 ×10³/µL ----------------------------------------------------


@pytest.mark.parametrize(("count", "outcome"), [(149.0, TEMPORARY), (150.0, ELIGIBLE), (400.0, ELIGIBLE)])
def test_platelet_precount(count, outcome):
    decision = evaluate(make_case(procedure=Procedure.PLATELETS, vitals={"platelet_count_k_per_ul": count}))
    assert decision.outcome is outcome
    if outcome is TEMPORARY:
        found = reason(decision, "platelet_count_below_minimum")
        assert found.overridable_by is None


def test_platelet_precount_tightened_by_the_establishment_is_overridable_by_policy():
    config = configuration_from_json({"platelets": {"min_precount_k_per_ul": 180}})
    decision = evaluate(
        make_case(procedure=Procedure.PLATELETS, vitals={"platelet_count_k_per_ul": 170.0}), config
    )
    assert reason(decision, "platelet_count_below_minimum").overridable_by == "establishment_policy"


def test_platelet_precount_is_needed_only_for_platelets():
    missing = {"platelet_count_k_per_ul": None}
    assert codes(evaluate(make_case(procedure=Procedure.PLATELETS, vitals=missing))) == [
        "platelet_count_not_recorded"
    ]
    assert evaluate(make_case(procedure=Procedure.WHOLE_BLOOD, vitals=missing)).outcome is ELIGIBLE


# --- Double red cells: weight, height and hematocrit table --------------------------------


@pytest.mark.parametrize(
    ("sex", "weight", "height", "hematocrit", "code"),
    [
        (Sex.MALE, {"weight_lb": 130.0}, 154.94, 40.0, None),
        (Sex.MALE, {"weight_lb": 129.9}, 154.94, 40.0, "double_red_cells_weight_below_minimum"),
        (Sex.MALE, {"weight_kg": 58.968}, 154.94, 40.0, None),  # 130 lb = 58.967 kg
        (Sex.MALE, {"weight_kg": 58.967}, 154.94, 40.0, "double_red_cells_weight_below_minimum"),
        (Sex.MALE, {"weight_lb": 130.0}, 154.93, 40.0, "double_red_cells_height_below_minimum"),
        (Sex.MALE, {"weight_lb": 130.0}, 154.94, 39.9, "double_red_cells_hematocrit_below_minimum"),
        (Sex.FEMALE, {"weight_lb": 150.0}, 165.1, 40.0, None),
        (Sex.FEMALE, {"weight_lb": 149.9}, 165.1, 40.0, "double_red_cells_weight_below_minimum"),
        (Sex.FEMALE, {"weight_kg": 68.04}, 165.1, 40.0, None),  # 150 lb = 68.039 kg
        (Sex.FEMALE, {"weight_kg": 68.03}, 165.1, 40.0, "double_red_cells_weight_below_minimum"),
        (Sex.FEMALE, {"weight_lb": 150.0}, 165.0, 40.0, "double_red_cells_height_below_minimum"),
        (Sex.FEMALE, {"weight_lb": 150.0}, 165.1, 39.9, "double_red_cells_hematocrit_below_minimum"),
    ],
)
def test_double_red_cell_table(sex, weight, height, hematocrit, code):
    weights = {"weight_kg": None, "weight_lb": None, **weight}
    case = make_case(
        procedure=Procedure.DOUBLE_RED_CELLS,
        sex=sex,
        height_cm=height,
        vitals={**weights, "hemoglobin_g_dl": 14.0, "hematocrit_pct": hematocrit},
    )
    decision = evaluate(case)
    if code is None:
        assert decision.outcome is ELIGIBLE
    else:
        assert (decision.outcome, codes(decision)) == (TEMPORARY, [code])
        found = decision.reasons[0]
        assert found.overridable_by is None
        assert "Apheresis Methods" in found.source


def test_double_red_cell_table_tightened_is_overridable_by_policy():
    config = configuration_from_json({"double_red_cells": {"M": {"min_weight_lb": 140}}})
    case = make_case(procedure=Procedure.DOUBLE_RED_CELLS, vitals={"weight_kg": None, "weight_lb": 135.0})
    found = reason(evaluate(case, config), "double_red_cells_weight_below_minimum")
    assert found.overridable_by == "establishment_policy"


def test_double_red_cells_need_height_and_hematocrit():
    decision = evaluate(
        make_case(procedure=Procedure.DOUBLE_RED_CELLS, height_cm=None, vitals={"hematocrit_pct": None})
    )
    assert decision.outcome is INVALID
    assert codes(decision) == ["height_not_recorded", "double_red_cells_hematocrit_not_recorded"]


def test_the_double_red_cell_table_applies_only_to_double_red_cells():
    case = make_case(procedure=Procedure.WHOLE_BLOOD, height_cm=140.0, vitals={"weight_kg": 52.0})
    assert evaluate(case).outcome is ELIGIBLE
