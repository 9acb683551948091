"""Concurrent writers on PostgreSQL: the stream head lock keeps each chain whole."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from hemaops.core.audit import audit_record, audit_verify
from hemaops.core.models import AuditEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS = 4
EVENTS_PER_WRITER = 25


def _writer(stream: str, barrier: threading.Barrier, errors: list[BaseException]) -> None:
    try:
        barrier.wait(timeout=10)
        for n in range(EVENTS_PER_WRITER):
            with transaction.atomic():
                audit_record(stream=stream, action=f"{stream}.concurrent.write", actor=None, data={"n": n})
    except BaseException as error:  # reported to the test thread
        errors.append(error)
    finally:
        connection.close()


def test_concurrent_writers_to_one_stream_leave_one_contiguous_verified_chain():
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=("core", barrier, errors)) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    sequences = list(
        AuditEvent.objects.filter(stream="core").order_by("sequence").values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, WRITERS * EVENTS_PER_WRITER + 1))
    result = audit_verify()
    assert result.ok, result.problems


def test_writers_in_different_streams_do_not_share_a_chain():
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_writer, args=(stream, barrier, errors)) for stream in ("lab", "finance")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for stream in ("lab", "finance"):
        assert AuditEvent.objects.filter(stream=stream).count() == EVENTS_PER_WRITER
    assert audit_verify().ok
