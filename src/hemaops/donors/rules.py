"""Donor eligibility: may this person give this procedure on this day?

Pure: no Django, no clock, no I/O. A case (``Case``) and the establishment's configuration
go in, a decision (``Decision``) comes out. Every reason carries its source — the CFR
section, FDA guidance or AABB standard as the domain reference (../shared/domain-reference.md
§1, §5.2) gives it — with the reference's verification tag: [P] primary text, [S] secondary
source, [U] unverified.

Conventions (domain reference §8):

- C1: calendar dates; a donation or event date is day 0 and "N days" ends on date + N, the
  first date the reason no longer applies.
- C2: "N months" is the same day of the month N months later, clamped to the month's end;
  years are 12 months (29 Feb + 1 year → 28 Feb).
- C5: the physical-assessment limits are inclusive; weight is compared in the unit measured.
- C6: the female alternative windows are Hb [12.0, 12.5) g/dL and Hct [36, 38) %.
- C7: eligible again 42 days after a pregnancy ended.
- C8: platelets and source plasma at least 2 days apart, at most 2 in any 7-day window;
  platelets at most 24 in 12 months.
- C9: the decision is the most severe outcome among its reasons. An INELIGIBLE_TEMPORARY
  decision has ``eligible_on`` when every temporary reason has a fixed end: the latest end.
  Findings of the day (a low hemoglobin, a fever) have no fixed end: the donor is
  re-assessed at the next visit.

Reasons whose outcome is ELIGIBLE are notes: they record why a finding did not defer (an
anti-HBc reactive on one occasion only, a healthy athlete's low pulse under the SOP).

The hot path is kept plain (no copies, precomputed tables): the benchmark asks for at least
20,000 evaluations a second on one core.
"""

from __future__ import annotations

import difflib
import enum
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, TypeAlias

from hemaops.donors.configuration import (
    DEFAULT_CONFIGURATION,
    SOURCE_DOUBLE_RED_CELLS,
    SOURCE_PLATELET_FREQUENCY,
    SOURCE_PLATELET_PRECOUNT,
    SOURCE_SOURCE_PLASMA_FREQUENCY,
    Configuration,
    Procedure,
    Sex,
    procedure_label,
)

__all__ = [
    "DEFAULT_CONFIGURATION",
    "Case",
    "Configuration",
    "Decision",
    "DeferralKind",
    "DonationType",
    "Donor",
    "Event",
    "EventCode",
    "HemoglobinSample",
    "Marker",
    "MarkerDeferral",
    "MarkerRecord",
    "MarkerResult",
    "NameMatch",
    "Outcome",
    "Policy",
    "PriorDonation",
    "Procedure",
    "Reason",
    "RecordedDeferral",
    "Sex",
    "Vitals",
    "add_months",
    "donor_number_format",
    "evaluate",
    "name_normalise",
    "names_match",
]


# --- Vocabulary ---------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    """Convention C9, most severe first."""

    INELIGIBLE_PERMANENT = "INELIGIBLE_PERMANENT"
    INELIGIBLE_INDEFINITE = "INELIGIBLE_INDEFINITE"
    INELIGIBLE_TEMPORARY = "INELIGIBLE_TEMPORARY"
    INVALID_MEASUREMENT = "INVALID_MEASUREMENT"
    REQUIRES_PHYSICIAN = "REQUIRES_PHYSICIAN"
    ELIGIBLE_ALT_PROCEDURE = "ELIGIBLE_ALT_PROCEDURE"
    ELIGIBLE = "ELIGIBLE"


SEVERITY: Final[Mapping[Outcome, int]] = {
    outcome: rank for rank, outcome in enumerate(reversed(list(Outcome)))
}
_severity = SEVERITY.__getitem__

PERMANENT: Final = Outcome.INELIGIBLE_PERMANENT
INDEFINITE: Final = Outcome.INELIGIBLE_INDEFINITE
TEMPORARY: Final = Outcome.INELIGIBLE_TEMPORARY
INVALID: Final = Outcome.INVALID_MEASUREMENT
PHYSICIAN: Final = Outcome.REQUIRES_PHYSICIAN
ALTERNATIVE: Final = Outcome.ELIGIBLE_ALT_PROCEDURE
ELIGIBLE: Final = Outcome.ELIGIBLE

BY_PHYSICIAN: Final = "physician"
BY_POLICY: Final = "establishment_policy"


class DonationType(enum.StrEnum):
    ALLOGENEIC = "allogeneic"
    AUTOLOGOUS = "autologous"
    DIRECTED = "directed"


class HemoglobinSample(enum.StrEnum):
    FINGERSTICK = "fingerstick"
    VENOUS = "venous"
    NONINVASIVE = "noninvasive"
    EARLOBE = "earlobe"


class DeferralKind(enum.StrEnum):
    TEMPORARY = "temporary"
    INDEFINITE = "indefinite"
    PERMANENT = "permanent"


class EventCode(enum.StrEnum):
    PREGNANT = "pregnant"
    PREGNANCY_ENDED = "pregnancy_ended"
    INCARCERATION_RELEASED = "incarceration_released"
    ORAL_PREP_LAST_DOSE = "oral_prep_last_dose"
    PEP_LAST_DOSE = "pep_last_dose"
    INJECTABLE_PREP_LAST_DOSE = "injectable_prep_last_dose"
    HIV_TREATMENT = "hiv_treatment"
    NEW_PARTNER_ANAL_SEX = "new_partner_anal_sex"
    SEX_FOR_MONEY_OR_DRUGS = "sex_for_money_or_drugs"
    MALARIA_AREA_RETURN = "malaria_area_return"
    MALARIA_RESIDENCE_DEPARTURE = "malaria_residence_departure"
    MALARIA_RECOVERY = "malaria_recovery"
    FINASTERIDE_LAST_DOSE = "finasteride_last_dose"
    DUTASTERIDE_LAST_DOSE = "dutasteride_last_dose"
    ISOTRETINOIN_LAST_DOSE = "isotretinoin_last_dose"
    ACITRETIN_LAST_DOSE = "acitretin_last_dose"
    ETRETINATE_EVER = "etretinate_ever"
    ASPIRIN_LAST_DOSE = "aspirin_last_dose"
    PRASUGREL_LAST_DOSE = "prasugrel_last_dose"
    TICAGRELOR_LAST_DOSE = "ticagrelor_last_dose"
    CLOPIDOGREL_LAST_DOSE = "clopidogrel_last_dose"
    TICLOPIDINE_LAST_DOSE = "ticlopidine_last_dose"
    VORAPAXAR_LAST_DOSE = "vorapaxar_last_dose"
    LIVE_VACCINE_2_WEEKS = "live_vaccine_2_weeks"
    LIVE_VACCINE_4_WEEKS = "live_vaccine_4_weeks"


