"""The laboratory's API: result files (refused with every error, imported once), results
typed by hand and verified by another person, the testing record, holds, the signed batch
release, the worklists and the deferred-donor list; errors name their field."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hemaops.api import api
from hemaops.core.models import Signature
from hemaops.core.services import api_token_create
from hemaops.lab import services
from hemaops.lab.models import DonationHold, DonationRelease, DonationTesting, TestResult
from tests.conftest import PASSWORD
from tests.lab.results import file_of, full_panel, line

pytestmark = pytest.mark.django_db

API = "/api/v1/lab"


def _post(client, path, payload=None, **headers):
    return client.post(
        f"{API}{path}", data=json.dumps(payload or {}), content_type="application/json", **headers
    )


def _upload(client, lines, name="run.csv"):
    data = file_of(lines)
    return client.post(
        f"{API}/results/import", {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    )


def _import(lab, lines, name="run.csv"):
    return services.results_import(actor=lab["technologist"], filename=name, data=file_of(lines))


def _status(donation) -> str:
    return DonationTesting.objects.get(donation=donation).status


def test_a_refused_file_answers_400_with_every_line_and_field(client, lab, donation):
    client.force_login(lab["technologist"])
    lines = [
        *full_panel(donation.din.din),
        line("W000199999999", "hbsag", "initial", "nonreactive"),
        line(donation.din.din, "zika_nat", "individual", "nonreactive"),
    ]
    answer = _upload(client, lines)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "file_refused"
    assert error["field"] == "file"
    assert error["message"].startswith("file: refused, 2 error(s)")
    assert [(e["line"], e["field"]) for e in error["errors"]] == [(17, "din"), (18, "marker")]
    assert error["errors"][0]["message"] == "no donation has DIN W000199999999"
    assert not TestResult.objects.exists()


def test_a_good_file_answers_201_and_once(client, lab, donation):
    client.force_login(lab["technologist"])
    lines = full_panel(donation.din.din)
    first = _upload(client, lines)
    assert first.status_code == 201
    body = first.json()
    assert (body["rows"], body["imported_by"], body["imported_before"]) == (15, "lab_technologist", False)
    assert _status(donation) == "acceptable"
    again = _upload(client, lines, name="again.csv")
    assert again.status_code == 201
    assert again.json()["id"] == body["id"]
    assert again.json()["imported_before"] is True
    assert TestResult.objects.count() == 15
    queue = client.get(f"{API}/worklists/release-queue").json()
    assert [row["din"] for row in queue] == [donation.din.din]


def test_an_upload_without_a_file_names_the_field(client, lab):
    client.force_login(lab["technologist"])
    answer = client.post(f"{API}/results/import", {})
    assert answer.status_code == 400
    assert (answer.json()["error"]["code"], answer.json()["error"]["field"]) == ("required", "file")


def test_a_result_is_entered_then_verified_by_another(client, lab, donation):
    _import(lab, full_panel(donation.din.din, skip=frozenset({"wnv_nat"})))
    client.force_login(lab["technologist"])
    payload = {"din": donation.din.din, "marker": "wnv_nat", "stage": "individual", "reading": "nonreactive"}
    entered = _post(client, "/results", payload)
    assert entered.status_code == 201
    result = entered.json()
    assert (result["entered_by"], result["final"]) == ("lab_technologist", False)
    own = _post(client, f"/results/{result['id']}/verify")
    assert own.status_code == 400
    assert own.json()["error"]["code"] == "same_person"
    assert own.json()["error"]["field"] == "result"

    client.force_login(lab["second_technologist"])
    verified = _post(client, f"/results/{result['id']}/verify")
    assert verified.status_code == 201
    assert (verified.json()["verified_by"], verified.json()["final"]) == ("tech2", True)
    assert _status(donation) == "acceptable"
    detail = client.get(f"{API}/donations/{donation.din.din}").json()
    assert detail["testing"]["status"] == "acceptable"
    by_hand = [r for r in detail["results"] if r["marker"] == "wnv_nat"]
    assert (by_hand[0]["entered_by"], by_hand[0]["verified_by"]) == ("lab_technologist", "tech2")


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"din": "W0001 25"}, 400, "din"),
        ({"din": "W000199999999"}, 404, "din"),
        ({"marker": "zika_nat"}, 400, "marker"),
        ({"stage": "bogus"}, 400, "stage"),
        ({"reading": "bogus"}, 400, "reading"),
    ],
)
def test_a_bad_manual_entry_names_its_field(client, lab, donation, change, status, field):
    client.force_login(lab["technologist"])
    payload = {"din": donation.din.din, "marker": "wnv_nat", "stage": "individual", "reading": "nonreactive"}
    answer = _post(client, "/results", {**payload, **change})
    assert answer.status_code == status
    assert answer.json()["error"]["field"] == field
    assert not TestResult.objects.exists()


def test_a_hold_is_placed_and_lifted(client, lab, donation):
    _import(lab, full_panel(donation.din.din))
    client.force_login(lab["quality"])
    empty = _post(client, f"/donations/{donation.din.din}/holds", {"reason": " "})
    assert empty.status_code == 400
    assert empty.json()["error"]["field"] == "reason"
    placed = _post(client, f"/donations/{donation.din.din}/holds", {"reason": "lookback"})
    assert placed.status_code == 201
    assert placed.json()["active"] is True
    assert _status(donation) == "on_hold"
    assert client.get(f"{API}/worklists/release-queue").json() == []
    lifted = _post(client, f"/holds/{placed.json()['id']}/lift", {"reason": "closed"})
    assert lifted.status_code == 201
    assert lifted.json()["lifted_by"] == "quality_officer"
    again = _post(client, f"/holds/{placed.json()['id']}/lift", {"reason": "closed"})
    assert again.status_code == 400
    assert again.json()["error"]["field"] == "hold"
    assert _status(donation) == "acceptable"


def test_the_supervisor_releases_a_batch_with_a_signature(client, lab, donation, another_donation):
    _import(lab, [*full_panel(donation.din.din), *full_panel(another_donation.din.din)])
    client.force_login(lab["supervisor"])
    dins = [donation.din.din, another_donation.din.din]
    answer = _post(client, "/releases", {"dins": dins, "password": PASSWORD})
    assert answer.status_code == 201
    body = answer.json()
    assert (body["meaning"], body["dins"]) == ("released", dins)
    assert DonationRelease.objects.filter(signature=body["signature"]).count() == 2
    detail = client.get(f"{API}/donations/{donation.din.din}").json()
    assert detail["release"]["signature"] == body["signature"]


def test_a_wrong_password_releases_nothing_and_names_the_field(client, lab, donation):
    _import(lab, full_panel(donation.din.din))
    client.force_login(lab["supervisor"])
    answer = _post(client, "/releases", {"dins": [donation.din.din], "password": "wrong"})
    assert answer.status_code == 403
    assert answer.json()["error"]["field"] == "password"
    assert not DonationRelease.objects.exists()
    assert not Signature.objects.exists()


def test_a_release_names_the_dins_at_fault(client, lab, donation, another_donation):
    _import(lab, full_panel(donation.din.din))
    client.force_login(lab["supervisor"])
    unknown = _post(client, "/releases", {"dins": ["W000199999999"], "password": PASSWORD})
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (400, "dins")
    pending = _post(
        client, "/releases", {"dins": [donation.din.din, another_donation.din.din], "password": PASSWORD}
    )
    assert pending.status_code == 400
    assert pending.json()["error"]["code"] == "not_releasable"
    assert pending.json()["error"]["field"] == "donations"
    assert another_donation.din.din in pending.json()["error"]["message"]
    assert not DonationRelease.objects.exists()


def test_a_technologist_cannot_release(client, lab, donation):
    _import(lab, full_panel(donation.din.din))
    client.force_login(lab["technologist"])
    answer = _post(client, "/releases", {"dins": [donation.din.din], "password": PASSWORD})
    assert answer.status_code == 403
    assert not DonationRelease.objects.exists()


def test_an_api_token_cannot_sign_a_release(client, lab, donation):
    _import(lab, full_panel(donation.din.din))
    _token, raw = api_token_create(actor=None, user=lab["supervisor"], name="lis")
    answer = _post(
        client,
        "/releases",
        {"dins": [donation.din.din], "password": PASSWORD},
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "signature_needs_interactive_login"
    assert not DonationRelease.objects.exists()


def test_notifications_and_the_deferred_donor_list(client, lab, donation):
    din = donation.din.din
    _import(
        lab, [*full_panel(din, skip=frozenset({"hiv_nat"})), line(din, "hiv_nat", "individual", "reactive")]
    )
    client.force_login(lab["supervisor"])
    due = client.get(f"{API}/worklists/notifications").json()
    assert [(row["din"], row["marker"], row["overdue"]) for row in due] == [(din, "hiv_nat", False)]
    deferred = client.get(f"{API}/deferred-donors").json()
    assert [(row["donor"], row["din"]) for row in deferred] == [(donation.donor.donor_number, din)]
    client.force_login(lab["technologist"])
    assert client.get(f"{API}/worklists/notifications").status_code == 403


def test_an_unknown_din_is_not_found(client, lab, panel):
    client.force_login(lab["technologist"])
    answer = client.get(f"{API}/donations/W000199999999")
    assert answer.status_code == 404
    assert answer.json()["error"]["field"] == "din"
    assert not DonationHold.objects.exists()


def test_the_openapi_document_takes_the_file_as_multipart():
    operation = api.get_openapi_schema()["paths"]["/api/v1/lab/results/import"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]


def test_the_quality_officer_holds_a_reactive_donation(client, lab, donation):
    din = donation.din.din
    _import(
        lab, [*full_panel(din, skip=frozenset({"hiv_nat"})), line(din, "hiv_nat", "individual", "reactive")]
    )
    client.force_login(lab["quality"])
    answer = _post(client, f"/donations/{din}/holds", {"reason": "lookback"})
    assert answer.status_code == 201
