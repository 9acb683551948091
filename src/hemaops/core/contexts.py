"""The bounded contexts' optional modules, found by convention.

A context (an installed ``hemaops.*`` app) may offer a module of a known name: ``permissions``
(its roles' permissions), ``demo`` (its demo data). Core looks them up here rather than import
every context by name.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

from django.apps import AppConfig, apps


def context_modules(name: str) -> Iterator[tuple[AppConfig, ModuleType]]:
    """Each context's module ``name``, in INSTALLED_APPS order (the order the contexts depend
    on each other); a context without one is passed over, an error inside one is raised."""
    for config in apps.get_app_configs():
        if not config.name.startswith("hemaops."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.{name}":
                raise
            continue
        yield config, module