class Marker(enum.StrEnum):
    HIV = "hiv"
    HBSAG = "hbsag"
    ANTI_HBC = "anti_hbc"
    HBV_NAT = "hbv_nat"
    HCV = "hcv"
    HTLV = "htlv"
    SYPHILIS = "syphilis"
    WNV = "wnv"
    CHAGAS = "chagas"
    BABESIA = "babesia"


class MarkerResult(enum.StrEnum):
    REPEATEDLY_REACTIVE = "repeatedly_reactive"
    NAT_REACTIVE = "nat_reactive"
    CONFIRMED_POSITIVE = "confirmed_positive"


# --- The case -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Donor:
    sex: Sex
    birth_date: date
    parental_consent: bool = False
    height_cm: float | None = None


@dataclass(frozen=True, slots=True)
class Vitals:
    """The physical assessment of the day (21 CFR 630.10(f)). None: not recorded.
    Weight and temperature are kept in the unit measured (convention C5)."""

    weight_kg: float | None = None
    weight_lb: float | None = None
    temperature_c: float | None = None
    temperature_f: float | None = None
    systolic_mm_hg: float | None = None
    diastolic_mm_hg: float | None = None
    pulse_bpm: float | None = None
    pulse_regular: bool | None = None
    healthy_athlete: bool = False
    hemoglobin_g_dl: float | None = None
    hematocrit_pct: float | None = None
    hemoglobin_sample: HemoglobinSample | None = None
    platelet_count_k_per_ul: float | None = None
    phlebotomy_site_ok: bool | None = None
    injection_drug_signs: bool | None = None


@dataclass(frozen=True, slots=True)
class PriorDonation:
    date: date
    procedure: Procedure


@dataclass(frozen=True, slots=True)
class Event:
    """A questionnaire answer with its date (last dose, return, release, end of pregnancy);
    ``hours`` only for ``incarceration_released``."""

    code: EventCode
    date: date
    hours: float | None = None


@dataclass(frozen=True, slots=True)
class RecordedDeferral:
    """A deferral on the donor's record. A temporary deferral's ``until`` is the first date
    the donor is no longer deferred (the same meaning as ``eligible_on``)."""

    kind: DeferralKind
    code: str
    until: date | None = None


@dataclass(frozen=True, slots=True)
class MarkerRecord:
    date: date
    marker: Marker
    result: MarkerResult


@dataclass(frozen=True, slots=True)
class Policy:
    """Per-case policy; None takes the establishment configuration's value."""

    female_low_hemoglobin_program: bool | None = None
    healthy_athlete_pulse_sop: bool | None = None


NO_POLICY: Final = Policy()


@dataclass(frozen=True, slots=True)
class Case:
    on: date
    procedure: Procedure
    donor: Donor
    vitals: Vitals
    donation_type: DonationType = DonationType.ALLOGENEIC
    jurisdiction: str = "other"
    history: tuple[PriorDonation, ...] = ()
    events: tuple[Event, ...] = ()
    deferrals: tuple[RecordedDeferral, ...] = ()
    marker_history: tuple[MarkerRecord, ...] = ()
    policy: Policy = NO_POLICY


# --- The decision -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    outcome: Outcome
    code: str
    message: str
    source: str
    overridable_by: str | None = None
    # The first date on which this reason no longer applies; None: no fixed end.
    ends_on: date | None = None


_Add: TypeAlias = Callable[[Reason], None]


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    eligible_on: date | None
    reasons: tuple[Reason, ...]


# --- Calendar arithmetic (conventions C1, C2) ---------------------------------------------

_DAYS_IN_MONTH: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: date, months: int) -> date:
    """Convention C2: the same day of the month ``months`` later, clamped to the month's end."""
    total = day.year * 12 + day.month - 1 + months
    year, month_index = divmod(total, 12)
    last = _DAYS_IN_MONTH[month_index]
    if month_index == 1 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        last = 29
    return date(year, month_index + 1, min(day.day, last))


_ONE_DAY: Final = timedelta(days=1)
_SIX_DAYS: Final = timedelta(days=6)
_SEVEN_DAYS: Final = timedelta(days=7)
_DAY_DELTAS: Final = tuple(timedelta(days=n) for n in range(3651))


def _plus_days(day: date, days: int) -> date:
    return day + (_DAY_DELTAS[days] if days < 3651 else timedelta(days=days))


# --- Sources ------------------------------------------------------------------------------

SRC_TEMPERATURE: Final = "21 CFR 630.10(f)(1): oral temperature ≤ 37.5 °C (99.5 °F) [P]"
SRC_BLOOD_PRESSURE: Final = (
    "21 CFR 630.10(f)(2): systolic 90–180, diastolic 50–100 mm Hg unless the responsible "
    "physician determines and documents no adverse effect [P]; off-site consultation allowed by "
    "FDA compliance policy (July 2024) [S]"
)
SRC_PULSE: Final = (
    "21 CFR 630.10(f)(4): pulse regular and 50–100 bpm unless the responsible physician "
    "determines and documents no adverse effect [P]"
)
SRC_ATHLETE: Final = (
    "FDA 'Blood Pressure and Pulse Donor Eligibility Requirements – Compliance Policy' (July "
    "2024): healthy athlete under a physician-approved SOP [S]"
)
SRC_HB_FEMALE: Final = "21 CFR 630.10(f)(3)(i)(A): female Hb ≥ 12.5 g/dL or Hct ≥ 38 % [P]"
SRC_HB_FEMALE_ALT: Final = (
    "21 CFR 630.10(f)(3)(i)(A): Hb 12.0–12.5 g/dL or Hct 36–38 % under an FDA-accepted procedure "
    "[P]; window [12.0, 12.5) / [36, 38) (convention C6)"
)
SRC_HB_MALE: Final = "21 CFR 630.10(f)(3)(i)(B): male Hb ≥ 13.0 g/dL or Hct ≥ 39 % [P]"
SRC_HB_AUTOLOGOUS: Final = "21 CFR 630.10(f)(3)(ii): autologous Hb ≥ 11.0 g/dL or Hct ≥ 33 % [P]"
SRC_HB_SAMPLE: Final = "21 CFR 630.10(f)(3): fingerstick, venipuncture or equivalent; not earlobe [P]"
SRC_WEIGHT: Final = "21 CFR 630.10(f)(5): weight ≥ 50 kg (110 lb), compared in the unit measured (C5) [P]"
SRC_SKIN: Final = "21 CFR 630.10(f)(6): phlebotomy site free of infection, inflammation and lesions [P]"
SRC_INJECTION: Final = (
    "21 CFR 630.10(f)(6): arms and forearms free of punctures and scars indicative of injected "
    "drugs of abuse [P]"
)
SRC_ASSESSMENT: Final = "21 CFR 630.10(c), (f): physical assessment on the day, before collection [P]"
SRC_DEFERRAL_RECORD: Final = (
    "21 CFR 630.10(d)(1), 606.160(e): deferred-donor records consulted before collection [P]"
)
SRC_610_41: Final = (
    "21 CFR 610.41(a): donor reactive on a screening test for a relevant transfusion-transmitted "
    "infection is deferred [P]"
)
SRC_610_41_ONCE: Final = (
    "21 CFR 610.41(a): anti-HBc or anti-HTLV reactive on one occasion only is not a deferral; "
    "more than one occasion, or a positive further test, is [P]"
)
SRC_610_41_AUTOLOGOUS: Final = "21 CFR 610.41(b): a deferred donor may donate autologously [P]"
SRC_WNV: Final = (
    "FDA guidance on WNV nucleic acid testing (Nov 2009): 120-day deferral after a reactive NAT "
    "[U: not in the domain reference; period as the issue gives it]"
)
SRC_BABESIA: Final = "FDA guidance on Babesia (May 2019): positive donor deferred 2 years [S]"
SRC_SYPHILIS: Final = (
    "21 CFR 610.41(a) [P]: syphilis is an RTTI (630.3(h)(1)); deferred until requalified under "
    "610.41(b) [P]; re-entry criteria of FDA's syphilis guidance not in the reference [U]"
)

