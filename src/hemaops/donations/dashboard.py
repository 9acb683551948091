"""What DIN label stock offers the navigation."""

from __future__ import annotations

from hemaops.core import roles
from hemaops.core.registry import NavLink, registry

DIN_LABEL_USERS = frozenset({roles.PHLEBOTOMIST, roles.COMPONENT_TECHNOLOGIST, roles.ADMINISTRATOR})


def register() -> None:
    registry.add_nav_link(NavLink("DIN labels", "donations:din_stock_list", DIN_LABEL_USERS, order=30))
