"""``evaluate_din``: one validation case in, one result out."""

from __future__ import annotations

import pytest

from hemaops.isbt128.validation import evaluate_din


def test_a_keyboard_entered_din_gives_its_elements_and_no_flags():
    assert evaluate_din({"id": "c1", "input": "A9999 21 123456 3"}) == {
        "id": "c1",
        "valid": True,
        "din": "A999921123456",
        "facility": "A9999",
        "year": "21",
        "sequence": "123456",
        "check_character": "3",
        "flags": None,
    }


def test_scanned_data_gives_its_flags():
    assert evaluate_din({"id": 7, "input": "=G12341765432170"}) == {
        "id": 7,
        "valid": True,
        "din": "G123417654321",
        "facility": "G1234",
        "year": "17",
        "sequence": "654321",
        "check_character": "A",
        "flags": "70",
    }


def test_year_and_sequence_keep_their_leading_zeros():
    result = evaluate_din({"id": 1, "input": "A9999 09 000001"})
    assert (result["year"], result["sequence"]) == ("09", "000001")


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ({"id": 1}, "missing"),
        ({"id": 1, "input": None}, "missing"),
        ({"id": 1, "input": 999921123456}, "not_text"),
        ({"id": 1, "input": ""}, "empty"),
        ({"id": 1, "input": "A9999 21 123456 4"}, "check_character_mismatch"),
        ({"id": 1, "input": "O9999 21 123456"}, "invalid_facility"),
        ({"id": 1, "input": "=A99992112345697"}, "reserved_flags"),
        ({"id": 1, "input": "=%6200"}, "data_identifier"),
    ],
)
def test_an_invalid_case_gives_an_error_on_the_input_field(case, code):
    result = evaluate_din(case)
    assert result["id"] == 1
    assert result["valid"] is False
    assert result["error"]["code"] == code
    assert result["error"]["field"] == "input"
    assert result["error"]["message"]
    assert set(result) == {"id", "valid", "error"}


def test_a_case_without_an_id_answers_with_a_null_id():
    assert evaluate_din({"input": "A9999 21 123456"})["id"] is None
