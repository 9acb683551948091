"""The establishment's eligibility configuration: shipped defaults and regulatory floors.

Pure: no Django, no clock, no I/O. The JSON document is parsed here; reading it from a file
or from the database is the caller's business.

An establishment may *tighten* a value (a longer interval, a higher minimum age, a lower
maximum number of procedures); it can never go below the regulatory floor. Each floor
carries its source and the domain reference's verification tag (../shared/domain-reference.md
§0): [P] primary text, [S] secondary source, [U] unverified. Where the reference gives no
verified number for a cross-procedure interval (§1.4, §1.5), the shipped default is an
establishment value and the floor is the 2-day minimum that the reference verifies between
apheresis procedures; the establishment confirms the value with its own SOPs.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final


class Procedure(enum.StrEnum):
    WHOLE_BLOOD = "whole_blood"
    DOUBLE_RED_CELLS = "double_red_cells"
    PLATELETS = "platelets"
    PLASMA = "plasma"
    SOURCE_PLASMA = "source_plasma"


class Sex(enum.StrEnum):
    """The sex recorded for selecting the 21 CFR 630.10(f)(3) thresholds (a policy decision
    the reference asks to make explicit: the screening record states which one is used)."""

    FEMALE = "F"
    MALE = "M"


RED_CELL_PROCEDURES: Final = frozenset({Procedure.WHOLE_BLOOD, Procedure.DOUBLE_RED_CELLS})

_PROCEDURE_LABELS: Final[dict[Procedure, str]] = {
    Procedure.WHOLE_BLOOD: "whole blood",
    Procedure.DOUBLE_RED_CELLS: "double red cells",
    Procedure.PLATELETS: "platelets",
    Procedure.PLASMA: "plasma",
    Procedure.SOURCE_PLASMA: "source plasma",
}


def procedure_label(procedure: Procedure) -> str:
    return _PROCEDURE_LABELS[procedure]


class ConfigurationError(ValueError):
    """A configuration document that cannot be used; the message names the key."""


@dataclass(frozen=True, slots=True)
class Interval:
    """Minimum days from a previous procedure (day 0, convention C1) to the next one."""

    previous: Procedure
    next: Procedure
    days: int
    floor_days: int
    source: str
    code: str


@dataclass(frozen=True, slots=True)
class AgeRule:
    """Minimum age in a jurisdiction, with and without parental consent (None: consent does
    not lower the minimum). Ages are whole years reached on the birthday (convention C2)."""

    jurisdiction: str
    minimum_years: int
    with_consent_years: int | None
    floor_minimum_years: int
    floor_with_consent_years: int | None
    source: str


@dataclass(frozen=True, slots=True)
class DoubleRedCellMinimum:
    """FDA guidance "Recommendations for Collecting Red Blood Cells by Automated Apheresis
    Methods" (Jan 2001), via the domain reference §1.6: weight and height [S], hematocrit [U]."""

    weight_lb: float
    height_in: float
    hematocrit_pct: float
    floor_weight_lb: float
    floor_height_in: float
    floor_hematocrit_pct: float
    # Precomputed comparison thresholds in the other units (exact conversions, no rounding).
    weight_kg: float
    height_cm: float


@dataclass(frozen=True, slots=True)
class Configuration:
    intervals: Mapping[tuple[Procedure, Procedure], Interval]
    # For the engine: the intervals into each next procedure, keyed by previous procedure.
    intervals_into: Mapping[Procedure, Mapping[Procedure, Interval]]
    platelets_max_in_7_days: int
    platelets_max_in_12_months: int
    platelet_min_precount_k_per_ul: float
    source_plasma_max_in_7_days: int
    age_rules: Mapping[str, AgeRule]
    female_low_hemoglobin_program: bool
    healthy_athlete_pulse_sop: bool
    low_hemoglobin_waiting_days: int
    double_red_cells: Mapping[Sex, DoubleRedCellMinimum]

    def age_rule(self, jurisdiction: str) -> AgeRule:
        rule = self.age_rules.get(jurisdiction)
        return self.age_rules[OTHER_JURISDICTION] if rule is None else rule