REENTRY_610_41_B: Final = "re-entry only through an FDA-accepted requalification method (21 CFR 610.41(b))"


# --- Questionnaire events -----------------------------------------------------------------

_DAYS, _MONTHS, _INDEFINITE, _WHILE = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class _EventRule:
    reason_code: str
    what: str
    unit: int
    amount: int
    source: str
    only_for: frozenset[Procedure] | None = None
    exempt: frozenset[Procedure] = frozenset()


_PLATELETS_ONLY: Final = frozenset({Procedure.PLATELETS})
_NOT_SOURCE_PLASMA: Final = frozenset({Procedure.SOURCE_PLASMA})
_HIV_2023 = (
    "FDA guidance 'Recommendations for Evaluating Donor Eligibility Using Individual Risk-Based "
    "Questions to Reduce the Risk of HIV Transmission' (May 2023)"
)
_MALARIA_2022 = "FDA guidance on malaria (Dec 2022); source plasma exempt (21 CFR 640.63(c)(9)) [S]"
_MEDICATION = "AABB Standards medication deferral table / blood-center medication pages"
_ANTIPLATELET = (
    "San Diego Blood Bank medication page; AABB Standards table: donor may not be the sole source "
    "of platelets"
)

EVENT_RULES: Final[Mapping[EventCode, _EventRule]] = {
    EventCode.PREGNANT: _EventRule(
        "currently_pregnant",
        "pregnant",
        _WHILE,
        0,
        "21 CFR 630.10(e)(2)(v): ineligible while pregnant and for 6 weeks after [P]",
    ),
    EventCode.PREGNANCY_ENDED: _EventRule(
        "pregnancy_within_6_weeks",
        "pregnancy ended",
        _DAYS,
        42,
        "21 CFR 630.10(e)(2)(v): pregnancy within 6 weeks before donation [P]; 42 days (C7)",
    ),
    EventCode.INCARCERATION_RELEASED: _EventRule(
        "incarceration_within_12_months",
        "released after ≥ 72 consecutive hours in a correctional institution",
        _MONTHS,
        12,
        "21 CFR 630.10(e)(1)(iv): ≥ 72 consecutive hours in a correctional institution in the past "
        "12 months [P]",
    ),
    EventCode.ORAL_PREP_LAST_DOSE: _EventRule(
        "oral_prep_within_3_months", "last dose of oral PrEP", _MONTHS, 3, _HIV_2023 + ": 3 months [S]"
    ),
    EventCode.PEP_LAST_DOSE: _EventRule(
        "pep_within_3_months", "last dose of PEP", _MONTHS, 3, _HIV_2023 + ": 3 months [S]"
    ),
    EventCode.INJECTABLE_PREP_LAST_DOSE: _EventRule(
        "injectable_prep_within_2_years",
        "last long-acting injectable PrEP injection",
        _MONTHS,
        24,
        _HIV_2023 + ": 2 years after the last injection [S]",
    ),
    EventCode.HIV_TREATMENT: _EventRule(
        "hiv_treatment_ever",
        "antiretroviral therapy to treat HIV",
        _INDEFINITE,
        0,
        "Indefinite deferral: ever taken ART to treat HIV (domain reference §1.9) [S]",
    ),
    EventCode.NEW_PARTNER_ANAL_SEX: _EventRule(
        "new_partner_anal_sex_within_3_months",
        "new or more than one sexual partner and anal sex",
        _MONTHS,
        3,
        _HIV_2023 + ": 3 months [S]",
    ),
    EventCode.SEX_FOR_MONEY_OR_DRUGS: _EventRule(
        "sex_for_money_or_drugs_within_3_months",
        "exchanged sex for money or drugs",
        _MONTHS,
        3,
        _HIV_2023 + ": 3 months [S]",
    ),
    EventCode.MALARIA_AREA_RETURN: _EventRule(
        "malaria_area_travel_within_3_months",
        "return from a malaria-endemic area",
        _MONTHS,
        3,
        _MALARIA_2022 + ": 3 months after return (resident of a non-endemic country)",
        exempt=_NOT_SOURCE_PLASMA,
    ),
    EventCode.MALARIA_RESIDENCE_DEPARTURE: _EventRule(
        "malaria_area_residence_within_3_years",
        "departure after residence in a malaria-endemic country",
        _MONTHS,
        36,
        _MALARIA_2022 + ": 3 years after departure (prior resident of an endemic country)",
        exempt=_NOT_SOURCE_PLASMA,
    ),
    EventCode.MALARIA_RECOVERY: _EventRule(
        "malaria_within_3_years",
        "recovery from malaria",
        _MONTHS,
        36,
        _MALARIA_2022 + ": 3 years after a history of malaria",
        exempt=_NOT_SOURCE_PLASMA,
    ),
    EventCode.FINASTERIDE_LAST_DOSE: _EventRule(
        "finasteride_within_1_month", "last dose of finasteride", _MONTHS, 1, _MEDICATION + ": 1 month [S]"
    ),
    EventCode.DUTASTERIDE_LAST_DOSE: _EventRule(
        "dutasteride_within_6_months", "last dose of dutasteride", _MONTHS, 6, _MEDICATION + ": 6 months [S]"
    ),
    EventCode.ISOTRETINOIN_LAST_DOSE: _EventRule(
        "isotretinoin_within_1_month", "last dose of isotretinoin", _MONTHS, 1, _MEDICATION + ": 1 month [S]"
    ),
    EventCode.ACITRETIN_LAST_DOSE: _EventRule(
        "acitretin_within_3_years", "last dose of acitretin", _MONTHS, 36, _MEDICATION + ": 3 years [S]"
    ),
    EventCode.ETRETINATE_EVER: _EventRule(
        "etretinate_ever", "etretinate (Tegison) ever taken", _INDEFINITE, 0, _MEDICATION + ": indefinite [S]"
    ),
    EventCode.ASPIRIN_LAST_DOSE: _EventRule(
        "aspirin_within_2_days_platelets",
        "last dose of aspirin or piroxicam",
        _DAYS,
        2,
        _ANTIPLATELET + ": 2 days (48 h) [S]",
        only_for=_PLATELETS_ONLY,
    ),
    EventCode.PRASUGREL_LAST_DOSE: _EventRule(
        "prasugrel_within_3_days_platelets",
        "last dose of prasugrel",
        _DAYS,
        3,
        _ANTIPLATELET + ": 3 days [S; per-drug number U]",
        only_for=_PLATELETS_ONLY,
    ),
    EventCode.TICAGRELOR_LAST_DOSE: _EventRule(
        "ticagrelor_within_7_days_platelets",
        "last dose of ticagrelor",
        _DAYS,
        7,
        _ANTIPLATELET + ": 7 days [S; per-drug number U]",
        only_for=_PLATELETS_ONLY,
    ),
    EventCode.CLOPIDOGREL_LAST_DOSE: _EventRule(
        "clopidogrel_within_14_days_platelets",
        "last dose of clopidogrel",
        _DAYS,
        14,
        _ANTIPLATELET + ": 14 days [S; per-drug number U]",
        only_for=_PLATELETS_ONLY,
    ),
    EventCode.TICLOPIDINE_LAST_DOSE: _EventRule(
        "ticlopidine_within_14_days_platelets",
        "last dose of ticlopidine",
        _DAYS,
        14,
        _ANTIPLATELET + ": 14 days [S; per-drug number U]",
        only_for=_PLATELETS_ONLY,
    ),
    EventCode.VORAPAXAR_LAST_DOSE: _EventRule(
        "vorapaxar_within_1_month_platelets",
        "last dose of vorapaxar",
        _MONTHS,
        1,
        _ANTIPLATELET + ": 1 month [S; per-drug number U]",
        only_for=_PLATELETS_ONLY,
    ),
    EventCode.LIVE_VACCINE_2_WEEKS: _EventRule(
        "live_vaccine_within_2_weeks",
        "live attenuated vaccine (measles, mumps, oral polio, oral typhoid, yellow fever)",
        _DAYS,
        14,
        "AABB Standards table: live attenuated vaccines 2 weeks [S]",
    ),
    EventCode.LIVE_VACCINE_4_WEEKS: _EventRule(
        "live_vaccine_within_4_weeks",
        "live attenuated vaccine (rubella, varicella)",
        _DAYS,
        28,
        "AABB Standards table: live attenuated vaccines 4 weeks [S]",
    ),
}
INCARCERATION_MINIMUM_HOURS: Final = 72.0


