from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone

from hemaops.core.errors import NotFoundError, PermissionDeniedError
from hemaops.core.request_context import reset_request_id, set_request_id
from hemaops.core.signatures import needs_second_factor

# Paths a signed-in user who still owes the second factor may reach.
_OPEN_PATHS = ("/accounts/", "/static/", "/healthz")


class RequestIdMiddleware:
    """Give each request an id (or keep the caller's X-Request-ID) for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("X-Request-ID", "")[:64]
        token = set_request_id(supplied if supplied.isprintable() and supplied else None)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        return response


class SecondFactorMiddleware:
    """A session of a role that needs a second factor reaches nothing but the sign-in pages
    until the TOTP code is given (django-otp marks the session verified)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_OPEN_PATHS)
            and needs_second_factor(user)  # type: ignore[arg-type]
            and not user.is_verified()  # type: ignore[union-attr]
        ):
            if request.path.startswith(("/api/", "/fhir/")):  # machines get JSON, not a page
                return JsonResponse(
                    {
                        "error": {
                            "code": "second_factor_required",
                            "message": "Complete the second sign-in step at /accounts/two-factor/ first.",
                            "field": None,
                        }
                    },
                    status=403,
                )
            return redirect(f"/accounts/two-factor/?next={request.get_full_path()}")
        return self.get_response(request)


class HospitalTimeZoneMiddleware:
    """A hospital's users read and type times on their hospital's clock (an order needed by
    08:00 in Baltimore); everyone else on the establishment's (``TIME_ZONE``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        hospital = user.hospital if user.is_authenticated and user.hospital_id else None
        if hospital is None:
            return self.get_response(request)
        with timezone.override(zoneinfo.ZoneInfo(hospital.time_zone)):
            return self.get_response(request)


class DomainErrorMiddleware:
    """Turn a service's refusal that reaches a page into the right status page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        if isinstance(exception, PermissionDeniedError):
            raise PermissionDenied(exception.message)
        if isinstance(exception, NotFoundError):
            raise Http404(exception.message)
        return None
