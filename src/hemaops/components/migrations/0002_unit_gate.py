"""DESIGN.md invariants 1 (the unit's half) and 3 in the database (PostgreSQL).

- A unit is born quarantined, moves only along the allowed transitions
  (``rules.lifecycle.TRANSITIONS``, copied here as this migration's own frozen table), and its
  status time never goes backwards nor runs ahead of the clock.
- It enters available, allocated or shipped only when every donation it is made from has its
  release record and no donation or unit hold is active (the label and expiry halves are
  check constraints of migration 0001, on every database).
- Holds and the gate take turns: the gate reads the donations' testing rows FOR SHARE and the
  unit row is locked by its own update; placing a donation hold locks the testing row FOR
  UPDATE (the lab's service does; the trigger below makes a direct INSERT do it too) and
  placing a unit hold locks the unit row. So a hold and a release of the same unit never
  both commit unseen by each other (no write skew).
- Sources and parentage are append-only: traceability is never rewritten.
"""

from django.db import migrations

TRANSITIONS = (
    "('allocated','available'), ('allocated','discarded'), ('allocated','quarantined'), "
    "('allocated','shipped'), ('available','allocated'), ('available','discarded'), "
    "('available','quarantined'), ('available','used'), ('quarantined','available'), "
    "('quarantined','discarded'), ('quarantined','used'), ('returned','available'), "
    "('returned','discarded'), ('returned','quarantined'), ('shipped','discarded'), "
    "('shipped','returned'), ('shipped','used')"
)

CREATE_GATE = """
CREATE FUNCTION components_unit_gate() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'quarantined' THEN
            RAISE EXCEPTION 'unit % % must be created quarantined, not %', NEW.din, NEW.product_code, NEW.status
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status_changed_at < OLD.status_changed_at THEN
        RAISE EXCEPTION 'unit % %: its status time cannot go backwards', NEW.din, NEW.product_code
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NEW;
    END IF;
    IF (OLD.status, NEW.status) NOT IN (__TRANSITIONS__) THEN
        RAISE EXCEPTION 'unit % %: a % unit cannot become %', NEW.din, NEW.product_code, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status_changed_at > now() + interval '5 minutes' THEN
        RAISE EXCEPTION 'unit % %: a move cannot be dated in the future', NEW.din, NEW.product_code
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status IN ('available', 'allocated', 'shipped') THEN
        PERFORM 1 FROM lab_donationtesting t JOIN components_unitsource s ON s.donation_id = t.donation_id
         WHERE s.unit_id = NEW.id FOR SHARE OF t;
        IF NOT EXISTS (SELECT 1 FROM components_unitsource WHERE unit_id = NEW.id)
           OR EXISTS (SELECT 1 FROM components_unitsource s
                       WHERE s.unit_id = NEW.id
                         AND NOT EXISTS (SELECT 1 FROM lab_donationrelease r WHERE r.donation_id = s.donation_id))
        THEN
            RAISE EXCEPTION 'unit % %: its donation is not released', NEW.din, NEW.product_code
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM components_unitsource s JOIN lab_donationhold h ON h.donation_id = s.donation_id
                    WHERE s.unit_id = NEW.id AND h.lifted_at IS NULL)
        THEN
            RAISE EXCEPTION 'unit % %: its donation is on hold', NEW.din, NEW.product_code
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM components_unithold WHERE unit_id = NEW.id AND lifted_at IS NULL) THEN
            RAISE EXCEPTION 'unit % % is on hold', NEW.din, NEW.product_code
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER components_unit_gate
    BEFORE INSERT OR UPDATE ON components_unit
    FOR EACH ROW EXECUTE FUNCTION components_unit_gate();

CREATE FUNCTION components_unit_hold_takes_turn() RETURNS trigger AS $$
BEGIN
    PERFORM 1 FROM components_unit WHERE id = NEW.unit_id FOR UPDATE;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER components_unit_hold_takes_turn
    BEFORE INSERT ON components_unithold
    FOR EACH ROW EXECUTE FUNCTION components_unit_hold_takes_turn();

CREATE FUNCTION components_donation_hold_takes_turn() RETURNS trigger AS $$
BEGIN
    PERFORM 1 FROM lab_donationtesting WHERE donation_id = NEW.donation_id FOR UPDATE;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER components_donation_hold_takes_turn
    BEFORE INSERT ON lab_donationhold
    FOR EACH ROW EXECUTE FUNCTION components_donation_hold_takes_turn();

CREATE FUNCTION components_traceability_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are traceability: they are never changed or removed', TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER components_unitsource_append_only
    BEFORE UPDATE OR DELETE ON components_unitsource
    FOR EACH ROW EXECUTE FUNCTION components_traceability_append_only();
CREATE TRIGGER components_unitparentage_append_only
    BEFORE UPDATE OR DELETE ON components_unitparentage
    FOR EACH ROW EXECUTE FUNCTION components_traceability_append_only();
""".replace("__TRANSITIONS__", TRANSITIONS)

DROP_GATE = """
DROP TRIGGER IF EXISTS components_unit_gate ON components_unit;
DROP FUNCTION IF EXISTS components_unit_gate();
DROP TRIGGER IF EXISTS components_unit_hold_takes_turn ON components_unithold;
DROP FUNCTION IF EXISTS components_unit_hold_takes_turn();
DROP TRIGGER IF EXISTS components_donation_hold_takes_turn ON lab_donationhold;
DROP FUNCTION IF EXISTS components_donation_hold_takes_turn();
DROP TRIGGER IF EXISTS components_unitsource_append_only ON components_unitsource;
DROP TRIGGER IF EXISTS components_unitparentage_append_only ON components_unitparentage;
DROP FUNCTION IF EXISTS components_traceability_append_only();
"""


def add_gate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_GATE, params=None)


def drop_gate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_GATE, params=None)


class Migration(migrations.Migration):
    dependencies = [("components", "0001_units_catalogue_storage"), ("lab", "0003_required_special_tests")]

    operations = [migrations.RunPython(add_gate, drop_gate)]
