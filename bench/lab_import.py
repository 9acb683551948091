"""Benchmark of the instrument result import (``lab.services.results_import``) on PostgreSQL.

Creates a scratch database (``hemaops_bench_lab_import_<pid>`` on the local PostgreSQL, or
the server of ``--database-url``), migrates it, seeds a company, a fixed site (FIN W0001, CA),
a fixed-collections program, a phlebotomist and a lab technologist, the standard test panel
and enough donors with one donation each for an instrument file of ``--lines`` result lines
(default 100,000: about 6,700 donations, 15 lines each for an RhD positive donor). The file
(docs/lab-result-file.md) has every donation's full panel; about 1 % of the donations are
initially reactive on one serology marker and carry the two duplicate repeats (some of them
repeatedly reactive), a few hundred are NAT tested in pools of 16 (one pool reactive, resolved
to the individual donations), some donors are RhD negative with a weak D test, and a fifth are
first-time donors with no blood group on record (the lab puts the type on their record).

The measurement is ONE import of the file, end to end (parse, validation, bulk insert, the
evaluation of every donation, consequences, audit events): an import changes the database, so it
cannot be repeated on the same rows (``--runs`` would need a fresh database each time). Then:
the rows and audit events are counted (one event per donation names each of its results by id;
the check is that every stored result is named), the audit chains verified, the donations
counted per status, and the same file imported again (timed; it must change nothing). The pieces
are timed by wrapping the service's helpers (a few calls per donation: negligible overhead) and
by counting SQL statements per kind; finally a second, identical set of donations is imported
under cProfile (not the measurement) to report the hot spots. Prints results per second and
writes the figures to bench/results/lab_import.json. The scratch database is dropped.

The set-up inserts donors and donations in bulk, as a test fixture would.

    /tmp/venv/bin/python bench/lab_import.py [--lines N] [--seed S] [--no-profile] [--output PATH]

Goal: at least 10,000 results per second.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import os
import platform
import pstats
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from scratch_database import LOCAL_SERVER, scratch_database  # bench/, the script's folder, is on the path

GOAL_PER_SECOND = 10_000
RESULTS = Path(__file__).resolve().parent / "results" / "lab_import.json"
HEADER = "din,marker,stage,reading,value,tested_at,instrument,run_id,pool_id"
SEROLOGY = ["anti_hiv_1_2", "hbsag", "anti_hbc", "anti_hcv", "anti_htlv", "syphilis", "t_cruzi"]
NAT = ["hiv_nat", "hbv_nat", "hcv_nat", "wnv_nat"]
PANEL = [
    "anti_hiv_1_2",
    "hiv_nat",
    "hbsag",
    "anti_hbc",
    "hbv_nat",
    "anti_hcv",
    "hcv_nat",
    "anti_htlv",
    "syphilis",
    "wnv_nat",
    "t_cruzi",
    "abo",
    "rhd",
    "antibody_screen",
]
ABO_WEIGHTS = {"O": 45, "A": 40, "B": 11, "AB": 4}
POOL_SIZE = 16
POOLS = 10  # NAT pools of 16 donations; the first is reactive for HCV NAT and resolved
INITIALLY_REACTIVE = 0.01  # share of donations initially reactive on one serology marker
REPEATEDLY_REACTIVE = 0.2  # share of those whose duplicate repeats are not both nonreactive
RHD_NEGATIVE = 0.02  # weak D tested: most weak D negative, some weak D positive
FIRST_TIME = 0.2  # donors with no blood group on record


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000, help="result lines in the file")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile import")
    parser.add_argument("--database-url", default=LOCAL_SERVER, help="server URL without a database name")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


# --- seeding ---------------------------------------------------------------------------------


@dataclass
class Planned:
    """One donation of the file: the donor's type and what the file says about it."""

    din: str
    abo: str
    rhd: str  # "pos" / "neg" as typed (weak D positive types "pos")
    weak_d: str = ""  # "" or "weak_d_pos" / "weak_d_neg" (RhD typing negative)
    first_time: bool = False
    initially_reactive: str = ""  # a serology marker, or ""
    repeat_reactive: bool = False
    pool: str = ""  # NAT pool id, or "" for individual NAT
    pool_reactive: bool = False
    nat_reactive: bool = False


