"""The establishment's eligibility configuration kept as dated, audited data."""

from __future__ import annotations

from datetime import date

import pytest

from hemaops.core import roles
from hemaops.core.errors import ConflictError, PermissionDeniedError
from hemaops.core.models import AuditEvent
from hemaops.donors.configuration import Procedure
from hemaops.donors.models import EligibilityConfiguration
from hemaops.donors.selectors import eligibility_configuration_on
from hemaops.donors.services import DonorsError, eligibility_configuration_set

pytestmark = pytest.mark.django_db

STRICTER = {"intervals_days": {"whole_blood": {"whole_blood": 60}}}


def test_without_a_stored_version_the_shipped_defaults_apply():
    defaults = eligibility_configuration_on(date(2025, 3, 3))
    assert defaults.intervals[(Procedure.WHOLE_BLOOD, Procedure.WHOLE_BLOOD)].days == 56


def _whole_blood_interval(day: date) -> int:
    return eligibility_configuration_on(day).intervals[(Procedure.WHOLE_BLOOD, Procedure.WHOLE_BLOOD)].days


def test_a_medical_director_tightens_an_interval_from_a_date(make_user):
    director = make_user(roles.MEDICAL_DIRECTOR)
    eligibility_configuration_set(
        actor=director, document=STRICTER, effective_from=date(2025, 4, 1), reason="SOP 12 rev 3"
    )
    assert _whole_blood_interval(date(2025, 3, 31)) == 56
    assert _whole_blood_interval(date(2025, 4, 1)) == 60
    event = AuditEvent.objects.get(action="donors.eligibility_configuration.set")
    assert (event.actor_id, event.reason) == (director.pk, "SOP 12 rev 3")


def test_a_value_below_the_regulatory_floor_is_refused_and_nothing_is_stored(make_user):
    with pytest.raises(DonorsError) as refusal:
        eligibility_configuration_set(
            actor=make_user(roles.MEDICAL_DIRECTOR),
            document={"intervals_days": {"whole_blood": {"whole_blood": 50}}},
            effective_from=date(2025, 4, 1),
            reason="try",
        )
    assert refusal.value.code == "invalid_configuration"
    assert "intervals_days.whole_blood.whole_blood" in refusal.value.message
    assert not EligibilityConfiguration.objects.exists()


def test_only_the_medical_director_sets_it(make_user):
    with pytest.raises(PermissionDeniedError):
        eligibility_configuration_set(
            actor=make_user(roles.SCREENER), document=STRICTER, effective_from=date(2025, 4, 1), reason="x"
        )


def test_versions_are_added_forward_never_back(make_user):
    director = make_user(roles.MEDICAL_DIRECTOR)
    eligibility_configuration_set(
        actor=director, document=STRICTER, effective_from=date(2025, 4, 1), reason="a"
    )
    with pytest.raises(ConflictError):
        eligibility_configuration_set(
            actor=director, document={}, effective_from=date(2025, 3, 1), reason="b"
        )
