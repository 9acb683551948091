"""The REST API under /api/v1: one NinjaAPI, a router per context, one error shape.

Every error is ``{"error": {"code", "message", "field"}}`` with its 4xx status.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from hemaops.core.authentication import InteractiveSessionAuth, TokenAuth
from hemaops.core.errors import DomainError

api = NinjaAPI(
    title="Hemaops API",
    version="1",
    description="Operations of a blood products and services provider.",
    urls_namespace="api-1",
    auth=[TokenAuth(), InteractiveSessionAuth()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, field: str | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "field": field}}, status=status
    )


_ENVELOPES = ("body", "query", "path", "file", "form", "header", "cookie")


def _field_of(location: tuple[Any, ...]) -> str | None:
    # Ninja locations look like ("body", "payload", "lines", 0, "debit") or ("file", "file"):
    # drop the envelope, then the payload's own name.
    parts = [str(part) for part in location]
    if parts and parts[0] in _ENVELOPES:
        parts = parts[1:]
    parts = [part for part in parts if part != "payload"]
    return ".".join(parts) or None


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, error: ValidationError) -> HttpResponse:
    first = error.errors[0] if error.errors else {}
    field = _field_of(tuple(first.get("loc", ())))
    message = first.get("msg", "invalid input")
    prefix = f"{field}: " if field else ""
    return error_response(request, 422, "invalid", f"{prefix}{message}", field)


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, error: DomainError) -> HttpResponse:
    return error_response(request, error.status, error.code, error.message, error.field)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return error_response(
        request,
        401,
        "not_authenticated",
        "Sign in, or send a token as 'Authorization: Bearer <token>'.",
    )


@api.exception_handler(AuthorizationError)
@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, error: Exception) -> HttpResponse:
    return error_response(request, 403, "permission_denied", "You do not have permission to do this.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "Not found.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    # Ninja raises HttpError(400) when the body is not JSON at all (ninja/params/models.py).
    if error.status_code == 400 and isinstance(error.__cause__, ValueError):
        return error_response(request, 400, "malformed_json", "The request body is not valid JSON.")
    return error_response(request, error.status_code, "http_error", str(error))


api.add_router("/core", "hemaops.core.api.router")
api.add_router("/finance", "hemaops.finance.api.router")
api.add_router("/donors", "hemaops.donors.api.router")
api.add_router("/donations", "hemaops.donations.api.router")
api.add_router("/lab", "hemaops.lab.api.router")
api.add_router("/components", "hemaops.components.api.router")
api.add_router("/billing", "hemaops.billing.api.router")
api.add_router("/distribution", "hemaops.distribution.api.router")
