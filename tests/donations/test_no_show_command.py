"""``hemaops appointments_sweep_no_shows``: marks booked appointments of ended slots once."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hemaops import cli
from hemaops.core.models import AuditEvent
from hemaops.donations import drive_services
from hemaops.donations.models import Appointment
from tests.donations.drive_factories import bus_make, donor_make, drive_make, mobile_program_make, slot_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(company):
    """A drive a month ahead; in its slot Ann is booked and Bea checked in."""
    slot = slot_make(drive_make(bus_make(company), mobile_program_make(company)), capacity=3)
    late = drive_services.appointment_book(actor=None, slot=slot, donor=donor_make("Ann"))
    came = drive_services.appointment_book(actor=None, slot=slot, donor=donor_make("Bea"))
    drive_services.appointment_check_in(actor=None, appointment=came)
    return slot, late, came


def _sweep(*args: str) -> str:
    out = StringIO()
    call_command("appointments_sweep_no_shows", *args, stdout=out)
    return out.getvalue().strip()


def test_the_sweep_marks_the_booked_donor_of_an_ended_slot_once(booked, time_machine):
    slot, late, came = booked
    assert _sweep() == "0 appointments marked as no-show"  # the slot has not ended yet
    time_machine.move_to(slot.ends_at + timedelta(minutes=5))
    assert _sweep() == "1 appointment marked as no-show"
    assert _sweep() == "0 appointments marked as no-show"  # safe to re-run
    late.refresh_from_db()
    came.refresh_from_db()
    assert (late.status, came.status) == (Appointment.Status.NO_SHOW, Appointment.Status.CHECKED_IN)
    event = AuditEvent.objects.get(action="donations.appointment.no_show")
    assert event.actor is None  # the operator's job


def test_now_may_name_a_past_moment_but_not_a_future_one(booked, time_machine):
    slot, _late, _ = booked
    time_machine.move_to(slot.ends_at + timedelta(days=1))
    assert _sweep("--now", (slot.ends_at - timedelta(minutes=1)).isoformat()) == (
        "0 appointments marked as no-show"
    )
    assert _sweep("--now", slot.ends_at.isoformat()) == "1 appointment marked as no-show"
    with pytest.raises(CommandError, match="future"):
        _sweep("--now", (slot.ends_at + timedelta(days=2)).isoformat())
    with pytest.raises(CommandError, match="offset"):
        _sweep("--now", "2025-03-01 18:00")


def test_the_hemaops_command_passes_it_to_django(booked, capsys):
    assert cli.main(["appointments_sweep_no_shows"]) == 0
    assert capsys.readouterr().out.strip() == "0 appointments marked as no-show"
