"""ISO/IEC 7064 MOD 37-2 (ST-001 §7.5, Appendix A): the published examples and a brute-force
check of the implementation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemaops.isbt128.checksum import (
    ALPHABET,
    check_character,
    is_valid_check_character,
    mod37_2,
    type_3_flags,
)
from hemaops.isbt128.din import Din
from hemaops.isbt128.errors import Isbt128Error

from .strategies import dins

# domain-reference §3.3: every published example of ST-001 v6.2.2 (DIN, K).
PUBLISHED = [
    ("G1234 17 654321", "A"),
    ("A9999 21 123456", "3"),
    ("W0000 09 123456", "G"),
    ("A9998 18 123456", "N"),
    ("A9998 20 123456", "E"),
    ("A9999 17 123456", "9"),
    ("A9999 17 123654", "Y"),
    ("A9999 17 345628", "*"),
    ("A9999 17 345658", "O"),
    ("A9999 15 000001", "M"),
    ("A9999 18 000001", "8"),
]


def brute_force_check_character(data: str) -> str:
    """An independent reimplementation: try every character and keep the one for which the
    weighted sum over data and check character (check at n = 0, rightmost data character at
    n = 1, weights 2ⁿ) is ≡ 1 (mod 37) — ISO/IEC 7064's validation rule."""
    weighted = sum(ALPHABET.index(character) * 2**n for n, character in enumerate(reversed(data), start=1))
    candidates = [k for k in ALPHABET if (weighted + ALPHABET.index(k)) % 37 == 1]
    assert len(candidates) == 1
    return candidates[0]


@pytest.mark.parametrize(("din", "expected"), PUBLISHED)
def test_published_dins_have_their_published_check_character(din, expected):
    assert check_character(din.replace(" ", "")) == expected


@pytest.mark.parametrize(("din", "expected"), PUBLISHED)
def test_published_check_characters_pass_the_validation_rule(din, expected):
    assert is_valid_check_character(din.replace(" ", ""), expected)


def test_worked_example_of_appendix_a_gives_a_weighted_sum_of_146178_and_flags_70():
    data = "G123417654321"
    weighted = sum(ALPHABET.index(c) * 2**n for n, c in enumerate(reversed(data), start=1))
    assert weighted == 146178
    assert weighted % 37 == 28
    assert mod37_2(data) == 10
    assert check_character(data) == "A"
    assert type_3_flags(data) == "70"


@pytest.mark.parametrize(
    ("din", "flags"),
    [
        ("G123417654321", "70"),
        ("A999921123456", "63"),
        ("W000009123456", "76"),
        ("A999917345628", "96"),  # checksum 36 ('*'): the highest Type 3 value
        ("A999917123456", "69"),
    ],
)
def test_type_3_flags_are_60_plus_the_checksum(din, flags):
    assert type_3_flags(din) == flags


def test_the_value_table_maps_digits_letters_and_star_to_0_through_36():
    assert [ALPHABET.index(c) for c in "09AZ*"] == [0, 9, 10, 35, 36]


@pytest.mark.parametrize("data", ["a999921123456", "A9999-21123456", "A9999*21", ""])
def test_a_check_character_is_refused_on_lower_case_or_other_characters(data):
    with pytest.raises(Isbt128Error) as raised:
        mod37_2(data)
    assert raised.value.code == ("empty" if not data else "invalid_character")
    assert raised.value.field == "input"


@pytest.mark.parametrize("check", ["a", "", "33", "#"])
def test_the_validation_rule_rejects_what_cannot_be_a_check_character(check):
    assert not is_valid_check_character("A999921123456", check)


@settings(max_examples=500)
@given(dins)
def test_check_character_matches_a_brute_force_reimplementation(din: Din):
    assert check_character(din.text) == brute_force_check_character(din.text)
    assert din.check_character == brute_force_check_character(din.text)
    assert type_3_flags(din.text) == str(60 + ALPHABET.index(din.check_character))


@settings(max_examples=500)
@given(dins, st.integers(min_value=0, max_value=12), st.sampled_from(ALPHABET[:-1]))
def test_any_single_character_substitution_changes_the_check_character(din: Din, position, replacement):
    # ISO/IEC 7064 MOD 37-2 detects every single substitution error.
    data = din.text
    if data[position] == replacement:
        return
    changed = data[:position] + replacement + data[position + 1 :]
    assert check_character(changed) != check_character(data)


@settings(max_examples=500)
@given(dins, st.integers(min_value=0, max_value=11))
def test_any_adjacent_transposition_changes_the_check_character(din: Din, position):
    # ISO/IEC 7064 MOD 37-2 detects every transposition of two adjacent different characters.
    data = din.text
    if data[position] == data[position + 1]:
        return
    swapped = data[:position] + data[position + 1] + data[position] + data[position + 2 :]
    assert check_character(swapped) != check_character(data)
