"""The one error type services raise (house style §3).

Each carries a stable ``code``, a message a person can act on, the ``field`` it concerns
when there is one, and the HTTP status the API answers with. Pages show it as a form error.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field


class PermissionDeniedError(DomainError):
    status = 403
    code = "permission_denied"


class NotFoundError(DomainError):
    status = 404
    code = "not_found"


class ConflictError(DomainError):
    status = 409
    code = "conflict"


class CoreError(DomainError):
    """Errors of the core context."""
