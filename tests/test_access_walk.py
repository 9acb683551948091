"""Every page and API route, walked as anonymous, as each role and as a user of another
hospital (house style §10). Each denial must change nothing.

Later issues add their routes to ROUTES; ``test_every_route_is_in_the_table`` fails until
they do.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import F, Q
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from hemaops.api import api
from hemaops.billing import services as billing_services
from hemaops.billing.models import Charge, Contract
from hemaops.components import (
    catalogue_services,
    inventory_services,
    label_services,
    manufacturing_services,
    storage_services,
)
from hemaops.components.labels import barcodes
from hemaops.components.models import Product, StorageLocation, TemperatureExcursion, Unit
from hemaops.core import roles
from hemaops.core.models import ApiToken, Hospital, Site, User
from hemaops.core.services import api_token_create
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.distribution import services as distribution_services
from hemaops.distribution.models import Order, Shipment, ShipmentItem
from hemaops.donations import drive_services
from hemaops.donations import services as collection_services
from hemaops.donations.models import Donation, Screening
from hemaops.donations.services import din_stock_receive
from hemaops.donors import services as donor_services
from hemaops.donors.models import Donor
from hemaops.finance import services as finance_services
from hemaops.finance.models import Account, FiscalPeriod
from hemaops.finance.services import PostingLine
from hemaops.isbt128.din import Din
from hemaops.lab import services as lab_services
from hemaops.lab.models import DonationTesting, DonorNotification
from tests.components.conftest import local_catalogue_bytes
from tests.conftest import PASSWORD, company_make, hospital_make, program_make, site_make, user_make
from tests.distribution.conftest import CHART as DISTRIBUTION_CHART
from tests.distribution.conftest import contract_for, label_scans, unit_available
from tests.distribution.test_pages import line_data
from tests.donations.drive_factories import bus_make, drive_day, drive_make, mobile_program_make, slot_make
from tests.fhir.test_fhir import supply_request
from tests.lab.results import file_of, full_panel, line

STAFF = frozenset(roles.STAFF_ROLES)
ADMINISTRATOR = frozenset({roles.ADMINISTRATOR})
AUDIT_READERS = frozenset({roles.ADMINISTRATOR, roles.QUALITY_OFFICER})
EVERYONE = frozenset(roles.ROLES)
LEDGER_READERS = frozenset({roles.ACCOUNTANT, roles.CONTROLLER, roles.EXECUTIVE})
LEDGER_WRITERS = frozenset({roles.ACCOUNTANT, roles.CONTROLLER})
CONTROLLER = frozenset({roles.CONTROLLER})
ANONYMOUS = "anonymous"
OTHER_HOSPITAL_USER = "other_hospital_user"


@dataclass(frozen=True)
class Route:
    method: str
    # placeholders: {site} {program} {hospital}; of the ledger: {account} {posted_entry}
    # {pending_entry} {open_period} {closed_period}
    path: str
    allowed: frozenset[str]
    name: str  # URL name of a page, or "api:<METHOD> <path>" of an API operation
    # The body of a POST; a callable gets the request's number and returns a body of its own,
    # for routes that consume what they are given (a DIN is claimed once, a range received once).
    data: dict[str, Any] | Callable[[int], dict[str, Any]] = field(default_factory=dict)
    # Routes about one hospital: its own hospital user may, another hospital's may not.
    hospital_scoped: bool = False
    # A search answers every signed-in caller; one who may not see the records finds none.
    search: bool = False
    # What a signed-in principal that may not is answered.
    refusals: frozenset[int] = frozenset({403, 404})

    @property
    def is_api(self) -> bool:
        return self.path.startswith(("/api/", "/fhir/"))

    @property
    def is_fhir(self) -> bool:
        return self.path.startswith("/fhir/")

    @property
    def needs_token(self) -> bool:
        """FHIR takes a write only with the API token, never on a browser's session alone."""
        return self.is_fhir and self.method == "POST"


def _site_form(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": "Walk site",
        "kind": "laboratory",
        "time_zone": "UTC",
        "country": "US",
        "is_active": "on",
    }


def _program_form(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": "Walk program",
        "segment": "blood_services",
        "kind": "therapeutic_apheresis",
        "active_from": "2025-01-01",
    }


def _hospital_form(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": "Walk hospital",
        "time_zone": "UTC",
        "country": "US",
        "is_active": "on",
    }


def _manual_entry(day: str) -> dict[str, Any]:
    return {
        "entry_date": day,
        "memo": "Walk rent",
        "lines-0-account": "6000",
        "lines-0-debit": "5.00",
        "lines-1-account": "2000",
        "lines-1-credit": "5.00",
    }


ROUTES = [
    Route("GET", "/", EVERYONE, "reporting:home"),
    Route("GET", "/core/sites/", STAFF, "core:site_list"),
    Route("GET", "/core/sites/new/", ADMINISTRATOR, "core:site_create"),
    Route("POST", "/core/sites/new/", ADMINISTRATOR, "core:site_create", _site_form("walk")),
    Route("GET", "/core/sites/{site}/edit/", ADMINISTRATOR, "core:site_edit"),
    Route("POST", "/core/sites/{site}/edit/", ADMINISTRATOR, "core:site_edit", _site_form("main")),
    Route("GET", "/core/programs/", STAFF, "core:program_list"),
    Route("GET", "/core/programs/new/", ADMINISTRATOR, "core:program_create"),
    Route("POST", "/core/programs/new/", ADMINISTRATOR, "core:program_create", _program_form("walk")),
    Route("GET", "/core/programs/{program}/edit/", ADMINISTRATOR, "core:program_edit"),
    Route(
        "POST",
        "/core/programs/{program}/edit/",
        ADMINISTRATOR,
        "core:program_edit",
        _program_form("ca-fixed"),
    ),
    Route("GET", "/core/hospitals/", STAFF, "core:hospital_list"),
    Route("GET", "/core/hospitals/new/", ADMINISTRATOR, "core:hospital_create"),
    Route(
        "POST",
        "/core/hospitals/new/",
        ADMINISTRATOR,
        "core:hospital_create",
        _hospital_form("walk"),
    ),
    Route(
        "GET",
        "/core/hospitals/{hospital}/",
        STAFF | {roles.HOSPITAL_USER},
        "core:hospital_detail",
        hospital_scoped=True,
    ),
    Route("GET", "/core/hospitals/{hospital}/edit/", ADMINISTRATOR, "core:hospital_edit"),
    Route(
        "POST",
        "/core/hospitals/{hospital}/edit/",
        ADMINISTRATOR,
        "core:hospital_edit",
        _hospital_form("cedars"),
    ),
    Route("GET", "/core/audit/", AUDIT_READERS, "core:audit_list"),
    Route("GET", "/api/v1/core/sites", STAFF, "api:GET /api/v1/core/sites"),
    Route("GET", "/api/v1/core/programs", STAFF, "api:GET /api/v1/core/programs"),
    Route("GET", "/api/v1/core/hospitals", STAFF, "api:GET /api/v1/core/hospitals"),
    Route(
        "POST",
        "/api/v1/core/hospitals",
        ADMINISTRATOR,
        "api:POST /api/v1/core/hospitals",
        {"code": "walk", "name": "Walk hospital", "time_zone": "UTC"},
    ),
    Route("GET", "/finance/trial-balance/?period=2025Q1", LEDGER_READERS, "finance:trial_balance"),
    Route("GET", "/finance/accounts/{account}/?period=2025-01", LEDGER_READERS, "finance:account_activity"),
    Route("GET", "/finance/entries/new/", LEDGER_WRITERS, "finance:entry_new"),
    Route("POST", "/finance/entries/new/", LEDGER_WRITERS, "finance:entry_new", _manual_entry("2025-03-10")),
    Route("GET", "/finance/entries/pending/", LEDGER_READERS, "finance:entry_pending"),
    Route("GET", "/finance/entries/{posted_entry}/", LEDGER_READERS, "finance:entry_detail"),
    Route("POST", "/finance/entries/{pending_entry}/approve/", CONTROLLER, "finance:entry_approve"),
    Route(
        "POST",
        "/finance/entries/{pending_entry}/reject/",
        CONTROLLER,
        "finance:entry_reject",
        {"reason": "walk"},
    ),
    Route(
        "POST",
        "/finance/entries/{posted_entry}/reverse/",
        CONTROLLER,
        "finance:entry_reverse",
        {"entry_date": "2025-01-20", "reason": "walk"},
    ),
    Route("GET", "/finance/periods/", LEDGER_READERS, "finance:period_list"),
    Route("GET", "/finance/periods/{open_period}/close/", CONTROLLER, "finance:period_close"),
    Route(
        "POST",
        "/finance/periods/{open_period}/close/",
        CONTROLLER,
        "finance:period_close",
        {"password": PASSWORD, "reason": "walk"},
    ),
    Route("GET", "/finance/periods/{closed_period}/reopen/", CONTROLLER, "finance:period_reopen"),
    Route(
        "POST",
        "/finance/periods/{closed_period}/reopen/",
        CONTROLLER,
        "finance:period_reopen",
        {"password": PASSWORD, "reason": "walk"},
    ),
    Route("GET", "/api/v1/finance/accounts", LEDGER_READERS, "api:GET /api/v1/finance/accounts"),
    Route(
        "GET",
        "/api/v1/finance/trial-balance?period=2025Q1",
        LEDGER_READERS,
        "api:GET /api/v1/finance/trial-balance",
    ),
    Route(
        "POST",
        "/api/v1/finance/journal-entries",
        LEDGER_WRITERS,
        "api:POST /api/v1/finance/journal-entries",
        {
            "date": "2025-03-10",
            "memo": "Walk rent",
            "lines": [{"account": "6000", "debit": "5.00"}, {"account": "2000", "credit": "5.00"}],
        },
    ),
    Route(
        "GET",
        "/api/v1/finance/journal-entries/{posted_entry}",
        LEDGER_READERS,
        "api:GET /api/v1/finance/journal-entries/{entry_id}",
    ),
]

# The donor registry (donors context). Each context keeps its routes in its own list.
# placeholders: {donor} {donor_number} {duplicate} {consent} (see _donor_world)
DONOR_STAFF = frozenset({roles.RECRUITER, roles.SCREENER, roles.PHLEBOTOMIST})
DONOR_READERS = DONOR_STAFF | {roles.MEDICAL_DIRECTOR, roles.QUALITY_OFFICER}
DONOR_MERGERS = frozenset({roles.QUALITY_OFFICER})
_DONOR_IDENTITY = {
    "family_name": "Walker",
    "given_name": "Wanda",
    "date_of_birth": "1980-05-05",
    "sex": "F",
    "country": "US",
}
DONOR_ROUTES: list[Route] = [
    Route("GET", "/donors/", DONOR_READERS, "donors:donor_list"),
    Route("GET", "/donors/new/", DONOR_STAFF, "donors:donor_register"),
    Route(
        "POST",
        "/donors/new/",
        DONOR_STAFF,
        "donors:donor_register",
        {**_DONOR_IDENTITY, "donor_type": "volunteer", "not_a_duplicate": "on"},
    ),
    Route("GET", "/donors/{donor}/", DONOR_READERS, "donors:donor_detail"),
    Route("GET", "/donors/{donor}/edit/", DONOR_STAFF, "donors:donor_edit"),
    Route(
        "POST",
        "/donors/{donor}/edit/",
        DONOR_STAFF,
        "donors:donor_edit",
        {**_DONOR_IDENTITY, "city": "Encino", "reason": "walk"},
    ),
    Route("GET", "/donors/{donor}/type/", DONOR_STAFF, "donors:donor_type_change"),
    Route(
        "POST",
        "/donors/{donor}/type/",
        DONOR_STAFF,
        "donors:donor_type_change",
        {"donor_type": "paid", "effective_on": "2025-01-01", "reason": "walk"},
    ),
    Route("GET", "/donors/{donor}/consents/new/", DONOR_STAFF, "donors:consent_give"),
    Route(
        "POST",
        "/donors/{donor}/consents/new/",
        DONOR_STAFF,
        "donors:consent_give",
        {"kind": "research", "given_on": "2025-01-01"},
    ),
    Route(
        "POST",
        "/donors/{donor}/consents/{consent}/withdraw/",
        DONOR_STAFF,
        "donors:consent_withdraw",
        {"withdrawn_on": "2025-02-01", "reason": "walk"},
    ),
    Route("GET", "/donors/{duplicate}/merge/", DONOR_MERGERS, "donors:donor_merge"),
    Route(
        "POST",
        "/donors/{duplicate}/merge/",
        DONOR_MERGERS,
        "donors:donor_merge",
        {"survivor": "D0000001", "reason": "walk"},
    ),
    Route("GET", "/api/v1/donors/donors?q=walker", DONOR_READERS, "api:GET /api/v1/donors/donors"),
    Route(
        "GET",
        "/api/v1/donors/donors/{donor_number}",
        DONOR_READERS,
        "api:GET /api/v1/donors/donors/{donor_number}",
    ),
    Route(
        "POST",
        "/api/v1/donors/donors",
        DONOR_STAFF,
        "api:POST /api/v1/donors/donors",
        {**_DONOR_IDENTITY, "not_a_duplicate": True},
    ),
]