# --- Earlier test results: marker × result -------------------------------------------------


class MarkerDeferral(enum.IntEnum):
    INDEFINITE = 0  # until requalified (21 CFR 610.41(b))
    DAYS = 1  # a fixed number of days from the test date
    MONTHS = 2  # a fixed number of months from the test date (C2)
    SECOND_OCCASION = 3  # not deferred on one occasion; indefinite on a second


@dataclass(frozen=True, slots=True)
class MarkerRule:
    """One row of the marker × result table: deferral kind, duration, re-entry path, source."""

    kind: MarkerDeferral
    amount: int
    reentry: str
    source: str


_RR, _NAT, _CP = MarkerResult.REPEATEDLY_REACTIVE, MarkerResult.NAT_REACTIVE, MarkerResult.CONFIRMED_POSITIVE
_AUTOMATIC_120_DAYS = "re-enters automatically after 120 days"
_AUTOMATIC_2_YEARS = "re-enters automatically after 2 years"
_RTTI = MarkerRule(MarkerDeferral.INDEFINITE, 0, REENTRY_610_41_B, SRC_610_41)
_SYPHILIS = MarkerRule(MarkerDeferral.INDEFINITE, 0, REENTRY_610_41_B, SRC_SYPHILIS)
_ONCE = MarkerRule(MarkerDeferral.SECOND_OCCASION, 0, REENTRY_610_41_B, SRC_610_41_ONCE)
_FURTHER_TEST_POSITIVE = MarkerRule(MarkerDeferral.INDEFINITE, 0, REENTRY_610_41_B, SRC_610_41_ONCE)
_WNV = MarkerRule(MarkerDeferral.DAYS, 120, _AUTOMATIC_120_DAYS, SRC_WNV)
_BABESIA = MarkerRule(MarkerDeferral.MONTHS, 24, _AUTOMATIC_2_YEARS, SRC_BABESIA)

# Deferrals from earlier test results (domain reference §1.9, §5.2). A marker × result pair
# that is not here does not exist (HBsAg is not a NAT) and is refused by the validation format.
MARKER_RULES: Final[Mapping[tuple[Marker, MarkerResult], MarkerRule]] = {
    (Marker.HIV, _RR): _RTTI,
    (Marker.HIV, _NAT): _RTTI,
    (Marker.HIV, _CP): _RTTI,
    (Marker.HBSAG, _RR): _RTTI,
    (Marker.HBSAG, _CP): _RTTI,
    (Marker.HBV_NAT, _NAT): _RTTI,
    (Marker.HBV_NAT, _CP): _RTTI,
    (Marker.HCV, _RR): _RTTI,
    (Marker.HCV, _NAT): _RTTI,
    (Marker.HCV, _CP): _RTTI,
    (Marker.CHAGAS, _RR): _RTTI,
    (Marker.CHAGAS, _CP): _RTTI,
    (Marker.SYPHILIS, _RR): _SYPHILIS,
    (Marker.SYPHILIS, _CP): _SYPHILIS,
    (Marker.ANTI_HBC, _RR): _ONCE,
    (Marker.ANTI_HBC, _CP): _FURTHER_TEST_POSITIVE,
    (Marker.HTLV, _RR): _ONCE,
    (Marker.HTLV, _CP): _FURTHER_TEST_POSITIVE,
    (Marker.WNV, _NAT): _WNV,
    (Marker.WNV, _CP): _WNV,
    (Marker.BABESIA, _RR): _BABESIA,
    (Marker.BABESIA, _NAT): _BABESIA,
    (Marker.BABESIA, _CP): _BABESIA,
}
_LABELS: Final = {
    Marker.HIV: "HIV",
    Marker.HBSAG: "HBsAg",
    Marker.ANTI_HBC: "anti-HBc",
    Marker.HBV_NAT: "HBV",
    Marker.HCV: "HCV",
    Marker.HTLV: "anti-HTLV",
    Marker.SYPHILIS: "syphilis",
    Marker.WNV: "WNV",
    Marker.CHAGAS: "Chagas (T. cruzi)",
    Marker.BABESIA: "Babesia",
}
_RESULT_LABELS: Final = {
    _RR: "repeatedly reactive",
    _NAT: "NAT reactive",
    _CP: "confirmed positive",
}
# Reason codes: marker_result, e.g. "hiv_repeatedly_reactive".
_MARKER_CODES: Final = {(marker, result): f"{marker.value}_{result.value}" for marker, result in MARKER_RULES}


