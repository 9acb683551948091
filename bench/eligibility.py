"""Benchmark of the donor eligibility engine (issue 4).

Generates N realistic donor-day cases (seeded; default 1,000,000) as the engine's dataclasses
up front, then times the evaluation loop alone, in one process, with no caching across cases:
each case is evaluated from scratch. Prints evaluations per second and the outcome
distribution, and writes the figures to bench/results/eligibility.json.

    /tmp/venv/bin/python bench/eligibility.py [--cases N] [--seed S] [--output PATH]

Goal: at least 20,000 evaluations per second per core.
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import platform
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from hemaops.donors.configuration import DEFAULT_CONFIGURATION
from hemaops.donors.rules import (
    Case,
    DeferralKind,
    DonationType,
    Donor,
    Event,
    EventCode,
    HemoglobinSample,
    Marker,
    MarkerRecord,
    MarkerResult,
    Outcome,
    Policy,
    PriorDonation,
    Procedure,
    RecordedDeferral,
    Sex,
    Vitals,
    evaluate,
)

GOAL_PER_SECOND = 20_000
RESULTS = Path(__file__).resolve().parent / "results" / "eligibility.json"

PROCEDURES = (
    (Procedure.WHOLE_BLOOD, 0.60),
    (Procedure.DOUBLE_RED_CELLS, 0.08),
    (Procedure.PLATELETS, 0.15),
    (Procedure.PLASMA, 0.07),
    (Procedure.SOURCE_PLASMA, 0.10),
)
INTERVALS = DEFAULT_CONFIGURATION.intervals
# Mean delay, in days, after a donor becomes eligible again before coming back.
EXTRA_DAYS = {
    Procedure.WHOLE_BLOOD: 60,
    Procedure.DOUBLE_RED_CELLS: 60,
    Procedure.PLATELETS: 12,
    Procedure.PLASMA: 20,
    Procedure.SOURCE_PLASMA: 3,
}
# Questionnaire answers, common ones first (relative weights).
EVENT_WEIGHTS = {
    EventCode.MALARIA_AREA_RETURN: 20,
    EventCode.PREGNANCY_ENDED: 12,
    EventCode.LIVE_VACCINE_2_WEEKS: 8,
    EventCode.LIVE_VACCINE_4_WEEKS: 5,
    EventCode.ASPIRIN_LAST_DOSE: 12,
    EventCode.FINASTERIDE_LAST_DOSE: 6,
    EventCode.NEW_PARTNER_ANAL_SEX: 5,
    EventCode.ORAL_PREP_LAST_DOSE: 3,
    EventCode.PEP_LAST_DOSE: 1,
    EventCode.ISOTRETINOIN_LAST_DOSE: 3,
    EventCode.DUTASTERIDE_LAST_DOSE: 2,
    EventCode.INCARCERATION_RELEASED: 3,
    EventCode.MALARIA_RESIDENCE_DEPARTURE: 3,
    EventCode.PREGNANT: 2,
    EventCode.CLOPIDOGREL_LAST_DOSE: 2,
    EventCode.TICAGRELOR_LAST_DOSE: 1,
    EventCode.PRASUGREL_LAST_DOSE: 1,
    EventCode.TICLOPIDINE_LAST_DOSE: 1,
    EventCode.VORAPAXAR_LAST_DOSE: 1,
    EventCode.SEX_FOR_MONEY_OR_DRUGS: 1,
    EventCode.INJECTABLE_PREP_LAST_DOSE: 1,
    EventCode.MALARIA_RECOVERY: 1,
    EventCode.ACITRETIN_LAST_DOSE: 1,
    EventCode.HIV_TREATMENT: 0.2,
    EventCode.ETRETINATE_EVER: 0.2,
}
EVENTS = tuple(EVENT_WEIGHTS)
EVENT_WEIGHT_VALUES = tuple(EVENT_WEIGHTS.values())
MARKER_ROWS = (
    (Marker.ANTI_HBC, MarkerResult.REPEATEDLY_REACTIVE, 0.35),
    (Marker.HTLV, MarkerResult.REPEATEDLY_REACTIVE, 0.10),
    (Marker.WNV, MarkerResult.NAT_REACTIVE, 0.10),
    (Marker.BABESIA, MarkerResult.NAT_REACTIVE, 0.10),
    (Marker.SYPHILIS, MarkerResult.REPEATEDLY_REACTIVE, 0.10),
    (Marker.HBSAG, MarkerResult.REPEATEDLY_REACTIVE, 0.05),
    (Marker.HCV, MarkerResult.NAT_REACTIVE, 0.05),
    (Marker.HIV, MarkerResult.REPEATEDLY_REACTIVE, 0.05),
    (Marker.CHAGAS, MarkerResult.REPEATEDLY_REACTIVE, 0.05),
    (Marker.HBV_NAT, MarkerResult.NAT_REACTIVE, 0.05),
)

FIRST_DAY = date(1935, 1, 1)
LAST_DAY = date(2026, 12, 31)


class Generator:
    """Realistic donor-days: vitals spread around the limits, histories by procedure."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)  # noqa: S311 (a benchmark, not security)
        # One date object per calendar day, shared by the cases (memory, not evaluation).
        span = (LAST_DAY - FIRST_DAY).days + 1
        self.days = [FIRST_DAY + timedelta(days=n) for n in range(span)]
        self.first_ordinal = FIRST_DAY.toordinal()
        self.procedures = [p for p, _ in PROCEDURES]
        self.procedure_weights = [w for _, w in PROCEDURES]
        self.markers = [(m, r) for m, r, _ in MARKER_ROWS]
        self.marker_weights = [w for _, _, w in MARKER_ROWS]

    def day(self, ordinal: int) -> date:
        return self.days[ordinal - self.first_ordinal]

    def case(self) -> Case:
        r = self.random
        on_ordinal = date(2025, 1, 1).toordinal() + r.randrange(365)
        on = self.day(on_ordinal)
        procedure = r.choices(self.procedures, self.procedure_weights)[0]
        sex = Sex.FEMALE if r.random() < 0.5 else Sex.MALE
        roll = r.random()
        if roll < 0.01:
            donation_type = DonationType.AUTOLOGOUS
        elif roll < 0.03:
            donation_type = DonationType.DIRECTED
        else:
            donation_type = DonationType.ALLOGENEIC
        jurisdiction = r.choices(("US-MN", "US-WA", "US-CA", "US-NY", "other"), (20, 15, 30, 15, 20))[0]
        age_days = int(365.25 * (15.7 + r.random() * 2.6)) if r.random() < 0.05 else r.randrange(6200, 27000)
        donor = Donor(
            sex=sex,
            birth_date=self.day(on_ordinal - age_days),
            parental_consent=r.random() < 0.5,
            # Double red cell donors are recruited for their size.
            height_cm=round(
                r.gauss(163 if sex is Sex.FEMALE else 177, 8)
                + (6 if procedure is Procedure.DOUBLE_RED_CELLS else 0),
                1,
            ),
        )
        vitals = self.vitals(sex, procedure)
        history = self.history(procedure, on_ordinal)
        events: tuple[Event, ...] = ()
        if r.random() < 0.12:
            events = tuple(
                Event(
                    code=code,
                    date=self.day(on_ordinal - round(r.expovariate(1 / 150))),
                    hours=float(r.choice((24, 48, 71, 72, 96, 2000)))
                    if code is EventCode.INCARCERATION_RELEASED
                    else None,
                )
                for code in r.choices(EVENTS, EVENT_WEIGHT_VALUES, k=r.choice((1, 1, 1, 2, 3)))
            )
        deferrals: tuple[RecordedDeferral, ...] = ()
        if r.random() < 0.04:
            kind = r.choices(tuple(DeferralKind), (85, 12, 3))[0]
            until = self.day(on_ordinal + r.randrange(-200, 200)) if kind is DeferralKind.TEMPORARY else None
            deferrals = (RecordedDeferral(kind=kind, code="recorded", until=until),)
        markers: tuple[MarkerRecord, ...] = ()
        if r.random() < 0.02:
            picked = r.choices(self.markers, self.marker_weights, k=r.choice((1, 1, 2)))
            markers = tuple(
                MarkerRecord(date=self.day(on_ordinal - r.randrange(1, 1500)), marker=m, result=res)
                for m, res in picked
            )
        policy = Policy()
        if r.random() < 0.3:
            policy = Policy(
                female_low_hemoglobin_program=r.random() < 0.5, healthy_athlete_pulse_sop=r.random() < 0.5
            )
        return Case(
            on=on,
            procedure=procedure,
            donor=donor,
            vitals=vitals,
            donation_type=donation_type,
            jurisdiction=jurisdiction,
            history=history,
            events=events,
            deferrals=deferrals,
            marker_history=markers,
            policy=policy,
        )

    def vitals(self, sex: Sex, procedure: Procedure) -> Vitals:
        r = self.random
        female = sex is Sex.FEMALE
        weight = r.gauss(76 if female else 88, 14)
        in_pounds = r.random() < 0.4
        temperature = r.gauss(36.7, 0.35)
        in_fahrenheit = r.random() < 0.3
        # Double red cell donors are recruited for their hematocrit.
        boost = 1.2 if procedure is Procedure.DOUBLE_RED_CELLS else 0.0
        hemoglobin = round(r.gauss((13.3 if female else 14.6) + boost, 1.0), 1)
        measure = r.random()
        athlete = r.random() < 0.04
        pulse = round(r.gauss(48 if athlete else 72, 6 if athlete else 10))
        missing = r.random() < 0.01
        systolic = round(r.gauss(124, 15))
        diastolic = min(round(r.gauss(77, 9)), systolic - 10)
        roll = r.random()
        sample = (
            HemoglobinSample.EARLOBE
            if roll < 0.005
            else HemoglobinSample.VENOUS
            if roll < 0.2
            else HemoglobinSample.NONINVASIVE
            if roll < 0.3
            else HemoglobinSample.FINGERSTICK
        )
        return Vitals(
            weight_kg=None if in_pounds else round(max(weight, 35.0), 1),
            weight_lb=round(max(weight, 35.0) * 2.20462, 0) if in_pounds else None,
            temperature_c=None if in_fahrenheit or missing else round(temperature, 1),
            temperature_f=round(temperature * 9 / 5 + 32, 1) if in_fahrenheit and not missing else None,
            systolic_mm_hg=float(systolic),
            diastolic_mm_hg=float(diastolic),
            pulse_bpm=float(max(pulse, 35)),
            pulse_regular=r.random() < 0.985,
            healthy_athlete=athlete,
            hemoglobin_g_dl=hemoglobin if measure < 0.85 else None,
            hematocrit_pct=round(hemoglobin * 3 + r.gauss(0, 1), 0)
            if measure > 0.6 or procedure is Procedure.DOUBLE_RED_CELLS
            else None,
            hemoglobin_sample=sample,
            platelet_count_k_per_ul=round(r.gauss(250, 60)) if procedure is Procedure.PLATELETS else None,
            phlebotomy_site_ok=r.random() < 0.995,
            injection_drug_signs=r.random() < 0.001,
        )

    def history(self, procedure: Procedure, on_ordinal: int) -> tuple[PriorDonation, ...]:
        """Most donors come back once they may (interval + a random delay); one in ten comes
        too early. Apheresis regulars have long histories (the 7-day and 12-month limits)."""
        r = self.random
        if r.random() < 0.25:
            return ()  # first-time donor
        usual = procedure if r.random() < 0.85 else r.choice(self.procedures)
        count = r.randint(1, 30 if usual in (Procedure.PLATELETS, Procedure.SOURCE_PLASMA) else 8)
        entries = []
        ordinal = on_ordinal
        following = procedure
        for _ in range(count):
            previous = usual if r.random() < 0.9 else r.choice(self.procedures)
            interval = INTERVALS[(previous, following)].days
            if r.random() < 0.1:
                gap = r.randint(0, interval)
            else:
                gap = interval + round(r.expovariate(1 / EXTRA_DAYS[previous]))
            ordinal -= gap
            entries.append(PriorDonation(date=self.day(ordinal), procedure=previous))
            following = previous
        return tuple(entries)


