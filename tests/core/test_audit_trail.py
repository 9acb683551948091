"""The audit trail is append-only in the database and every kind of tampering is caught."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from hemaops.core.audit import audit_checkpoint_record, audit_record, audit_verify
from hemaops.core.database import audit_reset_allowed
from hemaops.core.models import AuditEvent, AuditStreamHead


def _write(count: int, stream: str = "core") -> list[AuditEvent]:
    with transaction.atomic():
        return [
            audit_record(
                stream=stream,
                action=f"{stream}.test.done",
                actor=None,
                data={"n": n, "amount": "1.10"},
            )
            for n in range(count)
        ]


def _raw(sql: str, params: list | None = None) -> None:
    """Tamper the way an intruder with database access would: triggers off, then SQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params or [])
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
        else:
            with audit_reset_allowed():
                cursor.execute("DROP TRIGGER core_auditevent_no_update")
                cursor.execute(sql, params or [])


def test_events_chain_by_sequence_and_previous_mac(db):
    first, second, third = _write(3)
    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert second.previous_mac == first.mac
    assert third.previous_mac == second.mac
    assert AuditStreamHead.objects.get(stream="core").sequence == 3


def test_streams_are_separate_chains(db):
    _write(2, "core")
    (lab_event,) = _write(1, "lab")
    assert lab_event.sequence == 1
    assert lab_event.previous_mac == "0" * 64


def test_an_audit_event_outside_a_transaction_is_refused(db):
    # pytest-django wraps the test in a transaction; step out of it to see the real check.
    connection.in_atomic_block, saved = False, connection.in_atomic_block
    try:
        with pytest.raises(RuntimeError, match="inside the service's transaction"):
            audit_record(stream="core", action="core.x", actor=None)
    finally:
        connection.in_atomic_block = saved


def test_the_database_refuses_update_of_an_audit_event(db):
    (event,) = _write(1)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="edited")
    event.refresh_from_db()
    assert event.reason == ""


def test_the_database_refuses_delete_of_an_audit_event(db):
    (event,) = _write(1)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_verify_passes_an_untouched_trail(db):
    _write(5)
    audit_checkpoint_record()
    result = audit_verify()
    assert result.ok
    assert result.events_checked == 5
    assert result.checkpoints_checked == 1


def test_verify_names_a_changed_row(db):
    events = _write(4)
    _raw("UPDATE core_auditevent SET reason = 'nothing happened' WHERE id = %s", [events[1].pk])
    result = audit_verify()
    assert [(p.kind, p.sequence) for p in result.problems] == [("changed", 2)]


def test_verify_names_a_deleted_row(db):
    events = _write(4)
    _raw("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    result = audit_verify()
    assert [(p.kind, p.sequence) for p in result.problems] == [("deleted", 3)]


@pytest.mark.parametrize("links_to_the_last_row", [False, True])
def test_verify_names_an_inserted_row(db, links_to_the_last_row):
    events = _write(3)
    # An intruder appends a forged row, even one that copies the last genuine row's MAC.
    forged = AuditEvent(
        stream="core",
        sequence=4,
        occurred_at=events[-1].occurred_at,
        recorded_at=events[-1].recorded_at,
        action="core.test.done",
        data={},
        previous_mac=events[-1].mac if links_to_the_last_row else "f" * 64,
        mac="e" * 64,
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
    AuditEvent.objects.bulk_create([forged])
    result = audit_verify()
    assert [(p.kind, p.sequence) for p in result.problems] == [("inserted", 4)]


def test_verify_names_a_missing_tail_after_a_checkpoint(db):
    events = _write(5)
    audit_checkpoint_record()
    # Cut the tail and rewind the head, so that only the checkpoint remembers.
    _raw("DELETE FROM core_auditevent WHERE id IN (%s, %s)", [events[3].pk, events[4].pk])
    AuditStreamHead.objects.filter(stream="core").update(sequence=3, mac=events[2].mac)
    result = audit_verify()
    assert [(p.kind, p.sequence) for p in result.problems] == [("missing_tail", 4)]
    assert "rows 4..5 are missing" in result.problems[0].message


def test_verify_names_a_missing_tail_from_the_stream_head(db):
    events = _write(3)
    _raw("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    result = audit_verify()
    assert [(p.kind, p.sequence) for p in result.problems] == [("missing_tail", 3)]


def test_checkpoint_is_not_repeated_while_the_head_stands_still(db):
    _write(2)
    assert len(audit_checkpoint_record()) == 1
    assert audit_checkpoint_record() == []


def test_audit_verify_command_exits_1_on_tampering_and_0_when_intact(db, capsys):
    events = _write(2)
    call_command("audit", "verify")
    assert "audit trail intact: 2 events in 1 streams" in capsys.readouterr().out
    _raw("UPDATE core_auditevent SET action = 'core.other' WHERE id = %s", [events[0].pk])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert "TAMPERED changed: core#1" in capsys.readouterr().err


def test_decimal_data_verifies_after_the_round_trip(db):
    from decimal import Decimal

    with transaction.atomic():
        audit_record(stream="core", action="core.money", actor=None, data={"amount": Decimal("6931000.00")})
    assert AuditEvent.objects.get(action="core.money").data == {"amount": "6931000.00"}
    assert audit_verify().ok