# --- The engine ---------------------------------------------------------------------------


def evaluate(case: Case, config: Configuration = DEFAULT_CONFIGURATION) -> Decision:
    """The eligibility decision for one donor, one procedure, one day."""
    reasons: list[Reason] = []
    add = reasons.append
    on = case.on
    procedure = case.procedure
    vitals = case.vitals
    autologous = case.donation_type is DonationType.AUTOLOGOUS

    # Physical assessment, 21 CFR 630.10(f).
    temperature_c = vitals.temperature_c
    if temperature_c is not None:
        if temperature_c > 37.5:
            add(
                _day_finding(
                    "temperature_above_limit",
                    f"temperature {temperature_c:g} °C is above 37.5 °C",
                    SRC_TEMPERATURE,
                )
            )
    elif vitals.temperature_f is not None:
        if vitals.temperature_f > 99.5:
            add(
                _day_finding(
                    "temperature_above_limit",
                    f"temperature {vitals.temperature_f:g} °F is above 99.5 °F",
                    SRC_TEMPERATURE,
                )
            )
    else:
        add(_not_recorded("temperature_not_recorded", "temperature"))

    systolic, diastolic = vitals.systolic_mm_hg, vitals.diastolic_mm_hg
    if systolic is None or diastolic is None:
        add(_not_recorded("blood_pressure_not_recorded", "blood pressure (systolic and diastolic)"))
    else:
        if systolic > 180 or systolic < 90:
            add(
                Reason(
                    PHYSICIAN,
                    "systolic_blood_pressure_out_of_range",
                    f"systolic blood pressure {systolic:g} mm Hg is outside 90–180 mm Hg",
                    SRC_BLOOD_PRESSURE,
                    BY_PHYSICIAN,
                )
            )
        if diastolic > 100 or diastolic < 50:
            add(
                Reason(
                    PHYSICIAN,
                    "diastolic_blood_pressure_out_of_range",
                    f"diastolic blood pressure {diastolic:g} mm Hg is outside 50–100 mm Hg",
                    SRC_BLOOD_PRESSURE,
                    BY_PHYSICIAN,
                )
            )

    pulse = vitals.pulse_bpm
    if pulse is None:
        add(_not_recorded("pulse_not_recorded", "pulse"))
    elif pulse > 100:
        add(
            Reason(
                PHYSICIAN,
                "pulse_out_of_range",
                f"pulse {pulse:g} bpm is above 100 bpm",
                SRC_PULSE,
                BY_PHYSICIAN,
            )
        )
    elif pulse < 50:
        sop = case.policy.healthy_athlete_pulse_sop
        if sop is None:
            sop = config.healthy_athlete_pulse_sop
        if vitals.healthy_athlete and sop:
            add(
                Reason(
                    ELIGIBLE,
                    "low_pulse_healthy_athlete",
                    f"pulse {pulse:g} bpm is below 50 bpm; the donor reports being a healthy athlete "
                    "and the establishment's SOP allows donation without consultation",
                    SRC_ATHLETE,
                )
            )
        else:
            athlete = (
                " (healthy athlete reported, but the establishment has no healthy-athlete SOP)"
                if vitals.healthy_athlete
                else ""
            )
            add(
                Reason(
                    PHYSICIAN,
                    "pulse_out_of_range",
                    f"pulse {pulse:g} bpm is below 50 bpm{athlete}",
                    SRC_PULSE,
                    BY_PHYSICIAN,
                )
            )
    if vitals.pulse_regular is None:
        add(_not_recorded("pulse_regularity_not_recorded", "whether the pulse is regular"))
    elif not vitals.pulse_regular:
        add(Reason(PHYSICIAN, "pulse_irregular", "pulse is irregular", SRC_PULSE, BY_PHYSICIAN))

    weight_kg, weight_lb = vitals.weight_kg, vitals.weight_lb
    if weight_kg is not None:
        if weight_kg < 50:
            add(_day_finding("weight_below_minimum", f"weight {weight_kg:g} kg is below 50 kg", SRC_WEIGHT))
    elif weight_lb is not None:
        if weight_lb < 110:
            add(_day_finding("weight_below_minimum", f"weight {weight_lb:g} lb is below 110 lb", SRC_WEIGHT))
    else:
        add(_not_recorded("weight_not_recorded", "weight"))

    hemoglobin, hematocrit = vitals.hemoglobin_g_dl, vitals.hematocrit_pct
    sample = vitals.hemoglobin_sample
    sample_ok = False
    if hemoglobin is None and hematocrit is None:
        add(_not_recorded("hemoglobin_not_recorded", "hemoglobin or hematocrit"))
    elif sample is None:
        add(_not_recorded("hemoglobin_sample_not_recorded", "the hemoglobin sample type"))
    elif sample is HemoglobinSample.EARLOBE:
        add(
            Reason(
                INVALID,
                "hemoglobin_earlobe_sample",
                "an earlobe sample is not an acceptable hemoglobin or hematocrit measurement; "
                "re-measure by fingerstick, venipuncture or an equivalent method",
                SRC_HB_SAMPLE,
            )
        )
    else:
        sample_ok = True
        _hemoglobin(case, config, hemoglobin, hematocrit, autologous, add)

    if vitals.phlebotomy_site_ok is None:
        add(_not_recorded("phlebotomy_site_not_recorded", "the phlebotomy site examination"))
    elif not vitals.phlebotomy_site_ok:
        add(
            _day_finding(
                "phlebotomy_site_not_acceptable",
                "the phlebotomy site shows infection, inflammation or a lesion",
                SRC_SKIN,
            )
        )
    if vitals.injection_drug_signs is None:
        add(
            _not_recorded(
                "injection_drug_signs_not_recorded", "the examination of the arms for injection marks"
            )
        )
    elif vitals.injection_drug_signs:
        add(
            _day_finding(
                "injection_drug_use_signs",
                "punctures or scars indicative of injected drugs of abuse on the arms or forearms",
                SRC_INJECTION,
            )
        )

    if procedure is Procedure.PLATELETS:
        count = vitals.platelet_count_k_per_ul
        minimum = config.platelet_min_precount_k_per_ul
        if count is None:
            add(_not_recorded("platelet_count_not_recorded", "the pre-donation platelet count"))
        elif count < minimum:
            by = BY_POLICY if count >= 150 else None
            add(
                Reason(
                    TEMPORARY,
                    "platelet_count_below_minimum",
                    f"pre-donation platelet count {count:g} ×10³/µL is below {minimum:g} ×10³/µL",
                    SOURCE_PLATELET_PRECOUNT,
                    by,
                )
            )
    elif procedure is Procedure.DOUBLE_RED_CELLS:
        _double_red_cells(case, config, sample_ok, add)

    # Age by jurisdiction, with parental consent.
    _age(case, config, add)

    # Intervals since earlier donations, and frequency limits.
    if case.history:
        _intervals(case, config, add)

    if case.events:
        _events(case, add)
    if case.marker_history:
        _markers(case, autologous, add)
    for deferral in case.deferrals:
        kind = deferral.kind
        if kind is DeferralKind.TEMPORARY:
            until = deferral.until
            if until is None or until > on:
                add(
                    Reason(
                        TEMPORARY,
                        "recorded_temporary_deferral",
                        f"temporary deferral {deferral.code} on record"
                        + (f" until {until.isoformat()}" if until is not None else " without an end date"),
                        SRC_DEFERRAL_RECORD,
                        None,
                        until,
                    )
                )
        elif kind is DeferralKind.INDEFINITE:
            add(
                Reason(
                    INDEFINITE,
                    "recorded_indefinite_deferral",
                    f"indefinite deferral {deferral.code} on record",
                    SRC_DEFERRAL_RECORD,
                )
            )
        else:
            add(
                Reason(
                    PERMANENT,
                    "recorded_permanent_deferral",
                    f"permanent deferral {deferral.code} on record",
                    SRC_DEFERRAL_RECORD,
                )
            )

    return decide(reasons)


