"""What the database itself refuses in the donor registry, whatever the code above it does."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from hemaops.donors.models import Donor, DonorConsent, DonorTypePeriod
from hemaops.donors.services import donor_consent_give, donor_register
from tests.donors.registry_builders import details

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def donor() -> Donor:
    return donor_register(actor=None, details=details(address_confirmed_on=None))


def test_a_donor_has_one_current_type_period(donor):
    with pytest.raises(IntegrityError), transaction.atomic():
        DonorTypePeriod.objects.create(
            donor=donor, donor_type="paid", started_on=date(2025, 1, 1), recorded_at=timezone.now()
        )
    assert donor.type_periods.count() == 1


def test_a_period_ends_after_it_starts(donor):
    with pytest.raises(IntegrityError), transaction.atomic():
        donor.type_periods.update(ended_on=date(1999, 1, 1))


def test_one_consent_of_a_kind_is_in_force(donor):
    donor_consent_give(actor=None, donor=donor, kind="donation")
    with pytest.raises(IntegrityError), transaction.atomic():
        DonorConsent.objects.create(
            donor=donor, kind="donation", given_on=date(2025, 1, 1), recorded_at=timezone.now()
        )


@pytest.mark.parametrize(("field", "value"), [("sex", "X"), ("abo_on_record", "Q"), ("rhd_on_record", "unk")])
def test_unknown_codes_are_refused(donor, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Donor.objects.filter(pk=donor.pk).update(**{field: value})


def test_a_donor_number_is_unique(donor):
    with pytest.raises(IntegrityError), transaction.atomic():
        Donor.objects.create(
            donor_number=donor.donor_number,
            family_name="Other",
            given_name="Person",
            date_of_birth=date(1990, 1, 1),
            sex="M",
            created_at=timezone.now(),
            changed_at=timezone.now(),
        )


def test_a_donor_is_not_merged_into_itself(donor):
    with pytest.raises(IntegrityError), transaction.atomic():
        Donor.objects.filter(pk=donor.pk).update(merged_into=donor, merged_at=timezone.now())
