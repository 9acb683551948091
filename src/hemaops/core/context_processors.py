from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hemaops.core.registry import registry
from hemaops.core.roles import ROLES


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [], "role_labels": []}
    role_names = user.role_names()
    return {
        "nav_links": registry.nav_for(role_names),
        "role_labels": [ROLES[name] for name in sorted(role_names) if name in ROLES],
    }
