"""The laboratory's services: import whole or not at all and once, entry verified by another
person, the testing status, holds, the signed release (service and database), discrepancies,
and what a reactive result does to the donation and the donor."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hemaops.core.errors import DomainError, PermissionDeniedError
from hemaops.core.models import AuditEvent, Signature
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.donations import services as collection_services
from hemaops.donations.models import Donation
from hemaops.donors import services as donor_services
from hemaops.donors.models import DonorMarkerResult
from hemaops.lab import services
from hemaops.lab.models import DonationHold, DonationRelease, DonationTesting, DonorNotification, TestResult
from tests.conftest import PASSWORD
from tests.donations.test_collection import GOOD_VITALS, collect, screen
from tests.lab.results import file_of, full_panel, line


def _signer(user):
    return signer_verify(actor=user, password=PASSWORD, authenticated_by=INTERACTIVE)


def _import(lab, lines, name="run.csv"):
    return services.results_import(actor=lab["technologist"], filename=name, data=file_of(lines))


def _testing(donation) -> DonationTesting:
    return DonationTesting.objects.get(donation=donation)


def test_a_full_nonreactive_panel_makes_the_donation_acceptable_and_types_the_donor(lab, donation):
    _import(lab, full_panel(donation.din.din, abo="A", rhd="neg"))

    testing = _testing(donation)
    assert testing.status == "acceptable"
    assert (testing.abo, testing.rhd, testing.antibody_screen) == ("A", "neg", "negative")
    donation.donor.refresh_from_db()
    assert (donation.donor.abo_on_record, donation.donor.rhd_on_record) == ("A", "neg")
    assert TestResult.objects.filter(donation=donation).count() == 16  # with weak D
    assert AuditEvent.objects.filter(action="lab.results.imported").count() == 1


def test_a_missing_result_keeps_the_donation_pending_with_the_reason(lab, donation):
    _import(lab, full_panel(donation.din.din, skip=frozenset({"wnv_nat"})))
    testing = _testing(donation)
    assert testing.status == "pending"
    assert "wnv_nat pending" in testing.reasons


def test_the_same_file_twice_changes_nothing(lab, donation):
    data = full_panel(donation.din.din)
    first = _import(lab, data)
    events = AuditEvent.objects.count()
    second = _import(lab, data)
    assert second.pk == first.pk
    assert TestResult.objects.count() == 15
    assert AuditEvent.objects.count() == events


def test_a_bad_file_is_refused_whole_with_every_line_at_fault(lab, donation):
    lines = [*full_panel(donation.din.din), line("W000199999999", "hbsag", "initial", "nonreactive")]
    lines.append(line(donation.din.din, "zika_nat", "individual", "nonreactive"))
    with pytest.raises(services.ResultFileRefusedError) as refused:
        _import(lab, lines)
    assert {(number, field) for number, field, _ in refused.value.errors} == {(17, "din"), (18, "marker")}
    assert not TestResult.objects.exists()
    assert not DonationTesting.objects.exists()


def test_an_initially_reactive_marker_waits_for_its_duplicates(lab, donation):
    din = donation.din.din
    _import(
        lab, [*full_panel(din, skip=frozenset({"anti_hbc"})), line(din, "anti_hbc", "initial", "reactive")]
    )
    assert _testing(donation).status == "pending"
    _import(
        lab,
        [
            line(din, "anti_hbc", "repeat", "nonreactive", run="R2"),
            line(din, "anti_hbc", "repeat", "nonreactive", run="R3"),
        ],
        name="repeats.csv",
    )
    assert _testing(donation).status == "acceptable"


def test_a_repeatedly_reactive_result_marks_the_donation_for_discard_and_defers_the_donor(
    lab, staff, site, donation
):
    din = donation.din.din
    _import(
        lab,
        [
            *full_panel(din, skip=frozenset({"anti_hcv"})),
            line(din, "anti_hcv", "initial", "reactive"),
            line(din, "anti_hcv", "repeat", "reactive", run="R2"),
            line(din, "anti_hcv", "repeat", "nonreactive", run="R3"),
        ],
    )
    testing = _testing(donation)
    assert testing.status == "reactive"
    assert testing.marked_for_discard
    marker = DonorMarkerResult.objects.get(donor=donation.donor)
    assert (marker.marker, marker.result, marker.din) == ("hcv", "repeatedly_reactive", din)
    notification = DonorNotification.objects.get(donation=donation)
    assert (notification.due_on - timezone.localdate()).days == 56
    assert Donation.objects.filter(pk=donation.pk).exists()  # marked, never deleted
    next_visit = screen(staff, donation.donor, site)
    assert not next_visit.collection_allowed
    assert "hcv_repeatedly_reactive" in {reason["code"] for reason in next_visit.reasons}


def test_anti_hbc_reactive_on_one_occasion_does_not_defer_the_donor(lab, staff, site, donation):
    din = donation.din.din
    _import(
        lab,
        [
            *full_panel(din, skip=frozenset({"anti_hbc"})),
            line(din, "anti_hbc", "initial", "reactive"),
            line(din, "anti_hbc", "repeat", "reactive", run="R2"),
        ],
    )
    assert _testing(donation).status == "reactive"  # this unit is never used
    codes = {reason["code"] for reason in screen(staff, donation.donor, site).reasons}
    assert not any(code.startswith("anti_hbc") and "defer" in code for code in codes)


def test_hand_entered_results_count_only_once_another_person_verifies_them(lab, donation):
    _import(lab, full_panel(donation.din.din, skip=frozenset({"syphilis"})))
    result = services.result_enter(
        actor=lab["technologist"],
        donation=donation,
        marker="syphilis",
        stage="initial",
        reading="nonreactive",
    )
    assert _testing(donation).status == "pending"
    with pytest.raises(DomainError) as same:
        services.result_verify(actor=lab["technologist"], result=result)
    assert same.value.code == "same_person"
    services.result_verify(actor=lab["second_technologist"], result=result)
    assert _testing(donation).status == "acceptable"


def test_a_result_for_a_marker_not_in_the_panel_names_the_field(lab, donation):
    services.testing_open(donation)
    with pytest.raises(DomainError) as refused:
        services.result_enter(
            actor=lab["technologist"],
            donation=donation,
            marker="babesia_nat",
            stage="individual",
            reading="nonreactive",
        )
    assert refused.value.field == "marker"


def test_release_is_signed_and_only_for_acceptable_donations_without_a_hold(lab, staff, site, donation):
    _import(lab, full_panel(donation.din.din))
    supervisor = lab["supervisor"]
    hold = services.hold_place(actor=lab["technologist"], donation=donation, reason="label check")
    assert _testing(donation).status == "on_hold"
    with pytest.raises(DomainError) as refused:
        services.donations_release(actor=supervisor, signer=_signer(supervisor), donations=[donation])
    assert "on hold" in refused.value.message
    services.hold_lift(actor=lab["technologist"], hold=hold, reason="label fine")
    signature = services.donations_release(actor=supervisor, signer=_signer(supervisor), donations=[donation])
    assert signature.meaning == Signature.Meaning.RELEASED
    assert DonationRelease.objects.get(donation=donation).signature == signature


def test_a_batch_with_one_pending_donation_is_refused_whole(lab, donation, another_donation):
    _import(lab, full_panel(donation.din.din))
    _import(lab, full_panel(another_donation.din.din, skip=frozenset({"hcv_nat"})), name="second.csv")
    supervisor = lab["supervisor"]
    with pytest.raises(DomainError) as refused:
        services.donations_release(
            actor=supervisor, signer=_signer(supervisor), donations=[donation, another_donation]
        )
    assert f"{another_donation.din.din} is pending" in refused.value.message
    assert not DonationRelease.objects.exists()
    _import(lab, [line(another_donation.din.din, "hcv_nat", "individual", "nonreactive")], name="third.csv")
    services.donations_release(
        actor=supervisor, signer=_signer(supervisor), donations=[donation, another_donation]
    )
    assert DonationRelease.objects.count() == 2
    assert Signature.objects.filter(meaning="released").count() == 1


def test_only_the_lab_supervisor_releases(lab, donation):
    _import(lab, full_panel(donation.din.din))
    with pytest.raises(PermissionDeniedError):
        services.donations_release(
            actor=lab["technologist"], signer=_signer(lab["technologist"]), donations=[donation]
        )


@pytest.mark.postgres
def test_the_database_refuses_a_release_row_for_a_donation_that_is_not_acceptable(lab, donation):
    if connection.vendor != "postgresql":
        pytest.skip("the release guard is a PostgreSQL trigger")
    _import(lab, full_panel(donation.din.din, skip=frozenset({"hiv_nat"})))
    signature = Signature.objects.create(
        signer=lab["supervisor"], signer_full_name="x", signed_at=timezone.now(), meaning="released", mac="x"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        DonationRelease.objects.create(
            donation=donation, signature=signature, released_by=lab["supervisor"], released_at=timezone.now()
        )


def test_a_late_reactive_result_holds_the_released_donation_and_flags_it(lab, donation):
    din = donation.din.din
    _import(lab, full_panel(din))
    supervisor = lab["supervisor"]
    services.donations_release(actor=supervisor, signer=_signer(supervisor), donations=[donation])
    services.result_enter(
        actor=lab["technologist"],
        donation=donation,
        marker="hiv_nat",
        stage="supplemental",
        reading="positive",
    )
    result = TestResult.objects.get(stage="supplemental")
    services.result_verify(actor=lab["second_technologist"], result=result)

    testing = _testing(donation)
    assert testing.status == "reactive"
    assert testing.late_reactive
    assert DonationHold.objects.filter(donation=donation, lifted_at__isnull=True).exists()
    assert DonationRelease.objects.filter(donation=donation).exists()  # history is not edited
    with pytest.raises(DomainError):
        services.hold_lift(
            actor=lab["technologist"], hold=DonationHold.objects.get(donation=donation), reason="x"
        )


def test_an_abo_discrepancy_holds_release_until_the_supervisor_signs_the_type(lab, donation):
    din = donation.din.din
    donation.donor.abo_on_record, donation.donor.rhd_on_record = "A", "pos"
    donation.donor.save(update_fields=["abo_on_record", "rhd_on_record"])
    _import(lab, full_panel(din, abo="O", rhd="pos"))
    assert _testing(donation).status == "discrepancy"
    supervisor = lab["supervisor"]
    testing = services.discrepancy_resolve(
        actor=supervisor,
        signer=_signer(supervisor),
        donation=donation,
        abo="O",
        rhd="pos",
        reason="record was a transcription error; two samples typed O",
    )
    assert testing.status == "acceptable"
    assert testing.discrepancy_signature.meaning == Signature.Meaning.APPROVED
    donation.donor.refresh_from_db()
    assert donation.donor.abo_on_record == "O"


@pytest.mark.parametrize(
    ("test", "result", "field"),
    [
        ("cmv_antibody", "maybe", "result"),
        ("cmv_virus", "negative", "test"),
        ("red_cell_antigens", "K", "result"),  # a sign is needed
        ("red_cell_antigens", "K- K+", "result"),  # twice
        ("red_cell_antigens", "Q+", "result"),  # not an antigen
    ],
)
def test_a_bad_special_test_names_its_field_and_records_nothing(lab, donation, test, result, field):
    with pytest.raises(DomainError) as refused:
        services.special_test_record(actor=lab["technologist"], donation=donation, test=test, result=result)
    assert refused.value.field == field
    assert not DonationTesting.objects.filter(donation=donation).exclude(special_tests={}).exists()


def test_special_tests_are_kept_as_attributes_of_the_donation(lab, donation):
    services.special_test_record(
        actor=lab["technologist"], donation=donation, test="cmv_antibody", result="negative"
    )
    testing = services.special_test_record(
        actor=lab["technologist"], donation=donation, test="red_cell_antigens", result="C+ c+ E- e+ K-"
    )
    assert {test: entry["result"] for test, entry in testing.special_tests.items()} == {
        "cmv_antibody": "negative",
        "red_cell_antigens": "C+ c+ E- e+ K-",
    }
    assert AuditEvent.objects.filter(action="lab.special_test.recorded").count() == 2


def test_bacterial_risk_control_is_for_platelet_donations_only(lab, donation):
    with pytest.raises(DomainError) as refused:
        services.bacterial_control_record(actor=lab["technologist"], donation=donation, method="lvds")
    assert refused.value.field == "donation"
    with pytest.raises(DomainError) as unknown:
        services.bacterial_control_record(actor=lab["technologist"], donation=donation, method="uv_lamp")
    assert unknown.value.field == "method"


def test_a_female_platelet_donation_waits_for_its_hla_antibody_result(lab, staff, site, panel):
    donor = donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name="Platt", given_name="Ada", date_of_birth=date(1988, 8, 8), sex="F"
        ),
    )
    screening = collection_services.screening_record(
        actor=staff["screener"],
        donor=donor,
        site=site,
        procedure="platelets",
        vitals={**GOOD_VITALS, "platelet_count_k_per_ul": 250},
    )
    donation = collect(staff, screening, site, procedure="platelets")
    _import(lab, full_panel(donation.din.din))
    testing = _testing(donation)
    assert testing.required_special_tests == ["hla_antibody"]
    assert testing.status == "pending"
    assert "hla_antibody pending" in testing.reasons
    services.special_test_record(
        actor=lab["technologist"], donation=donation, test="hla_antibody", result="negative"
    )
    assert _testing(donation).status == "acceptable"
