"""The demo company of the core context: sites of every kind, programs in both segments,
hospitals, and one user per role. Idempotent: a second run finds everything and adds nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.apps import AppConfig
from django.db import transaction

from hemaops.core import roles
from hemaops.core.contexts import context_modules
from hemaops.core.models import (
    Company,
    Hospital,
    HospitalIdentifier,
    HospitalLocation,
    Program,
    Site,
    User,
)
from hemaops.core.services import reference_data_save, user_create

DEMO_PASSWORD = "hemaops-demo"  # noqa: S105 - printed for the demo on purpose


@dataclass
class DemoLogins:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, note


def demo_loaders() -> Iterator[tuple[AppConfig, Callable[[DemoLogins], None]]]:
    """Each context's ``demo.load``, in INSTALLED_APPS order (the order they depend on each
    other); a context without a demo module is passed over."""
    for config, module in context_modules("demo"):
        yield config, module.load


def _ensure(model: type, lookup: dict[str, object], values: dict[str, object]) -> object:
    found = model._default_manager.filter(**lookup).first()
    if found is not None:
        return found
    return reference_data_save(actor=None, instance=model(**lookup, **values), reason="demo data")


@transaction.atomic
def load(logins: DemoLogins) -> None:
    company = _ensure(
        Company,
        {"legal_name": "Pacific Blood Services, Inc."},
        {"fiscal_year_start_month": 1, "us_license_number": "9999"},
    )
    sites = [
        (
            "sherman-oaks",
            "Sherman Oaks Donor Center",
            Site.Kind.FIXED_COLLECTION,
            "America/Los_Angeles",
            "W0001",
        ),
        (
            "mobile-1",
            "Bloodmobile 1 (Southern California)",
            Site.Kind.MOBILE_UNIT,
            "America/Los_Angeles",
            "W0002",
        ),
        (
            "lab-van-nuys",
            "Van Nuys Testing Laboratory",
            Site.Kind.LABORATORY,
            "America/Los_Angeles",
            "",
        ),
        (
            "pdc-la",
            "Los Angeles Processing and Distribution",
            Site.Kind.PROCESSING_DISTRIBUTION,
            "America/Los_Angeles",
            "W0003",
        ),
        (
            "mercy-bb",
            "Mercy General Apheresis Unit",
            Site.Kind.HOSPITAL_BASED,
            "America/New_York",
            "",
        ),
    ]
    # Where each site is (recruitment lists measure donors' distance from it).
    addresses = {
        "sherman-oaks": ("14640 Ventura Blvd", "Sherman Oaks", "91403"),
        "mobile-1": ("7230 Hayvenhurst Ave (bus depot)", "Van Nuys", "91406"),
        "lab-van-nuys": ("15350 Sherman Way", "Van Nuys", "91406"),
        "pdc-la": ("1100 S Grand Ave", "Los Angeles", "90015"),
        "mercy-bb": ("301 St Paul Pl", "Baltimore", "21202"),
    }
    for code, name, kind, time_zone, fin in sites:
        line, city, postal = addresses[code]
        _ensure(
            Site,
            {"code": code},
            {
                "company": company,
                "name": name,
                "kind": kind,
                "time_zone": time_zone,
                "facility_identification_number": fin,
                "address_line": line,
                "city": city,
                "region": "MD" if code == "mercy-bb" else "CA",
                "postal_code": postal,
            },
        )
    hospitals = [
        (
            "cedars",
            "Cedars Valley Medical Center",
            "Los Angeles",
            "CA",
            "America/Los_Angeles",
            "1234567893",
        ),
        ("mercy", "Mercy General Hospital", "Baltimore", "MD", "America/New_York", "1245319599"),
    ]
    for code, name, city, region, time_zone, npi in hospitals:
        hospital = _ensure(
            Hospital,
            {"code": code},
            {
                "company": company,
                "name": name,
                "city": city,
                "region": region,
                "time_zone": time_zone,
            },
        )
        _ensure(
            HospitalIdentifier,
            {"system": HospitalIdentifier.System.NPI, "value": npi},
            {"hospital": hospital},
        )
        _ensure(
            HospitalLocation,
            {"hospital": hospital, "kind": HospitalLocation.Kind.SHIP_TO, "name": "Blood bank"},
            {"city": city, "region": region},
        )
        _ensure(
            HospitalLocation,
            {
                "hospital": hospital,
                "kind": HospitalLocation.Kind.PROCEDURE,
                "name": "Apheresis suite",
            },
            {"city": city, "region": region},
        )
    cedars = Hospital.objects.get(code="cedars")
    mercy = Hospital.objects.get(code="mercy")
    programs = [
        (
            "ca-fixed",
            "California fixed sites",
            Program.Segment.BLOOD_PRODUCTS,
            Program.Kind.FIXED_COLLECTIONS,
            "California",
            None,
        ),
        (
            "ca-mobile",
            "California mobile program",
            Program.Segment.BLOOD_PRODUCTS,
            Program.Kind.MOBILE_COLLECTIONS,
            "California",
            None,
        ),
        (
            "mercy-bm",
            "Mercy blood management program",
            Program.Segment.BLOOD_PRODUCTS,
            Program.Kind.BLOOD_MANAGEMENT,
            "Mid-Atlantic",
            mercy,
        ),
        (
            "tx-apheresis-west",
            "Therapeutic apheresis, West",
            Program.Segment.BLOOD_SERVICES,
            Program.Kind.THERAPEUTIC_APHERESIS,
            "California",
            cedars,
        ),
        (
            "tx-apheresis-east",
            "Therapeutic apheresis, East",
            Program.Segment.BLOOD_SERVICES,
            Program.Kind.THERAPEUTIC_APHERESIS,
            "Mid-Atlantic",
            mercy,
        ),
    ]
    for code, name, segment, kind, region, client in programs:
        _ensure(
            Program,
            {"code": code},
            {
                "company": company,
                "name": name,
                "segment": segment,
                "kind": kind,
                "region": region,
                "client_hospital": client,
                "active_from": date(2024, 1, 1),
            },
        )
    donor_center = Site.objects.get(code="sherman-oaks")
    if donor_center.collections_program is None:
        donor_center.collections_program = Program.objects.get(code="ca-fixed")
        reference_data_save(actor=None, instance=donor_center, reason="demo data")
    people = {role: (label.split()[0], "Demo") for role, label in roles.ROLES.items()}
    accounts = [(role, role, None) for role in roles.ROLES if role != roles.HOSPITAL_USER]
    accounts += [
        ("cedars_user", roles.HOSPITAL_USER, cedars),
        ("mercy_user", roles.HOSPITAL_USER, mercy),
    ]
    for username, role, hospital in accounts:
        if not User.objects.filter(username=username).exists():
            first, last = people[role]
            user_create(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role_names=[role],
                hospital=hospital,
                first_name=first,
                last_name=last,
                second_factor_exempt=True,
                check_password_strength=False,
            )
        note = f"hospital {hospital.code}" if hospital else ""
        if role in roles.SECOND_FACTOR_ROLES:
            note = "second factor off for the demo (required for this role in production)"
        logins.rows.append((username, role, note))
