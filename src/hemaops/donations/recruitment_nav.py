"""What recruitment lists offer the navigation (called from DonationsConfig.ready)."""

from __future__ import annotations

from hemaops.core import roles
from hemaops.core.registry import NavLink, registry

RECRUITMENT_LIST_USERS = frozenset({roles.RECRUITER})


def register() -> None:
    registry.add_nav_link(
        NavLink("Recruitment", "donations:recruitment_list", RECRUITMENT_LIST_USERS, order=33)
    )
