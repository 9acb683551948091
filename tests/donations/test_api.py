"""The DIN label stock API, through the public interface."""

from __future__ import annotations

import json

import pytest

from hemaops.core import roles
from hemaops.donations.models import DinLabelStock, IssuedDin
from hemaops.isbt128.din import Din

pytestmark = pytest.mark.django_db


def _post(client, path, payload):
    return client.post(f"/api/v1/donations{path}", data=json.dumps(payload), content_type="application/json")


def test_received_stock_is_registered_and_listed(site, make_user, login):
    client = login(make_user(roles.ADMINISTRATOR))
    payload = {
        "site": "main",
        "year": "25",
        "first_sequence": 1,
        "last_sequence": 250,
        "received_on": "2025-03-01",
    }
    created = _post(client, "/din-stock", {**payload, "lot": "L-7"})
    assert created.status_code == 201
    assert created.json()["first_din"] == "W000125000001"
    assert created.json()["last_din"] == "W000125000250"
    listed = client.get("/api/v1/donations/din-stock")
    assert listed.status_code == 200
    assert [(row["facility"], row["lot"], row["used"]) for row in listed.json()] == [("W0001", "L-7", 0)]


def test_an_overlapping_receipt_answers_409_naming_the_field(site, received_stock, make_user, login):
    client = login(make_user(roles.COMPONENT_TECHNOLOGIST))
    answer = _post(
        client, "/din-stock", {"site": "main", "year": "25", "first_sequence": 150, "last_sequence": 300}
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "range_overlaps"
    assert answer.json()["error"]["field"] == "first_sequence"
    assert DinLabelStock.objects.count() == 1


def test_a_missing_or_malformed_field_answers_400_naming_it(site, make_user, login):
    client = login(make_user(roles.ADMINISTRATOR))
    answer = _post(client, "/din-stock", {"site": "main", "year": "25", "first_sequence": "one"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid"
    assert answer.json()["error"]["field"] == "first_sequence"
    unknown = _post(
        client, "/din-stock", {"site": "nowhere", "year": "25", "first_sequence": 1, "last_sequence": 2}
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"] == {
        "code": "unknown_site",
        "message": "site: no active site 'nowhere' with a FIN",
        "field": "site",
    }


def test_a_scan_returns_the_din_parts(site, received_stock, make_user, login):
    client = login(make_user(roles.PHLEBOTOMIST))
    answer = _post(client, "/dins/scan", {"site": "main", "din": "=W00012500012301"})
    assert answer.status_code == 201
    body = answer.json()
    assert (body["din"], body["facility"], body["year"], body["sequence"], body["flags"]) == (
        "W000125000123",
        "W0001",
        "25",
        "000123",
        "01",
    )
    assert body["check_character"] == Din("W0001", "25", "000123").check_character
    assert body["flag_meaning"] == "container 1 of a set"
    assert body["source"] == "scanned"


def test_a_second_scan_of_the_same_din_answers_409(site, received_stock, make_user, login):
    client = login(make_user(roles.PHLEBOTOMIST))
    assert _post(client, "/dins/scan", {"site": "main", "din": "=W00012500012301"}).status_code == 201
    again = _post(client, "/dins/scan", {"site": "main", "din": "=W00012500012302"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "din_used"
    assert again.json()["error"]["field"] == "din"
    assert IssuedDin.objects.count() == 1


def test_a_wrong_check_character_answers_400_naming_the_check_character(
    site, received_stock, make_user, login
):
    din = Din("W0001", "25", "000123")
    wrong = "0" if din.check_character != "0" else "1"
    client = login(make_user(roles.PHLEBOTOMIST))
    answer = _post(client, "/dins/scan", {"site": "main", "din": f"{din.eye_readable} {wrong}"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "check_character_mismatch"
    assert answer.json()["error"]["field"] == "check_character"
    assert not IssuedDin.objects.exists()


def test_generation_returns_the_next_din_with_type_3_flags(site, make_user, login):
    client = login(make_user(roles.COMPONENT_TECHNOLOGIST))
    answer = _post(client, "/dins/generate", {"site": "main", "year": "26"})
    assert answer.status_code == 201
    expected = Din("W0001", "26", "000001").with_check_flags()
    assert answer.json()["data_content"] == expected.data_content
    assert answer.json()["keyboard_entry"] == expected.keyboard_entry
    assert answer.json()["source"] == "generated"


def test_a_quality_officer_lists_stock_but_cannot_scan(site, received_stock, make_user, login):
    client = login(make_user(roles.QUALITY_OFFICER))
    assert client.get("/api/v1/donations/din-stock").status_code == 200
    assert _post(client, "/dins/scan", {"site": "main", "din": "=W00012500012301"}).status_code == 403
    assert not IssuedDin.objects.exists()
