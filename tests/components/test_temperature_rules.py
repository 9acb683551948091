"""Storage temperature excursions (hemaops.components.rules.temperature): pure, no database.

None, one that ends, one still open at the last reading, inclusive limits, two separate ones,
one that crosses from above to below; and a property: every out-of-range reading lies in
exactly one excursion window and no in-range reading lies strictly inside one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hemaops.components.rules.temperature import Excursion, excursions

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LOW, HIGH = Decimal(1), Decimal(6)


def series(*values: str) -> list[tuple[datetime, Decimal]]:
    """Readings five minutes apart."""
    return [(at(i), Decimal(v)) for i, v in enumerate(values)]


def at(index: int) -> datetime:
    return T0 + timedelta(minutes=5 * index)


def test_none() -> None:
    assert excursions(series("4", "5", "3"), LOW, HIGH) == []
    assert excursions([], LOW, HIGH) == []


def test_one_that_ends() -> None:
    found = excursions(series("4", "7", "8.5", "7.2", "5", "4"), LOW, HIGH)
    assert found == [Excursion(at(1), at(4), Decimal("8.5"), "above", 3)]


def test_one_open_at_the_end() -> None:
    found = excursions(series("4", "0.5", "-1"), LOW, HIGH)
    assert found == [Excursion(at(1), None, Decimal(-1), "below", 2)]


def test_the_limits_are_in_range() -> None:
    assert excursions(series("1", "6", "1.0", "6.00"), LOW, HIGH) == []
    found = excursions(series("6", "6.01", "6", "0.99", "1"), LOW, HIGH)
    assert found == [
        Excursion(at(1), at(2), Decimal("6.01"), "above", 1),
        Excursion(at(3), at(4), Decimal("0.99"), "below", 1),
    ]


def test_two_separate() -> None:
    found = excursions(series("7", "4", "4", "9", "10", "4"), LOW, HIGH)
    assert found == [
        Excursion(at(0), at(1), Decimal(7), "above", 1),
        Excursion(at(3), at(5), Decimal(10), "above", 2),
    ]


def test_above_then_below_is_one_excursion() -> None:
    # 2 above the maximum, then 3 below the minimum: the farthest decides the direction.
    found = excursions(series("4", "8", "-2", "4"), LOW, HIGH)
    assert found == [Excursion(at(1), at(3), Decimal(-2), "below", 2)]
    found = excursions(series("4", "11", "0", "4"), LOW, HIGH)
    assert found == [Excursion(at(1), at(3), Decimal(11), "above", 2)]


def test_a_freezer_range() -> None:
    found = excursions(series("-25", "-17.5", "-30"), Decimal(-90), Decimal(-18))
    assert found == [Excursion(at(1), at(2), Decimal("-17.5"), "above", 1)]


def test_unsorted_input_is_sorted_by_time() -> None:
    readings = series("4", "8", "9", "4")
    found = excursions(list(reversed(readings)), LOW, HIGH)
    assert found == [Excursion(at(1), at(3), Decimal(9), "above", 2)]


def test_a_minimum_above_the_maximum() -> None:
    with pytest.raises(ValueError, match="above"):
        excursions(series("4"), HIGH, LOW)


temperatures = st.decimals(min_value=-5, max_value=12, places=1, allow_nan=False, allow_infinity=False)


@given(
    st.dictionaries(st.integers(min_value=0, max_value=10_000), temperatures, max_size=60),
    st.decimals(min_value=-2, max_value=4, places=1),
    st.decimals(min_value=0, max_value=8, places=1),
)
def test_every_out_of_range_reading_is_in_exactly_one_window(
    by_minute: dict[int, Decimal], low: Decimal, width: Decimal
) -> None:
    high = low + width
    readings = [(T0 + timedelta(minutes=m), v) for m, v in by_minute.items()]  # unsorted
    found = excursions(readings, low, high)

    def inside(time: datetime, excursion: Excursion) -> bool:
        return excursion.started_at <= time and (excursion.ended_at is None or time < excursion.ended_at)

    def strictly_inside(time: datetime, excursion: Excursion) -> bool:
        return excursion.started_at < time and (excursion.ended_at is None or time < excursion.ended_at)

    out = [(t, v) for t, v in readings if not low <= v <= high]
    for time, _ in out:
        assert sum(inside(time, e) for e in found) == 1
    for time, value in readings:
        if low <= value <= high:
            assert not any(strictly_inside(time, e) for e in found)
    assert sum(e.readings for e in found) == len(out)
    for e in found:
        assert not low <= e.extreme_c <= high
        assert e.direction == ("above" if e.extreme_c > high else "below")
        assert e.ended_at is None or e.started_at < e.ended_at
