"""The walk's table: every page and API route, who may call it, and what it is sent.

``ROUTES`` holds one ``Route`` per page or API operation: method, path, the roles allowed,
its URL name (or ``api:<METHOD> <path>``), the body of a POST, and whether it is about one
hospital. Each context keeps its routes in a list of its own (``DONOR_ROUTES``,
``DONATION_ROUTES``, ``LAB_ROUTES``, ``COMPONENT_ROUTES``, ``TRADE_ROUTES``, ``FHIR_ROUTES``),
in the order the walk runs them, beside the role sets that say who may.

A path's ``{placeholders}`` name records of the walk's world (tests/access_walk/world.py;
the comment above each table names the builder). A placeholder built per role names that
role's own record, so that each allowed role consumes one of its own.

Later issues add their routes here; ``test_every_route_is_in_the_table`` fails until they do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F, Q
from django.utils import timezone

from hemaops.billing.models import Charge
from hemaops.components import label_services
from hemaops.components.labels import barcodes
from hemaops.components.models import StorageLocation, Unit
from hemaops.core import roles
from hemaops.distribution.models import ShipmentItem
from hemaops.donations.models import Donation, Screening
from hemaops.isbt128.din import Din
from hemaops.lab.models import DonationTesting
from tests.components.conftest import local_catalogue_bytes
from tests.conftest import PASSWORD
from tests.distribution.conftest import label_scans
from tests.distribution.test_pages import line_data
from tests.donations.drive_factories import drive_day
from tests.fhir.test_fhir import supply_request
from tests.lab.results import file_of, line

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
# placeholders: {donor} {donor_number} {duplicate} {consent} (see world._donor_world)
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
# The walk's label stock (see world._din_label_stock): FIN W0001 (the walk's site), year 25.
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
# {cancel_appointment} (see world._drive_world).
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
# placeholders: {pending_override} (world._collection_world), {reportable_reaction} (world._oversight_world)
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
# each (see world._lab_world): {unverified_result} {active_hold} {notification}
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

# Components (issue 7 item 8). placeholders (see world._components_world): {comp_unit} red cells,
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


def free_whole_blood_din() -> str:
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
    return {"din": free_whole_blood_din(), "product": "A0001", "parts": 1}


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
BILLING_READERS = frozenset({roles.ACCOUNTANT, roles.CONTROLLER, roles.EXECUTIVE})
INVOICE_READERS = BILLING_READERS | {roles.HOSPITAL_USER}
CONTRACT_READERS = INVOICE_READERS | {roles.DISTRIBUTION_CLERK}
BILLING_WRITERS = frozenset({roles.ACCOUNTANT, roles.CONTROLLER})
ORDER_READERS = frozenset(
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
ORDER_PLACERS = frozenset({roles.DISTRIBUTION_CLERK, roles.HOSPITAL_USER})
TRADE_ROUTES: list[Route] = [
    Route("GET", "/billing/contracts/", CONTRACT_READERS, "billing:contract_list"),
    Route("GET", "/billing/contracts/new/", BILLING_WRITERS, "billing:contract_new"),
    Route("GET", "/billing/invoices/", INVOICE_READERS, "billing:invoice_list"),
    Route("GET", "/billing/charges/", BILLING_READERS, "billing:charge_list"),
    Route("GET", "/billing/receipts/", INVOICE_READERS, "billing:receipt_list"),
    Route("GET", "/billing/receipts/new/", BILLING_WRITERS, "billing:receipt_new"),
    Route("GET", "/billing/aging/", INVOICE_READERS, "billing:aging_report"),
    Route("GET", "/api/v1/billing/contracts", CONTRACT_READERS, "api:GET /api/v1/billing/contracts"),
    Route("GET", "/api/v1/billing/invoices", INVOICE_READERS, "api:GET /api/v1/billing/invoices"),
    Route("GET", "/api/v1/billing/charges", BILLING_READERS, "api:GET /api/v1/billing/charges"),
    Route("GET", "/api/v1/billing/receipts", INVOICE_READERS, "api:GET /api/v1/billing/receipts"),
    Route("GET", "/api/v1/billing/aging", INVOICE_READERS, "api:GET /api/v1/billing/aging"),
    Route("GET", "/distribution/orders/", ORDER_READERS, "distribution:order_list"),
    Route("GET", "/distribution/orders/new/", ORDER_PLACERS, "distribution:order_new"),
    Route("GET", "/distribution/shipments/", ORDER_READERS, "distribution:shipment_list"),
    Route("GET", "/distribution/standing-orders/", ORDER_READERS, "distribution:standing_order_list"),
    Route("GET", "/distribution/reports/", ORDER_READERS, "distribution:hospital_report"),
    Route("GET", "/api/v1/distribution/orders", ORDER_READERS, "api:GET /api/v1/distribution/orders"),
    Route("GET", "/api/v1/distribution/shipments", ORDER_READERS, "api:GET /api/v1/distribution/shipments"),
    Route(
        "GET",
        "/api/v1/distribution/standing-orders",
        ORDER_READERS,
        "api:GET /api/v1/distribution/standing-orders",
    ),
]

# Issue 8, on one record: placeholders (the trade world, see world._trade_world and world._billing_world):
# {contract} the hospital's contract (monthly); {invoice} an invoice of it; per role {charge}
# an unbilled charge; {order} a shipped order and {shipment} its shipment; {allocate_order}
# placed, a unit in stock to fill it; {allocated_order} allocated, not packed; per role
# {cancel_order} placed; {packing_shipment} a unit not scanned; {scanned_shipment} every unit
# scanned; per role {shipped_shipment} and {item} (shipped, half an hour ago); {return_item}
# shipped; {shipped_unit} its unit.
RECEIVERS = ORDER_PLACERS  # the clerk on the hospital's behalf, and the hospital's own
CLERK = frozenset({roles.DISTRIBUTION_CLERK})
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
        BILLING_WRITERS,
        "billing:contract_new",
        lambda n: {**_old_contract(n), "prices": ""},
    ),
    Route(
        "GET",
        "/billing/contracts/{contract}/",
        CONTRACT_READERS,
        "billing:contract_detail",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/billing/contracts/{contract}/prices/",
        BILLING_WRITERS,
        "billing:prices_add",
        _later_price,
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/billing/contracts/{contract}/invoice/",
        BILLING_WRITERS,
        "billing:invoice_issue",
        _invoice_page,
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/billing/invoices/issue/",
        BILLING_WRITERS,
        "billing:invoices_issue",
        lambda n: {"on": _today()},
    ),
    Route(
        "GET",
        "/billing/invoices/{invoice}/",
        INVOICE_READERS,
        "billing:invoice_detail",
        hospital_scoped=True,
    ),
    Route(
        "GET",
        "/billing/invoices/{invoice}/pdf",
        INVOICE_READERS,
        "billing:invoice_pdf",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/billing/charges/{charge}/credit/",
        BILLING_WRITERS,
        "billing:charge_credit",
        lambda n: {"issued_on": _today(), "reason": "walk"},
        hospital_scoped=True,
    ),
    Route("POST", "/billing/receipts/new/", BILLING_WRITERS, "billing:receipt_new", _receipt),
    Route(
        "POST",
        f"{_BILLING_API}/contracts",
        BILLING_WRITERS,
        "api:POST /api/v1/billing/contracts",
        _old_contract,
    ),
    Route(
        "GET",
        f"{_BILLING_API}/contracts/{{contract}}",
        CONTRACT_READERS,
        "api:GET /api/v1/billing/contracts/{contract_id}",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_BILLING_API}/contracts/{{contract}}/prices",
        BILLING_WRITERS,
        "api:POST /api/v1/billing/contracts/{contract_id}/prices",
        lambda n: {"prices": [_later_price(n)]},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_BILLING_API}/invoices",
        BILLING_WRITERS,
        "api:POST /api/v1/billing/invoices",
        _invoice_api,
    ),
    Route(
        "POST",
        f"{_BILLING_API}/invoices/run",
        BILLING_WRITERS,
        "api:POST /api/v1/billing/invoices/run",
        lambda n: {"on": _today()},
    ),
    Route(
        "GET",
        f"{_BILLING_API}/invoices/{{invoice}}",
        INVOICE_READERS,
        "api:GET /api/v1/billing/invoices/{invoice_id}",
        hospital_scoped=True,
    ),
    Route(
        "GET",
        f"{_BILLING_API}/invoices/{{invoice}}/pdf",
        INVOICE_READERS,
        "api:GET /api/v1/billing/invoices/{invoice_id}/pdf",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_BILLING_API}/credit-notes",
        BILLING_WRITERS,
        "api:POST /api/v1/billing/credit-notes",
        lambda n: {"charge_ids": [_unbilled().pk], "issued_on": _today(), "reason": "walk"},
    ),
    Route("POST", f"{_BILLING_API}/receipts", BILLING_WRITERS, "api:POST /api/v1/billing/receipts", _receipt),
]

_DISTRIBUTION_API = "/api/v1/distribution"
TRADE_ROUTES += [
    # Another hospital's user places its own hospital's order: the page names no hospital.
    Route(
        "POST",
        "/distribution/orders/new/",
        ORDER_PLACERS,
        "distribution:order_new",
        {"hospital": "cedars", "priority": "routine", **line_data()},
    ),
    Route(
        "GET",
        "/distribution/orders/{order}/",
        ORDER_READERS,
        "distribution:order_detail",
        hospital_scoped=True,
    ),
    # The allocation run: every open order, STAT first.
    Route("POST", "/distribution/orders/allocate/", CLERK, "distribution:orders_allocate"),
    Route(
        "POST",
        "/distribution/orders/{allocate_order}/allocate/",
        CLERK,
        "distribution:order_allocate",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/orders/{cancel_order}/cancel/",
        ORDER_PLACERS,
        "distribution:order_cancel",
        {"reason": "walk"},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/orders/{allocated_order}/shipments/",
        CLERK,
        "distribution:shipment_create",
        hospital_scoped=True,
    ),
    Route(
        "GET",
        "/distribution/shipments/{shipment}/",
        ORDER_READERS,
        "distribution:shipment_detail",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/shipments/{packing_shipment}/scan/",
        CLERK,
        "distribution:scan_unit",
        lambda n: {"scans": "\n".join(_unscanned_labels())},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/shipments/{scanned_shipment}/ship/",
        CLERK,
        "distribution:shipment_ship",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/shipments/{shipped_shipment}/receive/",
        RECEIVERS,
        "distribution:shipment_receive",
        {"note": "walk"},
        hospital_scoped=True,
    ),
    Route(
        "GET",
        "/distribution/shipments/{shipment}/packing-list.pdf",
        ORDER_READERS,
        "distribution:packing_list_pdf",
        hospital_scoped=True,
    ),
    Route(
        "GET",
        "/distribution/shipments/{shipment}/manifest.json",
        ORDER_READERS,
        "distribution:shipment_manifest",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/items/{item}/disposition/",
        RECEIVERS,
        "distribution:item_disposition",
        {"disposition": "transfused"},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/items/{return_item}/return/",
        CLERK,
        "distribution:item_return",
        _return_page,
        hospital_scoped=True,
    ),
    Route(
        "POST",
        "/distribution/standing-orders/new/",
        CLERK,
        "distribution:standing_order_new",
        _standing_page,
    ),
    # The API's order names its hospital: another hospital's user may not order for it (404).
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/orders",
        ORDER_PLACERS,
        "api:POST /api/v1/distribution/orders",
        {"hospital": "cedars", "lines": [_WALK_LINE]},
        hospital_scoped=True,
    ),
    Route(
        "GET",
        f"{_DISTRIBUTION_API}/orders/{{order}}",
        ORDER_READERS,
        "api:GET /api/v1/distribution/orders/{order_id}",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/orders/allocate",
        CLERK,
        "api:POST /api/v1/distribution/orders/allocate",
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/orders/{{allocate_order}}/allocate",
        CLERK,
        "api:POST /api/v1/distribution/orders/{order_id}/allocate",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/orders/{{cancel_order}}/cancel",
        ORDER_PLACERS,
        "api:POST /api/v1/distribution/orders/{order_id}/cancel",
        {"reason": "walk"},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/orders/{{allocated_order}}/shipments",
        CLERK,
        "api:POST /api/v1/distribution/orders/{order_id}/shipments",
        hospital_scoped=True,
    ),
    Route(
        "GET",
        f"{_DISTRIBUTION_API}/shipments/{{shipment}}",
        ORDER_READERS,
        "api:GET /api/v1/distribution/shipments/{shipment_id}",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/shipments/{{packing_shipment}}/scan",
        CLERK,
        "api:POST /api/v1/distribution/shipments/{shipment_id}/scan",
        lambda n: {"scans": _unscanned_labels()},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/shipments/{{scanned_shipment}}/ship",
        CLERK,
        "api:POST /api/v1/distribution/shipments/{shipment_id}/ship",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/shipments/{{shipped_shipment}}/receive",
        RECEIVERS,
        "api:POST /api/v1/distribution/shipments/{shipment_id}/receive",
        {"note": "walk"},
        hospital_scoped=True,
    ),
    Route(
        "GET",
        f"{_DISTRIBUTION_API}/shipments/{{shipment}}/manifest",
        ORDER_READERS,
        "api:GET /api/v1/distribution/shipments/{shipment_id}/manifest",
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/items/{{return_item}}/return",
        CLERK,
        "api:POST /api/v1/distribution/items/{item_id}/return",
        _return_api,
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/items/{{item}}/disposition",
        RECEIVERS,
        "api:POST /api/v1/distribution/items/{item_id}/disposition",
        {"disposition": "transfused"},
        hospital_scoped=True,
    ),
    Route(
        "POST",
        f"{_DISTRIBUTION_API}/standing-orders",
        CLERK,
        "api:POST /api/v1/distribution/standing-orders",
        _standing_api,
    ),
]

# FHIR (/fhir): answered like the API. ``metadata`` is public, as FHIR expects; a search answers
# every caller, and whoever may not see a record finds none of them; placing a SupplyRequest
# needs the API token, and a hospital it may not order for is the same 422 as one that does
# not exist.
UNIT_READERS = COMPONENT_READERS | {roles.HOSPITAL_USER}  # a hospital's user: units shipped to it
FHIR_ROUTES: list[Route] = [
    Route("GET", "/fhir/metadata", EVERYONE | {ANONYMOUS}, "fhir:metadata"),
    Route(
        "GET",
        "/fhir/BiologicallyDerivedProduct",
        UNIT_READERS,
        "fhir:biologicallyderivedproducts",
        hospital_scoped=True,
        search=True,
    ),
    Route(
        "GET",
        "/fhir/BiologicallyDerivedProduct/{shipped_unit}",
        UNIT_READERS,
        "fhir:biologicallyderivedproduct",
        hospital_scoped=True,
    ),
    Route(
        "GET", "/fhir/SupplyRequest", ORDER_READERS, "fhir:supplyrequests", hospital_scoped=True, search=True
    ),
    Route(
        "POST",
        "/fhir/SupplyRequest",
        ORDER_PLACERS,
        "fhir:supplyrequests",
        lambda n: supply_request(),
        hospital_scoped=True,
        refusals=frozenset({403, 404, 422}),
    ),
    Route("GET", "/fhir/SupplyRequest/{order}", ORDER_READERS, "fhir:supplyrequest", hospital_scoped=True),
    Route(
        "GET",
        "/fhir/SupplyDelivery",
        ORDER_READERS,
        "fhir:supplydeliveries",
        hospital_scoped=True,
        search=True,
    ),
    Route("GET", "/fhir/SupplyDelivery/{item}", ORDER_READERS, "fhir:supplydelivery", hospital_scoped=True),
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
