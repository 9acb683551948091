"""What the ledger offers the home dashboards and the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from hemaops.core import roles
from hemaops.core.registry import NavLink, Panel, registry
from hemaops.finance import selectors, services
from hemaops.finance.errors import FinanceError

_LEDGER_READERS = frozenset({roles.ACCOUNTANT, roles.CONTROLLER, roles.EXECUTIVE})


def _ledger_panel(request: HttpRequest) -> dict[str, Any] | None:
    """This month's trial-balance totals and the manual entries waiting for approval;
    hidden while no company is set up."""
    try:
        company = services.company_get()
    except FinanceError:
        return None
    code = selectors.current_period_code(company, timezone.localdate())
    balance = selectors.trial_balance(company, code)
    return {
        "code": code,
        "balance": balance,
        "rows_count": len(balance.rows),
        "pending": selectors.journal_entry_list_pending(company).count(),
    }


def register() -> None:
    registry.add_nav_link(NavLink("Ledger", "finance:trial_balance", _LEDGER_READERS, order=50))
    registry.add_nav_link(
        NavLink("Periods", "finance:period_list", frozenset({roles.CONTROLLER, roles.ACCOUNTANT}), order=51)
    )
    registry.add_panel(
        Panel(
            key="finance.ledger",
            title="Ledger",
            template="finance/panels/ledger.html",
            roles=_LEDGER_READERS,
            context=_ledger_panel,
            order=40,
        )
    )
