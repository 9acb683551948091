"""Blood Groups [ABO and RhD], Data Structure 002 ``=%ggre`` (ST-001 §2.4.2, Tables 4–6)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemaops.isbt128.blood_group import (
    REFERENCE_CODES,
    BloodGroupCode,
    IntendedUse,
    Kell,
    RhD,
    format_blood_group,
    parse_blood_group,
    parse_blood_group_content,
    phenotype,
)
from hemaops.isbt128.errors import Isbt128Error

NEG, POS, NS = RhD.NEGATIVE, RhD.POSITIVE, RhD.NOT_SPECIFIED
DEFAULT = IntendedUse.DEFAULT
DIRECTED = IntendedUse.DIRECTED_ONLY
EMERGENCY = IntendedUse.EMERGENCY_ONLY
AUTOLOGOUS = IntendedUse.AUTOLOGOUS_ONLY

# domain-reference §3.5, the Table 4 codes it gives.
TABLE_4 = [
    ("95", "O", NEG, DEFAULT),
    ("91", "O", NEG, DIRECTED),
    ("92", "O", NEG, EMERGENCY),
    ("97", "O", NEG, AUTOLOGOUS),
    ("51", "O", POS, DEFAULT),
    ("47", "O", POS, DIRECTED),
    ("48", "O", POS, EMERGENCY),
    ("53", "O", POS, AUTOLOGOUS),
    ("06", "A", NEG, DEFAULT),
    ("02", "A", NEG, DIRECTED),
    ("03", "A", NEG, EMERGENCY),
    ("08", "A", NEG, AUTOLOGOUS),
    ("62", "A", POS, DEFAULT),
    ("58", "A", POS, DIRECTED),
    ("59", "A", POS, EMERGENCY),
    ("64", "A", POS, AUTOLOGOUS),
    ("17", "B", NEG, DEFAULT),
    ("13", "B", NEG, DIRECTED),
    ("14", "B", NEG, EMERGENCY),
    ("19", "B", NEG, AUTOLOGOUS),
    ("73", "B", POS, DEFAULT),
    ("69", "B", POS, DIRECTED),
    ("70", "B", POS, EMERGENCY),
    ("75", "B", POS, AUTOLOGOUS),
    ("28", "AB", NEG, DEFAULT),
    ("24", "AB", NEG, DIRECTED),
    ("25", "AB", NEG, EMERGENCY),
    ("30", "AB", NEG, AUTOLOGOUS),
    ("84", "AB", POS, DEFAULT),
    ("80", "AB", POS, DIRECTED),
    ("81", "AB", POS, EMERGENCY),
    ("86", "AB", POS, AUTOLOGOUS),
    ("55", "O", NS, DEFAULT),
    ("66", "A", NS, DEFAULT),
    ("77", "B", NS, DEFAULT),
    ("88", "AB", NS, DEFAULT),
    ("P2", "O", NS, DIRECTED),
    ("A2", "A", NS, DIRECTED),
    ("B2", "B", NS, DIRECTED),
    ("C2", "AB", NS, DIRECTED),
]
# domain-reference §3.5, Table 5 special messages.
TABLE_5 = [
    ("00", "no ABO or Rh information"),
    ("Ma", "autologous"),
    ("Mb", "biohazardous"),
    ("Md", "discard"),
    ("Mf", "for fractionation only"),
    ("Mq", "quarantine/hold"),
    ("Mr", "research only"),
    ("Mx", "not for transfusion based on test results"),
    *[(f"T{n}", f"tissue products only (special message T{n})") for n in range(1, 7)],
]


def test_published_example_6200_is_a_rhd_positive_with_no_phenotype_information():
    # ST-001 §2.2: =%6200 = A RhD positive, no C/c/E/e/K/Mi^a information.
    group = parse_blood_group("=%6200")
    assert (group.abo, group.rhd, group.meaning.intended_use) == ("A", RhD.POSITIVE, IntendedUse.DEFAULT)
    assert group.phenotype.kell is Kell.NO_INFORMATION
    assert group.phenotype.rh == ""
    assert group.phenotype.mia_mur is None
    assert not group.phenotype.special_testing


@pytest.mark.parametrize(("gg", "abo", "rhd", "use"), TABLE_4)
def test_table_4_codes_give_abo_rhd_and_intended_use(gg, abo, rhd, use):
    group = parse_blood_group(f"=%{gg}00")
    assert group.meaning == BloodGroupCode(abo, rhd, use)
    assert group.meaning.special_message is None


@pytest.mark.parametrize(("gg", "message"), TABLE_5)
def test_table_5_special_messages_carry_no_blood_group(gg, message):
    group = parse_blood_group(f"=%{gg}00")
    assert (group.abo, group.rhd, group.meaning.special_message) == (None, None, message)


def test_the_shipped_table_is_exactly_the_reference_subset():
    assert set(REFERENCE_CODES) == {row[0] for row in TABLE_4} | {row[0] for row in TABLE_5}


@pytest.mark.parametrize(
    ("codes", "kell"),
    [
        ("0123456789X", Kell.NO_INFORMATION),
        ("SABCDEFGHIY", Kell.NEGATIVE),
        ("TJKLMNOPQRZ", Kell.POSITIVE),
        ("UVW", None),
    ],
)
def test_table_6_codes_give_the_kell_result(codes, kell):
    assert {phenotype(code).kell for code in codes} == {kell}


def test_every_phenotype_character_has_a_kell_rule():
    assert len(string.digits + string.ascii_uppercase) == 11 + 11 + 11 + 3
    for code in string.digits + string.ascii_uppercase:
        phenotype(code)  # no error


def test_phenotype_f_is_k_negative_c_negative_c_positive_e_positive_e_negative():
    assert phenotype("F").kell is Kell.NEGATIVE
    assert phenotype("F").rh == "C-c+E+e-"


@pytest.mark.parametrize("code", ["0", "S", "T"])
def test_phenotypes_0_s_and_t_carry_no_rh_information(code):
    assert phenotype(code).rh == ""


def test_rh_rows_not_in_the_reference_are_not_decoded_unless_a_table_is_loaded():
    assert phenotype("1").rh is None
    assert phenotype("1", {"1": "C-c+E-e+"}).rh == "C-c+E-e+"


def test_u_and_v_are_mia_mur_negative_and_positive_and_w_means_scan_special_testing():
    assert phenotype("U").mia_mur is False
    assert phenotype("V").mia_mur is True
    assert phenotype("W").special_testing
    assert not phenotype("V").special_testing


def test_a_code_missing_from_the_shipped_table_can_come_from_a_loaded_table():
    with pytest.raises(Isbt128Error) as raised:
        parse_blood_group("=%D600")
    assert (raised.value.code, raised.value.field) == ("unknown_blood_group", "blood_group")
    loaded = {**REFERENCE_CODES, "D6": BloodGroupCode("para-Bombay", RhD.NEGATIVE, IntendedUse.DEFAULT)}
    assert parse_blood_group("=%D600", codes=loaded).abo == "para-Bombay"


@pytest.mark.parametrize(
    ("text", "code", "field"),
    [
        ("6200", "data_identifier", "data_identifier"),
        ("=<6200", "data_identifier", "data_identifier"),
        ("=%620", "length", "input"),
        ("=%62000", "length", "input"),
        ("=%6-00", "invalid_blood_group", "blood_group"),
        ("=%ZZ00", "unknown_blood_group", "blood_group"),
        ("=%62a0", "invalid_phenotype", "phenotype"),
        ("=%6201", "invalid_reserved", "reserved"),
    ],
)
def test_malformed_blood_groups_give_their_error_code_and_field(text, code, field):
    with pytest.raises(Isbt128Error) as raised:
        parse_blood_group(text)
    assert (raised.value.code, raised.value.field) == (code, field)


@settings(max_examples=300)
@given(st.sampled_from(sorted(REFERENCE_CODES)), st.sampled_from(string.digits + string.ascii_uppercase))
def test_parse_of_format_gives_the_blood_group_back(gg, r):
    group = parse_blood_group_content(f"{gg}{r}0")
    assert parse_blood_group(format_blood_group(group)) == group
    assert format_blood_group(group) == f"=%{gg}{r}0"