@dataclass
class Reference:
    site: Any = None
    program: Any = None
    phlebotomist: Any = None
    technologist: Any = None
    next_sequence: int = 1
    next_donor: int = 1
    next_pool: int = 1


def _reference() -> Reference:
    from hemaops.core import roles
    from hemaops.core.models import Company, Program, Site
    from hemaops.core.services import reference_data_save, user_create
    from hemaops.lab.services import panel_set

    company = reference_data_save(
        actor=None, instance=Company(legal_name="Bench Blood Services", fiscal_year_start_month=1)
    )
    site = reference_data_save(
        actor=None,
        instance=Site(
            company=company,
            code="sherman",
            name="Sherman Oaks Donor Center",
            kind=Site.Kind.FIXED_COLLECTION,
            time_zone="America/Los_Angeles",
            facility_identification_number="W0001",
            country="US",
            region="CA",
            postal_code="91403",
        ),
    )
    program = reference_data_save(
        actor=None,
        instance=Program(
            company=company,
            code="ca-fixed",
            name="California fixed",
            segment="blood_products",
            kind="fixed_collections",
            active_from=date(2020, 1, 1),
        ),
    )
    users = [
        user_create(
            actor=None,
            username=f"bench-{role.replace('_', '-')}",
            password="bench-password-not-used",  # noqa: S106 - a throwaway database
            role_names=[role],
            second_factor_exempt=True,
            check_password_strength=False,
        )
        for role in (roles.PHLEBOTOMIST, roles.LAB_TECHNOLOGIST)
    ]
    panel_set(actor=None, name="Standard", markers=PANEL, effective_from=date(2020, 1, 1))
    return Reference(site=site, program=program, phlebotomist=users[0], technologist=users[1])


def _plan(lines: int, rng: random.Random, reference: Reference) -> list[Planned]:
    """Donations until their lines reach ``lines`` (the last donation may be cut short)."""
    planned: list[Planned] = []
    total = 0
    pooled = POOLS * POOL_SIZE
    while total < lines:
        sequence = reference.next_sequence
        reference.next_sequence += 1
        weak_d = ""
        if rng.random() < RHD_NEGATIVE:
            weak_d = "weak_d_pos" if rng.random() < 0.2 else "weak_d_neg"
        donation = Planned(
            din=f"W000125{sequence:06d}",
            abo=rng.choices(list(ABO_WEIGHTS), list(ABO_WEIGHTS.values()))[0],
            rhd="pos" if weak_d in {"", "weak_d_pos"} else "neg",
            weak_d=weak_d,
            first_time=rng.random() < FIRST_TIME,
        )
        if rng.random() < INITIALLY_REACTIVE:
            donation.initially_reactive = rng.choice(SEROLOGY)
            donation.repeat_reactive = rng.random() < REPEATEDLY_REACTIVE
        index = len(planned)
        if index < pooled:
            pool_number = reference.next_pool + index // POOL_SIZE
            donation.pool = f"MP{pool_number:05d}"
            donation.pool_reactive = index < POOL_SIZE  # the first pool of each file
            donation.nat_reactive = index == POOL_SIZE // 2
        planned.append(donation)
        total += len(_lines(donation, datetime(2026, 1, 1, tzinfo=UTC)))
    reference.next_pool += POOLS
    return planned