def decide(reasons: list[Reason]) -> Decision:
    """Convention C9: the most severe outcome among the reasons; eligible_on for a temporary
    outcome whose temporary reasons all have a fixed end (the latest of them)."""
    if not reasons:
        return Decision(ELIGIBLE, None, ())
    reasons.sort(key=lambda reason: _severity(reason.outcome), reverse=True)
    outcome = reasons[0].outcome
    eligible_on: date | None = None
    if outcome is TEMPORARY:
        for reason in reasons:
            if reason.outcome is not TEMPORARY:
                break
            end = reason.ends_on
            if end is None:
                eligible_on = None
                break
            if eligible_on is None or end > eligible_on:
                eligible_on = end
    return Decision(outcome, eligible_on, tuple(reasons))


def _day_finding(code: str, message: str, source: str) -> Reason:
    """A finding of the day: ineligible today, re-assessed at the next visit (no fixed end)."""
    return Reason(TEMPORARY, code, message, source)


def _not_recorded(code: str, what: str) -> Reason:
    return Reason(INVALID, code, f"{what} not recorded; the assessment is incomplete", SRC_ASSESSMENT)


def _hemoglobin(
    case: Case,
    config: Configuration,
    hemoglobin: float | None,
    hematocrit: float | None,
    autologous: bool,
    add: _Add,
) -> None:
    """21 CFR 630.10(f)(3): either analyte meeting its threshold suffices ("or")."""
    if autologous:
        if (hemoglobin is not None and hemoglobin >= 11.0) or (hematocrit is not None and hematocrit >= 33.0):
            return
        add(
            _low_hemoglobin(
                case,
                config,
                hemoglobin,
                hematocrit,
                "11.0 g/dL hemoglobin or 33 % hematocrit",
                SRC_HB_AUTOLOGOUS,
            )
        )
        return
    if case.donor.sex is Sex.FEMALE:
        if (hemoglobin is not None and hemoglobin >= 12.5) or (hematocrit is not None and hematocrit >= 38.0):
            return
        if (hemoglobin is not None and hemoglobin >= 12.0) or (hematocrit is not None and hematocrit >= 36.0):
            program = case.policy.female_low_hemoglobin_program
            if program is None:
                program = config.female_low_hemoglobin_program
            if program:
                add(
                    Reason(
                        ALTERNATIVE,
                        "female_alternative_hemoglobin_standard",
                        f"{_measured(hemoglobin, hematocrit)} is in the female alternative window "
                        "(Hb 12.0 to < 12.5 g/dL or Hct 36 to < 38 %); eligible under the "
                        "establishment's FDA-accepted procedure",
                        SRC_HB_FEMALE_ALT,
                    )
                )
                return
        add(
            _low_hemoglobin(
                case, config, hemoglobin, hematocrit, "12.5 g/dL hemoglobin or 38 % hematocrit", SRC_HB_FEMALE
            )
        )
        return
    if (hemoglobin is not None and hemoglobin >= 13.0) or (hematocrit is not None and hematocrit >= 39.0):
        return
    add(
        _low_hemoglobin(
            case, config, hemoglobin, hematocrit, "13.0 g/dL hemoglobin or 39 % hematocrit", SRC_HB_MALE
        )
    )


def _measured(hemoglobin: float | None, hematocrit: float | None) -> str:
    parts = []
    if hemoglobin is not None:
        parts.append(f"hemoglobin {hemoglobin:g} g/dL")
    if hematocrit is not None:
        parts.append(f"hematocrit {hematocrit:g} %")
    return " and ".join(parts)


def _low_hemoglobin(
    case: Case,
    config: Configuration,
    hemoglobin: float | None,
    hematocrit: float | None,
    threshold: str,
    source: str,
) -> Reason:
    message = f"{_measured(hemoglobin, hematocrit)}: below the minimum of {threshold}"
    waiting = config.low_hemoglobin_waiting_days
    if waiting:
        retest = _plus_days(case.on, waiting)
        message += (
            f"; establishment waiting period of {waiting} days: not re-tested before {retest.isoformat()}"
        )
        source += "; waiting period: establishment policy [U]"
    return Reason(TEMPORARY, "hemoglobin_below_minimum", message, source)


