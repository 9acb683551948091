"""Shared set-up of the paid donor program tests: a ledger to post compensation to, a
program manager, a paid program, donors, and a donor's gift through screening and collection."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from hemaops.core import roles
from hemaops.donations import compensation_services, services
from hemaops.donors import services as donor_services
from hemaops.finance.services import account_create, account_mapping_set, fiscal_year_open
from tests.clock import earlier_today, noon_days_ago
from tests.donations.test_collection import GOOD_VITALS


def paid_since(day: date) -> date:
    """When the paid program began paying: January 1 of last year, so that a gift some days ago
    is paid however early in January the test runs."""
    return date(day.year - 1, 1, 1)


@pytest.fixture
def ledger(company, business_day):
    """Cash and a donor compensation cost account, mapped; last fiscal year and this one open."""
    cash = account_create(
        actor=None, code="1000", name="Cash", type="asset", group="cash_and_marketable_securities"
    )
    cost = account_create(actor=None, code="5000", name="Donor compensation", type="cost_of_revenue")
    start = date(business_day.year - 1, 1, 1)
    account_mapping_set(actor=None, kind="system", key="cash", account=cash, effective_from=start)
    account_mapping_set(actor=None, kind="cost", key="donor_compensation", account=cost, effective_from=start)
    for year in (business_day.year - 1, business_day.year):
        fiscal_year_open(actor=None, fiscal_year=year)
    return {"cash": cash, "cost": cost}


@pytest.fixture
def manager(make_user):
    return make_user(roles.PROGRAM_MANAGER)


@pytest.fixture
def paid_program(program, manager, ledger, business_day):
    """The fixed-site program pays its donors since last year: whole blood $30, platelets $50."""
    compensation_services.program_donor_basis_set(
        actor=manager,
        program=program,
        basis="paid",
        effective_from=paid_since(business_day),
        reason="paid platelet program",
    )
    for procedure, amount in (("whole_blood", "30.00"), ("platelets", "50.00")):
        compensation_services.compensation_rate_set(
            actor=manager,
            program=program,
            procedure=procedure,
            amount=amount,
            effective_from=paid_since(business_day),
        )
    return program


def backdating(*users):
    permission = Permission.objects.get(codename="record_past_business_date")
    for user in users:
        user.user_permissions.add(permission)


def donor_make(name, program=None, donor_type="volunteer"):
    return donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name=name, given_name="Pat", date_of_birth=date(1980, 5, 6), sex="F"
        ),
        donor_type=donor_type,
        program=program,
        occurred_at=timezone.now() - timedelta(days=400),
    )


def give(staff, donor, site, *, days_ago: int = 0, procedure="whole_blood"):
    """Screen and collect ``donor`` at ``site``: minutes ago business_day, or at noon ``days_ago``
    business days ago (the screener and phlebotomist then need ``backdating``)."""
    if days_ago:
        screened = noon_days_ago(site, days_ago)
        started, ended = screened + timedelta(minutes=1), screened + timedelta(minutes=10)
    else:
        screened, started, ended = (earlier_today(site, minutes=m) for m in (12, 11, 2))
    screening = services.screening_record(
        actor=staff["screener"],
        donor=donor,
        site=site,
        procedure=procedure,
        vitals=GOOD_VITALS,
        occurred_at=screened,
    )
    din = services.din_generate(actor=staff["phlebotomist"], site=site, year=f"{screened:%y}").issued
    return services.donation_record(
        actor=staff["phlebotomist"],
        screening=screening,
        din=din,
        started_at=started,
        ended_at=ended,
        volume_ml=500,
        bag_lot="BAG-1",
        outcome="complete",
        procedure=procedure,
    )