# Drives, screening, DIN label stock, donations (donations context).
DIN_VIEWERS = frozenset(
    {roles.PHLEBOTOMIST, roles.COMPONENT_TECHNOLOGIST, roles.ADMINISTRATOR, roles.QUALITY_OFFICER}
)
DIN_ISSUERS = frozenset({roles.PHLEBOTOMIST, roles.COMPONENT_TECHNOLOGIST})
DIN_STOCK_RECEIVERS = frozenset({roles.ADMINISTRATOR, roles.COMPONENT_TECHNOLOGIST})
# The walk's label stock (see _din_label_stock): FIN W0001 (the walk's site), year 25.
WALK_DIN_STOCK = (1, 99_999)


def _fresh_scan(field_name: str) -> Callable[[int], dict[str, Any]]:
    return lambda n: {
        "site": "main",
        field_name: Din("W0001", "25", f"{WALK_DIN_STOCK[0] + n:06d}", "01").data_content,
    }


def _fresh_stock() -> Callable[[int], dict[str, Any]]:
    def make(n: int) -> dict[str, Any]:
        first = WALK_DIN_STOCK[1] + 1 + n * 10
        return {
            "site": "main",
            "year": "25",
            "first_sequence": first,
            "last_sequence": first + 9,
            "received_on": "2025-01-06",
        }

    return make


DONATION_ROUTES: list[Route] = [
    Route("GET", "/donations/din-stock/", DIN_VIEWERS, "donations:din_stock_list"),
    Route("GET", "/donations/din-stock/receive/", DIN_STOCK_RECEIVERS, "donations:din_stock_receive"),
    Route(
        "POST",
        "/donations/din-stock/receive/",
        DIN_STOCK_RECEIVERS,
        "donations:din_stock_receive",
        _fresh_stock(),
    ),
    Route("GET", "/donations/dins/scan/", DIN_ISSUERS, "donations:din_scan"),
    Route("POST", "/donations/dins/scan/", DIN_ISSUERS, "donations:din_scan", _fresh_scan("din")),
    Route(
        "POST",
        "/donations/dins/generate/",
        DIN_ISSUERS,
        "donations:din_generate",
        {"generate-site": "main", "generate-year": "25"},
    ),
    Route("GET", "/api/v1/donations/din-stock", DIN_VIEWERS, "api:GET /api/v1/donations/din-stock"),
    Route(
        "POST",
        "/api/v1/donations/din-stock",
        DIN_STOCK_RECEIVERS,
        "api:POST /api/v1/donations/din-stock",
        _fresh_stock(),
    ),
    Route(
        "POST",
        "/api/v1/donations/dins/scan",
        DIN_ISSUERS,
        "api:POST /api/v1/donations/dins/scan",
        _fresh_scan("din"),
    ),
    Route(
        "POST",
        "/api/v1/donations/dins/generate",
        DIN_ISSUERS,
        "api:POST /api/v1/donations/dins/generate",
        {"site": "main", "year": "25"},
    ),
]

# Collections (drives, slots, appointments): placeholders {drive} {slot} {appointment}
# {cancel_appointment} (see _drive_world).
DRIVE_VIEWERS = frozenset({roles.RECRUITER, roles.SCREENER, roles.PROGRAM_MANAGER})
DRIVE_PLANNERS = frozenset({roles.RECRUITER})
CHECK_IN = frozenset({roles.SCREENER})


def _drive_body(n: int) -> dict[str, Any]:
    return {
        "host_organization": f"Walk host {n}",
        "site": "bus-1",
        "place": "Walk street",
        "program": "ca-mobile",
        "date": drive_day().isoformat(),
        "starts": "09:00",
        "ends": "15:00",
    }


_SLOT = {"starts": "10:00", "ends": "10:30", "capacity": 2}
DONATION_ROUTES += [
    Route("GET", "/donations/drives/", DRIVE_VIEWERS, "donations:drive_calendar"),
    Route("GET", "/donations/drives/new/", DRIVE_PLANNERS, "donations:drive_create"),
    Route("POST", "/donations/drives/new/", DRIVE_PLANNERS, "donations:drive_create", _drive_body),
    Route("GET", "/donations/drives/{drive}/", DRIVE_VIEWERS, "donations:drive_detail"),
    Route(
        "POST",
        "/donations/drives/{drive}/status/",
        DRIVE_PLANNERS,
        "donations:drive_status_change",
        {"status": "confirmed"},
    ),
    Route("POST", "/donations/drives/{drive}/slots/", DRIVE_PLANNERS, "donations:slot_create", _SLOT),
    Route(
        "POST",
        "/donations/drives/{drive}/walk-ins/",
        CHECK_IN,
        "donations:appointment_walk_in",
        {"donor": "D0000001"},
    ),
    Route(
        "POST",
        "/donations/slots/{slot}/book/",
        DRIVE_PLANNERS,
        "donations:appointment_book",
        {"donor": "D0000001"},
    ),
    Route(
        "POST",
        "/donations/appointments/{cancel_appointment}/cancel/",
        DRIVE_PLANNERS,
        "donations:appointment_cancel",
        {"reason": "walk"},
    ),
    Route(
        "POST", "/donations/appointments/{appointment}/check-in/", CHECK_IN, "donations:appointment_check_in"
    ),
    Route("GET", "/api/v1/donations/drives", DRIVE_VIEWERS, "api:GET /api/v1/donations/drives"),
    Route(
        "POST", "/api/v1/donations/drives", DRIVE_PLANNERS, "api:POST /api/v1/donations/drives", _drive_body
    ),
    Route(
        "GET",
        "/api/v1/donations/drives/{drive}",
        DRIVE_VIEWERS,
        "api:GET /api/v1/donations/drives/{drive_id}",
    ),
    Route(
        "POST",
        "/api/v1/donations/drives/{drive}/status",
        DRIVE_PLANNERS,
        "api:POST /api/v1/donations/drives/{drive_id}/status",
        {"status": "confirmed"},
    ),
    Route(
        "POST",
        "/api/v1/donations/drives/{drive}/slots",
        DRIVE_PLANNERS,
        "api:POST /api/v1/donations/drives/{drive_id}/slots",
        _SLOT,
    ),
    Route(
        "GET",
        "/api/v1/donations/drives/{drive}/slots",
        DRIVE_VIEWERS,
        "api:GET /api/v1/donations/drives/{drive_id}/slots",
    ),
    Route(
        "POST",
        "/api/v1/donations/slots/{slot}/appointments",
        DRIVE_PLANNERS,
        "api:POST /api/v1/donations/slots/{slot_id}/appointments",
        {"donor": "D0000001"},
    ),
    Route(
        "POST",
        "/api/v1/donations/appointments/{cancel_appointment}/cancel",
        DRIVE_PLANNERS,
        "api:POST /api/v1/donations/appointments/{appointment_id}/cancel",
        {"reason": "walk"},
    ),
    Route(
        "POST",
        "/api/v1/donations/appointments/{appointment}/check-in",
        CHECK_IN,
        "api:POST /api/v1/donations/appointments/{appointment_id}/check-in",
    ),
    Route(
        "POST",
        "/api/v1/donations/drives/{drive}/walk-ins",
        CHECK_IN,
        "api:POST /api/v1/donations/drives/{drive_id}/walk-ins",
        {"donor": "D0000001"},
    ),
    Route(
        "GET",
        "/api/v1/donations/drives/{drive}/results",
        DRIVE_VIEWERS,
        "api:GET /api/v1/donations/drives/{drive_id}/results",
    ),
]

# Screening, overrides, donations and reactions (donations context, issue 5 items 3 and 5).
# placeholders: {eligible_screening} {physician_screening} {pending_override} {donation}
SCREENERS = frozenset({roles.SCREENER})
COLLECTORS = frozenset({roles.PHLEBOTOMIST})
DIRECTOR = frozenset({roles.MEDICAL_DIRECTOR})
COLLECTION_READERS = frozenset(
    {roles.SCREENER, roles.PHLEBOTOMIST, roles.MEDICAL_DIRECTOR, roles.QUALITY_OFFICER}
)
REACTION_READERS = frozenset({roles.PHLEBOTOMIST, roles.MEDICAL_DIRECTOR, roles.QUALITY_OFFICER})
WALK_VITALS = {
    "weight_kg": 72,
    "temperature_c": 36.8,
    "systolic_mm_hg": 124,
    "diastolic_mm_hg": 78,
    "pulse_bpm": 68,
    "pulse_regular": True,
    "hemoglobin_g_dl": 14.2,
    "hemoglobin_sample": "fingerstick",
    "phlebotomy_site_ok": True,
    "injection_drug_signs": False,
}
_WALK_VITALS_FORM = {
    **{key: str(value) for key, value in WALK_VITALS.items() if not isinstance(value, bool)},
    "pulse_regular": "yes",
    "phlebotomy_site_ok": "yes",
    "injection_drug_signs": "no",
}


def _fresh_din(n: int) -> str:
    return Din("W0001", "25", f"{WALK_DIN_STOCK[0] + n:06d}", "01").data_content


def _donation_page_form(n: int) -> dict[str, Any]:
    # On the walk site's clock, as the donation page reads it.
    now = timezone.localtime(timezone=ZoneInfo("America/Los_Angeles")).strftime("%Y-%m-%dT%H:%M")
    return {
        "din": _fresh_din(n),
        "started_at": now,
        "ended_at": now,
        "volume_ml": "500",
        "bag_lot": "LOT",
        "outcome": "complete",
    }


def _donation_api_body(n: int) -> dict[str, Any]:
    now = timezone.now().isoformat()
    screening = (
        Screening.objects.filter(collection_allowed=True, donation__isnull=True).order_by("pk").first()
    )
    assert screening is not None
    return {
        "screening": screening.pk,
        "din": _fresh_din(n),
        "started_at": now,
        "ended_at": now,
        "volume_ml": 500,
        "bag_lot": "LOT",
        "outcome": "complete",
    }


