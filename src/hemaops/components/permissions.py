"""Who may do what with components, labels, inventory and storage (see hemaops.core.roles)."""

from hemaops.core import roles

_READ = [
    "components.view_unit",
    "components.view_product",
    "components.view_storagelocation",
    "components.view_temperatureexcursion",
    "components.view_unithold",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Component technologists make components, label them, store them, and pool under a new DIN.
    roles.COMPONENT_TECHNOLOGIST: [
        *_READ,
        "components.manufacture_unit",
        "components.label_unit",
        "components.move_unit",
        "components.hold_unit",
        "components.import_temperatures",
        "donations.generate_din",
    ],
    # Distribution clerks allocate, ship, take returns and record what hospitals report.
    roles.DISTRIBUTION_CLERK: [
        *_READ,
        "components.allocate_unit",
        "components.move_unit",
        "components.hold_unit",
    ],
    # The quality officer holds units and decides on temperature excursions.
    roles.QUALITY_OFFICER: [
        *_READ,
        "components.hold_unit",
        "components.decide_excursion",
        "components.import_temperatures",
    ],
    roles.MEDICAL_DIRECTOR: [*_READ],
    roles.LAB_SUPERVISOR: [*_READ],
    # The administrator keeps the reference data: the catalogue and the storage locations.
    roles.ADMINISTRATOR: [
        *_READ,
        "components.import_catalogue",
        "components.add_storagelocation",
        "components.change_storagelocation",
    ],
}
