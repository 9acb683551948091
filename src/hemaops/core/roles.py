"""The roles of DESIGN.md as Django groups, and the permissions each holds.

Each bounded context may ship a ``permissions.py`` with ``ROLE_PERMISSIONS`` (role name →
``app_label.codename`` list); after every migration the groups are brought in line with the
union of those tables, so the table in code is the one truth about who may do what.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, Permission

from hemaops.core.contexts import context_modules

RECRUITER = "recruiter"
SCREENER = "screener"
PHLEBOTOMIST = "phlebotomist"
LAB_TECHNOLOGIST = "lab_technologist"
LAB_SUPERVISOR = "lab_supervisor"
COMPONENT_TECHNOLOGIST = "component_technologist"
DISTRIBUTION_CLERK = "distribution_clerk"
HOSPITAL_USER = "hospital_user"
APHERESIS_NURSE = "apheresis_nurse"
MEDICAL_DIRECTOR = "medical_director"
PROGRAM_MANAGER = "program_manager"
ACCOUNTANT = "accountant"
CONTROLLER = "controller"
EXECUTIVE = "executive"
QUALITY_OFFICER = "quality_officer"
ADMINISTRATOR = "administrator"

ROLES: dict[str, str] = {
    RECRUITER: "Recruiter",
    SCREENER: "Screener",
    PHLEBOTOMIST: "Phlebotomist",
    LAB_TECHNOLOGIST: "Lab technologist",
    LAB_SUPERVISOR: "Lab supervisor",
    COMPONENT_TECHNOLOGIST: "Component technologist",
    DISTRIBUTION_CLERK: "Distribution clerk",
    HOSPITAL_USER: "Hospital user",
    APHERESIS_NURSE: "Apheresis nurse",
    MEDICAL_DIRECTOR: "Medical director",
    PROGRAM_MANAGER: "Program manager",
    ACCOUNTANT: "Accountant",
    CONTROLLER: "Controller",
    EXECUTIVE: "Executive",
    QUALITY_OFFICER: "Quality officer",
    ADMINISTRATOR: "Administrator",
}
STAFF_ROLES = frozenset(ROLES) - {HOSPITAL_USER}

# The roles whose interactive sessions need a second factor (TOTP).
SECOND_FACTOR_ROLES = frozenset({ADMINISTRATOR, MEDICAL_DIRECTOR, LAB_SUPERVISOR, CONTROLLER})


def role_label(role: str) -> str:
    return ROLES[role]


def declared_role_permissions() -> dict[str, set[str]]:
    """Union of every installed Hemaops app's ROLE_PERMISSIONS table."""
    table: dict[str, set[str]] = {role: set() for role in ROLES}
    for config, module in context_modules("permissions"):
        for role, codenames in module.ROLE_PERMISSIONS.items():
            if role not in table:
                raise ValueError(f"{config.name}.permissions names unknown role {role!r}")
            table[role].update(codenames)
    return table


def _permissions(names: Iterable[str]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    found = [
        permission
        for permission in Permission.objects.select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise ValueError(f"unknown permissions in ROLE_PERMISSIONS: {sorted(missing)}")
    return found


def roles_sync() -> None:
    """Create the role groups and give each exactly its declared permissions (idempotent)."""
    for role, names in declared_role_permissions().items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(_permissions(names))


def on_post_migrate(sender: Any, **kwargs: Any) -> None:
    # post_migrate is sent once per app with models, in INSTALLED_APPS order, and each app's
    # permissions are created in its own round: sync once, in the last app's round,
    # when every permission exists.
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender.label == with_models[-1].label:
        roles_sync()
