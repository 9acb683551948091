"""Overrides of a screening's decision: the medical director overrides one overridable reason
and signs it, or approves it by telephone and signs later. Only reasons the engine marks
overridable (``overridable_by``: a physician-judged finding, an establishment policy) can be
overridden, with a reason and a signature.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.errors import ConflictError, PermissionDeniedError
from hemaops.core.models import Signature, User
from hemaops.core.signatures import RecordToSign, VerifiedSigner, signature_sign
from hemaops.donations.errors import DonationsError
from hemaops.donations.models.collection import Donation, Screening, ScreeningOverride
from hemaops.donations.service_support import STREAM, _collection_allowed, _lock_screening, blocking_reasons

OVERRIDE_PERMISSION = "donations.override_eligibility"


def _overridable_reason(screening: Screening, reason_code: str) -> dict[str, Any]:
    for reason in blocking_reasons(screening):
        if reason["code"] == reason_code:
            if reason["overridable_by"] is None:
                raise DonationsError(
                    f"reason_code: {reason_code} is not overridable — a regulatory minimum, an "
                    "infectious-disease deferral or an incomplete assessment is never overridden",
                    code="not_overridable",
                    field="reason_code",
                )
            return reason
    raise DonationsError(
        f"reason_code: the decision has no blocking reason {reason_code!r}",
        code="unknown_reason",
        field="reason_code",
    )


def _override_content(
    screening: Screening, reason: dict[str, Any], justification: str, director: User
) -> dict[str, Any]:
    """What the director's signature binds: the screening, its decision and the reason overridden."""
    return {
        "screening": screening.pk,
        "donor": screening.donor.donor_number,
        "screened_on": screening.screened_on.isoformat(),
        "procedure": screening.procedure,
        "outcome": screening.outcome,
        "reason": reason,
        "justification": justification,
        "director": director.pk,
    }


def _override_check(
    *, screening: Screening, reason_code: str, justification: str, director: User
) -> dict[str, Any]:
    if not justification.strip():
        raise DonationsError(
            "justification: give the reason for the override", code="required", field="justification"
        )
    if not director.is_active or not director.has_perm(OVERRIDE_PERMISSION):
        raise DonationsError(
            "director: only the medical director may override an eligibility finding",
            code="not_medical_director",
            field="director",
        )
    if Donation.objects.filter(screening=screening).exists():
        raise ConflictError(
            "screening: the donation was already collected", code="already_collected", field="screening"
        )
    reason = _overridable_reason(screening, reason_code)
    if screening.overrides.filter(reason_code=reason_code).exists():
        raise ConflictError(
            f"reason_code: {reason_code} is already overridden",
            code="already_overridden",
            field="reason_code",
        )
    return reason


def _override_sign(
    signer: VerifiedSigner, screening: Screening, override: ScreeningOverride, reason: dict[str, Any]
) -> Signature:
    content = _override_content(screening, reason, override.justification, override.director)
    return signature_sign(
        signer=signer,
        meaning=Signature.Meaning.OVERRIDDEN,
        records=[RecordToSign.of(screening, content)],
        reason=f"{override.reason_code}: {override.justification}",
        stream=STREAM,
    )


def _override_apply(screening: Screening) -> None:
    overridden = set(screening.overrides.values_list("reason_code", flat=True))
    allowed = _collection_allowed(screening, overridden)
    if allowed != screening.collection_allowed:
        screening.collection_allowed = allowed
        screening.save(update_fields=["collection_allowed"])


def _override_audit(actor: User | None, override: ScreeningOverride, action: str) -> None:
    audit_record(
        stream=STREAM,
        action=action,
        actor=actor,
        target=override,
        data={
            "old": {},
            "new": {
                "screening": override.screening_id,
                "reason_code": override.reason_code,
                "director": override.director.get_username(),
                "by_telephone": override.by_telephone,
                "signed": override.signature_id is not None,
            },
        },
        reason=override.justification,
    )


@transaction.atomic
def screening_override(
    *, actor: User, signer: VerifiedSigner, screening: Screening, reason_code: str, justification: str
) -> ScreeningOverride:
    """The medical director overrides one overridable reason and signs it ("overridden").
    ``signer`` comes from ``signer_verify``, called before this transaction."""
    require_permission(actor, OVERRIDE_PERMISSION)
    if signer.user.pk != actor.pk:
        raise PermissionDeniedError("The signer must be the director overriding.", code="signer_mismatch")
    screening = _lock_screening(screening)
    reason = _override_check(
        screening=screening, reason_code=reason_code, justification=justification, director=actor
    )
    override = ScreeningOverride(
        screening=screening,
        reason_code=reason_code,
        justification=justification.strip(),
        director=actor,
        by_telephone=False,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    override.signature = _override_sign(signer, screening, override, reason)
    override.save()
    _override_audit(actor, override, "donations.override.signed")
    _override_apply(screening)
    return override


@transaction.atomic
def screening_override_by_telephone(
    *, actor: User | None, screening: Screening, reason_code: str, justification: str, director: User
) -> ScreeningOverride:
    """The screener records the medical director's approval given by telephone; collection
    may go ahead, and the override waits on the director's list until signed."""
    require_permission(actor, "donations.add_screening")
    screening = _lock_screening(screening)
    _override_check(
        screening=screening, reason_code=reason_code, justification=justification, director=director
    )
    override = ScreeningOverride(
        screening=screening,
        reason_code=reason_code,
        justification=justification.strip(),
        director=director,
        by_telephone=True,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    override.save()
    _override_audit(actor, override, "donations.override.approved_by_telephone")
    _override_apply(screening)
    return override


@transaction.atomic
def screening_override_sign(
    *, actor: User, signer: VerifiedSigner, override: ScreeningOverride
) -> ScreeningOverride:
    """The director signs an override approved by telephone."""
    require_permission(actor, OVERRIDE_PERMISSION)
    if signer.user.pk != actor.pk or override.director_id != actor.pk:
        raise PermissionDeniedError(
            "Only the director who approved the override by telephone signs it.",
            code="not_the_approving_director",
        )
    screening = _lock_screening(override.screening)
    override = ScreeningOverride.objects.select_for_update().select_related("director").get(pk=override.pk)
    if override.signature_id is not None:
        raise ConflictError("override: already signed", code="already_signed", field="override")
    reason: dict[str, Any] = next((r for r in screening.reasons if r["code"] == override.reason_code), {})
    override.signature = _override_sign(signer, screening, override, reason)
    override.save(update_fields=["signature"])
    _override_audit(actor, override, "donations.override.signed")
    return override