def _seed_donations(planned: list[Planned], rng: random.Random, reference: Reference) -> None:
    """Donors, screenings, DINs and donations in bulk (bench/recruitment.py does the same)."""
    from hemaops.donations.models import Donation, IssuedDin, Screening
    from hemaops.donors.models import Donor, DonorTypePeriod

    now = datetime.now(UTC)
    first = reference.next_donor
    reference.next_donor += len(planned)
    donors = Donor.objects.bulk_create(
        [
            Donor(
                donor_number=f"D{n:07d}",
                family_name=f"Family{n}",
                given_name=f"Given{n}",
                date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 56)),
                sex=rng.choice("FM"),
                phone=f"+1 818 555 {n % 10000:04d}",
                email=f"donor{n}@example.org",
                address_line=f"{n} Ventura Blvd",
                city="Los Angeles",
                region="CA",
                postal_code="91403",
                country="US",
                abo_on_record="" if plan.first_time else plan.abo,
                rhd_on_record="" if plan.first_time else plan.rhd,
                created_at=now,
                changed_at=now,
            )
            for n, plan in enumerate(planned, start=first)
        ],
        batch_size=2000,
    )
    DonorTypePeriod.objects.bulk_create(
        [
            DonorTypePeriod(donor=donor, donor_type="volunteer", started_on=date(2020, 1, 1), recorded_at=now)
            for donor in donors
        ],
        batch_size=2000,
    )
    collected = now - timedelta(days=2)
    screenings = Screening.objects.bulk_create(
        [
            Screening(
                donor=donor,
                site=reference.site,
                screened_at=collected,
                screened_on=collected.date(),
                procedure="whole_blood",
                donation_type="allogeneic",
                jurisdiction="US-CA",
                outcome="ELIGIBLE",
                collection_allowed=True,
                recorded_at=collected,
            )
            for donor in donors
        ],
        batch_size=2000,
    )
    dins = IssuedDin.objects.bulk_create(
        [
            IssuedDin(
                din=plan.din,
                facility="W0001",
                year="25",
                sequence=int(plan.din[-6:]),
                source="generated",
                site=reference.site,
                claimed_at=collected,
            )
            for plan in planned
        ],
        batch_size=2000,
    )
    Donation.objects.bulk_create(
        [
            Donation(
                screening=screening,
                donor_id=screening.donor_id,
                site=reference.site,
                din=din,
                procedure=screening.procedure,
                started_at=collected,
                ended_at=collected + timedelta(minutes=12),
                volume_ml=500,
                bag_lot="BENCH",
                phlebotomist=reference.phlebotomist,
                outcome="complete",
                program=reference.program,
                donor_classification="volunteer",
                collection_type="V",
                recorded_at=collected,
            )
            for screening, din in zip(screenings, dins, strict=True)
        ],
        batch_size=2000,
    )


# --- the instrument file ---------------------------------------------------------------------


def _line(
    din: str, marker: str, stage: str, reading: str, value: str, at: datetime, run: str, pool: str = ""
) -> str:
    return f"{din},{marker},{stage},{reading},{value},{at.isoformat()},PRISM,{run},{pool}"


def _lines(plan: Planned, at: datetime) -> list[str]:
    """The donation's full panel, as an instrument exports it (tests/lab/results.py)."""
    din = plan.din
    lines = []
    for marker in SEROLOGY:
        reactive = marker == plan.initially_reactive
        lines.append(_line(din, marker, "initial", "reactive" if reactive else "nonreactive", "", at, "S1"))
        if reactive:  # the duplicate repeats, later runs
            first = "reactive" if plan.repeat_reactive else "nonreactive"
            lines.append(_line(din, marker, "repeat", first, "", at + timedelta(hours=3), "S2"))
            lines.append(_line(din, marker, "repeat", "nonreactive", "", at + timedelta(hours=3), "S3"))
    for marker in NAT:
        if plan.pool:
            reactive = plan.pool_reactive and marker == "hcv_nat"
            lines.append(
                _line(din, marker, "pool", "reactive" if reactive else "nonreactive", "", at, "N1", plan.pool)
            )
            if reactive:  # resolved to the individual donation
                alone = "reactive" if plan.nat_reactive else "nonreactive"
                lines.append(_line(din, marker, "individual", alone, "", at + timedelta(hours=6), "N2"))
        else:
            lines.append(_line(din, marker, "individual", "nonreactive", "", at, "N1"))
    lines.append(_line(din, "abo", "forward", "positive", plan.abo, at, "T1"))
    lines.append(_line(din, "abo", "reverse", "positive", plan.abo, at, "T1"))
    if plan.weak_d:
        lines.append(_line(din, "rhd", "typing", "negative", "neg", at, "T1"))
        reading = "positive" if plan.weak_d == "weak_d_pos" else "negative"
        lines.append(_line(din, "rhd", "typing", reading, plan.weak_d, at + timedelta(hours=1), "T2"))
    else:
        lines.append(_line(din, "rhd", "typing", "positive", "pos", at, "T1"))
    lines.append(_line(din, "antibody_screen", "typing", "negative", "", at, "T1"))
    return lines


