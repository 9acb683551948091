"""Paid or volunteer, case by case (hemaops.donations.rules; 21 CFR 606.121(c)(5), ISBT 128 Table 7)."""

from __future__ import annotations

from datetime import date

import pytest

from hemaops.donations.rules import Basis, Classification, basis_on, unit_class


@pytest.mark.parametrize(
    ("basis", "donation_type", "procedure", "classification", "collection_type", "statement"),
    [
        (Basis.PAID, "allogeneic", "platelets", Classification.PAID, "P", "PAID DONOR"),
        (Basis.VOLUNTEER, "allogeneic", "platelets", Classification.VOLUNTEER, "V", "VOLUNTEER DONOR"),
        (Basis.PAID, "allogeneic", "whole_blood", Classification.PAID, "P", "PAID DONOR"),
        (Basis.PAID, "allogeneic", "source_plasma", Classification.PAID, "s", "PAID DONOR"),
        (Basis.VOLUNTEER, "allogeneic", "source_plasma", Classification.VOLUNTEER, "S", "VOLUNTEER DONOR"),
        (Basis.PAID, "directed", "whole_blood", Classification.PAID, "d", "PAID DONOR"),
        (Basis.VOLUNTEER, "directed", "whole_blood", Classification.VOLUNTEER, "D", "VOLUNTEER DONOR"),
        # An autologous donor is never compensated, even by a paid program.
        (Basis.PAID, "autologous", "whole_blood", Classification.VOLUNTEER, "1", "VOLUNTEER DONOR"),
        (Basis.VOLUNTEER, "autologous", "whole_blood", Classification.VOLUNTEER, "1", "VOLUNTEER DONOR"),
    ],
)
def test_unit_class(basis, donation_type, procedure, classification, collection_type, statement):
    unit = unit_class(basis=basis, donation_type=donation_type, procedure=procedure)
    assert unit.classification is classification
    assert unit.collection_type == collection_type
    assert unit.label_statement == statement
    assert unit.paid is (classification is Classification.PAID)


def test_unknown_donation_type_is_refused():
    with pytest.raises(ValueError, match="unknown donation type"):
        unit_class(basis=Basis.PAID, donation_type="research", procedure="whole_blood")


def test_basis_on_takes_the_row_in_force():
    rows = [(date(2026, 6, 1), Basis.VOLUNTEER), (date(2025, 1, 1), Basis.PAID)]
    assert basis_on(rows, date(2024, 12, 31)) is Basis.VOLUNTEER  # before any row: volunteer
    assert basis_on(rows, date(2025, 1, 1)) is Basis.PAID
    assert basis_on(rows, date(2026, 5, 31)) is Basis.PAID
    assert basis_on(rows, date(2026, 6, 1)) is Basis.VOLUNTEER  # the conversion day is volunteer
    assert basis_on([], date(2026, 6, 1)) is Basis.VOLUNTEER
