"""Pages of the donor registry, through the web client."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from hemaops.core import demo as core_demo
from hemaops.core import roles
from hemaops.core.demo import DemoLogins
from hemaops.donors import demo as donors_demo
from hemaops.donors.models import Donor, DonorConsent, DonorTypePeriod
from hemaops.donors.services import donor_consent_give, donor_register
from tests.donors.registry_builders import details

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "family_name": "Johnson",
        "given_name": "Emily",
        "date_of_birth": "2001-01-30",
        "sex": "F",
        "phone": "(818) 555-0104",
        "email": "emily.johnson@example.org",
        "address_line": "1311 Ventura Blvd",
        "city": "Burbank",
        "region": "CA",
        "postal_code": "91502",
        "country": "US",
        "address_confirmed_on": "2025-01-15",
        "donor_type": "volunteer",
        "program": "",
    }
    data.update(overrides)
    return data


@pytest.mark.smoke
def test_a_screener_registers_a_donor_through_the_page(login, make_user):
    client = login(make_user(roles.SCREENER))

    response = client.post("/donors/new/", _form())

    donor = Donor.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/donors/{donor.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "D0000001 — Johnson, Emily" in text
    assert "2025-01-15" in text  # the address confirmation, 630.10(g)
    assert "not yet typed" in text


def test_registration_shows_the_candidates_and_registers_once_confirmed(login, make_user):
    client = login(make_user(roles.RECRUITER))
    client.post("/donors/new/", _form())

    shown = client.post("/donors/new/", _form(given_name="Emilie"))

    assert shown.status_code == 200
    text = shown.content.decode()
    assert "Possible duplicates" in text
    assert "D0000001" in text
    assert Donor.objects.count() == 1
    confirmed = client.post("/donors/new/", _form(given_name="Emilie", not_a_duplicate="on"))
    assert confirmed.status_code == 302
    assert Donor.objects.count() == 2


def test_a_future_birth_date_is_shown_on_its_field(login, make_user):
    response = login(make_user(roles.RECRUITER)).post("/donors/new/", _form(date_of_birth="2999-01-01"))
    assert response.status_code == 200
    assert response.context["form"].errors["date_of_birth"] == ["2999-01-01 is in the future"]
    assert not Donor.objects.exists()


def test_search_pages_and_filters(login, make_user):
    recruiter = make_user(roles.RECRUITER)
    for n in range(30):
        donor_register(
            actor=recruiter,
            details=details(
                family_name=f"Family{n:02d}",
                given_name="Given",
                date_of_birth=date(1980, 1, 1 + n % 28),
                address_confirmed_on=None,
            ),
            not_a_duplicate=True,
        )
    client = login(make_user(roles.QUALITY_OFFICER))

    first = client.get("/donors/")
    second = client.get("/donors/?page=2")
    found = client.get("/donors/", {"q": "family07"})

    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 5
    assert [donor.family_name for donor, _ in found.context["rows"]] == ["Family07"]
    assert "Register a donor" not in first.content.decode()  # the quality officer reads only


def test_the_search_list_takes_a_fixed_number_of_queries(login, make_user, django_assert_max_num_queries):
    recruiter = make_user(roles.RECRUITER)
    for n in range(10):
        donor_register(
            actor=recruiter,
            details=details(family_name=f"F{n}", address_confirmed_on=None),
            not_a_duplicate=True,
        )
    client = login(recruiter)
    with django_assert_max_num_queries(12):
        client.get("/donors/")


def test_the_htmx_search_returns_the_results_fragment(login, make_user):
    donor_register(actor=None, details=details())
    response = login(make_user(roles.RECRUITER)).get("/donors/", {"q": "alv"}, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="donor-results">')
    assert "D0000001" in text


def test_edit_type_change_and_consents_through_the_pages(login, make_user):
    donor = donor_register(actor=None, details=details())
    donor.type_periods.update(started_on=date(2024, 1, 1))
    client = login(make_user(roles.PHLEBOTOMIST))
    base = f"/donors/{donor.pk}/"

    edited = client.post(
        f"{base}edit/",
        {
            **_form(family_name="Alvarez", given_name="María", date_of_birth="1986-04-12", city="Encino"),
            "reason": "moved",
        },
    )
    typed = client.post(
        f"{base}type/",
        {"donor_type": "paid", "program": "", "effective_on": timezone.localdate().isoformat()},
    )
    consented = client.post(
        f"{base}consents/new/", {"kind": "research", "given_on": timezone.localdate().isoformat()}
    )
    consent = DonorConsent.objects.get()
    withdrawn = client.post(
        f"{base}consents/{consent.pk}/withdraw/", {"withdrawn_on": timezone.localdate().isoformat()}
    )

    assert [r.status_code for r in (edited, typed, consented, withdrawn)] == [302, 302, 302, 302]
    donor.refresh_from_db()
    assert donor.city == "Encino"
    assert list(DonorTypePeriod.objects.order_by("started_on").values_list("donor_type", flat=True)) == [
        "volunteer",
        "paid",
    ]
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate()
    detail = client.get(base).content.decode()
    assert "Volunteer" in detail
    assert "Paid" in detail


def test_a_quality_officer_merges_through_the_page(login, make_user):
    survivor = donor_register(actor=None, details=details())
    duplicate = donor_register(actor=None, details=details(given_name="Maria"), not_a_duplicate=True)
    donor_consent_give(actor=None, donor=duplicate, kind="research")
    client = login(make_user(roles.QUALITY_OFFICER))

    page = client.get(f"/donors/{duplicate.pk}/merge/")
    assert survivor.donor_number in page.content.decode()  # suggested
    unknown = client.post(f"/donors/{duplicate.pk}/merge/", {"survivor": "D7777777", "reason": "same"})
    assert unknown.context["form"].errors["survivor"] == ["No donor has this number."]
    merged = client.post(
        f"/donors/{duplicate.pk}/merge/", {"survivor": survivor.donor_number, "reason": "same"}
    )

    assert merged.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    detail = client.get(f"/donors/{survivor.pk}/").content.decode()
    assert f"from merged record {duplicate.donor_number}" in detail


@pytest.mark.parametrize("role", [roles.HOSPITAL_USER, roles.EXECUTIVE, roles.LAB_TECHNOLOGIST])
def test_roles_without_donor_access_see_nothing(login, make_user, role):
    donor = donor_register(actor=None, details=details())
    client = login(make_user(role))
    assert client.get("/donors/").status_code == 403
    assert client.get(f"/donors/{donor.pk}/").status_code in {403, 404}


def test_the_dashboard_shows_the_registry_panel_to_collection_staff_once_donors_exist(login, make_user):
    client = login(make_user(roles.RECRUITER))
    assert "Donor registry" not in client.get("/").content.decode()
    donor_register(actor=None, details=details())
    home = client.get("/").content.decode()
    assert "Donor registry" in home
    assert "<strong>1</strong> donors registered" in home
    assert 'href="/donors/"' in home


def test_the_registry_panel_is_not_shown_to_the_finance_roles(login, make_user):
    donor_register(actor=None, details=details())
    assert "Donor registry" not in login(make_user(roles.CONTROLLER)).get("/").content.decode()


@pytest.mark.smoke
def test_the_demo_registers_donors_and_a_second_run_adds_nothing(db):
    core_demo.load(DemoLogins())
    donors_demo.load(DemoLogins())
    counts = (Donor.objects.count(), DonorTypePeriod.objects.count(), DonorConsent.objects.count())

    donors_demo.load(DemoLogins())

    assert (Donor.objects.count(), DonorTypePeriod.objects.count(), DonorConsent.objects.count()) == counts
    assert 10 <= Donor.objects.filter(merged_into__isnull=True).count() <= 20
    okafor = Donor.objects.get(family_name="Okafor")
    assert list(okafor.type_periods.values_list("donor_type", flat=True).order_by("started_on")) == [
        "paid",
        "volunteer",
    ]
    assert Donor.objects.filter(merged_into__isnull=False).count() == 1


def test_the_donor_record_takes_a_fixed_number_of_queries(login, make_user, django_assert_max_num_queries):
    donor = donor_register(actor=None, details=details())
    for kind in ("donation", "research", "contact"):
        donor_consent_give(actor=None, donor=donor, kind=kind)
    client = login(make_user(roles.SCREENER))
    client.get(f"/donors/{donor.pk}/")  # warm the session and permission caches
    with django_assert_max_num_queries(12):
        response = client.get(f"/donors/{donor.pk}/")
    assert response.status_code == 200
