"""A donor's way through a mobile drive on the pages and the API: the day board's "Screen"
link, the screening that records its drive, the live decision, a drive held elsewhere refused
on the drive field, and the donation filed under the drive's program with its donor
classification and label statement."""

from __future__ import annotations

import json
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from hemaops.core.models import Company, Program, Site
from hemaops.core.services import reference_data_save
from hemaops.donations import drive_selectors, drive_services, services
from hemaops.donations.models import AppointmentSlot, DinLabelStock, Donation, Drive, Screening
from hemaops.donors.models import Donor
from hemaops.isbt128.din import Din
from tests.clock import earlier_today
from tests.donations.drive_factories import bus_make, donor_make, drive_make, mobile_program_make, slot_make
from tests.donations.paid_programs import give
from tests.donations.test_collection import GOOD_VITALS
from tests.donations.test_collection_views import FORM_VITALS

pytestmark = pytest.mark.django_db

# Zones in one of which it is always between 07:00 and 19:00: a drive held "today" there has
# hours around now and a slot that has not started yet, whatever the hour the suite runs.
DAYTIME_ZONES = ("America/Los_Angeles", "America/New_York", "Europe/London", "Asia/Tokyo")
BUS_FIN = "W0003"
STOCK_FIRST, STOCK_LAST = 500, 599


def daytime_zone(now: datetime | None = None) -> str:
    moment = now or timezone.now()
    for name in DAYTIME_ZONES:
        if 7 <= moment.astimezone(zoneinfo.ZoneInfo(name)).hour < 19:
            return name
    raise AssertionError("no daytime zone")  # pragma: no cover - the zones cover every hour


@dataclass
class DriveToday:
    bus: Site
    program: Program
    drive: Drive
    slot: AppointmentSlot
    year: str

    def din(self, sequence: int = STOCK_FIRST) -> Din:
        """A DIN of the label stock received for the bus."""
        return Din(BUS_FIN, self.year, f"{sequence:06d}").with_check_flags()


def drive_today_make(company: Company, code: str = "bus-today") -> DriveToday:
    """A bus (FIN W0003) in a time zone where it is daytime, a mobile program, a drive held
    there today 06:00–22:00 with a slot starting in a quarter of an hour, and DIN label stock
    (sequences 500–599 of this year) received for the bus."""
    bus = reference_data_save(
        actor=None,
        instance=Site(
            company=company,
            code=code,
            name="Bloodmobile Today",
            kind=Site.Kind.MOBILE_UNIT,
            time_zone=daytime_zone(),
            facility_identification_number=BUS_FIN,
        ),
    )
    program = mobile_program_make(company, code=f"{code}-mobile")
    today = drive_services.site_today(bus)
    drive = drive_services.drive_create(
        actor=None,
        host_organization="Valley High School",
        site=bus,
        place="1 School Rd, Encino, CA",
        program=program,
        day=today,
        starts=time(6, 0),
        ends=time(22, 0),
        goals={"whole_blood": 20},
    )
    local_now = timezone.now().astimezone(zoneinfo.ZoneInfo(bus.time_zone))
    starts = (local_now + timedelta(minutes=15)).replace(second=0, microsecond=0)
    slot = drive_services.slot_create(
        actor=None,
        site=bus,
        day=today,
        starts=starts.time(),
        ends=(starts + timedelta(minutes=30)).time(),
        capacity=3,
        drive=drive,
    )
    year = f"{today.year % 100:02d}"
    services.din_stock_receive(
        actor=None,
        site=bus,
        year=year,
        first_sequence=STOCK_FIRST,
        last_sequence=STOCK_LAST,
        received_on=today,
        lot="BUS-LOT",
    )
    return DriveToday(bus=bus, program=program, drive=drive, slot=slot, year=year)


@pytest.fixture
def today(company) -> DriveToday:
    return drive_today_make(company)


@pytest.fixture
def walker() -> Donor:
    return donor_make("Ada", "Walker", born=date(1990, 5, 17))


