"""ABO/RhD compatibility (domain-reference.md §4), pure: the full 8×8 tables for red cells,
plasma and whole blood written out cell by cell, platelets and cryoprecipitate, the RhD and
childbearing-potential cases, the case parser's errors, and a few invariants."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hemaops.components.compatibility_validation as validation_module
import hemaops.components.rules.compatibility as rules_module
from hemaops.components.compatibility_validation import evaluate_compatibility
from hemaops.components.rules.compatibility import (
    ALL_BLOOD_TYPES,
    Abo,
    BloodType,
    BloodTypeError,
    Component,
    Result,
    compatibility,
)

TYPES = ("O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+")
C, X, W = Result.COMPATIBLE, Result.INCOMPATIBLE, Result.COMPATIBLE_WITH_WARNING
SYMBOL = {"C": C, "X": X, "W": W}


def table(rows: dict[str, str]) -> list[tuple[str, str, Result]]:
    """Rows are recipients, columns donors in the order of TYPES."""
    cells = []
    for recipient, row in rows.items():
        symbols = row.split()
        assert len(symbols) == len(TYPES)
        cells.extend((recipient, donor, SYMBOL[symbol]) for donor, symbol in zip(TYPES, symbols, strict=True))
    assert len(cells) == 64
    return cells


def result(component: Component, recipient: str, donor: str, *, female: bool = False) -> Result:
    return compatibility(
        component,
        BloodType.parse(recipient),
        BloodType.parse(donor),
        recipient_female_of_childbearing_potential=female,
    ).result


def codes(component: Component, recipient: str, donor: str, *, female: bool = False) -> list[str]:
    outcome = compatibility(
        component,
        BloodType.parse(recipient),
        BloodType.parse(donor),
        recipient_female_of_childbearing_potential=female,
    )
    return [reason.code for reason in outcome.reasons]


# §4.1 red cells: the donor's cells must lack the A/B antigens the recipient has antibodies to
# (O to all, AB receives all); RhD-negative recipients receive RhD-negative red cells, and an
# RhD-positive unit to them is INCOMPATIBLE (the emergency override is a person's act, [U]).
#                            donor: O-  O+  A-  A+  B-  B+  AB- AB+
RED_CELLS = table(
    {
        "O-": "                     C   X   X   X   X   X   X   X",  # O: O only; RhD-neg: neg only
        "O+": "                     C   C   X   X   X   X   X   X",  # O: O only
        "A-": "                     C   X   C   X   X   X   X   X",  # A: A, O; RhD-neg: neg only
        "A+": "                     C   C   C   C   X   X   X   X",  # A: A, O
        "B-": "                     C   X   X   X   C   X   X   X",  # B: B, O; RhD-neg: neg only
        "B+": "                     C   C   X   X   C   C   X   X",  # B: B, O
        "AB-": "                    C   X   C   X   C   X   C   X",  # AB: all ABO; RhD-neg: neg only
        "AB+": "                    C   C   C   C   C   C   C   C",  # AB+: universal recipient
    }
)

# §4.2 plasma: the reverse — the donor's plasma must lack antibodies to the recipient's
# antigens (AB plasma to all, O plasma only to O); "RhD is not considered for plasma".
#                            donor: O-  O+  A-  A+  B-  B+  AB- AB+
PLASMA = table(
    {
        "O-": "                     C   C   C   C   C   C   C   C",  # O: O, A, B, AB
        "O+": "                     C   C   C   C   C   C   C   C",
        "A-": "                     X   X   C   C   X   X   C   C",  # A: A, AB
        "A+": "                     X   X   C   C   X   X   C   C",
        "B-": "                     X   X   X   X   C   C   C   C",  # B: B, AB
        "B+": "                     X   X   X   X   C   C   C   C",
        "AB-": "                    X   X   X   X   X   X   C   C",  # AB: AB only
        "AB+": "                    X   X   X   X   X   X   C   C",
    }
)

# §4.3 whole blood: ABO-identical (low-titer group O whole blood [U] not applied); it is red
# cells too, so the §4.1 RhD rule applies.
#                            donor: O-  O+  A-  A+  B-  B+  AB- AB+
WHOLE_BLOOD = table(
    {
        "O-": "                     C   X   X   X   X   X   X   X",
        "O+": "                     C   C   X   X   X   X   X   X",
        "A-": "                     X   X   C   X   X   X   X   X",
        "A+": "                     X   X   C   C   X   X   X   X",
        "B-": "                     X   X   X   X   C   X   X   X",
        "B+": "                     X   X   X   X   C   C   X   X",
        "AB-": "                    X   X   X   X   X   X   C   X",
        "AB+": "                    X   X   X   X   X   X   C   C",
    }
)

# §4.3 platelets [U]: never refused; a warning unless ABO-identical and RhD-safe.
#                            donor: O-  O+  A-  A+  B-  B+  AB- AB+
PLATELETS = table(
    {
        "O-": "                     C   W   W   W   W   W   W   W",
        "O+": "                     C   C   W   W   W   W   W   W",
        "A-": "                     W   W   C   W   W   W   W   W",
        "A+": "                     W   W   C   C   W   W   W   W",
        "B-": "                     W   W   W   W   C   W   W   W",
        "B+": "                     W   W   W   W   C   C   W   W",
        "AB-": "                    W   W   W   W   W   W   C   W",
        "AB+": "                    W   W   W   W   W   W   C   C",
    }
)

# §4.3 cryoprecipitate [U]: all ABO groups acceptable; plasma-incompatible warns; RhD ignored.
#                            donor: O-  O+  A-  A+  B-  B+  AB- AB+
CRYO = table(
    {
        "O-": "                     C   C   C   C   C   C   C   C",
        "O+": "                     C   C   C   C   C   C   C   C",
        "A-": "                     W   W   C   C   W   W   C   C",
        "A+": "                     W   W   C   C   W   W   C   C",
        "B-": "                     W   W   W   W   C   C   C   C",
        "B+": "                     W   W   W   W   C   C   C   C",
        "AB-": "                    W   W   W   W   W   W   C   C",
        "AB+": "                    W   W   W   W   W   W   C   C",
    }
)


@pytest.mark.parametrize(("recipient", "donor", "expected"), RED_CELLS)
def test_red_cells_table(recipient, donor, expected):
    assert result(Component.RED_CELLS, recipient, donor) is expected


@pytest.mark.parametrize(("recipient", "donor", "expected"), PLASMA)
def test_plasma_table(recipient, donor, expected):
    assert result(Component.PLASMA, recipient, donor) is expected


@pytest.mark.parametrize(("recipient", "donor", "expected"), WHOLE_BLOOD)
def test_whole_blood_table(recipient, donor, expected):
    assert result(Component.WHOLE_BLOOD, recipient, donor) is expected


@pytest.mark.parametrize(("recipient", "donor", "expected"), PLATELETS)
def test_platelets_table(recipient, donor, expected):
    assert result(Component.PLATELETS, recipient, donor) is expected


@pytest.mark.parametrize(("recipient", "donor", "expected"), CRYO)
def test_cryo_table(recipient, donor, expected):
    assert result(Component.CRYO, recipient, donor) is expected


# --- Reasons -----------------------------------------------------------------------------------


def test_abo_incompatible_red_cells_say_so_and_name_the_source():
    outcome = compatibility(Component.RED_CELLS, BloodType.parse("O+"), BloodType.parse("A+"))
    assert outcome.result is Result.INCOMPATIBLE
    assert [reason.code for reason in outcome.reasons] == ["abo_incompatible"]
    assert "§4.1" in outcome.reasons[0].source
    assert "group O receives red cells of O" in outcome.reasons[0].message


def test_red_cells_with_both_abo_and_rhd_problems_give_both_reasons():
    assert codes(Component.RED_CELLS, "O-", "A+") == ["abo_incompatible", "rhd_positive_to_rhd_negative"]


def test_rhd_positive_red_cells_to_rhd_negative_male_are_incompatible():
    assert codes(Component.RED_CELLS, "A-", "A+") == ["rhd_positive_to_rhd_negative"]
    assert result(Component.RED_CELLS, "A-", "A+") is Result.INCOMPATIBLE


@pytest.mark.parametrize("component", [Component.RED_CELLS, Component.WHOLE_BLOOD])
def test_rhd_positive_red_cells_to_female_of_childbearing_potential_are_never_compatible(component):
    assert result(component, "O-", "O+", female=True) is Result.INCOMPATIBLE
    assert codes(component, "O-", "O+", female=True) == [
        "rhd_positive_to_rhd_negative",
        "rhd_positive_to_female_of_childbearing_potential",
    ]


def test_the_childbearing_flag_does_not_matter_for_rhd_positive_recipients_or_rhd_negative_units():
    assert result(Component.RED_CELLS, "O+", "O+", female=True) is Result.COMPATIBLE
    assert result(Component.RED_CELLS, "O-", "O-", female=True) is Result.COMPATIBLE
    assert result(Component.PLATELETS, "A+", "A+", female=True) is Result.COMPATIBLE


def test_plasma_ignores_rhd_and_the_childbearing_flag():
    assert result(Component.PLASMA, "A-", "AB+", female=True) is Result.COMPATIBLE


def test_group_a_plasma_to_b_is_incompatible_universal_a_plasma_being_policy():
    # §4.2: group A "universal" plasma is "policy, not a compatibility rule" [U].
    assert codes(Component.PLASMA, "B+", "A+") == ["abo_incompatible"]


def test_group_o_whole_blood_to_a_is_incompatible_low_titer_o_being_unverified():
    assert codes(Component.WHOLE_BLOOD, "A+", "O+") == ["abo_not_identical"]


def test_plasma_incompatible_platelets_warn_of_hemolysis():
    assert codes(Component.PLATELETS, "A+", "O+") == ["platelets_plasma_incompatible"]


def test_abo_non_identical_plasma_compatible_platelets_warn_that_identical_is_preferred():
    assert codes(Component.PLATELETS, "O+", "A+") == ["abo_not_identical"]


def test_rhd_positive_platelets_to_rhd_negative_female_warn_with_rhig():
    outcome = compatibility(
        Component.PLATELETS,
        BloodType.parse("A-"),
        BloodType.parse("A+"),
        recipient_female_of_childbearing_potential=True,
    )
    assert outcome.result is Result.COMPATIBLE_WITH_WARNING
    assert [reason.code for reason in outcome.reasons] == [
        "rhd_positive_to_rhd_negative",
        "rhd_positive_to_female_of_childbearing_potential",
    ]
    assert "RhIG" in outcome.reasons[1].message


def test_cryo_ignores_rhd_and_warns_only_on_plasma_incompatibility():
    assert result(Component.CRYO, "A-", "A+", female=True) is Result.COMPATIBLE
    assert codes(Component.CRYO, "AB+", "O-") == ["cryo_plasma_incompatible"]


# --- Blood types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "abo", "rhd_positive"),
    [
        ("A+", Abo.A, True),
        ("AB-", Abo.AB, False),
        ("O+", Abo.O, True),
        ("B-", Abo.B, False),
        ("A pos", Abo.A, True),
        ("AB neg", Abo.AB, False),
        ("O POS", Abo.O, True),
        ("Bneg", Abo.B, False),
    ],
)
def test_blood_types_parse(text, abo, rhd_positive):
    assert BloodType.parse(text) == BloodType(abo, rhd_positive)


@pytest.mark.parametrize(
    "text", ["C+", "A", "ABO+", "", "a+", "Ab+", "A +", "A+ ", "A  pos", "O−", "A++", "BA+"]
)
def test_malformed_blood_types_are_refused(text):
    with pytest.raises(BloodTypeError):
        BloodType.parse(text)


def test_blood_types_print_as_they_parse():
    assert [str(blood_type) for blood_type in ALL_BLOOD_TYPES] == [
        "O-",
        "O+",
        "A-",
        "A+",
        "B-",
        "B+",
        "AB-",
        "AB+",
    ]


# --- Invariants (hypothesis) -------------------------------------------------------------------

blood_types = st.sampled_from(ALL_BLOOD_TYPES)
flags = st.booleans()


@settings(max_examples=200)
@given(recipient=blood_types, female=flags)
def test_o_negative_red_cells_are_compatible_with_every_recipient(recipient, female):
    outcome = compatibility(
        Component.RED_CELLS,
        recipient,
        BloodType(Abo.O, False),
        recipient_female_of_childbearing_potential=female,
    )
    assert outcome.result is Result.COMPATIBLE
    assert outcome.reasons == ()


@settings(max_examples=200)
@given(recipient=blood_types, rhd_positive=flags, female=flags)
def test_ab_plasma_is_compatible_with_every_recipient(recipient, rhd_positive, female):
    outcome = compatibility(
        Component.PLASMA,
        recipient,
        BloodType(Abo.AB, rhd_positive),
        recipient_female_of_childbearing_potential=female,
    )
    assert outcome.result is Result.COMPATIBLE


@settings(max_examples=300)
@given(recipient=blood_types, donor=blood_types, female=flags)
def test_compatible_whole_blood_implies_compatible_red_cells(recipient, donor, female):
    whole_blood = compatibility(
        Component.WHOLE_BLOOD, recipient, donor, recipient_female_of_childbearing_potential=female
    )
    red_cells = compatibility(
        Component.RED_CELLS, recipient, donor, recipient_female_of_childbearing_potential=female
    )
    if whole_blood.result is Result.COMPATIBLE:
        assert red_cells.result is Result.COMPATIBLE


@settings(max_examples=300)
@given(component=st.sampled_from(Component), recipient=blood_types, donor=blood_types, female=flags)
def test_the_result_agrees_with_the_reasons(component, recipient, donor, female):
    outcome = compatibility(component, recipient, donor, recipient_female_of_childbearing_potential=female)
    blocking = any(reason.blocking for reason in outcome.reasons)
    assert (outcome.result is Result.INCOMPATIBLE) == blocking
    assert (outcome.result is Result.COMPATIBLE) == (outcome.reasons == ())
    assert all(reason.source.startswith("domain-reference.md §4") for reason in outcome.reasons)


# --- The case format ---------------------------------------------------------------------------


def case(**changes: object) -> dict[str, object]:
    document: dict[str, object] = {"id": "c1", "component": "red_cells", "recipient": "A+", "donor": "O-"}
    document.update(changes)
    return document


def test_a_case_gives_result_and_reasons_as_code_and_message():
    assert evaluate_compatibility(case(donor="B+")) == {
        "id": "c1",
        "result": "INCOMPATIBLE",
        "reasons": [
            {
                "code": "abo_incompatible",
                "message": "group B red cells carry antigens the group A recipient has antibodies to "
                "(group A receives red cells of O, A)",
            }
        ],
    }


def test_a_compatible_case_has_no_reasons():
    assert evaluate_compatibility(case()) == {"id": "c1", "result": "COMPATIBLE", "reasons": []}


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"component": "granulocytes"}, "unknown_code", "component"),
        ({"component": 3}, "unknown_code", "component"),
        ({"component": None}, "missing_field", "component"),
        ({"recipient": "C+"}, "malformed_blood_type", "recipient"),
        ({"recipient": "A"}, "malformed_blood_type", "recipient"),
        ({"donor": "ABO+"}, "malformed_blood_type", "donor"),
        ({"donor": 7}, "invalid_type", "donor"),
        ({"donor": None}, "missing_field", "donor"),
        (
            {"recipient_female_of_childbearing_potential": "no"},
            "invalid_type",
            "recipient_female_of_childbearing_potential",
        ),
        (
            {"recipient_female_of_childbearing_potential": 0},
            "invalid_type",
            "recipient_female_of_childbearing_potential",
        ),
        ({"sex": "F"}, "unknown_field", "sex"),
        ({"id": None}, "missing_field", "id"),
        ({"id": True}, "invalid_type", "id"),
    ],
)
def test_a_bad_field_is_an_error_naming_it(changes, code, field):
    output = evaluate_compatibility(case(**changes))
    assert set(output) == {"id", "error"}
    assert output["error"]["code"] == code
    assert output["error"]["field"] == field
    assert output["error"]["message"].startswith(f"{field}:")


def test_a_malformed_blood_type_error_says_what_is_expected():
    assert evaluate_compatibility(case(recipient="C+"))["error"]["message"] == (
        "recipient: 'C+' is not a blood type: expected O, A, B or AB followed by + or - (e.g. 'A+', 'O-')"
    )


def test_a_null_flag_counts_as_absent():
    output = evaluate_compatibility(
        case(recipient="O-", donor="O+", recipient_female_of_childbearing_potential=None)
    )
    assert [reason["code"] for reason in output["reasons"]] == ["rhd_positive_to_rhd_negative"]


# --- Purity ------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [rules_module, validation_module], ids=["rules", "validation"])
def test_the_modules_import_no_django_and_read_no_clock(module):
    source = Path(module.__file__).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith("django"), name
    for call in ("now(", "today(", "time.time("):
        assert call not in source
