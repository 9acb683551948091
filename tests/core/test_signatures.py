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
)
from tests.conftest import PASSWORD


def _records(site, program):
    return [
        RecordToSign.of(site, {"code": site.code, "name": site.name}),
        RecordToSign.of(program, {"code": program.code}),
    ]


def test_a_signature_records_signer_time_meaning_and_every_record_as_one_act(make_user, site, program):
    supervisor = make_user(roles.QUALITY_OFFICER)
    signature = signature_sign(
        actor=supervisor,
        meaning="approved",
        records=_records(site, program),
        password=PASSWORD,
        authenticated_by="session",
        reason="monthly review",
    )
    assert signature.signer == supervisor
    assert signature.meaning == "approved"
    assert signature.signed_at is not None
    assert set(SignedRecord.objects.filter(signature=signature).values_list("target_type", "target_id")) == {
        ("core.site", str(site.pk)),
        ("core.program", str(program.pk)),
    }
    event = AuditEvent.objects.get(action="core.signature.approved")
    assert event.actor_id == supervisor.pk
    assert event.reason == "monthly review"
    assert signature_is_genuine(signature)


def test_a_wrong_password_signs_nothing(make_user, site, program):
    signer = make_user(roles.QUALITY_OFFICER)
    with pytest.raises(PermissionDeniedError) as refusal:
        signature_sign(
            actor=signer,
            meaning="approved",
            records=_records(site, program),
            password="not-the-password",
            authenticated_by="session",
        )
    assert refusal.value.field == "password"
    assert not Signature.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="core.signature").exists()


def test_an_api_token_cannot_sign(make_user, site, program):
    signer = make_user(roles.QUALITY_OFFICER)
    with pytest.raises(PermissionDeniedError) as refusal:
        signature_sign(
            actor=signer,
            meaning="approved",
            records=_records(site, program),
            password=PASSWORD,
            authenticated_by="token",
        )
    assert refusal.value.code == "signature_needs_interactive_login"
    assert not Signature.objects.exists()


def test_a_second_factor_role_must_give_its_current_code(make_user, site, program, settings):
    director = make_user(roles.MEDICAL_DIRECTOR)
    director.second_factor_exempt = False
    device = TOTPDevice.objects.create(user=director, name="phone", confirmed=True)
    with pytest.raises(PermissionDeniedError) as refusal:
        signature_sign(
            actor=director,
            meaning="overridden",
            records=_records(site, program),
            password=PASSWORD,
            authenticated_by="session",
            second_factor_code="000000",
        )
    assert refusal.value.field == "second_factor_code"
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    signature = signature_sign(
        actor=director,
        meaning="overridden",
        records=_records(site, program),
        password=PASSWORD,
        authenticated_by="session",
        second_factor_code=f"{code:06d}",
    )
    assert signature.second_factor_used


def test_a_signature_stops_binding_when_the_record_changes(make_user, site, program):
    signer = make_user(roles.QUALITY_OFFICER)
    signature = signature_sign(
        actor=signer,
        meaning="approved",
        records=_records(site, program),
        password=PASSWORD,
        authenticated_by="session",
    )
    assert signature_still_binds(signature, site, {"code": site.code, "name": site.name})
    assert not signature_still_binds(signature, site, {"code": site.code, "name": "Renamed"})


def test_a_signature_copied_to_another_record_is_not_genuine(make_user, site, program):
    signer = make_user(roles.QUALITY_OFFICER)
    signature = signature_sign(
        actor=signer,
        meaning="approved",
        records=[RecordToSign.of(site, {"a": 1})],
        password=PASSWORD,
        authenticated_by="session",
    )
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
    signer = make_user(roles.QUALITY_OFFICER)
    signature = signature_sign(
        actor=signer,
        meaning="approved",
        records=_records(site, program),
        password=PASSWORD,
        authenticated_by="session",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(meaning="released")
    with pytest.raises(IntegrityError), transaction.atomic():
        SignedRecord.objects.filter(signature=signature).delete()
