"""The donor registry API: search, one donor, registration with its 409 and field errors."""

from __future__ import annotations

import json
from datetime import date

import pytest

from hemaops.core import roles
from hemaops.core.models import AuditEvent
from hemaops.donors.models import Donor
from hemaops.donors.services import donor_register, donor_type_change
from tests.donors.registry_builders import details

pytestmark = pytest.mark.django_db

URL = "/api/v1/donors/donors"


def _payload(**overrides):
    body = {
        "family_name": "Okafor",
        "given_name": "Chidi",
        "date_of_birth": "1992-07-21",
        "sex": "M",
        "email": "chidi.okafor@example.org",
        "city": "Encino",
        "region": "CA",
        "postal_code": "91436",
        "address_confirmed_on": "2025-01-10",
        "donor_type": "paid",
        "program": "ca-fixed",
    }
    body.update(overrides)
    return body


def _post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def recruiter_client(login, make_user):
    return login(make_user(roles.RECRUITER))


@pytest.mark.smoke
def test_a_donor_is_registered_and_read_back_by_number(recruiter_client, program):
    response = _post(recruiter_client, _payload())

    assert response.status_code == 201
    body = response.json()
    assert body["donor_number"] == "D0000001"
    assert body["address"]["confirmed_on"] == "2025-01-10"
    assert [(p["donor_type"], p["program"], p["ended_on"]) for p in body["type_history"]] == [
        ("paid", "ca-fixed", None)
    ]
    assert (body["abo"], body["rhd"]) == (None, None)
    again = recruiter_client.get(f"{URL}/D0000001").json()
    assert again == body


def test_a_possible_duplicate_answers_409_with_the_candidates_until_confirmed(recruiter_client, program):
    _post(recruiter_client, _payload())

    refused = _post(recruiter_client, _payload(family_name="OKAFOR", given_name="Chidi E."))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "possible_duplicate"
    assert refused.json()["error"]["field"] == "not_a_duplicate"
    assert [c["donor_number"] for c in refused.json()["candidates"]] == ["D0000001"]
    assert Donor.objects.count() == 1

    confirmed = _post(recruiter_client, _payload(family_name="OKAFOR", not_a_duplicate=True))
    assert confirmed.status_code == 201
    assert confirmed.json()["donor_number"] == "D0000002"


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"date_of_birth": "2999-01-01"}, 400, "date_of_birth"),
        ({"date_of_birth": "1992-13-40"}, 422, "date_of_birth"),
        ({"sex": "U"}, 400, "sex"),
        ({"email": "chidi at example"}, 400, "email"),
        ({"program": "atlantis"}, 400, "program"),
        ({"donor_type": "mercenary"}, 400, "donor_type"),
        ({"family_name": ""}, 422, "family_name"),
        ({"address_confirmed_on": "2999-01-01"}, 400, "address_confirmed_on"),
    ],
)
def test_every_bad_field_is_named_and_nothing_is_saved(recruiter_client, program, overrides, status, field):
    response = _post(recruiter_client, _payload(**overrides))

    assert response.status_code == status
    assert response.json()["error"]["field"] == field
    assert response.json()["error"]["message"].startswith(f"{field}:")
    assert Donor.objects.count() == 0
    assert not AuditEvent.objects.filter(stream="donors").exists()


def test_search_finds_by_name_number_and_birth_date(login, make_user):
    recruiter = make_user(roles.RECRUITER)
    donor_register(actor=recruiter, details=details())
    donor_register(
        actor=recruiter,
        details=details(family_name="Nguyen", given_name="Thanh", sex="M", date_of_birth=date(1979, 11, 3)),
    )
    client = login(make_user(roles.MEDICAL_DIRECTOR))

    def numbers(q):
        return [row["donor_number"] for row in client.get(URL, {"q": q}).json()]

    assert numbers("nguyen") == ["D0000002"]
    assert numbers("alvarez, maría") == ["D0000001"]
    assert numbers("D0000001") == ["D0000001"]
    assert numbers("2") == ["D0000002"]
    assert numbers("1979-11-03") == ["D0000002"]
    assert numbers("") == ["D0000001", "D0000002"]


def test_the_type_history_is_in_the_donor(login, make_user):
    recruiter = make_user(roles.RECRUITER)
    donor = donor_register(actor=recruiter, details=details())
    # The period started today; start it earlier so that a change today is after it.
    donor.type_periods.update(started_on=date(2024, 1, 1))
    donor_type_change(actor=recruiter, donor=donor, donor_type="paid")

    body = login(recruiter).get(f"{URL}/{donor.donor_number}").json()

    assert (body["type_history"][0]["donor_type"], body["type_history"][0]["started_on"]) == (
        "volunteer",
        "2024-01-01",
    )
    assert body["donor_type"] == "paid"


@pytest.mark.parametrize("role", [roles.HOSPITAL_USER, roles.ACCOUNTANT, roles.CONTROLLER])
def test_hospital_and_finance_users_get_nothing(login, make_user, role):
    donor = donor_register(actor=None, details=details())
    client = login(make_user(role))

    assert client.get(f"{URL}/{donor.donor_number}").status_code == 404
    assert client.get(URL).status_code == 403
    assert _post(client, _payload()).status_code == 403
    assert Donor.objects.count() == 1


def test_an_unknown_donor_number_is_404(recruiter_client):
    assert recruiter_client.get(f"{URL}/D9999999").status_code == 404