_SYSTOLIC_OVERRIDE = {
    "reason_code": "systolic_blood_pressure_out_of_range",
    "justification": "walk",
    "password": PASSWORD,
}
COLLECTION_ROUTES: list[Route] = [
    Route("GET", "/donations/screenings/new/", SCREENERS, "donations:screening_new"),
    Route(
        "POST",
        "/donations/screenings/new/",
        SCREENERS,
        "donations:screening_new",
        {"donor": "D0000001", "site": "main", "procedure": "whole_blood", **_WALK_VITALS_FORM},
    ),
    Route(
        "GET", "/donations/screenings/{eligible_screening}/", COLLECTION_READERS, "donations:screening_detail"
    ),
    Route(
        "POST",
        "/donations/screenings/{physician_screening}/override/",
        DIRECTOR,
        "donations:screening_override",
        _SYSTOLIC_OVERRIDE,
    ),
    Route(
        "GET", "/donations/screenings/{eligible_screening}/donation/", COLLECTORS, "donations:donation_new"
    ),
    Route(
        "POST",
        "/donations/screenings/{eligible_screening}/donation/",
        COLLECTORS,
        "donations:donation_new",
        _donation_page_form,
    ),
    Route("GET", "/donations/donations/{donation}/", COLLECTION_READERS, "donations:donation_detail"),
    Route("GET", "/donations/donations/{donation}/reactions/new/", COLLECTORS, "donations:reaction_new"),
    Route(
        "POST",
        "/donations/donations/{donation}/reactions/new/",
        COLLECTORS,
        "donations:reaction_new",
        {"kind": "hematoma", "severity": "mild", "care_given": "walk"},
    ),
    Route(
        "POST",
        "/api/v1/donations/screenings",
        SCREENERS,
        "api:POST /api/v1/donations/screenings",
        {"donor": "D0000001", "site": "main", "procedure": "whole_blood", "vitals": WALK_VITALS},
    ),
    Route(
        "GET",
        "/api/v1/donations/screenings/{eligible_screening}",
        COLLECTION_READERS,
        "api:GET /api/v1/donations/screenings/{screening_id}",
    ),
    Route(
        "POST",
        "/api/v1/donations/screenings/{physician_screening}/override",
        DIRECTOR,
        "api:POST /api/v1/donations/screenings/{screening_id}/override",
        _SYSTOLIC_OVERRIDE,
    ),
    Route(
        "POST",
        "/api/v1/donations/screenings/{physician_screening}/telephone-override",
        SCREENERS,
        "api:POST /api/v1/donations/screenings/{screening_id}/telephone-override",
        {"reason_code": "pulse_out_of_range", "justification": "walk", "director": "medical_director"},
    ),
    Route(
        "GET", "/api/v1/donations/overrides/pending", DIRECTOR, "api:GET /api/v1/donations/overrides/pending"
    ),
    Route(
        "POST",
        "/api/v1/donations/overrides/{pending_override}/sign",
        DIRECTOR,
        "api:POST /api/v1/donations/overrides/{override_id}/sign",
        {"password": PASSWORD},
    ),
    Route(
        "POST",
        "/api/v1/donations/donations",
        COLLECTORS,
        "api:POST /api/v1/donations/donations",
        _donation_api_body,
    ),
    Route(
        "GET",
        "/api/v1/donations/donations/{donation}",
        COLLECTION_READERS,
        "api:GET /api/v1/donations/donations/{donation_id}",
    ),
    Route(
        "POST",
        "/api/v1/donations/donations/{donation}/reactions",
        COLLECTORS,
        "api:POST /api/v1/donations/donations/{donation_id}/reactions",
        {"kind": "hematoma", "severity": "mild", "care_given": "walk"},
    ),
    Route("GET", "/api/v1/donations/reactions", REACTION_READERS, "api:GET /api/v1/donations/reactions"),
]
DONATION_ROUTES += COLLECTION_ROUTES

# Oversight: telephone approvals to sign, reportable reactions, fixed-site hours.
# placeholders: {pending_override} (_collection_world), {reportable_reaction} (_oversight_world)
REACTION_REVIEWERS = frozenset({roles.QUALITY_OFFICER})
OVERSIGHT_ROUTES: list[Route] = [
    Route("GET", "/donations/overrides/pending/", DIRECTOR, "donations:override_pending_list"),
    Route(
        "POST",
        "/donations/overrides/{pending_override}/sign/",
        DIRECTOR,
        "donations:override_pending_sign",
        {"password": PASSWORD},
    ),
    Route("GET", "/donations/reactions/review/", REACTION_READERS, "donations:reaction_review_list"),
    Route(
        "POST",
        "/donations/reactions/{reportable_reaction}/review/",
        REACTION_REVIEWERS,
        "donations:reaction_review",
        {"note": "walk"},
    ),
    Route("GET", "/donations/sites/hours/", DRIVE_VIEWERS, "donations:site_hours"),
    Route(
        "POST",
        "/donations/sites/main/hours/",
        DRIVE_PLANNERS,
        "donations:site_hours_set",
        {"weekday": "0", "opens": "08:00", "closes": "16:00"},
    ),
    Route(
        "POST",
        "/donations/sites/main/closures/",
        DRIVE_PLANNERS,
        "donations:site_closure_add",
        {"date": "2030-01-07", "reason": "walk"},
    ),
    Route(
        "POST",
        "/api/v1/donations/reactions/{reportable_reaction}/review",
        REACTION_REVIEWERS,
        "api:POST /api/v1/donations/reactions/{reaction_id}/review",
        {"note": "walk"},
    ),
    Route(
        "GET",
        "/api/v1/donations/sites/main/hours",
        DRIVE_VIEWERS,
        "api:GET /api/v1/donations/sites/{site_code}/hours",
    ),
    Route(
        "POST",
        "/api/v1/donations/sites/main/hours",
        DRIVE_PLANNERS,
        "api:POST /api/v1/donations/sites/{site_code}/hours",
        {"weekday": 0, "opens": "08:00", "closes": "16:00"},
    ),
    Route(
        "POST",
        "/api/v1/donations/sites/main/closures",
        DRIVE_PLANNERS,
        "api:POST /api/v1/donations/sites/{site_code}/closures",
        {"date": "2030-01-07", "reason": "walk"},
    ),
]
DONATION_ROUTES += OVERSIGHT_ROUTES

# Paid donor programs: basis, rates and figures of a collections program ({program}'s code).
COMPENSATION_READERS = frozenset({roles.PROGRAM_MANAGER, roles.CONTROLLER, roles.ACCOUNTANT, roles.EXECUTIVE})
COMPENSATION_MANAGERS = frozenset({roles.PROGRAM_MANAGER})
_RATE = {"procedure": "platelets", "amount": "50.00", "effective_from": "2030-01-01"}
_BASIS = {"basis": "paid", "effective_from": "2025-01-01"}


COMPENSATION_ROUTES: list[Route] = [
    Route("GET", "/donations/programs/", COMPENSATION_READERS, "donations:compensation_programs"),
    Route("GET", "/donations/programs/ca-fixed/", COMPENSATION_READERS, "donations:compensation_program"),
    Route(
        "POST",
        "/donations/programs/ca-fixed/rates/",
        COMPENSATION_MANAGERS,
        "donations:compensation_rate_set",
        _RATE,
    ),
    Route(
        "POST",
        "/donations/programs/ca-mobile/basis/",
        COMPENSATION_MANAGERS,
        "donations:compensation_basis_set",
        _BASIS,
    ),
    Route(
        "GET",
        "/api/v1/donations/programs/ca-fixed/compensation",
        COMPENSATION_READERS,
        "api:GET /api/v1/donations/programs/{code}/compensation",
    ),
    Route(
        "GET",
        "/api/v1/donations/programs/ca-fixed/figures",
        COMPENSATION_READERS,
        "api:GET /api/v1/donations/programs/{code}/figures",
    ),
    Route(
        "POST",
        "/api/v1/donations/programs/ca-fixed/rates",
        COMPENSATION_MANAGERS,
        "api:POST /api/v1/donations/programs/{code}/rates",
        _RATE,
    ),
    Route(
        "POST",
        "/api/v1/donations/programs/ca-mobile/basis",
        COMPENSATION_MANAGERS,
        "api:POST /api/v1/donations/programs/{code}/basis",
        _BASIS,
    ),
]
DONATION_ROUTES += COMPENSATION_ROUTES

# Recruitment lists: donors eligible to give, with their contacts (recruiters only).
RECRUITERS = frozenset({roles.RECRUITER})
DONATION_ROUTES += [
    Route("GET", "/donations/recruitment/", RECRUITERS, "donations:recruitment_list"),
    Route("GET", "/donations/recruitment/?procedure=whole_blood", RECRUITERS, "donations:recruitment_list"),
    Route("GET", "/donations/recruitment.csv?procedure=whole_blood", RECRUITERS, "donations:recruitment_csv"),
    Route(
        "GET",
        "/api/v1/donations/recruitment?procedure=whole_blood",
        RECRUITERS,
        "api:GET /api/v1/donations/recruitment",
    ),
    Route(
        "GET",
        "/api/v1/donations/recruitment.csv?procedure=whole_blood",
        RECRUITERS,
        "api:GET /api/v1/donations/recruitment.csv",
    ),
]

# The laboratory (issue 6 item 6).
# placeholders: {lab_donation} {lab_din} (acceptable), {discrepancy_donation}; per role, one
# each (see _lab_world): {unverified_result} {active_hold} {notification}
LAB_READERS = frozenset(
    {roles.LAB_TECHNOLOGIST, roles.LAB_SUPERVISOR, roles.QUALITY_OFFICER, roles.MEDICAL_DIRECTOR}
)
LAB_WORKERS = frozenset({roles.LAB_TECHNOLOGIST, roles.LAB_SUPERVISOR})  # import, enter, verify
LAB_HOLDERS = frozenset({roles.LAB_TECHNOLOGIST, roles.LAB_SUPERVISOR, roles.QUALITY_OFFICER})
LAB_SUPERVISOR = frozenset({roles.LAB_SUPERVISOR})
LAB_PANEL = [
    "anti_hiv_1_2", "hiv_nat", "hbsag", "anti_hbc", "hbv_nat", "anti_hcv", "hcv_nat", "anti_htlv", "syphilis",
    "wnv_nat", "t_cruzi", "abo", "rhd", "antibody_screen",
]  # fmt: skip
NOTIFICATION_READERS = frozenset({roles.LAB_SUPERVISOR, roles.QUALITY_OFFICER, roles.MEDICAL_DIRECTOR})
NOTIFIERS = frozenset({roles.LAB_SUPERVISOR, roles.MEDICAL_DIRECTOR})


def _acceptable_donation() -> Donation:
    testing = DonationTesting.objects.filter(status="acceptable").order_by("pk").first()
    assert testing is not None
    return testing.donation


def _result_file(n: int) -> dict[str, Any]:
    din = _acceptable_donation().din.din
    data = file_of([line(din, "wnv_nat", "individual", "nonreactive", run=f"WALK{n}")])
    return {"file": SimpleUploadedFile(f"walk{n}.csv", data, content_type="text/csv")}


def _hand_result(n: int) -> dict[str, Any]:
    return {
        "din": _acceptable_donation().din.din,
        "marker": "wnv_nat",
        "stage": "individual",
        "reading": "nonreactive",
    }


def _release_page(n: int) -> dict[str, Any]:
    return {"donations": [_acceptable_donation().pk], "password": PASSWORD}


def _release_api(n: int) -> dict[str, Any]:
    return {"dins": [_acceptable_donation().din.din], "password": PASSWORD}


