"""Screening and donation through the API (invariant 2 at the public interface)."""

from __future__ import annotations

import json

import pytest

from hemaops.donations.models import Donation, IssuedDin, Screening, ScreeningOverride
from hemaops.isbt128.din import Din
from tests.clock import earlier_today
from tests.conftest import PASSWORD
from tests.donations.test_collection import GOOD_VITALS

pytestmark = pytest.mark.django_db


def _post(client, path, payload):
    return client.post(f"/api/v1/donations{path}", data=json.dumps(payload), content_type="application/json")


def _screen(client, donor, **vitals):
    return _post(
        client,
        "/screenings",
        {
            "donor": donor.donor_number,
            "site": "main",
            "procedure": "whole_blood",
            "vitals": {**GOOD_VITALS, **vitals},
        },
    )


def _donation(screening_id, sequence):
    site = Screening.objects.get(pk=screening_id).site
    return {
        "screening": screening_id,
        "din": Din("W0001", "25", f"{sequence:06d}", "01").data_content,
        "started_at": earlier_today(site, minutes=10).isoformat(),
        "ended_at": earlier_today(site, minutes=1).isoformat(),
        "volume_ml": 480,
        "bag_lot": "LOT-9",
        "outcome": "complete",
    }


def test_screening_answers_the_decision_with_every_reason(client, staff, donor, site):
    client.force_login(staff["screener"])
    answer = _screen(client, donor, systolic_mm_hg=190, hemoglobin_g_dl=11.0)
    assert answer.status_code == 201
    body = answer.json()
    assert body["outcome"] == "INELIGIBLE_TEMPORARY"
    reasons = {reason["code"]: reason for reason in body["reasons"]}
    assert reasons["systolic_blood_pressure_out_of_range"]["overridable_by"] == "physician"
    assert reasons["hemoglobin_below_minimum"]["overridable"] is False
    assert body["collection_allowed"] is False
    assert body["come_back"].startswith("Not today")
    assert client.get(f"/api/v1/donations/screenings/{body['id']}").json()["id"] == body["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vitals": {**GOOD_VITALS, "pulse_bpm": 900}}, "vitals.pulse_bpm"),
        ({"procedure": "bone_marrow"}, "procedure"),
        ({"screened_at": "2099-01-01T10:00:00+00:00"}, "screened_at"),
    ],
)
def test_bad_screening_input_names_the_field(client, staff, donor, site, change, field):
    client.force_login(staff["screener"])
    payload = {"donor": donor.donor_number, "site": "main", "procedure": "whole_blood", "vitals": GOOD_VITALS}
    answer = _post(client, "/screenings", {**payload, **change})
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == field


def test_ineligible_donors_collection_is_refused_and_the_din_stays_unclaimed(
    client, staff, donor, received_stock
):
    client.force_login(staff["screener"])
    screening = _screen(client, donor, hemoglobin_g_dl=11.0).json()
    client.force_login(staff["phlebotomist"])
    answer = _post(client, "/donations", _donation(screening["id"], 150))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "donor_not_eligible"
    assert Donation.objects.count() == 0
    assert IssuedDin.objects.count() == 0


def test_eligible_donor_is_collected_and_a_severe_reaction_is_reportable(
    client, staff, donor, received_stock
):
    client.force_login(staff["screener"])
    screening = _screen(client, donor).json()
    client.force_login(staff["phlebotomist"])
    created = _post(client, "/donations", _donation(screening["id"], 151))
    assert created.status_code == 201
    donation_id = created.json()["id"]
    reaction = _post(
        client,
        f"/donations/{donation_id}/reactions",
        {"kind": "vasovagal", "severity": "severe", "care_given": "Recovered after 20 minutes supine"},
    )
    assert reaction.status_code == 201
    assert reaction.json()["reportable"] is True
    assert (
        client.get(f"/api/v1/donations/donations/{donation_id}").json()["reactions"][0]["severity"]
        == "severe"
    )
    again = _post(client, "/donations", _donation(screening["id"], 151))
    assert again.status_code == 409


def test_director_override_of_blood_pressure_then_collection(client, staff, donor, received_stock):
    client.force_login(staff["screener"])
    screening = _screen(client, donor, systolic_mm_hg=185).json()
    client.force_login(staff["director"])
    override = _post(
        client,
        f"/screenings/{screening['id']}/override",
        {
            "reason_code": "systolic_blood_pressure_out_of_range",
            "justification": "Rested, 176",
            "password": PASSWORD,
        },
    )
    assert override.status_code == 201
    assert override.json()["pending_signature"] is False
    client.force_login(staff["phlebotomist"])
    assert _post(client, "/donations", _donation(screening["id"], 152)).status_code == 201


def test_override_of_a_regulatory_minimum_is_refused_and_says_so(client, staff, donor, site):
    client.force_login(staff["screener"])
    screening = _screen(client, donor, hemoglobin_g_dl=11.0).json()
    client.force_login(staff["director"])
    answer = _post(
        client,
        f"/screenings/{screening['id']}/override",
        {"reason_code": "hemoglobin_below_minimum", "justification": "please", "password": PASSWORD},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "not_overridable"
    assert "never overridden" in answer.json()["error"]["message"]
    assert ScreeningOverride.objects.count() == 0


def test_telephone_override_is_pending_on_the_directors_list_until_signed(client, staff, donor, site):
    client.force_login(staff["screener"])
    screening = _screen(client, donor, pulse_bpm=105).json()
    phoned = _post(
        client,
        f"/screenings/{screening['id']}/telephone-override",
        {
            "reason_code": "pulse_out_of_range",
            "justification": "Dr approved by phone",
            "director": "medical_director",
        },
    )
    assert phoned.status_code == 201
    client.force_login(staff["director"])
    pending = client.get("/api/v1/donations/overrides/pending").json()
    assert [row["id"] for row in pending] == [phoned.json()["id"]]
    signed = _post(client, f"/overrides/{phoned.json()['id']}/sign", {"password": PASSWORD})
    assert signed.status_code == 201
    assert client.get("/api/v1/donations/overrides/pending").json() == []
