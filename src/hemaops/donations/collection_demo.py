"""Demo collections of the last six months, told as the seed release tells them:

- The Sherman Oaks Donor Center (program ``ca-fixed``) paid its apheresis platelet donors
  and converted to volunteer donors on the first day of the month three months ago. Before,
  twelve platelet donors gave every two weeks and were paid; after, five of them keep giving
  every three weeks as volunteers, so platelet collections drop (the "paid programs" page
  shows it). Whole blood donors give there every ten weeks or so.
- The California mobile program (``ca-mobile``, volunteer since July 2025) held a drive on
  Bloodmobile 1 each month, whole blood from volunteer donors.

Every unit goes through the services, as the installation's operator: screening with the
eligibility engine, a DIN from the site's sequence, the donation (classified, paid donors'
compensation posted to the ledger). A few screenings defer (low hemoglobin). Idempotent: a
second run finds the demo's units and adds nothing. ``random.Random`` is seeded, so every
demo has the same history relative to its day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from hemaops.core.models import Program, Site, User
from hemaops.donations import compensation_services, drive_services, services
from hemaops.donations.models import Donation, Drive, ProgramDonorBasis
from hemaops.donors import services as donor_services
from hemaops.donors.models import Donor

DAYS = 180
PLATELET_DONORS = 12
PLATELET_DONORS_WHO_STAY = 5
HOST_ORGANIZATIONS = [
    "Sepulveda Veterans Center",
    "Birmingham High School",
    "Valley Presbyterian Church",
    "Los Angeles Valley College",
    "Panorama Mall",
    "Encino Rotary Club",
]
GIVEN = [
    "Ana", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hector", "Ines", "Jamal", "Keiko", "Luis",
    "Mei", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Ximena",
    "Yusuf", "Zoe", "Aaron", "Bianca", "Carlos", "Dana", "Emil", "Fatima", "Gus", "Hana", "Ivan", "Julia",
]  # fmt: skip
FAMILY = [
    "Reyes", "Kim", "Patel", "Cohen", "Moreno", "Haddad", "Lee", "Garcia", "Silva", "Brooks", "Tanaka",
    "Ortiz", "Chen", "Rahman", "Aziz", "Iyer", "Walsh", "Flores", "Novak", "Karimi", "Singh", "Rossi",
    "Zhou", "Vargas", "Demir", "Murphy", "Levi", "Costa", "Mendoza", "Park", "Berg", "Hassan", "Lund",
    "Sato", "Petrov", "Nunez",
]  # fmt: skip
# Postal codes around the San Fernando Valley, a few farther out (recruitment distances).
POSTAL = [
    ("91403", "Sherman Oaks"), ("91401", "Van Nuys"), ("91405", "Van Nuys"), ("91423", "Sherman Oaks"),
    ("91436", "Encino"), ("91604", "Studio City"), ("91356", "Tarzana"), ("91316", "Encino"),
    ("91411", "Van Nuys"), ("91505", "Burbank"), ("91601", "North Hollywood"), ("91343", "North Hills"),
    ("93065", "Simi Valley"), ("91324", "Northridge"), ("90049", "Los Angeles"), ("92101", "San Diego"),
]  # fmt: skip
# ABO/RhD frequencies of US donors, roughly (O+ 37 %, A+ 33 %, B+ 9 %, O− 7 %, A− 6 %, AB+ 3 %…).
BLOOD_GROUPS = [("O", "pos")] * 37 + [("A", "pos")] * 33 + [("B", "pos")] * 9 + [("O", "neg")] * 7
BLOOD_GROUPS += [("A", "neg")] * 6 + [("AB", "pos")] * 3 + [("B", "neg")] * 2 + [("AB", "neg")] * 1
VITALS = {
    "weight_kg": 74,
    "temperature_c": 36.7,
    "systolic_mm_hg": 122,
    "diastolic_mm_hg": 78,
    "pulse_bpm": 70,
    "pulse_regular": True,
    "hemoglobin_g_dl": 14.1,
    "hemoglobin_sample": "fingerstick",
    "phlebotomy_site_ok": True,
    "injection_drug_signs": False,
    "platelet_count_k_per_ul": 245,
}
RATES = {"platelets": "50.00", "plasma": "30.00", "whole_blood": "25.00"}
VOLUME_ML = {"whole_blood": 500, "platelets": 300, "plasma": 650}


@dataclass(frozen=True)
class Plan:
    today: date
    start: date
    conversion: date


def _plan() -> Plan:
    today = timezone.localdate()
    month = today.replace(day=1)
    for _ in range(3):
        month = (month - timedelta(days=1)).replace(day=1)
    return Plan(today, today - timedelta(days=DAYS), month)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment at the Los Angeles sites (UTC−8/−7); 17:00 UTC is mid-morning there."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _donors(rng: random.Random, count: int, first: int, program: Program | None, kind: str) -> list[Donor]:
    donors = []
    for index in range(first, first + count):
        given, family = GIVEN[index % len(GIVEN)], FAMILY[(index * 7) % len(FAMILY)]
        born = date(1960 + (index * 3) % 40, 1 + index % 12, 1 + (index * 5) % 28)
        postal, city = POSTAL[index % len(POSTAL)]
        donor = donor_services.donor_register(
            actor=None,
            details=donor_services.DonorDetails(
                family_name=family,
                given_name=given,
                date_of_birth=born,
                sex="F" if index % 2 else "M",
                phone=f"(818) 555-{2000 + index:04d}",
                email=f"{given.lower()}.{family.lower()}{index}@example.org",
                address_line=f"{100 + index * 13} Demo St",
                city=city,
                region="CA",
                postal_code=postal,
                address_confirmed_on=date(2024, 11, 1),
            ),
            donor_type=kind,
            program=program,
            not_a_duplicate=True,
            occurred_at=_at(date(2024, 11, 1), 17),
        )
        abo, rhd = rng.choice(BLOOD_GROUPS)
        donor_services.donor_blood_group_record(
            actor=None, donor=donor, abo=abo, rhd=rhd, recorded_on=date(2024, 11, 8)
        )
        donors.append(donor)
    return donors


def _give(
    *,
    donor: Donor,
    site: Site,
    day: date,
    hour: int,
    procedure: str,
    phlebotomist: User,
    rng: random.Random,
    drive: Drive | None = None,
) -> bool:
    """Screen and, if the engine allows it, collect; True when a unit was collected."""
    low_hemoglobin = rng.random() < 0.06
    vitals = {**VITALS, "hemoglobin_g_dl": 11.9 if low_hemoglobin else round(rng.uniform(13.0, 16.2), 1)}
    moment = _at(day, hour, rng.choice((0, 10, 20, 30, 40, 50)))
    screening = services.screening_record(
        actor=None,
        donor=donor,
        site=site,
        procedure=procedure,
        vitals=vitals,
        occurred_at=moment,
        drive=drive,
    )
    if not screening.collection_allowed:
        return False
    din = services.din_generate(actor=None, site=site, year=f"{day:%y}").issued
    minutes = {"whole_blood": 10, "platelets": 75, "plasma": 45}[procedure]
    services.donation_record(
        actor=None,
        phlebotomist=phlebotomist,
        screening=screening,
        din=din,
        procedure=procedure,
        started_at=moment + timedelta(minutes=15),
        ended_at=moment + timedelta(minutes=15 + minutes),
        volume_ml=VOLUME_ML[procedure] - (0 if rng.random() > 0.05 else 120),
        bag_lot=f"LOT-{day:%y%m}-{procedure[:2].upper()}",
        outcome="complete",
    )
    return True


def _set_up_programs(plan: Plan, fixed: Program, mobile: Program) -> None:
    if not ProgramDonorBasis.objects.filter(program=mobile).exists():
        compensation_services.program_donor_basis_set(
            actor=None,
            program=mobile,
            basis="paid",
            effective_from=date(2024, 1, 1),
            reason="paid mobile donors",
        )
        compensation_services.program_donor_basis_set(
            actor=None,
            program=mobile,
            basis="volunteer",
            effective_from=date(2025, 7, 1),
            reason="mobile program converted to volunteer donors",
        )
    if ProgramDonorBasis.objects.filter(program=fixed).exists():
        return
    compensation_services.program_donor_basis_set(
        actor=None,
        program=fixed,
        basis="paid",
        effective_from=date(2025, 1, 1),
        reason="paid apheresis donors",
    )
    for procedure, amount in RATES.items():
        compensation_services.compensation_rate_set(
            actor=None, program=fixed, procedure=procedure, amount=amount, effective_from=date(2025, 1, 1)
        )


def _convert(plan: Plan, fixed: Program) -> None:
    """After the paid units before it are on record (a conversion cannot rewrite them)."""
    compensation_services.program_donor_basis_set(
        actor=None,
        program=fixed,
        basis="volunteer",
        effective_from=plan.conversion,
        reason="Sherman Oaks Donor Center converts to volunteer donors",
    )


def _weekdays(start: date, end: date) -> list[date]:
    return [
        start + timedelta(days=n)
        for n in range((end - start).days + 1)
        if (start + timedelta(days=n)).weekday() < 5
    ]


@transaction.atomic
def load() -> None:
    fixed = Program.objects.filter(code="ca-fixed").first()
    if fixed is None or Donation.objects.filter(program=fixed).exists():
        return
    fixed_site = Site.objects.get(code="sherman-oaks")
    bus = Site.objects.get(code="mobile-1")
    mobile = Program.objects.get(code="ca-mobile")
    phlebotomist = User.objects.get(username="phlebotomist")
    rng = random.Random(2026)  # noqa: S311 - a repeatable demo history, not a secret
    plan = _plan()
    _set_up_programs(plan, fixed, mobile)
    platelet_donors = _donors(rng, PLATELET_DONORS, 0, fixed, "paid")
    whole_blood_donors = _donors(rng, 8, PLATELET_DONORS, fixed, "volunteer")
    mobile_donors = _donors(rng, 16, PLATELET_DONORS + 8, mobile, "volunteer")

    visits: list[tuple[date, int, Donor, str]] = []  # day, hour, donor, procedure
    # Platelets: every 14 days while paid; after the conversion only some stay, every 21 days.
    for number, donor in enumerate(platelet_donors):
        day = plan.start + timedelta(days=number)
        while day < plan.conversion:
            visits.append((day, 16 + number % 4, donor, "platelets"))
            day += timedelta(days=14)
        day = plan.conversion + timedelta(days=number + 2)
        while number < PLATELET_DONORS_WHO_STAY and day < plan.today:
            visits.append((day, 16 + number % 4, donor, "platelets"))
            day += timedelta(days=21)
    # Whole blood at the donor center: every 70 days or so.
    for number, donor in enumerate(whole_blood_donors):
        day = plan.start + timedelta(days=3 + number * 4)
        while day < plan.today:
            visits.append((day, 17, donor, "whole_blood"))
            day += timedelta(days=70 + rng.randint(0, 10))
    converted = False
    for day, hour, donor, procedure in sorted(visits, key=lambda visit: (visit[0], visit[1], visit[2].pk)):
        if day >= plan.conversion and not converted:
            _convert(plan, fixed)
            converted = True
        if day.weekday() < 5:
            _give(donor=donor, site=fixed_site, day=day, hour=hour, procedure=procedure,
                  phlebotomist=phlebotomist, rng=rng)  # fmt: skip
    if not converted:
        _convert(plan, fixed)
    # One mobile drive a month; the donor groups alternate so each has 8 weeks between gifts.
    drive_days = [
        day for day in _weekdays(plan.start, plan.today - timedelta(days=1)) if day.weekday() == 5 - 2
    ]
    for number, day in enumerate(drive_days[::4]):
        drive = drive_services.drive_create(
            actor=None,
            host_organization=HOST_ORGANIZATIONS[number % len(HOST_ORGANIZATIONS)],
            site=bus,
            place="Van Nuys, CA 91405",
            program=mobile,
            day=day,
            starts=time(9),
            ends=time(15),
            goals={"whole_blood": 10},
            notes="Demo drive",
            occurred_at=_at(day - timedelta(days=30), 17),
        )
        group = mobile_donors[0:8] if number % 2 == 0 else mobile_donors[8:16]
        for position, donor in enumerate(group):
            _give(donor=donor, site=bus, day=day, hour=17 + position // 3, procedure="whole_blood",
                  phlebotomist=phlebotomist, rng=rng, drive=drive)  # fmt: skip
        for status in ("confirmed", "held"):
            drive_services.drive_status_change(
                actor=None, drive=drive, status=status, reason=f"drive {status}"
            )
