"""Screening, override, donation and reaction pages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from hemaops.donations.models import AdverseReaction, Donation, IssuedDin, Screening
from hemaops.isbt128.din import Din
from tests.conftest import PASSWORD
from tests.donations.test_collection import screen

pytestmark = pytest.mark.django_db

FORM_VITALS = {
    "weight_kg": "72",
    "temperature_c": "36.8",
    "systolic_mm_hg": "124",
    "diastolic_mm_hg": "78",
    "pulse_bpm": "68",
    "pulse_regular": "yes",
    "hemoglobin_g_dl": "14.2",
    "hemoglobin_sample": "fingerstick",
    "phlebotomy_site_ok": "yes",
    "injection_drug_signs": "no",
}


def _donation_form(sequence):
    # On the site's clock (the "main" donor center is in Los Angeles), as the page reads it.
    now = timezone.localtime(timezone=ZoneInfo("America/Los_Angeles")).strftime("%Y-%m-%dT%H:%M")
    return {
        "din": Din("W0001", "25", f"{sequence:06d}", "01").data_content,
        "started_at": now,
        "ended_at": now,
        "volume_ml": "500",
        "bag_lot": "LOT-3",
        "outcome": "complete",
    }


@pytest.mark.smoke
def test_screening_page_shows_the_decision_and_the_donation_page_collects(
    client, staff, donor, received_stock
):
    client.force_login(staff["screener"])
    answer = client.post(
        "/donations/screenings/new/",
        {"donor": donor.donor_number, "site": "main", "procedure": "whole_blood", **FORM_VITALS},
    )
    assert answer.status_code == 302
    screening = Screening.objects.get()
    page = client.get(answer["Location"])
    assert "Eligible" in page.content.decode()
    client.force_login(staff["phlebotomist"])
    collected = client.post(f"/donations/screenings/{screening.pk}/donation/", _donation_form(160))
    assert collected.status_code == 302
    donation = Donation.objects.get()
    reaction = client.post(
        f"/donations/donations/{donation.pk}/reactions/new/",
        {"kind": "hematoma", "severity": "severe", "care_given": "Pressure, ice"},
    )
    assert reaction.status_code == 302
    assert AdverseReaction.objects.get().reportable is True


def test_impossible_vitals_on_the_page_name_the_field(client, staff, donor, site):
    client.force_login(staff["screener"])
    answer = client.post(
        "/donations/screenings/new/",
        {
            "donor": donor.donor_number,
            "site": "main",
            "procedure": "whole_blood",
            **FORM_VITALS,
            "pulse_bpm": "900",
        },
    )
    assert answer.status_code == 200
    assert "pulse_bpm" in answer.context["form"].errors
    assert Screening.objects.count() == 0


def test_the_page_refuses_to_collect_an_ineligible_donor(client, staff, donor, received_stock):
    screening = screen(staff, donor, received_stock.site, hemoglobin_g_dl=11.0)
    client.force_login(staff["phlebotomist"])
    answer = client.post(f"/donations/screenings/{screening.pk}/donation/", _donation_form(161))
    assert answer.status_code == 200
    assert "not eligible" in answer.content.decode()
    assert Donation.objects.count() == 0
    assert IssuedDin.objects.count() == 0


def test_the_director_overrides_blood_pressure_on_the_page_but_not_hemoglobin(client, staff, donor, site):
    screening = screen(staff, donor, site, systolic_mm_hg=186, hemoglobin_g_dl=11.0)
    client.force_login(staff["director"])
    page = client.get(f"/donations/screenings/{screening.pk}/").content.decode()
    assert "Not overridable" in page
    refused = client.post(
        f"/donations/screenings/{screening.pk}/override/",
        {"reason_code": "hemoglobin_below_minimum", "justification": "x", "password": PASSWORD},
    )
    assert refused.status_code == 200
    assert "never overridden" in refused.content.decode()
    done = client.post(
        f"/donations/screenings/{screening.pk}/override/",
        {
            "reason_code": "systolic_blood_pressure_out_of_range",
            "justification": "Rested",
            "password": PASSWORD,
        },
    )
    assert done.status_code == 302
    screening.refresh_from_db()
    assert screening.overrides.count() == 1
    assert screening.collection_allowed is False  # the hemoglobin still refuses collection
