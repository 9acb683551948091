"""Who may do what with orders, shipments and returns (see hemaops.core.roles). A hospital
user's permissions reach only its own hospital's records: ``distribution.access`` narrows them."""

from hemaops.core import roles

_READ = ["distribution.view_order", "distribution.view_shipment", "distribution.view_standingorder"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Distribution clerks take orders (also on a hospital's behalf), allocate, pack, ship,
    # take returns and record what hospitals report — a receipt or a fate a hospital phones or
    # faxes in is entered by the clerk, under the clerk's name in the audit trail.
    roles.DISTRIBUTION_CLERK: [
        *_READ,
        "distribution.place_order",
        "distribution.add_standingorder",
        "distribution.allocate_order",
        "distribution.ship_order",
        "distribution.confirm_receipt",
        "distribution.record_return",
        "distribution.report_disposition",
    ],
    # A hospital's blood bank orders, follows its shipments, confirms receipt and reports fates.
    roles.HOSPITAL_USER: [
        *_READ,
        "distribution.place_order",
        "distribution.confirm_receipt",
        "distribution.report_disposition",
    ],
    # Only a medical director lets RhD-positive units fill an RhD-negative line.
    roles.MEDICAL_DIRECTOR: [*_READ, "distribution.authorize_rh_substitution"],
    roles.QUALITY_OFFICER: [*_READ],
    roles.ACCOUNTANT: [*_READ],
    roles.CONTROLLER: [*_READ],
    roles.EXECUTIVE: [*_READ],
}
