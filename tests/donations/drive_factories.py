"""Factories of the collections tests: a bus, a mobile program, a drive a month ahead with
one slot, and donors (plain functions, shared with the access walk)."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.utils import timezone

from hemaops.core.models import Company, Program, Site
from hemaops.core.services import reference_data_save
from hemaops.donations import drive_services
from hemaops.donations.models import AppointmentSlot, Drive
from hemaops.donors import services as donor_services
from hemaops.donors.models import Donor


def drive_day() -> date:
    return timezone.localdate() + timedelta(days=30)


def bus_make(company: Company, code: str = "bus-1") -> Site:
    return reference_data_save(
        actor=None,
        instance=Site(
            company=company,
            code=code,
            name="Bloodmobile 1",
            kind=Site.Kind.MOBILE_UNIT,
            time_zone="America/Los_Angeles",
            facility_identification_number="W0001",
        ),
    )


def mobile_program_make(company: Company, code: str = "ca-mobile") -> Program:
    return reference_data_save(
        actor=None,
        instance=Program(
            company=company,
            code=code,
            name="California mobile",
            segment="blood_products",
            kind="mobile_collections",
            active_from=date(2024, 1, 1),
        ),
    )


def drive_make(site: Site, program: Program, **overrides: object) -> Drive:
    values: dict = {
        "host_organization": "Valley High School",
        "site": site,
        "place": "1 School Rd, Encino, CA",
        "program": program,
        "day": drive_day(),
        "starts": time(9, 0),
        "ends": time(15, 0),
        "goals": {"whole_blood": 30, "double_red_cells": 4},
    }
    values.update(overrides)
    return drive_services.drive_create(actor=None, **values)


def slot_make(
    drive: Drive, capacity: int = 2, starts: time = time(9, 0), ends: time = time(9, 30)
) -> AppointmentSlot:
    return drive_services.slot_create(
        actor=None, site=drive.site, day=drive.date, starts=starts, ends=ends, capacity=capacity, drive=drive
    )


def donor_make(given_name: str, family_name: str = "Donor", born: date = date(1985, 3, 3)) -> Donor:
    return donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name=family_name, given_name=given_name, date_of_birth=born, sex="F"
        ),
        not_a_duplicate=True,
    )
