"""Gates through which pages and the API load protected objects (house style §10).

A gate returns the object or raises ``NotFoundError``, which reveals nothing about whether
the object exists: a hospital user asking for another hospital sees the same 404 as for
one that was never there.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from hemaops.core.errors import NotFoundError, PermissionDeniedError
from hemaops.core.models import Hospital, User

M = TypeVar("M", bound=Model)


def require_permission(actor: User | None, permission: str) -> None:
    """Raise unless ``actor`` holds ``permission``. ``None`` is the installation's operator
    at the command line (``hemaops createuser``), who already holds the server's keys."""
    if actor is None:
        return
    if not actor.is_active or not actor.has_perm(permission):
        raise PermissionDeniedError("You do not have permission to do this.")


def access_hospital_by_id(user: User, hospital_id: int) -> Hospital:
    hospitals = Hospital.objects.all()
    if user.hospital_id is not None:
        hospitals = hospitals.filter(pk=user.hospital_id)
    elif not user.has_perm("core.view_reference_data"):
        raise NotFoundError("No such hospital.")
    hospital = hospitals.filter(pk=hospital_id).first()
    if hospital is None:
        raise NotFoundError("No such hospital.")
    return hospital


def hospital_scoped(
    user: User, queryset: QuerySet, permission: str, hospital_field: str = "hospital"
) -> QuerySet:
    """``queryset`` narrowed to what ``user`` may see (DESIGN.md invariant 6): nothing without
    ``permission``, only its own hospital's rows for a hospital user."""
    if not (user.is_authenticated and user.is_active and user.has_perm(permission)):
        return queryset.none()
    if user.hospital_id is not None:
        return queryset.filter(**{f"{hospital_field}_id": user.hospital_id})
    return queryset


def one_or_404(queryset: QuerySet[M], pk: object, what: str) -> M:
    """The row of ``queryset`` with primary key ``pk`` (as typed in a URL), else a 404 that says
    nothing of whether it exists outside ``queryset``."""
    text = str(pk).strip()
    found = queryset.filter(pk=int(text)).first() if text.isdigit() else None
    if found is None:
        raise NotFoundError(f"No such {what}.")
    return found
