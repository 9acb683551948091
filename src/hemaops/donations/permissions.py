"""Who may do what with DIN label stock (see hemaops.core.roles)."""

from hemaops.core import roles

ROLE_PERMISSIONS: dict[str, list[str]] = {
    roles.PHLEBOTOMIST: ["donations.view_din_label_stock", "donations.claim_din", "donations.generate_din"],
    roles.COMPONENT_TECHNOLOGIST: [
        "donations.view_din_label_stock",
        "donations.claim_din",
        "donations.generate_din",
        "donations.receive_din_label_stock",
    ],
    roles.ADMINISTRATOR: ["donations.view_din_label_stock", "donations.receive_din_label_stock"],
    roles.QUALITY_OFFICER: ["donations.view_din_label_stock"],
}
