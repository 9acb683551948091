"""The database itself refuses UPDATE and DELETE on the audit trail and on signatures
(DESIGN.md invariant 4): a service bug, a shell session or a hand-written SQL statement
cannot change what was recorded.

PostgreSQL: a row trigger raising integrity_constraint_violation. TRUNCATE, which test
fixtures use to reset the database, does not fire row triggers; production grants the
application's role no TRUNCATE, and the HMAC chain and checkpoints catch it regardless.

SQLite: triggers with RAISE(ABORT). DELETE asks hemaops_audit_reset_allowed(), a function
that each Django connection registers (hemaops.core.database) and that answers yes only
while a test fixture empties the tables; any other connection lacks the function and the
trigger fails closed.
"""

from django.db import migrations

APPEND_ONLY_TABLES = [
    "core_auditevent",
    "core_auditcheckpoint",
    "core_signature",
    "core_signedrecord",
]

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION hemaops_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'hemaops: % is append-only; % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        for table in APPEND_ONLY_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION hemaops_refuse_change()"
            )
    elif vendor == "sqlite":
        for table in APPEND_ONLY_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
                f"SELECT RAISE(ABORT, 'hemaops: {table} is append-only; UPDATE refused'); END"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                "WHEN NOT hemaops_audit_reset_allowed() BEGIN "
                f"SELECT RAISE(ABORT, 'hemaops: {table} is append-only; DELETE refused'); END"
            )
    else:
        raise NotImplementedError(f"append-only triggers are not written for {vendor}")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in APPEND_ONLY_TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS hemaops_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
