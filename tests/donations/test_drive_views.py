"""Collections pages: calendar, drive form, day board and its actions."""

from __future__ import annotations

import pytest

from hemaops.core import roles
from hemaops.donations.models import Appointment, Drive
from tests.donations.drive_factories import (
    bus_make,
    donor_make,
    drive_day,
    drive_make,
    mobile_program_make,
    slot_make,
)


@pytest.fixture
def drive(company):
    return drive_make(bus_make(company), mobile_program_make(company))


@pytest.mark.smoke
def test_the_day_board_shows_slots_bookings_and_the_goal(drive, make_user, login):
    slot = slot_make(drive, capacity=2)
    donor = donor_make("Ann")
    client = login(make_user(roles.RECRUITER))
    response = client.post(f"/donations/slots/{slot.pk}/book/", {"donor": donor.donor_number})
    assert response.status_code == 302
    page = client.get(f"/donations/drives/{drive.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert donor.donor_number in text
    assert "1 of 2 taken" in text
    assert "Valley High School" in client.get(f"/donations/drives/?month={drive.date:%Y-%m}").content.decode()


def test_the_drive_form_plans_a_drive_and_refuses_a_past_date_on_its_field(company, make_user, login):
    bus_make(company)
    mobile_program_make(company)
    client = login(make_user(roles.RECRUITER))
    form = {
        "host_organization": "Encino Rotary",
        "site": "bus-1",
        "place": "Town hall",
        "program": "ca-mobile",
        "date": "2020-01-01",
        "starts": "09:00",
        "ends": "14:00",
        "goal_whole_blood": "20",
    }
    refused = client.post("/donations/drives/new/", form)
    assert refused.status_code == 200
    assert "in the past" in str(refused.context["form"].errors["date"])
    assert not Drive.objects.exists()
    planned = client.post("/donations/drives/new/", form | {"date": drive_day().isoformat()})
    assert planned.status_code == 302
    drive = Drive.objects.get()
    assert {g.procedure: g.units for g in drive.goals.all()} == {"whole_blood": 20}


def test_a_screener_checks_a_donor_in_from_the_board(drive, make_user, login):
    slot = slot_make(drive)
    booked = Appointment.objects.create(
        donor=donor_make("Ann"), site=drive.site, drive=drive, slot=slot, booked_at=slot.created_at
    )
    client = login(make_user(roles.SCREENER))
    assert client.post(f"/donations/appointments/{booked.pk}/check-in/").status_code == 302
    booked.refresh_from_db()
    assert booked.status == "checked_in"
