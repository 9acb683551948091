"""The one error type of the components context (house style §3)."""

from __future__ import annotations

from hemaops.core.errors import DomainError


class ComponentsError(DomainError):
    """Errors of the catalogue, manufacturing, labels, inventory and storage."""


class ComponentsConflictError(ComponentsError):
    """A move the unit's state refuses (the gate, a transition, a full location): HTTP 409."""

    status = 409
    code = "conflict"
