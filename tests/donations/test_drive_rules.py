"""The drive and appointment lifecycles and plan checks, pure (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hemaops.donations import drive_rules
from hemaops.donations.drive_rules import (
    APPOINTMENT_TRANSITIONS,
    DRIVE_TRANSITIONS,
    AppointmentStatus,
    DriveStatus,
)

NOW = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(("old", "new"), [(o, n) for o in DriveStatus for n in DriveStatus])
def test_the_drive_table_decides_every_move(old, new):
    refusal = drive_rules.drive_transition_check(old, new)
    assert (refusal is None) == (new in DRIVE_TRANSITIONS[old])
    if refusal is not None:
        assert refusal.field == "status"
        assert refusal.code == "transition_not_allowed"


def test_held_and_cancelled_drives_are_final():
    assert DRIVE_TRANSITIONS[DriveStatus.HELD] == frozenset()
    assert DRIVE_TRANSITIONS[DriveStatus.CANCELLED] == frozenset()


def test_an_unknown_drive_status_is_refused_naming_the_field():
    refusal = drive_rules.drive_transition_check("planned", "postponed")
    assert refusal is not None
    assert (refusal.code, refusal.field) == ("unknown_status", "status")


@pytest.mark.parametrize(("old", "new"), [(o, n) for o in AppointmentStatus for n in AppointmentStatus])
def test_the_appointment_table_decides_every_move(old, new):
    assert (drive_rules.appointment_transition_check(old, new) is None) == (
        new in APPOINTMENT_TRANSITIONS[old]
    )


def test_a_drive_in_the_past_is_refused():
    refusal = drive_rules.drive_plan_check(
        drive_date=date(2026, 5, 31), starts_at=NOW, ends_at=NOW + timedelta(hours=1), today=date(2026, 6, 1)
    )
    assert refusal is not None
    assert (refusal.code, refusal.field) == ("date_in_past", "date")


def test_a_drive_ending_before_it_starts_is_refused():
    refusal = drive_rules.drive_plan_check(
        drive_date=date(2026, 6, 1), starts_at=NOW, ends_at=NOW - timedelta(hours=1), today=date(2026, 6, 1)
    )
    assert refusal is not None
    assert refusal.field == "ends"


def test_a_drive_today_with_hours_in_order_is_accepted():
    assert (
        drive_rules.drive_plan_check(
            drive_date=date(2026, 6, 1),
            starts_at=NOW,
            ends_at=NOW + timedelta(hours=6),
            today=date(2026, 6, 1),
        )
        is None
    )


def test_a_slot_needs_a_capacity_of_at_least_one():
    refusal = drive_rules.slot_check(
        starts_at=NOW + timedelta(hours=1), ends_at=NOW + timedelta(hours=2), capacity=0, now=NOW
    )
    assert refusal is not None
    assert (refusal.code, refusal.field) == ("invalid_capacity", "capacity")


def test_a_full_slot_refuses_a_booking():
    refusal = drive_rules.slot_booking_check(
        capacity=3, places_taken=3, starts_at=NOW + timedelta(hours=1), now=NOW
    )
    assert refusal is not None
    assert refusal.code == "slot_full"
    assert (
        drive_rules.slot_booking_check(
            capacity=3, places_taken=2, starts_at=NOW + timedelta(hours=1), now=NOW
        )
        is None
    )


def test_a_started_slot_refuses_a_booking():
    refusal = drive_rules.slot_booking_check(capacity=3, places_taken=0, starts_at=NOW, now=NOW)
    assert refusal is not None
    assert refusal.code == "slot_started"


def test_only_a_booked_appointment_of_an_ended_slot_is_a_no_show():
    assert drive_rules.is_no_show(status="booked", slot_ends_at=NOW, now=NOW)
    assert not drive_rules.is_no_show(status="booked", slot_ends_at=NOW + timedelta(minutes=1), now=NOW)
    assert not drive_rules.is_no_show(status="checked_in", slot_ends_at=NOW, now=NOW)
