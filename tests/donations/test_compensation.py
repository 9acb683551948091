"""Paid donor programs (issue 5 item 6): compensation per procedure per program with dates,
posted to the ledger as program cost; collection type P; the conversion to volunteer."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from hemaops.core.errors import DomainError, PermissionDeniedError
from hemaops.core.models import Program
from hemaops.core.services import reference_data_save
from hemaops.donations import compensation_selectors, compensation_services, services
from hemaops.donations.models import CompensationRate, Donation, IssuedDin
from hemaops.donors.models import DonorTypePeriod
from hemaops.finance.models import JournalEntry
from tests.clock import earlier_today
from tests.donations.paid_programs import backdating, donor_make, give, paid_since
from tests.donations.test_collection import GOOD_VITALS


def test_a_paid_programs_unit_is_paid_labelled_p_and_its_compensation_is_a_program_cost(
    staff, site, paid_program, ledger
):
    donation = give(staff, donor_make("Paid"), site)

    assert donation.program == paid_program
    assert donation.donor_classification == "paid"
    assert donation.collection_type == "P"
    assert donation.compensation_amount == Decimal("30.00")
    entry = JournalEntry.objects.get(source_type="donations.donation", source_id=str(donation.pk))
    lines = {line.account.code: line for line in entry.lines.all()}
    assert lines["5000"].debit == Decimal("30.00")
    assert lines["5000"].program == paid_program
    assert lines["1000"].credit == Decimal("30.00")
    assert entry.entry_date == donation.screening.screened_on


def test_a_volunteer_programs_unit_pays_nothing_and_posts_nothing(staff, site, program, ledger):
    donation = give(staff, donor_make("Volunteer"), site)

    assert (donation.donor_classification, donation.collection_type) == ("volunteer", "V")
    assert donation.compensation_amount == 0
    assert donation.compensation_rate is None
    assert not JournalEntry.objects.filter(source_type="donations.donation").exists()


def test_a_paid_program_without_a_rate_for_the_procedure_refuses_and_saves_nothing(
    staff, site, paid_program, manager, business_day
):
    CompensationRate.objects.filter(procedure="whole_blood").delete()
    screening = services.screening_record(
        actor=staff["screener"],
        donor=donor_make("Norate"),
        site=site,
        procedure="whole_blood",
        vitals=GOOD_VITALS,
    )
    with pytest.raises(DomainError) as refused:
        services.donation_record(
            actor=staff["phlebotomist"],
            screening=screening,
            din=services.din_generate(
                actor=staff["phlebotomist"], site=site, year=str(business_day.year)[2:]
            ).issued,
            started_at=earlier_today(site, minutes=10),
            ended_at=earlier_today(site, minutes=1),
            volume_ml=500,
            bag_lot="BAG-1",
            outcome="complete",
        )
    assert refused.value.field == "procedure"
    assert refused.value.code == "no_compensation_rate"
    assert not Donation.objects.exists()
    assert not JournalEntry.objects.exists()


def test_converting_to_volunteer_stops_compensation_switches_the_type_and_moves_the_donors(
    staff, site, paid_program, manager, business_day
):
    backdating(staff["screener"], staff["phlebotomist"])
    before = give(staff, donor_make("Early", paid_program, "paid"), site, days_ago=3)
    converted = donor_make("Loyal", paid_program, "paid")

    compensation_services.program_donor_basis_set(
        actor=manager,
        program=paid_program,
        basis="volunteer",
        effective_from=business_day - timedelta(days=1),
        reason="Sherman Oaks goes volunteer",
    )
    after = give(staff, converted, site)

    before.refresh_from_db()
    assert (before.donor_classification, before.collection_type, before.compensation_amount) == (
        "paid",
        "P",
        Decimal("30.00"),
    )
    assert (after.donor_classification, after.collection_type, after.compensation_amount) == (
        "volunteer",
        "V",
        0,
    )
    periods = list(DonorTypePeriod.objects.filter(donor=converted).order_by("started_on"))
    assert [(p.donor_type, p.ended_on) for p in periods] == [
        ("paid", business_day - timedelta(days=1)),
        ("volunteer", None),
    ]
    assert JournalEntry.objects.filter(source_type="donations.donation").count() == 1


def test_a_conversion_cannot_rewrite_units_already_collected_as_paid(
    staff, site, paid_program, manager, business_day
):
    give(staff, donor_make("Today"), site)
    with pytest.raises(DomainError) as refused:
        compensation_services.program_donor_basis_set(
            actor=manager,
            program=paid_program,
            basis="volunteer",
            effective_from=business_day - timedelta(days=1),
        )
    assert refused.value.field == "effective_from"
    assert refused.value.code == "units_recorded"


def test_a_new_rate_closes_the_rate_in_force_and_later_units_take_it(
    staff, site, paid_program, manager, business_day
):
    new = compensation_services.compensation_rate_set(
        actor=manager,
        program=paid_program,
        procedure="whole_blood",
        amount="35.00",
        effective_from=business_day,
    )
    old = CompensationRate.objects.get(
        program=paid_program, procedure="whole_blood", effective_from=paid_since(business_day)
    )
    assert old.effective_until == business_day - timedelta(days=1)
    donation = give(staff, donor_make("Newrate"), site)
    assert donation.compensation_rate == new
    assert donation.compensation_amount == Decimal("35.00")


def test_a_rate_change_cannot_rewrite_what_a_donor_was_paid(staff, site, paid_program, manager, business_day):
    give(staff, donor_make("Paidtoday"), site)
    with pytest.raises(DomainError) as refused:
        compensation_services.compensation_rate_set(
            actor=manager,
            program=paid_program,
            procedure="whole_blood",
            amount="40.00",
            effective_from=business_day,
        )
    assert refused.value.field == "effective_from"
    assert refused.value.code == "units_recorded"


def _from_paid_since(value, business_day):
    """A case's dates are days from the day the program began paying, known once the test runs."""
    return paid_since(business_day) + timedelta(days=value) if isinstance(value, int) else value


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "twelve"}, "amount"),
        ({"procedure": "granulocytes"}, "procedure"),
        ({"effective_until": -1, "effective_from": 0}, "effective_until"),  # days from paid_since
        ({"effective_from": 0}, "effective_from"),  # not after the last rate
    ],
)
def test_bad_rates_name_the_field_and_change_nothing(paid_program, manager, changes, field, business_day):
    arguments = {
        "actor": manager,
        "program": paid_program,
        "procedure": "whole_blood",
        "amount": "31.00",
        "effective_from": business_day,
        **{key: _from_paid_since(value, business_day) for key, value in changes.items()},
    }
    count = CompensationRate.objects.count()
    with pytest.raises(DomainError) as refused:
        compensation_services.compensation_rate_set(**arguments)
    assert refused.value.field == field
    assert CompensationRate.objects.count() == count


