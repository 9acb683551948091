"""The medical director's telephone approvals to sign: the list, signing with
re-authentication, refusals on the field, the dashboard panel and the navigation."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from hemaops.core import roles
from hemaops.core.models import AuditEvent, Signature
from hemaops.donations import oversight_nav, services
from hemaops.donations.models import ScreeningOverride
from tests.conftest import PASSWORD
from tests.donations.test_collection import screen

pytestmark = pytest.mark.django_db

LIST = "/donations/overrides/pending/"


def _sign_url(override):
    return f"/donations/overrides/{override.pk}/sign/"


@pytest.fixture(autouse=True)
def _registered():
    oversight_nav.register()  # the app registers it in ready() once wired; adding twice is a no-op


@pytest.fixture
def pending(staff, donor, site):
    screening = screen(staff, donor, site, pulse_bpm=105)
    return services.screening_override_by_telephone(
        actor=staff["screener"],
        screening=screening,
        reason_code="pulse_out_of_range",
        justification="Dr Adams approved by phone: athlete, resting pulse checked",
        director=staff["director"],
    )


def test_the_list_shows_the_directors_unsigned_telephone_approvals(client, staff, pending):
    client.force_login(staff["director"])
    page = client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="override-{pending.pk}"' in html
    assert str(pending.screening.donor) in html
    assert "pulse_out_of_range" in html
    assert "Dr Adams approved by phone" in html
    assert staff["screener"].username in html
    assert "overridden" in html  # the meaning of the signature
    assert 'name="password"' in html
    assert 'name="second_factor_code"' in html


def test_signing_records_the_signature_and_takes_it_off_the_list(client, staff, pending):
    client.force_login(staff["director"])
    answer = client.post(_sign_url(pending), {"password": PASSWORD})
    assert answer.status_code == 302
    assert answer["Location"] == LIST
    pending.refresh_from_db()
    assert pending.signature is not None
    assert pending.signature.signer == staff["director"]
    assert pending.signature.meaning == Signature.Meaning.OVERRIDDEN
    assert AuditEvent.objects.filter(action="donations.override.signed", target_id=str(pending.pk)).exists()
    assert f'id="override-{pending.pk}"' not in client.get(LIST).content.decode()


def test_a_wrong_password_is_shown_on_the_password_field_and_nothing_is_signed(client, staff, pending):
    client.force_login(staff["director"])
    answer = client.post(_sign_url(pending), {"password": "wrong"})
    assert answer.status_code == 200
    form = next(row["form"] for row in answer.context["rows"] if row["override"].pk == pending.pk)
    assert "password" in form.errors
    assert "does not match" in form.errors["password"][0]
    pending.refresh_from_db()
    assert pending.signature is None
    assert (
        AuditEvent.objects.filter(action="core.signature.refused", actor_id=staff["director"].pk).count() == 1
    )


def test_after_repeated_refusals_signing_is_locked_and_said_on_the_password_field(
    client, staff, pending, settings
):
    settings.HEMAOPS_SIGNATURE_FAILURE_LIMIT = 2
    client.force_login(staff["director"])
    for _ in range(2):
        client.post(_sign_url(pending), {"password": "wrong"})
    answer = client.post(_sign_url(pending), {"password": PASSWORD})
    assert answer.status_code == 200
    form = answer.context["rows"][0]["form"]
    assert "locked" in form.errors["password"][0]
    pending.refresh_from_db()
    assert pending.signature is None


def test_a_director_with_a_device_must_give_the_one_time_code(client, staff, pending):
    director = staff["director"]
    device = TOTPDevice.objects.create(user=director, name="phone", confirmed=True)
    client.force_login(director)
    answer = client.post(_sign_url(pending), {"password": PASSWORD})
    assert answer.status_code == 200
    assert "second_factor_code" in answer.context["rows"][0]["form"].errors
    pending.refresh_from_db()
    assert pending.signature is None
    device.refresh_from_db()
    device.throttle_reset()  # django-otp waits after a failure; the test need not
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    done = client.post(_sign_url(pending), {"password": PASSWORD, "second_factor_code": f"{code:06d}"})
    assert done.status_code == 302
    pending.refresh_from_db()
    assert pending.signature.second_factor_used is True


def test_another_director_neither_sees_nor_signs_it(client, staff, pending, make_user):
    other = make_user(roles.MEDICAL_DIRECTOR, username="other_director")
    client.force_login(other)
    assert f'id="override-{pending.pk}"' not in client.get(LIST).content.decode()
    answer = client.post(_sign_url(pending), {"password": PASSWORD})
    assert answer.status_code == 200
    assert "approved the override" in answer.content.decode()
    assert ScreeningOverride.objects.get(pk=pending.pk).signature is None


def test_an_already_signed_override_is_refused_at_the_top_of_the_form(client, staff, pending):
    client.force_login(staff["director"])
    client.post(_sign_url(pending), {"password": PASSWORD})
    signature_count = Signature.objects.count()
    answer = client.post(_sign_url(pending), {"password": PASSWORD})
    assert answer.status_code == 200
    assert answer.context["refusals"] == ["Already signed"]
    assert Signature.objects.count() == signature_count


@pytest.mark.parametrize("role", [roles.SCREENER, roles.QUALITY_OFFICER, roles.RECRUITER])
def test_only_the_medical_director_reaches_the_list(client, make_user, pending, role):
    client.force_login(make_user(role))
    assert client.get(LIST).status_code == 403
    assert client.post(_sign_url(pending), {"password": PASSWORD}).status_code == 403
    pending.refresh_from_db()
    assert pending.signature is None


def test_the_dashboard_panel_counts_what_waits_and_links_to_the_list(client, staff, pending):
    client.force_login(staff["director"])
    home = client.get("/").content.decode()
    assert 'id="overrides-to-sign">1<' in home
    assert f'href="{LIST}"' in home  # the panel and the navigation link
    client.post(_sign_url(pending), {"password": PASSWORD})
    assert 'id="overrides-to-sign">0<' in client.get("/").content.decode()


def test_the_panel_is_not_shown_to_other_roles(client, make_user, pending):
    client.force_login(make_user(roles.SCREENER))
    home = client.get("/").content.decode()
    assert "overrides-to-sign" not in home
    assert "/donations/drives/" in home  # the screener's Drives link


def test_the_list_takes_as_many_queries_for_one_approval_as_for_many(client, staff, pending, donor, site):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    client.force_login(staff["director"])
    one = queries()
    for pulse in (104, 107):
        services.screening_override_by_telephone(
            actor=staff["screener"],
            screening=screen(staff, donor, site, pulse_bpm=pulse),
            reason_code="pulse_out_of_range",
            justification="By phone",
            director=staff["director"],
        )
    assert queries() == one
