"""The laboratory's writers (house style §3: one transaction each, permission-checked,
audited in the ``lab`` stream).

- ``panel_set``: the markers tested from a date.
- ``results_import``: an instrument file, whole or not at all, once (its SHA-256).
- ``result_enter`` / ``result_verify``: a result typed by hand counts once another person
  verifies it.
- ``hold_place`` / ``hold_lift``; ``donations_release``: a batch released as one signed act,
  only acceptable donations without a hold (the database refuses otherwise, migration 0002);
  ``discrepancy_resolve``: the supervisor signs the type after investigating.
- ``special_test_record`` / ``bacterial_control_record``: attributes products are ordered by
  (and the HLA antibody result TRALI risk reduction waits for).
- ``notification_record_done``: the donor was told.

After any new final result the donation is evaluated again (``rules.evaluate``). A reactive
result marks the donation for discard, puts the result on the donor's record (the donors
context; screening then defers by the engine's marker table) and opens a notification due in
8 weeks (21 CFR 630.40). A late result that leaves a released donation not acceptable does not
edit history: the donation is held (a reactive one flagged for the quality officer).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record, audit_record_many
from hemaops.core.models import Signature, User
from hemaops.core.signatures import RecordToSign, VerifiedSigner, signature_sign
from hemaops.donations.models import Donation
from hemaops.donations.services import record_families
from hemaops.donors import rules as donor_rules
from hemaops.donors import services as donor_services
from hemaops.donors.models import Donor, DonorMarkerResult
from hemaops.lab import rules
from hemaops.lab.errors import LabError
from hemaops.lab.models import (
    DonationHold,
    DonationRelease,
    DonationTesting,
    DonorNotification,
    NatPool,
    ResultImport,
    TestPanel,
    TestResult,
)
from hemaops.lab.result_file import ParsedFile, ResultRow, parse_result_file

STREAM = "lab"
NOTIFY_WITHIN = timedelta(weeks=8)  # 21 CFR 630.40(a)

# The lab's markers as the eligibility engine's marker table names them.
ENGINE_MARKER: dict[rules.Marker, donor_rules.Marker] = {
    rules.Marker.ANTI_HIV_1_2: donor_rules.Marker.HIV,
    rules.Marker.HIV_NAT: donor_rules.Marker.HIV,
    rules.Marker.HBSAG: donor_rules.Marker.HBSAG,
    rules.Marker.ANTI_HBC: donor_rules.Marker.ANTI_HBC,
    rules.Marker.HBV_NAT: donor_rules.Marker.HBV_NAT,
    rules.Marker.ANTI_HCV: donor_rules.Marker.HCV,
    rules.Marker.HCV_NAT: donor_rules.Marker.HCV,
    rules.Marker.ANTI_HTLV: donor_rules.Marker.HTLV,
    rules.Marker.SYPHILIS: donor_rules.Marker.SYPHILIS,
    rules.Marker.WNV_NAT: donor_rules.Marker.WNV,
    rules.Marker.T_CRUZI: donor_rules.Marker.CHAGAS,
    rules.Marker.BABESIA_NAT: donor_rules.Marker.BABESIA,
}
ENGINE_RESULT: dict[rules.MarkerStatus, donor_rules.MarkerResult] = {
    rules.MarkerStatus.REPEATEDLY_REACTIVE: donor_rules.MarkerResult.REPEATEDLY_REACTIVE,
    rules.MarkerStatus.NAT_REACTIVE: donor_rules.MarkerResult.NAT_REACTIVE,
    rules.MarkerStatus.CONFIRMED_POSITIVE: donor_rules.MarkerResult.CONFIRMED_POSITIVE,
}


# --- test panels ---------------------------------------------------------------------------


@transaction.atomic
def panel_set(
    *,
    actor: User | None,
    name: str,
    markers: Iterable[str],
    effective_from: date,
    code: str = "standard",
    t_cruzi_once_per_donor: bool = True,
    babesia_states: Iterable[str] = rules.BABESIA_STATES,
    platelet_bacterial_control: str = "primary_culture",
    trali_policy: str = "hla_antibody_testing",
) -> TestPanel:
    """The markers every donation collected from ``effective_from`` is tested for."""
    require_permission(actor, "lab.manage_test_panel")
    chosen: list[str] = []
    for marker in markers:
        try:
            chosen.append(rules.Marker(marker).value)
        except ValueError:
            raise LabError(
                f"markers: unknown marker {marker!r}", code="unknown_code", field="markers"
            ) from None
    missing = sorted(m.value for m in REGULATORY_MINIMUM - {rules.Marker(m) for m in chosen})
    if missing:
        raise LabError(
            f"markers: a panel tests every donation for {', '.join(missing)} too (21 CFR 610.40(a))",
            code="below_regulatory_minimum",
            field="markers",
        )
    if TestPanel.objects.filter(effective_from=effective_from).exists():
        raise LabError(
            f"effective_from: a panel already starts on {effective_from}",
            code="duplicate",
            field="effective_from",
        )
    panel = TestPanel.objects.create(
        code=code,
        name=name.strip() or code,
        markers=sorted(set(chosen)),
        t_cruzi_once_per_donor=t_cruzi_once_per_donor,
        babesia_states=sorted({state.upper() for state in babesia_states}),
        platelet_bacterial_control=platelet_bacterial_control,
        trali_policy=trali_policy,
        effective_from=effective_from,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="lab.panel.set",
        actor=actor,
        target=panel,
        data={"new": {"markers": panel.markers, "effective_from": effective_from}},
    )
    return panel


# Every donation, 610.40(a)(1)–(2) and the typing of 640.5 (Babesia is added by state).
REGULATORY_MINIMUM = frozenset(
    {
        rules.Marker.ANTI_HIV_1_2,
        rules.Marker.HIV_NAT,
        rules.Marker.HBSAG,
        rules.Marker.ANTI_HBC,
        rules.Marker.HBV_NAT,
        rules.Marker.ANTI_HCV,
        rules.Marker.HCV_NAT,
        rules.Marker.ANTI_HTLV,
        rules.Marker.SYPHILIS,
        rules.Marker.WNV_NAT,
        rules.Marker.T_CRUZI,
        rules.Marker.ABO,
        rules.Marker.RHD,
        rules.Marker.ANTIBODY_SCREEN,
    }
)


def _panels_by_day(days: Iterable[date]) -> dict[date, TestPanel]:
    """The panel in force on each day (one query for a whole run)."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    panels = list(TestPanel.objects.filter(effective_from__lte=wanted[-1]).order_by("effective_from"))
    in_force: dict[date, TestPanel] = {}
    for day in wanted:
        current = [panel for panel in panels if panel.effective_from <= day]
        if current:
            in_force[day] = current[-1]
    return in_force


