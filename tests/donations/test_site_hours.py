"""Fixed-site opening hours and closures: the page, its forms and the API."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest

from hemaops.core import roles
from hemaops.core.models import AuditEvent
from hemaops.donations import drive_services, oversight_nav
from hemaops.donations.models import SiteClosure, SiteOpeningHours
from tests.donations.drive_factories import bus_make

pytestmark = pytest.mark.django_db

PAGE = "/donations/sites/hours/"


@pytest.fixture(autouse=True)
def _registered():
    oversight_nav.register()


@pytest.fixture
def recruiter(make_user):
    return make_user(roles.RECRUITER)


def _hours(site):
    return list(SiteOpeningHours.objects.filter(site=site).values_list("weekday", "opens", "closes"))


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_each_sites_week_and_only_upcoming_closures(client, recruiter, site, company):
    bus_make(company)
    drive_services.site_opening_hours_set(
        actor=None, site=site, weekday=0, opens=time(8), closes=time(16, 30)
    )
    today = drive_services.site_today(site)
    drive_services.site_closure_add(actor=None, site=site, day=today + timedelta(days=3), reason="Holiday")
    drive_services.site_closure_add(actor=None, site=site, day=today - timedelta(days=3), reason="Past")
    client.force_login(recruiter)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Main Donor Center" in html
    assert "Bloodmobile 1" in html
    assert "08:00–16:30" in html
    assert "Holiday" in html
    assert "Past" not in html
    main = next(item["entry"] for item in page.context["sites"] if item["entry"].site == site)
    assert [len(day.hours) for day in main.days] == [1, 0, 0, 0, 0, 0, 0]
    assert 'action="/donations/sites/main/hours/"' in html
    assert 'action="/donations/sites/bus-1/hours/"' not in html  # a bus keeps no hours


def test_a_recruiter_sets_a_weekdays_hours_on_the_page(client, recruiter, site):
    client.force_login(recruiter)
    answer = client.post(
        "/donations/sites/main/hours/", {"weekday": "2", "opens": "09:00", "closes": "17:00"}
    )
    assert answer.status_code == 302
    assert answer["Location"] == PAGE
    assert _hours(site) == [(2, time(9), time(17))]
    again = client.post("/donations/sites/main/hours/", {"weekday": "2", "opens": "10:00", "closes": "18:00"})
    assert again.status_code == 302
    assert _hours(site) == [(2, time(10), time(18))]  # the day's hours are replaced
    assert AuditEvent.objects.filter(action="donations.opening_hours.set").count() == 2


def test_closing_before_opening_is_shown_on_the_closes_field(client, recruiter, site):
    client.force_login(recruiter)
    answer = client.post(
        "/donations/sites/main/hours/", {"weekday": "2", "opens": "17:00", "closes": "09:00"}
    )
    assert answer.status_code == 200
    form = next(item["hours_form"] for item in answer.context["sites"] if item["entry"].site == site)
    assert "closes" in form.errors
    assert _hours(site) == []


def test_a_missing_weekday_is_shown_on_its_field(client, recruiter, site):
    client.force_login(recruiter)
    answer = client.post("/donations/sites/main/hours/", {"opens": "09:00", "closes": "17:00"})
    assert answer.status_code == 200
    assert "weekday" in answer.context["sites"][0]["hours_form"].errors
    assert _hours(site) == []


def test_a_recruiter_adds_a_closure_and_a_second_one_that_day_is_refused_on_the_date(client, recruiter, site):
    client.force_login(recruiter)
    day = (drive_services.site_today(site) + timedelta(days=10)).isoformat()
    answer = client.post("/donations/sites/main/closures/", {"date": day, "reason": "Inventory"})
    assert answer.status_code == 302
    assert list(SiteClosure.objects.values_list("reason", flat=True)) == ["Inventory"]
    again = client.post("/donations/sites/main/closures/", {"date": day, "reason": "Again"})
    assert again.status_code == 200
    assert "date" in again.context["sites"][0]["closure_form"].errors
    assert "Inventory" in client.get(PAGE).content.decode()
    assert SiteClosure.objects.count() == 1


def test_a_blank_reason_is_refused_on_the_reason_field(client, recruiter, site):
    client.force_login(recruiter)
    answer = client.post("/donations/sites/main/closures/", {"date": "2030-01-07", "reason": " "})
    assert answer.status_code == 200
    assert "reason" in answer.context["sites"][0]["closure_form"].errors
    assert SiteClosure.objects.count() == 0


def test_a_mobile_unit_takes_no_hours(client, recruiter, company):
    bus_make(company)
    client.force_login(recruiter)
    answer = client.post(
        "/donations/sites/bus-1/hours/", {"weekday": "1", "opens": "09:00", "closes": "17:00"}
    )
    assert answer.status_code == 200
    assert "not an active collection site" in answer.content.decode()
    assert SiteOpeningHours.objects.count() == 0


def test_an_unknown_site_is_404(client, recruiter, site):
    client.force_login(recruiter)
    answer = client.post(
        "/donations/sites/nowhere/hours/", {"weekday": "1", "opens": "09:00", "closes": "17:00"}
    )
    assert answer.status_code == 404


@pytest.mark.parametrize("role", [roles.SCREENER, roles.PROGRAM_MANAGER])
def test_drive_viewers_see_the_hours_but_change_nothing(client, make_user, site, role):
    client.force_login(make_user(role))
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Set hours" not in page.content.decode()
    denied = client.post(
        "/donations/sites/main/hours/", {"weekday": "1", "opens": "09:00", "closes": "17:00"}
    )
    assert denied.status_code == 403
    closure = client.post("/donations/sites/main/closures/", {"date": "2030-01-07", "reason": "x"})
    assert closure.status_code == 403
    assert (SiteOpeningHours.objects.count(), SiteClosure.objects.count()) == (0, 0)


def test_others_may_not_see_the_page(client, make_user, site):
    client.force_login(make_user(roles.QUALITY_OFFICER))
    assert client.get(PAGE).status_code == 403


def test_the_recruiter_has_site_hours_and_drives_in_the_navigation(client, recruiter, site):
    client.force_login(recruiter)
    home = client.get("/").content.decode()
    assert f'href="{PAGE}"' in home
    assert 'href="/donations/drives/"' in home


# --- the API -------------------------------------------------------------------------------


def _post(client, path, payload):
    return client.post(f"/api/v1/donations{path}", data=json.dumps(payload), content_type="application/json")


def test_the_api_sets_hours_adds_closures_and_reads_them_back(client, recruiter, site):
    client.force_login(recruiter)
    set_hours = _post(client, "/sites/main/hours", {"weekday": 4, "opens": "07:30", "closes": "15:00"})
    assert set_hours.status_code == 201
    assert set_hours.json()["hours"] == [
        {"weekday": 4, "day": "Friday", "opens": "07:30:00", "closes": "15:00:00"}
    ]
    day = (drive_services.site_today(site) + timedelta(days=5)).isoformat()
    closed = _post(client, "/sites/main/closures", {"date": day, "reason": "Staff training"})
    assert closed.status_code == 201
    assert closed.json() == {"site": "main", "date": day, "reason": "Staff training"}
    read = client.get("/api/v1/donations/sites/main/hours")
    assert read.status_code == 200
    body = read.json()
    assert (body["site"], body["time_zone"], body["fixed"]) == ("main", "America/Los_Angeles", True)
    assert [h["weekday"] for h in body["hours"]] == [4]
    assert body["closures"] == [{"site": "main", "date": day, "reason": "Staff training"}]


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"weekday": 7, "opens": "08:00", "closes": "16:00"}, "weekday", "invalid_weekday"),
        ({"weekday": 1, "opens": "16:00", "closes": "08:00"}, "closes", "ends_before_start"),
        ({"weekday": 1, "opens": "8 o'clock", "closes": "16:00"}, "opens", "invalid"),
    ],
)
def test_the_api_names_the_field_of_bad_hours(client, recruiter, site, payload, field, code):
    client.force_login(recruiter)
    answer = _post(client, "/sites/main/hours", payload)
    assert answer.status_code in {400, 422}
    assert (answer.json()["error"]["field"], answer.json()["error"]["code"]) == (field, code)
    assert _hours(site) == []


def test_the_api_refuses_a_second_closure_that_day_as_a_conflict(client, recruiter, site):
    client.force_login(recruiter)
    assert _post(client, "/sites/main/closures", {"date": "2030-01-07", "reason": "A"}).status_code == 201
    again = _post(client, "/sites/main/closures", {"date": "2030-01-07", "reason": "B"})
    assert again.status_code == 409
    assert again.json()["error"]["field"] == "date"
    assert SiteClosure.objects.count() == 1


def test_the_api_answers_404_for_an_unknown_site(client, recruiter, site):
    client.force_login(recruiter)
    answer = client.get("/api/v1/donations/sites/nowhere/hours")
    assert answer.status_code == 404
    assert answer.json()["error"]["field"] == "site_code"


def test_the_api_lets_drive_viewers_read_but_not_change(client, make_user, site):
    client.force_login(make_user(roles.PROGRAM_MANAGER))
    assert client.get("/api/v1/donations/sites/main/hours").status_code == 200
    denied = _post(client, "/sites/main/hours", {"weekday": 1, "opens": "08:00", "closes": "16:00"})
    assert denied.status_code == 403
    assert _hours(site) == []