_DISCREPANCY = {"abo": "B", "rhd": "pos", "reason": "walk", "password": PASSWORD}
LAB_ROUTES: list[Route] = [
    Route("GET", "/lab/", LAB_READERS, "lab:home"),
    Route("GET", "/lab/donations/find/", LAB_READERS, "lab:donation_find"),
    Route("GET", "/lab/donations/{lab_donation}/", LAB_READERS, "lab:testing_detail"),
    Route("POST", "/lab/donations/{lab_donation}/holds/", LAB_HOLDERS, "lab:hold_place", {"reason": "walk"}),
    Route("POST", "/lab/holds/{active_hold}/lift/", LAB_HOLDERS, "lab:hold_lift", {"reason": "walk"}),
    Route(
        "GET", "/lab/donations/{discrepancy_donation}/discrepancy/", LAB_SUPERVISOR, "lab:discrepancy_resolve"
    ),
    Route(
        "POST",
        "/lab/donations/{discrepancy_donation}/discrepancy/",
        LAB_SUPERVISOR,
        "lab:discrepancy_resolve",
        _DISCREPANCY,
    ),
    Route(
        "POST",
        "/lab/donations/{lab_donation}/special-tests/",
        LAB_WORKERS,
        "lab:special_test_record",
        {"test": "cmv_antibody", "result": "negative"},
    ),
    Route(
        "POST",
        "/lab/donations/{platelet_donation}/bacterial-control/",
        LAB_WORKERS,
        "lab:bacterial_control_record",
        {"method": "lvds"},
    ),
    Route(
        "POST",
        "/api/v1/lab/donations/{lab_din}/special-tests",
        LAB_WORKERS,
        "api:POST /api/v1/lab/donations/{din}/special-tests",
        {"test": "hemoglobin_s", "result": "negative"},
    ),
    Route(
        "POST",
        "/api/v1/lab/donations/{platelet_din}/bacterial-control",
        LAB_WORKERS,
        "api:POST /api/v1/lab/donations/{din}/bacterial-control",
        {"method": "pathogen_reduction"},
    ),
    Route("GET", "/lab/results/import/", LAB_WORKERS, "lab:results_import"),
    Route("POST", "/lab/results/import/", LAB_WORKERS, "lab:results_import", _result_file),
    Route("GET", "/lab/results/new/", LAB_WORKERS, "lab:result_enter"),
    Route("POST", "/lab/results/new/", LAB_WORKERS, "lab:result_enter", _hand_result),
    Route("POST", "/lab/results/{unverified_result}/verify/", LAB_WORKERS, "lab:result_verify"),
    Route("GET", "/lab/releases/", LAB_READERS, "lab:release_queue"),
    Route("POST", "/lab/releases/", LAB_SUPERVISOR, "lab:release_queue", _release_page),
    Route("GET", "/lab/notifications/", NOTIFICATION_READERS, "lab:notification_list"),
    Route(
        "POST", "/lab/notifications/{notification}/done/", NOTIFIERS, "lab:notification_done", {"how": "walk"}
    ),
    Route("GET", "/lab/deferred-donors/", LAB_READERS, "lab:deferred_donor_list"),
    Route(
        "POST", "/api/v1/lab/results/import", LAB_WORKERS, "api:POST /api/v1/lab/results/import", _result_file
    ),
    Route("POST", "/api/v1/lab/results", LAB_WORKERS, "api:POST /api/v1/lab/results", _hand_result),
    Route(
        "POST",
        "/api/v1/lab/results/{unverified_result}/verify",
        LAB_WORKERS,
        "api:POST /api/v1/lab/results/{result_id}/verify",
    ),
    Route("GET", "/api/v1/lab/donations/{lab_din}", LAB_READERS, "api:GET /api/v1/lab/donations/{din}"),
    Route(
        "POST",
        "/api/v1/lab/donations/{lab_din}/holds",
        LAB_HOLDERS,
        "api:POST /api/v1/lab/donations/{din}/holds",
        {"reason": "walk"},
    ),
    Route(
        "POST",
        "/api/v1/lab/holds/{active_hold}/lift",
        LAB_HOLDERS,
        "api:POST /api/v1/lab/holds/{hold_id}/lift",
        {"reason": "walk"},
    ),
    Route("POST", "/api/v1/lab/releases", LAB_SUPERVISOR, "api:POST /api/v1/lab/releases", _release_api),
    Route(
        "GET",
        "/api/v1/lab/worklists/release-queue",
        LAB_READERS,
        "api:GET /api/v1/lab/worklists/release-queue",
    ),
    Route(
        "GET",
        "/api/v1/lab/worklists/notifications",
        NOTIFICATION_READERS,
        "api:GET /api/v1/lab/worklists/notifications",
    ),
    Route("GET", "/api/v1/lab/deferred-donors", LAB_READERS, "api:GET /api/v1/lab/deferred-donors"),
]

# Components (issue 7 item 8). placeholders (see _components_world): {comp_unit} red cells,
# quarantined, unprinted; {comp_printed} printed, not verified; {comp_whole_blood};
# {comp_free_din} a donation without units; {comp_location} {comp_excursion}; per role:
# {comp_ready} (verified, quarantined), {comp_available}, {comp_allocated}, {comp_shipped},
# {comp_hold}.
COMPONENT_READERS = frozenset(
    {
        roles.COMPONENT_TECHNOLOGIST,
        roles.DISTRIBUTION_CLERK,
        roles.QUALITY_OFFICER,
        roles.MEDICAL_DIRECTOR,
        roles.LAB_SUPERVISOR,
        roles.ADMINISTRATOR,
    }
)
COMPONENT_MAKERS = frozenset({roles.COMPONENT_TECHNOLOGIST})  # manufacture, label
COMPONENT_MOVERS = frozenset({roles.COMPONENT_TECHNOLOGIST, roles.DISTRIBUTION_CLERK})
COMPONENT_ALLOCATORS = frozenset({roles.DISTRIBUTION_CLERK})
COMPONENT_HOLDERS = frozenset({roles.COMPONENT_TECHNOLOGIST, roles.DISTRIBUTION_CLERK, roles.QUALITY_OFFICER})
TEMPERATURE_IMPORTERS = frozenset({roles.COMPONENT_TECHNOLOGIST, roles.QUALITY_OFFICER})
EXCURSION_DECIDERS = frozenset({roles.QUALITY_OFFICER})


def _free_whole_blood_din() -> str:
    donation = (
        Donation.objects.filter(procedure="whole_blood", outcome="complete", unit_sources__isnull=True)
        .order_by("pk")
        .first()
    )
    assert donation is not None
    return donation.din.din


def _pool_members() -> list[Unit]:
    return list(Unit.objects.filter(product__code="A0010", status="quarantined").order_by("pk"))


def _pool_page(n: int) -> dict[str, Any]:
    members = "\n".join(f"{unit.din} {unit.product_code}" for unit in _pool_members())
    return {"units": members, "product": "A0011"}


def _pool_api(n: int) -> dict[str, Any]:
    return {
        "units": [{"din": unit.din, "product_code": unit.product_code} for unit in _pool_members()],
        "product": "A0011",
    }


def _printed_scans() -> list[str]:
    unit = Unit.objects.select_related("product", "site").get(
        ~Q(label_digest=""), product__code="A0007", status="quarantined"
    )
    return [b.data for b in barcodes(label_services.unit_label_content(unit))]


def _verify_page(n: int) -> dict[str, Any]:
    return dict(zip(("din", "blood_group", "product_code", "expiry"), _printed_scans(), strict=True))


def _collect_page(n: int) -> dict[str, Any]:
    return {"din": _free_whole_blood_din(), "product": "A0001", "parts": 1}


def _store(n: int) -> dict[str, Any]:
    return {"location": StorageLocation.objects.order_by("pk").first().pk}  # type: ignore[union-attr]


def _temperature_file(n: int) -> dict[str, Any]:
    data = f"recorded_at,temperature_c\n2025-02-{n % 28 + 1:02d}T10:00:00Z,4.0\n".encode()
    return {"file": SimpleUploadedFile(f"walk{n}.csv", data, content_type="text/csv")}


def _catalogue_file(n: int) -> dict[str, Any]:
    data = local_catalogue_bytes().replace(b"version=2026.1", f"version=walk{n}".encode())
    return {"file": SimpleUploadedFile(f"walk{n}.csv", data, content_type="text/csv")}


_DISCARD = {"disposition": "discarded", "reason": "walk"}
_UNIT_API = "/api/v1/components/units"
COMPONENT_ROUTES: list[Route] = [
    Route("GET", "/components/", COMPONENT_READERS, "components:worklist"),
    Route("POST", "/components/collect/", COMPONENT_MAKERS, "components:units_collect", _collect_page),
    Route("POST", "/components/pool/", COMPONENT_MAKERS, "components:units_pool", _pool_page),
    Route("GET", "/components/units/{comp_unit}/", COMPONENT_READERS, "components:unit_detail"),
    Route(
        "POST",
        "/components/units/{comp_whole_blood}/process/",
        COMPONENT_MAKERS,
        "components:unit_process",
        {"products": ["A0002"], "parts": 1},
    ),
    Route("POST", "/components/units/{comp_unit}/label/", COMPONENT_MAKERS, "components:label_print"),
    Route("GET", "/components/units/{comp_printed}/label.pdf", COMPONENT_MAKERS, "components:label_pdf"),
    Route("GET", "/components/units/{comp_printed}/label.zpl", COMPONENT_MAKERS, "components:label_zpl"),
    Route("GET", "/components/units/{comp_printed}/verify/", COMPONENT_MAKERS, "components:label_verify"),
    Route(
        "POST",
        "/components/units/{comp_printed}/verify/",
        COMPONENT_MAKERS,
        "components:label_verify",
        _verify_page,
    ),
    Route("POST", "/components/units/{comp_ready}/available/", COMPONENT_MOVERS, "components:unit_available"),
    Route("POST", "/components/units/{comp_ready}/store/", COMPONENT_MOVERS, "components:unit_store", _store),
    Route(
        "POST",
        "/components/units/{comp_ready}/holds/",
        COMPONENT_HOLDERS,
        "components:unit_hold",
        {"reason": "walk"},
    ),
    Route(
        "POST",
        "/components/units/{comp_ready}/discard/",
        COMPONENT_MOVERS,
        "components:unit_discard",
        _DISCARD,
    ),
    Route(
        "POST",
        "/components/units/{comp_available}/quarantine/",
        COMPONENT_MOVERS,
        "components:unit_quarantine",
        {"reason": "walk"},
    ),
    Route(
        "POST",
        "/components/holds/{comp_hold}/lift/",
        COMPONENT_HOLDERS,
        "components:hold_lift",
        {"reason": "walk"},
    ),
    Route("GET", "/components/stock/", COMPONENT_READERS, "components:stock_board"),
    Route(
        "GET",
        "/components/stock/pick/?product=A0002&abo=O&rhd=pos&count=4",
        COMPONENT_READERS,
        "components:pick_list",
    ),
    Route("GET", "/components/storage/", COMPONENT_READERS, "components:storage"),
    Route("GET", "/components/storage/{comp_location}/", COMPONENT_READERS, "components:location_detail"),
    Route(
        "POST",
        "/components/storage/{comp_location}/temperatures/",
        TEMPERATURE_IMPORTERS,
        "components:temperatures_import",
        _temperature_file,
    ),
    Route("GET", "/components/excursions/", COMPONENT_READERS, "components:excursions"),
    Route(
        "POST",
        "/components/excursions/{comp_excursion}/decide/",
        EXCURSION_DECIDERS,
        "components:excursion_decide",
        {"decision": "units_released", "note": "walk"},
    ),
    Route("GET", "/components/catalogue/", COMPONENT_READERS, "components:catalogue"),
    Route(
        "POST", "/components/catalogue/import/", ADMINISTRATOR, "components:catalogue_import", _catalogue_file
    ),
    Route(
        "GET", f"{_UNIT_API}/{{comp_unit}}", COMPONENT_READERS, "api:GET /api/v1/components/units/{unit_id}"
    ),
    Route(
        "POST",
        "/api/v1/components/donations/{comp_free_din}/units",
        COMPONENT_MAKERS,
        "api:POST /api/v1/components/donations/{din}/units",
        {"product": "A0001"},
    ),
    Route(
        "POST",
        f"{_UNIT_API}/{{comp_whole_blood}}/process",
        COMPONENT_MAKERS,
        "api:POST /api/v1/components/units/{unit_id}/process",
        {"products": ["A0002"]},
    ),
    Route("POST", f"{_UNIT_API}/pool", COMPONENT_MAKERS, "api:POST /api/v1/components/units/pool", _pool_api),
    Route(
        "POST",
        f"{_UNIT_API}/{{comp_unit}}/label",
        COMPONENT_MAKERS,
        "api:POST /api/v1/components/units/{unit_id}/label",
    ),
    Route(
        "POST",
        f"{_UNIT_API}/{{comp_printed}}/label/verify",
        COMPONENT_MAKERS,
        "api:POST /api/v1/components/units/{unit_id}/label/verify",
        lambda n: {"scans": _printed_scans()},
    ),
    Route(
        "POST",
        f"{_UNIT_API}/{{comp_ready}}/available",
        COMPONENT_MOVERS,
        "api:POST /api/v1/components/units/{unit_id}/available",
    ),
    Route(
        "POST",
        f"{_UNIT_API}/{{comp_available}}/allocate",
        COMPONENT_ALLOCATORS,
        "api:POST /api/v1/components/units/{unit_id}/allocate",
        {"reference": "walk"},
    ),
    Route(
        "POST",
        f"{_UNIT_API}/{{comp_allocated}}/ship",
        COMPONENT_ALLOCATORS,
        "api:POST /api/v1/components/units/{unit_id}/ship",
        {"consignee": "walk"},
    ),
    Route(
        "POST",
        f"{_UNIT_API}/{{comp_shipped}}/return",
        COMPONENT_MOVERS,
        "api:POST /api/v1/components/units/{unit_id}/return",
        {"reason": "walk"},
    ),
    Route(
        "POST",
        f"{_UNIT_API}/{{comp_ready}}/dispose",
        COMPONENT_MOVERS,
        "api:POST /api/v1/components/units/{unit_id}/dispose",
        _DISCARD,
    ),
    Route(
        "POST",
        f"{_UNIT_API}/{{comp_ready}}/store",
        COMPONENT_MOVERS,
        "api:POST /api/v1/components/units/{unit_id}/store",
        _store,
    ),
    Route(
        "POST",
        f"{_UNIT_API}/{{comp_ready}}/holds",
        COMPONENT_HOLDERS,
        "api:POST /api/v1/components/units/{unit_id}/holds",
        {"reason": "walk"},
    ),
    Route(
        "POST",
        "/api/v1/components/holds/{comp_hold}/lift",
        COMPONENT_HOLDERS,
        "api:POST /api/v1/components/holds/{hold_id}/lift",
        {"reason": "walk"},
    ),
    Route("GET", "/api/v1/components/stock", COMPONENT_READERS, "api:GET /api/v1/components/stock"),
    Route(
        "GET",
        "/api/v1/components/stock/pick?product=A0002&abo=O&rhd=pos&count=2",
        COMPONENT_READERS,
        "api:GET /api/v1/components/stock/pick",
    ),
    Route("GET", "/api/v1/components/locations", COMPONENT_READERS, "api:GET /api/v1/components/locations"),
    Route(
        "POST",
        "/api/v1/components/locations/{comp_location}/temperatures",
        TEMPERATURE_IMPORTERS,
        "api:POST /api/v1/components/locations/{location_id}/temperatures",
        _temperature_file,
    ),
    Route(
        "POST",
        "/api/v1/components/excursions/{comp_excursion}/decision",
        EXCURSION_DECIDERS,
        "api:POST /api/v1/components/excursions/{excursion_id}/decision",
        {"decision": "units_released", "note": "walk"},
    ),
    Route("GET", "/api/v1/components/products", COMPONENT_READERS, "api:GET /api/v1/components/products"),
    Route(
        "POST",
        "/api/v1/components/catalogue",
        ADMINISTRATOR,
        "api:POST /api/v1/components/catalogue",
        _catalogue_file,
    ),
]

