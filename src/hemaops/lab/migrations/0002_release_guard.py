"""DESIGN.md invariant 1, the lab's half, in the database (PostgreSQL): a donation is released
only when its testing is acceptable and no hold is active; a release is never changed or
removed; a released donation is acceptable or held — its status leaves acceptable only while a
hold is active, and its last hold cannot be lifted while it is not acceptable."""

from django.db import migrations

CREATE_GUARD = """
CREATE FUNCTION lab_release_requires_acceptable() RETURNS trigger AS $$
DECLARE
    testing_status varchar;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'release of donation % cannot be changed or removed', OLD.donation_id
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT status INTO testing_status FROM lab_donationtesting
     WHERE donation_id = NEW.donation_id FOR SHARE;
    IF testing_status IS DISTINCT FROM 'acceptable' THEN
        RAISE EXCEPTION 'release refused: donation % testing is %', NEW.donation_id, coalesce(testing_status, 'not started')
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM lab_donationhold WHERE donation_id = NEW.donation_id AND lifted_at IS NULL) THEN
        RAISE EXCEPTION 'release refused: donation % is on hold', NEW.donation_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER lab_release_requires_acceptable
    BEFORE INSERT OR UPDATE OR DELETE ON lab_donationrelease
    FOR EACH ROW EXECUTE FUNCTION lab_release_requires_acceptable();

CREATE FUNCTION lab_released_stays_acceptable_or_held() RETURNS trigger AS $$
BEGIN
    IF NEW.status <> 'acceptable'
       AND EXISTS (SELECT 1 FROM lab_donationrelease WHERE donation_id = NEW.donation_id)
       AND NOT EXISTS (SELECT 1 FROM lab_donationhold WHERE donation_id = NEW.donation_id AND lifted_at IS NULL)
    THEN
        RAISE EXCEPTION 'donation % is released: hold it before its status leaves acceptable', NEW.donation_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER lab_released_stays_acceptable_or_held
    BEFORE UPDATE ON lab_donationtesting
    FOR EACH ROW EXECUTE FUNCTION lab_released_stays_acceptable_or_held();

CREATE FUNCTION lab_last_hold_stays_while_not_acceptable() RETURNS trigger AS $$
BEGIN
    -- Lifts of one donation's holds take turns on its testing row: two transactions lifting
    -- its last two holds at once would each see the other hold still active (write skew).
    PERFORM 1 FROM lab_donationtesting WHERE donation_id = OLD.donation_id FOR UPDATE;
    IF (TG_OP = 'DELETE' OR (OLD.lifted_at IS NULL AND NEW.lifted_at IS NOT NULL))
       AND EXISTS (SELECT 1 FROM lab_donationrelease WHERE donation_id = OLD.donation_id)
       AND EXISTS (SELECT 1 FROM lab_donationtesting WHERE donation_id = OLD.donation_id AND status <> 'acceptable')
       AND NOT EXISTS (SELECT 1 FROM lab_donationhold
                        WHERE donation_id = OLD.donation_id AND lifted_at IS NULL AND id <> OLD.id)
    THEN
        RAISE EXCEPTION 'donation % is released and not acceptable: its last hold stays', OLD.donation_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER lab_last_hold_stays_while_not_acceptable
    BEFORE UPDATE OR DELETE ON lab_donationhold
    FOR EACH ROW EXECUTE FUNCTION lab_last_hold_stays_while_not_acceptable();
"""
DROP_GUARD = """
DROP TRIGGER IF EXISTS lab_release_requires_acceptable ON lab_donationrelease;
DROP FUNCTION IF EXISTS lab_release_requires_acceptable();
DROP TRIGGER IF EXISTS lab_released_stays_acceptable_or_held ON lab_donationtesting;
DROP FUNCTION IF EXISTS lab_released_stays_acceptable_or_held();
DROP TRIGGER IF EXISTS lab_last_hold_stays_while_not_acceptable ON lab_donationhold;
DROP FUNCTION IF EXISTS lab_last_hold_stays_while_not_acceptable();
"""


def add_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_GUARD, params=None)


def drop_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_GUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("lab", "0001_testing_results_release")]

    operations = [migrations.RunPython(add_guard, drop_guard)]
