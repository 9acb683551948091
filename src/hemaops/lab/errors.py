"""The one error type of the lab context (house style §3)."""

from __future__ import annotations

from hemaops.core.errors import DomainError


class LabError(DomainError):
    """Errors of test panels, results, holds and release."""
