"""Concurrent registrations on PostgreSQL: the locked counter row never gives one donor
number twice and leaves no gap."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from hemaops.core.audit import audit_verify
from hemaops.donors.models import Donor
from hemaops.donors.services import donor_register
from tests.donors.registry_builders import details

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS = 6
DONORS_PER_WRITER = 10


def _registrar(writer: int, barrier: threading.Barrier, errors: list[BaseException]) -> None:
    try:
        barrier.wait(timeout=10)
        for n in range(DONORS_PER_WRITER):
            donor_register(
                actor=None,
                details=details(
                    family_name=f"Writer{writer}",
                    given_name=f"Donor{n}",
                    date_of_birth=date(1970 + writer, 1, 1 + n),
                    address_confirmed_on=None,
                ),
            )
    except BaseException as error:  # reported to the test thread
        errors.append(error)
    finally:
        connection.close()


def test_concurrent_registrations_draw_distinct_consecutive_donor_numbers():
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_registrar, args=(w, barrier, errors)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    numbers = sorted(Donor.objects.values_list("donor_number", flat=True))
    assert numbers == [f"D{n:07d}" for n in range(1, WRITERS * DONORS_PER_WRITER + 1)]
    assert audit_verify().ok
