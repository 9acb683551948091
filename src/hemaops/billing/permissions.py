"""Who may do what with contracts, invoices and receipts (see hemaops.core.roles). A hospital
user's permissions reach only its own hospital's records: ``billing.access`` narrows them."""

from hemaops.core import roles

_READ = ["billing.view_contract", "billing.view_invoice", "billing.view_receipt", "billing.view_charge"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Accountants and the controller keep contracts and prices, invoice, credit and record receipts.
    roles.ACCOUNTANT: [
        *_READ,
        "billing.manage_contract",
        "billing.issue_invoice",
        "billing.issue_credit_note",
        "billing.record_receipt",
    ],
    roles.CONTROLLER: [
        *_READ,
        "billing.manage_contract",
        "billing.issue_invoice",
        "billing.issue_credit_note",
        "billing.record_receipt",
    ],
    roles.EXECUTIVE: [*_READ],
    # The distribution clerk sees what a hospital's contract prices (to take its orders).
    roles.DISTRIBUTION_CLERK: ["billing.view_contract"],
    # A hospital's users see their own contract, invoices and receipts.
    roles.HOSPITAL_USER: ["billing.view_contract", "billing.view_invoice", "billing.view_receipt"],
}
