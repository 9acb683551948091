"""What the billing context offers the navigation. Call ``register()`` from the app's ``ready``."""

from __future__ import annotations


def register() -> None:
    pass
