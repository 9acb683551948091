"""The establishment's configuration: shipped defaults, tightening, and floors that cannot be
lowered (each refusal names the key)."""

from __future__ import annotations

import pytest

from hemaops.donors.configuration import (
    DEFAULT_CONFIGURATION,
    ConfigurationError,
    Procedure,
    Sex,
    configuration_from_json,
)

WB, DRC, PLT, PLA, SP = (
    Procedure.WHOLE_BLOOD,
    Procedure.DOUBLE_RED_CELLS,
    Procedure.PLATELETS,
    Procedure.PLASMA,
    Procedure.SOURCE_PLASMA,
)


def test_the_matrix_covers_every_pair_of_procedures():
    assert set(DEFAULT_CONFIGURATION.intervals) == {(a, b) for a in Procedure for b in Procedure}
    for (previous, following), interval in DEFAULT_CONFIGURATION.intervals.items():
        assert DEFAULT_CONFIGURATION.intervals_into[following][previous] is interval
        assert interval.days >= interval.floor_days >= 2
        assert interval.source


@pytest.mark.parametrize(
    ("pair", "floor"),
    [((WB, WB), 56), ((DRC, WB), 112), ((DRC, DRC), 112), ((PLT, PLT), 2), ((SP, SP), 2), ((WB, DRC), 56)],
)
def test_regulatory_floors(pair, floor):
    interval = DEFAULT_CONFIGURATION.intervals[pair]
    assert interval.floor_days == floor
    assert interval.days == floor


def test_unverified_cross_procedure_intervals_are_establishment_values_above_a_2_day_floor():
    unverified = [
        interval
        for interval in DEFAULT_CONFIGURATION.intervals.values()
        if "establishment value" in interval.source
    ]
    assert len(unverified) == 19
    assert all(interval.floor_days == 2 for interval in unverified)


def test_shipped_defaults():
    config = DEFAULT_CONFIGURATION
    assert (config.platelets_max_in_7_days, config.platelets_max_in_12_months) == (2, 24)
    assert config.platelet_min_precount_k_per_ul == 150.0
    assert config.source_plasma_max_in_7_days == 2
    assert config.female_low_hemoglobin_program is False
    assert config.healthy_athlete_pulse_sop is False
    assert config.low_hemoglobin_waiting_days == 0
    ages = {code: (rule.minimum_years, rule.with_consent_years) for code, rule in config.age_rules.items()}
    assert ages == {"US-MN": (17, 16), "US-WA": (18, 16), "other": (17, 16)}
    male, female = config.double_red_cells[Sex.MALE], config.double_red_cells[Sex.FEMALE]
    assert (male.weight_lb, male.height_in, male.hematocrit_pct) == (130.0, 61.0, 40.0)
    assert (female.weight_lb, female.height_in, female.hematocrit_pct) == (150.0, 65.0, 40.0)
    assert (male.height_cm, female.height_cm) == (154.94, 165.1)


def test_an_empty_document_is_the_shipped_defaults():
    assert configuration_from_json({}) == DEFAULT_CONFIGURATION


