"""The expiry engine (hemaops.components.rules.dating): pure, one table row per rule, every
boundary (leap day, year end, the minimum-of-parent cap, daylight-saving nights, 72 hours)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemaops.components.rules.dating import (
    Anticoagulant,
    DatingError,
    Event,
    EventKind,
    Product,
    add_months,
    expiry,
    label_shows_time,
)

LA = ZoneInfo("America/Los_Angeles")
A = Anticoagulant
P = Product
K = EventKind


def la(text: str) -> datetime:
    """A local wall-clock time in Los Angeles (never on an ambiguous hour in these tests)."""
    return datetime.fromisoformat(text).replace(tzinfo=LA)


def run(product: Product, anticoagulant: Anticoagulant, collected: str, *events: tuple[EventKind, str], **kw):
    return expiry(
        product=product,
        anticoagulant=anticoagulant,
        collected_at=la(collected),
        events=[Event(kind, la(at)) for kind, at in events],
        zone=LA,
        **kw,
    )


def local(result) -> str:
    return result.expires_at.strftime("%Y-%m-%dT%H:%M")


# (product, anticoagulant, collected, expected expiry, label shows time) — source per row.
BASE = [
    (
        P.WHOLE_BLOOD,
        A.CPD,
        "2026-01-10T09:00",
        "2026-01-31T23:59",
    ),  # 610.53(b) WB CPD 21 d; C1 day 0, C3 23:59
    (P.WHOLE_BLOOD, A.ACD, "2026-01-10T09:00", "2026-01-31T23:59"),  # 610.53(b) WB ACD 21 d
    (P.WHOLE_BLOOD, A.CP2D, "2026-01-10T09:00", "2026-01-31T23:59"),  # 610.53(b) WB CP2D 21 d
    (P.WHOLE_BLOOD, A.CPDA_1, "2026-01-10T09:00", "2026-02-14T23:59"),  # 610.53(b) WB CPDA-1 35 d
    (P.RED_CELLS, A.CPD, "2026-01-10T09:00", "2026-01-31T23:59"),  # 610.53(b) RBC CPD 21 d
    (P.RED_CELLS, A.CPDA_1, "2026-01-10T09:00", "2026-02-14T23:59"),  # 610.53(b) RBC CPDA-1 35 d
    (P.RED_CELLS, A.AS_1, "2026-01-10T09:00", "2026-02-21T23:59"),  # 610.53(b) RBC additive 42 d
    (P.RED_CELLS, A.AS_3, "2026-01-10T09:00", "2026-02-21T23:59"),  # 610.53(b) RBC additive 42 d
    (P.RED_CELLS, A.AS_5, "2026-01-10T09:00", "2026-02-21T23:59"),  # 610.53(b) RBC additive 42 d
    (P.RED_CELLS, A.AS_7, "2026-01-10T09:00", "2026-02-21T23:59"),  # 610.53(b) "…" additive 42 d
    (P.RED_CELLS, A.AS_1, "2026-12-31T08:00", "2027-02-11T23:59"),  # year end: 31 Dec + 42 d
    (P.RED_CELLS, A.AS_1, "2028-02-29T10:00", "2028-04-11T23:59"),  # leap day + 42 d
    (P.RED_CELLS_FROZEN, A.AS_1, "2026-01-10T09:00", "2036-01-10T23:59"),  # 610.53(b) frozen 10 y; C2
    (P.RED_CELLS_FROZEN, A.CPD, "2028-02-29T10:00", "2038-02-28T23:59"),  # C2: 29 Feb + 10 y → 28 Feb
    (P.PLATELETS, A.ACD, "2026-01-10T09:00", "2026-01-15T23:59"),  # 610.53(b) platelets 5 d
    (P.PLATELETS_COLD_STORED, A.ACD, "2026-01-10T09:00", "2026-01-24T23:59"),  # FDA CSP June 2023 14 d
    (P.PLASMA_FFP, A.CPD, "2026-01-10T09:00", "2027-01-10T23:59"),  # 610.53(b) FFP 1 y
    (P.PLASMA_FFP, A.CPD, "2028-02-29T10:00", "2029-02-28T23:59"),  # C2 clamp: leap day + 12 months
    (P.PLASMA_PF24, A.CPD, "2026-01-10T09:00", "2027-01-10T23:59"),  # 610.53(b) PF24 1 y
    (P.PLASMA, A.CPD, "2026-01-10T09:00", "2031-01-10T23:59"),  # 610.53(b) Plasma 5 y
    (P.LIQUID_PLASMA, A.CPD, "2026-01-10T09:00", "2026-02-05T23:59"),  # 610.53(b) WB 21 d + 5 d
    (P.LIQUID_PLASMA, A.CPDA_1, "2026-01-10T09:00", "2026-02-19T23:59"),  # 610.53(b) WB 35 d + 5 d
    (P.CRYO, A.CPD, "2026-12-31T23:30", "2027-12-31T23:59"),  # 610.53(b) cryo 1 y; year end
]


@pytest.mark.parametrize(("product", "anticoagulant", "collected", "expected"), BASE)
def test_the_610_53_table_counts_collection_as_day_0_and_ends_at_23_59(
    product, anticoagulant, collected, expected
):
    result = run(product, anticoagulant, collected)
    assert local(result) == expected
    assert result.label_shows_time is False
    assert result.expires_at.tzinfo is LA


# (product, anticoagulant, collected, events, expected expiry, label shows time) — source per row.
EVENTS = [
    # 610.53(b) irradiated: irradiation + 28 d when sooner than the original 42 d
    (
        P.RED_CELLS,
        A.AS_1,
        "2026-01-10T09:00",
        [(K.IRRADIATED, "2026-01-12T14:00")],
        "2026-02-09T23:59",
        False,
    ),
    # the minimum-of-parent cap: irradiated on day 40 → the original day 42 (C4)
    (P.RED_CELLS, A.AS_1, "2026-01-10T09:00", [(K.IRRADIATED, "2026-02-19T14:00")], "2026-02-21T23:59", True),
    # 610.53(b) open system: washed, 24 h after entering the bag; the hour is on the label
    (P.RED_CELLS, A.AS_3, "2026-01-10T09:00", [(K.WASHED, "2026-01-20T10:15")], "2026-01-21T10:15", True),
    (P.RED_CELLS, A.CPD, "2026-01-10T09:00", [(K.OPENED, "2026-01-20T10:15")], "2026-01-21T10:15", True),
    # washed 3 hours before the original expiry: capped at 23:59 of day 42 (§2.2 cap [U])
    (P.RED_CELLS, A.AS_1, "2026-01-10T09:00", [(K.WASHED, "2026-02-21T21:00")], "2026-02-21T23:59", True),
    # 610.53(b) deglycerolized in a closed system: 14 days after entering the bag (C1 days)
    (
        P.RED_CELLS_DEGLYCEROLIZED,
        A.AS_3,
        "2020-05-01T09:00",
        [(K.DEGLYCEROLIZED_CLOSED, "2026-01-10T08:00")],
        "2026-01-24T23:59",
        False,
    ),
    # 610.53(b) deglycerolized in an open system: 24 h
    (
        P.RED_CELLS_DEGLYCEROLIZED,
        A.AS_3,
        "2020-05-01T09:00",
        [(K.OPENED, "2026-01-10T08:00")],
        "2026-01-11T08:00",
        True,
    ),
    # §2.2 FFP thawed: 24 h [S]
    (P.PLASMA_FFP, A.CPD, "2026-01-10T09:00", [(K.THAWED, "2026-06-01T07:30")], "2026-06-02T07:30", True),
    (P.PLASMA_PF24, A.CPD, "2026-01-10T09:00", [(K.THAWED, "2026-06-01T07:30")], "2026-06-02T07:30", True),
    # §2.2 Thawed Plasma (relabelled): 5 days from thawing [S], day count C1 [U]
    (
        P.PLASMA_FFP,
        A.CPD,
        "2026-01-10T09:00",
        [(K.THAWED_RELABELLED, "2026-06-01T07:30")],
        "2026-06-06T23:59",
        False,
    ),
    # §2.2 cryo thawed: 6 h [S]; pooled open after thawing: 4 h [U]
    (P.CRYO, A.CPD, "2026-01-10T09:00", [(K.THAWED, "2026-06-01T07:30")], "2026-06-01T13:30", True),
    (
        P.CRYO,
        A.CPD,
        "2026-01-10T09:00",
        [(K.THAWED, "2026-06-01T07:30"), (K.POOLED_OPEN, "2026-06-01T08:00")],
        "2026-06-01T12:00",
        True,
    ),
    # pooled 3 h after thawing: the 6-hour thaw limit is sooner than pooling + 4 h (C4)
    (
        P.CRYO,
        A.CPD,
        "2026-01-10T09:00",
        [(K.THAWED, "2026-06-01T07:30"), (K.POOLED_OPEN, "2026-06-01T10:30")],
        "2026-06-01T13:30",
        True,
    ),
    # §2.2 platelets pooled in an open system: 4 h, not beyond the earliest unit [U]
    (P.PLATELETS, A.ACD, "2026-01-10T09:00", [(K.POOLED_OPEN, "2026-01-12T16:00")], "2026-01-12T20:00", True),
    (P.PLATELETS, A.ACD, "2026-01-10T09:00", [(K.POOLED_OPEN, "2026-01-15T22:00")], "2026-01-15T23:59", True),
]


@pytest.mark.parametrize(
    ("product", "anticoagulant", "collected", "events", "expected", "shows_time"), EVENTS
)
def test_processing_events_cap_the_dating(product, anticoagulant, collected, events, expected, shows_time):
    result = run(product, anticoagulant, collected, *events)
    assert local(result) == expected
    assert result.label_shows_time is shows_time


def test_events_are_applied_in_time_order_whatever_the_order_given():
    given_order = run(
        P.CRYO, A.CPD, "2026-01-10T09:00", (K.POOLED_OPEN, "2026-06-01T08:00"), (K.THAWED, "2026-06-01T07:30")
    )
    assert local(given_order) == "2026-06-01T12:00"


@pytest.mark.parametrize(
    ("days", "expected"), [(None, "2026-01-15T23:59"), (5, "2026-01-15T23:59"), (7, "2026-01-17T23:59")]
)
def test_platelet_dating_follows_the_bacterial_risk_control(days, expected):
    # 610.53(b) 5 days [P]; FDA bacterial risk control Dec 2020: 5 or 7 days [S]
    result = run(P.PLATELETS, A.ACD, "2026-01-10T09:00", platelet_dating_days=days)
    assert local(result) == expected
    assert result.rule == ("platelets_5_days" if days is None else f"platelets_{days}_days_bacterial_control")


def test_leap_year_twelve_months_clamps_to_28_february_and_ordinary_years_keep_the_day():
    # C2 [U]
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2028, 2, 29), 48) == date(2032, 2, 29)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_leap_day_collection_plus_days_counts_29_february():
    # C1: 2028-02-28 + 5 days passes 29 Feb
    assert local(run(P.PLATELETS, A.ACD, "2028-02-28T09:00")) == "2028-03-04T23:59"
    assert local(run(P.PLATELETS, A.ACD, "2028-02-29T09:00")) == "2028-03-05T23:59"


# Daylight saving in America/Los_Angeles: 2026-03-08 02:00 → 03:00; 2026-11-01 02:00 → 01:00.
def test_a_24_hour_dating_across_the_spring_forward_night_is_24_elapsed_hours():
    thawed = datetime.fromisoformat("2026-03-07T12:00-08:00")
    result = expiry(
        product=P.PLASMA_FFP,
        anticoagulant=A.CPD,
        collected_at=la("2026-01-10T09:00"),
        events=[Event(K.THAWED, thawed)],
        zone=LA,
    )
    assert local(result) == "2026-03-08T13:00"  # the local clock reads one hour more
    assert result.expires_at - thawed == timedelta(hours=24)
    assert result.expires_at.utcoffset() == timedelta(hours=-7)
    assert result.isbt128 == "&>0260671300"


def test_a_24_hour_dating_across_the_fall_back_night_is_24_elapsed_hours():
    thawed = datetime.fromisoformat("2026-10-31T12:00-07:00")
    result = expiry(
        product=P.PLASMA_FFP,
        anticoagulant=A.CPD,
        collected_at=la("2026-01-10T09:00"),
        events=[Event(K.THAWED, thawed)],
        zone=LA,
    )
    assert local(result) == "2026-11-01T11:00"  # the local clock reads one hour less
    assert result.expires_at.astimezone(UTC) - thawed.astimezone(UTC) == timedelta(hours=24)


def test_a_6_hour_cryo_thawed_in_the_repeated_hour_counts_elapsed_time():
    # 01:30 PDT (first pass) + 6 h = 06:30 PST
    thawed = datetime(2026, 11, 1, 1, 30, tzinfo=LA, fold=0)
    result = expiry(
        product=P.CRYO,
        anticoagulant=A.CPD,
        collected_at=la("2026-01-10T09:00"),
        events=[Event(K.THAWED, thawed)],
        zone=LA,
    )
    assert local(result) == "2026-11-01T06:30"


def test_date_based_dating_ends_at_23_59_local_on_a_daylight_saving_day():
    result = run(P.PLATELETS, A.ACD, "2026-03-03T09:00")
    assert local(result) == "2026-03-08T23:59"
    assert result.expires_at.utcoffset() == timedelta(hours=-7)


def test_collection_date_is_the_local_date_whatever_the_offset_given():
    # 2026-01-11T05:00Z is 2026-01-10 21:00 in Los Angeles: day 0 is the 10th (C1)
    result = expiry(
        product=P.PLATELETS,
        anticoagulant=A.ACD,
        collected_at=datetime(2026, 1, 11, 5, 0, tzinfo=UTC),
        zone=LA,
    )
    assert local(result) == "2026-01-15T23:59"


def test_the_label_hour_boundary_is_72_hours_inclusive():
    # 606.121(c)(4)(i) [P]
    start = la("2026-01-10T00:00")
    assert label_shows_time(start, start + timedelta(hours=72)) is True
    assert label_shows_time(start, start + timedelta(hours=72, minutes=1)) is False
    # through the engine: AS-1 collected 2026-01-01 expires 2026-02-12 23:59
    exactly_72 = run(P.RED_CELLS, A.AS_1, "2026-01-01T09:00", (K.IRRADIATED, "2026-02-09T23:59"))
    just_over = run(P.RED_CELLS, A.AS_1, "2026-01-01T09:00", (K.IRRADIATED, "2026-02-09T23:58"))
    assert local(exactly_72) == local(just_over) == "2026-02-12T23:59"
    assert exactly_72.label_shows_time is True
    assert just_over.label_shows_time is False


def test_isbt128_expiry_is_data_structure_005():
    # ST-001 §2.4.5; c = 0 for 2000–2099 (§3.6); 2026-02-21 is day 052
    assert run(P.RED_CELLS, A.AS_1, "2026-01-10T09:00").isbt128 == "&>0260522359"
    # leap year: 2028-12-31 is day 366
    assert run(P.PLATELETS, A.ACD, "2028-12-26T09:00").isbt128 == "&>0283662359"


# (product, anticoagulant, events, platelet days, code, field) — refused, never guessed.
ERRORS = [
    (
        P.PLASMA_FFP,
        A.CPD,
        [(K.IRRADIATED, "2026-01-11T09:00")],
        None,
        "event_not_applicable",
        "events[0].kind",
    ),
    (P.RED_CELLS, A.AS_1, [(K.THAWED, "2026-01-11T09:00")], None, "event_not_applicable", "events[0].kind"),
    (P.PLASMA, A.CPD, [(K.THAWED, "2026-01-11T09:00")], None, "event_not_applicable", "events[0].kind"),
    (P.PLATELETS, A.ACD, [(K.WASHED, "2026-01-11T09:00")], None, "event_not_applicable", "events[0].kind"),
    (
        P.RED_CELLS,
        A.AS_1,
        [(K.DEGLYCEROLIZED_CLOSED, "2026-01-11T09:00")],
        None,
        "event_not_applicable",
        "events[0].kind",
    ),
    (
        P.PLATELETS_COLD_STORED,
        A.ACD,
        [(K.POOLED_OPEN, "2026-01-11T09:00")],
        None,
        "event_not_applicable",
        "events[0].kind",
    ),
    (P.CRYO, A.CPD, [(K.POOLED_OPEN, "2026-01-11T09:00")], None, "event_order", "events[0].kind"),
    (
        P.PLASMA_FFP,
        A.CPD,
        [(K.THAWED, "2026-01-11T09:00"), (K.THAWED_RELABELLED, "2026-01-11T10:00")],
        None,
        "conflicting_events",
        "events[1].kind",
    ),
    (P.RED_CELLS, A.AS_1, [(K.WASHED, "2026-01-09T09:00")], None, "event_before_collection", "events[0].at"),
    (P.RED_CELLS, A.AS_1, [(K.WASHED, "2026-02-22T00:00")], None, "event_after_expiry", "events[0].at"),
    (P.RED_CELLS_DEGLYCEROLIZED, A.AS_3, [], None, "missing_event", "events"),
    (P.WHOLE_BLOOD, A.AS_1, [], None, "not_applicable", "anticoagulant"),
    (P.LIQUID_PLASMA, A.AS_1, [], None, "not_applicable", "anticoagulant"),
    (P.RED_CELLS, A.AS_1, [], 7, "not_applicable", "platelet_dating_days"),
    (P.PLATELETS_COLD_STORED, A.ACD, [], 5, "not_applicable", "platelet_dating_days"),
    (P.PLATELETS, A.ACD, [], 6, "invalid_value", "platelet_dating_days"),
]


@pytest.mark.parametrize(("product", "anticoagulant", "events", "days", "code", "field"), ERRORS)
def test_an_event_or_value_that_does_not_apply_is_an_error_with_a_code(
    product, anticoagulant, events, days, code, field
):
    with pytest.raises(DatingError) as caught:
        run(product, anticoagulant, "2026-01-10T09:00", *events, platelet_dating_days=days)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_a_naive_time_is_refused():
    with pytest.raises(DatingError) as caught:
        expiry(product=P.PLATELETS, anticoagulant=A.ACD, collected_at=datetime(2026, 1, 10, 9), zone=LA)  # noqa: DTZ001
    assert caught.value.code == "naive_time"


# --- properties ---------------------------------------------------------------------------

_RED_CELL_EVENTS = [K.IRRADIATED, K.WASHED, K.OPENED]
collections = st.datetimes(
    # hypothesis takes naive bounds and attaches the zone itself
    min_value=datetime(2001, 1, 1),  # noqa: DTZ001
    max_value=datetime(2090, 12, 31),  # noqa: DTZ001
    timezones=st.just(LA),
).map(lambda moment: moment.replace(second=0, microsecond=0))
additives = st.sampled_from([A.AS_1, A.AS_3, A.CPD, A.CPDA_1])


@st.composite
def red_cell_cases(draw):
    collected = draw(collections)
    count = draw(st.integers(min_value=0, max_value=3))
    offsets = draw(st.lists(st.integers(min_value=0, max_value=41 * 24 * 60), min_size=count, max_size=count))
    kinds = draw(st.lists(st.sampled_from(_RED_CELL_EVENTS), min_size=count, max_size=count))
    events = [
        Event(kind, (collected.astimezone(UTC) + timedelta(minutes=minutes)))
        for kind, minutes in zip(kinds, offsets, strict=True)
    ]
    return collected, draw(additives), events


def _expiry_or_none(collected, anticoagulant, events):
    try:
        return expiry(
            product=P.RED_CELLS, anticoagulant=anticoagulant, collected_at=collected, events=events, zone=LA
        )
    except DatingError:
        return None


@settings(max_examples=300)
@given(red_cell_cases())
def test_expiry_is_never_after_the_parent_and_an_event_never_extends_it(case):
    # C4 [U]: with 300 examples, each prefix of the events is a parent of the next.
    collected, anticoagulant, events = case
    events = sorted(events, key=lambda event: event.at)
    parent = expiry(product=P.RED_CELLS, anticoagulant=anticoagulant, collected_at=collected, zone=LA)
    previous = parent.expires_at
    for end in range(1, len(events) + 1):
        result = _expiry_or_none(collected, anticoagulant, events[:end])
        if result is None:
            break
        assert result.expires_at.astimezone(UTC) <= previous.astimezone(UTC)
        assert result.expires_at.astimezone(UTC) <= parent.expires_at.astimezone(UTC)
        previous = result.expires_at


@settings(max_examples=200)
@given(collections, st.integers(min_value=0, max_value=24 * 60 * 5))
def test_hour_based_dating_is_exactly_24_elapsed_hours_to_the_minute(collected, minutes):
    # C3: 24 elapsed hours, whatever the night; 200 examples over 2001–2090.
    # Elapsed time is added in UTC: local wall-clock arithmetic drops ``fold`` on the repeated
    # hour of a fall-back night and lands an hour early (hypothesis found 2012-11-04 01:00).
    thawed_utc = (collected.astimezone(UTC) + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    if thawed_utc < collected.astimezone(UTC):  # flooring to the minute must not go before collection
        thawed_utc += timedelta(minutes=1)
    result = expiry(
        product=P.PLASMA_FFP,
        anticoagulant=A.CPD,
        collected_at=collected,
        events=[Event(K.THAWED, thawed_utc)],
        zone=LA,
    )
    assert result.expires_at.astimezone(UTC) - thawed_utc == timedelta(hours=24)
    assert result.label_shows_time is True


def test_the_engine_imports_no_django_and_reads_no_clock():
    # house style §2: rules are pure
    import ast
    from pathlib import Path

    import hemaops.components.rules.dating as module

    source = Path(module.__file__).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert not node.module.startswith("django"), node.module
        if isinstance(node, ast.Import):
            assert all(not alias.name.startswith("django") for alias in node.names)
    for call in ("now(", "today(", "utcnow(", "time.time("):
        assert call not in source


@settings(max_examples=300)
@given(red_cell_cases(), st.sampled_from(_RED_CELL_EVENTS), st.integers(min_value=0, max_value=41 * 24 * 60))
def test_adding_an_event_anywhere_never_extends_the_expiry(case, kind, minutes):
    # C4 [U] and 610.50(a): 300 examples; the extra event may fall before, between or after.
    collected, anticoagulant, events = case
    before = _expiry_or_none(collected, anticoagulant, events)
    extra = Event(kind, collected.astimezone(UTC) + timedelta(minutes=minutes))
    after = _expiry_or_none(collected, anticoagulant, [*events, extra])
    if before is not None and after is not None:
        assert after.expires_at.astimezone(UTC) <= before.expires_at.astimezone(UTC)
