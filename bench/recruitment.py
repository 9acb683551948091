"""Benchmark of the recruitment list selector on PostgreSQL.

Creates a scratch database (``hemaops_bench_recruitment_<pid>`` on the local PostgreSQL,
or the server of ``--database-url``), migrates it, fills it with N donors (seeded; default
20,000) with a realistic history — up to 8 donations each over 3 years, current donor
types, some deferrals and withdrawn contact consents, ZIP codes around Los Angeles, some
elsewhere, some missing — then times ``recruitment_list`` end to end (queries and rules)
for whole blood and for platelets within 40 km of a site. Prints donors per second and
writes the figures to bench/results/recruitment.json. The scratch database is dropped.

The set-up inserts rows in bulk, as a test fixture would: recording 60,000 donations
through the services (one audited transaction each) would take far longer than the
measurement, and the selector reads the same rows either way.

    /tmp/venv/bin/python bench/recruitment.py [--donors N] [--seed S] [--runs R] [--output PATH]

Goal: 20,000 donors in a few seconds (under 5 s).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from scratch_database import LOCAL_SERVER, scratch_database  # bench/, the script's folder, is on the path

GOAL_SECONDS = 5.0
RESULTS = Path(__file__).resolve().parent / "results" / "recruitment.json"
# Sherman Oaks, Encino, Van Nuys, Burbank, Pasadena, Santa Monica, Long Beach, San Diego,
# Fresno, a made-up 5-digit code, and an empty one.
POSTAL_CODES = ["91403", "91436", "91405", "91502", "91101", "90401", "90802", "92101", "93721", "00000", ""]
PROCEDURE_WEIGHTS = {
    "whole_blood": 70,
    "platelets": 15,
    "plasma": 8,
    "double_red_cells": 5,
    "source_plasma": 2,
}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--donors", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=LOCAL_SERVER, help="server URL without a database name")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def _seed(donor_count: int, seed: int, today: date) -> dict[str, int]:
    from hemaops.core import roles
    from hemaops.core.models import Company, Program, Site
    from hemaops.core.services import reference_data_save, user_create
    from hemaops.donations.models import Donation, DonorDeferral, IssuedDin, Screening
    from hemaops.donors.models import Donor, DonorConsent, DonorTypePeriod

    rng = random.Random(seed)  # noqa: S311 - seeded test data, not secrets
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
    phlebotomist = user_create(
        actor=None,
        username="bench-phlebotomist",
        password="bench-password-not-used",  # noqa: S106 - a throwaway database
        role_names=[roles.PHLEBOTOMIST],
        second_factor_exempt=True,
        check_password_strength=False,
    )
    now = datetime.now(UTC)
    donors = [
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
            postal_code=rng.choice(POSTAL_CODES),
            country="US",
            abo_on_record=rng.choice(["O", "A", "B", "AB", ""]),
            rhd_on_record=rng.choice(["pos", "pos", "pos", "neg"]),
            created_at=now,
            changed_at=now,
        )
        for n in range(1, donor_count + 1)
    ]
    donors = Donor.objects.bulk_create(donors, batch_size=2000)
    DonorTypePeriod.objects.bulk_create(
        [
            DonorTypePeriod(
                donor=donor,
                donor_type="paid" if rng.random() < 0.15 else "volunteer",
                started_on=date(2020, 1, 1),
                recorded_at=now,
            )
            for donor in donors
        ],
        batch_size=2000,
    )
    procedures = list(PROCEDURE_WEIGHTS)
    weights = list(PROCEDURE_WEIGHTS.values())
    screenings: list[Screening] = []
    for donor in donors:
        for _ in range(rng.randint(0, 8)):
            at = now - timedelta(days=rng.randint(1, 3 * 365), hours=rng.randint(0, 8))
            procedure = rng.choices(procedures, weights)[0]
            screenings.append(
                Screening(
                    donor=donor,
                    site=site,
                    screened_at=at,
                    screened_on=at.date(),
                    procedure=procedure,
                    donation_type="allogeneic",
                    jurisdiction="US-CA",
                    outcome="ELIGIBLE",
                    collection_allowed=True,
                    recorded_at=at,
                )
            )
    screenings = Screening.objects.bulk_create(screenings, batch_size=2000)
    dins = IssuedDin.objects.bulk_create(
        [
            IssuedDin(
                din=f"W000125{n:06d}",
                facility="W0001",
                year="25",
                sequence=n,
                source="generated",
                site=site,
                claimed_at=screening.screened_at,
            )
            for n, screening in enumerate(screenings, start=1)
        ],
        batch_size=2000,
    )
    Donation.objects.bulk_create(
        [
            Donation(
                screening=screening,
                donor_id=screening.donor_id,
                site=site,
                din=din,
                procedure=screening.procedure,
                started_at=screening.screened_at,
                ended_at=screening.screened_at + timedelta(minutes=12),
                volume_ml=500,
                bag_lot="BENCH",
                phlebotomist=phlebotomist,
                outcome="complete",
                program=program,
                donor_classification="volunteer",
                collection_type="V",
                recorded_at=screening.screened_at,
            )
            for screening, din in zip(screenings, dins, strict=True)
        ],
        batch_size=2000,
    )
    deferrals = []
    for donor in rng.sample(donors, k=donor_count // 20):
        kind = rng.choice(["temporary", "temporary", "indefinite", "permanent"])
        starts = today - timedelta(days=rng.randint(1, 400))
        deferrals.append(
            DonorDeferral(
                donor=donor,
                kind=kind,
                code="bench",
                reason="bench",
                starts_on=starts,
                until=starts + timedelta(days=rng.randint(30, 365)) if kind == "temporary" else None,
                recorded_at=now,
            )
        )
    DonorDeferral.objects.bulk_create(deferrals, batch_size=2000)
    DonorConsent.objects.bulk_create(
        [
            DonorConsent(
                donor=donor,
                kind="contact",
                given_on=date(2021, 1, 1),
                withdrawn_on=date(2024, 1, 1) if rng.random() < 0.1 else None,
                recorded_at=now,
            )
            for donor in rng.sample(donors, k=donor_count // 3)
        ],
        batch_size=2000,
    )
    return {"donors": len(donors), "donations": len(screenings), "deferrals": len(deferrals)}


def _time(runs: int, call) -> tuple[list[float], object]:  # type: ignore[no-untyped-def]
    seconds = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    with scratch_database(options.database_url, f"hemaops_bench_recruitment_{os.getpid()}"):
        return _run(options)


def _run(options: argparse.Namespace) -> int:
    import json

    from django.db import connection

    from hemaops.core.models import Site
    from hemaops.donations.recruitment import recruitment_list

    today = datetime.now(ZoneInfo("America/Los_Angeles")).date()  # the site's day
    print(f"seeding {options.donors:,} donors …", file=sys.stderr, flush=True)
    seeded = _seed(options.donors, options.seed, today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    site = Site.objects.get(code="sherman")
    scenarios = {
        "whole_blood_all": lambda: recruitment_list(on=today, procedure="whole_blood"),
        "platelets_within_40_km": lambda: recruitment_list(
            on=today, procedure="platelets", near_site=site, within_km=40
        ),
    }
    figures: dict[str, object] = {
        "benchmark": "recruitment_list end to end on PostgreSQL (bulk loading, history-only rules, distance)",
        "command": " ".join(["python", "bench/recruitment.py", *(argv_of(options))]),
        "seed": options.seed,
        "runs": options.runs,
        **seeded,
        "goal_seconds": GOAL_SECONDS,
        "scenarios": {},
    }
    met = True
    for label, call in scenarios.items():
        seconds, listing = _time(options.runs, call)
        best, median = min(seconds), statistics.median(seconds)
        per_second = seeded["donors"] / median
        met = met and median < GOAL_SECONDS
        counts = vars(listing.counts)  # type: ignore[attr-defined]
        print(
            f"{label}: {seeded['donors']:,} donors in {median:.2f} s median ({best:.2f} s best): "
            f"{per_second:,.0f} donors per second; listed {counts['listed']:,}"
        )
        figures["scenarios"][label] = {  # type: ignore[index]
            "seconds_median": round(median, 3),
            "seconds_best": round(best, 3),
            "donors_per_second": round(per_second),
            "counts": counts,
        }
    print(f"goal < {GOAL_SECONDS:g} s for {seeded['donors']:,} donors: {'met' if met else 'NOT met'}")
    figures.update(
        {
            "goal_met": met,
            "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": connection.cursor().connection.info.server_version,
            "machine": platform.machine(),
            "platform": platform.platform(),
        }
    )
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"figures written to {options.output}")
    return 0


def argv_of(options: argparse.Namespace) -> list[str]:
    return [f"--donors={options.donors}", f"--seed={options.seed}", f"--runs={options.runs}"]


if __name__ == "__main__":
    raise SystemExit(main())
