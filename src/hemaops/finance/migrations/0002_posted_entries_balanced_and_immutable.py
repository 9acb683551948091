"""The database refuses, not only the services (DESIGN.md invariant 5):

- a journal entry is inserted unposted, receives its lines, then is posted once: posting
  is refused when its lines do not balance (or are fewer than two) or its month is closed;
- a posted entry and its lines cannot be updated or deleted: corrections are reversals.

PostgreSQL: plpgsql row triggers raising integrity_constraint_violation. SQLite: the same
rules as WHEN clauses; DELETE asks hemaops_audit_reset_allowed() so that test fixtures can
empty the tables (see hemaops.core.database).
"""

from django.db import migrations

POSTGRES = r"""
CREATE OR REPLACE FUNCTION hemaops_journal_entry_guard() RETURNS trigger AS $$
DECLARE
    difference numeric;
    line_count integer;
    period_status text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'posted' THEN
            RAISE EXCEPTION 'hemaops: a journal entry is inserted unposted and posted once its lines are in'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status = 'posted' THEN
        RAISE EXCEPTION 'hemaops: journal entry % is posted; it cannot be changed or deleted (reverse it)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.status = 'posted' THEN
        SELECT coalesce(sum(debit), 0) - coalesce(sum(credit), 0), count(*)
          INTO difference, line_count
          FROM finance_journalline WHERE entry_id = NEW.id;
        IF line_count < 2 OR difference <> 0 THEN
            RAISE EXCEPTION 'hemaops: journal entry % does not balance (debits - credits = %, % lines)',
                NEW.id, difference, line_count USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        SELECT status INTO period_status FROM finance_fiscalperiod WHERE id = NEW.period_id;
        IF period_status = 'closed' THEN
            RAISE EXCEPTION 'hemaops: the period of journal entry % is closed', NEW.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER finance_journalentry_guard
    BEFORE INSERT OR UPDATE OR DELETE ON finance_journalentry
    FOR EACH ROW EXECUTE FUNCTION hemaops_journal_entry_guard();

CREATE OR REPLACE FUNCTION hemaops_journal_line_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND EXISTS (
        SELECT 1 FROM finance_journalentry WHERE id = OLD.entry_id AND status = 'posted'
    ) THEN
        RAISE EXCEPTION 'hemaops: the lines of posted journal entry % cannot change', OLD.entry_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP <> 'DELETE' AND EXISTS (
        SELECT 1 FROM finance_journalentry WHERE id = NEW.entry_id AND status = 'posted'
    ) THEN
        RAISE EXCEPTION 'hemaops: the lines of posted journal entry % cannot change', NEW.entry_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER finance_journalline_guard
    BEFORE INSERT OR UPDATE OR DELETE ON finance_journalline
    FOR EACH ROW EXECUTE FUNCTION hemaops_journal_line_guard();
"""

_ENTRY_POSTED = "(SELECT status FROM finance_journalentry WHERE id = {row}.entry_id) = 'posted'"
SQLITE = [
    """CREATE TRIGGER finance_journalentry_inserted_unposted BEFORE INSERT ON finance_journalentry
       WHEN NEW.status = 'posted' BEGIN
       SELECT RAISE(ABORT, 'hemaops: a journal entry is inserted unposted and posted once its lines are in'); END""",
    """CREATE TRIGGER finance_journalentry_posted_no_update BEFORE UPDATE ON finance_journalentry
       WHEN OLD.status = 'posted' BEGIN
       SELECT RAISE(ABORT, 'hemaops: a posted journal entry cannot be changed (reverse it)'); END""",
    """CREATE TRIGGER finance_journalentry_posted_no_delete BEFORE DELETE ON finance_journalentry
       WHEN OLD.status = 'posted' AND NOT hemaops_audit_reset_allowed() BEGIN
       SELECT RAISE(ABORT, 'hemaops: a posted journal entry cannot be deleted (reverse it)'); END""",
    """CREATE TRIGGER finance_journalentry_balanced BEFORE UPDATE ON finance_journalentry
       WHEN NEW.status = 'posted' AND OLD.status <> 'posted' AND (
           (SELECT count(*) FROM finance_journalline WHERE entry_id = NEW.id) < 2
           OR abs((SELECT total(debit) - total(credit) FROM finance_journalline WHERE entry_id = NEW.id)) >= 0.005
       ) BEGIN
       SELECT RAISE(ABORT, 'hemaops: the journal entry does not balance'); END""",
    """CREATE TRIGGER finance_journalentry_open_period BEFORE UPDATE ON finance_journalentry
       WHEN NEW.status = 'posted'
       AND (SELECT status FROM finance_fiscalperiod WHERE id = NEW.period_id) = 'closed' BEGIN
       SELECT RAISE(ABORT, 'hemaops: the period of the journal entry is closed'); END""",
    f"""CREATE TRIGGER finance_journalline_no_insert BEFORE INSERT ON finance_journalline
       WHEN {_ENTRY_POSTED.format(row="NEW")} BEGIN
       SELECT RAISE(ABORT, 'hemaops: the lines of a posted journal entry cannot change'); END""",
    f"""CREATE TRIGGER finance_journalline_no_update BEFORE UPDATE ON finance_journalline
       WHEN {_ENTRY_POSTED.format(row="OLD")} OR {_ENTRY_POSTED.format(row="NEW")} BEGIN
       SELECT RAISE(ABORT, 'hemaops: the lines of a posted journal entry cannot change'); END""",
    f"""CREATE TRIGGER finance_journalline_no_delete BEFORE DELETE ON finance_journalline
       WHEN {_ENTRY_POSTED.format(row="OLD")} AND NOT hemaops_audit_reset_allowed() BEGIN
       SELECT RAISE(ABORT, 'hemaops: the lines of a posted journal entry cannot change'); END""",
]
SQLITE_TRIGGERS = [
    "finance_journalentry_inserted_unposted",
    "finance_journalentry_posted_no_update",
    "finance_journalentry_posted_no_delete",
    "finance_journalentry_balanced",
    "finance_journalentry_open_period",
    "finance_journalline_no_insert",
    "finance_journalline_no_update",
    "finance_journalline_no_delete",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"ledger triggers are not written for {vendor}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS finance_journalentry_guard ON finance_journalentry")
        schema_editor.execute("DROP TRIGGER IF EXISTS finance_journalline_guard ON finance_journalline")
        schema_editor.execute("DROP FUNCTION IF EXISTS hemaops_journal_entry_guard()")
        schema_editor.execute("DROP FUNCTION IF EXISTS hemaops_journal_line_guard()")
    else:
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_ledger")]

    operations = [migrations.RunPython(create, drop)]
