"""Services of the donor registry: registration, duplicates, changes, donor type history,
consents and merging — each asserting the rows and the audit trail."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
import time_machine

from hemaops.core import roles
from hemaops.core.audit import audit_verify
from hemaops.core.errors import PermissionDeniedError
from hemaops.core.models import AuditEvent
from hemaops.donors.models import Donor, DonorConsent, DonorTypePeriod
from hemaops.donors.services import (
    DonorsError,
    DuplicateDonorError,
    donor_change,
    donor_consent_give,
    donor_consent_withdraw,
    donor_merge,
    donor_register,
    donor_type_change,
)
from tests.donors.registry_builders import details

pytestmark = pytest.mark.django_db

TODAY = datetime(2025, 6, 2, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def recruiter(make_user):
    return make_user(roles.RECRUITER)


@pytest.fixture
def quality_officer(make_user):
    return make_user(roles.QUALITY_OFFICER)


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(stream="donors", action=action).order_by("sequence"))


def test_registration_gives_the_next_donor_number_a_first_type_period_and_an_audit_row(recruiter, program):
    first = donor_register(actor=recruiter, details=details(), donor_type="paid", program=program)
    second = donor_register(
        actor=recruiter, details=details(family_name="Nguyen", given_name="Thanh", sex="M")
    )

    assert (first.donor_number, second.donor_number) == ("D0000001", "D0000002")
    assert first.address_confirmed_on == date(2025, 3, 1)
    assert first.abo_on_record == ""
    assert list(first.type_periods.values_list("donor_type", "program__code", "started_on", "ended_on")) == [
        ("paid", "ca-fixed", date(2025, 6, 2), None)
    ]
    (event, _) = _events("donors.donor.registered")
    assert event.actor_id == recruiter.pk
    assert event.target_id == str(first.pk)
    assert event.data["new"]["donor_number"] == "D0000001"
    assert event.data["new"]["donor_type"] == "paid"
    assert event.data["new"]["date_of_birth"] == "1986-04-12"
    assert audit_verify().ok


def test_a_similar_name_with_the_same_birth_date_is_refused_with_the_candidates(recruiter):
    existing = donor_register(actor=recruiter, details=details())

    with pytest.raises(DuplicateDonorError) as refused:
        donor_register(actor=recruiter, details=details(family_name="ALVAREZ", given_name="Maria"))

    assert refused.value.candidates == [existing]
    assert refused.value.status == 409
    assert refused.value.field == "not_a_duplicate"
    assert Donor.objects.count() == 1
    assert len(_events("donors.donor.registered")) == 1


def test_a_confirmed_registration_of_a_similar_name_is_registered_and_the_candidates_audited(recruiter):
    donor_register(actor=recruiter, details=details())

    second = donor_register(
        actor=recruiter, details=details(given_name="Maria", phone=""), not_a_duplicate=True
    )

    assert second.donor_number == "D0000002"
    event = _events("donors.donor.registered")[-1]
    assert event.data["duplicate_candidates"] == ["D0000001"]
    assert event.reason == "confirmed not a duplicate"


def test_the_same_name_born_on_another_day_is_not_a_candidate(recruiter):
    donor_register(actor=recruiter, details=details())
    other = donor_register(actor=recruiter, details=details(date_of_birth=date(1986, 4, 13)))
    assert other.donor_number == "D0000002"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"date_of_birth": date(2025, 6, 3)}, "date_of_birth", "future_date_of_birth"),
        ({"sex": "X"}, "sex", "unknown_sex"),
        ({"email": "maria-at-example"}, "email", "invalid_email"),
        ({"family_name": "  "}, "family_name", "required"),
        ({"country": "USA"}, "country", "invalid"),
    ],
)
def test_bad_fields_are_refused_naming_the_field_and_nothing_is_saved(recruiter, overrides, field, code):
    with pytest.raises(DonorsError) as refused:
        donor_register(actor=recruiter, details=details(**overrides))
    assert (refused.value.field, refused.value.code) == (field, code)
    assert Donor.objects.count() == 0
    assert AuditEvent.objects.filter(stream="donors").count() == 0


def test_an_unknown_donor_type_is_refused(recruiter):
    with pytest.raises(DonorsError) as refused:
        donor_register(actor=recruiter, details=details(), donor_type="mercenary")
    assert refused.value.field == "donor_type"


@pytest.mark.parametrize("role", [roles.MEDICAL_DIRECTOR, roles.QUALITY_OFFICER, roles.ACCOUNTANT])
def test_roles_that_only_read_or_see_nothing_cannot_register(make_user, role):
    with pytest.raises(PermissionDeniedError):
        donor_register(actor=make_user(role), details=details())
    assert Donor.objects.count() == 0


def test_a_change_records_what_was_there_before(recruiter):
    donor = donor_register(actor=recruiter, details=details())

    changed = donor_change(
        actor=recruiter,
        donor=donor,
        details=dataclasses.replace(details(), city="Encino", postal_code="91436"),
        reason="moved",
    )

    assert (changed.city, changed.postal_code) == ("Encino", "91436")
    (event,) = _events("donors.donor.changed")
    assert event.data == {
        "old": {"city": "Sherman Oaks", "postal_code": "91403"},
        "new": {"city": "Encino", "postal_code": "91436"},
    }
    assert event.reason == "moved"


def test_a_change_of_type_closes_the_current_period_and_keeps_both(recruiter, program):
    with time_machine.travel(datetime(2024, 3, 1, 16, tzinfo=UTC), tick=False):
        donor = donor_register(
            actor=recruiter, details=details(address_confirmed_on=None), donor_type="paid", program=program
        )

    period = donor_type_change(
        actor=recruiter,
        donor=donor,
        donor_type="volunteer",
        effective_on=date(2025, 6, 1),
        reason="program converted",
    )

    assert list(
        DonorTypePeriod.objects.filter(donor=donor)
        .order_by("started_on")
        .values_list("donor_type", "program__code", "started_on", "ended_on")
    ) == [
        ("paid", "ca-fixed", date(2024, 3, 1), date(2025, 6, 1)),
        ("volunteer", None, date(2025, 6, 1), None),
    ]
    assert period.donor_type == "volunteer"
    (event,) = _events("donors.donor.type_changed")
    assert event.data["old"]["donor_type"] == "paid"
    assert event.data["new"] == {"donor_type": "volunteer", "program": None, "started_on": "2025-06-01"}


def test_a_change_of_type_on_or_before_the_current_start_is_refused(recruiter):
    donor = donor_register(actor=recruiter, details=details())
    with pytest.raises(DonorsError) as refused:
        donor_type_change(actor=recruiter, donor=donor, donor_type="paid", effective_on=date(2025, 6, 2))
    assert refused.value.field == "effective_on"
    assert donor.type_periods.count() == 1


def test_a_change_to_the_type_in_force_changes_nothing(recruiter):
    donor = donor_register(actor=recruiter, details=details())
    current = donor.type_periods.get()
    assert donor_type_change(actor=recruiter, donor=donor, donor_type="volunteer") == current
    assert _events("donors.donor.type_changed") == []


def test_consents_are_given_and_withdrawn_with_audit_rows(recruiter):
    donor = donor_register(actor=recruiter, details=details())
    consent = donor_consent_give(actor=recruiter, donor=donor, kind="research", given_on=date(2025, 6, 2))
    again = donor_consent_give(actor=recruiter, donor=donor, kind="research")
    assert again == consent

    withdrawn = donor_consent_withdraw(actor=recruiter, consent=consent, reason="changed her mind")

    assert withdrawn.withdrawn_on == date(2025, 6, 2)
    assert withdrawn.withdrawal_reason == "changed her mind"
    assert len(_events("donors.consent.given")) == 1
    assert len(_events("donors.consent.withdrawn")) == 1


def test_an_unknown_consent_is_refused(recruiter):
    donor = donor_register(actor=recruiter, details=details())
    with pytest.raises(DonorsError) as refused:
        donor_consent_give(actor=recruiter, donor=donor, kind="marketing")
    assert refused.value.field == "kind"


def test_a_merge_keeps_the_duplicate_and_both_histories(recruiter, quality_officer, program):
    survivor = donor_register(actor=recruiter, details=details())
    donor_consent_give(actor=recruiter, donor=survivor, kind="donation")
    with time_machine.travel(datetime(2024, 1, 5, 16, tzinfo=UTC), tick=False):
        duplicate = donor_register(
            actor=recruiter,
            details=details(given_name="Maria", address_confirmed_on=None),
            donor_type="paid",
            program=program,
            not_a_duplicate=True,
        )
        donor_consent_give(actor=recruiter, donor=duplicate, kind="research")

    donor_merge(actor=quality_officer, duplicate=duplicate, survivor=survivor, reason="same person")

    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert duplicate.merge_reason == "same person"
    assert Donor.objects.count() == 2
    assert list(
        DonorTypePeriod.objects.filter(donor=survivor)
        .order_by("started_on")
        .values_list("donor_type", "started_on", "ended_on", "merged_from__donor_number")
    ) == [
        ("paid", date(2024, 1, 5), None, "D0000002"),
        ("volunteer", date(2025, 6, 2), None, None),
    ]
    assert sorted(
        DonorConsent.objects.filter(donor=survivor).values_list("kind", "merged_from__donor_number")
    ) == [("donation", None), ("research", "D0000002")]
    (event,) = _events("donors.donor.merged")
    assert event.actor_id == quality_officer.pk
    assert event.target_id == str(duplicate.pk)
    assert event.data["new"] == {"merged_into": "D0000001"}
    assert event.data["duplicate"]["given_name"] == "Maria"
    assert event.reason == "same person"
    assert audit_verify().ok


def test_only_a_quality_officer_merges(recruiter):
    survivor = donor_register(actor=recruiter, details=details())
    duplicate = donor_register(actor=recruiter, details=details(given_name="Maria"), not_a_duplicate=True)
    with pytest.raises(PermissionDeniedError):
        donor_merge(actor=recruiter, duplicate=duplicate, survivor=survivor, reason="same")
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_merge_needs_a_reason(recruiter, quality_officer, reason):
    survivor = donor_register(actor=recruiter, details=details())
    duplicate = donor_register(actor=recruiter, details=details(given_name="Maria"), not_a_duplicate=True)
    with pytest.raises(DonorsError) as refused:
        donor_merge(actor=quality_officer, duplicate=duplicate, survivor=survivor, reason=reason)
    assert refused.value.field == "reason"


def test_a_merged_record_is_not_merged_again_nor_changed(recruiter, quality_officer):
    survivor = donor_register(actor=recruiter, details=details())
    duplicate = donor_register(actor=recruiter, details=details(given_name="Maria"), not_a_duplicate=True)
    donor_merge(actor=quality_officer, duplicate=duplicate, survivor=survivor, reason="same person")

    with pytest.raises(DonorsError) as merged_again:
        donor_merge(actor=quality_officer, duplicate=duplicate, survivor=survivor, reason="again")
    with pytest.raises(DonorsError) as into_merged:
        donor_merge(actor=quality_officer, duplicate=survivor, survivor=duplicate, reason="reverse")
    with pytest.raises(DonorsError) as changed:
        donor_change(actor=recruiter, donor=duplicate, details=details(city="Encino"))

    assert (merged_again.value.code, into_merged.value.code, changed.value.code) == (
        "donor_merged",
        "survivor_merged",
        "donor_merged",
    )


def test_a_merged_duplicate_is_no_longer_a_candidate(recruiter, quality_officer):
    survivor = donor_register(actor=recruiter, details=details())
    duplicate = donor_register(actor=recruiter, details=details(given_name="Maria"), not_a_duplicate=True)
    donor_merge(actor=quality_officer, duplicate=duplicate, survivor=survivor, reason="same person")

    with pytest.raises(DuplicateDonorError) as refused:
        donor_register(actor=recruiter, details=details(given_name="Mariá"))
    assert refused.value.candidates == [survivor]
