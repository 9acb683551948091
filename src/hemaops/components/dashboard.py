"""What the components context offers the navigation: its pages for the component
technologist, the distribution clerk, the quality officer and the administrator. Call
``register()`` from ``ComponentsConfig.ready``."""

from __future__ import annotations

from hemaops.core import roles
from hemaops.core.registry import NavLink, registry

COMPONENT_USERS = frozenset(
    {
        roles.COMPONENT_TECHNOLOGIST,
        roles.DISTRIBUTION_CLERK,
        roles.QUALITY_OFFICER,
        roles.MEDICAL_DIRECTOR,
        roles.LAB_SUPERVISOR,
        roles.ADMINISTRATOR,
    }
)
STOCK_USERS = frozenset({roles.COMPONENT_TECHNOLOGIST, roles.DISTRIBUTION_CLERK, roles.QUALITY_OFFICER})


def register() -> None:
    registry.add_nav_link(NavLink("Components", "components:worklist", COMPONENT_USERS, order=50))
    registry.add_nav_link(NavLink("Stock", "components:stock_board", STOCK_USERS, order=51))
