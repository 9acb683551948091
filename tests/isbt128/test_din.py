"""The DIN, Data Structure 001 (ST-001 §2.4.1, Table 3, §7.5): parsing, flags, round trips
and the error each malformed input gives."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemaops.isbt128.checksum import ALPHABET
from hemaops.isbt128.din import Din, FlagType, flag_meaning, format_din, parse_din
from hemaops.isbt128.errors import Isbt128Error
from hemaops.isbt128.facility import is_facility_identification_number

from .strategies import dins, free_flags
from .test_checksum import PUBLISHED


def test_eye_readable_din_parses_into_its_elements():
    din = parse_din("A9999 21 123456")
    assert din == Din(facility="A9999", year="21", sequence="123456", flags=None)
    assert din.text == "A999921123456"
    assert din.check_character == "3"
    assert str(din) == "A999921123456"


def test_din_without_spaces_parses_like_the_eye_readable_one():
    assert parse_din("A999921123456") == parse_din("A9999 21 123456")


@pytest.mark.parametrize(("din", "check"), PUBLISHED)
def test_keyboard_entry_of_each_published_din_with_its_check_character_is_accepted(din, check):
    parsed = parse_din(f"{din} {check}")
    assert parsed.text == din.replace(" ", "")
    assert parsed.check_character == check
    assert parsed.flags is None


def test_keyboard_entry_accepts_the_check_character_after_a_din_without_spaces():
    assert parse_din("G123417654321 A") == Din("G1234", "17", "654321")


def test_keyboard_entry_with_the_wrong_check_character_is_refused_without_revealing_the_right_one():
    with pytest.raises(Isbt128Error) as raised:
        parse_din("A9999 21 123456 4")
    assert raised.value.code == "check_character_mismatch"
    assert raised.value.field == "check_character"
    assert "3" not in raised.value.message


MISMATCH_MESSAGE = "the check character does not match the DIN: re-enter the DIN and the boxed character"


@settings(max_examples=500)
@given(dins, st.sampled_from(ALPHABET))
def test_every_wrong_check_character_is_refused_with_the_same_message(din: Din, typed):
    # One fixed message whatever the DIN and the typed character: it cannot leak the right one.
    entry = f"{din.eye_readable} {typed}"
    if typed == din.check_character:
        assert parse_din(entry) == din
    else:
        with pytest.raises(Isbt128Error) as raised:
            parse_din(entry)
        assert raised.value.code == "check_character_mismatch"
        assert raised.value.message == MISMATCH_MESSAGE


def test_worked_example_data_content_with_type_3_flags_parses():
    # ST-001 Appendix A: DIN G1234 17 654321, K = A, flags 70, data content G12341765432170.
    din = parse_din("=G12341765432170")
    assert din == Din("G1234", "17", "654321", "70")
    assert din.check_character == "A"
    assert din.flag_meaning is not None
    assert din.flag_meaning.type is FlagType.TYPE_3


def test_figure_2_din_with_flags_01_is_container_1_of_a_set():
    # ST-001 Figure 2: A9999 21 123456, flags 01, check character 3.
    din = parse_din("=A99992112345601")
    assert (din.facility, din.year, din.sequence, din.flags, din.check_character) == (
        "A9999",
        "21",
        "123456",
        "01",
        "3",
    )
    assert din.flag_meaning == flag_meaning("01")
    assert flag_meaning("01").meaning == "container 1 of a set"


def test_scanned_data_may_end_with_a_line_break():
    assert parse_din("=A99992112345600\r\n").flags == "00"


@pytest.mark.parametrize(
    ("flags", "kind", "meaning"),
    [
        ("00", FlagType.TYPE_1, "flag not used (null value)"),
        ("01", FlagType.TYPE_1, "container 1 of a set"),
        ("04", FlagType.TYPE_1, "container 4 of a set"),
        ("05", FlagType.TYPE_1, "second (or repeated) demand-printed label"),
        ("06", FlagType.TYPE_1, "pilot tube label"),
        ("07", FlagType.TYPE_1, "test tube label"),
        ("08", FlagType.TYPE_1, "donor record label"),
        ("09", FlagType.TYPE_1, "sample tube for NAT testing"),
        ("10", FlagType.TYPE_1, "samples for bacterial testing"),
        ("11", FlagType.TYPE_1, "match with unit label"),
        ("12", FlagType.TYPE_1, "affixed partial label"),
        ("13", FlagType.TYPE_1, "attached label (used with an affixed partial label)"),
        ("14", FlagType.RESERVED, "reserved for future assignment"),
        ("15", FlagType.TYPE_1, "container 5 of a set"),
        ("19", FlagType.TYPE_1, "container 9 of a set"),
        ("97", FlagType.RESERVED, "reserved for future assignment"),
        ("99", FlagType.RESERVED, "reserved for future assignment"),
        ("A1", FlagType.RESERVED, "alphanumeric flags: reserved for future assignment"),
        ("YY", FlagType.RESERVED, "alphanumeric flags: reserved for future assignment"),
    ],
)
def test_flag_values_have_the_meaning_of_table_3(flags, kind, meaning):
    assert flag_meaning(flags).type is kind
    assert flag_meaning(flags).meaning == meaning


@pytest.mark.parametrize(("flags", "kind"), [("20", FlagType.TYPE_2), ("59", FlagType.TYPE_2)])
def test_flags_20_to_59_are_locally_defined(flags, kind):
    assert flag_meaning(flags).type is kind
    assert parse_din(f"=A999921123456{flags}").flags == flags


@pytest.mark.parametrize(("low", "high"), [(60, 96)])
def test_flags_60_to_96_are_type_3(low, high):
    assert {flag_meaning(str(n)).type for n in range(low, high + 1)} == {FlagType.TYPE_3}


@pytest.mark.parametrize("flags", ["0", "001", "I0", "O0", "Q1", "Z0", "a1", "  "])
def test_flags_outside_the_flag_characters_are_invalid(flags):
    with pytest.raises(Isbt128Error) as raised:
        flag_meaning(flags)
    assert (raised.value.code, raised.value.field) == ("invalid_flags", "flags")


def test_din_with_check_flags_carries_60_plus_its_checksum():
    assert Din("G1234", "17", "654321").with_check_flags().flags == "70"


@pytest.mark.parametrize(
    ("text", "code", "field"),
    [
        ("", "empty", "input"),
        ("   ", "empty", "input"),
        ("A9999 21 12345", "length", "input"),
        ("A9999 21 1234567", "length", "input"),
        ("A99992112345600", "length", "input"),  # data content without its '='
        ("A9999 21 12345 6", "format", "input"),  # spaces inside the sequence
        ("A99 9921 123456", "format", "input"),
        ("A9999211234563", "length", "input"),  # check character with no space before it
        ("O9999 21 123456", "invalid_facility", "facility"),  # no letter O
        ("09999 21 123456", "invalid_facility", "facility"),  # no leading zero
        ("a9999 21 123456", "invalid_facility", "facility"),  # letters are capitals
        ("AO999 21 123456", "invalid_facility", "facility"),
        ("A99A9 21 123456", "invalid_facility", "facility"),  # positions 4–5 are digits
        ("A9999 2A 123456", "invalid_year", "year"),
        ("A9999 21 12345X", "invalid_sequence", "sequence"),
        ("A9999 21 123456 a", "invalid_check_character", "check_character"),
        ("A9999 21 123456 #", "invalid_check_character", "check_character"),
        ("A9999 21 123456 4", "check_character_mismatch", "check_character"),
        ("=A9999211234560", "length", "input"),
        ("=A999921123456000", "length", "input"),
        ("=A9999 21 123456 00", "length", "input"),
        ("=O99992112345600", "data_identifier", "data_identifier"),
        ("=099992112345600", "data_identifier", "data_identifier"),
        ("=a99992112345600", "data_identifier", "data_identifier"),
        ("=%6200", "data_identifier", "data_identifier"),
        ("=<E4306V00", "data_identifier", "data_identifier"),
        ("&>0180292359", "data_identifier", "data_identifier"),
        ("=", "data_identifier", "data_identifier"),
        ("=A99992112345614", "reserved_flags", "flags"),
        ("=A99992112345697", "reserved_flags", "flags"),
        ("=A999921123456A0", "reserved_flags", "flags"),
        ("=A999921123456I0", "invalid_flags", "flags"),
        ("=A999921123456a0", "invalid_flags", "flags"),
        ("=A99992112345664", "flags_mismatch", "flags"),  # its Type 3 value is 63
        ("=G12341765432171", "flags_mismatch", "flags"),  # its Type 3 value is 70
    ],
)
def test_malformed_input_gives_its_error_code_and_field(text, code, field):
    with pytest.raises(Isbt128Error) as raised:
        parse_din(text)
    assert (raised.value.code, raised.value.field) == (code, field)
    assert raised.value.message


def test_a_flags_mismatch_does_not_reveal_the_expected_flags():
    with pytest.raises(Isbt128Error) as raised:
        parse_din("=A99992112345664")
    assert "63" not in raised.value.message


def test_a_scan_of_another_bar_code_says_which_it_was():
    with pytest.raises(Isbt128Error, match="Product Code"):
        parse_din("=<E4306V00")


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"facility": "A999"}, "invalid_facility", "facility"),
        ({"year": "2021"}, "invalid_year", "year"),
        ({"sequence": "12345"}, "invalid_sequence", "sequence"),
        ({"sequence": "１２３４５６"}, "invalid_sequence", "sequence"),  # full-width digits
        ({"flags": "98"}, "reserved_flags", "flags"),
        ({"flags": "60"}, "flags_mismatch", "flags"),
    ],
)
def test_an_invalid_din_cannot_be_constructed(fields, code, field):
    with pytest.raises(Isbt128Error) as raised:
        Din(**{"facility": "A9999", "year": "21", "sequence": "123456", **fields})
    assert (raised.value.code, raised.value.field) == (code, field)


def test_the_din_checks_its_facility_like_the_site_model_does():
    # core's Site uses is_facility_identification_number; the DIN applies the same rule.
    assert is_facility_identification_number("W0001")
    assert is_facility_identification_number("AB123")
    assert not is_facility_identification_number("W001")
    assert not is_facility_identification_number("WO001")


def test_formats_of_a_din():
    din = Din("A9999", "21", "123456", "01")
    assert din.eye_readable == "A9999 21 123456"
    assert din.keyboard_entry == "A9999 21 123456 3"
    assert din.data_content == "=A99992112345601"
    assert format_din(din) == "=A99992112345601"
    assert format_din(replace(din, flags=None)) == "A999921123456"
    assert replace(din, flags=None).data_content == "=A99992112345600"


@settings(max_examples=500)
@given(dins, st.one_of(st.none(), free_flags, st.just("type 3")))
def test_parse_of_format_gives_the_din_back(din: Din, flags):
    value = din.with_check_flags() if flags == "type 3" else replace(din, flags=flags)
    assert parse_din(format_din(value)) == value


@settings(max_examples=500)
@given(dins)
def test_eye_readable_and_keyboard_entry_parse_back_to_the_din(din: Din):
    assert parse_din(din.eye_readable) == din
    assert parse_din(din.keyboard_entry) == din
    assert parse_din(din.text) == din