# --- Regulatory floors and shipped defaults -------------------------------------------------

WB, DRC, PLT, PLA, SP = (
    Procedure.WHOLE_BLOOD,
    Procedure.DOUBLE_RED_CELLS,
    Procedure.PLATELETS,
    Procedure.PLASMA,
    Procedure.SOURCE_PLASMA,
)

_S_630_15_WB = (
    "21 CFR 630.15(a): whole blood every 8 weeks (56 days) [S: AABB Standards table; text not retrieved]"
)
_S_630_15_DRC = (
    "21 CFR 630.15(a): 16 weeks (112 days) after a 2-unit red cell apheresis before any red cell donation [S]"
)
_S_PLT = (
    "FDA guidance 'Collection of Platelets by Automated Methods' (Dec 2007): platelet apheresis at "
    "least 2 days apart [S]"
)
_S_SP = "21 CFR 640.65 / 630.15(b): source plasma not more than once in 2 days [S]"
_S_AABB_2D = (
    "AABB Standards table: plasma, platelet or leukapheresis → whole blood at least 2 days [S]; "
    "establishment value"
)
_U_CROSS = (
    "establishment value; the reference verifies no interval for this pair (domain reference §1.4, "
    "§1.5) [U]; floor: the 2-day minimum between apheresis procedures"
)

# (previous, next): (floor days, default days, source). Floors are what configuration can
# never lower; the defaults are the shipped establishment values.
_INTERVAL_TABLE: Final[dict[tuple[Procedure, Procedure], tuple[int, int, str]]] = {
    (WB, WB): (56, 56, _S_630_15_WB),
    (WB, DRC): (
        56,
        56,
        "whole blood is a red cell donation: 56 days before the next red cell donation "
        "(21 CFR 630.15(a) by analogy [U]); floor kept at 56",
    ),
    (WB, PLT): (
        2,
        7,
        "establishment value 7 days (bloodcenter.org center practice [S]); FDA platelet guidance: "
        "8 weeks unless the extracorporeal red cell volume is < 100 mL [U]",
    ),
    (WB, PLA): (2, 28, _U_CROSS),
    (WB, SP): (2, 56, _U_CROSS),
    (DRC, WB): (112, 112, _S_630_15_DRC),
    (DRC, DRC): (112, 112, _S_630_15_DRC),
    (DRC, PLT): (
        2,
        112,
        "establishment value 112 days after double red cells (bloodcenter.org [S]); " + _U_CROSS,
    ),
    (DRC, PLA): (
        2,
        112,
        "establishment value 112 days after double red cells (bloodcenter.org [S]); " + _U_CROSS,
    ),
    (DRC, SP): (
        2,
        112,
        "establishment value 112 days after double red cells (bloodcenter.org [S]); " + _U_CROSS,
    ),
    (PLT, WB): (2, 7, _S_AABB_2D + " 7 days after platelets (bloodcenter.org [S])"),
    (PLT, DRC): (2, 7, _U_CROSS),
    (PLT, PLT): (2, 2, _S_PLT),
    (PLT, PLA): (2, 7, _U_CROSS),
    (PLT, SP): (2, 2, _U_CROSS),
    (PLA, WB): (2, 28, _S_AABB_2D + " 28 days after plasma (bloodcenter.org [S])"),
    (PLA, DRC): (2, 28, _U_CROSS),
    (PLA, PLT): (2, 7, "establishment value 7 days after plasma before platelets (bloodcenter.org [S])"),
    (PLA, PLA): (2, 28, "establishment value: plasma every 28 days (OneBlood / Red Cross pages [S])"),
    (PLA, SP): (2, 28, _U_CROSS),
    (SP, WB): (2, 28, _S_AABB_2D + " (AABB: infrequent plasmapheresis → whole blood 4 weeks [S])"),
    (SP, DRC): (2, 28, _U_CROSS),
    (SP, PLT): (2, 7, _U_CROSS),
    (SP, PLA): (2, 28, _U_CROSS),
    (SP, SP): (2, 2, _S_SP),
}

