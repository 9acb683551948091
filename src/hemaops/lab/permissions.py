"""Who may do what in the laboratory (see hemaops.core.roles)."""

from hemaops.core import roles

_READ = ["lab.view_donationtesting", "lab.view_testresult", "lab.view_donationhold"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Technologists import and enter results and verify each other's; they hold donations.
    roles.LAB_TECHNOLOGIST: [
        *_READ,
        "lab.import_results",
        "lab.enter_result",
        "lab.verify_result",
        "lab.place_hold",
    ],
    # The supervisor also releases, resolves discrepancies and sets the panel.
    roles.LAB_SUPERVISOR: [
        *_READ,
        "lab.import_results",
        "lab.enter_result",
        "lab.verify_result",
        "lab.place_hold",
        "lab.release_donation",
        "lab.resolve_discrepancy",
        "lab.manage_test_panel",
        "lab.view_donornotification",
        "lab.notify_donor",
    ],
    # The quality officer reads everything, holds donations and follows notifications.
    roles.QUALITY_OFFICER: [*_READ, "lab.place_hold", "lab.view_donornotification"],
    roles.MEDICAL_DIRECTOR: [*_READ, "lab.view_donornotification", "lab.notify_donor"],
}
