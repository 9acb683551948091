"""Results: ``results_import`` takes an instrument file whole or not at all, once (its
SHA-256); ``result_enter`` / ``result_verify``: a result typed by hand counts once another person
verifies it. Each new final result evaluates its donations again (``evaluation_services``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record, audit_record_many
from hemaops.core.models import User
from hemaops.donations.models import Donation
from hemaops.lab import rules
from hemaops.lab.errors import LabError
from hemaops.lab.evaluation_services import _JustImported, _reevaluate, _Timed
from hemaops.lab.models import DonationTesting, NatPool, ResultImport, TestPanel, TestResult
from hemaops.lab.result_file import ParsedFile, ResultRow, parse_result_file
from hemaops.lab.service_support import STREAM, _donation_day, _donation_loaded
from hemaops.lab.testing_services import testing_open, testings_open

# What testing reads of a donation: a run loads thousands of them.
_TESTING_FIELDS = (
    "pk", "procedure", "started_at", "donor_id", "site_id", "screening_id", "din_id", "din__din",
    "donor__abo_on_record", "donor__rhd_on_record", "donor__sex", "site__region", "screening__screened_on",
)  # fmt: skip


def _donations_by_din(dins: Iterable[str]) -> dict[str, Donation]:
    donations = (
        Donation.objects.filter(din__din__in=set(dins))
        .select_related("din", "donor", "site", "screening")
        .only(*_TESTING_FIELDS)
    )
    return {donation.din.din: donation for donation in donations}


class ResultFileRefusedError(LabError):
    """The file is refused whole; ``errors`` lists every line and field at fault."""

    def __init__(self, errors: Sequence[tuple[int, str, str]]) -> None:
        first = errors[0]
        super().__init__(
            f"file: refused, {len(errors)} error(s); line {first[0]}, {first[1]}: {first[2]}",
            code="file_refused",
            field="file",
        )
        self.errors = list(errors)


@transaction.atomic
def results_import(*, actor: User | None, filename: str, data: bytes) -> ResultImport:
    """Import an instrument export whole or not at all. The same file a second time returns
    the first import and changes nothing."""
    require_permission(actor, "lab.import_results")
    parsed: ParsedFile = parse_result_file(data)
    previous = ResultImport.objects.filter(sha256=parsed.sha256).first()
    if previous is not None:
        return previous
    errors = [(e.line, e.field, e.message) for e in parsed.errors]
    donations = _donations_by_din(row.din for row in parsed.rows)
    errors += _row_errors(parsed.rows, donations)
    if errors:
        raise ResultFileRefusedError(sorted(errors))
    testings_open(list(donations.values()))
    now = timezone.now()
    try:
        with transaction.atomic():  # of two imports of one file at once, the first wins
            batch = ResultImport.objects.create(
                sha256=parsed.sha256,
                filename=filename[:255],
                instrument=", ".join(sorted({row.instrument for row in parsed.rows if row.instrument}))[:100],
                rows=len(parsed.rows),
                imported_by=actor,
                imported_at=now,
            )
    except IntegrityError:
        return ResultImport.objects.get(sha256=parsed.sha256)
    pools = _pools(parsed.rows, donations, now)
    ids = _results_insert(parsed.rows, donations, pools, batch, actor, now)
    # One audit event per donation names each of its results (id and content): the trail
    # holds every result, at a fifteenth of the events (bench/lab_import.py).
    by_donation: dict[int, list[list[Any]]] = defaultdict(list)
    timed: dict[int, list[_Timed]] = defaultdict(list)
    for result_id, row in zip(ids, parsed.rows, strict=True):
        timed[donations[row.din].pk].append(
            (row.tested_at, result_id, rules.Result(row.marker, row.stage, row.reading, row.value))
        )
        by_donation[donations[row.din].pk].append(
            [
                result_id,
                row.marker.value,
                row.stage.value,
                row.reading.value,
                row.value,
            ]
        )
    events: list[PendingEvent] = []
    outcomes = {
        outcome.testing.donation_id: outcome
        for outcome in _reevaluate(
            actor,
            list(donations.values()),
            events,
            status_events=False,
            just_imported=_JustImported(batch.pk, timed),
        )
    }
    # A donation's import event also says what its status became (not a second event each).
    for din, donation in donations.items():
        outcome = outcomes[donation.pk]
        changed = {"status": outcome.testing.status, "reasons": outcome.testing.reasons}
        events.append(
            PendingEvent(
                "lab.results.imported",
                donation,
                {
                    "old": {"status": outcome.status_before} if outcome.status_changed else {},
                    "new": {
                        "import": batch.pk,
                        "din": din,
                        "results": by_donation[donation.pk],
                        **(changed if outcome.status_changed else {}),
                    },
                },
            )
        )
    events.append(PendingEvent("lab.import.done", batch, {"new": {"file": filename, "rows": batch.rows}}))
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return batch


_RESULT_COLUMNS = (
    "id", "donation_id", "marker", "stage", "reading", "value", "instrument", "run_id", "tested_at",
    "pool_id", "source_import_id", "entered_by_id", "entered_at",
)  # fmt: skip


def _results_insert(
    rows: Sequence[ResultRow],
    donations: dict[str, Donation],
    pools: dict[str, NatPool],
    batch: ResultImport,
    actor: User | None,
    now: datetime,
) -> list[int]:
    """Store the file's results; returns their ids in file order. On PostgreSQL the ids are
    drawn from the table's sequence and the rows sent with COPY: for a 100,000-line file,
    Django's ``bulk_create`` spent seconds building INSERT text (bench/lab_import.py).
    Elsewhere (the SQLite demo) ``bulk_create`` is used."""
    values = [
        (
            donations[row.din].pk,
            row.marker.value,
            row.stage.value,
            row.reading.value,
            row.value,
            row.instrument,
            row.run_id,
            row.tested_at,
            pools[row.pool_id].pk if row.pool_id else None,
            batch.pk,
            actor.pk if actor is not None else None,
            now,
        )
        for row in rows
    ]
    if connection.vendor != "postgresql":
        created = TestResult.objects.bulk_create(
            [TestResult(**dict(zip(_RESULT_COLUMNS[1:], row, strict=True))) for row in values],
            batch_size=2000,
        )
        return [result.pk for result in created]
    table = TestResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(values)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        copy_sql = f"COPY {table} ({', '.join(_RESULT_COLUMNS)}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for result_id, row in zip(ids, values, strict=True):
                copy.write_row((result_id, *row))
    return ids


def _row_errors(rows: Sequence[ResultRow], donations: dict[str, Donation]) -> list[tuple[int, str, str]]:
    """Unknown DINs, markers the donation's panel does not test, results for a released
    donation that are not a late reactive (they would rewrite a released record)."""
    errors: list[tuple[int, str, str]] = []
    testings = {
        t.donation_id: t
        for t in DonationTesting.objects.filter(donation__in=[d.pk for d in donations.values()])
    }
    panels: dict[date, TestPanel | None] = {}
    now = timezone.now()
    for row in rows:
        donation = donations.get(row.din)
        if donation is None:
            errors.append((row.line, "din", f"no donation has DIN {row.din}"))
            continue
        if row.tested_at > now:
            errors.append((row.line, "tested_at", f"{row.tested_at.isoformat()} is in the future"))
        elif row.tested_at < donation.started_at:
            errors.append(
                (row.line, "tested_at", f"{row.tested_at.isoformat()} is before {row.din} was collected")
            )
        testing = testings.get(donation.pk)
        if testing is not None:
            required = set(testing.required_markers)
        else:
            day = _donation_day(donation)
            if day not in panels:
                panels[day] = (
                    TestPanel.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
                )
            panel = panels[day]
            if panel is None:
                errors.append((row.line, "din", f"no test panel is in force on {day}, the day of {row.din}"))
                continue
            required = set(panel.markers) | {rules.Marker.BABESIA_NAT.value}
        if row.marker.value not in required:
            errors.append((row.line, "marker", f"{row.marker.value} is not in the panel of {row.din}"))
    return errors


def _pools(rows: Sequence[ResultRow], donations: dict[str, Donation], now: datetime) -> dict[str, NatPool]:
    members: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.pool_id:
            members[row.pool_id].add(donations[row.din].pk)
    pools: dict[str, NatPool] = {}
    for pool_id, donation_ids in members.items():
        pool, _ = NatPool.objects.get_or_create(pool_id=pool_id, defaults={"created_at": now})
        pool.donations.add(*donation_ids)
        pools[pool_id] = pool
    return pools


@transaction.atomic
def result_enter(
    *,
    actor: User,
    donation: Donation,
    marker: str,
    stage: str,
    reading: str,
    value: str = "",
    tested_at: datetime | None = None,
    instrument: str = "",
    run_id: str = "",
) -> TestResult:
    """A result typed by hand: it counts once another person verifies it."""
    require_permission(actor, "lab.enter_result")
    donation = _donation_loaded(donation)
    testing = testing_open(donation)
    try:
        chosen = rules.Result(rules.Marker(marker), rules.Stage(stage), rules.Reading(reading), value.strip())
    except ValueError as error:
        field = "marker" if "Marker" in str(error) else "stage" if "Stage" in str(error) else "reading"
        raise LabError(f"{field}: {error}", code="unknown_code", field=field) from None
    if chosen.marker.value not in testing.required_markers:
        raise LabError(
            f"marker: {marker} is not in the panel of {donation.din.din}", code="not_in_panel", field="marker"
        )
    moment = tested_at or timezone.now()
    if moment > timezone.now():
        raise LabError("tested_at: in the future", code="future_time", field="tested_at")
    result = TestResult.objects.create(
        donation=donation,
        marker=chosen.marker.value,
        stage=chosen.stage.value,
        reading=chosen.reading.value,
        value=chosen.value,
        instrument=instrument,
        run_id=run_id,
        tested_at=moment,
        entered_by=actor,
        entered_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="lab.result.entered",
        actor=actor,
        target=result,
        data={
            "new": {
                "din": donation.din.din,
                "marker": marker,
                "stage": stage,
                "reading": reading,
                "value": value,
            }
        },
    )
    return result


@transaction.atomic
def result_verify(*, actor: User, result: TestResult) -> TestResult:
    """A second person confirms a hand-entered result; then it counts."""
    require_permission(actor, "lab.verify_result")
    result = TestResult.objects.select_for_update().get(pk=result.pk)
    if result.source_import_id is not None or result.verified_at is not None:
        raise LabError("result: already final", code="already_final", field="result")
    if result.entered_by_id == actor.pk:
        raise LabError(
            "result: the person who entered a result cannot verify it", code="same_person", field="result"
        )
    result.verified_by, result.verified_at = actor, timezone.now()
    result.save(update_fields=["verified_by", "verified_at"])
    events = [PendingEvent("lab.result.verified", result, {"new": {"verified_by": actor.get_username()}})]
    _reevaluate(actor, [_donation_loaded(result.donation)], events)
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return result
