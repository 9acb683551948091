"""Two phlebotomists recording a donation for the same screening at once, on PostgreSQL: one
unit is recorded, its compensation posted once; the other is refused and leaves its label set
unclaimed."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from hemaops.core.audit import audit_verify
from hemaops.core.errors import DomainError
from hemaops.donations import services
from hemaops.donations.models import Donation, IssuedDin
from hemaops.finance.models import JournalEntry
from hemaops.isbt128.din import Din
from tests.clock import earlier_today
from tests.donations.test_collection import GOOD_VITALS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COLLECTORS = 4


def test_concurrent_donations_on_one_screening_record_one_unit_and_one_payment(
    staff, site, paid_program, donor, business_day
):
    screening = services.screening_record(
        actor=staff["screener"], donor=donor, site=site, procedure="whole_blood", vitals=GOOD_VITALS
    )
    year = f"{business_day:%y}"
    services.din_stock_receive(
        actor=None, site=site, year=year, first_sequence=1, last_sequence=100, received_on=business_day
    )
    dins = [Din("W0001", year, f"{number + 1:06d}", "01").data_content for number in range(COLLECTORS)]
    barrier = threading.Barrier(COLLECTORS)
    recorded: list[str] = []
    refused: list[DomainError] = []
    errors: list[BaseException] = []

    def collect(number: int) -> None:
        try:
            barrier.wait(timeout=10)
            donation = services.donation_record_scanned(
                actor=staff["phlebotomist"],
                screening=screening,
                raw_din=dins[number],
                started_at=earlier_today(site, minutes=10),
                ended_at=earlier_today(site, minutes=1),
                volume_ml=500,
                bag_lot="BAG-1",
                outcome="complete",
            )
            recorded.append(donation.din.din)
        except DomainError as error:
            refused.append(error)
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=collect, args=(number,)) for number in range(COLLECTORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(recorded) == 1
    assert len(refused) == COLLECTORS - 1
    assert {error.code for error in refused} == {"already_collected"}
    assert Donation.objects.count() == 1
    assert IssuedDin.objects.count() == 1  # the refused collections left their label sets unclaimed
    entry = JournalEntry.objects.get(source_type="donations.donation")
    assert sum(line.debit for line in entry.lines.all()) == Decimal("30.00")
    assert audit_verify().ok
