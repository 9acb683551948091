"""Demo donors of Pacific Blood Services: volunteers at the fixed site and on the mobile
program, paid donors (one of whom moved to the volunteer program, keeping both periods),
an autologous and a directed donor, consents, and one duplicate registration merged by the
quality officer. Idempotent: a donor already registered (same name and date of birth) is
left alone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import transaction

from hemaops.core.demo import DemoLogins
from hemaops.core.models import Program, User
from hemaops.donors.models import Donor, DonorType
from hemaops.donors.rules import name_normalise
from hemaops.donors.services import (
    DonorDetails,
    donor_consent_give,
    donor_merge,
    donor_register,
    donor_type_change,
)

VOLUNTEER, PAID = DonorType.VOLUNTEER, DonorType.PAID
AUTOLOGOUS, DIRECTED = DonorType.AUTOLOGOUS, DonorType.DIRECTED

# family, given, born, sex, city, postal code, type, program, registered, research consent
DONORS: list[tuple[str, str, date, str, str, str, str, str | None, date, bool]] = [
    (
        "Alvarez",
        "María",
        date(1986, 4, 12),
        "F",
        "Sherman Oaks",
        "91403",
        VOLUNTEER,
        "ca-fixed",
        date(2024, 2, 6),
        True,
    ),
    (
        "Nguyen",
        "Thanh",
        date(1979, 11, 3),
        "M",
        "Van Nuys",
        "91405",
        VOLUNTEER,
        "ca-fixed",
        date(2024, 3, 14),
        False,
    ),
    (
        "Okafor",
        "Chidi",
        date(1992, 7, 21),
        "M",
        "Encino",
        "91436",
        PAID,
        "ca-mobile",
        date(2024, 4, 2),
        False,
    ),
    (
        "Johnson",
        "Emily",
        date(2001, 1, 30),
        "F",
        "Burbank",
        "91502",
        VOLUNTEER,
        "ca-mobile",
        date(2024, 5, 9),
        True,
    ),
    (
        "Kowalski",
        "Piotr",
        date(1968, 9, 8),
        "M",
        "Reseda",
        "91335",
        VOLUNTEER,
        "ca-fixed",
        date(2024, 6, 18),
        False,
    ),
    (
        "Haddad",
        "Layla",
        date(1995, 12, 1),
        "F",
        "Glendale",
        "91203",
        PAID,
        "ca-mobile",
        date(2024, 7, 1),
        False,
    ),
    (
        "Tanaka",
        "Hiroshi",
        date(1958, 5, 17),
        "M",
        "Pasadena",
        "91101",
        VOLUNTEER,
        "ca-fixed",
        date(2024, 8, 22),
        True,
    ),
    (
        "O'Brien",
        "Siobhan",
        date(1989, 3, 9),
        "F",
        "Studio City",
        "91604",
        VOLUNTEER,
        "ca-mobile",
        date(2024, 9, 5),
        False,
    ),
    (
        "Smith-Jones",
        "Daniel",
        date(1975, 10, 27),
        "M",
        "Tarzana",
        "91356",
        AUTOLOGOUS,
        None,
        date(2025, 1, 13),
        False,
    ),
    (
        "Patel",
        "Priya",
        date(1998, 8, 14),
        "F",
        "Northridge",
        "91324",
        DIRECTED,
        None,
        date(2025, 2, 3),
        False,
    ),
    (
        "García",
        "Luis",
        date(1983, 6, 6),
        "M",
        "Canoga Park",
        "91303",
        VOLUNTEER,
        "ca-fixed",
        date(2025, 3, 11),
        True,
    ),
    (
        "Williams",
        "Jordan",
        date(2003, 2, 19),
        "F",
        "Woodland Hills",
        "91364",
        VOLUNTEER,
        "ca-mobile",
        date(2025, 4, 7),
        False,
    ),
    (
        "Petrov",
        "Ivan",
        date(1971, 1, 4),
        "M",
        "North Hollywood",
        "91601",
        PAID,
        "ca-mobile",
        date(2025, 4, 28),
        False,
    ),
    (
        "Brown",
        "Aisha",
        date(1990, 10, 10),
        "F",
        "Sherman Oaks",
        "91423",
        VOLUNTEER,
        "ca-fixed",
        date(2025, 5, 20),
        True,
    ),
]
# Chidi Okafor joined the volunteer program when the mobile program stopped paying.
PAID_TO_VOLUNTEER = ("Okafor", "Chidi", date(2025, 7, 1))
# A second registration of María Alvarez under her married name's spelling, merged.
DUPLICATE = ("Alvarez", "Maria", date(1986, 4, 12), date(2024, 10, 2))


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=UTC)


def _plain(name: str) -> str:
    return name_normalise(name).replace(" ", "")


def _find(family: str, given: str, born: date) -> Donor | None:
    return Donor.objects.filter(family_name=family, given_name=given, date_of_birth=born).first()


@transaction.atomic
def load(logins: DemoLogins) -> None:
    """Register the demo donors (back-dated, as the installation's operator). ``logins`` is
    untouched: the quality officer who merges comes from the core demo."""
    quality_officer = User.objects.filter(username="quality_officer").first()
    programs = {program.code: program for program in Program.objects.all()}
    for index, (family, given, born, sex, city, postal, kind, program, registered, research) in enumerate(
        DONORS
    ):
        if _find(family, given, born) is not None:
            continue
        donor = donor_register(
            actor=None,
            details=DonorDetails(
                family_name=family,
                given_name=given,
                date_of_birth=born,
                sex=sex,
                phone=f"(818) 555-{index + 101:04d}",
                email=f"{_plain(given)}.{_plain(family)}@example.org",
                address_line=f"{1200 + index * 37} Ventura Blvd",
                city=city,
                region="CA",
                postal_code=postal,
                address_confirmed_on=registered,
            ),
            donor_type=kind,
            program=programs.get(program) if program else None,
            not_a_duplicate=True,
            occurred_at=_at(registered),
        )
        donor_consent_give(
            actor=None, donor=donor, kind="donation", given_on=registered, occurred_at=_at(registered)
        )
        if research:
            donor_consent_give(
                actor=None, donor=donor, kind="research", given_on=registered, occurred_at=_at(registered)
            )
    family, given, changed_on = PAID_TO_VOLUNTEER
    moved = Donor.objects.get(family_name=family, given_name=given)
    donor_type_change(
        actor=None,
        donor=moved,
        donor_type=VOLUNTEER,
        program=programs.get("ca-mobile"),
        effective_on=changed_on,
        reason="mobile program converted from paid to volunteer",
        occurred_at=_at(changed_on),
    )
    family, given, born, registered = DUPLICATE
    if _find(family, given, born) is None:
        duplicate = donor_register(
            actor=None,
            details=DonorDetails(
                family_name=family,
                given_name=given,
                date_of_birth=born,
                sex="F",
                city="Sherman Oaks",
                region="CA",
            ),
            program=programs.get("ca-mobile"),
            not_a_duplicate=True,
            occurred_at=_at(registered),
        )
        survivor = _find("Alvarez", "María", born)
        assert survivor is not None  # noqa: S101 - registered above
        donor_merge(
            actor=quality_officer,
            duplicate=duplicate,
            survivor=survivor,
            reason="same person registered twice at a mobile drive (accent dropped)",
        )