PLATELETS_MAX_IN_7_DAYS: Final = 2
PLATELETS_MAX_IN_12_MONTHS: Final = 24
PLATELET_MIN_PRECOUNT_K_PER_UL: Final = 150.0
SOURCE_PLASMA_MAX_IN_7_DAYS: Final = 2
SOURCE_PLATELET_FREQUENCY = (
    "FDA guidance 'Collection of Platelets by Automated Methods' (Dec 2007): ≤ 2 procedures in any "
    "7 days, ≤ 24 in a rolling 12 months (convention C8) [S]"
)
SOURCE_PLATELET_PRECOUNT = (
    "FDA guidance 'Collection of Platelets by Automated Methods' (Dec 2007): pre-donation count "
    "≥ 150 ×10³/µL [S]"
)
SOURCE_SOURCE_PLASMA_FREQUENCY = (
    "21 CFR 640.65 / 630.15(b): source plasma not more than twice in 7 days (convention C8) [S]"
)

OTHER_JURISDICTION: Final = "other"
_AGE_TABLE: Final[dict[str, tuple[int, int | None, str]]] = {
    "US-MN": (17, 16, "Minn. Stat. 145.41: 17, or 16 with written parental permission [S]"),
    "US-WA": (18, 16, "RCW 70.01.020 (2021 amendment): 18, or 16–17 with parental consent [S]"),
    OTHER_JURISDICTION: (
        17,
        16,
        "AABB Standards: ≥ 17 years or applicable state law; 16 with parental consent where state "
        "law allows [S]",
    ),
}
_NEW_JURISDICTION_SOURCE = "establishment configuration; floor: the 'other' jurisdiction's ages [S]"
_JURISDICTION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")

_DOUBLE_RED_TABLE: Final[dict[Sex, tuple[float, float, float]]] = {
    # weight lb, height in, hematocrit %
    Sex.MALE: (130.0, 61.0, 40.0),  # 5 ft 1 in
    Sex.FEMALE: (150.0, 65.0, 40.0),  # 5 ft 5 in
}
SOURCE_DOUBLE_RED_CELLS = (
    "FDA guidance 'Recommendations for Collecting Red Blood Cells by Automated Apheresis Methods' "
    "(Jan 2001): weight and height [S], hematocrit ≥ 40 % [U]"
)

_MAX_DAYS: Final = 3650
_MAX_AGE: Final = 99


def _interval_code(previous: Procedure, next_: Procedure) -> str:
    return f"interval_{previous.value}_to_{next_.value}"


def _double_red(weight_lb: float, height_in: float, hematocrit_pct: float, sex: Sex) -> DoubleRedCellMinimum:
    floor_weight, floor_height, floor_hematocrit = _DOUBLE_RED_TABLE[sex]
    return DoubleRedCellMinimum(
        weight_lb=weight_lb,
        height_in=height_in,
        hematocrit_pct=hematocrit_pct,
        floor_weight_lb=floor_weight,
        floor_height_in=floor_height,
        floor_hematocrit_pct=floor_hematocrit,
        # 1 lb = 0.45359237 kg and 1 in = 2.54 cm exactly; one correctly rounded division each.
        weight_kg=weight_lb * 45359237 / 100_000_000,
        height_cm=height_in * 254 / 100,
    )


