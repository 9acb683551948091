"""The recruitment list through the API: JSON rows and counts, the CSV, errors naming the
parameter."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from hemaops.core import roles
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

LIST = "/api/v1/donations/recruitment"
CSV = "/api/v1/donations/recruitment.csv"


@pytest.fixture
def recruiter(make_user, login):
    return login(make_user(roles.RECRUITER))


@pytest.fixture
def today():
    return timezone.now().astimezone(LOS_ANGELES).date()


@pytest.mark.django_db
def test_a_recruiter_gets_rows_and_counts(recruiter, staff, site, company, today):
    sherman = site_with_zip(company, code="sherman")
    near = donor_make(postal_code=SHERMAN_OAKS, abo="O", rhd="neg")
    donor_make(postal_code=SAN_DIEGO, abo="O", rhd="neg")
    no_zip = donor_make(postal_code="", abo="O", rhd="neg")
    recent = donor_make(postal_code=SHERMAN_OAKS, abo="O", rhd="neg")
    gave(staff, recent, site, days_ago=10)
    response = recruiter.get(
        LIST,
        {"procedure": "whole_blood", "on": today.isoformat(), "abo": "O", "site": "sherman", "within_km": 25},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["on"], body["procedure"], body["site"], body["within_km"]) == (
        today.isoformat(),
        "whole_blood",
        sherman.code,
        25.0,
    )
    assert body["counts"] == {
        "considered": 4,
        "not_yet_eligible": 1,
        "deferred_indefinitely_or_permanently": 0,
        "contact_refused": 0,
        "unknown_distance": 1,
        "beyond_distance": 1,
        "listed": 1,
        "merged_records_skipped": 0,
    }
    (row,) = body["rows"]
    assert row["donor_number"] == near.donor_number
    assert row["distance_km"] == 0.0
    assert row["donor_type"] == "volunteer"
    assert row["email"] == near.email
    assert no_zip.donor_number not in {row["donor_number"] for row in body["rows"]}


@pytest.mark.django_db
def test_the_day_defaults_to_the_drives(recruiter, company):
    drive = drive_make(site_with_zip(company), mobile_program_make(company))
    response = recruiter.get(LIST, {"procedure": "platelets", "drive": drive.pk})
    assert response.status_code == 200
    assert response.json()["on"] == drive.date.isoformat()
    assert response.json()["site"] == "sherman"


@pytest.mark.django_db
def test_the_csv_through_the_api(recruiter, today):
    donor = donor_make()
    on = today + timedelta(days=1)
    response = recruiter.get(CSV, {"procedure": "source_plasma", "on": on.isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="recruitment-source-plasma-{on}.csv"'
    header, row = csv.reader(io.StringIO(response.content.decode()))
    assert header == list(CSV_HEADER)
    assert row[0] == donor.donor_number


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({}, 422, "procedure"),
        ({"procedure": "whole_blood", "on": "tomorrow"}, 422, "on"),
        ({"procedure": "whole_blood", "within_km": "far"}, 422, "within_km"),
        ({"procedure": "whole_blood", "drive": "x"}, 422, "drive"),
        ({"procedure": "blood"}, 400, "procedure"),
        ({"procedure": "whole_blood", "rhd": "positive"}, 400, "rhd"),
        ({"procedure": "whole_blood", "donor_type": "friend"}, 400, "donor_type"),
        ({"procedure": "whole_blood", "within_km": 5}, 400, "within_km"),
        ({"procedure": "whole_blood", "site": "nowhere"}, 400, "site"),
        ({"procedure": "whole_blood", "site": "main"}, 400, "site"),  # no ZIP code on the site
        ({"procedure": "whole_blood", "drive": 999999}, 400, "drive"),
        ({"procedure": "whole_blood", "limit": 0}, 400, "limit"),
    ],
)
def test_bad_parameters_answer_the_one_error_shape_naming_the_parameter(
    recruiter, site, query, status, field
):
    for path in (LIST, CSV):
        if path == CSV and "limit" in query:
            continue
        response = recruiter.get(path, query)
        assert response.status_code == status, (path, response.content)
        error = response.json()["error"]
        assert error["field"] == field
        assert set(error) == {"code", "message", "field"}
        assert error["message"].startswith(f"{field}:")


@pytest.mark.django_db
def test_a_phlebotomist_is_refused(make_user, login):
    client = login(make_user(roles.PHLEBOTOMIST))
    for path in (LIST, CSV):
        response = client.get(path, {"procedure": "whole_blood"})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
