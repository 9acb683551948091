"""How the API knows who calls: a bearer token (integrations) or the browser session.

Each sets ``request.hemaops_authenticated_by`` so that services which need an interactive
sign-in (electronic signatures) can refuse a token.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from hemaops.core.models import ApiToken, User
from hemaops.core.services import token_digest

# Writing last_used_at on every call would turn each read into a write; a minute is precise
# enough to see which integrations are alive.
_LAST_USED_RESOLUTION_SECONDS = 60


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        now = timezone.now()
        if (
            found.last_used_at is None
            or (now - found.last_used_at).total_seconds() > _LAST_USED_RESOLUTION_SECONDS
        ):
            # Bookkeeping, not a business record: a direct UPDATE outside any service.
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        request.hemaops_authenticated_by = "token"  # type: ignore[attr-defined]
        return found.user


class InteractiveSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None:
            request.hemaops_authenticated_by = "session"  # type: ignore[attr-defined]
        return user


def request_actor(request: HttpRequest) -> User:
    """The user an API call acts for: the token's user or the session's (the API's auth has
    already refused anyone else)."""
    return request.user  # type: ignore[return-value]


def authenticated_by(request: HttpRequest) -> str:
    return getattr(request, "hemaops_authenticated_by", "session")
