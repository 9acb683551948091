"""Fixtures of the lab tests: the standard panel, lab staff, donations to test."""

from __future__ import annotations

from datetime import date

import pytest

from hemaops.core import roles
from hemaops.donors import services as donor_services
from hemaops.lab import services
from tests.donations.conftest import donor, staff  # noqa: F401 - fixtures
from tests.donations.test_collection import collect, screen

STANDARD = [
    "anti_hiv_1_2", "hiv_nat", "hbsag", "anti_hbc", "hbv_nat", "anti_hcv", "hcv_nat", "anti_htlv", "syphilis",
    "wnv_nat", "t_cruzi", "abo", "rhd", "antibody_screen",
]  # fmt: skip


@pytest.fixture
def panel(db):
    return services.panel_set(actor=None, name="Standard", markers=STANDARD, effective_from=date(2024, 1, 1))


@pytest.fixture
def lab(make_user):
    return {
        "technologist": make_user(roles.LAB_TECHNOLOGIST),
        "second_technologist": make_user(roles.LAB_TECHNOLOGIST, username="tech2"),
        "supervisor": make_user(roles.LAB_SUPERVISOR),
        "quality": make_user(roles.QUALITY_OFFICER),
    }


@pytest.fixture
def donation(staff, donor, site, panel):  # noqa: F811
    return collect(staff, screen(staff, donor, site), site)


@pytest.fixture
def another_donation(staff, site, panel):  # noqa: F811
    other = donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name="Lindqvist", given_name="Maja", date_of_birth=date(1990, 6, 7), sex="F"
        ),
    )
    return collect(staff, screen(staff, other, site), site)
