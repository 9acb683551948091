from __future__ import annotations

import pytest
from django.db import DatabaseError

from hemaops.core import roles
from hemaops.core.models import AuditEvent, Site

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_an_administrator_adds_a_site_through_the_page_and_it_is_audited(login, make_user, company):
    client = login(make_user(roles.ADMINISTRATOR))
    response = client.post(
        "/core/sites/new/",
        {
            "code": "oaks",
            "name": "Sherman Oaks",
            "kind": "fixed_collection",
            "time_zone": "America/Los_Angeles",
            "facility_identification_number": "W1234",
            "country": "US",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    site = Site.objects.get(code="oaks")
    assert site.company == company
    event = AuditEvent.objects.get(action="core.site.created")
    assert event.target_id == str(site.pk)
    assert event.data["new"]["facility_identification_number"] == "W1234"
    assert b"Sherman Oaks" in client.get("/core/sites/").content


def test_a_bad_fin_is_shown_on_its_field_and_what_was_typed_is_kept(login, make_user, company):
    client = login(make_user(roles.ADMINISTRATOR))
    response = client.post(
        "/core/sites/new/",
        {
            "code": "oaks",
            "name": "Sherman Oaks",
            "kind": "fixed_collection",
            "time_zone": "America/Los_Angeles",
            "facility_identification_number": "O0000",
            "country": "US",
        },
    )
    assert response.status_code == 200
    assert (
        "Facility Identification Number"
        in response.context["form"].errors["facility_identification_number"][0]
    )
    assert b'value="Sherman Oaks"' in response.content
    assert not Site.objects.filter(code="oaks").exists()


def test_a_change_records_old_and_new_values_and_the_reason(login, make_user, site):
    client = login(make_user(roles.ADMINISTRATOR))
    response = client.post(
        f"/core/sites/{site.pk}/edit/",
        {
            "code": site.code,
            "name": "Renamed center",
            "kind": site.kind,
            "time_zone": site.time_zone,
            "facility_identification_number": site.facility_identification_number,
            "collections_program": site.collections_program_id,
            "country": "US",
            "is_active": "on",
            "reason": "new signage",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="core.site.changed")
    assert event.data["old"] == {"name": "Main Donor Center"}
    assert event.data["new"] == {"name": "Renamed center"}
    assert event.reason == "new signage"


def test_a_blood_management_program_needs_its_client_hospital(login, make_user, company):
    client = login(make_user(roles.ADMINISTRATOR))
    response = client.post(
        "/core/programs/new/",
        {
            "code": "bm",
            "name": "BM",
            "segment": "blood_products",
            "kind": "blood_management",
            "active_from": "2025-01-01",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not AuditEvent.objects.filter(action="core.program.created").exists()


def test_a_hospital_user_sees_its_own_hospital_and_not_another(login, make_user, hospital, other_hospital):
    client = login(make_user(roles.HOSPITAL_USER))
    assert b"Cedars Valley" in client.get(f"/core/hospitals/{hospital.pk}/").content
    assert client.get(f"/core/hospitals/{other_hospital.pk}/").status_code == 404
    assert client.get("/core/hospitals/999999/").status_code == 404


def test_home_dashboards_show_registered_panels_or_an_honest_empty_state(login, make_user, site):
    administrator_home = login(make_user(roles.ADMINISTRATOR)).get("/").content.decode()
    assert "Company reference data" in administrator_home
    assert "Latest audit events" in administrator_home
    recruiter_home = login(make_user(roles.RECRUITER)).get("/").content.decode()
    assert "Nothing to show yet" in recruiter_home


def test_healthz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["state"] == "unreachable"
