"""Electronic signatures (21 CFR Part 11) — one service for release, orders, overrides,
period close and every other act that needs a signature.

- 11.50: the signature shows the signer's printed name, when it was signed and its meaning.
- 11.70: it is bound to the records it signs, so it cannot be copied to others — here by
  each record's content digest and a MAC (audit key) over the whole act.
- 11.200(a)(1): a non-biometric signature uses two components, the user id and password;
  the signer re-enters the password at every signing (and the second factor where the
  user has one), and an API token alone can never sign.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django_otp import devices_for_user

from hemaops.core import roles
from hemaops.core.audit import audit_record, sign
from hemaops.core.errors import CoreError, PermissionDeniedError
from hemaops.core.models import AuditEvent, Signature, SignedRecord, User

INTERACTIVE = "session"


def content_digest(content: Any) -> str:
    """SHA-256 of a record's content as signed (canonical JSON)."""
    text = json.dumps(content, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class RecordToSign:
    target_type: str
    target_id: str
    content_digest: str

    @classmethod
    def of(cls, instance: Model, content: Any) -> RecordToSign:
        return cls(instance._meta.label_lower, str(instance.pk), content_digest(content))


def needs_second_factor(user: User) -> bool:
    if user.second_factor_exempt or not settings.HEMAOPS_REQUIRE_SECOND_FACTOR:
        return False
    return user.has_role(*roles.SECOND_FACTOR_ROLES)


def _second_factor_ok(user: User, code: str) -> bool:
    return any(device.verify_token(code) for device in devices_for_user(user, confirmed=True))


def _signature_content(signature: Signature, records: Sequence[RecordToSign]) -> dict[str, Any]:
    return {
        "signer_id": signature.signer_id,
        "signer_full_name": signature.signer_full_name,
        "signed_at": signature.signed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "meaning": signature.meaning,
        "second_factor_used": signature.second_factor_used,
        "reason": signature.reason,
        "records": sorted([r.target_type, r.target_id, r.content_digest] for r in records),
    }


@dataclass(frozen=True)
class VerifiedSigner:
    """A signer who has just re-entered the password (and the code where needed)."""

    user: User
    second_factor_used: bool


def _refused(actor: User, code: str, field: str, message: str) -> PermissionDeniedError:
    # Its own (inner) transaction: an interactive caller verifies the signer before it opens
    # the business transaction, so the record of the refusal survives the refusal.
    with transaction.atomic():
        audit_record(
            stream="core",
            action="core.signature.refused",
            actor=actor,
            target=actor,
            data={"new": {"code": code}},
        )
    return PermissionDeniedError(message, code=code, field=field)


def _recent_refusals(actor: User) -> int:
    since = timezone.now() - timedelta(minutes=settings.HEMAOPS_SIGNATURE_LOCKOUT_MINUTES)
    return AuditEvent.objects.filter(
        stream="core", action="core.signature.refused", actor_id=actor.pk, recorded_at__gte=since
    ).count()


def signer_verify(
    *, actor: User, password: str, authenticated_by: str, second_factor_code: str = ""
) -> VerifiedSigner:
    """Re-authenticate a signer (11.200(a)(1)). Call it before the business transaction.

    Every refused attempt is written to the audit trail, where the quality officer sees it;
    after HEMAOPS_SIGNATURE_FAILURE_LIMIT refusals within HEMAOPS_SIGNATURE_LOCKOUT_MINUTES
    the user cannot sign at all until the window passes (11.300(d): detect and report
    attempts at unauthorized use)."""
    if authenticated_by != INTERACTIVE:
        raise PermissionDeniedError(
            "Signing needs an interactive sign-in; an API token cannot sign.",
            code="signature_needs_interactive_login",
        )
    if _recent_refusals(actor) >= settings.HEMAOPS_SIGNATURE_FAILURE_LIMIT:
        raise PermissionDeniedError(
            "Signing is locked after repeated wrong passwords or codes; try again later or ask "
            "the quality officer.",
            code="signature_locked",
        )
    if not actor.is_active or not actor.check_password(password):
        raise _refused(
            actor,
            "signature_authentication_failed",
            "password",
            "password: the password does not match; the signature was not recorded",
        )
    has_device = any(True for _ in devices_for_user(actor, confirmed=True))
    second_factor_needed = needs_second_factor(actor) or has_device
    second_factor_verified = (
        second_factor_needed and bool(second_factor_code) and _second_factor_ok(actor, second_factor_code)
    )
    if second_factor_needed and not second_factor_verified:
        raise _refused(
            actor,
            "signature_second_factor_failed",
            "second_factor_code",
            "second_factor_code: the one-time code is missing or wrong; the signature was not recorded",
        )
    return VerifiedSigner(actor, second_factor_used=second_factor_verified)


@transaction.atomic
def signature_sign(
    *,
    signer: VerifiedSigner,
    meaning: str,
    records: Sequence[RecordToSign],
    reason: str = "",
    stream: str = "core",
) -> Signature:
    """Sign ``records`` as one act, inside the caller's business transaction."""
    if meaning not in Signature.Meaning.values:
        raise CoreError(f"meaning: {meaning!r} is not a signature meaning", field="meaning")
    if not records:
        raise CoreError("records: nothing to sign", field="records")
    actor = signer.user
    signature = Signature(
        signer=actor,
        signer_full_name=actor.get_full_name() or actor.get_username(),
        signed_at=timezone.now(),
        meaning=meaning,
        reason=reason,
        second_factor_used=signer.second_factor_used,
    )
    signature.mac = sign(_signature_content(signature, records))
    signature.save()
    SignedRecord.objects.bulk_create(
        SignedRecord(
            signature=signature,
            target_type=record.target_type,
            target_id=record.target_id,
            content_digest=record.content_digest,
        )
        for record in records
    )
    audit_record(
        stream=stream,
        action=f"{stream}.signature.{meaning}",
        actor=actor,
        target=signature,
        data={
            "new": {
                "meaning": meaning,
                "signer": signature.signer_full_name,
                "records": [[r.target_type, r.target_id, r.content_digest] for r in records],
            }
        },
        reason=reason,
        occurred_at=signature.signed_at,
    )
    return signature


def signature_is_genuine(signature: Signature) -> bool:
    """The signature row and its records are as they were signed."""
    records = [
        RecordToSign(record.target_type, record.target_id, record.content_digest)
        for record in signature.records.all()
    ]
    return hmac.compare_digest(signature.mac, sign(_signature_content(signature, records)))


def signature_still_binds(signature: Signature, instance: Model, content: Any) -> bool:
    """The record still has the content it had when signed (11.70)."""
    record = signature.records.filter(
        target_type=instance._meta.label_lower, target_id=str(instance.pk)
    ).first()
    return record is not None and hmac.compare_digest(record.content_digest, content_digest(content))
