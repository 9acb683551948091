"""Helpers every context's pages share: the sign-in-and-permission gate, the acting user,
and showing a service's refusal on the form field it names."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse

from hemaops.core.access import require_permission
from hemaops.core.errors import DomainError
from hemaops.core.models import User

PageView = Callable[..., HttpResponse]


def page_actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def permission_page(permission: str) -> Callable[[PageView], PageView]:
    """Sign-in, then ``permission`` (403 otherwise)."""

    def decorate(view: PageView) -> PageView:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require_permission(page_actor(request), permission)
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorate


def field_message(error: DomainError) -> str:
    """The service's message without its leading ``field:``, for showing next to the field."""
    text = error.message
    if error.field and text.startswith(f"{error.field}:"):
        text = text[len(error.field) + 1 :].strip()
    return text[:1].upper() + text[1:]


def form_error(form: Form, error: DomainError, fields: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the form field it names (``fields`` maps service field
    names to form field names), else at the top of the form."""
    field = (fields or {}).get(error.field or "", error.field)
    if field in form.fields:
        form.add_error(field, field_message(error))
    else:
        form.add_error(None, field_message(error))


def errors_of_rows_gone(bound: dict[int, Form] | None, shown: set[int]) -> list[str]:
    """The errors of row forms posted for rows the list no longer shows (someone acted on the
    row first, or the action removed it): the page shows them above the list, so no refusal
    is lost with its row."""
    return [
        str(error)
        for pk, form in (bound or {}).items()
        if pk not in shown
        for errors in form.errors.values()
        for error in errors
    ]