def _double_red_cells(case: Case, config: Configuration, sample_ok: bool, add: _Add) -> None:
    table = config.double_red_cells[case.donor.sex]
    vitals = case.vitals
    weight_kg, weight_lb = vitals.weight_kg, vitals.weight_lb
    if weight_kg is not None:
        if weight_kg < table.weight_kg:
            floor_kg = table.floor_weight_lb * 45359237 / 100_000_000
            add(
                Reason(
                    TEMPORARY,
                    "double_red_cells_weight_below_minimum",
                    f"weight {weight_kg:g} kg is below {table.weight_kg:.2f} kg ({table.weight_lb:g} lb) "
                    "for double red cells",
                    SOURCE_DOUBLE_RED_CELLS,
                    BY_POLICY if weight_kg >= floor_kg else None,
                )
            )
    elif weight_lb is not None and weight_lb < table.weight_lb:
        add(
            Reason(
                TEMPORARY,
                "double_red_cells_weight_below_minimum",
                f"weight {weight_lb:g} lb is below {table.weight_lb:g} lb for double red cells",
                SOURCE_DOUBLE_RED_CELLS,
                BY_POLICY if weight_lb >= table.floor_weight_lb else None,
            )
        )
    height = case.donor.height_cm
    if height is None:
        add(_not_recorded("height_not_recorded", "height (needed for double red cells)"))
    elif height < table.height_cm:
        floor_cm = table.floor_height_in * 254 / 100
        add(
            Reason(
                TEMPORARY,
                "double_red_cells_height_below_minimum",
                f"height {height:g} cm is below {table.height_cm:g} cm ({table.height_in:g} in) for "
                "double red cells",
                SOURCE_DOUBLE_RED_CELLS,
                BY_POLICY if height >= floor_cm else None,
            )
        )
    hematocrit = vitals.hematocrit_pct
    if hematocrit is None:
        add(
            _not_recorded(
                "double_red_cells_hematocrit_not_recorded", "hematocrit (needed for double red cells)"
            )
        )
    elif sample_ok and hematocrit < table.hematocrit_pct:
        add(
            Reason(
                TEMPORARY,
                "double_red_cells_hematocrit_below_minimum",
                f"hematocrit {hematocrit:g} % is below {table.hematocrit_pct:g} % for double red cells",
                SOURCE_DOUBLE_RED_CELLS,
                BY_POLICY if hematocrit >= table.floor_hematocrit_pct else None,
            )
        )


def _age(case: Case, config: Configuration, add: _Add) -> None:
    donor = case.donor
    rule = config.age_rule(case.jurisdiction)
    consent = donor.parental_consent
    required = rule.minimum_years
    if consent and rule.with_consent_years is not None:
        required = rule.with_consent_years
    birth = donor.birth_date
    reaches = add_months(birth, 12 * required)
    on = case.on
    if on >= reaches:
        return
    floor = rule.floor_minimum_years
    if consent and rule.floor_with_consent_years is not None:
        floor = rule.floor_with_consent_years
    by = None if on < add_months(birth, 12 * floor) else BY_POLICY
    if rule.with_consent_years is None:
        terms = f"{rule.minimum_years} (parental consent does not lower it)"
    else:
        terms = f"{rule.minimum_years}, or {rule.with_consent_years} with parental consent"
    consent_text = "with" if consent else "without"
    add(
        Reason(
            TEMPORARY,
            "below_minimum_age",
            f"born {birth.isoformat()}, {consent_text} parental consent; minimum age in "
            f"{rule.jurisdiction} is {terms}; reaches {required} on {reaches.isoformat()}",
            rule.source,
            by,
            reaches,
        )
    )


def _intervals(case: Case, config: Configuration, add: _Add) -> None:
    on = case.on
    procedure = case.procedure
    latest: dict[Procedure, date] = {}
    same: list[date] = []
    for prior in case.history:
        previous = prior.procedure
        day = prior.date
        known = latest.get(previous)
        if known is None or day > known:
            latest[previous] = day
        if previous is procedure:
            same.append(day)
    into = config.intervals_into[procedure]
    for previous, day in latest.items():
        interval = into[previous]
        end = _plus_days(day, interval.days)
        if on < end:
            by = None if on < _plus_days(day, interval.floor_days) else BY_POLICY
            add(
                Reason(
                    TEMPORARY,
                    interval.code,
                    f"last {procedure_label(previous)} donation on {day.isoformat()}; at least "
                    f"{interval.days} days before {procedure_label(procedure)}; eligible from "
                    f"{end.isoformat()}",
                    interval.source,
                    by,
                    end,
                )
            )
    if procedure is Procedure.PLATELETS:
        _in_7_days(
            case,
            same,
            config.platelets_max_in_7_days,
            2,
            "platelets_more_than_allowed_in_7_days",
            SOURCE_PLATELET_FREQUENCY,
            add,
        )
        _in_12_months(case, same, config.platelets_max_in_12_months, add)
    elif procedure is Procedure.SOURCE_PLASMA:
        _in_7_days(
            case,
            same,
            config.source_plasma_max_in_7_days,
            2,
            "source_plasma_more_than_allowed_in_7_days",
            SOURCE_SOURCE_PLASMA_FREQUENCY,
            add,
        )


_FREQUENCY_LABELS: Final = {Procedure.PLATELETS: "platelet", Procedure.SOURCE_PLASMA: "source plasma"}


def _in_7_days(
    case: Case, dates: list[date], maximum: int, regulatory: int, code: str, source: str, add: _Add
) -> None:
    """Convention C8: no 7-consecutive-day window may hold more than ``maximum`` procedures,
    counting today's. The windows holding today span today − 6 … today."""
    if len(dates) < maximum:
        return
    on = case.on
    window_start = on - _SIX_DAYS
    recent = sorted((day for day in dates if day >= window_start), reverse=True)
    if len(recent) < maximum:
        return
    # Today's procedure needs the maximum-th most recent one out of the window.
    end = recent[maximum - 1] + _SEVEN_DAYS
    by = None if len(recent) >= regulatory else BY_POLICY
    add(
        Reason(
            TEMPORARY,
            code,
            f"{len(recent)} {_FREQUENCY_LABELS[case.procedure]} procedures from {window_start.isoformat()} "
            f"to {on.isoformat()}; at most {maximum} in any 7 days counting this one; eligible from "
            f"{end.isoformat()}",
            source,
            by,
            end,
        )
    )


def _in_12_months(case: Case, dates: list[date], maximum: int, add: _Add) -> None:
    """At most ``maximum`` platelet procedures in a rolling 12 months, counting today's: an
    earlier procedure counts until the same date 12 months later (C2)."""
    if len(dates) < maximum:
        return
    on = case.on
    in_window = sorted((day for day in dates if add_months(day, 12) > on), reverse=True)
    if len(in_window) < maximum:
        return
    end = add_months(in_window[maximum - 1], 12)
    by = None if len(in_window) >= 24 else BY_POLICY
    add(
        Reason(
            TEMPORARY,
            "platelets_more_than_allowed_in_12_months",
            f"{len(in_window)} platelet procedures in the 12 months before {on.isoformat()}; at most "
            f"{maximum} in 12 months counting this one; eligible from {end.isoformat()}",
            SOURCE_PLATELET_FREQUENCY,
            by,
            end,
        )
    )


