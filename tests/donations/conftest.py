"""Fixtures of the DIN label stock tests."""

from __future__ import annotations

from datetime import date

import pytest

from hemaops.core import roles
from hemaops.core.models import Site
from hemaops.core.services import reference_data_save
from hemaops.donations.models import DinLabelStock
from hemaops.donations.services import din_stock_receive
from hemaops.donors import services as donor_services


@pytest.fixture
def received_stock(site) -> DinLabelStock:
    """W0001 year 25, sequences 100–199, received at the main site."""
    return din_stock_receive(
        actor=None,
        site=site,
        year="25",
        first_sequence=100,
        last_sequence=199,
        received_on=date(2025, 1, 6),
        lot="LOT-1",
    )


@pytest.fixture
def other_site(company) -> Site:
    return reference_data_save(
        actor=None,
        instance=Site(
            company=company,
            code="north",
            name="North Donor Center",
            kind=Site.Kind.FIXED_COLLECTION,
            time_zone="America/Los_Angeles",
            facility_identification_number="W0002",
        ),
    )


# --- screening and donation -------------------------------------------------------------


@pytest.fixture
def donor(db):
    return donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name="Okafor", given_name="Ben", date_of_birth=date(1985, 3, 4), sex="M"
        ),
    )


@pytest.fixture
def staff(make_user):
    return {
        "screener": make_user(roles.SCREENER),
        "phlebotomist": make_user(roles.PHLEBOTOMIST),
        "director": make_user(roles.MEDICAL_DIRECTOR),
    }


# Paid donor programs: a ledger to post compensation to, a program manager, a paid program.
from tests.donations.paid_programs import ledger, manager, paid_program  # noqa: E402, F401
