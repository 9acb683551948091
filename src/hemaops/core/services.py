"""Services of the core context: the only code that writes its tables (house style §3).

Each public function is one business action in one transaction: it checks the actor's
permission, validates, locks what it changes, writes, and records its audit event.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from hemaops.core import roles
from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record, changes
from hemaops.core.business_dates import business_time_resolve
from hemaops.core.errors import ConflictError, CoreError, NotFoundError
from hemaops.core.models import (
    ApiToken,
    Company,
    Hospital,
    HospitalIdentifier,
    HospitalLocation,
    Program,
    Site,
    User,
)

STREAM = "core"
REFERENCE_MODELS: tuple[type[models.Model], ...] = (
    Company,
    Site,
    Program,
    Hospital,
    HospitalIdentifier,
    HospitalLocation,
)
TOKEN_PREFIX = "hop_"  # noqa: S105 - a label, not a secret

ModelT = TypeVar("ModelT", bound=models.Model)


def error_from_validation(error: ValidationError) -> CoreError:
    """The first message of a Django ValidationError as a CoreError naming its field."""
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        field_name = None if field == "__all__" else field
        prefix = f"{field_name}: " if field_name else ""
        return CoreError(f"{prefix}{messages[0]}", code="invalid", field=field_name)
    return CoreError(error.messages[0], code="invalid")


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of a row, as the audit trail shows them."""
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def _audit_name(instance: models.Model) -> str:
    return f"core.{instance._meta.model_name}"


@transaction.atomic
def reference_data_save(
    *,
    actor: User | None,
    instance: ModelT,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> ModelT:
    """Create or change one row of reference data (company, site, program, hospital and its
    identifiers and locations) — from a page, the admin or the demo loader.

    Reference rows are never deleted (units, invoices and ledger lines point at them);
    they are made inactive instead.
    """
    if not isinstance(instance, REFERENCE_MODELS):
        raise TypeError(f"{type(instance).__name__} is not reference data")
    require_permission(actor, "core.manage_reference_data")
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    model = type(instance)
    before: dict[str, Any] = {}
    if instance.pk is not None:
        current = model._default_manager.select_for_update().filter(pk=instance.pk).first()
        if current is None:
            raise NotFoundError(f"No such {model._meta.verbose_name}.")
        before = snapshot(current)
    try:
        instance.full_clean()
    except ValidationError as error:
        raise error_from_validation(error) from None
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise ConflictError(
            f"This {model._meta.verbose_name} conflicts with one that exists: {error}"
        ) from None
    after = snapshot(instance)
    audit_record(
        stream=STREAM,
        action=f"{_audit_name(instance)}.{'changed' if before else 'created'}",
        actor=actor,
        target=instance,
        data={**changes(before, after), **when.audit_data()},
        reason=reason,
        occurred_at=when.occurred_at,
    )
    return instance


# --- users -------------------------------------------------------------------------------


def _check_role_and_hospital(role_names: set[str], hospital: Hospital | None) -> None:
    unknown = role_names - set(roles.ROLES)
    if unknown:
        raise CoreError(
            f"roles: unknown role {sorted(unknown)[0]!r}; roles are {', '.join(roles.ROLES)}",
            code="unknown_role",
            field="roles",
        )
    if not role_names:
        raise CoreError("roles: a user needs at least one role", code="no_role", field="roles")
    if roles.HOSPITAL_USER in role_names:
        if hospital is None:
            raise CoreError(
                "hospital: a hospital user is bound to exactly one hospital; name it",
                code="hospital_required",
                field="hospital",
            )
        if role_names != {roles.HOSPITAL_USER}:
            raise CoreError(
                "roles: a hospital user cannot also hold a staff role",
                code="hospital_user_with_staff_role",
                field="roles",
            )
    elif hospital is not None:
        raise CoreError(
            "hospital: only hospital users are bound to a hospital",
            code="hospital_for_staff",
            field="hospital",
        )


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role_names: Iterable[str],
    hospital: Hospital | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    second_factor_exempt: bool = False,
    check_password_strength: bool = True,
) -> User:
    require_permission(actor, "core.manage_users")
    wanted = set(role_names)
    _check_role_and_hospital(wanted, hospital)
    if User.objects.filter(username__iexact=username).exists():
        raise ConflictError(f"username: {username!r} is taken", code="username_taken", field="username")
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        hospital=hospital,
        second_factor_exempt=second_factor_exempt,
        # The Django admin (reference data) is for administrators only.
        is_staff=roles.ADMINISTRATOR in wanted,
    )
    if check_password_strength:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CoreError(f"password: {' '.join(error.messages)}", field="password") from None
    user.set_password(password)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        raise error_from_validation(error) from None
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ConflictError(
            f"username: {username!r} is taken", code="username_taken", field="username"
        ) from None
    user.groups.set(Group.objects.filter(name__in=wanted))
    audit_record(
        stream=STREAM,
        action="core.user.created",
        actor=actor,
        target=user,
        data={
            "new": {
                "username": user.username,
                "roles": sorted(wanted),
                "hospital_id": user.hospital_id,
                "second_factor_exempt": second_factor_exempt,
            }
        },
    )
    return user


@transaction.atomic
def user_roles_set(*, actor: User | None, user: User, role_names: Iterable[str], reason: str = "") -> User:
    require_permission(actor, "core.manage_users")
    user = User.objects.select_for_update().get(pk=user.pk)
    wanted = set(role_names)
    _check_role_and_hospital(wanted, user.hospital)
    before = sorted(user.role_names())
    user.groups.set(Group.objects.filter(name__in=wanted))
    user.is_staff = roles.ADMINISTRATOR in wanted
    user.save(update_fields=["is_staff"])
    audit_record(
        stream=STREAM,
        action="core.user.roles_changed",
        actor=actor,
        target=user,
        data={"old": {"roles": before}, "new": {"roles": sorted(wanted)}},
        reason=reason,
    )
    return user


@transaction.atomic
def user_second_factor_enrolled(*, actor: User, device_name: str) -> None:
    """Record that ``actor`` confirmed a TOTP device (the device row is django-otp's)."""
    audit_record(
        stream=STREAM,
        action="core.user.second_factor_enrolled",
        actor=actor,
        target=actor,
        data={"new": {"device": device_name}},
    )


# --- API tokens --------------------------------------------------------------------------


def token_digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User | None, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a bearer token for ``user``; the raw token is returned once and never stored."""
    require_permission(actor, "core.manage_users")
    if not user.is_active:
        raise CoreError("user: an inactive user cannot hold a token", field="user")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name or "integration",
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(raw),
        created_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="core.api_token.created",
        actor=actor,
        target=token,
        data={"new": {"user": user.username, "name": token.name, "prefix": token.prefix}},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken, reason: str = "") -> ApiToken:
    require_permission(actor, "core.manage_users")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            stream=STREAM,
            action="core.api_token.revoked",
            actor=actor,
            target=token,
            data={"new": {"revoked_at": token.revoked_at}},
            reason=reason,
        )
    return token
