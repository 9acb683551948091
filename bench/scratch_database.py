"""A scratch PostgreSQL database for a benchmark: created, migrated, and dropped afterwards,
so that a benchmark never touches a database anyone uses.

    with scratch_database("postgres://postgres@127.0.0.1:5432", "hemaops_bench_x"):
        ...  # Django is set up on the scratch database, migrated
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432"


def _execute(server: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hemaops.settings")
    os.environ.setdefault("HEMAOPS_HOME", tempfile.mkdtemp(prefix="hemaops-bench-"))
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 40)
    os.environ.setdefault("HEMAOPS_AUDIT_KEY", "bench-audit-key-" + "y" * 40)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@contextmanager
def scratch_database(server: str, name: str) -> Iterator[None]:
    """Create ``name`` on ``server``, set Django up on it and migrate; drop it on the way out."""
    _execute(server, f'CREATE DATABASE "{name}"')
    try:
        _django(f"{server}/{name}")
        yield
    finally:
        from django.db import connections

        connections.close_all()
        _execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
