"""What DIN label stock and paid donor programs offer the navigation."""

from __future__ import annotations

from hemaops.core import roles
from hemaops.core.registry import NavLink, registry

DIN_LABEL_USERS = frozenset({roles.PHLEBOTOMIST, roles.COMPONENT_TECHNOLOGIST, roles.ADMINISTRATOR})


COMPENSATION_READERS = frozenset({roles.PROGRAM_MANAGER, roles.CONTROLLER, roles.ACCOUNTANT, roles.EXECUTIVE})


def register() -> None:
    registry.add_nav_link(NavLink("DIN labels", "donations:din_stock_list", DIN_LABEL_USERS, order=30))
    registry.add_nav_link(
        NavLink("Paid programs", "donations:compensation_programs", COMPENSATION_READERS, order=34)
    )
