"""Shared fixtures: the company and hospitals of a test, and a user per role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from hemaops.core import roles
from hemaops.core.models import Company, Hospital, Program, Site, User
from hemaops.core.services import reference_data_save, user_create
from hemaops.donations.drive_services import site_today

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher (asserted in tests/core/test_settings.py); tests
    # that create dozens of users use a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The builders the fixtures below call, plain functions so that tests building a world once
# per module (tests/test_access_walk.py) make exactly the same company, places and people.


def company_make() -> Company:
    return reference_data_save(
        actor=None, instance=Company(legal_name="Test Blood Services", fiscal_year_start_month=1)
    )


def hospital_make(company: Company, code: str, name: str, time_zone: str) -> Hospital:
    return reference_data_save(
        actor=None, instance=Hospital(company=company, code=code, name=name, time_zone=time_zone)
    )


def program_make(company: Company) -> Program:
    return reference_data_save(
        actor=None,
        instance=Program(
            company=company,
            code="ca-fixed",
            name="California fixed",
            segment="blood_products",
            kind="fixed_collections",
            active_from=date(2024, 1, 1),
        ),
    )


def site_make(company: Company, program: Program) -> Site:
    """The fixed donor center; its own units go to the fixed-site collections program."""
    return reference_data_save(
        actor=None,
        instance=Site(
            company=company,
            code="main",
            name="Main Donor Center",
            kind=Site.Kind.FIXED_COLLECTION,
            time_zone="America/Los_Angeles",
            facility_identification_number="W0001",
            collections_program=program,
        ),
    )


def user_make(role: str, bound: Hospital | None, username: str) -> User:
    return user_create(
        actor=None,
        username=username,
        password=PASSWORD,
        role_names=[role],
        hospital=bound,
        second_factor_exempt=True,
        check_password_strength=False,
    )


@pytest.fixture
def company(db) -> Company:
    return company_make()


@pytest.fixture
def hospital(company) -> Hospital:
    return hospital_make(company, "cedars", "Cedars Valley", "America/Los_Angeles")


@pytest.fixture
def other_hospital(company) -> Hospital:
    return hospital_make(company, "mercy", "Mercy General", "America/New_York")


@pytest.fixture
def site(company, program) -> Site:
    """The fixed donor center; its own units go to the fixed-site collections program."""
    return site_make(company, program)


@pytest.fixture
def business_day(site) -> date:
    """The site's business day as the test starts: Los Angeles's date, not the server's UTC one
    (they differ from 00:00 UTC to local midnight), read per test so a run that crosses local
    midnight does not keep yesterday's."""
    return site_today(site)


@pytest.fixture
def program(company) -> Program:
    return program_make(company)


@pytest.fixture
def make_user(db, hospital) -> Callable[..., User]:
    """make_user(role) → a user holding that role (hospital users of ``hospital`` unless told)."""
    created: dict[tuple[str, int | None], User] = {}

    def make(role: str, hospital_for_user: Hospital | None = None, username: str | None = None) -> User:
        bound = (hospital_for_user or hospital) if role == roles.HOSPITAL_USER else None
        key = (username or role, bound.pk if bound else None)
        if key not in created:
            created[key] = user_make(
                role,
                bound,
                username or (role if bound is None or bound == hospital else f"{role}_{bound.code}"),
            )
        return created[key]

    return make


@pytest.fixture
def login(client) -> Callable[[User], Client]:
    def sign_in(user: User) -> Client:
        client.force_login(user)
        return client

    return sign_in
