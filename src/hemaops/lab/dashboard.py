"""What the laboratory offers the navigation and the home dashboards: the lab home for its
staff and the quality officer, and the release queue's count for the lab supervisor. Call
``register()`` from ``LabConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hemaops.core import roles
from hemaops.core.registry import NavLink, Panel, registry

LAB_USERS = frozenset({roles.LAB_TECHNOLOGIST, roles.LAB_SUPERVISOR, roles.QUALITY_OFFICER})
SUPERVISORS = frozenset({roles.LAB_SUPERVISOR})


def _release_queue_panel(request: HttpRequest) -> dict[str, Any] | None:
    from hemaops.lab import selectors

    if not request.user.has_perm("lab.release_donation"):
        return None
    return {"count": selectors.testing_list_release_queue().count()}


def register() -> None:
    registry.add_nav_link(NavLink("Laboratory", "lab:home", LAB_USERS, order=40))
    registry.add_panel(
        Panel(
            key="lab.release_queue",
            title="Release queue",
            template="lab/panel_release_queue.html",
            roles=SUPERVISORS,
            context=_release_queue_panel,
            order=40,
        )
    )
