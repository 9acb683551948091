"""Signing in: argon2, lockout after repeated failures, the second factor."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from hemaops.core import roles
from hemaops.core.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_production_hashes_passwords_with_argon2():
    import importlib

    import hemaops.settings as production

    assert importlib.reload(production).PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert django_settings.AUTH_USER_MODEL == "core.User"


@pytest.mark.smoke
def test_a_user_signs_in_and_sees_the_home_page(client, make_user):
    make_user(roles.RECRUITER)
    response = client.post("/accounts/login/", {"username": "recruiter", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert b"Signed in as Recruiter" in response.content


def test_a_wrong_password_says_so_and_signs_nobody_in(client, make_user):
    make_user(roles.RECRUITER)
    response = client.post("/accounts/login/", {"username": "recruiter", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct" in response.content
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, make_user):
    make_user(roles.RECRUITER)
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "recruiter", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "recruiter", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Sign-in locked" in response.content
    assert "_auth_user_id" not in client.session


def test_anonymous_pages_redirect_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_second_factor_role_enrols_then_must_give_its_code(client, make_user):
    director = make_user(roles.MEDICAL_DIRECTOR)
    director.second_factor_exempt = False
    director.save(update_fields=["second_factor_exempt"])
    client.post("/accounts/login/", {"username": "medical_director", "password": PASSWORD})
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/")
    page = client.get("/accounts/two-factor/")
    assert b"Set up your authenticator" in page.content
    assert b"<svg" in page.content
    assert client.get("/api/v1/core/sites").status_code == 403

    wrong = client.post("/accounts/two-factor/", {"code": "000000"})
    assert b"That code is not right" in wrong.content
    device = TOTPDevice.objects.get(user=director)
    device.throttle_reset()  # django-otp waits a second after a failure; the test need not
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    response = client.post("/accounts/two-factor/", {"code": f"{code:06d}", "next": "/"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="core.user.second_factor_enrolled", actor_id=director.pk).exists()


def test_a_role_without_the_second_factor_requirement_goes_straight_in(client, make_user):
    nurse = make_user(roles.APHERESIS_NURSE)
    nurse.second_factor_exempt = False
    nurse.save(update_fields=["second_factor_exempt"])
    client.post("/accounts/login/", {"username": "apheresis_nurse", "password": PASSWORD})
    assert client.get("/").status_code == 200


def test_sign_out_ends_the_session(client, make_user):
    client.force_login(make_user(roles.RECRUITER))
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
