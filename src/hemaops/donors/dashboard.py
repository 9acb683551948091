"""What the donor registry offers the home dashboards and the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from hemaops.core import roles
from hemaops.core.registry import NavLink, Panel, registry
from hemaops.donors import selectors

DONOR_READERS = frozenset(
    {
        roles.RECRUITER,
        roles.SCREENER,
        roles.PHLEBOTOMIST,
        roles.MEDICAL_DIRECTOR,
        roles.QUALITY_OFFICER,
    }
)


def _registry_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The registry's figures; hidden while no donor is registered (the "Donors" link
    leads to registration), so that an empty installation shows its honest empty state."""
    if not request.user.has_perm("donors.view_donor"):
        return None
    counts = selectors.registry_counts(timezone.localdate())
    if not counts.donors and not counts.merged:
        return None
    return {"counts": counts, "can_register": request.user.has_perm("donors.add_donor")}


def register() -> None:
    registry.add_nav_link(NavLink("Donors", "donors:donor_list", DONOR_READERS, order=20))
    registry.add_panel(
        Panel(
            key="donors.registry",
            title="Donor registry",
            template="donors/panels/registry.html",
            roles=DONOR_READERS,
            context=_registry_panel,
            order=20,
        )
    )
