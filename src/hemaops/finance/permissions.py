"""Who may do what in the ledger (see hemaops.core.roles)."""

from hemaops.core import roles

ROLE_PERMISSIONS: dict[str, list[str]] = {
    roles.ACCOUNTANT: ["finance.view_ledger", "finance.submit_journal_entry"],
    roles.CONTROLLER: [
        "finance.view_ledger",
        "finance.submit_journal_entry",
        "finance.post_journal_entry",
        "finance.close_period",
        "finance.manage_ledger_setup",
    ],
    roles.EXECUTIVE: ["finance.view_ledger"],
}
