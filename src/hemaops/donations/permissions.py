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

# Collections: recruiters plan drives and book; screeners check in; program managers view.
DRIVE_ROLE_PERMISSIONS: dict[str, list[str]] = {
    roles.RECRUITER: ["donations.view_drives", "donations.plan_drive", "donations.book_appointment"],
    roles.SCREENER: ["donations.view_drives", "donations.check_in_donor"],
    roles.PROGRAM_MANAGER: ["donations.view_drives"],
}
for _role, _codenames in DRIVE_ROLE_PERMISSIONS.items():
    ROLE_PERMISSIONS.setdefault(_role, []).extend(_codenames)

# Screening and donation: the screener screens (and records a director's telephone
# approval); the phlebotomist collects and records reactions; the medical director
# overrides and signs; the quality officer reads, reactions above all.
COLLECTION_ROLE_PERMISSIONS: dict[str, list[str]] = {
    roles.SCREENER: ["donations.add_screening", "donations.view_screening", "donations.view_donation"],
    roles.PHLEBOTOMIST: [
        "donations.view_screening",
        "donations.add_donation",
        "donations.view_donation",
        "donations.add_adversereaction",
        "donations.view_adversereaction",
    ],
    roles.MEDICAL_DIRECTOR: [
        "donations.view_screening",
        "donations.override_eligibility",
        "donations.view_donation",
        "donations.view_adversereaction",
    ],
    roles.QUALITY_OFFICER: [
        "donations.view_screening",
        "donations.view_donation",
        "donations.view_adversereaction",
    ],
}
for _role, _codenames in COLLECTION_ROLE_PERMISSIONS.items():
    ROLE_PERMISSIONS.setdefault(_role, []).extend(_codenames)

# Quality reviews reportable reactions; recruiters call eligible donors; program managers set
# what a paid program pays (finance reads it, the ledger carries it as program cost).
OVERSIGHT_ROLE_PERMISSIONS: dict[str, list[str]] = {
    roles.QUALITY_OFFICER: ["donations.review_adversereaction"],
    roles.RECRUITER: ["donations.view_recruitment_list"],
    roles.PROGRAM_MANAGER: ["donations.manage_donor_compensation", "donations.view_donor_compensation"],
    roles.CONTROLLER: ["donations.view_donor_compensation"],
    roles.ACCOUNTANT: ["donations.view_donor_compensation"],
    roles.EXECUTIVE: ["donations.view_donor_compensation"],
}
for _role, _codenames in OVERSIGHT_ROLE_PERMISSIONS.items():
    ROLE_PERMISSIONS.setdefault(_role, []).extend(_codenames)