def _rules_panel(panel: TestPanel) -> rules.Panel:
    return rules.Panel(
        markers=frozenset(rules.Marker(m) for m in panel.markers),
        t_cruzi_once_per_donor=panel.t_cruzi_once_per_donor,
        babesia_states=frozenset(panel.babesia_states),
    )


# --- the testing record --------------------------------------------------------------------


def _donation_day(donation: Donation) -> date:
    return donation.screening.screened_on


def _t_cruzi_qualified(donations: Sequence[Donation]) -> set[int]:
    """The donations whose donor has a documented nonreactive T. cruzi result on an earlier
    donation (the once-per-donor qualification)."""
    families = record_families({donation.donor_id for donation in donations})
    member_of = {member: donor for donor, members in families.items() for member in members}
    earliest: dict[int, datetime] = {}
    rows = TestResult.objects.filter(
        donation__donor_id__in=list(member_of),
        marker=rules.Marker.T_CRUZI,
        stage=rules.Stage.INITIAL,
        reading=rules.Reading.NONREACTIVE,
    ).values_list("donation__donor_id", "donation__started_at")
    for donor_id, started_at in rows:
        person = member_of[donor_id]
        earliest[person] = min(started_at, earliest.get(person, started_at))
    return {
        donation.pk
        for donation in donations
        if donation.donor_id in earliest and earliest[donation.donor_id] < donation.started_at
    }