ROUTES += DONOR_ROUTES + DONATION_ROUTES + LAB_ROUTES + COMPONENT_ROUTES

# Issue 8: the billing and distribution lists and blank forms.
_BILLING_READERS = frozenset({roles.ACCOUNTANT, roles.CONTROLLER, roles.EXECUTIVE})
_INVOICE_READERS = _BILLING_READERS | {roles.HOSPITAL_USER}
_CONTRACT_READERS = _INVOICE_READERS | {roles.DISTRIBUTION_CLERK}
_BILLING_WRITERS = frozenset({roles.ACCOUNTANT, roles.CONTROLLER})
_ORDER_READERS = frozenset(
    {
        roles.DISTRIBUTION_CLERK,
        roles.HOSPITAL_USER,
        roles.MEDICAL_DIRECTOR,
        roles.QUALITY_OFFICER,
        roles.ACCOUNTANT,
        roles.CONTROLLER,
        roles.EXECUTIVE,
    }
)
_ORDER_PLACERS = frozenset({roles.DISTRIBUTION_CLERK, roles.HOSPITAL_USER})
TRADE_ROUTES: list[Route] = [
    Route("GET", "/billing/contracts/", _CONTRACT_READERS, "billing:contract_list"),
    Route("GET", "/billing/contracts/new/", _BILLING_WRITERS, "billing:contract_new"),
    Route("GET", "/billing/invoices/", _INVOICE_READERS, "billing:invoice_list"),
    Route("GET", "/billing/charges/", _BILLING_READERS, "billing:charge_list"),
    Route("GET", "/billing/receipts/", _INVOICE_READERS, "billing:receipt_list"),
    Route("GET", "/billing/receipts/new/", _BILLING_WRITERS, "billing:receipt_new"),
    Route("GET", "/billing/aging/", _INVOICE_READERS, "billing:aging_report"),
    Route("GET", "/api/v1/billing/contracts", _CONTRACT_READERS, "api:GET /api/v1/billing/contracts"),
    Route("GET", "/api/v1/billing/invoices", _INVOICE_READERS, "api:GET /api/v1/billing/invoices"),
    Route("GET", "/api/v1/billing/charges", _BILLING_READERS, "api:GET /api/v1/billing/charges"),
    Route("GET", "/api/v1/billing/receipts", _INVOICE_READERS, "api:GET /api/v1/billing/receipts"),
    Route("GET", "/api/v1/billing/aging", _INVOICE_READERS, "api:GET /api/v1/billing/aging"),
    Route("GET", "/distribution/orders/", _ORDER_READERS, "distribution:order_list"),
    Route("GET", "/distribution/orders/new/", _ORDER_PLACERS, "distribution:order_new"),
    Route("GET", "/distribution/shipments/", _ORDER_READERS, "distribution:shipment_list"),
    Route("GET", "/distribution/standing-orders/", _ORDER_READERS, "distribution:standing_order_list"),
    Route("GET", "/distribution/reports/", _ORDER_READERS, "distribution:hospital_report"),
    Route("GET", "/api/v1/distribution/orders", _ORDER_READERS, "api:GET /api/v1/distribution/orders"),
    Route("GET", "/api/v1/distribution/shipments", _ORDER_READERS, "api:GET /api/v1/distribution/shipments"),
    Route(
        "GET",
        "/api/v1/distribution/standing-orders",
        _ORDER_READERS,
        "api:GET /api/v1/distribution/standing-orders",
    ),
]

# Issue 8, on one record: placeholders (the trade world, see _trade_world and _billing_world):
# {contract} the hospital's contract (monthly); {invoice} an invoice of it; per role {charge}
# an unbilled charge; {order} a shipped order and {shipment} its shipment; {allocate_order}
# placed, a unit in stock to fill it; {allocated_order} allocated, not packed; per role
# {cancel_order} placed; {packing_shipment} a unit not scanned; {scanned_shipment} every unit
# scanned; per role {shipped_shipment} and {item} (shipped, half an hour ago); {return_item}
# shipped; {shipped_unit} its unit.
_RECEIVERS = _ORDER_PLACERS  # the clerk on the hospital's behalf, and the hospital's own
_CLERK = frozenset({roles.DISTRIBUTION_CLERK})
_WALK_LINE = {"product": "A0002", "abo": "O", "rhd": "pos", "quantity": 1}


def _today() -> str:
    return timezone.localdate().isoformat()


def _old_contract(n: int) -> dict[str, Any]:
    # A year of its own long before the hospital's contract, which is in force from 2024: a
    # hospital has one contract in force on any day.
    year = 1900 + n % 100
    return {
        "hospital": "cedars",
        "number": f"C-WALK-{n}",
        "starts_on": f"{year}-01-01",
        "ends_on": f"{year}-12-31",
        "terms_days": 30,
        "invoicing": "monthly",
    }


def _later_price(n: int) -> dict[str, Any]:
    return {
        "item_code": "WB",
        "unit_price": "181.00",
        "effective_from": (date(2030, 1, 1) + timedelta(days=n)).isoformat(),
    }


def _unbilled() -> Charge:
    """The walk hospital's oldest charge neither invoiced nor credited."""
    charge = (
        Charge.objects.filter(hospital__code="cedars", invoice__isnull=True, credit_note__isnull=True)
        .order_by("occurred_on", "pk")
        .first()
    )
    assert charge is not None
    return charge


def _invoice_page(n: int) -> dict[str, Any]:
    # The oldest month still unbilled: each role that may invoice bills a month of its own.
    month = _unbilled().occurred_on.replace(day=1)
    return {"issued_on": _today(), "period_start": month.isoformat()}


def _invoice_api(n: int) -> dict[str, Any]:
    charge = _unbilled()
    return {
        "contract_id": charge.contract_id,
        "issued_on": _today(),
        "period_start": charge.occurred_on.replace(day=1).isoformat(),
    }


def _receipt(n: int) -> dict[str, Any]:
    return {"hospital": "cedars", "reference": f"WALK-{n}", "received_on": _today(), "amount": "10.00"}


def _unscanned_labels() -> list[str]:
    """The label of a unit being packed, one not scanned yet first (every principal's request
    is answered, the clerk's consumes it)."""
    item = (
        ShipmentItem.objects.filter(shipment__status="packing")
        .order_by(F("scanned_at").asc(nulls_first=True), "pk")
        .select_related("unit")
        .first()
    )
    assert item is not None
    return label_scans(item.unit)


def _return_page(n: int) -> dict[str, Any]:
    # The form takes whole minutes: now, which is after the shipment left (half an hour ago).
    return {"returned_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "seal_intact": "on"}


def _return_api(n: int) -> dict[str, Any]:
    return {
        "returned_at": timezone.now().isoformat(),
        "container_validated": True,
        "lowest_c": "2.0",
        "highest_c": "5.0",
        "seal_intact": True,
    }


def _standing_page(n: int) -> dict[str, Any]:
    return {
        "hospital": "cedars",
        "name": f"Walk {n}",
        "weekdays": ["1", "3"],
        "delivery": "on",
        **line_data(),
    }


def _standing_api(n: int) -> dict[str, Any]:
    return {"hospital": "cedars", "name": f"Walk {n}", "weekdays": [1, 3], "lines": [_WALK_LINE]}


_BILLING_API = "/api/v1/billing"
TRADE_ROUTES += [
    Route(
        "POST",
        "/billing/contracts/new/",
        _BILLING_WRITERS,
        "billing:contract_new",
        lambda n: {**_old_contract(n), "prices": ""},
    ),
    Route(
        "GET",
        "/billing/contracts/{contract}/",
        _CONTRACT_READERS,
        "billing:contract_detail",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/billing/contracts/{contract}/prices/",
        _BILLING_WRITERS,
        "billing:prices_add",
        _later_price,
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/billing/contracts/{contract}/invoice/",
        _BILLING_WRITERS,
        "billing:invoice_issue",
        _invoice_page,
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/billing/invoices/issue/",
        _BILLING_WRITERS,
        "billing:invoices_issue",
        lambda n: {"on": _today()},
    ),
    Route(
        "GET",
        "/billing/invoices/{invoice}/",
        _INVOICE_READERS,
        "billing:invoice_detail",
        hospital_scoped=True,
    ),
    Route(
        "GET",
        "/billing/invoices/{invoice}/pdf",
        _INVOICE_READERS,
        "billing:invoice_pdf",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/billing/charges/{charge}/credit/",
        _BILLING_WRITERS,
        "billing:charge_credit",
        lambda n: {"issued_on": _today(), "reason": "walk"},
        hospital_scoped=True,
    ),
    Route("POST", "/billing/receipts/new/", _BILLING_WRITERS, "billing:receipt_new", _receipt),
    Route(
        "POST",
        f"{_BILLING_API}/contracts",
        _BILLING_WRITERS,
        "api:POST /api/v1/billing/contracts",
        _old_contract,
    ),
    Route(
        "GET",
        f"{_BILLING_API}/contracts/{{contract}}",
        _CONTRACT_READERS,
        "api:GET /api/v1/billing/contracts/{contract_id}",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_BILLING_API}/contracts/{{contract}}/prices",
        _BILLING_WRITERS,
        "api:POST /api/v1/billing/contracts/{contract_id}/prices",
        lambda n: {"prices": [_later_price(n)]},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_BILLING_API}/invoices",
        _BILLING_WRITERS,
        "api:POST /api/v1/billing/invoices",
        _invoice_api,
    ),
    Route(
        "POST",
        f"{_BILLING_API}/invoices/run",
        _BILLING_WRITERS,
        "api:POST /api/v1/billing/invoices/run",
        lambda n: {"on": _today()},
    ),
    Route(
        "GET",
        f"{_BILLING_API}/invoices/{{invoice}}",
        _INVOICE_READERS,
        "api:GET /api/v1/billing/invoices/{invoice_id}",
        hospital_scoped=True,
    ),
    Route(
        "GET",
        f"{_BILLING_API}/invoices/{{invoice}}/pdf",
        _INVOICE_READERS,
        "api:GET /api/v1/billing/invoices/{invoice_id}/pdf",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_BILLING_API}/credit-notes",
        _BILLING_WRITERS,
        "api:POST /api/v1/billing/credit-notes",
        lambda n: {"charge_ids": [_unbilled().pk], "issued_on": _today(), "reason": "walk"},
    ),
    Route(
        "POST", f"{_BILLING_API}/receipts", _BILLING_WRITERS, "api:POST /api/v1/billing/receipts", _receipt
    ),
]

