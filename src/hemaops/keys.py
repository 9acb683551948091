"""The two secrets an installation needs, and where they live.

``SECRET_KEY`` (Django's signing key) and ``HEMAOPS_AUDIT_KEY`` (the HMAC key of the audit
trail) come from the environment when set, else from files under ``HEMAOPS_HOME`` that
``hemaops init`` or ``hemaops demo`` create. The audit key must live outside the database:
whoever can write the audit table must still be unable to forge its chain.

This module imports nothing from Django so that the command line can create the keys
before settings are loaded.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name
AUDIT_KEY_FILE = "audit_key"
MINIMUM_KEY_LENGTH = 32


def default_home() -> Path:
    return Path(os.environ.get("HEMAOPS_HOME") or "var").expanduser().resolve()


def read_key(env_name: str, file_name: str, home: Path) -> str:
    """The key from the environment, else from its file; empty when neither has it."""
    value = os.environ.get(env_name, "").strip()
    if value:
        return value
    path = home / file_name
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return ""


def ensure_keys(home: Path) -> list[Path]:
    """Create the missing key files (mode 0600) and return the paths it created."""
    home.mkdir(parents=True, exist_ok=True)
    created = []
    for env_name, file_name in (
        ("SECRET_KEY", SECRET_KEY_FILE),
        ("HEMAOPS_AUDIT_KEY", AUDIT_KEY_FILE),
    ):
        path = home / file_name
        if os.environ.get(env_name) or path.exists():
            continue
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        created.append(path)
    return created


def missing_key_message(home: Path) -> str | None:
    """One line saying which key is missing and how to make it, or None."""
    for env_name, file_name in (
        ("SECRET_KEY", SECRET_KEY_FILE),
        ("HEMAOPS_AUDIT_KEY", AUDIT_KEY_FILE),
    ):
        if not read_key(env_name, file_name, home):
            return (
                f"{env_name} is not set and {home / file_name} does not exist: "
                f"run `hemaops init` (or set {env_name})"
            )
    return None