def testings_open(donations: Sequence[Donation]) -> dict[int, DonationTesting]:
    """The donations' testing records, opened where missing with the panel of each one's day
    and the markers it needs (frozen then: a later panel does not change what a donation
    needed). A few queries for a whole run, however many donations."""
    found = {t.donation_id: t for t in DonationTesting.objects.filter(donation__in=[d.pk for d in donations])}
    missing = [donation for donation in donations if donation.pk not in found]
    if not missing:
        return found
    panels = _panels_by_day(_donation_day(donation) for donation in missing)
    qualified = _t_cruzi_qualified(missing)
    now = timezone.now()
    opened = []
    for donation in missing:
        day = _donation_day(donation)
        panel = panels.get(day)
        if panel is None:
            raise LabError(
                f"panel: no test panel is in force on {day}, the day of {donation.din.din}",
                code="no_panel",
                field="panel",
            )
        required = rules.required_markers(
            _rules_panel(panel),
            procedure=donation.procedure,
            collection_state=donation.site.region,
            donor_qualified_for_t_cruzi=donation.pk in qualified,
        )
        special = rules.trali_tests_required(
            policy=panel.trali_policy, procedure=donation.procedure, donor_sex=donation.donor.sex
        )
        opened.append(
            DonationTesting(
                donation=donation,
                panel=panel,
                required_markers=sorted(m.value for m in required),
                required_special_tests=sorted(special),
                bacterial_control=panel.platelet_bacterial_control
                if donation.procedure == "platelets"
                else "",
                evaluated_at=now,
            )
        )
    # A concurrent opening of the same donation wins; the conflict is skipped, then read back.
    DonationTesting.objects.bulk_create(opened, batch_size=1000, ignore_conflicts=True)
    return {t.donation_id: t for t in DonationTesting.objects.filter(donation__in=[d.pk for d in donations])}


def testing_open(donation: Donation) -> DonationTesting:
    return testings_open([donation])[donation.pk]


# A final result with what orders it: when it was tested, then its id.
_Timed = tuple[datetime, int, rules.Result]


@dataclass(frozen=True)
class _JustImported:
    """The results an import has just stored, by donation, so they are not read back."""

    batch_id: int
    by_donation: dict[int, list[_Timed]]


def _final_results(
    donation_ids: Sequence[int], just_imported: _JustImported | None = None
) -> dict[int, list[rules.Result]]:
    """Each donation's final results in the order they were tested. An import passes the
    rows it has just stored (final by construction) so they are not read back; only the
    donations' earlier results are read."""
    timed: dict[int, list[_Timed]] = defaultdict(list)
    rows = TestResult.objects.filter(donation_id__in=donation_ids).filter(
        Q(source_import__isnull=False) | Q(verified_at__isnull=False)
    )
    if just_imported is not None:
        rows = rows.exclude(source_import_id=just_imported.batch_id)
        for donation_id, items in just_imported.by_donation.items():
            timed[donation_id].extend(items)
    for donation_id, pk, tested_at, marker, stage, reading, value in rows.values_list(
        "donation_id", "pk", "tested_at", "marker", "stage", "reading", "value"
    ):
        timed[donation_id].append(
            (
                tested_at,
                pk,
                rules.Result(rules.Marker(marker), rules.Stage(stage), rules.Reading(reading), value),
            )
        )
    return {
        donation_id: [r for _, _, r in sorted(items, key=lambda item: item[:2])]
        for donation_id, items in timed.items()
    }


def _history_type(donation: Donation) -> rules.BloodType | None:
    donor = donation.donor
    if donor.abo_on_record and donor.rhd_on_record:
        return rules.BloodType(donor.abo_on_record, donor.rhd_on_record)
    return None


@dataclass
class _Reevaluated:
    testing: DonationTesting
    evaluation: rules.Evaluation
    status_before: str

    @property
    def status_changed(self) -> bool:
        return self.status_before != self.testing.status


def _evaluate(
    testing: DonationTesting, donation: Donation, results: dict[int, list[rules.Result]], *, on_hold: bool
) -> rules.Evaluation:
    resolved = (
        rules.BloodType(testing.discrepancy_resolved_abo, testing.discrepancy_resolved_rhd)
        if testing.discrepancy_resolved_abo
        else None
    )
    return rules.evaluate(
        required=frozenset(rules.Marker(m) for m in testing.required_markers),
        results=results.get(donation.pk, []),
        history=_history_type(donation),
        on_hold=on_hold,
        discrepancy_resolved_as=resolved,
        special_required=frozenset(testing.required_special_tests),
        special_done=frozenset(testing.special_tests),
    )