def test_only_collections_programs_pay_donors_and_only_program_managers_set_it(
    company, manager, staff, business_day
):
    apheresis = reference_data_save(
        actor=None,
        instance=Program(
            company=company,
            code="tx",
            name="Therapeutic apheresis",
            segment="blood_services",
            kind="therapeutic_apheresis",
            active_from=date(2024, 1, 1),
        ),
    )
    with pytest.raises(DomainError) as refused:
        compensation_services.program_donor_basis_set(
            actor=manager, program=apheresis, basis="paid", effective_from=business_day
        )
    assert refused.value.field == "program"
    with pytest.raises(PermissionDeniedError):
        compensation_services.compensation_rate_set(
            actor=staff["phlebotomist"],
            program=apheresis,
            procedure="plasma",
            amount="5",
            effective_from=business_day,
        )


def test_an_unknown_basis_names_the_field(program, manager, business_day):
    with pytest.raises(DomainError) as refused:
        compensation_services.program_donor_basis_set(
            actor=manager, program=program, basis="sometimes", effective_from=business_day
        )
    assert refused.value.field == "basis"


def test_figures_show_the_volumes_before_and_after_the_conversion(
    staff, site, paid_program, manager, business_day
):
    backdating(staff["screener"], staff["phlebotomist"])
    for number, name in enumerate(["Adams", "Baker", "Chen", "Diaz"]):
        give(staff, donor_make(name), site, days_ago=10 + number)
    compensation_services.program_donor_basis_set(
        actor=manager,
        program=paid_program,
        basis="volunteer",
        effective_from=business_day - timedelta(days=6),
    )
    give(staff, donor_make("After"), site)

    figures = compensation_selectors.program_figures(
        paid_program, business_day - timedelta(days=14), business_day
    )

    assert figures.conversion_on == business_day - timedelta(days=6)
    assert figures.before.units == 4
    assert figures.after.units == 1
    assert figures.total_units == 5
    assert figures.total_compensation == Decimal("120.00")
    assert sum(month.paid_units for month in figures.months) == 4
    assert sum(month.volunteer_units for month in figures.months) == 1
    [change] = figures.procedure_changes
    # Seven days on each side of the conversion: 4 units before, 1 after, per 30 days.
    assert (change.before, change.after) == (Decimal("17.1"), Decimal("4.3"))
    assert change.change_percent == Decimal("-75")
    assert IssuedDin.objects.count() == 5


@pytest.mark.parametrize("end", [date(2026, 1, 3), date(2026, 3, 31), date(2026, 11, 26), date(2028, 2, 29)])
def test_the_figures_default_to_the_twelve_months_ending_with_the_end(end):
    # It was "335 days before the first of the month", which gave 13 months from some Januaries.
    start = compensation_selectors.figures_default_start(end)
    assert start.day == 1
    assert (end.year - start.year) * 12 + end.month - start.month == 11
