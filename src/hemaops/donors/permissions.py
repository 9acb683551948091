"""Who may do what with donors (see hemaops.core.roles)."""

from hemaops.core import roles

ROLE_PERMISSIONS: dict[str, list[str]] = {
    roles.MEDICAL_DIRECTOR: ["donors.set_eligibility_configuration"],
}
