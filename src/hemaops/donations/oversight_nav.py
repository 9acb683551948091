"""What oversight and collections offer the navigation and the home dashboards: the drive
calendar, the medical director's telephone approvals to sign, the quality officer's
reportable reactions to review, and fixed-site hours. Call ``register()`` from
``DonationsConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hemaops.core import roles
from hemaops.core.models import User
from hemaops.core.registry import NavLink, Panel, registry
from hemaops.donations import oversight_selectors, oversight_services, selectors, services

DRIVE_USERS = frozenset({roles.RECRUITER, roles.SCREENER, roles.PROGRAM_MANAGER})
DIRECTORS = frozenset({roles.MEDICAL_DIRECTOR})
QUALITY = frozenset({roles.QUALITY_OFFICER})
SITE_PLANNERS = frozenset({roles.RECRUITER})


def _overrides_panel(request: HttpRequest) -> dict[str, Any] | None:
    user: User = request.user  # type: ignore[assignment]
    if not user.has_perm(services.OVERRIDE_PERMISSION):
        return None
    return {"count": selectors.override_list_pending(user).count()}


def _reactions_panel(request: HttpRequest) -> dict[str, Any] | None:
    if not request.user.has_perm(oversight_services.REVIEW_PERMISSION):
        return None
    return {"count": oversight_selectors.reaction_count_to_review()}


def register() -> None:
    registry.add_nav_link(NavLink("Drives", "donations:drive_calendar", DRIVE_USERS, order=31))
    registry.add_nav_link(NavLink("Site hours", "donations:site_hours", SITE_PLANNERS, order=32))
    registry.add_nav_link(
        NavLink("Telephone approvals", "donations:override_pending_list", DIRECTORS, order=35)
    )
    registry.add_nav_link(NavLink("Reactions", "donations:reaction_review_list", QUALITY, order=36))
    registry.add_panel(
        Panel(
            key="donations.overrides_to_sign",
            title="Telephone approvals",
            template="donations/oversight_panel_overrides.html",
            roles=DIRECTORS,
            context=_overrides_panel,
            order=30,
        )
    )
    registry.add_panel(
        Panel(
            key="donations.reactions_to_review",
            title="Reportable reactions",
            template="donations/oversight_panel_reactions.html",
            roles=QUALITY,
            context=_reactions_panel,
            order=30,
        )
    )
