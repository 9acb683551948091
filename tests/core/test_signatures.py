"""Electronic signatures (21 CFR Part 11): re-authentication, meaning, binding."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from hemaops.core import roles
from hemaops.core.errors import PermissionDeniedError
from hemaops.core.models import AuditEvent, Signature, SignedRecord
from hemaops.core.signatures import (
    RecordToSign,
    signature_is_genuine,
    signature_sign,
    signature_still_binds,
    signer_verify,
)
from tests.conftest import PASSWORD


def _records(site, program):
    return [
        RecordToSign.of(site, {"code": site.code, "name": site.name}),
        RecordToSign.of(program, {"code": program.code}),
    ]


def _sign(user, records, meaning="approved", **kwargs):
    signer = signer_verify(actor=user, password=PASSWORD, authenticated_by="session")
    return signature_sign(signer=signer, meaning=meaning, records=records, **kwargs)


def test_a_signature_records_signer_time_meaning_and_every_record_as_one_act(make_user, site, program):
    officer = make_user(roles.QUALITY_OFFICER)
    signature = _sign(officer, _records(site, program), reason="monthly review")
    assert signature.signer == officer
    assert signature.meaning == "approved"
    assert signature.signed_at is not None
    assert not signature.second_factor_used
    assert set(SignedRecord.objects.filter(signature=signature).values_list("target_type", "target_id")) == {
        ("core.site", str(site.pk)),
        ("core.program", str(program.pk)),
    }
    event = AuditEvent.objects.get(action="core.signature.approved")
    assert event.actor_id == officer.pk
    assert event.reason == "monthly review"
    assert signature_is_genuine(signature)


def test_a_wrong_password_is_refused_and_the_attempt_recorded(make_user):
    signer = make_user(roles.QUALITY_OFFICER)
    with pytest.raises(PermissionDeniedError) as refusal:
        signer_verify(actor=signer, password="not-the-password", authenticated_by="session")
    assert refusal.value.field == "password"
    assert not Signature.objects.exists()
    refused = AuditEvent.objects.get(action="core.signature.refused")
    assert refused.actor_id == signer.pk
    assert refused.data == {"new": {"code": "signature_authentication_failed"}}


def test_repeated_refusals_lock_signing_even_with_the_right_password(make_user, settings):
    signer = make_user(roles.QUALITY_OFFICER)
    for _ in range(settings.HEMAOPS_SIGNATURE_FAILURE_LIMIT):
        with pytest.raises(PermissionDeniedError):
            signer_verify(actor=signer, password="guess", authenticated_by="session")
    with pytest.raises(PermissionDeniedError) as refusal:
        signer_verify(actor=signer, password=PASSWORD, authenticated_by="session")
    assert refusal.value.code == "signature_locked"


def test_an_api_token_cannot_sign(make_user):
    signer = make_user(roles.QUALITY_OFFICER)
    with pytest.raises(PermissionDeniedError) as refusal:
        signer_verify(actor=signer, password=PASSWORD, authenticated_by="token")
    assert refusal.value.code == "signature_needs_interactive_login"


def test_a_second_factor_role_must_give_its_current_code(make_user, site, program):
    director = make_user(roles.MEDICAL_DIRECTOR)
    director.second_factor_exempt = False
    device = TOTPDevice.objects.create(user=director, name="phone", confirmed=True)
    with pytest.raises(PermissionDeniedError) as refusal:
        signer_verify(
            actor=director, password=PASSWORD, authenticated_by="session", second_factor_code="000000"
        )
    assert refusal.value.field == "second_factor_code"
    device.refresh_from_db()
    device.throttle_reset()  # django-otp waits a second after a failure; the test need not
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    signer = signer_verify(
        actor=director, password=PASSWORD, authenticated_by="session", second_factor_code=f"{code:06d}"
    )
    signature = signature_sign(signer=signer, meaning="overridden", records=_records(site, program))
    assert signature.second_factor_used
    assert signature_is_genuine(signature)


def test_a_code_typed_where_none_is_needed_is_not_counted_as_a_second_factor(make_user):
    signer = signer_verify(
        actor=make_user(roles.ACCOUNTANT),
        password=PASSWORD,
        authenticated_by="session",
        second_factor_code="1",
    )
    assert not signer.second_factor_used


def test_a_signature_stops_binding_when_the_record_changes(make_user, site, program):
    signature = _sign(make_user(roles.QUALITY_OFFICER), _records(site, program))
    assert signature_still_binds(signature, site, {"code": site.code, "name": site.name})
    assert not signature_still_binds(signature, site, {"code": site.code, "name": "Renamed"})


def test_a_signature_copied_to_another_record_is_not_genuine(make_user, site, program):
    signature = _sign(make_user(roles.QUALITY_OFFICER), [RecordToSign.of(site, {"a": 1})])
    # Even with the triggers out of the way, a row pointed at another record breaks the MAC.
    SignedRecord.objects.bulk_create(
        [
            SignedRecord(
                signature=signature,
                target_type="core.program",
                target_id=str(program.pk),
                content_digest="0" * 64,
            )
        ]
    )
    assert not signature_is_genuine(signature)


def test_the_database_refuses_to_change_a_signature(make_user, site, program):
    signature = _sign(make_user(roles.QUALITY_OFFICER), _records(site, program))
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(meaning="released")
    with pytest.raises(IntegrityError), transaction.atomic():
        SignedRecord.objects.filter(signature=signature).delete()
