"""The one error type of the donations context (house style §3)."""

from __future__ import annotations

from hemaops.core.errors import DomainError


class DonationsError(DomainError):
    """Errors of drives, screening, DIN label stock and donations."""
