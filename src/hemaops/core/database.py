"""Database-level guards that need a hook on each connection.

SQLite has no session variables, so the audit trail's append-only triggers ask an
application-defined function whether a test-fixture reset is under way. A connection
that does not register the function (the sqlite3 shell, another program) makes the
triggers fail closed: they refuse.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_reset = threading.local()


def _audit_reset_allowed() -> int:
    return 1 if getattr(_reset, "allowed", False) else 0


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "hemaops_audit_reset_allowed", 0, _audit_reset_allowed, deterministic=False
        )


@contextlib.contextmanager
def audit_reset_allowed() -> Iterator[None]:
    """Let a test fixture empty the audit tables on SQLite (PostgreSQL flushes with
    TRUNCATE, which row triggers do not see). Never used outside the test plugin."""
    _reset.allowed = True
    try:
        yield
    finally:
        _reset.allowed = False
