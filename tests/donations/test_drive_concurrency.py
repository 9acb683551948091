"""Concurrent bookings of one slot on PostgreSQL: the slot row lock keeps its capacity."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from hemaops.core.errors import ConflictError
from hemaops.donations import drive_services
from hemaops.donations.models import Appointment
from tests.donations.drive_factories import bus_make, donor_make, drive_make, mobile_program_make, slot_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CAPACITY = 3
BOOKERS = 8


def test_more_concurrent_bookings_than_capacity_leave_exactly_capacity_booked(company):
    drive = drive_make(bus_make(company), mobile_program_make(company))
    slot = slot_make(drive, capacity=CAPACITY)
    donors = [donor_make(f"Donor{n}", family_name=f"Family{n}") for n in range(BOOKERS)]
    barrier = threading.Barrier(BOOKERS)
    booked: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def book(donor) -> None:
        try:
            barrier.wait(timeout=10)
            booked.append(drive_services.appointment_book(actor=None, slot=slot, donor=donor).pk)
        except ConflictError as error:
            refused.append(error.code)
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(donor,)) for donor in donors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(booked) == CAPACITY
    assert refused == ["slot_full"] * (BOOKERS - CAPACITY)
    assert Appointment.objects.filter(slot=slot, status="booked").count() == CAPACITY