_DISTRIBUTION_API = "/api/v1/distribution"
TRADE_ROUTES += [
    # Another hospital's user places its own hospital's order: the page names no hospital.
    Route(
        "POST",
        "/distribution/orders/new/",
        _ORDER_PLACERS,
        "distribution:order_new",
        {"hospital": "cedars", "priority": "routine", **line_data()},
    ),
    Route(
        "GET",
        "/distribution/orders/{order}/",
        _ORDER_READERS,
        "distribution:order_detail",
        hospital_scoped=True,
    ),
    # The allocation run: every open order, STAT first.
    Route("POST", "/distribution/orders/allocate/", _CLERK, "distribution:orders_allocate"),
    Route(
        "POST",
        "/distribution/orders/{allocate_order}/allocate/",
        _CLERK,
        "distribution:order_allocate",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/orders/{cancel_order}/cancel/",
        _ORDER_PLACERS,
        "distribution:order_cancel",
        {"reason": "walk"},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/orders/{allocated_order}/shipments/",
        _CLERK,
        "distribution:shipment_create",
        hospital_scoped=True,
    ),
    Route(
        "GET",
        "/distribution/shipments/{shipment}/",
        _ORDER_READERS,
        "distribution:shipment_detail",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/shipments/{packing_shipment}/scan/",
        _CLERK,
        "distribution:scan_unit",
        lambda n: {"scans": "\n".join(_unscanned_labels())},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/shipments/{scanned_shipment}/ship/",
        _CLERK,
        "distribution:shipment_ship",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/shipments/{shipped_shipment}/receive/",
        _RECEIVERS,
        "distribution:shipment_receive",
        {"note": "walk"},
        hospital_scoped=True,
    ),
    Route(
        "GET",
        "/distribution/shipments/{shipment}/packing-list.pdf",
        _ORDER_READERS,
        "distribution:packing_list_pdf",
        hospital_scoped=True,
    ),
    Route(
        "GET",
        "/distribution/shipments/{shipment}/manifest.json",
        _ORDER_READERS,
        "distribution:shipment_manifest",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/items/{item}/disposition/",
        _RECEIVERS,
        "distribution:item_disposition",
        {"disposition": "transfused"},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/items/{return_item}/return/",
        _CLERK,
        "distribution:item_return",
        _return_page,
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/standing-orders/new/",
        _CLERK,
        "distribution:standing_order_new",
        _standing_page,
    ),
    # The API's order names its hospital: another hospital's user may not order for it (404).
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/orders",
        _ORDER_PLACERS,
        "api:POST /api/v1/distribution/orders",
        {"hospital": "cedars", "lines": [_WALK_LINE]},
        hospital_scoped=True,
    ),
    Route(
        "GET",
        f"{_DISTRIBUTION_API}/orders/{{order}}",
        _ORDER_READERS,
        "api:GET /api/v1/distribution/orders/{order_id}",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/orders/allocate",
        _CLERK,
        "api:POST /api/v1/distribution/orders/allocate",
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/orders/{{allocate_order}}/allocate",
        _CLERK,
        "api:POST /api/v1/distribution/orders/{order_id}/allocate",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/orders/{{cancel_order}}/cancel",
        _ORDER_PLACERS,
        "api:POST /api/v1/distribution/orders/{order_id}/cancel",
        {"reason": "walk"},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/orders/{{allocated_order}}/shipments",
        _CLERK,
        "api:POST /api/v1/distribution/orders/{order_id}/shipments",
        hospital_scoped=True,
    ),
    Route(
        "GET",
        f"{_DISTRIBUTION_API}/shipments/{{shipment}}",
        _ORDER_READERS,
        "api:GET /api/v1/distribution/shipments/{shipment_id}",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/shipments/{{packing_shipment}}/scan",
        _CLERK,
        "api:POST /api/v1/distribution/shipments/{shipment_id}/scan",
        lambda n: {"scans": _unscanned_labels()},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/shipments/{{scanned_shipment}}/ship",
        _CLERK,
        "api:POST /api/v1/distribution/shipments/{shipment_id}/ship",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/shipments/{{shipped_shipment}}/receive",
        _RECEIVERS,
        "api:POST /api/v1/distribution/shipments/{shipment_id}/receive",
        {"note": "walk"},
        hospital_scoped=True,
    ),
    Route(
        "GET",
        f"{_DISTRIBUTION_API}/shipments/{{shipment}}/manifest",
        _ORDER_READERS,
        "api:GET /api/v1/distribution/shipments/{shipment_id}/manifest",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/items/{{return_item}}/return",
        _CLERK,
        "api:POST /api/v1/distribution/items/{item_id}/return",
        _return_api,
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/items/{{item}}/disposition",
        _RECEIVERS,
        "api:POST /api/v1/distribution/items/{item_id}/disposition",
        {"disposition": "transfused"},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/standing-orders",
        _CLERK,
        "api:POST /api/v1/distribution/standing-orders",
        _standing_api,
    ),
]

# FHIR (/fhir): answered like the API. ``metadata`` is public, as FHIR expects; a search answers
# every caller, and whoever may not see a record finds none of them; placing a SupplyRequest
# needs the API token, and a hospital it may not order for is the same 422 as one that does
# not exist.
_UNIT_READERS = COMPONENT_READERS | {roles.HOSPITAL_USER}  # a hospital's user: units shipped to it
FHIR_ROUTES: list[Route] = [
    Route("GET", "/fhir/metadata", EVERYONE | {ANONYMOUS}, "fhir:metadata"),
    Route(
        "GET",
        "/fhir/BiologicallyDerivedProduct",
        _UNIT_READERS,
        "fhir:biologicallyderivedproducts",
        hospital_scoped=True,
        search=True,
    ),
    Route(
        "GET",
        "/fhir/BiologicallyDerivedProduct/{shipped_unit}",
        _UNIT_READERS,
        "fhir:biologicallyderivedproduct",
        hospital_scoped=True,
    ),
    Route(
        "GET", "/fhir/SupplyRequest", _ORDER_READERS, "fhir:supplyrequests", hospital_scoped=True, search=True
    ),
    Route(
        "POST",
        "/fhir/SupplyRequest",
        _ORDER_PLACERS,
        "fhir:supplyrequests",
        lambda n: supply_request(),
        hospital_scoped=True,
        refusals=frozenset({403, 404, 422}),
    ),
    Route("GET", "/fhir/SupplyRequest/{order}", _ORDER_READERS, "fhir:supplyrequest", hospital_scoped=True),
    Route(
        "GET",
        "/fhir/SupplyDelivery",
        _ORDER_READERS,
        "fhir:supplydeliveries",
        hospital_scoped=True,
        search=True,
    ),
    Route("GET", "/fhir/SupplyDelivery/{item}", _ORDER_READERS, "fhir:supplydelivery", hospital_scoped=True),
]
ROUTES += TRADE_ROUTES + FHIR_ROUTES

KNOWN_BROKEN: dict[str, str] = {}  # route name → why it fails for a reason outside the route (strict)

# Open to everyone by design, or Django's own machinery with its own tests.
PUBLIC_URL_NAMES = {
    "healthz",
    "login",
    "logout",
    "second_factor",
    "api-1:openapi-json",
    "api-1:openapi-view",
}
PRINCIPALS = [ANONYMOUS, *roles.ROLES, OTHER_HOSPITAL_USER]


def _page_url_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" or (entry.namespace or "").startswith("api-"):
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _page_url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_route_is_in_the_table():
    listed = {route.name for route in ROUTES}
    pages = _page_url_names() - PUBLIC_URL_NAMES
    assert pages - listed == set(), "pages missing from ROUTES"
    operations = {
        f"api:{method.upper()} {path}"
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    }
    assert operations - listed == set(), "API operations missing from ROUTES"


def _walked_tables() -> list[str]:
    return [
        model._meta.db_table
        for config in apps.get_app_configs()
        if config.name.startswith("hemaops.") or config.label in {"auth", "otp_totp"}
        for model in config.get_models()
    ]


def _digests_query() -> str:
    """One row per table: its name and the digest of its rows' digests, in order."""
    # Table names come from the models, never from input.
    return " UNION ALL ".join(
        f"SELECT '{table}', md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) "  # noqa: S608
        f'FROM "{table}" t'
        for table in _walked_tables()
    )


# The walk digests the database twenty times a route: planning the query over every table
# costs a third of that, so the connection keeps it prepared.
_FINGERPRINT_STATEMENT = "walk_fingerprint"


def _fingerprint() -> dict[str, str]:
    """A digest of the rows of every Hemaops table, audit trail included, by table (so a
    failure names what changed). On PostgreSQL one query digests each table's rows in the
    database; elsewhere the rows are read and digested here (slower, same meaning)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [_FINGERPRINT_STATEMENT])
            if cursor.fetchone() is None:
                cursor.execute(f"PREPARE {_FINGERPRINT_STATEMENT} AS {_digests_query()}")
            cursor.execute(f"EXECUTE {_FINGERPRINT_STATEMENT}")
            return dict(cursor.fetchall())
    tables = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("hemaops.") and config.label not in {"auth", "otp_totp"}:
            continue
        for model in config.get_models():
            digest = hashlib.sha256()
            for row in model._default_manager.order_by("pk").values():
                digest.update(json.dumps(row, default=str, sort_keys=True).encode())
            tables[model._meta.db_table] = digest.hexdigest()
    return tables


def _changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(table for table in after if before.get(table) != after[table])


# --- the walk's world: built once per module ---------------------------------------------------
#
# Building the worlds takes seconds; walking a route takes a fraction of that. So the world is
# built once, inside an outer transaction the module fixture holds open, and every test keeps
# pytest-django's own transaction, which nests as a savepoint: what one route's requests did
# (or a test that failed half-way) is rolled back before the next route, which meets the same
# fresh world. The outer transaction is rolled back when the module ends.

# tests/conftest.py's autouse ``settings`` fixture is function-scoped; the module's users are
# made before any test, with the same fast hasher.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Cast:
    """The company, places and people of the walk, as tests/conftest.py's fixtures make them
    (``company``, ``program``, ``site``, ``hospital``, ``other_hospital``, ``make_user``)."""

    def __init__(self) -> None:
        self.company = company_make()
        self.hospital = hospital_make(self.company, "cedars", "Cedars Valley", "America/Los_Angeles")
        self.other_hospital = hospital_make(self.company, "mercy", "Mercy General", "America/New_York")
        self.program = program_make(self.company)
        self.site = site_make(self.company, self.program)
        self._users: dict[tuple[str, int | None], User] = {}

    def user(self, role: str, hospital_for_user: Hospital | None = None, username: str | None = None) -> User:
        """A user holding ``role``, made once (hospital users of ``hospital`` unless told)."""
        bound = (hospital_for_user or self.hospital) if role == roles.HOSPITAL_USER else None
        key = (username or role, bound.pk if bound else None)
        if key not in self._users:
            self._users[key] = user_make(
                role, bound, username or (role if bound in (None, self.hospital) else f"{role}_{bound.code}")
            )
        return self._users[key]

    def principal(self, principal: str) -> User:
        if principal == OTHER_HOSPITAL_USER:
            return self.user(roles.HOSPITAL_USER, hospital_for_user=self.other_hospital)
        return self.user(principal)


@dataclass(frozen=True)
class Walk:
    ids: dict[str, Any]  # placeholder → value, or principal → value for what each consumes
    sessions: dict[str, str]  # principal → the key of its session
    tokens: dict[str, str]  # principal → its API token, for what takes only a token
    built_at: datetime  # when the world was finished: the moment every route is walked at


def _ledger_world(cast: Cast) -> dict[str, int]:
    """Two accounts, fiscal year 2025, a posted and a pending manual entry, May closed."""
    for code, name, account_type, group in [
        ("2000", "Accounts payable", "liability", "current_liabilities"),
        ("6000", "General and administrative", "expense", ""),
    ]:
        finance_services.account_create(actor=None, code=code, name=name, type=account_type, group=group)
    finance_services.fiscal_year_open(actor=None, fiscal_year=2025)
    controller = cast.user(roles.CONTROLLER)
    lines = [PostingLine("6000", debit="100.00"), PostingLine("2000", credit="100.00")]
    posted = finance_services.journal_entry_submit(
        actor=controller, entry_date=date(2025, 1, 10), memo="Rent", lines=lines
    )
    pending = finance_services.journal_entry_submit(
        actor=cast.user(roles.ACCOUNTANT), entry_date=date(2025, 2, 10), memo="Rent", lines=lines
    )
    periods = {period.code: period for period in FiscalPeriod.objects.all()}
    signer = signer_verify(actor=controller, password=PASSWORD, authenticated_by=INTERACTIVE)
    finance_services.period_close(actor=controller, period=periods["2025-05"], signer=signer)
    return {
        "account": posted.lines.get(account__code="6000").account_id,
        "posted_entry": posted.pk,
        "pending_entry": pending.pk,
        "open_period": periods["2025-06"].pk,
        "closed_period": periods["2025-05"].pk,
    }


def _din_label_stock(cast: Cast) -> None:
    """The DIN routes scan from received label stock at the walk's site (FIN W0001)."""
    din_stock_receive(
        actor=None,
        site=cast.site,
        year="25",
        first_sequence=WALK_DIN_STOCK[0],
        last_sequence=WALK_DIN_STOCK[1],
        received_on=date(2025, 1, 6),
    )


