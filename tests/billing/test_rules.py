"""The pure billing rules, case by case at their boundaries, and one property of price_on."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemaops.billing.rules import (
    AGING_BUCKETS,
    Line,
    PriceEntry,
    PricingError,
    aging,
    aging_bucket,
    credit_total,
    due_date,
    invoice_total,
    line_amount,
    price_list_problems,
    price_on,
    surcharge_lines,
)

RBC = "E0336"
JAN1 = date(2025, 1, 1)
JUL1 = date(2025, 7, 1)


def entry(
    price: str,
    start: date = JAN1,
    end: date | None = None,
    classification: str | None = None,
    item: str = RBC,
) -> PriceEntry:
    return PriceEntry(item, classification, start, end, Decimal(price))


# --- price_on ---------------------------------------------------------------------------------

OLD_NEW = [entry("200.00", JAN1, JUL1), entry("215.00", JUL1)]


@pytest.mark.parametrize(
    ("on", "price"),
    [
        (JAN1, "200.00"),  # effective_from is inclusive
        (JUL1 - timedelta(days=1), "200.00"),  # old dates keep the old price
        (JUL1, "215.00"),  # effective_to is exclusive: the new price applies from its date
        (date(2030, 1, 1), "215.00"),  # open ended
    ],
)
def test_price_in_force_on_a_date(on, price):
    assert price_on(OLD_NEW, RBC, on).unit_price == Decimal(price)


def test_no_price_before_the_first_entry_names_item_and_date():
    with pytest.raises(PricingError, match=r"no price for E0336 on 2024-12-31") as caught:
        price_on(OLD_NEW, RBC, date(2024, 12, 31))
    assert (caught.value.code, caught.value.field) == ("no_price", "item_code")


def test_no_price_on_the_exclusive_end_date():
    with pytest.raises(PricingError) as caught:
        price_on([entry("200.00", JAN1, JUL1)], RBC, JUL1)
    assert caught.value.code == "no_price"


def test_no_price_for_an_item_the_contract_lacks():
    with pytest.raises(PricingError, match="E1234") as caught:
        price_on(OLD_NEW, "E1234", JUL1)
    assert caught.value.code == "no_price"


def test_a_classification_specific_price_wins_over_the_generic_one():
    entries = [entry("200.00"), entry("180.00", classification="paid")]
    assert price_on(entries, RBC, JUL1, "paid").unit_price == Decimal("180.00")
    assert price_on(entries, RBC, JUL1, "volunteer").unit_price == Decimal("200.00")
    assert price_on(entries, RBC, JUL1).unit_price == Decimal("200.00")


def test_the_generic_price_applies_when_the_specific_one_is_not_in_force():
    entries = [entry("200.00"), entry("180.00", JUL1, classification="paid")]
    assert price_on(entries, RBC, JUL1 - timedelta(days=1), "paid").unit_price == Decimal("200.00")
    assert price_on(entries, RBC, JUL1, "paid").unit_price == Decimal("180.00")


def test_a_specific_price_alone_does_not_price_an_unclassified_request():
    with pytest.raises(PricingError) as caught:
        price_on([entry("180.00", classification="paid")], RBC, JUL1)
    assert caught.value.code == "no_price"


def test_an_unknown_classification_is_refused_not_priced_as_generic():
    with pytest.raises(PricingError) as caught:
        price_on([entry("200.00")], RBC, JUL1, "Paid")
    assert caught.value.code == "invalid_classification"


@pytest.mark.parametrize("classification", [None, "paid"])
def test_two_prices_of_the_same_specificity_in_force_are_refused(classification):
    entries = [
        entry("200.00", classification=classification),
        entry("210.00", JUL1, classification=classification),
    ]
    assert price_on(entries, RBC, JAN1, classification).unit_price == Decimal("200.00")
    with pytest.raises(PricingError, match="2025-07-01") as caught:
        price_on(entries, RBC, JUL1, classification)
    assert caught.value.code == "overlapping_prices"


def test_overlapping_generic_prices_do_not_matter_when_a_specific_price_wins():
    entries = [entry("200.00"), entry("210.00"), entry("180.00", classification="paid")]
    assert price_on(entries, RBC, JUL1, "paid").unit_price == Decimal("180.00")


# --- price_list_problems ----------------------------------------------------------------------


def codes(entries):
    return [p.code for p in price_list_problems(entries)]


def test_a_clean_price_list_has_no_problems():
    entries = [
        *OLD_NEW,
        entry("180.00", classification="paid"),
        entry("50.00", item="SUR-STAT"),
        entry("50.5", JAN1, JUL1, item="SUR-IRR"),
    ]
    assert price_list_problems(entries) == []


def test_consecutive_periods_do_not_overlap():
    assert codes([entry("1.00", JAN1, JUL1), entry("2.00", JUL1, date(2026, 1, 1))]) == []


@pytest.mark.parametrize(
    ("second_start", "second_end"),
    [
        (JUL1 - timedelta(days=1), None),  # starts one day before the first ends
        (date(2024, 1, 1), date(2025, 1, 2)),  # ends one day after the first starts
        (date(2025, 3, 1), date(2025, 4, 1)),  # inside
        (JAN1, JUL1),  # identical
    ],
)
def test_overlaps_per_item_and_classification(second_start, second_end):
    problems = price_list_problems([entry("1.00", JAN1, JUL1), entry("2.00", second_start, second_end)])
    assert [p.code for p in problems] == ["overlapping_prices"]
    assert problems[0].field == "entries[1].effective_from"


def test_two_open_ended_entries_overlap():
    assert codes([entry("1.00", JAN1), entry("2.00", JUL1)]) == ["overlapping_prices"]


def test_entries_of_different_classifications_or_items_do_not_overlap():
    entries = [
        entry("1.00"),
        entry("2.00", classification="paid"),
        entry("3.00", classification="volunteer"),
        entry("4.00", item="E0001"),
    ]
    assert codes(entries) == []


@pytest.mark.parametrize(
    ("price", "code"),
    [
        ("0", "non_positive_price"),
        ("0.00", "non_positive_price"),
        ("-1.00", "non_positive_price"),
        ("NaN", "non_positive_price"),
        ("1.005", "too_many_decimals"),
        ("1.001", "too_many_decimals"),
    ],
)
def test_bad_prices(price, code):
    problems = price_list_problems([entry(price)])
    assert [p.code for p in problems] == [code]
    assert problems[0].field == "entries[0].unit_price"


def test_more_than_two_written_decimals_of_a_whole_cent_is_accepted():
    assert codes([entry("1.500")]) == []


@pytest.mark.parametrize("end", [JAN1, JAN1 - timedelta(days=1)])
def test_a_period_that_ends_on_or_before_it_starts(end):
    problems = price_list_problems([entry("1.00", JAN1, end)])
    assert [(p.code, p.field) for p in problems] == [("empty_period", "entries[0].effective_to")]


def test_an_unknown_classification_in_the_list():
    assert codes([entry("1.00", classification="Paid")]) == ["invalid_classification"]


def test_all_problems_are_given_at_once():
    entries = [entry("-1.00", JAN1, JAN1), entry("1.001"), entry("2.00")]
    assert codes(entries) == ["non_positive_price", "empty_period", "too_many_decimals", "overlapping_prices"]


# --- invoice arithmetic -----------------------------------------------------------------------


def line(quantity: int, price: str) -> Line:
    return Line(RBC, "Red Blood Cells, Leukocytes Reduced", quantity, Decimal(price))


@pytest.mark.parametrize(
    ("quantity", "price", "amount"),
    [
        (1, "200.00", "200.00"),
        (3, "215.50", "646.50"),
        (1, "10.005", "10.01"),  # half up at .005
        (1, "10.0049", "10.00"),
        (3, "3.335", "10.01"),  # 10.005: rounded once, after multiplying
        (1, "0.005", "0.01"),
        (1, "0", "0.00"),
    ],
)
def test_line_amount(quantity, price, amount):
    result = line_amount(line(quantity, price))
    assert result == Decimal(amount)
    assert str(result) == amount


@pytest.mark.parametrize("quantity", [0, -1])
def test_line_quantity_below_one_is_refused(quantity):
    with pytest.raises(PricingError) as caught:
        line_amount(line(quantity, "200.00"))
    assert (caught.value.code, caught.value.field) == ("invalid_quantity", "quantity")


def test_a_negative_unit_price_is_refused():
    with pytest.raises(PricingError) as caught:
        line_amount(line(1, "-1.00"))
    assert caught.value.code == "negative_price"


def test_invoice_total_is_the_sum_of_rounded_line_amounts():
    lines = [line(1, "0.005"), line(1, "0.005"), line(1, "0.005")]
    # 0.01 × 3, not round(0.015) = 0.02
    assert invoice_total(lines) == Decimal("0.03")


def test_invoice_total_of_nothing_is_zero_to_the_cent():
    assert str(invoice_total([])) == "0.00"


def test_credit_total_is_the_negative_of_the_invoice_total():
    lines = [line(2, "215.50"), line(1, "50.00")]
    assert invoice_total(lines) == Decimal("481.00")
    assert credit_total(lines) == Decimal("-481.00")
    assert str(credit_total([])) == "0.00"


def test_credit_total_refuses_what_the_invoice_refuses():
    with pytest.raises(PricingError):
        credit_total([line(0, "1.00")])


# --- payment terms and aging ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("invoice", "terms", "due"),
    [
        (date(2025, 3, 14), 0, date(2025, 3, 14)),  # day 0 is the invoice date
        (date(2025, 3, 14), 30, date(2025, 4, 13)),
        (date(2024, 2, 28), 1, date(2024, 2, 29)),  # onto the leap day
        (date(2024, 2, 15), 30, date(2024, 3, 16)),  # across the leap day
        (date(2025, 2, 15), 30, date(2025, 3, 17)),  # the same terms in a common year
        (date(2024, 1, 1), 180, date(2024, 6, 29)),
    ],
)
def test_due_date(invoice, terms, due):
    assert due_date(invoice, terms) == due


@pytest.mark.parametrize("terms", [-1, 181])
def test_terms_outside_0_to_180_are_refused(terms):
    with pytest.raises(PricingError) as caught:
        due_date(JAN1, terms)
    assert (caught.value.code, caught.value.field) == ("invalid_terms", "terms_days")


DUE = date(2025, 3, 1)


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [
        (-5, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
        (400, "90+"),
    ],
)
def test_aging_bucket_boundaries(days_past_due, bucket):
    assert aging_bucket(DUE, DUE + timedelta(days=days_past_due)) == bucket


def test_aging_by_hospital_with_every_bucket_present():
    as_of = date(2025, 6, 30)
    items = [
        ("St Mary", date(2025, 6, 30), Decimal("100.00")),
        ("St Mary", date(2025, 6, 29), Decimal("10.00")),
        ("St Mary", date(2025, 5, 31), Decimal("20.00")),
        ("General", date(2025, 3, 31), Decimal("5.50")),
        ("General", date(2025, 3, 31), Decimal("4.50")),
        ("General", date(2025, 4, 1), Decimal("1")),
    ]
    report = aging(items, as_of)
    assert list(report) == ["General", "St Mary"]
    assert report["St Mary"] == {
        "current": Decimal("100.00"),
        "1-30": Decimal("30.00"),
        "31-60": Decimal("0.00"),
        "61-90": Decimal("0.00"),
        "90+": Decimal("0.00"),
    }
    assert report["General"] == {
        "current": Decimal("0.00"),
        "1-30": Decimal("0.00"),
        "31-60": Decimal("0.00"),
        "61-90": Decimal("1.00"),
        "90+": Decimal("10.00"),
    }
    assert all(tuple(buckets) == AGING_BUCKETS for buckets in report.values())
    assert str(report["General"]["31-60"]) == "0.00"
    assert str(report["General"]["61-90"]) == "1.00"


def test_aging_of_nothing_is_empty():
    assert aging([], JAN1) == {}


# --- surcharges -------------------------------------------------------------------------------

SURCHARGES = [
    entry("75.00", item="SUR-STAT"),
    entry("40.00", item="SUR-DELIVERY"),
    entry("25.00", JAN1, JUL1, item="SUR-IRR"),
    entry("27.50", JUL1, item="SUR-IRR"),
]


def test_surcharge_lines_priced_on_the_date():
    lines = surcharge_lines(True, True, 3, SURCHARGES, JUL1)
    assert [(x.item_code, x.quantity, x.unit_price) for x in lines] == [
        ("SUR-STAT", 1, Decimal("75.00")),
        ("SUR-DELIVERY", 1, Decimal("40.00")),
        ("SUR-IRR", 3, Decimal("27.50")),
    ]
    assert invoice_total(lines) == Decimal("197.50")
    assert surcharge_lines(False, False, 2, SURCHARGES, JUL1 - timedelta(days=1)) == [
        Line("SUR-IRR", "Irradiation surcharge", 2, Decimal("25.00"))
    ]


def test_no_surcharges_no_lines_and_no_lookups():
    assert surcharge_lines(False, False, 0, [], JUL1) == []


def test_a_missing_surcharge_price_is_no_price():
    with pytest.raises(PricingError, match="SUR-DELIVERY") as caught:
        surcharge_lines(False, True, 0, SURCHARGES[:1], JUL1)
    assert caught.value.code == "no_price"


def test_a_negative_irradiated_count_is_refused():
    with pytest.raises(PricingError) as caught:
        surcharge_lines(False, False, -1, SURCHARGES, JUL1)
    assert (caught.value.code, caught.value.field) == ("invalid_quantity", "irradiated_units")


# --- property ---------------------------------------------------------------------------------


@settings(max_examples=300)
@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
    lengths=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=8),
    open_ended=st.booleans(),
    data=st.data(),
)
def test_price_on_returns_the_price_of_the_one_period_the_date_falls_in(start, lengths, open_ended, data):
    entries = []
    begin = start
    for i, length in enumerate(lengths):
        end = begin + timedelta(days=length)
        last = i == len(lengths) - 1
        entries.append(entry(f"{i + 1}.00", begin, None if last and open_ended else end))
        begin = end
    assert price_list_problems(entries) == []
    k = data.draw(st.integers(min_value=0, max_value=len(entries) - 1))
    offset = data.draw(st.integers(min_value=0, max_value=lengths[k] - 1))
    on = entries[k].effective_from + timedelta(days=offset)
    shuffled = data.draw(st.permutations(entries))
    assert price_on(shuffled, RBC, on) == entries[k]
    with pytest.raises(PricingError):
        price_on(shuffled, RBC, start - timedelta(days=1))
