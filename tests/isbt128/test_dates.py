"""Dates, Data Structures 004–009 (ST-001 §2.4.4–§2.4.9), and convention C3."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemaops.isbt128.dates import DateStructure, IsbtDate, expires_at, format_date, parse_date
from hemaops.isbt128.errors import Isbt128Error

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_published_label_expiry_0180292359_is_29_january_2018_at_23_59():
    # ST-001 Appendix C example label: expiry 29 JAN 2018 encoded 0180292359.
    value = parse_date("&>0180292359")
    assert value == IsbtDate(DateStructure.EXPIRATION_DATE_AND_TIME, date(2018, 1, 29), time(23, 59))
    assert expires_at(value, LOS_ANGELES) == datetime(2018, 1, 29, 23, 59, tzinfo=LOS_ANGELES)


def test_a_date_only_expiry_ends_at_23_59_of_that_day():
    # ST-001 §2.4.5 default 2359; convention C3.
    value = parse_date("=>018029")
    assert value == IsbtDate(DateStructure.EXPIRATION_DATE, date(2018, 1, 29))
    assert expires_at(value, LOS_ANGELES) == datetime(2018, 1, 29, 23, 59, tzinfo=LOS_ANGELES)


def test_expiry_is_in_the_time_zone_given():
    at = expires_at(parse_date("=>018029"), UTC)
    assert at.utcoffset() == timedelta(0)
    assert at.isoformat() == "2018-01-29T23:59:00+00:00"


@pytest.mark.parametrize(
    ("text", "structure", "on", "at"),
    [
        ("=>018029", DateStructure.EXPIRATION_DATE, date(2018, 1, 29), None),
        ("&>0180292359", DateStructure.EXPIRATION_DATE_AND_TIME, date(2018, 1, 29), time(23, 59)),
        ("=*024001", DateStructure.COLLECTION_DATE, date(2024, 1, 1), None),
        ("&*0240600000", DateStructure.COLLECTION_DATE_AND_TIME, date(2024, 2, 29), time(0, 0)),
        ("=}020366", DateStructure.PRODUCTION_DATE, date(2020, 12, 31), None),
        ("&}0991231130", DateStructure.PRODUCTION_DATE_AND_TIME, date(2099, 5, 3), time(11, 30)),
        ("=>000001", DateStructure.EXPIRATION_DATE, date(2000, 1, 1), None),
        ("=>023365", DateStructure.EXPIRATION_DATE, date(2023, 12, 31), None),
    ],
)
def test_dates_parse_by_their_data_identifier(text, structure, on, at):
    assert parse_date(text) == IsbtDate(structure, on, at)


@pytest.mark.parametrize(("structure", "number"), [(s, s.number) for s in DateStructure])
def test_each_date_structure_keeps_its_st_001_number(structure, number):
    assert (
        structure.number
        == {
            "=>": "004",
            "&>": "005",
            "=*": "006",
            "&*": "007",
            "=}": "008",
            "&}": "009",
        }[structure.identifier]
    )


@pytest.mark.parametrize("text", ["=*024001", "&*0240600000", "=}020366"])
def test_only_expiration_dates_have_an_expiry_moment(text):
    with pytest.raises(Isbt128Error) as raised:
        expires_at(parse_date(text), LOS_ANGELES)
    assert raised.value.code == "not_an_expiry"


@pytest.mark.parametrize(
    ("text", "code", "field"),
    [
        ("018029", "data_identifier", "data_identifier"),
        ("=%018029", "data_identifier", "data_identifier"),
        ("=>01802", "length", "input"),
        ("=>0180292359", "length", "input"),  # a time needs &>
        ("&>018029", "length", "input"),
        ("=>01802A", "invalid_date", "date"),
        ("=>01802٣", "invalid_date", "date"),  # a non-ASCII digit
        ("=>018000", "invalid_date", "date"),
        ("=>021366", "invalid_date", "date"),  # 2021 is not a leap year
        ("=>020367", "invalid_date", "date"),
        ("=>118029", "unsupported_century", "date"),
        ("=>918029", "unsupported_century", "date"),
        ("&>0180292400", "invalid_time", "time"),
        ("&>0180292360", "invalid_time", "time"),
    ],
)
def test_malformed_dates_give_their_error_code_and_field(text, code, field):
    with pytest.raises(Isbt128Error) as raised:
        parse_date(text)
    assert (raised.value.code, raised.value.field) == (code, field)


@pytest.mark.parametrize(
    ("structure", "on", "at", "code"),
    [
        (DateStructure.EXPIRATION_DATE, date(2018, 1, 29), time(12, 0), "invalid_time"),
        (DateStructure.EXPIRATION_DATE_AND_TIME, date(2018, 1, 29), None, "invalid_time"),
        (DateStructure.EXPIRATION_DATE, date(2100, 1, 1), None, "unsupported_century"),
        (DateStructure.EXPIRATION_DATE_AND_TIME, date(2018, 1, 29), time(12, 0, 30), "invalid_time"),
    ],
)
def test_an_invalid_date_cannot_be_constructed(structure, on, at, code):
    with pytest.raises(Isbt128Error) as raised:
        IsbtDate(structure, on, at)
    assert raised.value.code == code


@settings(max_examples=500)
@given(
    st.sampled_from(list(DateStructure)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.times().map(lambda t: time(t.hour, t.minute)),
)
def test_parse_of_format_gives_the_date_back(structure, on, at):
    value = IsbtDate(structure, on, at if structure.has_time else None)
    text = format_date(value)
    assert len(text) == 2 + structure.content_length
    assert parse_date(text) == value
