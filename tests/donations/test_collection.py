"""Screening, overrides, donations and reactions (issue 5 items 3 and 5; invariant 2)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hemaops.core.errors import ConflictError, DomainError, PermissionDeniedError
from hemaops.core.models import AuditEvent, Signature
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.donations import services
from hemaops.donations.drive_services import site_today
from hemaops.donations.models import AdverseReaction, Donation, DonorDeferral, Screening
from hemaops.donors import services as donor_services
from tests.clock import earlier_today
from tests.conftest import PASSWORD

GOOD_VITALS = {
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


def screen(staff, donor, site, **vitals):
    return services.screening_record(
        actor=staff["screener"],
        donor=donor,
        site=site,
        procedure="whole_blood",
        vitals={**GOOD_VITALS, **vitals},
    )


def collect(staff, screening, site, **extra):
    din = services.din_generate(actor=staff["phlebotomist"], site=site, year="25").issued
    arguments = {
        "actor": staff["phlebotomist"],
        "screening": screening,
        "din": din,
        "started_at": earlier_today(site, minutes=12),
        "ended_at": earlier_today(site, minutes=2),
        "volume_ml": 500,
        "bag_lot": "BAG-7",
        "outcome": "complete",
        **extra,
    }
    return services.donation_record(**arguments)


def verified(user):
    return signer_verify(actor=user, password=PASSWORD, authenticated_by=INTERACTIVE)


def test_eligible_donor_is_screened_and_collected(staff, donor, site):
    screening = screen(staff, donor, site)
    assert screening.outcome == "ELIGIBLE"
    assert screening.collection_allowed is True
    donation = collect(staff, screening, site)
    assert donation.donor == donor
    assert donation.volume_ml == 500
    assert AuditEvent.objects.filter(
        action="donations.donation.recorded", target_id=str(donation.pk)
    ).exists()


def test_the_next_screening_sees_the_donation_and_defers_whole_blood_for_56_days(staff, donor, site):
    collect(staff, screen(staff, donor, site), site)
    again = screen(staff, donor, site)
    assert again.outcome == "INELIGIBLE_TEMPORARY"
    assert again.eligible_on == again.screened_on + timedelta(days=56)
    assert "interval_whole_blood_to_whole_blood" in {reason["code"] for reason in again.reasons}


def test_ineligible_donor_is_refused_collection_by_the_service(staff, donor, site):
    screening = screen(staff, donor, site, hemoglobin_g_dl=11.0)
    assert screening.outcome == "INELIGIBLE_TEMPORARY"
    assert screening.collection_allowed is False
    with pytest.raises(DomainError) as refused:
        collect(staff, screening, site)
    assert refused.value.code == "donor_not_eligible"
    assert Donation.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_a_donation_row_for_a_screening_that_does_not_allow_it(staff, donor, site):
    screening = screen(staff, donor, site, hemoglobin_g_dl=11.0)
    din = services.din_generate(actor=None, site=site, year="25").issued
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Donation.objects.create(
            screening=screening,
            donor=donor,
            site=site,
            din=din,
            procedure="whole_blood",
            started_at=now,
            ended_at=now,
            volume_ml=500,
            bag_lot="X",
            phlebotomist=staff["phlebotomist"],
            outcome="complete",
            recorded_at=now,
        )


def test_a_deferral_with_a_fixed_end_is_recorded_and_tells_when_to_come_back(staff, donor, site):
    screening = services.screening_record(
        actor=staff["screener"],
        donor=donor,
        site=site,
        procedure="whole_blood",
        vitals=GOOD_VITALS,
        answers=[{"code": "malaria_area_return", "date": site_today(site).isoformat()}],
    )
    assert screening.outcome == "INELIGIBLE_TEMPORARY"
    deferral = DonorDeferral.objects.get(donor=donor)
    assert deferral.kind == "temporary"
    assert deferral.until == screening.eligible_on
    assert deferral.screening == screening


def test_director_override_of_blood_pressure_allows_collection(staff, donor, site):
    screening = screen(staff, donor, site, systolic_mm_hg=185)
    assert screening.outcome == "REQUIRES_PHYSICIAN"
    override = services.screening_override(
        actor=staff["director"],
        signer=verified(staff["director"]),
        screening=screening,
        reason_code="systolic_blood_pressure_out_of_range",
        justification="Known white-coat hypertension; repeat 178 after rest",
    )
    assert override.signature.meaning == Signature.Meaning.OVERRIDDEN
    screening.refresh_from_db()
    assert screening.collection_allowed is True
    assert collect(staff, screening, site).pk is not None


def test_telephone_override_allows_collection_and_waits_for_the_directors_signature(staff, donor, site):
    screening = screen(staff, donor, site, pulse_bpm=104)
    override = services.screening_override_by_telephone(
        actor=staff["screener"],
        screening=screening,
        reason_code="pulse_out_of_range",
        justification="Director consulted by telephone",
        director=staff["director"],
    )
    assert override.pending_signature
    screening.refresh_from_db()
    collect(staff, screening, site)
    signed = services.screening_override_sign(
        actor=staff["director"], signer=verified(staff["director"]), override=override
    )
    assert not signed.pending_signature


def test_only_the_medical_director_overrides(staff, donor, site):
    screening = screen(staff, donor, site, systolic_mm_hg=185)
    with pytest.raises(PermissionDeniedError):
        services.screening_override(
            actor=staff["screener"],
            signer=verified(staff["screener"]),
            screening=screening,
            reason_code="systolic_blood_pressure_out_of_range",
            justification="no",
        )
    with pytest.raises(DomainError) as refused:
        services.screening_override_by_telephone(
            actor=staff["screener"],
            screening=screening,
            reason_code="systolic_blood_pressure_out_of_range",
            justification="no",
            director=staff["phlebotomist"],
        )
    assert refused.value.code == "not_medical_director"


def test_a_regulatory_minimum_is_never_overridden(staff, donor, site):
    screening = screen(staff, donor, site, hemoglobin_g_dl=11.0)
    with pytest.raises(DomainError) as refused:
        services.screening_override(
            actor=staff["director"],
            signer=verified(staff["director"]),
            screening=screening,
            reason_code="hemoglobin_below_minimum",
            justification="please",
        )
    assert refused.value.code == "not_overridable"
    assert screening.overrides.count() == 0


def test_an_infectious_disease_deferral_is_never_overridden(staff, donor, site):
    screening = services.screening_record(
        actor=staff["screener"],
        donor=donor,
        site=site,
        procedure="whole_blood",
        vitals=GOOD_VITALS,
        answers=[{"code": "oral_prep_last_dose", "date": site_today(site).isoformat()}],
    )
    code = next(r["code"] for r in screening.reasons if r["outcome"] == "INELIGIBLE_TEMPORARY")
    with pytest.raises(DomainError) as refused:
        services.screening_override(
            actor=staff["director"],
            signer=verified(staff["director"]),
            screening=screening,
            reason_code=code,
            justification="please",
        )
    assert refused.value.code == "not_overridable"


def test_a_din_is_never_used_for_two_donations(staff, donor, site):
    first = collect(staff, screen(staff, donor, site), site)
    other = donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name="Ito", given_name="Kana", date_of_birth=date(1990, 1, 2), sex="M"
        ),
    )
    second = screen(staff, other, site)
    with pytest.raises(ConflictError) as refused:
        collect(staff, second, site, din=first.din)
    assert refused.value.code == "din_used"


def test_one_donation_per_screening(staff, donor, site):
    screening = screen(staff, donor, site)
    collect(staff, screening, site)
    with pytest.raises(ConflictError):
        collect(staff, screening, site)


@pytest.mark.parametrize(
    ("vitals", "field"),
    [({"pulse_bpm": 400}, "vitals.pulse_bpm"), ({"systolic_mm_hg": "high"}, "vitals.systolic_mm_hg")],
)
def test_impossible_vitals_name_the_field(staff, donor, site, vitals, field):
    with pytest.raises(DomainError) as refused:
        screen(staff, donor, site, **vitals)
    assert refused.value.field == field
    assert Screening.objects.count() == 0


def test_unknown_procedure_and_future_date_name_the_field(staff, donor, site):
    with pytest.raises(DomainError) as refused:
        services.screening_record(
            actor=staff["screener"], donor=donor, site=site, procedure="bone_marrow", vitals=GOOD_VITALS
        )
    assert refused.value.field == "procedure"
    screening = screen(staff, donor, site)
    later = timezone.now() + timedelta(hours=3)
    with pytest.raises(DomainError) as refused:
        collect(staff, screening, site, started_at=later, ended_at=later)
    assert refused.value.field == "started_at"


def test_a_severe_reaction_is_flagged_for_the_quality_officer(staff, donor, site):
    donation = collect(staff, screen(staff, donor, site), site)
    mild = services.adverse_reaction_record(
        actor=staff["phlebotomist"], donation=donation, kind="hematoma", severity="mild", care_given="Ice"
    )
    severe = services.adverse_reaction_record(
        actor=staff["phlebotomist"],
        donation=donation,
        kind="vasovagal",
        severity="severe",
        care_given="Loss of consciousness; legs raised; ambulance",
    )
    assert mild.reportable is False
    assert severe.reportable is True
    assert list(AdverseReaction.objects.filter(reportable=True)) == [severe]
