"""The API's authentication, error shape and reference data."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from hemaops.core import roles
from hemaops.core.models import ApiToken, AuditEvent, Hospital
from hemaops.core.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


def _error(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field"}
    return body["error"]


@pytest.mark.smoke
def test_programs_list_code_name_segment_and_kind(login, make_user, program):
    response = login(make_user(roles.EXECUTIVE)).get("/api/v1/core/programs")
    assert response.status_code == 200
    first = response.json()[0]
    assert {key: first[key] for key in ("code", "name", "segment", "kind")} == {
        "code": "ca-fixed",
        "name": "California fixed",
        "segment": "blood_products",
        "kind": "fixed_collections",
    }


def test_sites_and_hospitals_are_listed_for_staff(login, make_user, site, hospital):
    client = login(make_user(roles.DISTRIBUTION_CLERK))
    assert [row["code"] for row in client.get("/api/v1/core/sites").json()] == ["main"]
    assert [row["code"] for row in client.get("/api/v1/core/hospitals").json()] == ["cedars"]


def test_anonymous_gets_401_in_the_error_shape(client):
    response = client.get("/api/v1/core/sites")
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"


def test_a_hospital_user_gets_403_on_staff_reference_data(login, make_user):
    response = login(make_user(roles.HOSPITAL_USER)).get("/api/v1/core/sites")
    assert response.status_code == 403
    assert _error(response)["code"] == "permission_denied"


def test_unknown_api_route_answers_404_in_the_error_shape(login, make_user):
    response = login(make_user(roles.EXECUTIVE)).get("/api/v1/core/nothing-here")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_bearer_token_acts_with_its_users_role(client, make_user, site):
    _token, raw = api_token_create(actor=None, user=make_user(roles.LAB_TECHNOLOGIST), name="lis")
    response = client.get("/api/v1/core/sites", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_or_wrong_token_is_refused(client, make_user):
    token, raw = api_token_create(actor=None, user=make_user(roles.LAB_TECHNOLOGIST), name="lis")
    assert client.get("/api/v1/core/sites", HTTP_AUTHORIZATION="Bearer hop_wrong").status_code == 401
    api_token_revoke(actor=None, token=token)
    assert client.get("/api/v1/core/sites", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_only_a_digest_of_the_token_is_stored(make_user):
    token, raw = api_token_create(actor=None, user=make_user(roles.LAB_TECHNOLOGIST), name="lis")
    assert raw not in {token.digest, token.prefix}
    assert raw.startswith(token.prefix)


def test_token_command_prints_a_working_token(client, make_user, capsys):
    make_user(roles.EXECUTIVE)
    call_command("token", "create", "executive", "--name", "board pack")
    raw = capsys.readouterr().out.strip()
    assert client.get("/api/v1/core/programs", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_malformed_json_is_a_400_that_changes_nothing(login, make_user, company):
    client = login(make_user(roles.ADMINISTRATOR))
    before = AuditEvent.objects.count()
    response = client.post("/api/v1/core/hospitals", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_json"
    assert AuditEvent.objects.count() == before
    assert Hospital.objects.count() == 1  # the signed-in user's fixture hospital only


def test_a_missing_field_is_a_422_naming_the_field(login, make_user, company):
    client = login(make_user(roles.ADMINISTRATOR))
    response = client.post(
        "/api/v1/core/hospitals",
        data=json.dumps({"code": "x", "time_zone": "UTC"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert _error(response)["field"] == "name"


def test_a_bad_time_zone_is_refused_naming_the_field(login, make_user, company):
    client = login(make_user(roles.ADMINISTRATOR))
    response = client.post(
        "/api/v1/core/hospitals",
        data=json.dumps({"code": "x", "name": "X", "time_zone": "Mars/Olympus"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["field"] == "time_zone"
    assert "IANA time zone" in error["message"]
    assert not Hospital.objects.filter(code="x").exists()


def test_a_duplicate_code_is_refused(login, make_user, hospital):
    client = login(make_user(roles.ADMINISTRATOR))
    response = client.post(
        "/api/v1/core/hospitals",
        data=json.dumps({"code": "cedars", "name": "Again", "time_zone": "UTC"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert _error(response)["field"] == "code"
    assert Hospital.objects.count() == 1


def test_an_administrator_adds_a_hospital_and_it_is_audited(login, make_user, company):
    client = login(make_user(roles.ADMINISTRATOR))
    response = client.post(
        "/api/v1/core/hospitals",
        data=json.dumps({"code": "st-mary", "name": "St Mary", "time_zone": "America/Chicago"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["code"] == "st-mary"
    event = AuditEvent.objects.get(
        action="core.hospital.created", target_id=str(Hospital.objects.get(code="st-mary").pk)
    )
    assert event.data["new"]["name"] == "St Mary"


def test_openapi_document_lists_the_core_routes(client):
    document = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/core/sites", "/api/v1/core/programs", "/api/v1/core/hospitals"} <= set(document["paths"])


def test_the_docs_page_uses_shipped_assets_not_a_cdn(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
