"""One donor's way through a mobile drive, in a real browser, from check-in to donation.

The screener signs in, opens the drive's day board, checks the booked donor in, follows
"Screen", types the vitals, watches the live decision turn "Eligible" and saves; the
phlebotomist signs in, opens the screening, records the donation under a DIN of the label
stock received for the bus, and sees the unit filed under the drive's program as a
volunteer unit. A donor deferred for low hemoglobin never reaches donation entry, and a
donation form posted anyway is refused with the reason. Screenshots of every step land in
artifacts/screenshots/mobile-drive-*.png.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from hemaops.core import roles
from hemaops.donations import drive_services
from hemaops.donations.models import Donation, Screening
from tests.donations.drive_factories import donor_make
from tests.donations.test_collection_walk_pages import DriveToday, drive_today_make

# What the screener reads off the donor and types, field by field (donations.ScreeningForm).
VITALS = {
    "weight_kg": "72",
    "temperature_c": "36.8",
    "systolic_mm_hg": "124",
    "diastolic_mm_hg": "78",
    "pulse_bpm": "68",
    "hemoglobin_g_dl": "13.6",
}
CHOICES = {
    "pulse_regular": "yes",
    "hemoglobin_sample": "fingerstick",
    "phlebotomy_site_ok": "yes",
    "injection_drug_signs": "no",
}


@pytest.fixture
def walk(company, make_user) -> dict:
    """A bus on a drive held today, with a slot still to start and DIN label stock received;
    Ada Walker booked into the slot; the screener and the phlebotomist of the day."""
    today = drive_today_make(company)
    donor = donor_make("Ada", "Walker")
    drive_services.appointment_book(actor=None, slot=today.slot, donor=donor)
    return {
        "today": today,
        "donor": donor,
        "screener": make_user(roles.SCREENER),
        "phlebotomist": make_user(roles.PHLEBOTOMIST),
    }


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def _enter_screening(page: Page, vitals: dict[str, str]) -> None:
    for name, value in vitals.items():
        page.fill(f"#id_{name}", value)
    for name, value in CHOICES.items():
        page.select_option(f"#id_{name}", value)


def _screen_from_the_board(page: Page, today: DriveToday, donor_number: str, screenshot, step: str) -> None:
    """From the day board: check the donor in, then follow "Screen" to the prefilled form."""
    page.goto(f"/donations/drives/{today.drive.pk}/")
    expect(page.locator("main h1")).to_contain_text("Valley High School")
    row = page.locator("tr", has_text=donor_number)
    expect(row).to_contain_text("Booked")
    screenshot(page, f"mobile-drive-{step}1-board-booked")
    row.get_by_role("button", name="Check in").click()
    expect(page.locator(".messages")).to_contain_text(f"Donor {donor_number} checked in.")
    expect(row).to_contain_text("Checked in")
    screenshot(page, f"mobile-drive-{step}2-board-checked-in")

    row.get_by_role("link", name=f"Screen {donor_number}").click()
    expect(page.locator("main h1")).to_have_text("Screen a donor")
    expect(page.locator("#id_donor")).to_have_value(donor_number)
    expect(page.locator("#id_site")).to_have_value(today.bus.code)
    expect(page.locator("#id_drive")).to_have_value(str(today.drive.pk))


@pytest.mark.browser
def test_a_donor_walks_a_mobile_drive_from_check_in_to_donation(walk, sign_in, screenshot):
    today, donor = walk["today"], walk["donor"]

    # The screener: day board, check-in, screening with the live decision.
    page = sign_in(walk["screener"].username)
    _screen_from_the_board(page, today, donor.donor_number, screenshot, "")
    _enter_screening(page, VITALS)
    expect(page.locator("#live-outcome")).to_have_text("Eligible")
    expect(page.locator("#live-decision")).to_contain_text("Not saved yet")
    assert Screening.objects.count() == 0
    screenshot(page, "mobile-drive-3-screening-live-decision")
    page.get_by_role("button", name="Save the screening").click()

    expect(page.locator("main h1")).to_have_text(f"Screening of {donor}")
    expect(page.locator("#outcome")).to_have_text("Eligible")
    expect(page.locator("#drive")).to_contain_text("Mobile drive: Valley High School")
    expect(page.locator("#drive")).to_contain_text("California mobile")
    screening = Screening.objects.get()
    assert (screening.drive, screening.site, screening.outcome) == (today.drive, today.bus, "ELIGIBLE")
    expect(page).to_have_url(re.compile(rf"/donations/screenings/{screening.pk}/$"))
    screenshot(page, "mobile-drive-4-screening-saved")
    _sign_out(page)

    # The phlebotomist: the screening, donation entry with a DIN of the bus's label stock.
    sign_in(walk["phlebotomist"].username)
    page.goto(f"/donations/screenings/{screening.pk}/")
    page.get_by_role("link", name="Record the donation").click()
    expect(page.locator("main h1")).to_have_text(f"Donation of {donor}")
    expect(page.locator("#drive")).to_contain_text("its units go to the program California mobile")
    din = today.din()
    page.fill("#id_din", din.data_content)  # what the scanner types
    page.fill("#id_volume_ml", "495")
    page.fill("#id_bag_lot", "BAG-2611")
    screenshot(page, "mobile-drive-5-donation-entry")
    page.get_by_role("button", name="Record").click()

    expect(page.locator(".messages")).to_contain_text(f"Donation {din.text} recorded.")
    expect(page.locator("main h1")).to_have_text(f"Donation {din.text}")
    expect(page.locator("#program")).to_have_text(f"California mobile ({today.program.code})")
    expect(page.locator("#drive")).to_contain_text("Valley High School")
    expect(page.locator("#label-statement")).to_have_text("VOLUNTEER DONOR")
    expect(page.locator("#collection-type")).to_contain_text("V volunteer allogeneic")
    expect(page.locator("#compensation")).to_have_count(0)
    screenshot(page, "mobile-drive-6-donation-recorded")

    donation = Donation.objects.select_related("din", "program").get()
    assert donation.screening == screening
    assert donation.din.din == din.text
    assert donation.din.stock is not None
    assert donation.program == today.drive.program
    assert (donation.donor_classification, donation.collection_type, donation.volume_ml) == (
        "volunteer",
        "V",
        495,
    )


@pytest.mark.browser
def test_a_donor_deferred_for_low_hemoglobin_never_reaches_donation_entry(walk, sign_in, screenshot):
    today, donor = walk["today"], walk["donor"]

    page = sign_in(walk["screener"].username)
    _screen_from_the_board(page, today, donor.donor_number, screenshot, "deferred-")
    _enter_screening(page, {**VITALS, "hemoglobin_g_dl": "11.0"})
    expect(page.locator("#live-outcome")).to_have_text("Ineligible — temporary")
    expect(page.locator("#live-decision")).to_contain_text("hemoglobin_below_minimum")
    page.get_by_role("button", name="Save the screening").click()
    expect(page.locator("#outcome")).to_have_text("Ineligible — temporary")
    expect(page.locator("#come-back")).to_have_text("Not today: re-assessed at the next visit.")
    screening = Screening.objects.get()
    assert screening.drive == today.drive
    assert screening.collection_allowed is False
    screenshot(page, "mobile-drive-deferred-3-screening")
    _sign_out(page)

    # The phlebotomist finds no way to donation entry, and the page itself says why.
    page = sign_in(walk["phlebotomist"].username)
    page.goto(f"/donations/screenings/{screening.pk}/")
    expect(page.locator("#outcome")).to_have_text("Ineligible — temporary")
    expect(page.get_by_role("link", name="Record the donation")).to_have_count(0)
    page.goto(f"/donations/screenings/{screening.pk}/donation/")
    refusal = page.locator("#refusal")
    expect(refusal).to_contain_text("Collection is refused")
    expect(refusal).to_contain_text("emoglobin")
    expect(page.locator("#come-back")).to_have_text("Not today: re-assessed at the next visit.")
    expect(page.locator("#id_din")).to_have_count(0)
    screenshot(page, "mobile-drive-deferred-4-donation-entry-refused")

    # A donation form posted anyway (a stale tab, a crafted request) is refused with the reason.
    din = today.din(STOCK_SEQUENCE)
    page.evaluate(
        """([din, now]) => {
            const form = document.createElement("form");
            form.method = "post";
            const fields = {
                csrfmiddlewaretoken: document.querySelector("input[name=csrfmiddlewaretoken]").value,
                din: din, volume_ml: "500", bag_lot: "BAG-1", outcome: "complete",
                started_at: now, ended_at: now,
            };
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement("input");
                input.name = name; input.value = value; form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""",
        [
            din.data_content,
            timezone.localtime(timezone=ZoneInfo(today.bus.time_zone)).strftime("%Y-%m-%dT%H:%M"),
        ],
    )
    expect(refusal).to_contain_text("The donor is not eligible for Whole blood")
    expect(refusal).to_contain_text("hemoglobin_below_minimum")
    expect(refusal).to_contain_text("collection is refused")
    screenshot(page, "mobile-drive-deferred-5-donation-post-refused")
    assert Donation.objects.count() == 0
    assert not today.bus.issued_dins.exists()  # the label set stays unclaimed


STOCK_SEQUENCE = 501