def _reevaluate(
    actor: User | None,
    donations: Sequence[Donation],
    events: list[PendingEvent],
    *,
    status_events: bool = True,
    just_imported: _JustImported | None = None,
    lifting: int | None = None,
) -> list[_Reevaluated]:
    """Evaluate the donations again from their final results; keep status, typing and the
    consequences of reactive results. Locks the testing rows (a release waits). The
    donations come with their DIN, donor, site and screening loaded."""
    by_id = {donation.pk: donation for donation in donations}
    testings = list(
        DonationTesting.objects.select_for_update().filter(donation__in=list(by_id)).order_by("pk")
    )
    results = _final_results(list(by_id), just_imported)
    holds = DonationHold.objects.filter(donation__in=list(by_id), lifted_at__isnull=True)
    if lifting is not None:
        holds = holds.exclude(pk=lifting)  # the hold being lifted no longer counts
    active_holds = set(holds.values_list("donation_id", flat=True))
    released = set(
        DonationRelease.objects.filter(donation__in=list(by_id)).values_list("donation_id", flat=True)
    )
    outcomes: list[_Reevaluated] = []
    changed: list[DonationTesting] = []
    now = timezone.now()
    for testing in testings:
        donation = testing.donation = by_id[testing.donation_id]
        evaluation = _evaluate(testing, donation, results, on_hold=donation.pk in active_holds)
        if (
            donation.pk in released
            and donation.pk not in active_holds
            and evaluation.status is not rules.TestingStatus.ACCEPTABLE
        ):
            # A late result leaves a released donation not acceptable: history stays, the
            # donation is held (reactive ones flagged for the quality officer).
            hold = DonationHold.objects.create(
                donation=donation,
                reason=f"late result after release: {', '.join(evaluation.reasons)}",
                placed_by=actor,
                placed_at=now,
            )
            active_holds.add(donation.pk)
            events.append(PendingEvent("lab.hold.placed", hold, {"new": {"reason": hold.reason}}))
            evaluation = _evaluate(testing, donation, results, on_hold=True)
        if evaluation.status is rules.TestingStatus.REACTIVE and donation.pk in released:
            testing.late_reactive = True
        before = (testing.status, testing.reasons, testing.abo, testing.rhd, testing.antibody_screen)
        testing.status = evaluation.status.value
        testing.reasons = list(evaluation.reasons)
        if evaluation.typing.blood_type is not None:
            testing.abo, testing.rhd = evaluation.typing.blood_type.abo, evaluation.typing.blood_type.rhd
        testing.antibody_screen = evaluation.antibody_screen
        testing.marked_for_discard = testing.marked_for_discard or bool(evaluation.reactive_markers)
        testing.evaluated_at = now
        changed.append(testing)
        outcome = _Reevaluated(testing, evaluation, before[0])
        if status_events and outcome.status_changed:
            events.append(
                PendingEvent(
                    "lab.testing.evaluated",
                    testing,
                    {
                        "old": {"status": before[0]},
                        "new": {"status": testing.status, "reasons": testing.reasons},
                    },
                )
            )
        outcomes.append(outcome)
    _testings_save(changed)
    _consequences(actor, outcomes, events)
    return outcomes


def _testings_save(testings: Sequence[DonationTesting]) -> None:
    """One parameterised UPDATE per row, sent as a batch. Written out because Django's
    ``bulk_update`` builds a CASE expression per field and row in Python, which took most of a
    6,600-donation import (bench/lab_import.py); the row triggers fire the same either way."""
    table = DonationTesting._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, reasons = %s, abo = %s, rhd = %s, antibody_screen = %s, "  # noqa: S608
            "marked_for_discard = %s, late_reactive = %s, evaluated_at = %s WHERE id = %s",
            [
                (
                    t.status,
                    json.dumps(t.reasons),
                    t.abo,
                    t.rhd,
                    t.antibody_screen,
                    t.marked_for_discard,
                    t.late_reactive,
                    t.evaluated_at,
                    t.pk,
                )
                for t in testings
            ],
        )


