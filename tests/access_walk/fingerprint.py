"""What a denied request must leave unchanged: a digest of every Hemaops table's rows, the
audit trail included, and of Django's ``auth`` and ``otp_totp`` tables, by table (so that a
failure names what changed)."""

from __future__ import annotations

import hashlib
import json

from django.apps import apps
from django.db import connection


def _walked_tables() -> list[str]:
    return [
        model._meta.db_table
        for config in apps.get_app_configs()
        if config.name.startswith("hemaops.") or config.label in {"auth", "otp_totp"}
        for model in config.get_models()
    ]


def _digests_query() -> str:
    """One row per table: its name and the digest of its rows' digests, in order."""
    # Table names come from the models, never from input.
    return " UNION ALL ".join(
        f"SELECT '{table}', md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) "  # noqa: S608
        f'FROM "{table}" t'
        for table in _walked_tables()
    )


# The walk digests the database twenty times a route: planning the query over every table
# costs a third of that, so the connection keeps it prepared.
_FINGERPRINT_STATEMENT = "walk_fingerprint"


def fingerprint() -> dict[str, str]:
    """A digest of the rows of every Hemaops table, audit trail included, by table (so a
    failure names what changed). On PostgreSQL one query digests each table's rows in the
    database; elsewhere the rows are read and digested here (slower, same meaning)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [_FINGERPRINT_STATEMENT])
            if cursor.fetchone() is None:
                cursor.execute(f"PREPARE {_FINGERPRINT_STATEMENT} AS {_digests_query()}")
            cursor.execute(f"EXECUTE {_FINGERPRINT_STATEMENT}")
            return dict(cursor.fetchall())
    tables = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("hemaops.") and config.label not in {"auth", "otp_totp"}:
            continue
        for model in config.get_models():
            digest = hashlib.sha256()
            for row in model._default_manager.order_by("pk").values():
                digest.update(json.dumps(row, default=str, sort_keys=True).encode())
            tables[model._meta.db_table] = digest.hexdigest()
    return tables


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(table for table in after if before.get(table) != after[table])
