"""What the core context offers the home dashboards and the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hemaops.core import roles, selectors
from hemaops.core.registry import NavLink, Panel, registry

_STAFF = frozenset(roles.STAFF_ROLES)


def _reference_panel(request: HttpRequest) -> dict[str, Any]:
    return {"counts": selectors.reference_counts()}


def _audit_panel(request: HttpRequest) -> dict[str, Any]:
    return {"events": list(selectors.audit_event_list_recent(8))}


def _own_hospital_panel(request: HttpRequest) -> dict[str, Any] | None:
    hospital = getattr(request.user, "hospital", None)
    return {"hospital": hospital} if hospital is not None else None


def register() -> None:
    registry.add_nav_link(NavLink("Sites", "core:site_list", _STAFF, order=10))
    registry.add_nav_link(NavLink("Programs", "core:program_list", _STAFF, order=11))
    registry.add_nav_link(NavLink("Hospitals", "core:hospital_list", _STAFF, order=12))
    registry.add_nav_link(
        NavLink(
            "Audit trail",
            "core:audit_list",
            frozenset({roles.QUALITY_OFFICER, roles.ADMINISTRATOR}),
            order=90,
        )
    )
    registry.add_panel(
        Panel(
            key="core.reference",
            title="Company reference data",
            template="core/panels/reference.html",
            roles=frozenset({roles.ADMINISTRATOR, roles.EXECUTIVE, roles.CONTROLLER}),
            context=_reference_panel,
            order=80,
        )
    )
    registry.add_panel(
        Panel(
            key="core.audit",
            title="Latest audit events",
            template="core/panels/audit.html",
            roles=frozenset({roles.QUALITY_OFFICER, roles.ADMINISTRATOR}),
            context=_audit_panel,
            order=90,
            wide=True,
        )
    )
    registry.add_panel(
        Panel(
            key="core.own_hospital",
            title="Your hospital",
            template="core/panels/own_hospital.html",
            roles=frozenset({roles.HOSPITAL_USER}),
            context=_own_hospital_panel,
            order=10,
        )
    )
