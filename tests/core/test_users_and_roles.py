from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from hemaops.core import roles
from hemaops.core.errors import CoreError, PermissionDeniedError
from hemaops.core.models import AuditEvent, User
from hemaops.core.roles import declared_role_permissions
from hemaops.core.services import user_create, user_roles_set

pytestmark = pytest.mark.django_db


def test_every_role_exists_as_a_group_with_its_declared_permissions():
    declared = declared_role_permissions()
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)
    for role, names in declared.items():
        group = Group.objects.get(name=role)
        held = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert held == names, role


def test_a_hospital_user_must_name_one_hospital():
    with pytest.raises(CoreError) as refusal:
        user_create(
            actor=None,
            username="h",
            password="x" * 12,
            role_names=[roles.HOSPITAL_USER],
            check_password_strength=False,
        )
    assert refusal.value.field == "hospital"
    assert not User.objects.filter(username="h").exists()


def test_a_hospital_user_cannot_hold_a_staff_role(hospital):
    with pytest.raises(CoreError) as refusal:
        user_create(
            actor=None,
            username="h",
            password="x" * 12,
            hospital=hospital,
            role_names=[roles.HOSPITAL_USER, roles.DISTRIBUTION_CLERK],
            check_password_strength=False,
        )
    assert refusal.value.code == "hospital_user_with_staff_role"


def test_staff_are_not_bound_to_a_hospital(hospital):
    with pytest.raises(CoreError) as refusal:
        user_create(
            actor=None,
            username="s",
            password="x" * 12,
            hospital=hospital,
            role_names=[roles.LAB_TECHNOLOGIST],
            check_password_strength=False,
        )
    assert refusal.value.code == "hospital_for_staff"


def test_an_unknown_role_is_named():
    with pytest.raises(CoreError, match="unknown role 'surgeon'"):
        user_create(
            actor=None,
            username="s",
            password="x" * 12,
            role_names=["surgeon"],
            check_password_strength=False,
        )


def test_a_weak_password_is_refused_with_the_reason():
    with pytest.raises(CoreError) as refusal:
        user_create(actor=None, username="s", password="password", role_names=[roles.RECRUITER])
    assert refusal.value.field == "password"
    assert "too short" in refusal.value.message


def test_creating_users_needs_the_permission(make_user):
    with pytest.raises(PermissionDeniedError):
        user_create(
            actor=make_user(roles.RECRUITER),
            username="x",
            password="y" * 12,
            role_names=[roles.RECRUITER],
            check_password_strength=False,
        )
    assert not User.objects.filter(username="x").exists()


def test_role_changes_are_audited_and_administrators_reach_the_admin(make_user):
    administrator = make_user(roles.ADMINISTRATOR)
    user = make_user(roles.RECRUITER)
    user_roles_set(actor=administrator, user=user, role_names=[roles.ADMINISTRATOR], reason="promoted")
    user.refresh_from_db()
    assert user.is_staff
    event = AuditEvent.objects.get(action="core.user.roles_changed")
    assert event.data == {"old": {"roles": ["recruiter"]}, "new": {"roles": ["administrator"]}}
    assert event.actor_id == administrator.pk


def test_createuser_reads_the_password_from_standard_input(hospital, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-unusual-passphrase\n"))
    call_command("createuser", "nurse1", "--role", "apheresis_nurse")
    assert "created nurse1" in capsys.readouterr().out
    user = User.objects.get(username="nurse1")
    assert user.check_password("a-long-unusual-passphrase")
    assert user.has_role(roles.APHERESIS_NURSE)


def test_createuser_names_an_unknown_hospital(monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-unusual-passphrase\n"))
    with pytest.raises(CommandError, match="--hospital: no hospital has the code 'nowhere'"):
        call_command("createuser", "h1", "--role", "hospital_user", "--hospital", "nowhere")