def _donor_world() -> dict[str, Any]:
    """A donor with a volunteer period from 2024 and a consent in force, and a duplicate."""
    donor = donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name="Walker", given_name="Wanda", date_of_birth=date(1980, 5, 5), sex="F"
        ),
    )
    assert donor.donor_number == "D0000001"  # the survivor the merge route names
    donor.type_periods.update(started_on=date(2024, 1, 1))
    consent = donor_services.donor_consent_give(actor=None, donor=donor, kind="donation")
    type(consent).objects.filter(pk=consent.pk).update(given_on=date(2024, 1, 1))
    duplicate = donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name="Walker", given_name="Wendy", date_of_birth=date(1980, 5, 5), sex="F"
        ),
        not_a_duplicate=True,
    )
    return {
        "donor": donor.pk,
        "donor_number": donor.donor_number,
        "duplicate": duplicate.pk,
        "consent": consent.pk,
    }


def _drive_world(cast: Cast) -> dict[str, Any]:
    """A drive a month ahead on a bus: a slot holding D0000001 (to check in) and D0000002
    (to cancel), and an empty slot (to book)."""
    drive = drive_make(bus_make(cast.company), mobile_program_make(cast.company))
    taken = slot_make(drive, capacity=3)
    donors = Donor.objects.order_by("donor_number")
    appointment = drive_services.appointment_book(actor=None, slot=taken, donor=donors[0])
    cancel = drive_services.appointment_book(actor=None, slot=taken, donor=donors[1])
    empty = slot_make(drive, starts=time(11, 0), ends=time(11, 30))
    return {
        "drive": drive.pk,
        "slot": empty.pk,
        "appointment": appointment.pk,
        "cancel_appointment": cancel.pk,
    }


def _collected(cast: Cast, screening: Screening) -> Donation:
    now = timezone.now()
    return collection_services.donation_record(
        actor=cast.user(roles.PHLEBOTOMIST),
        screening=screening,
        din=collection_services.din_generate(actor=None, site=cast.site, year="25").issued,
        started_at=now,
        ended_at=now,
        volume_ml=500,
        bag_lot="LOT",
        outcome="complete",
    )


def _collection_world(cast: Cast, donor_id: int) -> dict[str, int]:
    """Screenings of the walk's donor: one eligible, one collected (its donation), one with
    physician-judged findings (systolic, pulse), one with a telephone override to sign."""
    screener = cast.user(roles.SCREENER)
    donor = Donor.objects.get(pk=donor_id)

    def screen(**vitals: Any) -> Screening:
        return collection_services.screening_record(
            actor=screener,
            donor=donor,
            site=cast.site,
            procedure="whole_blood",
            vitals={**WALK_VITALS, **vitals},
        )

    eligible, collected = screen(), screen()
    physician = screen(systolic_mm_hg=185, pulse_bpm=105)
    phoned = screen(pulse_bpm=106)
    pending = collection_services.screening_override_by_telephone(
        actor=screener,
        screening=phoned,
        reason_code="pulse_out_of_range",
        justification="walk",
        director=cast.user(roles.MEDICAL_DIRECTOR),
    )
    return {
        "eligible_screening": eligible.pk,
        "physician_screening": physician.pk,
        "pending_override": pending.pk,
        "donation": _collected(cast, collected).pk,
    }


def _oversight_world(cast: Cast, donation_id: int) -> dict[str, int]:
    """A severe (so reportable) reaction on the walk's donation, not reviewed yet."""
    reaction = collection_services.adverse_reaction_record(
        actor=cast.user(roles.PHLEBOTOMIST),
        donation=Donation.objects.get(pk=donation_id),
        kind="vasovagal",
        severity="severe",
        care_given="walk",
    )
    return {"reportable_reaction": reaction.pk}


def _lab_world(cast: Cast, donation_id: int) -> dict[str, Any]:
    """The lab's panel; the walk's donation acceptable (a full nonreactive panel); a donation
    in ABO discrepancy; a donation NAT reactive for HIV and HCV (two notifications due); and,
    for each role that may consume it, its own hand-entered result to verify (entered by a
    technologist who is not one of the walk's users), active hold and notification."""
    lab_services.panel_set(actor=None, name="Standard", effective_from=date(2024, 1, 1), markers=LAB_PANEL)
    screener = cast.user(roles.SCREENER)

    def donation_of(family_name: str, abo: str = "", procedure: str = "whole_blood") -> Donation:
        donor = donor_services.donor_register(
            actor=None,
            details=donor_services.DonorDetails(
                family_name=family_name, given_name="Lab", date_of_birth=date(1975, 2, 3), sex="M"
            ),
            not_a_duplicate=True,
        )
        if abo:
            type(donor).objects.filter(pk=donor.pk).update(abo_on_record=abo, rhd_on_record="pos")
        screening = collection_services.screening_record(
            actor=screener,
            donor=donor,
            site=cast.site,
            procedure=procedure,
            vitals={**WALK_VITALS, "platelet_count_k_per_ul": 250},
        )
        return _collected(cast, screening)

    accepted = Donation.objects.select_related("din").get(pk=donation_id)
    discrepant = donation_of("Typer", abo="A")
    reactive = donation_of("Reactor")
    pending = donation_of("Waiter")
    platelets = donation_of("Plateau", procedure="platelets")
    dr = reactive.din.din
    technologist = cast.user(roles.LAB_TECHNOLOGIST, username="walk_technologist")
    lab_services.results_import(
        actor=technologist,
        filename="walk.csv",
        data=file_of(
            [
                *full_panel(accepted.din.din),
                *full_panel(discrepant.din.din, abo="B"),
                *full_panel(dr, skip=frozenset({"hiv_nat", "hcv_nat", "wnv_nat"})),
                line(dr, "hiv_nat", "individual", "reactive"),
                line(dr, "hcv_nat", "individual", "reactive"),
                *full_panel(pending.din.din, skip=frozenset({"wnv_nat"})),
            ]
        ),
    )
    results = {
        role: lab_services.result_enter(
            actor=technologist, donation=pending, marker="wnv_nat", stage="individual", reading="nonreactive"
        ).pk
        for role in LAB_WORKERS
    }
    holds = {
        role: lab_services.hold_place(actor=technologist, donation=pending, reason="walk").pk
        for role in LAB_HOLDERS
    }
    notifications = dict(
        zip(
            sorted(NOTIFIERS),
            DonorNotification.objects.filter(donation=reactive).order_by("pk").values_list("pk", flat=True),
            strict=True,
        )
    )
    return {
        "lab_donation": accepted.pk,
        "lab_din": accepted.din.din,
        "discrepancy_donation": discrepant.pk,
        "platelet_donation": platelets.pk,
        "platelet_din": platelets.din.din,
        "unverified_result": results,
        "active_hold": holds,
        "notification": notifications,
    }


def _whole_blood(cast: Cast, name: str, release: bool = True) -> Unit:
    """The whole blood unit of a new donor's collection, typed O pos and released (unless
    told), quarantined."""
    donor = donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name=name, given_name="Unit", date_of_birth=date(1970, 3, 4), sex="F"
        ),
        not_a_duplicate=True,
    )
    screening = collection_services.screening_record(
        actor=cast.user(roles.SCREENER),
        donor=donor,
        site=cast.site,
        procedure="whole_blood",
        vitals=WALK_VITALS,
    )
    donation = _collected(cast, screening)
    if release:
        lab_services.results_import(
            actor=cast.user(roles.LAB_TECHNOLOGIST, username="walk_component_lab"),
            filename=f"{name}.csv",
            data=file_of(full_panel(donation.din.din)),
        )
        supervisor = cast.user(roles.LAB_SUPERVISOR)
        signer = signer_verify(actor=supervisor, password=PASSWORD, authenticated_by=INTERACTIVE)
        lab_services.donations_release(actor=supervisor, signer=signer, donations=[donation])
    (unit,) = manufacturing_services.units_collect(
        actor=_component_technologist(cast),
        donation=donation,
        product=Product.objects.get(code="A0001"),
        volume_ml=500,
    )
    return unit


def _component_technologist(cast: Cast) -> User:
    return cast.user(roles.COMPONENT_TECHNOLOGIST, username="walk_component_technologist")


def _separated(cast: Cast, name: str) -> list[Unit]:
    """Red cells (A0002), plasma (A0007) and platelets (A0012) of a released whole blood unit."""
    return manufacturing_services.unit_process(
        actor=_component_technologist(cast),
        unit=_whole_blood(cast, name),
        products=list(Product.objects.filter(code__in=["A0002", "A0007", "A0012"]).order_by("code")),
    )


def _components_world(cast: Cast) -> dict[str, Any]:
    """The local catalogue; five whole blood donations typed O pos and released, each
    separated into red cells (A0002), plasma (A0007) and platelets (A0012), brought to the
    states the components routes start from (two plasmas made into cryoprecipitate to
    pool); a whole blood unit not processed; a refrigerator with one excursion pending."""
    catalogue_services.catalogue_import(actor=None, filename="local.csv", data=local_catalogue_bytes())
    technologist = _component_technologist(cast)
    clerk = cast.user(roles.DISTRIBUTION_CLERK, username="walk_clerk")
    lines = [_separated(cast, name) for name in ("Comp", "Compton", "Compass", "Compote", "Comparo")]
    (r1, p1, l1), (r2, p2, l2), (r3, p3, l3), (r4, p4, l4), (r5, p5, l5) = lines

    def verified(unit: Unit) -> Unit:
        content = label_services.unit_label_print(actor=technologist, unit=unit)
        label_services.unit_label_verify(
            actor=technologist, unit=unit, scans=[b.data for b in barcodes(content)]
        )
        return unit

    def available(unit: Unit) -> Unit:
        return inventory_services.unit_make_available(actor=technologist, unit=verified(unit))

    for unit in (r1, r2, r3):
        verified(unit)
    label_services.unit_label_print(actor=technologist, unit=p1)
    for unit in (p2, l3):
        available(unit)
    inventory_services.unit_allocate(actor=clerk, unit=available(l4), reference="walk")
    cryoprecipitate = Product.objects.get(code="A0010")
    for plasma in (p3, p4):  # cryoprecipitate to pool, its group on its printed label
        (cryo,) = manufacturing_services.unit_process(
            actor=technologist, unit=plasma, products=[cryoprecipitate]
        )
        label_services.unit_label_print(actor=technologist, unit=cryo)
    for unit in (l1, l2):
        inventory_services.unit_allocate(actor=clerk, unit=available(unit), reference="walk")
        inventory_services.unit_ship(actor=clerk, unit=unit, consignee="walk")
    holds = {
        role: inventory_services.unit_hold_place(actor=technologist, unit=unit, reason="walk").pk
        for role, unit in zip(sorted(COMPONENT_HOLDERS), (r5, p5, l5), strict=True)
    }
    loose = _whole_blood(cast, "Compline", release=False)
    location = storage_services.location_create(
        actor=None,
        site=cast.site,
        name="Walk refrigerator",
        kind="refrigerator",
        minimum_c=Decimal("1"),
        maximum_c=Decimal("6"),
        capacity_units=20,
    )
    storage_services.temperatures_import(
        actor=None,
        location=location,
        filename="excursion.csv",
        data=b"recorded_at,temperature_c\n2025-01-10T10:00:00Z,4.0\n2025-01-10T10:10:00Z,9.5\n"
        b"2025-01-10T10:20:00Z,4.0\n",
    )
    excursion = TemperatureExcursion.objects.get(location=location)
    movers, holders = sorted(COMPONENT_MOVERS), sorted(COMPONENT_HOLDERS)
    return {
        "comp_unit": r4.pk,
        "comp_printed": p1.pk,
        "comp_whole_blood": loose.pk,
        "comp_free_din": _free_whole_blood_din(),
        "comp_location": location.pk,
        "comp_excursion": excursion.pk,
        "comp_ready": dict(zip(holders, (r1.pk, r2.pk, r3.pk), strict=True)),
        "comp_available": dict(zip(movers, (p2.pk, l3.pk), strict=True)),
        "comp_allocated": {roles.DISTRIBUTION_CLERK: l4.pk},
        "comp_shipped": dict(zip(movers, (l1.pk, l2.pk), strict=True)),
        "comp_hold": holds,
    }


