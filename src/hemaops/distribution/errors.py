"""The one error type of the distribution context (house style §3)."""

from __future__ import annotations

from hemaops.core.errors import DomainError


class DistributionServiceError(DomainError):
    """Orders, allocation, shipments and returns. (``rules.DistributionError`` is the pure
    rules' own; services turn it into this.)"""


class DistributionConflictError(DistributionServiceError):
    """What the order's, shipment's or unit's state refuses (the wrong unit scanned, a shipment
    not fully scanned, a return recorded twice): HTTP 409."""

    status = 409
    code = "conflict"
