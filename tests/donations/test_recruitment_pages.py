"""The recruitment list page and its CSV download."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hemaops.core import roles
from hemaops.core.models import AuditEvent
from hemaops.core.registry import registry
from hemaops.donations import recruitment_nav
from hemaops.donations.recruitment import CSV_HEADER
from tests.donations.drive_factories import drive_make, mobile_program_make
from tests.donations.recruitment_factories import (
    LOS_ANGELES,
    SAN_DIEGO,
    SHERMAN_OAKS,
    donor_make,
    gave,
    site_with_zip,
)

PAGE = reverse("donations:recruitment_list")
CSV = reverse("donations:recruitment_csv")


@pytest.fixture
def recruiter(make_user, login):
    return login(make_user(roles.RECRUITER))


@pytest.fixture
def today():
    return timezone.now().astimezone(LOS_ANGELES).date()


def _csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_urls_are_where_the_routes_say():
    assert PAGE == "/donations/recruitment/"
    assert CSV == "/donations/recruitment.csv"


@pytest.mark.django_db
def test_the_page_renders_the_form_for_a_recruiter_before_any_filter(recruiter):
    response = recruiter.get(PAGE)
    assert response.status_code == 200
    assert b"Recruitment list" in response.content
    assert b'name="procedure"' in response.content
    assert b"Download CSV" not in response.content


@pytest.mark.django_db
def test_the_page_lists_eligible_donors_with_counts_and_a_csv_link_with_the_same_query(recruiter, today):
    donor = donor_make(abo="O", rhd="neg")
    response = recruiter.get(PAGE, {"procedure": "platelets", "on": today.isoformat(), "abo": "O"})
    assert response.status_code == 200
    page = response.content.decode()
    assert donor.donor_number in page
    assert f'href="tel:{donor.phone}"' in page
    assert f'href="/donors/{donor.pk}/"' in page
    assert "1 donor eligible for platelets" in page
    link = f'{CSV}?procedure=platelets&amp;on={today.isoformat()}&amp;abo=O"'
    assert link in page


@pytest.mark.django_db
def test_a_phlebotomist_may_not_see_the_page_or_the_csv(make_user, login):
    client = login(make_user(roles.PHLEBOTOMIST))
    assert client.get(PAGE).status_code == 403
    assert client.get(CSV, {"procedure": "whole_blood"}).status_code == 403


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_the_csv_has_a_header_row_and_a_filename_of_the_procedure_and_day(
    recruiter, staff, site, company, today
):
    sherman = site_with_zip(company, code="sherman")
    near = donor_make(postal_code=SHERMAN_OAKS, abo="A", rhd="pos")
    far = donor_make(postal_code=SAN_DIEGO)
    gave(staff, near, site, days_ago=70)
    on = today + timedelta(days=6)
    response = recruiter.get(CSV, {"procedure": "platelets", "on": on.isoformat(), "site": sherman.code})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="recruitment-platelets-{on}.csv"'
    header, *rows = _csv_rows(response)
    assert header == list(CSV_HEADER)
    assert [row[0] for row in rows] == [near.donor_number, far.donor_number]
    first = dict(zip(header, rows[0], strict=True))
    assert (first["abo"], first["rhd"]) == ("A", "pos")
    assert first["last_donation_on"] == (today - timedelta(days=70)).isoformat()
    assert first["last_donation_procedure"] == "whole_blood"
    assert first["distance_km"] == "0.0"
    assert first["phone"] == near.phone
    exported = AuditEvent.objects.get(action="donations.recruitment.exported")
    assert exported.data["donors"] == 2
    assert exported.data["way"] == "page"


@pytest.mark.django_db
def test_a_drive_gives_the_day_and_the_place_to_measure_from(recruiter, company, today):
    sherman = site_with_zip(company, code="sherman")
    drive = drive_make(sherman, mobile_program_make(company))
    donor_make(postal_code=SAN_DIEGO)
    response = recruiter.get(CSV, {"procedure": "whole_blood", "drive": drive.pk, "within_km": "50"})
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="recruitment-whole-blood-{drive.date}.csv"'
    )
    assert _csv_rows(response) == [list(CSV_HEADER)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"procedure": "blood"}, "procedure"),
        ({"procedure": "whole_blood", "on": "01/12/2026"}, "on"),
        ({"procedure": "whole_blood", "abo": "Q"}, "abo"),
        ({"procedure": "whole_blood", "within_km": "far"}, "within_km"),
        ({"procedure": "whole_blood", "within_km": "10"}, "within_km"),
        ({"procedure": "whole_blood", "site": "nowhere"}, "site"),
        ({"procedure": "whole_blood", "site": "main", "within_km": "10"}, "site"),
    ],
)
def test_bad_filters_are_shown_on_their_field_and_refused_with_400_for_the_csv(recruiter, site, query, field):
    page = recruiter.get(PAGE, query)
    assert page.status_code == 200
    assert field in page.context["form"].errors
    assert page.context["listing"] is None
    refused = recruiter.get(CSV, query)
    assert refused.status_code == 400
    assert refused.content.decode().startswith(f"{field}: ")


@pytest.mark.django_db
def test_the_recruitment_nav_link_is_for_recruiters(recruiter):
    recruitment_nav.register()
    assert "donations:recruitment_list" in {
        link.url_name for link in registry.nav_for(frozenset({roles.RECRUITER}))
    }
    assert "donations:recruitment_list" not in {
        link.url_name for link in registry.nav_for(frozenset({roles.PHLEBOTOMIST}))
    }
