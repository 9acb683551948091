"""The laboratory's pages: result files (refused with every error, imported once), results
typed by hand and verified by another person, holds, the signed batch release, the worklists,
notifications and the deferred-donor list, the navigation and the supervisor's panel."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hemaops.core import roles
from hemaops.core.models import AuditEvent, Signature
from hemaops.core.registry import registry
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.donors import services as donor_services
from hemaops.lab import dashboard, services
from hemaops.lab.models import DonationHold, DonationRelease, DonationTesting, DonorNotification, TestResult
from tests.conftest import PASSWORD
from tests.donations.test_collection import collect, screen
from tests.lab.results import file_of, full_panel, line

pytestmark = pytest.mark.django_db

HOME = "/lab/"
IMPORT = "/lab/results/import/"
ENTER = "/lab/results/new/"
RELEASES = "/lab/releases/"


@pytest.fixture(autouse=True)
def _registered():
    dashboard.register()  # LabConfig.ready registers it; adding twice is a no-op


def _upload(client, lines, name="run.csv"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, file_of(lines), content_type="text/csv")})


def _import(lab, lines, name="run.csv"):
    return services.results_import(actor=lab["technologist"], filename=name, data=file_of(lines))


def _status(donation) -> str:
    return DonationTesting.objects.get(donation=donation).status


def test_a_refused_file_shows_every_error_by_line_and_field_and_saves_nothing(client, lab, donation):
    client.force_login(lab["technologist"])
    lines = [
        *full_panel(donation.din.din),
        line("W000199999999", "hbsag", "initial", "nonreactive"),
        line(donation.din.din, "zika_nat", "individual", "nonreactive"),
    ]
    page = _upload(client, lines)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="file-errors"' in html
    assert "Refused: 2 error(s)" in html
    assert "<td>17</td><td>din</td><td>no donation has DIN W000199999999</td>" in html
    assert "<td>18</td><td>marker</td>" in html
    assert not TestResult.objects.exists()
    assert not DonationTesting.objects.exists()


def test_a_good_file_makes_the_donation_acceptable_and_puts_it_in_the_release_queue(client, lab, donation):
    client.force_login(lab["technologist"])
    answer = _upload(client, full_panel(donation.din.din))
    assert answer.status_code == 302
    assert answer["Location"] == HOME
    assert _status(donation) == "acceptable"
    home = client.get(HOME).content.decode()
    assert "15 results imported" in home
    assert '<strong id="count-release-queue">1</strong>' in home
    queue = client.get(RELEASES).content.decode()
    assert f'id="queue-{donation.pk}"' in queue
    assert donation.din.din in queue
    assert 'name="password"' not in queue  # a technologist does not release


def test_the_same_file_a_second_time_says_it_was_imported_before(client, lab, donation):
    client.force_login(lab["technologist"])
    lines = full_panel(donation.din.din)  # the same bytes twice (the lines carry the time)
    _upload(client, lines, name="first.csv")
    results = TestResult.objects.count()
    answer = _upload(client, lines, name="again.csv")
    assert answer.status_code == 302
    follow = client.get(answer["Location"]).content.decode()
    assert "This file was imported before" in follow
    assert "first.csv" in follow
    assert TestResult.objects.count() == results


def test_the_supervisor_releases_a_batch_signed_on_the_page(client, lab, donation, another_donation):
    _import(lab, [*full_panel(donation.din.din), *full_panel(another_donation.din.din)])
    client.force_login(lab["supervisor"])
    page = client.get(RELEASES).content.decode()
    assert 'name="donations"' in page
    assert 'name="password"' in page
    answer = client.post(
        RELEASES, {"donations": [donation.pk, another_donation.pk], "password": PASSWORD, "reason": "batch 1"}
    )
    assert answer.status_code == 302
    assert DonationRelease.objects.count() == 2
    signature = Signature.objects.get(meaning="released")
    assert signature.signer == lab["supervisor"]
    assert set(DonationRelease.objects.values_list("signature", flat=True)) == {signature.pk}
    assert "No donation waits for release" in client.get(RELEASES).content.decode()
    detail = client.get(f"/lab/donations/{donation.pk}/").content.decode()
    assert "meaning <strong>released</strong>" in detail


def test_a_wrong_password_is_refused_on_the_field_and_releases_nothing(client, lab, donation):
    _import(lab, full_panel(donation.din.din))
    client.force_login(lab["supervisor"])
    page = client.post(RELEASES, {"donations": [donation.pk], "password": "wrong"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "The password does not match" in html
    assert f'value="{donation.pk}" id="id_donations_{donation.pk}" checked' in html  # kept as checked
    assert not DonationRelease.objects.exists()
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="core.signature.refused").count() == 1


def test_releasing_nothing_checked_is_refused_on_the_donations(client, lab, donation):
    _import(lab, full_panel(donation.din.din))
    client.force_login(lab["supervisor"])
    page = client.post(RELEASES, {"password": PASSWORD})
    assert page.status_code == 200
    assert "Choose the donations to release" in page.content.decode()
    assert not DonationRelease.objects.exists()


def test_a_pending_donation_in_the_batch_refuses_it_whole_naming_the_din(
    client, lab, donation, another_donation
):
    _import(lab, full_panel(donation.din.din))
    _import(lab, full_panel(another_donation.din.din, skip=frozenset({"hcv_nat"})), name="b.csv")
    client.force_login(lab["supervisor"])
    page = client.post(RELEASES, {"donations": [donation.pk, another_donation.pk], "password": PASSWORD})
    assert page.status_code == 200
    assert f"{another_donation.din.din} is pending" in page.content.decode()
    assert not DonationRelease.objects.exists()


def test_a_technologist_cannot_release(client, lab, donation):
    _import(lab, full_panel(donation.din.din))
    client.force_login(lab["technologist"])
    answer = client.post(RELEASES, {"donations": [donation.pk], "password": PASSWORD})
    assert answer.status_code == 403
    assert not DonationRelease.objects.exists()


def test_a_result_entered_by_hand_is_verified_by_another_from_the_page(client, lab, donation):
    _import(lab, full_panel(donation.din.din, skip=frozenset({"wnv_nat"})))
    assert _status(donation) == "pending"
    client.force_login(lab["technologist"])
    answer = client.post(
        ENTER,
        {"din": donation.din.din, "marker": "wnv_nat", "stage": "individual", "reading": "nonreactive"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == f"/lab/donations/{donation.pk}/"
    result = TestResult.objects.get(marker="wnv_nat")
    assert result.entered_by == lab["technologist"]
    assert _status(donation) == "pending"  # not verified yet
    own = client.get(HOME).content.decode()
    assert f'id="result-{result.pk}"' not in own  # not on one's own list to verify
    assert client.post(f"/lab/results/{result.pk}/verify/").status_code == 200  # refused: own entry
    result.refresh_from_db()
    assert result.verified_at is None

    client.force_login(lab["second_technologist"])
    home = client.get(HOME).content.decode()
    assert f'id="result-{result.pk}"' in home
    answer = client.post(f"/lab/results/{result.pk}/verify/")
    assert answer.status_code == 302
    result.refresh_from_db()
    assert result.verified_by == lab["second_technologist"]
    assert _status(donation) == "acceptable"
    detail = client.get(f"/lab/donations/{donation.pk}/").content.decode()
    assert "tech2" in detail
    assert lab["technologist"].username in detail


def test_manual_entry_names_the_field_at_fault(client, lab, donation):
    client.force_login(lab["technologist"])
    page = client.post(
        ENTER, {"din": "W0001 25", "marker": "wnv_nat", "stage": "individual", "reading": "nonreactive"}
    )
    assert page.status_code == 200
    form = page.context["form"]
    assert "din" in form.errors
    page = client.post(
        ENTER, {"din": donation.din.din, "marker": "wnv_nat", "stage": "bogus", "reading": "nonreactive"}
    )
    assert "stage" in page.context["form"].errors
    assert not TestResult.objects.exists()


def test_a_hold_is_placed_and_lifted_from_the_testing_record(client, lab, donation):
    _import(lab, full_panel(donation.din.din))
    client.force_login(lab["technologist"])
    detail = f"/lab/donations/{donation.pk}/"
    refused = client.post(f"{detail}holds/", {"reason": ""})
    assert refused.status_code == 200
    assert "reason" in refused.context["hold_form"].errors
    answer = client.post(f"{detail}holds/", {"reason": "sample tube cracked, investigating"})
    assert answer.status_code == 302
    hold = DonationHold.objects.get(donation=donation)
    assert _status(donation) == "on_hold"
    page = client.get(detail).content.decode()
    assert "sample tube cracked" in page
    assert '<strong id="count-holds">1</strong>' in client.get(HOME).content.decode()
    assert "No donation waits for release" in client.get(RELEASES).content.decode()

    answer = client.post(f"/lab/holds/{hold.pk}/lift/", {"reason": "new sample tested, fine"})
    assert answer.status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_by == lab["technologist"]
    assert _status(donation) == "acceptable"
    again = client.post(f"/lab/holds/{hold.pk}/lift/", {"reason": "again"})
    assert again.status_code == 200
    assert "Already lifted" in again.content.decode()


def test_the_detail_of_another_role_is_not_found(client, make_user, lab, donation):
    client.force_login(make_user(roles.RECRUITER))
    assert client.get(f"/lab/donations/{donation.pk}/").status_code in {403, 404}


def test_a_discrepancy_is_resolved_with_a_signature(client, lab, donation):
    donor = donation.donor
    type(donor).objects.filter(pk=donor.pk).update(abo_on_record="A", rhd_on_record="pos")
    _import(lab, full_panel(donation.din.din, abo="B"))
    assert _status(donation) == "discrepancy"
    client.force_login(lab["supervisor"])
    home = client.get(HOME).content.decode()
    assert f"/lab/donations/{donation.pk}/discrepancy/" in home
    url = f"/lab/donations/{donation.pk}/discrepancy/"
    refused = client.post(url, {"abo": "B", "rhd": "pos", "reason": "recollected", "password": "wrong"})
    assert "password" in refused.context["form"].errors
    answer = client.post(url, {"abo": "B", "rhd": "pos", "reason": "recollected", "password": PASSWORD})
    assert answer.status_code == 302
    assert _status(donation) == "acceptable"
    assert Signature.objects.filter(meaning="approved").count() == 1


def test_notifications_due_are_listed_and_recorded_done(client, lab, donation):
    din = donation.din.din
    _import(
        lab, [*full_panel(din, skip=frozenset({"hiv_nat"})), line(din, "hiv_nat", "individual", "reactive")]
    )
    notification = DonorNotification.objects.get(donation=donation)
    client.force_login(lab["supervisor"])
    page = client.get("/lab/notifications/").content.decode()
    assert f'id="notification-{notification.pk}"' in page
    refused = client.post(f"/lab/notifications/{notification.pk}/done/", {"how": ""})
    assert refused.status_code == 200
    answer = client.post(f"/lab/notifications/{notification.pk}/done/", {"how": "letter"})
    assert answer.status_code == 302
    notification.refresh_from_db()
    assert notification.how == "letter"
    deferred = client.get("/lab/deferred-donors/").content.decode()
    assert donation.donor.donor_number in deferred
    assert din in deferred


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == 200
    return len(queries)


def test_the_home_costs_the_same_queries_whatever_the_rows(
    client, lab, staff, site, donation, another_donation
):
    # A row in every list: released-ready, pending, a hand entry to verify, a hold, a notification.
    din, other = donation.din.din, another_donation.din.din
    _import(lab, [*full_panel(din), *full_panel(other, skip=frozenset({"abo"}))])
    services.result_enter(
        actor=lab["technologist"],
        donation=another_donation,
        marker="abo",
        stage="forward",
        reading="positive",
    )
    client.force_login(lab["supervisor"])
    before = _home_queries(client)
    third = collect(staff, screen(staff, _third_donor(), site), site)
    fourth = collect(staff, screen(staff, _third_donor("Okafor"), site), site)
    _import(
        lab,
        [
            *full_panel(third.din.din, skip=frozenset({"abo"})),
            *full_panel(fourth.din.din, skip=frozenset({"hiv_nat"})),
            line(fourth.din.din, "hiv_nat", "individual", "reactive"),
        ],
        name="more.csv",
    )
    services.result_enter(
        actor=lab["technologist"], donation=third, marker="abo", stage="forward", reading="positive"
    )
    services.hold_place(actor=lab["technologist"], donation=donation, reason="investigating")
    assert _home_queries(client) == before
    html = client.get(HOME).content.decode()
    assert '<strong id="count-pending">2</strong>' in html
    assert '<strong id="count-to-verify">2</strong>' in html


def _third_donor(family_name="Nakamura"):
    return donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name=family_name, given_name="Kenji", date_of_birth=date(1985, 3, 4), sex="M"
        ),
        not_a_duplicate=True,
    )


def test_the_navigation_and_the_supervisors_panel(client, lab, donation):
    names = {link.url_name for link in registry.nav_for(frozenset({roles.LAB_TECHNOLOGIST}))}
    assert "lab:home" in names
    assert "lab:home" not in {link.url_name for link in registry.nav_for(frozenset({roles.RECRUITER}))}
    _import(lab, full_panel(donation.din.din))
    client.force_login(lab["supervisor"])
    home = client.get("/").content.decode()
    assert '<strong id="release-queue-count">1</strong>' in home


def test_repeats_due_and_late_reactive_results_are_on_the_home(client, lab, donation, another_donation):
    din, other = donation.din.din, another_donation.din.din
    _import(
        lab,
        [
            *full_panel(din),
            *full_panel(other, skip=frozenset({"anti_hbc"})),
            line(other, "anti_hbc", "initial", "reactive"),
        ],
    )
    signer = signer_verify(actor=lab["supervisor"], password=PASSWORD, authenticated_by=INTERACTIVE)
    services.donations_release(actor=lab["supervisor"], signer=signer, donations=[donation])
    _import(lab, [line(din, "hiv_nat", "individual", "reactive")], name="late.csv")
    client.force_login(lab["quality"])
    html = client.get(HOME).content.decode()
    assert '<strong id="count-work-due">1</strong>' in html
    assert "anti_hbc repeat_needed" in html
    assert '<strong id="count-late-reactive">1</strong>' in html
    assert "late result after release" in html  # the hold it placed


def test_a_donation_collected_with_no_result_yet_is_on_the_home(client, lab, donation):
    client.force_login(lab["technologist"])
    html = client.get("/lab/").content.decode()
    assert '<strong id="count-awaiting">1</strong>' in html
    assert donation.din.din in html
    _import(lab, full_panel(donation.din.din))
    assert '<strong id="count-awaiting">0</strong>' in client.get("/lab/").content.decode()