def _file(planned: list[Planned], lines: int) -> bytes:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    body: list[str] = []
    for index, plan in enumerate(planned):
        body += _lines(plan, base + timedelta(seconds=index * 2))  # runs every few seconds
    return ("\n".join([HEADER, *body[:lines]]) + "\n").encode()


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Pieces:
    """Seconds and calls of the service's helpers, and SQL statements by kind."""

    seconds: dict[str, float] = field(default_factory=lambda: collections.defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: collections.defaultdict(int))
    queries: collections.Counter[str] = field(default_factory=collections.Counter)
    query_kind_seconds: dict[str, float] = field(default_factory=lambda: collections.defaultdict(float))
    query_seconds: float = 0.0


def _kind(sql: str) -> str:
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    if verb == "SELECT":
        match = re.search(r'\bFROM "([a-z_0-9]+)"', sql)
        return f"SELECT {match.group(1) if match else '?'}{' FOR UPDATE' if 'FOR UPDATE' in sql else ''}"
    if verb in {"INSERT", "UPDATE", "DELETE"}:
        match = re.search(r'"([a-z_0-9]+)"', sql)
        return f"{verb} {match.group(1) if match else '?'}"
    return verb


class _Instrumented:
    """Wrap the service's helpers and count SQL while the import runs (undone on exit)."""

    WRAPPED = (  # (module of hemaops.lab, name): where the import looks each one up
        ("result_services", "parse_result_file"),
        ("result_services", "_donations_by_din"),
        ("result_services", "_row_errors"),
        ("result_services", "testing_open"),
        ("result_services", "_pools"),
        ("result_services", "_reevaluate"),
        ("evaluation_services", "_final_results"),
        ("evaluation_services", "_consequences"),
        ("result_services", "audit_record_many"),
    )

    def __init__(self, pieces: Pieces) -> None:
        self.pieces = pieces
        self.saved: dict[str, Any] = {}

    def __enter__(self) -> Pieces:
        from django.db import connection

        from hemaops.lab import evaluation_services, result_services
        from hemaops.lab.models import TestResult

        modules = {"result_services": result_services, "evaluation_services": evaluation_services}
        for module, name in self.WRAPPED:
            self.saved[name] = (modules[module], getattr(modules[module], name))
            setattr(modules[module], name, self._timed(name, self.saved[name][1]))
        manager = TestResult.objects
        self.bulk_create = manager.bulk_create
        manager.bulk_create = self._timed("TestResult bulk_create", manager.bulk_create)  # type: ignore[method-assign]
        self.wrapper = connection.execute_wrapper(self._count)
        self.wrapper.__enter__()
        return self.pieces

    def __exit__(self, *exc: object) -> None:
        from hemaops.lab.models import TestResult

        self.wrapper.__exit__(*exc)
        for name, (module, function) in self.saved.items():
            setattr(module, name, function)
        del TestResult.objects.bulk_create

    def _timed(self, name: str, function: Any) -> Any:
        pieces = self.pieces

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                pieces.seconds[name] += time.perf_counter() - started
                pieces.calls[name] += 1

        return timed

    def _count(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            kind = _kind(sql)
            self.pieces.query_seconds += spent
            self.pieces.queries[kind] += 1
            self.pieces.query_kind_seconds[kind] += spent


def _statuses(batch: Any) -> dict[str, int]:
    from django.db.models import Count

    from hemaops.lab.models import DonationTesting, TestResult

    imported = TestResult.objects.filter(source_import=batch).values("donation_id")
    rows = DonationTesting.objects.filter(donation__in=imported).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows.order_by("status")}


def _state() -> dict[str, int]:
    """Row counts the re-import must not change."""
    from hemaops.core.models import AuditEvent
    from hemaops.donors.models import Donor, DonorMarkerResult
    from hemaops.lab.models import DonationTesting, DonorNotification, NatPool, ResultImport, TestResult

    return {
        "results": TestResult.objects.count(),
        "imports": ResultImport.objects.count(),
        "testings": DonationTesting.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "notifications": DonorNotification.objects.count(),
        "marker_results": DonorMarkerResult.objects.count(),
        "pools": NatPool.objects.count(),
        "donors_typed": Donor.objects.exclude(abo_on_record="").count(),
    }


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    with scratch_database(options.database_url, f"hemaops_bench_lab_import_{os.getpid()}"):
        return _run(options)


