"""Concurrent scans and generations on PostgreSQL never give one DIN twice."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from hemaops.core.audit import audit_verify
from hemaops.core.errors import ConflictError
from hemaops.donations.models import DinLabelStock, IssuedDin
from hemaops.donations.services import din_claim_scanned, din_generate, din_stock_receive
from hemaops.isbt128.din import Din

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SCANNERS = 6
GENERATORS = 4
GENERATIONS_EACH = 15


def _run(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_concurrent_scans_of_one_din_claim_it_exactly_once(site):
    din_stock_receive(
        actor=None, site=site, year="25", first_sequence=1, last_sequence=100, received_on=date(2025, 1, 1)
    )
    raw = Din("W0001", "25", "000042", "01").data_content
    barrier = threading.Barrier(SCANNERS)
    successes: list[str] = []
    conflicts: list[ConflictError] = []
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            barrier.wait(timeout=10)
            successes.append(din_claim_scanned(actor=None, site=site, raw=raw).issued.din)
        except ConflictError as error:
            conflicts.append(error)
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            connection.close()

    _run([threading.Thread(target=scan) for _ in range(SCANNERS)])
    assert errors == []
    assert successes == ["W000125000042"]
    assert len(conflicts) == SCANNERS - 1
    assert {error.code for error in conflicts} == {"din_used"}
    assert IssuedDin.objects.filter(din="W000125000042").count() == 1
    assert audit_verify().ok


def test_concurrent_generations_give_distinct_dins_outside_received_stock(site):
    din_stock_receive(
        actor=None, site=site, year="25", first_sequence=10, last_sequence=20, received_on=date(2025, 1, 1)
    )
    barrier = threading.Barrier(GENERATORS)
    dins: list[str] = []
    errors: list[BaseException] = []

    def generate() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(GENERATIONS_EACH):
                dins.append(din_generate(actor=None, site=site, year="25").issued.din)
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            connection.close()

    _run([threading.Thread(target=generate) for _ in range(GENERATORS)])
    assert errors == []
    assert len(dins) == GENERATORS * GENERATIONS_EACH
    assert len(set(dins)) == GENERATORS * GENERATIONS_EACH
    sequences = {int(din[-6:]) for din in dins}
    assert sequences.isdisjoint(range(10, 21))
    assert IssuedDin.objects.count() == GENERATORS * GENERATIONS_EACH
    assert audit_verify().ok


def test_the_database_refuses_overlapping_ranges_even_past_the_service(site):
    din_stock_receive(
        actor=None, site=site, year="25", first_sequence=1, last_sequence=100, received_on=date(2025, 1, 1)
    )
    overlapping = DinLabelStock(
        site=site,
        facility="W0001",
        year="25",
        first_sequence=100,
        last_sequence=150,
        received_on=date(2025, 1, 2),
        recorded_at=DinLabelStock.objects.get().recorded_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        overlapping.save()
