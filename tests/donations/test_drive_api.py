"""Collections through the API: plan a drive, add a slot, book, check in, walk in, results;
bad input names the field."""

from __future__ import annotations

import json

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
def bus(company):
    return bus_make(company)


@pytest.fixture
def mobile_program(company):
    return mobile_program_make(company)


def _post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def _drive_body(**overrides):
    body = {
        "host_organization": "Valley High School",
        "site": "bus-1",
        "place": "1 School Rd, Encino",
        "program": "ca-mobile",
        "date": drive_day().isoformat(),
        "starts": "09:00",
        "ends": "15:00",
        "goals": [{"procedure": "whole_blood", "units": 25}],
    }
    return body | overrides


def test_a_recruiter_plans_a_drive_a_screener_checks_in_and_results_show_it(
    bus, mobile_program, make_user, login
):
    donor = donor_make("Ann")
    client = login(make_user(roles.RECRUITER))
    created = _post(client, "/api/v1/donations/drives", _drive_body())
    assert created.status_code == 201, created.json()
    drive_id = created.json()["id"]
    assert created.json()["goals"] == [{"procedure": "whole_blood", "units": 25}]
    slot = _post(
        client,
        f"/api/v1/donations/drives/{drive_id}/slots",
        {"starts": "09:00", "ends": "09:30", "capacity": 1},
    )
    assert slot.status_code == 201
    booked = _post(
        client, f"/api/v1/donations/slots/{slot.json()['id']}/appointments", {"donor": donor.donor_number}
    )
    assert booked.status_code == 201
    assert booked.json()["status"] == "booked"
    full = _post(
        client,
        f"/api/v1/donations/slots/{slot.json()['id']}/appointments",
        {"donor": donor_make("Bea").donor_number},
    )
    assert full.status_code == 409
    assert full.json()["error"]["code"] == "slot_full"
    client = login(make_user(roles.SCREENER))
    checked = _post(client, f"/api/v1/donations/appointments/{booked.json()['id']}/check-in", {})
    assert (checked.status_code, checked.json()["status"]) == (201, "checked_in")
    walk_in = _post(
        client, f"/api/v1/donations/drives/{drive_id}/walk-ins", {"donor": donor_make("Cy").donor_number}
    )
    assert walk_in.status_code == 201
    assert walk_in.json()["walk_in"] is True
    results = client.get(f"/api/v1/donations/drives/{drive_id}/results").json()
    assert (results["capacity"], results["booked"], results["checked_in"], results["walk_ins"]) == (
        1,
        0,
        2,
        1,
    )
    assert results["goals"] == [
        {"procedure": "whole_blood", "goal_units": 25, "collected_units": 0, "percent_of_goal": 0}
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"date": "2020-01-01"}, "date"),
        ({"starts": "15:00", "ends": "09:00"}, "ends"),
        ({"goals": [{"procedure": "blood_pudding", "units": 1}]}, "goals"),
        ({"site": "nowhere"}, "site"),
    ],
)
def test_bad_drive_input_is_refused_naming_the_field(bus, mobile_program, make_user, login, overrides, field):
    client = login(make_user(roles.RECRUITER))
    response = _post(client, "/api/v1/donations/drives", _drive_body(**overrides))
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert not Drive.objects.exists()


def test_a_slot_with_capacity_below_one_is_refused_naming_capacity(bus, mobile_program, make_user, login):
    drive = drive_make(bus, mobile_program)
    client = login(make_user(roles.RECRUITER))
    response = _post(
        client,
        f"/api/v1/donations/drives/{drive.pk}/slots",
        {"starts": "09:00", "ends": "09:30", "capacity": 0},
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "capacity"


def test_a_program_manager_views_but_may_not_book(bus, mobile_program, make_user, login):
    drive = drive_make(bus, mobile_program)
    slot = slot_make(drive)
    client = login(make_user(roles.PROGRAM_MANAGER))
    month = drive.date.strftime("%Y-%m")
    assert [d["id"] for d in client.get(f"/api/v1/donations/drives?month={month}").json()] == [drive.pk]
    refused = _post(
        client, f"/api/v1/donations/slots/{slot.pk}/appointments", {"donor": donor_make("Ann").donor_number}
    )
    assert refused.status_code == 403
    assert not Appointment.objects.exists()
