"""The database itself keeps posted entries balanced and immutable, and idempotent
posting holds under concurrency (PostgreSQL, the system of record)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hemaops.finance import services
from hemaops.finance.models import FiscalPeriod, JournalEntry, JournalLine
from hemaops.finance.sources import SourceDocument

JAN = date(2025, 1, 15)


def _raw_entry(ledger, status="pending_approval") -> JournalEntry:
    return JournalEntry.objects.create(
        company=ledger["1000"].company,
        entry_date=JAN,
        period=FiscalPeriod.objects.get(code="2025-01"),
        memo="raw",
        origin="manual",
        status=status,
        created_at=timezone.now(),
        posted_at=timezone.now() if status == "posted" else None,
    )


def _posted(ledger, program, hospital) -> JournalEntry:
    return services.revenue_recognize(
        source=SourceDocument("tests.shipment", "1", "revenue"),
        entry_date=JAN,
        program=program,
        hospital=hospital,
        amount="100.00",
        revenue_key="red_cells",
        memo="shipment",
    )


@pytest.mark.django_db
def test_the_database_refuses_to_post_an_unbalanced_entry(ledger):
    entry = _raw_entry(ledger)
    JournalLine.objects.create(entry=entry, account=ledger["6000"], debit=Decimal("10.00"))
    JournalLine.objects.create(entry=entry, account=ledger["1000"], credit=Decimal("9.00"))
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).update(status="posted", posted_at=timezone.now())
    assert JournalEntry.objects.get(pk=entry.pk).status == "pending_approval"


@pytest.mark.django_db
def test_the_database_refuses_an_entry_inserted_as_posted(ledger):
    with pytest.raises(IntegrityError, match="inserted unposted"), transaction.atomic():
        _raw_entry(ledger, status="posted")


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_a_posted_entry_or_its_lines(ledger, program, hospital):
    entry = _posted(ledger, program, hospital)
    with pytest.raises(IntegrityError, match="posted"), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).update(memo="edited")
    with pytest.raises(IntegrityError, match="posted"), transaction.atomic():
        JournalLine.objects.filter(entry=entry).update(debit=Decimal("1.00"))
    with pytest.raises(IntegrityError, match="posted"), transaction.atomic():
        JournalLine.objects.create(entry=entry, account=ledger["6000"], debit=Decimal("1.00"))
    with pytest.raises(IntegrityError, match="posted"), transaction.atomic():
        JournalLine.objects.filter(entry=entry).delete()
    with pytest.raises(IntegrityError, match="posted"), transaction.atomic(), connection.cursor() as cursor:
        # Raw SQL: the ORM would stop first on the protected foreign key of the lines.
        cursor.execute("DELETE FROM finance_journalentry WHERE id = %s", [entry.pk])
    assert sorted(JournalLine.objects.filter(entry=entry).values_list("debit", flat=True)) == [
        Decimal("0.00"),
        Decimal("100.00"),
    ]


@pytest.mark.django_db
def test_the_database_refuses_posting_into_a_closed_month(ledger):
    entry = _raw_entry(ledger)
    JournalLine.objects.create(entry=entry, account=ledger["6000"], debit=Decimal("10.00"))
    JournalLine.objects.create(entry=entry, account=ledger["1000"], credit=Decimal("10.00"))
    FiscalPeriod.objects.filter(code="2025-01").update(status="closed")
    with pytest.raises(IntegrityError, match="closed"), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).update(status="posted", posted_at=timezone.now())


@pytest.mark.django_db
def test_a_line_with_both_or_neither_side_is_refused_by_a_check_constraint(ledger):
    entry = _raw_entry(ledger)
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalLine.objects.create(
            entry=entry, account=ledger["6000"], debit=Decimal("1.00"), credit=Decimal("1.00")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalLine.objects.create(entry=entry, account=ledger["6000"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_postings_of_one_document_make_one_entry(ledger, program, hospital):
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            barrier.wait(timeout=10)
            entry = services.revenue_recognize(
                source=SourceDocument("tests.shipment", "42", "revenue"),
                entry_date=JAN,
                program=program,
                hospital=hospital,
                amount="75.00",
                revenue_key="red_cells",
                memo="race",
            )
            results.append(entry.pk)
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert JournalEntry.objects.filter(source_id="42").count() == 1
