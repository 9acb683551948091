"""Gates through which pages and the API load protected objects (house style §10).

A gate returns the object or raises ``NotFoundError``, which reveals nothing about whether
the object exists: a hospital user asking for another hospital sees the same 404 as for
one that was never there.
"""

from __future__ import annotations

from hemaops.core.errors import NotFoundError, PermissionDeniedError
from hemaops.core.models import Hospital, User


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
