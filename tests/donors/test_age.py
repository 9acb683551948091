"""Minimum age by jurisdiction, with and without parental consent, on the birthday (C2)."""

from __future__ import annotations

from datetime import date

import pytest

from hemaops.donors.configuration import configuration_from_json
from hemaops.donors.rules import Outcome, evaluate
from tests.donors.builders import make_case, reason

TEMPORARY = Outcome.INELIGIBLE_TEMPORARY
ELIGIBLE = Outcome.ELIGIBLE
BIRTH = date(2008, 5, 15)


def at(on: date, jurisdiction: str, consent: bool):
    return evaluate(make_case(on=on, birth_date=BIRTH, parental_consent=consent, jurisdiction=jurisdiction))


@pytest.mark.parametrize(
    ("jurisdiction", "without_consent", "with_consent", "source"),
    [("US-MN", 17, 16, "Minn. Stat. 145.41"), ("US-WA", 18, 16, "RCW 70.01.020"), ("other", 17, 16, "AABB")],
)
def test_minimum_age_is_reached_on_the_birthday(jurisdiction, without_consent, with_consent, source):
    birthday = date(BIRTH.year + without_consent, 5, 15)
    day_before = date(BIRTH.year + without_consent, 5, 14)
    assert at(birthday, jurisdiction, consent=False).outcome is ELIGIBLE
    early = at(day_before, jurisdiction, consent=False)
    assert early.outcome is TEMPORARY
    assert early.eligible_on == birthday
    found = reason(early, "below_minimum_age")
    assert source in found.source
    assert found.overridable_by is None

    consent_birthday = date(BIRTH.year + with_consent, 5, 15)
    assert at(consent_birthday, jurisdiction, consent=True).outcome is ELIGIBLE
    early_with_consent = at(date(BIRTH.year + with_consent, 5, 14), jurisdiction, consent=True)
    assert early_with_consent.eligible_on == consent_birthday
    # Without consent, the same day waits for the full minimum age.
    assert at(consent_birthday, jurisdiction, consent=False).eligible_on == birthday


def test_washington_17_year_old_needs_consent():
    assert at(date(2025, 6, 1), "US-WA", consent=False).eligible_on == date(2026, 5, 15)
    assert at(date(2025, 6, 1), "US-WA", consent=True).outcome is ELIGIBLE


def test_an_unknown_jurisdiction_uses_the_other_rule():
    assert at(date(2024, 5, 15), "US-TX", consent=True).outcome is ELIGIBLE
    assert at(date(2025, 5, 14), "US-TX", consent=False).eligible_on == date(2025, 5, 15)


def test_a_29_february_birthday_reaches_the_age_on_28_february():
    case = make_case(on=date(2021, 2, 28), birth_date=date(2004, 2, 29))
    assert evaluate(case).outcome is ELIGIBLE
    early = evaluate(make_case(on=date(2021, 2, 27), birth_date=date(2004, 2, 29)))
    assert early.eligible_on == date(2021, 2, 28)


def test_a_tightened_age_is_overridable_by_the_establishment_policy():
    config = configuration_from_json({"minimum_age": {"US-MN": {"without_consent": 18}}})
    case = make_case(on=date(2025, 6, 1), birth_date=BIRTH, jurisdiction="US-MN")
    decision = evaluate(case, config)
    assert decision.eligible_on == date(2026, 5, 15)
    assert decision.reasons[0].overridable_by == "establishment_policy"


def test_an_establishment_without_a_consent_path():
    config = configuration_from_json({"minimum_age": {"other": {"with_parental_consent": None}}})
    case = make_case(on=date(2024, 6, 1), birth_date=BIRTH, parental_consent=True)
    decision = evaluate(case, config)
    assert decision.eligible_on == date(2025, 5, 15)
    assert decision.reasons[0].overridable_by == "establishment_policy"  # the law allows 16 with consent
    assert "parental consent does not lower it" in decision.reasons[0].message


def test_a_new_jurisdiction_in_the_configuration():
    config = configuration_from_json(
        {"minimum_age": {"US-NY": {"without_consent": 17, "with_parental_consent": None}}}
    )
    case = make_case(on=date(2024, 6, 1), birth_date=BIRTH, parental_consent=True, jurisdiction="US-NY")
    assert evaluate(case, config).eligible_on == date(2025, 5, 15)
    assert evaluate(case).outcome is ELIGIBLE  # shipped defaults: the 'other' rule, 16 with consent
