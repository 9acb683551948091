"""Holds and release: ``hold_place`` / ``hold_lift``; ``donations_release``, a batch
released as one signed act, only acceptable donations without a hold (the database refuses
otherwise, migration 0002); ``discrepancy_resolve``: the supervisor signs the type after
investigating an ABO/RhD discrepancy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record_many
from hemaops.core.models import Signature, User
from hemaops.core.signatures import RecordToSign, VerifiedSigner, signature_sign
from hemaops.donations.models import Donation
from hemaops.donors import services as donor_services
from hemaops.lab import rules
from hemaops.lab.errors import LabError
from hemaops.lab.evaluation_services import _evaluate, _final_results, _reevaluate
from hemaops.lab.models import DonationHold, DonationRelease, DonationTesting
from hemaops.lab.service_support import STREAM, _donation_loaded
from hemaops.lab.testing_services import _testing_locked


@transaction.atomic
def hold_place(*, actor: User | None, donation: Donation, reason: str) -> DonationHold:
    require_permission(actor, "lab.place_hold")
    if not reason.strip():
        raise LabError("reason: say why the donation is held", code="required", field="reason")
    donation = _donation_loaded(donation)
    _testing_locked(donation)
    hold = DonationHold.objects.create(
        donation=donation, reason=reason.strip(), placed_by=actor, placed_at=timezone.now()
    )
    events = [
        PendingEvent("lab.hold.placed", hold, {"new": {"din": donation.din.din, "reason": hold.reason}})
    ]
    _reevaluate(actor, [donation], events)
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return hold


@transaction.atomic
def hold_lift(*, actor: User | None, hold: DonationHold, reason: str) -> DonationHold:
    """Lift a hold. The donation is evaluated as it will be without it, and its status
    written, before the hold is marked lifted; a released donation that would not be
    acceptable keeps its last hold."""
    require_permission(actor, "lab.place_hold")
    if not reason.strip():
        raise LabError("reason: say why the hold is lifted", code="required", field="reason")
    donation = _donation_loaded(DonationHold.objects.get(pk=hold.pk).donation)
    testing = _testing_locked(donation)
    hold = DonationHold.objects.select_for_update().get(pk=hold.pk)
    if hold.lifted_at is not None:
        raise LabError("hold: already lifted", code="already_lifted", field="hold")
    others = (
        DonationHold.objects.filter(donation=donation, lifted_at__isnull=True).exclude(pk=hold.pk).exists()
    )
    if not others and DonationRelease.objects.filter(donation=donation).exists():
        without = _evaluate(testing, donation, _final_results([donation.pk]), on_hold=False)
        if without.status is not rules.TestingStatus.ACCEPTABLE:
            would_be = without.status.value.replace("_", " ")
            raise LabError(
                f"hold: {donation.din.din} is released and would be {would_be}; its last hold stays "
                "(quality decides)",
                code="released_not_acceptable",
                field="hold",
            )
    events: list[PendingEvent] = []
    _reevaluate(actor, [donation], events, lifting=hold.pk)
    hold.lifted_by, hold.lifted_at, hold.lift_reason = actor, timezone.now(), reason.strip()
    hold.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
    events.insert(0, PendingEvent("lab.hold.lifted", hold, {"new": {"reason": hold.lift_reason}}))
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return hold


def _release_content(testing: DonationTesting) -> dict[str, Any]:
    return {
        "din": testing.donation.din.din,
        "status": testing.status,
        "abo": testing.abo,
        "rhd": testing.rhd,
        "required_markers": testing.required_markers,
    }


@transaction.atomic
def donations_release(
    *, actor: User, signer: VerifiedSigner, donations: Sequence[Donation], reason: str = ""
) -> Signature:
    """Release one donation or a batch as one signed act (meaning ``released``). Refused
    whole, naming each DIN and why, unless every donation is acceptable, not held and not
    released yet."""
    require_permission(actor, "lab.release_donation")
    if signer.user.pk != actor.pk:
        raise LabError("signer: the person releasing signs", code="signer_mismatch", field="signer")
    if not donations:
        raise LabError("donations: choose the donations to release", code="required", field="donations")
    testings = list(
        DonationTesting.objects.select_for_update()
        .select_related("donation__din")
        .filter(donation__in=[d.pk for d in donations])
        .order_by("pk")
    )
    by_donation = {t.donation_id: t for t in testings}
    held = set(
        DonationHold.objects.filter(donation__in=list(by_donation), lifted_at__isnull=True).values_list(
            "donation_id", flat=True
        )
    )
    released = set(
        DonationRelease.objects.filter(donation__in=list(by_donation)).values_list("donation_id", flat=True)
    )
    problems = []
    for donation in donations:
        testing = by_donation.get(donation.pk)
        if testing is None:
            problems.append(f"{donation.din.din} has no results")
        elif donation.pk in released:
            problems.append(f"{donation.din.din} is released already")
        elif donation.pk in held:
            problems.append(f"{donation.din.din} is on hold")
        elif testing.status != rules.TestingStatus.ACCEPTABLE:
            problems.append(f"{donation.din.din} is {testing.status.replace('_', ' ')}")
    if problems:
        raise LabError(
            f"donations: release refused — {'; '.join(problems)}", code="not_releasable", field="donations"
        )
    signature = signature_sign(
        signer=signer,
        meaning=Signature.Meaning.RELEASED,
        records=[RecordToSign.of(t.donation, _release_content(t)) for t in testings],
        reason=reason,
        stream=STREAM,
    )
    now = timezone.now()
    rows = DonationRelease.objects.bulk_create(
        [
            DonationRelease(
                donation_id=t.donation_id, signature=signature, released_by=actor, released_at=now
            )
            for t in testings
        ]
    )
    audit_record_many(
        stream=STREAM,
        actor=actor,
        events=[
            PendingEvent(
                "lab.donation.released", row, {"new": {"din": t.donation.din.din, "signature": signature.pk}}
            )
            for row, t in zip(rows, testings, strict=True)
        ],
    )
    return signature


@transaction.atomic
def discrepancy_resolve(
    *, actor: User, signer: VerifiedSigner, donation: Donation, abo: str, rhd: str, reason: str
) -> DonationTesting:
    """After investigating an ABO/RhD discrepancy the supervisor signs the donation's type
    (meaning ``approved``); the donor's record takes it."""
    require_permission(actor, "lab.resolve_discrepancy")
    if signer.user.pk != actor.pk:
        raise LabError("signer: the person resolving signs", code="signer_mismatch", field="signer")
    if abo not in rules.ABO_GROUPS:
        raise LabError(f"abo: {abo!r} is not an ABO group", code="unknown_code", field="abo")
    if rhd not in {"pos", "neg"}:
        raise LabError(f"rhd: {rhd!r} is not pos or neg", code="unknown_code", field="rhd")
    if not reason.strip():
        raise LabError("reason: say what the investigation found", code="required", field="reason")
    donation = _donation_loaded(donation)
    testing = DonationTesting.objects.select_for_update().get(donation=donation)
    if testing.status != rules.TestingStatus.DISCREPANCY:
        raise LabError(
            f"donation: {donation.din.din} has no ABO/RhD discrepancy to resolve",
            code="no_discrepancy",
            field="donation",
        )
    signature = signature_sign(
        signer=signer,
        meaning=Signature.Meaning.APPROVED,
        records=[
            RecordToSign.of(donation, {"din": donation.din.din, "abo": abo, "rhd": rhd, "reason": reason})
        ],
        reason=reason,
        stream=STREAM,
    )
    testing.discrepancy_resolved_abo, testing.discrepancy_resolved_rhd = abo, rhd
    testing.discrepancy_signature = signature
    testing.save(
        update_fields=["discrepancy_resolved_abo", "discrepancy_resolved_rhd", "discrepancy_signature"]
    )
    donor_services.donor_blood_group_record(
        actor=actor, donor=donation.donor, abo=abo, rhd=rhd, recorded_on=timezone.localdate()
    )
    donation.donor.refresh_from_db()
    events = [
        PendingEvent("lab.discrepancy.resolved", testing, {"new": {"abo": abo, "rhd": rhd, "reason": reason}})
    ]
    _reevaluate(actor, [donation], events)
    audit_record_many(stream=STREAM, actor=actor, events=events)
    testing.refresh_from_db()
    return testing