def _consequences(actor: User | None, outcomes: Sequence[_Reevaluated], events: list[PendingEvent]) -> None:
    """A reactive result goes on the donor's record (screening defers by the marker table)
    with a notification due in 8 weeks; a first concordant typing goes on the donor's record."""
    today = timezone.localdate()
    first_typings: list[tuple[Donor, str, str]] = []
    reactive_dins = [o.testing.donation.din.din for o in outcomes if o.evaluation.reactive_markers]
    on_record = set(
        DonorMarkerResult.objects.filter(din__in=reactive_dins).values_list("din", "marker", "result")
    )
    for outcome in outcomes:
        testing, evaluation = outcome.testing, outcome.evaluation
        donation = testing.donation
        for marker in evaluation.reactive_markers:
            status = evaluation.markers[marker]
            engine = (donation.din.din, ENGINE_MARKER[marker].value, ENGINE_RESULT[status].value)
            if engine in on_record:
                continue  # on the donor's record already (a hold or a later run re-evaluates)
            donor_services.donor_marker_result_record(
                actor=actor,
                donor=donation.donor,
                tested_on=today,
                marker=ENGINE_MARKER[marker].value,
                result=ENGINE_RESULT[status].value,
                din=donation.din.din,
            )
            notification, created = DonorNotification.objects.get_or_create(
                donation=donation,
                marker=marker.value,
                defaults={
                    "donor": donation.donor,
                    "result": status.value,
                    "due_on": today + NOTIFY_WITHIN,
                    "created_at": timezone.now(),
                },
            )
            if created:
                events.append(
                    PendingEvent(
                        "lab.notification.due",
                        notification,
                        {
                            "new": {
                                "marker": marker.value,
                                "result": status.value,
                                "due_on": notification.due_on,
                            }
                        },
                    )
                )
        typed = evaluation.typing.blood_type
        donor = donation.donor
        if (
            typed is not None
            and evaluation.typing.status is rules.TypingStatus.CONCORDANT
            and not (donor.abo_on_record and donor.rhd_on_record)
        ):
            first_typings.append((donor, typed.abo, typed.rhd))
    if first_typings:
        donor_services.donor_blood_groups_record(actor=actor, typed=first_typings, recorded_on=today)


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


# --- results: import, entry, verification ----------------------------------------------------


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


def _donation_loaded(donation: Donation) -> Donation:
    return Donation.objects.select_related("din", "donor", "site", "screening").get(pk=donation.pk)


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


# --- holds, release, discrepancies ------------------------------------------------------------


def _testing_locked(donation: Donation) -> DonationTesting:
    """The donation's testing row, locked: holds, lifts, releases and evaluations of one
    donation take turns."""
    testing_open(donation)
    return DonationTesting.objects.select_for_update().get(donation=donation)


@transaction.atomic
def hold_place(*, actor: User | None, donation: Donation, reason: str) -> DonationHold:
    require_permission(actor, "lab.place_hold")
    if not reason.strip():
        raise LabError("reason: say why the donation is held", code="required", field="reason")
    donation = _donation_loaded(donation)
    _testing_locked(donation)
    hold = DonationHold.objects.create(
        donation=donation, reason=reason.strip(), placed_by=actor, placed_at=timezone.now()
    )
    events = [
        PendingEvent("lab.hold.placed", hold, {"new": {"din": donation.din.din, "reason": hold.reason}})
    ]
    _reevaluate(actor, [donation], events)
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return hold


@transaction.atomic
def hold_lift(*, actor: User | None, hold: DonationHold, reason: str) -> DonationHold:
    """Lift a hold. The donation is evaluated as it will be without it, and its status
    written, before the hold is marked lifted; a released donation that would not be
    acceptable keeps its last hold."""
    require_permission(actor, "lab.place_hold")
    if not reason.strip():
        raise LabError("reason: say why the hold is lifted", code="required", field="reason")
    donation = _donation_loaded(DonationHold.objects.get(pk=hold.pk).donation)
    testing = _testing_locked(donation)
    hold = DonationHold.objects.select_for_update().get(pk=hold.pk)
    if hold.lifted_at is not None:
        raise LabError("hold: already lifted", code="already_lifted", field="hold")
    others = (
        DonationHold.objects.filter(donation=donation, lifted_at__isnull=True).exclude(pk=hold.pk).exists()
    )
    if not others and DonationRelease.objects.filter(donation=donation).exists():
        without = _evaluate(testing, donation, _final_results([donation.pk]), on_hold=False)
        if without.status is not rules.TestingStatus.ACCEPTABLE:
            would_be = without.status.value.replace("_", " ")
            raise LabError(
                f"hold: {donation.din.din} is released and would be {would_be}; its last hold stays "
                "(quality decides)",
                code="released_not_acceptable",
                field="hold",
            )
    events: list[PendingEvent] = []
    _reevaluate(actor, [donation], events, lifting=hold.pk)
    hold.lifted_by, hold.lifted_at, hold.lift_reason = actor, timezone.now(), reason.strip()
    hold.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
    events.insert(0, PendingEvent("lab.hold.lifted", hold, {"new": {"reason": hold.lift_reason}}))
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return hold


