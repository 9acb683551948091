"""One person, two records: after a merge, screening reads the deferrals and donations of
every record merged into the survivor, also through an earlier merge."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from hemaops.donations import services
from hemaops.donors import services as donor_services
from tests.donations.test_collection import GOOD_VITALS, collect, screen


def _register(given: str):
    return donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name="Okafor", given_name=given, date_of_birth=date(1985, 3, 4), sex="M"
        ),
        not_a_duplicate=True,
    )


def test_a_deferral_under_a_duplicate_twice_merged_still_defers_the_person(staff, site):
    survivor, middle, oldest = _register("Ben"), _register("Benjamin"), _register("Benji")
    services.screening_record(
        actor=staff["screener"],
        donor=oldest,
        site=site,
        procedure="whole_blood",
        vitals=GOOD_VITALS,
        answers=[
            {"code": "malaria_area_return", "date": (timezone.localdate() - timedelta(days=1)).isoformat()}
        ],
    )
    donor_services.donor_merge(actor=None, duplicate=oldest, survivor=middle, reason="same person")
    donor_services.donor_merge(actor=None, duplicate=middle, survivor=survivor, reason="same person")

    screening = screen(staff, survivor, site)

    assert screening.outcome == "INELIGIBLE_TEMPORARY"
    assert not screening.collection_allowed


def test_a_donation_under_a_merged_duplicate_counts_for_the_interval(staff, site):
    survivor, duplicate = _register("Ben"), _register("Benjamin")
    collect(staff, screen(staff, duplicate, site), site)
    donor_services.donor_merge(actor=None, duplicate=duplicate, survivor=survivor, reason="same person")

    screening = screen(staff, survivor, site)

    assert not screening.collection_allowed
    assert screening.eligible_on is not None
    assert (screening.eligible_on - screening.screened_on).days >= 55