def _run(options: argparse.Namespace) -> int:
    import json

    from django.db import connection

    from hemaops.core.audit import audit_verify
    from hemaops.core.models import AuditEvent
    from hemaops.lab.models import TestResult
    from hemaops.lab.result_file import parse_result_file
    from hemaops.lab.services import results_import

    rng = random.Random(options.seed)  # noqa: S311 - seeded test data, not secrets
    print(f"seeding donations for {options.lines:,} result lines …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    reference = _reference()
    planned = _plan(options.lines, rng, reference)
    _seed_donations(planned, rng, reference)
    data = _file(planned, options.lines)
    lines = data.count(b"\n") - 1
    profile_planned: list[Planned] = []
    if not options.no_profile:  # the same again, imported under cProfile afterwards
        profile_planned = _plan(options.lines, rng, reference)
        _seed_donations(profile_planned, rng, reference)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seeding = time.perf_counter() - started
    print(f"seeded in {seeding:.1f} s; file: {lines:,} lines, {len(data):,} bytes", file=sys.stderr)

    # The pure parser alone, for the breakdown.
    started = time.perf_counter()
    parsed = parse_result_file(data)
    parse_seconds = time.perf_counter() - started
    if parsed.errors or len(parsed.rows) != lines:
        raise SystemExit(f"the generated file does not parse: {parsed.errors[:5]}")

    technologist = reference.technologist
    before_audit = AuditEvent.objects.filter(stream="lab").count()
    pieces = Pieces()
    with _Instrumented(pieces):
        started = time.perf_counter()
        batch = results_import(actor=technologist, filename="bench-results.csv", data=data)
        seconds = time.perf_counter() - started
    per_second = lines / seconds
    print(f"import: {lines:,} results in {seconds:.2f} s: {per_second:,.0f} results per second (one import)")
    print(f"  parse_result_file alone: {parse_seconds:.2f} s ({lines / parse_seconds:,.0f} lines per second)")
    for name, spent in sorted(pieces.seconds.items(), key=lambda item: -item[1]):
        print(f"  {name}: {spent:.2f} s in {pieces.calls[name]:,} calls")
    total_queries = sum(pieces.queries.values())
    print(f"  SQL: {total_queries:,} statements, {pieces.query_seconds:.2f} s waiting on the database")
    for kind, count in pieces.queries.most_common(20):
        print(f"    {count:>7,}  {pieces.query_kind_seconds[kind]:>6.2f} s  {kind}")

    # Verification.
    results = TestResult.objects.filter(source_import=batch).count()
    lab_events = AuditEvent.objects.filter(stream="lab").count() - before_audit
    # Every stored result is named (by id) in its donation's audit event.
    audited_ids = {
        item[0]
        for data in AuditEvent.objects.filter(stream="lab", action="lab.results.imported").values_list(
            "data", flat=True
        )
        for item in data["new"].get("results", [])
    }
    stored_ids = set(TestResult.objects.filter(source_import=batch).values_list("pk", flat=True))
    every_result_audited = stored_ids <= audited_ids
    verification = audit_verify()
    statuses = _statuses(batch)
    donations = len({plan.din for plan in planned})
    print(
        f"verify: {results:,} results (lines {lines:,}: {'ok' if results == lines else 'MISMATCH'}), "
        f"{lab_events:,} lab audit events, every result named in one: "
        f"{'ok' if every_result_audited else 'MISSING'}, "
        f"audit_verify {'ok' if verification.ok else 'FAILED'} ({verification.events_checked:,} events)"
    )
    print(f"  donations {donations:,} by status: {statuses}")

    # The same file again: returns the first import, changes nothing.
    state = _state()
    started = time.perf_counter()
    again = results_import(actor=technologist, filename="bench-results.csv", data=data)
    reimport_seconds = time.perf_counter() - started
    unchanged = _state() == state and again.pk == batch.pk
    outcome = "nothing changed" if unchanged else "CHANGED"
    print(f"re-import of the same file: {reimport_seconds:.2f} s, {outcome}")

    hot_spots: list[dict[str, Any]] = []
    own_spots: list[dict[str, Any]] = []
    own_time: list[dict[str, Any]] = []
    if profile_planned:
        profile_data = _file(profile_planned, options.lines)
        profiler = cProfile.Profile()
        profiler.enable()
        results_import(actor=technologist, filename="bench-profile.csv", data=profile_data)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=io.StringIO())
        hot_spots = _spots(stats, 3)
        print("profile (a second import of the same size under cProfile; top 25 by cumulative):")
        for spot in hot_spots[:25]:
            print(f"  {spot['cumulative_seconds']:>8.2f} s {spot['calls']:>9,}  {spot['function']}")
        own_spots = _spots(stats, 3, only="hemaops/")
        print("  hemaops functions only, by cumulative:")
        for spot in own_spots[:20]:
            print(f"  {spot['cumulative_seconds']:>8.2f} s {spot['calls']:>9,}  {spot['function']}")
        own_time = _spots(stats, 2)
        print("  by own time (tottime):")
        for spot in own_time[:15]:
            print(f"  {spot['own_seconds']:>8.2f} s {spot['calls']:>9,}  {spot['function']}")

    met = per_second >= GOAL_PER_SECOND
    print(f"goal >= {GOAL_PER_SECOND:,} results per second: {'met' if met else 'NOT met'}")
    figures: dict[str, Any] = {
        "benchmark": "lab results_import end to end on PostgreSQL (one import of an instrument file)",
        "command": f"python bench/lab_import.py --lines={options.lines} --seed={options.seed}",
        "runs": 1,
        "runs_note": "one import is the measurement: an import changes the database and cannot be repeated",
        "lines": lines,
        "donations": donations,
        "file_bytes": len(data),
        "seconds": round(seconds, 3),
        "results_per_second": round(per_second),
        "goal_results_per_second": GOAL_PER_SECOND,
        "goal_met": met,
        "parse_result_file_seconds": round(parse_seconds, 3),
        "pieces_seconds": {name: round(spent, 3) for name, spent in pieces.seconds.items()},
        "pieces_calls": dict(pieces.calls),
        "sql_statements": total_queries,
        "sql_seconds": round(pieces.query_seconds, 3),
        "sql_by_kind": {
            kind: {"statements": count, "seconds": round(pieces.query_kind_seconds[kind], 3)}
            for kind, count in pieces.queries.most_common()
        },
        "verify": {
            "results": results,
            "results_equal_lines": results == lines,
            "lab_audit_events": lab_events,
            "every_result_in_an_audit_event": every_result_audited,
            "audit_verify_ok": verification.ok,
            "audit_events_checked": verification.events_checked,
            "donations_by_status": statuses,
        },
        "reimport_seconds": round(reimport_seconds, 3),
        "reimport_changed_nothing": unchanged,
        "profile_top_cumulative": hot_spots,
        "profile_hemaops_cumulative": own_spots,
        "profile_top_own_time": own_time,
        "seeding_seconds": round(seeding, 1),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": connection.cursor().connection.info.server_version,
        "machine": platform.machine(),
        "platform": platform.platform(),
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"figures written to {options.output}")
    return 0


def _spots(stats: pstats.Stats, column: int, only: str = "") -> list[dict[str, Any]]:
    """The top 40 entries by ``column`` (2: own time, 3: cumulative), optionally of one package."""
    spots = []
    entries = stats.stats.items()  # type: ignore[attr-defined]
    for (path, number, function), (_, calls, own, cumulative, _) in sorted(
        entries, key=lambda e: -e[1][column]
    ):
        if only and only not in path:
            continue
        spots.append(
            {
                "function": f"{_short(path)}:{number}({function})",
                "calls": calls,
                "cumulative_seconds": round(cumulative, 3),
                "own_seconds": round(own, 3),
            }
        )
        if len(spots) == 40:
            break
    return spots


def _short(path: str) -> str:
    for marker in ("/src/", "/site-packages/", "/lib/python"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


if __name__ == "__main__":
    raise SystemExit(main())