def _release_content(testing: DonationTesting) -> dict[str, Any]:
    return {
        "din": testing.donation.din.din,
        "status": testing.status,
        "abo": testing.abo,
        "rhd": testing.rhd,
        "required_markers": testing.required_markers,
    }


@transaction.atomic
def donations_release(
    *, actor: User, signer: VerifiedSigner, donations: Sequence[Donation], reason: str = ""
) -> Signature:
    """Release one donation or a batch as one signed act (meaning ``released``). Refused
    whole, naming each DIN and why, unless every donation is acceptable, not held and not
    released yet."""
    require_permission(actor, "lab.release_donation")
    if signer.user.pk != actor.pk:
        raise LabError("signer: the person releasing signs", code="signer_mismatch", field="signer")
    if not donations:
        raise LabError("donations: choose the donations to release", code="required", field="donations")
    testings = list(
        DonationTesting.objects.select_for_update()
        .select_related("donation__din")
        .filter(donation__in=[d.pk for d in donations])
        .order_by("pk")
    )
    by_donation = {t.donation_id: t for t in testings}
    held = set(
        DonationHold.objects.filter(donation__in=list(by_donation), lifted_at__isnull=True).values_list(
            "donation_id", flat=True
        )
    )
    released = set(
        DonationRelease.objects.filter(donation__in=list(by_donation)).values_list("donation_id", flat=True)
    )
    problems = []
    for donation in donations:
        testing = by_donation.get(donation.pk)
        if testing is None:
            problems.append(f"{donation.din.din} has no results")
        elif donation.pk in released:
            problems.append(f"{donation.din.din} is released already")
        elif donation.pk in held:
            problems.append(f"{donation.din.din} is on hold")
        elif testing.status != rules.TestingStatus.ACCEPTABLE:
            problems.append(f"{donation.din.din} is {testing.status.replace('_', ' ')}")
    if problems:
        raise LabError(
            f"donations: release refused — {'; '.join(problems)}", code="not_releasable", field="donations"
        )
    signature = signature_sign(
        signer=signer,
        meaning=Signature.Meaning.RELEASED,
        records=[RecordToSign.of(t.donation, _release_content(t)) for t in testings],
        reason=reason,
        stream=STREAM,
    )
    now = timezone.now()
    rows = DonationRelease.objects.bulk_create(
        [
            DonationRelease(
                donation_id=t.donation_id, signature=signature, released_by=actor, released_at=now
            )
            for t in testings
        ]
    )
    audit_record_many(
        stream=STREAM,
        actor=actor,
        events=[
            PendingEvent(
                "lab.donation.released", row, {"new": {"din": t.donation.din.din, "signature": signature.pk}}
            )
            for row, t in zip(rows, testings, strict=True)
        ],
    )
    return signature


@transaction.atomic
def discrepancy_resolve(
    *, actor: User, signer: VerifiedSigner, donation: Donation, abo: str, rhd: str, reason: str
) -> DonationTesting:
    """After investigating an ABO/RhD discrepancy the supervisor signs the donation's type
    (meaning ``approved``); the donor's record takes it."""
    require_permission(actor, "lab.resolve_discrepancy")
    if signer.user.pk != actor.pk:
        raise LabError("signer: the person resolving signs", code="signer_mismatch", field="signer")
    if abo not in rules.ABO_GROUPS:
        raise LabError(f"abo: {abo!r} is not an ABO group", code="unknown_code", field="abo")
    if rhd not in {"pos", "neg"}:
        raise LabError(f"rhd: {rhd!r} is not pos or neg", code="unknown_code", field="rhd")
    if not reason.strip():
        raise LabError("reason: say what the investigation found", code="required", field="reason")
    donation = _donation_loaded(donation)
    testing = DonationTesting.objects.select_for_update().get(donation=donation)
    if testing.status != rules.TestingStatus.DISCREPANCY:
        raise LabError(
            f"donation: {donation.din.din} has no ABO/RhD discrepancy to resolve",
            code="no_discrepancy",
            field="donation",
        )
    signature = signature_sign(
        signer=signer,
        meaning=Signature.Meaning.APPROVED,
        records=[
            RecordToSign.of(donation, {"din": donation.din.din, "abo": abo, "rhd": rhd, "reason": reason})
        ],
        reason=reason,
        stream=STREAM,
    )
    testing.discrepancy_resolved_abo, testing.discrepancy_resolved_rhd = abo, rhd
    testing.discrepancy_signature = signature
    testing.save(
        update_fields=["discrepancy_resolved_abo", "discrepancy_resolved_rhd", "discrepancy_signature"]
    )
    donor_services.donor_blood_group_record(
        actor=actor, donor=donation.donor, abo=abo, rhd=rhd, recorded_on=timezone.localdate()
    )
    donation.donor.refresh_from_db()
    events = [
        PendingEvent("lab.discrepancy.resolved", testing, {"new": {"abo": abo, "rhd": rhd, "reason": reason}})
    ]
    _reevaluate(actor, [donation], events)
    audit_record_many(stream=STREAM, actor=actor, events=events)
    testing.refresh_from_db()
    return testing