def _build(
    interval_days: Mapping[tuple[Procedure, Procedure], int],
    platelets_max_in_7_days: int,
    platelets_max_in_12_months: int,
    platelet_min_precount_k_per_ul: float,
    source_plasma_max_in_7_days: int,
    ages: Mapping[str, tuple[int, int | None]],
    female_low_hemoglobin_program: bool,
    healthy_athlete_pulse_sop: bool,
    low_hemoglobin_waiting_days: int,
    double_red: Mapping[Sex, tuple[float, float, float]],
) -> Configuration:
    intervals: dict[tuple[Procedure, Procedure], Interval] = {}
    into: dict[Procedure, dict[Procedure, Interval]] = {procedure: {} for procedure in Procedure}
    for (previous, next_), (floor, _default, source) in _INTERVAL_TABLE.items():
        interval = Interval(
            previous=previous,
            next=next_,
            days=interval_days[(previous, next_)],
            floor_days=floor,
            source=source,
            code=_interval_code(previous, next_),
        )
        intervals[(previous, next_)] = interval
        into[next_][previous] = interval
    age_rules: dict[str, AgeRule] = {}
    for jurisdiction, (minimum, with_consent) in ages.items():
        floor_minimum, floor_consent, source = _AGE_TABLE.get(
            jurisdiction, (*_AGE_TABLE[OTHER_JURISDICTION][:2], _NEW_JURISDICTION_SOURCE)
        )
        age_rules[jurisdiction] = AgeRule(
            jurisdiction=jurisdiction,
            minimum_years=minimum,
            with_consent_years=with_consent,
            floor_minimum_years=floor_minimum,
            floor_with_consent_years=floor_consent,
            source=source,
        )
    return Configuration(
        intervals=intervals,
        intervals_into=into,
        platelets_max_in_7_days=platelets_max_in_7_days,
        platelets_max_in_12_months=platelets_max_in_12_months,
        platelet_min_precount_k_per_ul=platelet_min_precount_k_per_ul,
        source_plasma_max_in_7_days=source_plasma_max_in_7_days,
        age_rules=age_rules,
        female_low_hemoglobin_program=female_low_hemoglobin_program,
        healthy_athlete_pulse_sop=healthy_athlete_pulse_sop,
        low_hemoglobin_waiting_days=low_hemoglobin_waiting_days,
        double_red_cells={sex: _double_red(*values, sex) for sex, values in double_red.items()},
    )


def _defaults() -> dict[str, Any]:
    return {
        "intervals": {pair: default for pair, (_floor, default, _source) in _INTERVAL_TABLE.items()},
        "platelets_max_in_7_days": PLATELETS_MAX_IN_7_DAYS,
        "platelets_max_in_12_months": PLATELETS_MAX_IN_12_MONTHS,
        "platelet_min_precount_k_per_ul": PLATELET_MIN_PRECOUNT_K_PER_UL,
        "source_plasma_max_in_7_days": SOURCE_PLASMA_MAX_IN_7_DAYS,
        "ages": {code: (minimum, consent) for code, (minimum, consent, _source) in _AGE_TABLE.items()},
        "female_low_hemoglobin_program": False,
        "healthy_athlete_pulse_sop": False,
        "low_hemoglobin_waiting_days": 0,
        "double_red": dict(_DOUBLE_RED_TABLE),
    }


def _configuration(values: Mapping[str, Any]) -> Configuration:
    return _build(
        interval_days=values["intervals"],
        platelets_max_in_7_days=values["platelets_max_in_7_days"],
        platelets_max_in_12_months=values["platelets_max_in_12_months"],
        platelet_min_precount_k_per_ul=values["platelet_min_precount_k_per_ul"],
        source_plasma_max_in_7_days=values["source_plasma_max_in_7_days"],
        ages=values["ages"],
        female_low_hemoglobin_program=values["female_low_hemoglobin_program"],
        healthy_athlete_pulse_sop=values["healthy_athlete_pulse_sop"],
        low_hemoglobin_waiting_days=values["low_hemoglobin_waiting_days"],
        double_red=values["double_red"],
    )


DEFAULT_CONFIGURATION: Final[Configuration] = _configuration(_defaults())


# --- Parsing the establishment's JSON document ----------------------------------------------