def _events(case: Case, add: _Add) -> None:
    on = case.on
    procedure = case.procedure
    pregnant_since: date | None = None
    pregnancy_ended: date | None = None
    for event in case.events:
        code = event.code
        if code is EventCode.PREGNANT:
            if pregnant_since is None or event.date > pregnant_since:
                pregnant_since = event.date
            continue
        if code is EventCode.PREGNANCY_ENDED and (pregnancy_ended is None or event.date > pregnancy_ended):
            pregnancy_ended = event.date
        rule = EVENT_RULES[code]
        if (rule.only_for is not None and procedure not in rule.only_for) or procedure in rule.exempt:
            continue
        if code is EventCode.INCARCERATION_RELEASED and (event.hours or 0.0) < INCARCERATION_MINIMUM_HOURS:
            continue
        unit = rule.unit
        if unit == _INDEFINITE:
            add(Reason(INDEFINITE, rule.reason_code, f"{rule.what}", rule.source))
            continue
        end = _plus_days(event.date, rule.amount) if unit == _DAYS else add_months(event.date, rule.amount)
        if on < end:
            add(
                Reason(
                    TEMPORARY,
                    rule.reason_code,
                    f"{rule.what} on {event.date.isoformat()}; eligible from {end.isoformat()}",
                    rule.source,
                    None,
                    end,
                )
            )
    if pregnant_since is not None and (pregnancy_ended is None or pregnancy_ended < pregnant_since):
        rule = EVENT_RULES[EventCode.PREGNANT]
        add(
            Reason(
                TEMPORARY,
                rule.reason_code,
                f"pregnant (reported {pregnant_since.isoformat()}); "
                "eligible 6 weeks after the pregnancy ends",
                rule.source,
            )
        )


def _markers(case: Case, autologous: bool, add: _Add) -> None:
    on = case.on
    occasions: dict[Marker, set[date]] = {}
    found: list[Reason] = []
    for record in case.marker_history:
        key = (record.marker, record.result)
        rule = MARKER_RULES[key]
        kind = rule.kind
        what = f"{_LABELS[record.marker]} {_RESULT_LABELS[record.result]} on {record.date.isoformat()}"
        if kind is MarkerDeferral.INDEFINITE:
            found.append(
                Reason(
                    INDEFINITE,
                    _MARKER_CODES[key],
                    f"{what}: indefinite deferral; {rule.reentry}",
                    rule.source,
                )
            )
        elif kind is MarkerDeferral.SECOND_OCCASION:
            occasions.setdefault(record.marker, set()).add(record.date)
        else:
            end = (
                _plus_days(record.date, rule.amount)
                if kind is MarkerDeferral.DAYS
                else add_months(record.date, rule.amount)
            )
            if on < end:
                found.append(
                    Reason(
                        TEMPORARY,
                        _MARKER_CODES[key],
                        f"{what}: deferred until {end.isoformat()}; {rule.reentry}",
                        rule.source,
                        None,
                        end,
                    )
                )
    for marker, dates in occasions.items():
        label = _LABELS[marker]
        if len(dates) > 1:
            listed = ", ".join(day.isoformat() for day in sorted(dates))
            found.append(
                Reason(
                    INDEFINITE,
                    f"{marker.value}_reactive_more_than_once",
                    f"{label} repeatedly reactive on {len(dates)} occasions ({listed}): "
                    f"indefinite deferral; {REENTRY_610_41_B}",
                    SRC_610_41_ONCE,
                )
            )
        else:
            (day,) = dates
            found.append(
                Reason(
                    ELIGIBLE,
                    f"{marker.value}_reactive_once",
                    f"{label} repeatedly reactive on one occasion only ({day.isoformat()}): "
                    "that donation is not used; the donor is not deferred",
                    SRC_610_41_ONCE,
                )
            )
    for reason in found:
        if autologous and reason.outcome is not ELIGIBLE:
            add(
                Reason(
                    ELIGIBLE,
                    f"{reason.code}_autologous_permitted",
                    f"{reason.message} — does not prevent an autologous donation",
                    SRC_610_41_AUTOLOGOUS,
                )
            )
        else:
            add(reason)


# --- Donor registry: donor numbers and duplicate detection -------------------------------
# Not eligibility rules: the identity checks of registration (DESIGN.md, issue 5 item 1).
# A duplicate record splits a donor's history, and with it deferrals and lookback, so a
# registration whose date of birth matches and whose name is similar shows the candidates.

DONOR_NUMBER_PREFIX: Final = "D"
DONOR_NUMBER_DIGITS: Final = 7
DUPLICATE_NAME_SIMILARITY: Final = 0.8  # difflib ratio on "family given", normalised


def donor_number_format(value: int) -> str:
    """The donor number of the ``value``-th registration: ``D0000001``."""
    if value < 1:
        raise ValueError("donor numbers start at 1")
    return f"{DONOR_NUMBER_PREFIX}{value:0{DONOR_NUMBER_DIGITS}d}"


def name_normalise(name: str) -> str:
    """Lower case, accents removed, hyphens and apostrophes as spaces, spaces collapsed:
    ``"Núñez-O'Brien "`` → ``"nunez o brien"``."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    for separator in "-'’.,":
        plain = plain.replace(separator, " ")
    return " ".join(plain.split())


@dataclass(frozen=True)
class NameMatch:
    similar: bool
    ratio: float
    reason: str  # "similar_name" | "same_family_and_initial" | ""


def names_match(family_a: str, given_a: str, family_b: str, given_b: str) -> NameMatch:
    """Whether two donors' names are close enough, with the same date of birth, to be one
    person: the same family name and given initial, or a difflib ratio of at least
    ``DUPLICATE_NAME_SIMILARITY`` on the normalised "family given"."""
    family_a, given_a = name_normalise(family_a), name_normalise(given_a)
    family_b, given_b = name_normalise(family_b), name_normalise(given_b)
    ratio = difflib.SequenceMatcher(None, f"{family_a} {given_a}", f"{family_b} {given_b}").ratio()
    if family_a and family_a == family_b and given_a[:1] == given_b[:1]:
        return NameMatch(True, ratio, "same_family_and_initial")
    if ratio >= DUPLICATE_NAME_SIMILARITY:
        return NameMatch(True, ratio, "similar_name")
    return NameMatch(False, ratio, "")
