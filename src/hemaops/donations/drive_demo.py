"""Demo collections: a mobile drive of the California mobile program on Bloodmobile 1, two
weeks ahead, with morning slots and a few demo donors booked; the Sherman Oaks Donor
Center's weekday opening hours. Idempotent: a second run finds the drive and adds nothing."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

from hemaops.core.models import Program, Site
from hemaops.donations import drive_services
from hemaops.donations.models import Drive, SiteOpeningHours
from hemaops.donors.models import Donor

HOST = "Van Nuys Community College"


def load() -> None:
    fixed = Site.objects.filter(code="sherman-oaks", kind=Site.Kind.FIXED_COLLECTION).first()
    if fixed is not None and not SiteOpeningHours.objects.filter(site=fixed).exists():
        for weekday in range(6):
            drive_services.site_opening_hours_set(
                actor=None, site=fixed, weekday=weekday, opens=time(8), closes=time(18 if weekday < 5 else 14)
            )
    bus = Site.objects.filter(code="mobile-1").first()
    program = Program.objects.filter(code="ca-mobile").first()
    if bus is None or program is None or Drive.objects.filter(host_organization=HOST).exists():
        return
    drive = drive_services.drive_create(
        actor=None,
        host_organization=HOST,
        site=bus,
        place="5800 Fulton Ave, Van Nuys, CA 91401 (student union parking lot)",
        program=program,
        day=timezone.localdate() + timedelta(days=14),
        starts=time(9),
        ends=time(15),
        goals={"whole_blood": 40, "double_red_cells": 6},
        notes="Demo drive",
    )
    drive_services.drive_status_change(actor=None, drive=drive, status="confirmed", reason="host confirmed")
    slots = [
        drive_services.slot_create(
            actor=None,
            site=bus,
            day=drive.date,
            starts=time(hour, minute),
            ends=time(hour + (minute == 30), (minute + 30) % 60),
            capacity=4,
            drive=drive,
        )
        for hour in (9, 10, 11)
        for minute in (0, 30)
    ]
    donors = Donor.objects.filter(merged_into__isnull=True).order_by("donor_number")[:5]
    for slot, donor in zip(slots, donors, strict=False):
        drive_services.appointment_book(actor=None, slot=slot, donor=donor)