def _object(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigurationError(f"{key}: expected a JSON object")
    return value


def _only(document: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    for key in document:
        if key not in allowed:
            where = f"{prefix}.{key}" if prefix else key
            raise ConfigurationError(f"{where}: unknown key (expected one of: {', '.join(allowed)})")


def _integer(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{key}: expected a whole number, got {value!r}")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{key}: expected a number, got {value!r}")
    return float(value)


def _boolean(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{key}: expected true or false, got {value!r}")
    return value


def _at_least(value: float, floor: float, key: str, unit: str, source: str) -> None:
    if value < floor:
        raise ConfigurationError(
            f"{key}: {value:g} {unit} is below the regulatory floor of {floor:g} {unit} ({source}); "
            "an establishment may tighten this value but never lower it"
        )


def _at_most(value: float, ceiling: float, key: str, source: str) -> None:
    if value > ceiling:
        raise ConfigurationError(
            f"{key}: {value:g} is above the regulatory maximum of {ceiling:g} ({source}); "
            "an establishment may tighten this value but never raise it"
        )


def _in_range(value: float, low: float, high: float, key: str) -> None:
    if not low <= value <= high:
        raise ConfigurationError(f"{key}: {value:g} is outside the plausible range {low:g}–{high:g}")


_TOP_KEYS: Final = (
    "intervals_days",
    "platelets",
    "source_plasma",
    "minimum_age",
    "policy",
    "low_hemoglobin_waiting_days",
    "double_red_cells",
    "comment",
)


def configuration_from_json(document: Any) -> Configuration:
    """Build a configuration from a parsed JSON document; absent keys keep the shipped
    defaults. Raises ConfigurationError naming the offending key."""
    root = _object(document, "configuration")
    _only(root, _TOP_KEYS, "")
    values = _defaults()

    intervals: dict[tuple[Procedure, Procedure], int] = dict(values["intervals"])
    names = tuple(procedure.value for procedure in Procedure)
    for previous_name, row in _object(root.get("intervals_days", {}), "intervals_days").items():
        if previous_name not in names:
            raise ConfigurationError(
                f"intervals_days.{previous_name}: unknown procedure (expected one of: {', '.join(names)})"
            )
        row_key = f"intervals_days.{previous_name}"
        for next_name, days in _object(row, row_key).items():
            key = f"{row_key}.{next_name}"
            if next_name not in names:
                raise ConfigurationError(f"{key}: unknown procedure (expected one of: {', '.join(names)})")
            pair = (Procedure(previous_name), Procedure(next_name))
            floor, _default, source = _INTERVAL_TABLE[pair]
            value = _integer(days, key)
            _at_least(value, floor, key, "days", source)
            _in_range(value, floor, _MAX_DAYS, key)
            intervals[pair] = value
    values["intervals"] = intervals

    platelets = _object(root.get("platelets", {}), "platelets")
    _only(platelets, ("max_in_7_days", "max_in_12_months", "min_precount_k_per_ul"), "platelets")
    if "max_in_7_days" in platelets:
        key = "platelets.max_in_7_days"
        value = _integer(platelets["max_in_7_days"], key)
        _at_most(value, PLATELETS_MAX_IN_7_DAYS, key, SOURCE_PLATELET_FREQUENCY)
        _in_range(value, 1, PLATELETS_MAX_IN_7_DAYS, key)
        values["platelets_max_in_7_days"] = value
    if "max_in_12_months" in platelets:
        key = "platelets.max_in_12_months"
        value = _integer(platelets["max_in_12_months"], key)
        _at_most(value, PLATELETS_MAX_IN_12_MONTHS, key, SOURCE_PLATELET_FREQUENCY)
        _in_range(value, 1, PLATELETS_MAX_IN_12_MONTHS, key)
        values["platelets_max_in_12_months"] = value
    if "min_precount_k_per_ul" in platelets:
        key = "platelets.min_precount_k_per_ul"
        count = _number(platelets["min_precount_k_per_ul"], key)
        _at_least(count, PLATELET_MIN_PRECOUNT_K_PER_UL, key, "×10³/µL", SOURCE_PLATELET_PRECOUNT)
        _in_range(count, PLATELET_MIN_PRECOUNT_K_PER_UL, 1000, key)
        values["platelet_min_precount_k_per_ul"] = count

    source_plasma = _object(root.get("source_plasma", {}), "source_plasma")
    _only(source_plasma, ("max_in_7_days",), "source_plasma")
    if "max_in_7_days" in source_plasma:
        key = "source_plasma.max_in_7_days"
        value = _integer(source_plasma["max_in_7_days"], key)
        _at_most(value, SOURCE_PLASMA_MAX_IN_7_DAYS, key, SOURCE_SOURCE_PLASMA_FREQUENCY)
        _in_range(value, 1, SOURCE_PLASMA_MAX_IN_7_DAYS, key)
        values["source_plasma_max_in_7_days"] = value

    ages: dict[str, tuple[int, int | None]] = dict(values["ages"])
    for jurisdiction, rule in _object(root.get("minimum_age", {}), "minimum_age").items():
        prefix = f"minimum_age.{jurisdiction}"
        if jurisdiction != OTHER_JURISDICTION and not _JURISDICTION.match(jurisdiction):
            raise ConfigurationError(
                f"{prefix}: a jurisdiction is 'other' or a code such as US-MN (ISO 3166-2, upper case)"
            )
        rule_object = _object(rule, prefix)
        _only(rule_object, ("without_consent", "with_parental_consent"), prefix)
        floor_minimum, floor_consent, source = _AGE_TABLE.get(
            jurisdiction, (*_AGE_TABLE[OTHER_JURISDICTION][:2], _NEW_JURISDICTION_SOURCE)
        )
        current_minimum, current_consent = ages.get(jurisdiction, ages[OTHER_JURISDICTION])
        minimum = current_minimum
        if "without_consent" in rule_object:
            key = f"{prefix}.without_consent"
            minimum = _integer(rule_object["without_consent"], key)
            _at_least(minimum, floor_minimum, key, "years", source)
            _in_range(minimum, floor_minimum, _MAX_AGE, key)
        consent = current_consent
        if "with_parental_consent" in rule_object:
            key = f"{prefix}.with_parental_consent"
            raw = rule_object["with_parental_consent"]
            if raw is None:
                consent = None
            else:
                consent = _integer(raw, key)
                if floor_consent is None:
                    # Floor without a consent path: consent may not lower the minimum.
                    _at_least(consent, floor_minimum, key, "years", source)
                else:
                    _at_least(consent, floor_consent, key, "years", source)
                if consent > minimum:
                    raise ConfigurationError(
                        f"{key}: {consent} is above the minimum age without consent ({minimum}); "
                        "use null when parental consent does not lower the minimum"
                    )
        ages[jurisdiction] = (minimum, consent)
    values["ages"] = ages

    policy = _object(root.get("policy", {}), "policy")
    _only(policy, ("female_low_hemoglobin_program", "healthy_athlete_pulse_sop"), "policy")
    for name in ("female_low_hemoglobin_program", "healthy_athlete_pulse_sop"):
        if name in policy:
            values[name] = _boolean(policy[name], f"policy.{name}")

    if "low_hemoglobin_waiting_days" in root:
        key = "low_hemoglobin_waiting_days"
        value = _integer(root[key], key)
        _at_least(value, 0, key, "days", "21 CFR 630.10(f)(3): no waiting period in regulation")
        _in_range(value, 0, _MAX_DAYS, key)
        values[key] = value

    double_red: dict[Sex, tuple[float, float, float]] = dict(values["double_red"])
    for sex_code, table in _object(root.get("double_red_cells", {}), "double_red_cells").items():
        prefix = f"double_red_cells.{sex_code}"
        if sex_code not in ("F", "M"):
            raise ConfigurationError(f"{prefix}: unknown sex (expected F or M)")
        sex = Sex(sex_code)
        row = _object(table, prefix)
        _only(row, ("min_weight_lb", "min_height_in", "min_hematocrit_pct"), prefix)
        current = list(double_red[sex])
        floors = _DOUBLE_RED_TABLE[sex]
        for index, (name, unit, high) in enumerate(
            (("min_weight_lb", "lb", 500.0), ("min_height_in", "in", 96.0), ("min_hematocrit_pct", "%", 60.0))
        ):
            if name in row:
                key = f"{prefix}.{name}"
                number = _number(row[name], key)
                _at_least(number, floors[index], key, unit, SOURCE_DOUBLE_RED_CELLS)
                _in_range(number, floors[index], high, key)
                current[index] = number
        double_red[sex] = (current[0], current[1], current[2])
    values["double_red"] = double_red

    return _configuration(values)
