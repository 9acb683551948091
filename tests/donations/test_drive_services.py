"""Collections services: drives and their lifecycle, slots, booking, walk-ins, check-in,
the no-show sweep and a drive's results against its goal."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from hemaops.core import roles
from hemaops.core.errors import ConflictError, PermissionDeniedError
from hemaops.core.models import AuditEvent
from hemaops.donations import drive_selectors, drive_services
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import Appointment, DriveStatusChange, SiteOpeningHours
from tests.donations.drive_factories import (
    bus_make,
    donor_make,
    drive_day,
    drive_make,
    mobile_program_make,
    slot_make,
)


@pytest.fixture
def bus(company):
    return bus_make(company)


@pytest.fixture
def mobile_program(company):
    return mobile_program_make(company)


@pytest.fixture
def drive(bus, mobile_program):
    return drive_make(bus, mobile_program)


def test_a_drive_is_planned_in_utc_from_the_sites_local_hours_with_goals_and_history(
    bus, mobile_program, make_user
):
    recruiter = make_user(roles.RECRUITER)
    screener = make_user(roles.SCREENER)
    drive = drive_make(bus, mobile_program, staff=[screener], day=date(2030, 7, 1))
    drive = drive_services.drive_status_change(actor=recruiter, drive=drive, status="confirmed")
    assert drive.starts_at.isoformat() == "2030-07-01T16:00:00+00:00"  # 09:00 PDT
    assert drive.ends_at.isoformat() == "2030-07-01T22:00:00+00:00"
    assert {g.procedure: g.units for g in drive.goals.all()} == {"whole_blood": 30, "double_red_cells": 4}
    assert list(drive.staff.values_list("username", flat=True)) == ["screener"]
    assert list(DriveStatusChange.objects.filter(drive=drive).values_list("old_status", "new_status")) == [
        ("", "planned"),
        ("planned", "confirmed"),
    ]
    assert AuditEvent.objects.filter(action="donations.drive.confirmed", target_id=str(drive.pk)).count() == 1


def test_a_drive_in_the_past_is_refused_naming_the_date(bus, mobile_program):
    with pytest.raises(DonationsError) as refused:
        drive_make(bus, mobile_program, day=date(2020, 1, 1))
    assert (refused.value.code, refused.value.field) == ("date_in_past", "date")


def test_a_drive_ending_before_it_starts_is_refused_naming_the_end(bus, mobile_program):
    with pytest.raises(DonationsError) as refused:
        drive_make(bus, mobile_program, starts=time(15, 0), ends=time(9, 0))
    assert refused.value.field == "ends"


def test_a_drive_needs_a_mobile_collections_program(bus, program):
    with pytest.raises(DonationsError) as refused:
        drive_make(bus, program)
    assert refused.value.field == "program"


def test_a_held_drive_cannot_be_cancelled_and_nothing_changes(drive):
    drive_services.drive_status_change(actor=None, drive=drive, status="confirmed")
    drive_services.drive_status_change(actor=None, drive=drive, status="held")
    with pytest.raises(ConflictError) as refused:
        drive_services.drive_status_change(actor=None, drive=drive, status="cancelled", reason="rain")
    assert refused.value.code == "transition_not_allowed"
    drive.refresh_from_db()
    assert drive.status == "held"
    assert DriveStatusChange.objects.filter(drive=drive).count() == 3


def test_a_recruiter_books_up_to_capacity_and_a_full_slot_is_refused(drive, make_user):
    recruiter = make_user(roles.RECRUITER)
    slot = slot_make(drive, capacity=2)
    first, second, third = donor_make("Ann"), donor_make("Bea"), donor_make("Cy")
    drive_services.appointment_book(actor=recruiter, slot=slot, donor=first)
    drive_services.appointment_book(actor=recruiter, slot=slot, donor=second)
    with pytest.raises(ConflictError) as refused:
        drive_services.appointment_book(actor=recruiter, slot=slot, donor=third)
    assert refused.value.code == "slot_full"
    assert refused.value.status == 409
    assert slot.appointments.count() == 2


def test_a_cancelled_booking_frees_its_place(drive):
    slot = slot_make(drive, capacity=1)
    booked = drive_services.appointment_book(actor=None, slot=slot, donor=donor_make("Ann"))
    drive_services.appointment_cancel(actor=None, appointment=booked, reason="sick")
    again = drive_services.appointment_book(actor=None, slot=slot, donor=donor_make("Bea"))
    assert again.status == "booked"


def test_a_screener_may_not_book(drive, make_user):
    slot = slot_make(drive)
    with pytest.raises(PermissionDeniedError):
        drive_services.appointment_book(actor=make_user(roles.SCREENER), slot=slot, donor=donor_make("Ann"))
    assert not Appointment.objects.exists()


def test_a_slot_with_no_capacity_or_outside_the_drive_is_refused(drive):
    with pytest.raises(DonationsError) as refused:
        slot_make(drive, capacity=0)
    assert refused.value.field == "capacity"
    with pytest.raises(DonationsError) as refused:
        slot_make(drive, starts=time(16, 0), ends=time(16, 30))
    assert refused.value.code == "outside_drive_hours"


def test_check_in_and_walk_in_then_a_second_check_in_is_refused(drive, make_user):
    screener = make_user(roles.SCREENER)
    slot = slot_make(drive)
    booked = drive_services.appointment_book(actor=None, slot=slot, donor=donor_make("Ann"))
    checked = drive_services.appointment_check_in(actor=screener, appointment=booked)
    assert checked.status == "checked_in"
    assert checked.checked_in_by == screener
    with pytest.raises(ConflictError):
        drive_services.appointment_check_in(actor=screener, appointment=booked)
    walk_in = drive_services.appointment_walk_in(actor=screener, donor=donor_make("Bea"), drive=drive)
    assert (walk_in.is_walk_in, walk_in.slot, walk_in.status, walk_in.site) == (
        True,
        None,
        "checked_in",
        drive.site,
    )


def test_the_no_show_sweep_marks_booked_appointments_of_ended_slots_once(drive):
    slot = slot_make(drive, capacity=3)
    late = drive_services.appointment_book(actor=None, slot=slot, donor=donor_make("Ann"))
    came = drive_services.appointment_book(actor=None, slot=slot, donor=donor_make("Bea"))
    drive_services.appointment_check_in(actor=None, appointment=came)
    after = slot.ends_at + timedelta(minutes=1)
    assert drive_services.appointment_no_show_sweep(now=slot.ends_at - timedelta(minutes=1)) == 0
    assert drive_services.appointment_no_show_sweep(now=after) == 1
    assert drive_services.appointment_no_show_sweep(now=after) == 0
    late.refresh_from_db()
    came.refresh_from_db()
    assert (late.status, came.status) == ("no_show", "checked_in")
    assert AuditEvent.objects.filter(action="donations.appointment.no_show").count() == 1


def test_drive_results_count_appointments_against_the_goal(drive):
    slot = slot_make(drive, capacity=4)
    ann = drive_services.appointment_book(actor=None, slot=slot, donor=donor_make("Ann"))
    drive_services.appointment_book(actor=None, slot=slot, donor=donor_make("Bea"))
    drive_services.appointment_check_in(actor=None, appointment=ann)
    drive_services.appointment_walk_in(actor=None, donor=donor_make("Cy"), drive=drive)
    results = drive_selectors.drive_results(drive)
    assert (results.capacity, results.booked, results.checked_in, results.walk_ins, results.no_shows) == (
        4,
        1,
        2,
        1,
        0,
    )
    assert [(g.procedure, g.goal_units, g.collected_units) for g in results.goals] == [
        ("double_red_cells", 4, 0),
        ("whole_blood", 30, 0),
    ]


def test_a_fixed_site_slot_must_fall_within_opening_hours_and_not_on_a_closure(site):
    day = drive_day()
    with pytest.raises(DonationsError) as refused:
        drive_services.slot_create(
            actor=None, site=site, day=day, starts=time(9), ends=time(9, 30), capacity=2
        )
    assert refused.value.code == "site_closed"
    drive_services.site_opening_hours_set(
        actor=None, site=site, weekday=day.weekday(), opens=time(8), closes=time(17)
    )
    slot = drive_services.slot_create(
        actor=None, site=site, day=day, starts=time(9), ends=time(9, 30), capacity=2
    )
    assert slot.drive is None
    drive_services.site_closure_add(actor=None, site=site, day=day, reason="Holiday")
    with pytest.raises(DonationsError):
        drive_services.slot_create(
            actor=None, site=site, day=day, starts=time(10), ends=time(10, 30), capacity=2
        )
    assert SiteOpeningHours.objects.filter(site=site).count() == 1
