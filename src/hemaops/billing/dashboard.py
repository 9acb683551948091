"""What the billing context offers the navigation: "Billing" for the accountants, the
controller and the executives, "Invoices" for a hospital's users (the same pages, narrowed to
their hospital by ``billing.access``). Call ``register()`` from ``BillingConfig.ready``."""

from __future__ import annotations

from hemaops.core import roles
from hemaops.core.registry import NavLink, registry

BILLING_USERS = frozenset({roles.ACCOUNTANT, roles.CONTROLLER, roles.EXECUTIVE})
HOSPITAL_USERS = frozenset({roles.HOSPITAL_USER})


def register() -> None:
    # The registry keeps one link per URL name, so the two audiences enter by different pages;
    # every billing page carries the context's own menu (billing/_menu.html).
    registry.add_nav_link(NavLink("Billing", "billing:contract_list", BILLING_USERS, order=70))
    registry.add_nav_link(NavLink("Invoices", "billing:invoice_list", HOSPITAL_USERS, order=70))