def test_tightening_is_accepted():
    config = configuration_from_json(
        {
            "intervals_days": {
                "whole_blood": {"whole_blood": 60, "platelets": 14},
                "platelets": {"platelets": 7},
            },
            "platelets": {"max_in_7_days": 1, "max_in_12_months": 20, "min_precount_k_per_ul": 180},
            "source_plasma": {"max_in_7_days": 1},
            "minimum_age": {"US-MN": {"without_consent": 18, "with_parental_consent": 17}},
            "policy": {"female_low_hemoglobin_program": True, "healthy_athlete_pulse_sop": True},
            "low_hemoglobin_waiting_days": 56,
            "double_red_cells": {"F": {"min_weight_lb": 160, "min_height_in": 66, "min_hematocrit_pct": 41}},
            "comment": "SOP-ELIG-004 rev 7",
        }
    )
    assert config.intervals[(WB, WB)].days == 60
    assert config.intervals[(WB, WB)].floor_days == 56
    assert config.intervals[(WB, PLT)].days == 14
    assert config.intervals[(PLT, PLT)].days == 7
    assert config.intervals[(WB, PLA)].days == DEFAULT_CONFIGURATION.intervals[(WB, PLA)].days
    assert (config.platelets_max_in_7_days, config.platelets_max_in_12_months) == (1, 20)
    assert config.platelet_min_precount_k_per_ul == 180.0
    assert config.source_plasma_max_in_7_days == 1
    assert config.age_rule("US-MN").minimum_years == 18
    assert config.age_rule("US-MN").with_consent_years == 17
    assert config.female_low_hemoglobin_program
    assert config.healthy_athlete_pulse_sop
    assert config.low_hemoglobin_waiting_days == 56
    assert config.double_red_cells[Sex.FEMALE].height_cm == 167.64


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"intervals_days": {"whole_blood": {"whole_blood": 55}}},
            "intervals_days.whole_blood.whole_blood: 55 days is below the regulatory floor of 56 days",
        ),
        (
            {"intervals_days": {"double_red_cells": {"whole_blood": 100}}},
            "intervals_days.double_red_cells.whole_blood: 100 days is below the regulatory floor of 112 days",
        ),
        (
            {"intervals_days": {"platelets": {"platelets": 1}}},
            "intervals_days.platelets.platelets: 1 days is below the regulatory floor of 2 days",
        ),
        (
            {"intervals_days": {"plasma": {"whole_blood": 1}}},
            "intervals_days.plasma.whole_blood: 1 days is below the regulatory floor of 2 days",
        ),
        (
            {"platelets": {"max_in_7_days": 3}},
            "platelets.max_in_7_days: 3 is above the regulatory maximum of 2",
        ),
        (
            {"platelets": {"max_in_12_months": 25}},
            "platelets.max_in_12_months: 25 is above the regulatory maximum of 24",
        ),
        (
            {"platelets": {"min_precount_k_per_ul": 140}},
            "platelets.min_precount_k_per_ul: 140 ×10³/µL is below the regulatory floor of 150",
        ),
        (
            {"source_plasma": {"max_in_7_days": 3}},
            "source_plasma.max_in_7_days: 3 is above the regulatory maximum of 2",
        ),
        (
            {"minimum_age": {"US-WA": {"without_consent": 17}}},
            "minimum_age.US-WA.without_consent: 17 years is below the regulatory floor of 18 years",
        ),
        (
            {"minimum_age": {"US-MN": {"with_parental_consent": 15}}},
            "minimum_age.US-MN.with_parental_consent: 15 years is below the regulatory floor of 16 years",
        ),
        (
            {"minimum_age": {"US-NY": {"without_consent": 16}}},
            "minimum_age.US-NY.without_consent: 16 years is below the regulatory floor of 17 years",
        ),
        (
            {"low_hemoglobin_waiting_days": -1},
            "low_hemoglobin_waiting_days: -1 days is below the regulatory floor of 0 days",
        ),
        (
            {"double_red_cells": {"M": {"min_weight_lb": 120}}},
            "double_red_cells.M.min_weight_lb: 120 lb is below the regulatory floor of 130 lb",
        ),
        (
            {"double_red_cells": {"F": {"min_height_in": 64}}},
            "double_red_cells.F.min_height_in: 64 in is below the regulatory floor of 65 in",
        ),
        (
            {"double_red_cells": {"F": {"min_hematocrit_pct": 38}}},
            "double_red_cells.F.min_hematocrit_pct: 38 % is below the regulatory floor of 40 %",
        ),
    ],
)
def test_a_value_below_its_floor_is_refused_naming_the_key(document, message):
    with pytest.raises(ConfigurationError) as raised:
        configuration_from_json(document)
    assert str(raised.value).startswith(message)
    assert "never" in str(raised.value)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "configuration: expected a JSON object"),
        ({"intervals": {}}, "intervals: unknown key"),
        ({"intervals_days": {"apheresis": {}}}, "intervals_days.apheresis: unknown procedure"),
        (
            {"intervals_days": {"whole_blood": {"granulocytes": 10}}},
            "intervals_days.whole_blood.granulocytes: unknown",
        ),
        (
            {"intervals_days": {"whole_blood": {"whole_blood": 60.5}}},
            "intervals_days.whole_blood.whole_blood: expected a whole number",
        ),
        (
            {"intervals_days": {"whole_blood": {"whole_blood": True}}},
            "intervals_days.whole_blood.whole_blood: expected a whole number",
        ),
        (
            {"intervals_days": {"whole_blood": {"whole_blood": 5000}}},
            "intervals_days.whole_blood.whole_blood: 5000 is outside",
        ),
        ({"platelets": {"max_in_7_days": 0}}, "platelets.max_in_7_days: 0 is outside"),
        ({"platelets": {"maximum": 2}}, "platelets.maximum: unknown key"),
        (
            {"policy": {"female_low_hemoglobin_program": "yes"}},
            "policy.female_low_hemoglobin_program: expected true",
        ),
        ({"minimum_age": {"minnesota": {}}}, "minimum_age.minnesota: a jurisdiction is"),
        (
            {"minimum_age": {"US-MN": {"without_consent": 17, "with_parental_consent": 18}}},
            "minimum_age.US-MN.with_parental_consent: 18 is above the minimum age without consent",
        ),
        ({"double_red_cells": {"X": {}}}, "double_red_cells.X: unknown sex"),
    ],
)
def test_malformed_documents_are_refused_naming_the_key(document, message):
    with pytest.raises(ConfigurationError) as raised:
        configuration_from_json(document)
    assert str(raised.value).startswith(message)