@transaction.atomic
def special_test_record(*, actor: User, donation: Donation, test: str, result: str) -> DonationTesting:
    """A special test products are ordered by (CMV antibody, hemoglobin S, HLA antibodies for
    TRALI risk reduction, red cell antigens), kept as an attribute of the donation."""
    require_permission(actor, "lab.enter_result")
    problem = rules.special_test_problem(test, result.strip())
    if problem is not None:
        field = "test" if test not in rules.SPECIAL_TESTS else "result"
        raise LabError(f"{field}: {problem}", code="invalid_special_test", field=field)
    donation = _donation_loaded(donation)
    testing = _testing_locked(donation)
    old = testing.special_tests.get(test)
    testing.special_tests = {
        **testing.special_tests,
        test: {"result": result.strip(), "by": actor.get_username(), "at": timezone.now().isoformat()},
    }
    testing.save(update_fields=["special_tests"])
    events = [
        PendingEvent(
            "lab.special_test.recorded",
            testing,
            {"old": {test: old}, "new": {test: result.strip()}, "din": donation.din.din},
        )
    ]
    _reevaluate(actor, [donation], events)  # release may have waited for it (TRALI)
    audit_record_many(stream=STREAM, actor=actor, events=events)
    testing.refresh_from_db()
    return testing


BACTERIAL_CONTROLS = ("primary_culture", "lvds", "secondary_test", "pathogen_reduction")


@transaction.atomic
def bacterial_control_record(*, actor: User, donation: Donation, method: str) -> DonationTesting:
    """What was done against bacterial contamination of a platelet donation (it decides the
    platelets' dating, 5 or 7 days, in the components context)."""
    require_permission(actor, "lab.enter_result")
    if method not in BACTERIAL_CONTROLS:
        raise LabError(
            f"method: unknown method {method!r} (expected one of: {', '.join(BACTERIAL_CONTROLS)})",
            code="unknown_code",
            field="method",
        )
    donation = _donation_loaded(donation)
    if donation.procedure != "platelets":
        raise LabError(
            f"donation: {donation.din.din} is not a platelet donation", code="not_platelets", field="donation"
        )
    testing = _testing_locked(donation)
    old = testing.bacterial_control
    testing.bacterial_control = method
    testing.save(update_fields=["bacterial_control"])
    audit_record(
        stream=STREAM,
        action="lab.bacterial_control.recorded",
        actor=actor,
        target=testing,
        data={"old": {"method": old}, "new": {"method": method}, "din": donation.din.din},
    )
    return testing


@transaction.atomic
def notification_record_done(*, actor: User, notification: DonorNotification, how: str) -> DonorNotification:
    require_permission(actor, "lab.notify_donor")
    if not how.strip():
        raise LabError("how: say how the donor was told", code="required", field="how")
    notification = DonorNotification.objects.select_for_update().get(pk=notification.pk)
    if notification.done_at is not None:
        raise LabError("notification: already recorded", code="already_done", field="notification")
    notification.done_at, notification.done_by, notification.how = timezone.now(), actor, how.strip()
    notification.save(update_fields=["done_at", "done_by", "how"])
    audit_record(
        stream=STREAM,
        action="lab.notification.done",
        actor=actor,
        target=notification,
        data={"new": {"how": notification.how}},
    )
    return notification
