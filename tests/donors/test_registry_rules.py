"""Pure rules of the donor registry: donor numbers and the name similarity of duplicates."""

from __future__ import annotations

import pytest

from hemaops.donors.rules import DUPLICATE_NAME_SIMILARITY, donor_number_format, name_normalise, names_match


def test_donor_numbers_are_the_letter_d_and_seven_digits():
    assert donor_number_format(1) == "D0000001"
    assert donor_number_format(1234567) == "D1234567"


def test_donor_numbers_start_at_one():
    with pytest.raises(ValueError, match="start at 1"):
        donor_number_format(0)


def test_names_are_compared_without_case_accents_hyphens_or_apostrophes():
    assert name_normalise("  Núñez-O'Brien ") == "nunez o brien"
    assert name_normalise("GARCÍA") == "garcia"


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        (("Alvarez", "María"), ("ALVAREZ", "maria"), "same_family_and_initial"),
        (("Smith-Jones", "Daniel"), ("Smith Jones", "Dan"), "same_family_and_initial"),
        (("Alvarez", "Maria"), ("Alvares", "Maria"), "similar_name"),
        (("Nguyen", "Thanh"), ("Nguyen", "Tanh"), "same_family_and_initial"),
        (("Kowalski", "Piotr"), ("Kowalsky", "Piotr"), "similar_name"),
    ],
)
def test_similar_names_match(first, second, reason):
    match = names_match(*first, *second)
    assert match.similar
    assert match.reason == reason


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Alvarez", "María"), ("Alvarez", "Lucía")),  # same family, other initial, ratio < 0.8
        (("Nguyen", "Thanh"), ("Johnson", "Emily")),
    ],
)
def test_different_names_do_not_match(first, second):
    match = names_match(*first, *second)
    assert not match.similar
    assert match.ratio < DUPLICATE_NAME_SIMILARITY
