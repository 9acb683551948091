"""Who may do what in the core context (see hemaops.core.roles)."""

from hemaops.core import roles

# What the Django admin asks of whoever edits reference data there (no delete: rows are
# made inactive, never removed).
_ADMIN_SITE_PERMISSIONS = [
    f"core.{verb}_{model}"
    for model in (
        "company",
        "site",
        "program",
        "hospital",
        "hospitalidentifier",
        "hospitallocation",
    )
    for verb in ("view", "add", "change")
]

_EVERY_STAFF_ROLE = {role: ["core.view_reference_data"] for role in roles.STAFF_ROLES}

ROLE_PERMISSIONS: dict[str, list[str]] = {
    **_EVERY_STAFF_ROLE,
    roles.ADMINISTRATOR: [
        *_ADMIN_SITE_PERMISSIONS,
        "core.view_reference_data",
        "core.manage_reference_data",
        "core.manage_users",
        "core.view_audit_trail",
        "core.record_past_business_date",
    ],
    roles.QUALITY_OFFICER: [
        "core.view_reference_data",
        "core.view_audit_trail",
        "core.record_past_business_date",
    ],
    roles.LAB_SUPERVISOR: ["core.view_reference_data", "core.record_past_business_date"],
    roles.MEDICAL_DIRECTOR: ["core.view_reference_data", "core.record_past_business_date"],
    roles.CONTROLLER: ["core.view_reference_data", "core.record_past_business_date"],
    roles.ACCOUNTANT: ["core.view_reference_data", "core.record_past_business_date"],
}
