"""Paid or volunteer: what a unit is, and what its label and ISBT 128 product code must say.

Pure functions; the services give them the program's basis on the day of the donation.

Sources:
- 21 CFR 606.121(c)(5): the container label carries the donor classification statement,
  "paid donor" or "volunteer donor". A paid donor is one who receives monetary payment
  for the donation (21 CFR 606.121(c)(5); FDA compliance policy 7134.02).
- ISBT 128 ST-001 Table 7 (RT008), collection type, the 7th character of the product code:
  V volunteer allogeneic, P paid allogeneic, S volunteer source, s paid source, D volunteer
  directed (eligible for crossover), d paid directed (crossover), 1 autologous use only
  (domain-reference.md §3.4).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


class Basis(enum.StrEnum):
    PAID = "paid"
    VOLUNTEER = "volunteer"


class Classification(enum.StrEnum):
    PAID = "paid"
    VOLUNTEER = "volunteer"


# (donation type, procedure is source plasma) → collection type for (volunteer, paid).
_COLLECTION_TYPES: dict[tuple[str, bool], tuple[str, str]] = {
    ("allogeneic", False): ("V", "P"),
    ("allogeneic", True): ("S", "s"),
    ("directed", False): ("D", "d"),
    ("directed", True): ("S", "s"),
}
AUTOLOGOUS_USE_ONLY = "1"
# What each collection type this module gives means (ST-001 Table 7), for labels and pages.
COLLECTION_TYPE_NAMES: dict[str, str] = {
    "V": "volunteer allogeneic",
    "P": "paid allogeneic",
    "S": "volunteer source",
    "s": "paid source",
    "D": "volunteer directed",
    "d": "paid directed",
    AUTOLOGOUS_USE_ONLY: "autologous use only",
}


@dataclass(frozen=True)
class UnitClass:
    classification: Classification
    collection_type: str

    @property
    def paid(self) -> bool:
        return self.classification is Classification.PAID

    @property
    def label_statement(self) -> str:
        """The words the label must carry (21 CFR 606.121(c)(5))."""
        return "PAID DONOR" if self.paid else "VOLUNTEER DONOR"


def unit_class(*, basis: Basis, donation_type: str, procedure: str) -> UnitClass:
    """What a unit is, given whether its program paid donors on the day it was collected.

    An autologous donor gives for their own use and is never compensated by a program: the
    unit is for autologous use only (collection type 1) and volunteer. Every other unit of a
    paid program is paid, because its donor received the program's compensation; after the
    program converts to volunteer donors, the same donor's next unit is volunteer.
    """
    if donation_type == "autologous":
        return UnitClass(Classification.VOLUNTEER, AUTOLOGOUS_USE_ONLY)
    try:
        volunteer_type, paid_type = _COLLECTION_TYPES[(donation_type, procedure == "source_plasma")]
    except KeyError:
        raise ValueError(f"unknown donation type {donation_type!r}") from None
    if basis is Basis.PAID:
        return UnitClass(Classification.PAID, paid_type)
    return UnitClass(Classification.VOLUNTEER, volunteer_type)


def basis_on(periods: Iterable[tuple[date, Basis]], day: date) -> Basis:
    """The basis in force on ``day`` from (effective_from, basis) rows; a program with no row
    in force is a volunteer program (paying donors is the exception a program opts into)."""
    current = Basis.VOLUNTEER
    for effective_from, basis in sorted(periods):
        if effective_from <= day:
            current = basis
    return current
