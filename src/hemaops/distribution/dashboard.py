"""What the distribution context offers the navigation: orders, shipments and standing orders
for the distribution clerk; orders, shipments and the usage report for hospital users (the
portal). Called from ``DistributionConfig.ready``."""

from __future__ import annotations

from hemaops.core import roles
from hemaops.core.registry import NavLink, registry

ORDER_USERS = frozenset({roles.DISTRIBUTION_CLERK, roles.HOSPITAL_USER})
CLERKS = frozenset({roles.DISTRIBUTION_CLERK})
HOSPITAL_USERS = frozenset({roles.HOSPITAL_USER})


def register() -> None:
    registry.add_nav_link(NavLink("Orders", "distribution:order_list", ORDER_USERS, order=60))
    registry.add_nav_link(NavLink("Shipments", "distribution:shipment_list", ORDER_USERS, order=61))
    registry.add_nav_link(NavLink("Standing orders", "distribution:standing_order_list", CLERKS, order=62))
    registry.add_nav_link(NavLink("Reports", "distribution:hospital_report", HOSPITAL_USERS, order=63))
