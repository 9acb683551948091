"""Product Code, Data Structure 003 ``=<αooootds`` (ST-001 §2.4.3, Table 7): structure only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemaops.isbt128.errors import Isbt128Error
from hemaops.isbt128.product_code import (
    COLLECTION_TYPE_MEANINGS,
    CollectionType,
    ProductCategory,
    ProductCode,
    format_product_code,
    parse_product_code,
)

# domain-reference §3.4 example codes (structure only; what they describe is licensed).
EXAMPLES = [
    ("E4306V00", "E4306", ProductCategory.BLOOD_COMPONENT, CollectionType.VOLUNTEER_ALLOGENEIC, None),
    ("E1234V00", "E1234", ProductCategory.BLOOD_COMPONENT, CollectionType.VOLUNTEER_ALLOGENEIC, None),
    ("S12954A0", "S1295", ProductCategory.CELLULAR_THERAPY, CollectionType.DESIGNATED, "A0"),
    ("T1295003", "T1295", ProductCategory.TISSUE, None, "003"),
    ("E0685V00", "E0685", ProductCategory.BLOOD_COMPONENT, CollectionType.VOLUNTEER_ALLOGENEIC, None),
    ("E7650V00", "E7650", ProductCategory.BLOOD_COMPONENT, CollectionType.VOLUNTEER_ALLOGENEIC, None),
]

# domain-reference §3.4, Table 7 (B, H, J as worded in ST-001 Table 7).
TABLE_7 = [
    ("0", "not specified"),
    ("V", "volunteer allogeneic (default)"),
    ("R", "volunteer research"),
    ("S", "volunteer source"),
    ("T", "volunteer therapeutic"),
    ("P", "paid allogeneic"),
    ("r", "paid research"),
    ("s", "paid source"),
    ("A", "autologous, eligible for crossover"),
    ("1", "autologous use only"),
    ("X", "autologous only, biohazard"),
    ("D", "volunteer directed, eligible for crossover"),
    ("d", "paid directed, eligible for crossover"),
    ("2", "directed recipient only"),
    ("L", "directed, limited exposure"),
    ("E", "medical exception"),
    ("Q", "see special testing bar code"),
    ("3", "directed only, biohazard"),
    ("4", "designated"),
    ("5", "dedicated"),
    ("6", "designated, biohazard"),
    ("F", "family reserved"),
    ("C", "replacement"),
    ("7", "allogeneic"),
    ("8", "autologous, containing allogeneic material"),
    ("B", "directed/dedicated/designated collection use only"),
    ("H", "directed/dedicated/designated collection, biohazardous"),
    ("J", "directed/dedicated/designated collection, eligible for crossover"),
    ("G", "emergency use only"),
]


@pytest.mark.parametrize(("text", "pdc", "category", "collection", "division"), EXAMPLES)
def test_published_product_codes_parse_into_their_parts(text, pdc, category, collection, division):
    code = parse_product_code(f"=<{text}")
    assert code.description_code == pdc
    assert code.category is category
    assert code.collection_type is collection
    assert code.division == division


@pytest.mark.parametrize(("t", "meaning"), TABLE_7)
def test_each_collection_type_of_table_7_parses_with_its_meaning(t, meaning):
    code = parse_product_code(f"=<E1234{t}00")
    assert code.collection_type is not None
    assert code.collection_type.value == t
    assert code.collection_type.meaning == meaning


def test_table_7_is_complete_and_case_sensitive():
    assert {t for t, _ in TABLE_7} == {member.value for member in CollectionType}
    assert set(COLLECTION_TYPE_MEANINGS) == set(CollectionType)
    assert CollectionType("P") is CollectionType.PAID_ALLOGENEIC
    assert CollectionType("r") is CollectionType.PAID_RESEARCH
    assert CollectionType("R") is CollectionType.VOLUNTEER_RESEARCH


@pytest.mark.parametrize(
    ("content", "category"),
    [
        ("E1234V00", ProductCategory.BLOOD_COMPONENT),
        ("F1234V00", ProductCategory.BLOOD_COMPONENT),
        ("H1234V00", ProductCategory.MPHO_INN_USAN),
        ("M0001000", ProductCategory.HUMAN_MILK),
        ("M9001000", ProductCategory.TOPICAL),
        ("N0001000", ProductCategory.ORGAN),
        ("P1234V00", ProductCategory.REGENERATED_TISSUE),
        ("R0001000", ProductCategory.REPRODUCTIVE),
        ("S1234V00", ProductCategory.CELLULAR_THERAPY),
        ("T1234000", ProductCategory.TISSUE),
        ("V1234000", ProductCategory.OCULAR),
        ("W0001000", ProductCategory.FECAL_MICROBIOTA),
        ("X0001V00", ProductCategory.PLASMA_DERIVATIVE),
        ("X5000000", ProductCategory.IN_VIVO_DIAGNOSTIC),
        ("YA123V00", ProductCategory.CLINICAL_TRIAL),
        ("YZ999V00", ProductCategory.CLINICAL_TRIAL),
        ("AE134V00", ProductCategory.NATIONAL_OR_LOCAL),
        ("DAX12aBc", ProductCategory.NATIONAL_OR_LOCAL),
    ],
)
def test_the_first_characters_give_the_type_of_product(content, category):
    assert parse_product_code(f"=<{content}").category is category


@pytest.mark.parametrize(
    ("content", "division", "in_032"),
    [
        ("E1234V00", None, False),
        ("E1234VA0", "A0", False),
        ("E1234VBc", "Bc", False),
        ("S1234V99", "99", True),
        ("P1234V99", "99", True),
        ("T1234000", None, False),
        ("T1234012", "012", False),
    ],
)
def test_division_codes(content, division, in_032):
    code = parse_product_code(f"=<{content}")
    assert code.division == division
    assert code.divisions_in_product_divisions is in_032


def test_national_and_local_codes_leave_tds_to_the_code_owner():
    code = parse_product_code("=<DAX12aBc")
    assert (code.collection_type, code.division, code.tds) == (None, None, "aBc")


@pytest.mark.parametrize(
    ("text", "code", "field"),
    [
        ("E4306V00", "data_identifier", "data_identifier"),
        ("=%E4306V00", "data_identifier", "data_identifier"),
        ("=<E4306V0", "length", "input"),
        ("=<E4306V000", "length", "input"),
        ("=<e4306V00", "invalid_product_description_code", "product_description_code"),
        ("=<E43-6V00", "invalid_product_description_code", "product_description_code"),
        ("=<G1234V00", "unknown_product_category", "product_description_code"),
        ("=<Z1234V00", "unknown_product_category", "product_description_code"),
        ("=<M5001000", "unknown_product_category", "product_description_code"),
        ("=<Y1234V00", "unknown_product_category", "product_description_code"),
        ("=<E4306Z00", "invalid_collection_type", "collection_type"),
        ("=<E4306v00", "invalid_collection_type", "collection_type"),
        ("=<E4306V0a", "invalid_division", "division"),
        ("=<E4306Va0", "invalid_division", "division"),
        ("=<E4306VAB", "invalid_division", "division"),
        ("=<E4306V99", "invalid_division", "division"),  # 99 only for S and P
        ("=<T12950A0", "invalid_division", "division"),
        ("=<X5000V00", "invalid_division", "division"),
        ("=<DAX12-bc", "invalid_division", "division"),
    ],
)
def test_malformed_product_codes_give_their_error_code_and_field(text, code, field):
    with pytest.raises(Isbt128Error) as raised:
        parse_product_code(text)
    assert (raised.value.code, raised.value.field) == (code, field)


def test_no_product_description_is_shipped():
    code = parse_product_code("=<E4306V00")
    assert not hasattr(code, "description")


@settings(max_examples=500)
@given(
    st.from_regex(r"[EFHSP][0-9]{4}", fullmatch=True),
    st.sampled_from([member.value for member in CollectionType]),
    st.from_regex(r"00|[A-Z][a-z0]", fullmatch=True),
)
def test_parse_of_format_gives_the_product_code_back(pdc, t, ds):
    code = ProductCode(pdc, f"{t}{ds}")
    assert parse_product_code(format_product_code(code)) == code