def _screen_form(donor: Donor, site_code: str, drive: Drive | None, **changes: str) -> dict[str, str]:
    form = {"donor": donor.donor_number, "site": site_code, "procedure": "whole_blood", **FORM_VITALS}
    if drive is not None:
        form["drive"] = str(drive.pk)
    form.update(changes)
    return form


def _donation_form(din: Din, site: Site) -> dict[str, str]:
    """Times on the site's clock, as the donation page reads them."""
    now = timezone.localtime(timezone=ZoneInfo(site.time_zone)).strftime("%Y-%m-%dT%H:%M")
    return {
        "din": din.data_content,
        "started_at": now,
        "ended_at": now,
        "volume_ml": "500",
        "bag_lot": "LOT-7",
        "outcome": "complete",
    }


# --- the day board ------------------------------------------------------------------------


def test_the_day_board_offers_screen_for_a_checked_in_donor_and_the_link_prefills_the_form(
    client, staff, today, walker
):
    appointment = drive_services.appointment_book(actor=None, slot=today.slot, donor=walker)
    client.force_login(staff["screener"])
    board = client.get(f"/donations/drives/{today.drive.pk}/").content.decode()
    assert "Screen" not in board.split("Day board")[1].split("Walk-ins")[0]  # booked, not checked in

    drive_services.appointment_check_in(actor=None, appointment=appointment)
    board = client.get(f"/donations/drives/{today.drive.pk}/").content.decode()
    link = f"/donations/screenings/new/?donor={walker.donor_number}&amp;drive={today.drive.pk}"
    assert link in board

    page = client.get(f"/donations/screenings/new/?donor={walker.donor_number}&drive={today.drive.pk}")
    form = page.context["form"]
    assert form.initial == {"donor": walker.donor_number, "drive": today.drive.pk, "site": today.bus.code}
    assert f'<option value="{today.drive.pk}" selected>' in page.content.decode()


def test_a_walk_in_on_the_drive_day_is_offered_screen_too(client, staff, today, walker):
    drive_services.appointment_walk_in(actor=None, donor=walker, drive=today.drive)
    client.force_login(staff["screener"])
    board = client.get(f"/donations/drives/{today.drive.pk}/").content.decode()
    assert f"?donor={walker.donor_number}&amp;drive={today.drive.pk}" in board.split("Walk-ins")[1]


def test_a_drive_on_another_day_offers_no_screen_link(client, staff, company, walker):
    drive = drive_make(bus_make(company), mobile_program_make(company))
    appointment = drive_services.appointment_book(actor=None, slot=slot_make(drive), donor=walker)
    drive_services.appointment_check_in(actor=None, appointment=appointment)
    client.force_login(staff["screener"])
    board = client.get(f"/donations/drives/{drive.pk}/").content.decode()
    assert "/donations/screenings/new/" not in board


# --- the screening page -------------------------------------------------------------------


def test_the_screening_page_records_the_drive_and_its_detail_shows_it(client, staff, today, walker):
    client.force_login(staff["screener"])
    answer = client.post("/donations/screenings/new/", _screen_form(walker, today.bus.code, today.drive))
    assert answer.status_code == 302
    screening = Screening.objects.get()
    assert screening.drive == today.drive
    assert screening.site == today.bus
    detail = client.get(answer["Location"]).content.decode()
    assert "Mobile drive:" in detail
    assert "Valley High School" in detail
    assert "California mobile" in detail


