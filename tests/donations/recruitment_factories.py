"""Setup helpers of the recruitment list tests: donors with addresses, history recorded
through the screening and donation services on an earlier day, a site with a ZIP code."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from hemaops.core.models import Company, Site
from hemaops.core.services import reference_data_save
from hemaops.donations import services
from hemaops.donors import services as donor_services
from hemaops.donors.models import Donor

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SHERMAN_OAKS = "91403"
SAN_DIEGO = "92101"
ENCINO = "91436"  # about 4 km from Sherman Oaks

GOOD_VITALS = {
    "weight_kg": 72,
    "temperature_c": 36.8,
    "systolic_mm_hg": 124,
    "diastolic_mm_hg": 78,
    "pulse_bpm": 68,
    "pulse_regular": True,
    "hemoglobin_g_dl": 14.2,
    "hematocrit_pct": 42,
    "platelet_count_k_per_ul": 250,
    "height_cm": 180,
    "hemoglobin_sample": "fingerstick",
    "phlebotomy_site_ok": True,
    "injection_drug_signs": False,
}

_numbers = itertools.count(1)


def site_with_zip(company: Company, code: str = "sherman", postal_code: str = SHERMAN_OAKS) -> Site:
    return reference_data_save(
        actor=None,
        instance=Site(
            company=company,
            code=code,
            name=f"{code.capitalize()} Donor Center",
            kind=Site.Kind.FIXED_COLLECTION,
            time_zone="America/Los_Angeles",
            facility_identification_number="W0001",
            country="US",
            region="CA",
            postal_code=postal_code,
        ),
    )


def donor_make(
    *,
    postal_code: str = SHERMAN_OAKS,
    country: str = "US",
    abo: str = "",
    rhd: str = "",
    donor_type: str = "volunteer",
    sex: str = "M",
    family_name: str | None = None,
    registered_days_ago: int = 0,
) -> Donor:
    n = next(_numbers)
    with time_machine.travel(timezone.now() - timedelta(days=registered_days_ago), tick=False):
        donor = _register(n, postal_code, country, donor_type, sex, family_name)
    if abo or rhd:
        # The blood group on record is written by testing (a later context); set it here.
        Donor.objects.filter(pk=donor.pk).update(abo_on_record=abo, rhd_on_record=rhd)
        donor.refresh_from_db()
    return donor


def _register(
    n: int, postal_code: str, country: str, donor_type: str, sex: str, family_name: str | None
) -> Donor:
    return donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name=family_name or f"Donor{n:04d}",
            given_name=f"Given{n}",
            date_of_birth=date(1970, 1, 1) + timedelta(days=97 * n),
            sex=sex,
            phone=f"+1 818 555 {n:04d}",
            email=f"donor{n}@example.org",
            address_line=f"{n} Ventura Blvd",
            city="Los Angeles",
            region="CA",
            postal_code=postal_code,
            country=country,
        ),
        donor_type=donor_type,
        not_a_duplicate=True,
    )


def at_site_noon(days_ago: int) -> datetime:
    day = timezone.now().astimezone(LOS_ANGELES).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=LOS_ANGELES)


def gave(staff, donor: Donor, site: Site, *, days_ago: int, procedure: str = "whole_blood") -> None:
    """Screen and collect ``donor`` at ``site`` ``days_ago`` days ago, through the services."""
    with time_machine.travel(at_site_noon(days_ago), tick=False):
        screening = services.screening_record(
            actor=staff["screener"], donor=donor, site=site, procedure=procedure, vitals=GOOD_VITALS
        )
        assert screening.collection_allowed, screening.reasons
        din = services.din_generate(actor=staff["phlebotomist"], site=site, year="25").issued
        now = timezone.now()
        services.donation_record(
            actor=staff["phlebotomist"],
            screening=screening,
            din=din,
            started_at=now - timedelta(minutes=12),
            ended_at=now - timedelta(minutes=2),
            volume_ml=500,
            bag_lot="BAG-7",
            outcome="complete",
        )


def deferred(staff, donor: Donor, site: Site, *, code: str = "hiv_treatment") -> None:
    """A screening today whose answers defer the donor (``hiv_treatment``: indefinitely)."""
    today = timezone.now().astimezone(LOS_ANGELES).date()
    services.screening_record(
        actor=staff["screener"],
        donor=donor,
        site=site,
        procedure="whole_blood",
        vitals=GOOD_VITALS,
        answers=[{"code": code, "date": today.isoformat()}],
    )