def _trade_ledger() -> None:
    """The accounts and mappings billing posts to (tests/distribution/conftest.py's chart,
    beside the finance routes' accounts), fiscal years open from last year to next."""
    for code, name, kind, group, (mapping_kind, key) in DISTRIBUTION_CHART:
        account = Account.objects.filter(code=code).first() or finance_services.account_create(
            actor=None, code=code, name=name, type=kind, group=group
        )
        finance_services.account_mapping_set(
            actor=None, kind=mapping_kind, key=key, account=account, effective_from=date(2024, 1, 1)
        )
    this_year = timezone.localdate().year
    for year in (this_year - 1, this_year, this_year + 1):
        finance_services.fiscal_year_open(actor=None, fiscal_year=year)


def _month_start(months_ago: int) -> date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_ago
    return date(index // 12, index % 12 + 1, 1)


def _billing_world(cast: Cast) -> dict[str, Any]:
    """Both hospitals' contracts pricing the catalogue (the other hospital's user orders for its
    own); on the walk hospital's (monthly): three months ago invoiced, two months ago a charge
    per role that may credit one, last month one more (the oldest unbilled months are what the
    invoicing routes bill, one per role)."""
    contract = contract_for(cast.hospital, "C-CEDARS-1")
    contract_for(cast.other_hospital, "C-MERCY-1", invoicing=Contract.Invoicing.PER_SHIPMENT)
    numbers = itertools.count(1)

    def charge(month: date) -> Charge:
        n = next(numbers)
        (made,) = billing_services.charges_record(
            actor=None,
            contract=contract,
            occurred_on=month,
            group_key=f"walk-{month:%Y-%m}",
            charges=[
                billing_services.ChargeInput(
                    item_code="RBC",
                    description=f"Walk red cells {n}",
                    quantity=1,
                    program=cast.program,
                    revenue_key="red_cells",
                    source_type="walk.delivery",
                    source_id=str(n),
                )
            ],
        )
        return made

    charge(_month_start(3))
    invoice = billing_services.invoice_issue(
        actor=None, contract=contract, issued_on=timezone.localdate(), period_start=_month_start(3)
    )
    credits = {role: charge(_month_start(2)).pk for role in sorted(_BILLING_WRITERS)}
    charge(_month_start(1))
    return {"contract": contract.pk, "invoice": invoice.pk, "charge": credits}


def _available_red_cells(cast: Cast, name: str) -> Unit:
    red_cells = _separated(cast, name)[0]
    return unit_available(_component_technologist(cast), red_cells)


def _trade_world(cast: Cast) -> dict[str, Any]:
    """Orders of the walk hospital for one O pos red cell unit each, in every state a route
    starts from, and the units to fill them; built half an hour ago, so that a return may be
    dated after its shipment left (the page takes whole minutes)."""
    clerk, hospital_user = cast.user(roles.DISTRIBUTION_CLERK), cast.user(roles.HOSPITAL_USER)
    with time_machine.travel(timezone.now() - timedelta(minutes=30), tick=True):
        for n in range(6):  # one per order allocated below, and one for the allocation routes
            _available_red_cells(cast, f"Trade{n}")

        def placed() -> Order:
            return distribution_services.order_place(
                actor=hospital_user,
                hospital=cast.hospital,
                lines=[distribution_services.LineInput(product_code="A0002", abo="O", rhd="pos", quantity=1)],
                needed_by=timezone.now() + timedelta(hours=6),
            )

        def allocated() -> Order:
            order = placed()
            distribution_services.order_allocate(actor=clerk, order=order)
            return order

        def packing() -> Shipment:
            return distribution_services.shipment_create(actor=clerk, order=allocated())

        def scanned() -> Shipment:
            shipment = packing()
            for item in shipment.items.select_related("unit"):
                distribution_services.shipment_scan(
                    actor=clerk, shipment=shipment, scans=label_scans(item.unit)
                )
            return shipment

        shipped = {
            role: distribution_services.shipment_ship(actor=clerk, shipment=scanned())
            for role in sorted(_RECEIVERS)
        }
        items = {role: shipment.items.get() for role, shipment in shipped.items()}
        ready, being_packed, waiting = scanned(), packing(), allocated()
        to_allocate = placed()
    first = items[roles.DISTRIBUTION_CLERK]
    return {
        "order": first.shipment.order_id,
        "shipment": first.shipment_id,
        "shipped_shipment": {role: shipment.pk for role, shipment in shipped.items()},
        "item": {role: item.pk for role, item in items.items()},
        "return_item": first.pk,
        "shipped_unit": first.unit_id,
        "scanned_shipment": ready.pk,
        "packing_shipment": being_packed.pk,
        "allocated_order": waiting.pk,
        "allocate_order": to_allocate.pk,
        "cancel_order": {role: placed().pk for role in sorted(_ORDER_PLACERS)},
    }


def _walk_build() -> Walk:
    cast = Cast()
    users = {principal: cast.principal(principal) for principal in PRINCIPALS if principal != ANONYMOUS}
    ledger = _ledger_world(cast)
    _din_label_stock(cast)
    donors = _donor_world()
    collection = _collection_world(cast, donors["donor"])
    lab = _lab_world(cast, collection["donation"])
    ids = {
        "site": cast.site.pk,
        "program": cast.program.pk,
        "hospital": cast.hospital.pk,
        **ledger,
        **donors,
        **_drive_world(cast),
        **collection,
        **_oversight_world(cast, collection["donation"]),
        **lab,
        **_components_world(cast),
    }
    _trade_ledger()
    ids |= _billing_world(cast) | _trade_world(cast)
    built_at = timezone.now()
    return Walk(ids=ids, sessions=_sessions(users), tokens=_tokens(users, built_at), built_at=built_at)


def _sessions(users: dict[str, User]) -> dict[str, str]:
    """Each principal signed in once, with the world: signing in writes (the last login, the
    audit trail), and a walk that signed in before each request would have to digest the
    database once more per principal to tell those writes from the request's."""
    keys = {}
    for principal, user in users.items():
        browser = Client()
        browser.force_login(user)
        keys[principal] = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


def _tokens(users: dict[str, User], built_at: datetime) -> dict[str, str]:
    """An API token per principal, used last at ``built_at``: a token's use writes when it was
    last used at most once a minute, so during a route's walk (clocked from ``built_at``, see
    walk_clock) using it writes nothing."""
    tokens = {
        principal: api_token_create(actor=None, user=user, name="walk")[1]
        for principal, user in users.items()
    }
    ApiToken.objects.filter(user__in=users.values()).update(last_used_at=built_at)
    return tokens


@pytest.fixture(scope="module")
def walk(django_db_setup, django_db_blocker) -> Iterator[Walk]:
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
            built = _walk_build()
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def walk_clock(walk: Walk) -> Iterator[None]:
    """Each route is walked at the moment the world was finished, as if it had just been built.
    The database's clock stopped when the module's transaction began (PostgreSQL's now() is the
    transaction's start), and the unit gate refuses a move dated more than five minutes after
    it: walked at the real time, the routes that move units would fail once the module had run
    for five minutes."""
    with time_machine.travel(walk.built_at, tick=True):
        yield


@pytest.mark.django_db
def test_the_fingerprint_sees_a_changed_row_and_a_new_one(walk):
    site = Site.objects.get(pk=walk.ids["site"])
    before = _fingerprint()
    Site.objects.filter(pk=site.pk).update(name="Renamed without a service")
    changed = _fingerprint()
    Site.objects.filter(pk=site.pk).update(name=site.name)
    assert changed != before
    assert _fingerprint() == before
    Site.objects.create(
        company=site.company, code="new", name="New", kind=Site.Kind.LABORATORY, time_zone="UTC"
    )
    assert _changed_tables(before, _fingerprint()) == [Site._meta.db_table]


def _sign_in(principal: str, route: Route, client, walk: Walk) -> dict[str, str]:
    """Give the client ``principal``'s session (none for anonymous; no cookie of the one before);
    the headers its request carries: the API token, where the route takes only that."""
    client.cookies.clear()
    if principal == ANONYMOUS:
        return {}
    client.cookies[settings.SESSION_COOKIE_NAME] = walk.sessions[principal]
    return {"HTTP_AUTHORIZATION": f"Bearer {walk.tokens[principal]}"} if route.needs_token else {}


def _expect_allowed(route: Route, principal: str) -> bool:
    if principal == OTHER_HOSPITAL_USER:
        return roles.HOSPITAL_USER in route.allowed and not route.hospital_scoped
    return principal in route.allowed


_request_numbers = itertools.count(1)


def _answer(route: Route, client, path: str, headers: dict[str, str]):
    if route.method == "GET":
        return client.get(path, **headers)
    data = route.data(next(_request_numbers)) if callable(route.data) else route.data
    if route.is_api and not any(hasattr(value, "read") for value in data.values()):
        content_type = "application/fhir+json" if route.is_fhir else "application/json"
        return client.post(path, data=json.dumps(data), content_type=content_type, **headers)
    return client.post(path, data=data, **headers)  # pages, and API uploads (multipart)


def _found(response) -> int:
    """How many records a FHIR search found."""
    return int(json.loads(response.content)["total"])


def _verdict(route: Route, principal: str, response) -> str | None:
    """None when the answer is right for this principal, else what is wrong."""
    if _expect_allowed(route, principal):
        expected = {"GET": {200}, "POST": {201} if route.is_api else {302}}[route.method]
        if response.status_code not in expected:
            return f"allowed but answered {response.status_code}: {response.content[:300]!r}"
        if route.search and not _found(response):
            return "allowed but found nothing"
        return None
    if principal == ANONYMOUS:
        if route.is_api:
            return None if response.status_code == 401 else f"anonymous API got {response.status_code}"
        if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
            return None
        return f"anonymous page got {response.status_code}"
    if route.search and response.status_code == 200:
        found = _found(response)
        return None if found == 0 else f"denied, yet found {found}"
    if response.status_code in route.refusals:
        return None
    return f"denied but answered {response.status_code}: {response.content[:300]!r}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [
        pytest.param(route, marks=pytest.mark.xfail(reason=KNOWN_BROKEN[route.name], strict=True))
        if route.name in KNOWN_BROKEN
        else route
        for route in ROUTES
    ],
    ids=lambda r: f"{r.method} {r.path}",
)
def test_route_answers_each_principal_and_denials_change_nothing(route, client, walk, walk_clock):
    # One test per route walks every principal in turn (the world is the module's, each
    # route's changes rolled back with its test); all failures are collected so one run shows
    # the whole picture.
    failures = []
    before = _fingerprint()
    for principal in PRINCIPALS:
        # A placeholder given per role names that role's own object (a result to verify, a
        # hold to lift, a notification to record): each allowed role consumes its own.
        values = {
            key: (value.get(principal, next(iter(value.values()))) if isinstance(value, dict) else value)
            for key, value in walk.ids.items()
        }
        path = route.path.format(**values)
        response = _answer(route, client, path, _sign_in(principal, route, client, walk))
        # Signing in writes nothing (see _sessions): what changed since the last answer is this one's.
        after = _fingerprint()
        problem = _verdict(route, principal, response)
        if problem is None and not _expect_allowed(route, principal):
            changed = _changed_tables(before, after)
            if changed:
                problem = f"denied, yet the database changed: {', '.join(changed)}"
        if problem:
            failures.append(f"{principal}: {problem}")
        before = after
    assert failures == []