def generate(count: int, seed: int) -> list[Case]:
    generator = Generator(seed)
    cases = []
    step = max(count // 10, 1)
    started = time.perf_counter()
    for index in range(count):
        cases.append(generator.case())
        if (index + 1) % step == 0 or index + 1 == count:
            print(
                f"  generated {index + 1:>9,} / {count:,} cases ({time.perf_counter() - started:5.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cases", type=int, default=1_000_000, help="number of donor-days (default 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=20250303)
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON figures")
    options = parser.parse_args(argv)
    if options.cases < 1:
        parser.error("--cases must be at least 1")

    print(f"generating {options.cases:,} donor-day cases (seed {options.seed}) …", file=sys.stderr)
    cases = generate(options.cases, options.seed)
    config = DEFAULT_CONFIGURATION
    # Move the generated cases out of the collector's way: the loop below allocates reasons
    # and decisions, and a full collection would otherwise walk a million cases each time.
    gc.collect()
    gc.freeze()

    print("evaluating …", file=sys.stderr, flush=True)
    outcomes: collections.Counter[Outcome] = collections.Counter()
    started = time.perf_counter()
    for case in cases:
        outcomes[evaluate(case, config).outcome] += 1
    seconds = time.perf_counter() - started
    per_second = len(cases) / seconds

    distribution = {outcome.value: outcomes.get(outcome, 0) for outcome in Outcome}
    # Which rules fire, on a sample, outside the timed loop.
    sample = cases[:100_000]
    reason_counts: collections.Counter[str] = collections.Counter(
        reason.code for case in sample for reason in evaluate(case, config).reasons
    )
    print(
        f"{len(cases):,} evaluations in {seconds:.2f} s: "
        f"{per_second:,.0f} evaluations per second (one process)"
    )
    print(f"goal ≥ {GOAL_PER_SECOND:,}/s per core: {'met' if per_second >= GOAL_PER_SECOND else 'NOT met'}")
    width = max(len(name) for name in distribution)
    for name, number in distribution.items():
        print(f"  {name.ljust(width)}  {number:>9,}  {100 * number / len(cases):6.2f} %")

    print(f"most frequent reasons in the first {len(sample):,} cases:")
    for code, number in reason_counts.most_common(10):
        print(f"  {code.ljust(45)}  {number:>7,}")

    figures = {
        "benchmark": "donor eligibility, one process, evaluation loop only, no caching across cases",
        "command": " ".join(
            ["python", "bench/eligibility.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        "cases": len(cases),
        "seed": options.seed,
        "seconds": round(seconds, 3),
        "evaluations_per_second": round(per_second),
        "goal_per_second_per_core": GOAL_PER_SECOND,
        "goal_met": per_second >= GOAL_PER_SECOND,
        "outcomes": distribution,
        "top_reasons_in_first_100000_cases": dict(reason_counts.most_common(20)),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "platform": platform.platform(),
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {options.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