def test_the_live_decision_answers_while_typing_and_saves_nothing(client, staff, today, walker):
    client.force_login(staff["screener"])
    answer = client.post(
        "/donations/screenings/new/",
        _screen_form(walker, today.bus.code, today.drive),
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    body = answer.content.decode()
    assert body.lstrip().startswith('<section id="live-decision"')
    assert '<strong id="live-outcome">Eligible</strong>' in body
    low = client.post(
        "/donations/screenings/new/",
        _screen_form(walker, today.bus.code, today.drive, hemoglobin_g_dl="11.0"),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Ineligible — temporary" in low
    assert "hemoglobin_below_minimum" in low
    assert Screening.objects.count() == 0


def test_the_live_decision_names_what_is_missing(client, staff, today, walker):
    client.force_login(staff["screener"])
    body = client.post(
        "/donations/screenings/new/", {"donor": walker.donor_number}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Site: This field is required." in body
    assert Screening.objects.count() == 0


def test_a_drive_held_at_another_site_is_refused_on_the_drive_field(client, staff, site, today, walker):
    client.force_login(staff["screener"])
    live = client.post(
        "/donations/screenings/new/",
        _screen_form(walker, site.code, today.drive),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert f"is held at {today.bus.code}, not at main; saving will be refused." in live
    answer = client.post("/donations/screenings/new/", _screen_form(walker, site.code, today.drive))
    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert list(errors) == ["drive"]
    assert errors["drive"] == [
        f"The drive of Valley High School is held at {today.bus.code} on {today.drive.date.isoformat()}, "
        f"not at main on {drive_services.site_today(site).isoformat()}"
    ]
    assert Screening.objects.count() == 0


def test_a_drive_not_held_today_is_not_offered(client, staff, company, today, walker):
    later = drive_make(today.bus, today.program)
    client.force_login(staff["screener"])
    page = client.get(f"/donations/screenings/new/?donor={walker.donor_number}&drive={later.pk}")
    assert "drive" not in page.context["form"].initial
    answer = client.post("/donations/screenings/new/", _screen_form(walker, today.bus.code, later))
    assert "drive" in answer.context["form"].errors
    assert Screening.objects.count() == 0


# --- donation entry and the donation page -------------------------------------------------


def test_the_donation_goes_to_the_drive_program_and_its_page_shows_the_classification(
    client, staff, today, walker
):
    screening = services.screening_record(
        actor=staff["screener"],
        donor=walker,
        site=today.bus,
        procedure="whole_blood",
        vitals=GOOD_VITALS,
        drive=today.drive,
    )
    client.force_login(staff["phlebotomist"])
    entry = client.get(f"/donations/screenings/{screening.pk}/donation/").content.decode()
    assert "its units go to the program California mobile" in entry
    answer = client.post(
        f"/donations/screenings/{screening.pk}/donation/", _donation_form(today.din(), today.bus)
    )
    assert answer.status_code == 302
    donation = Donation.objects.get()
    assert donation.program == today.drive.program
    assert (donation.donor_classification, donation.collection_type) == ("volunteer", "V")
    page = client.get(answer["Location"]).content.decode()
    assert '<dd id="program">California mobile (bus-today-mobile)</dd>' in page
    assert '<strong id="label-statement">VOLUNTEER DONOR</strong>' in page
    assert "<code>V</code> volunteer allogeneic" in page
    assert 'id="compensation"' not in page
    assert "Valley High School" in page
    collected = drive_selectors.drive_results(today.drive).goals
    assert [(line.procedure, line.collected_units) for line in collected if line.collected_units] == [
        ("whole_blood", 1)
    ]


def test_a_dins_missing_check_character_is_shown_on_the_din_field(client, staff, today, walker):
    screening = services.screening_record(
        actor=staff["screener"], donor=walker, site=today.bus, procedure="whole_blood", vitals=GOOD_VITALS
    )
    client.force_login(staff["phlebotomist"])
    form = {**_donation_form(today.din(), today.bus), "din": today.din().text}
    answer = client.post(f"/donations/screenings/{screening.pk}/donation/", form)
    assert answer.status_code == 200
    assert list(answer.context["form"].errors) == ["din"]
    assert Donation.objects.count() == 0


def test_a_deferred_donor_cannot_reach_donation_entry(client, staff, today, walker):
    screening = services.screening_record(
        actor=staff["screener"],
        donor=walker,
        site=today.bus,
        procedure="whole_blood",
        vitals={**GOOD_VITALS, "hemoglobin_g_dl": 11.0},
        drive=today.drive,
    )
    assert screening.collection_allowed is False
    client.force_login(staff["phlebotomist"])
    detail = client.get(f"/donations/screenings/{screening.pk}/").content.decode()
    assert "Record the donation" not in detail
    entry = client.get(f"/donations/screenings/{screening.pk}/donation/").content.decode()
    assert "Collection is refused" in entry
    assert '<p id="come-back">Not today: re-assessed at the next visit.</p>' in entry
    assert 'name="din"' not in entry

    answer = client.post(
        f"/donations/screenings/{screening.pk}/donation/", _donation_form(today.din(), today.bus)
    )
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "collection is refused" in body
    assert "hemoglobin_below_minimum" in body
    assert Donation.objects.count() == 0
    assert not DinLabelStock.objects.get().issued_dins.exists()


# --- the API ------------------------------------------------------------------------------


def _post(client, path, payload):
    return client.post(f"/api/v1/donations{path}", data=json.dumps(payload), content_type="application/json")


def test_the_api_screens_at_a_drive_and_the_donation_says_its_program_and_classification(
    client, staff, today, walker
):
    client.force_login(staff["screener"])
    answer = _post(
        client,
        "/screenings",
        {
            "donor": walker.donor_number,
            "site": today.bus.code,
            "procedure": "whole_blood",
            "vitals": GOOD_VITALS,
            "drive": today.drive.pk,
        },
    )
    assert answer.status_code == 201
    body = answer.json()
    assert (body["drive"], body["drive_host_organization"]) == (today.drive.pk, "Valley High School")
    assert Screening.objects.get().drive == today.drive

    client.force_login(staff["phlebotomist"])
    collected = _post(
        client,
        "/donations",
        {
            "screening": body["id"],
            "din": today.din().data_content,
            "started_at": earlier_today(today.bus, minutes=1).isoformat(),
            "ended_at": earlier_today(today.bus, minutes=0).isoformat(),
            "volume_ml": 480,
            "bag_lot": "LOT-9",
            "outcome": "complete",
        },
    )
    assert collected.status_code == 201
    donation = collected.json()
    assert {key: donation[key] for key in DONATION_CLASS_KEYS} == {
        "program": "bus-today-mobile",
        "donor_classification": "volunteer",
        "label_statement": "VOLUNTEER DONOR",
        "collection_type": "V",
        "compensation_amount": None,
    }


DONATION_CLASS_KEYS = (
    "program",
    "donor_classification",
    "label_statement",
    "collection_type",
    "compensation_amount",
)


def test_the_api_refuses_a_drive_held_elsewhere_on_the_drive_field(client, staff, site, today, walker):
    client.force_login(staff["screener"])
    payload = {
        "donor": walker.donor_number,
        "site": site.code,
        "procedure": "whole_blood",
        "vitals": GOOD_VITALS,
        "drive": today.drive.pk,
    }
    answer = _post(client, "/screenings", payload)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "drive_elsewhere"
    assert answer.json()["error"]["field"] == "drive"
    unknown = _post(client, "/screenings", {**payload, "drive": 999_999})
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (400, "drive")
    assert Screening.objects.count() == 0


def test_a_paid_programs_donation_page_and_api_say_paid_donor_and_the_compensation(
    client, staff, site, paid_program
):
    donation = give(staff, donor_make("Pat", "Paid"), site)
    client.force_login(staff["phlebotomist"])
    page = client.get(f"/donations/donations/{donation.pk}/").content.decode()
    assert '<strong id="label-statement">PAID DONOR</strong>' in page
    assert "<code>P</code> paid allogeneic" in page
    assert '<dd id="compensation">30.00</dd>' in page
    assert '<dd id="program">California fixed (ca-fixed)</dd>' in page
    body = client.get(f"/api/v1/donations/donations/{donation.pk}").json()
    assert {key: body[key] for key in DONATION_CLASS_KEYS} == {
        "program": "ca-fixed",
        "donor_classification": "paid",
        "label_statement": "PAID DONOR",
        "collection_type": "P",
        "compensation_amount": "30.00",
    }
