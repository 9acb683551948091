"""The distribution context's pure rules: substitution (checked against ``compatibility`` over
every component and all 8×8 groups), unit picking (FEFO, expiry, attributes, fallback) with
hypothesis properties, return decisions at each limit, and shipping containers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemaops.components.rules.compatibility import (
    ALL_BLOOD_TYPES,
    BloodType,
    Component,
    Result,
    compatibility,
)
from hemaops.distribution.rules import (
    ATTRIBUTES,
    DEFAULT_RETURN_POLICY,
    RETURN_REASONS,
    RHD_CONSIDERED,
    SHIPPING_RANGE,
    Candidate,
    DistributionError,
    Line,
    ReturnFacts,
    ReturnPolicy,
    container_for,
    pick,
    return_decision,
    substitutes,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NONE: frozenset[str] = frozenset()


def bt(text: str) -> BloodType:
    return BloodType.parse(text)


def types(*texts: str) -> list[BloodType]:
    return [bt(text) for text in texts]


def unit(
    unit_id: int,
    blood_type: str,
    hours: float = 48,
    attributes: frozenset[str] = NONE,
    antigens: frozenset[str] = NONE,
) -> Candidate:
    return Candidate(unit_id, bt(blood_type), T0 + timedelta(hours=hours), attributes, antigens)


def line(
    wanted: str,
    quantity: int = 1,
    component: Component = Component.RED_CELLS,
    attributes: frozenset[str] = NONE,
    antigens: frozenset[str] = NONE,
) -> Line:
    return Line(component, bt(wanted), quantity, attributes, antigens)


def ids(picked: list[Candidate]) -> list[int]:
    return [candidate.unit_id for candidate in picked]


# --- substitution: cases ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "wanted", "expected"),
    [
        (Component.RED_CELLS, "O-", ["O-"]),
        (Component.RED_CELLS, "O+", ["O+", "O-"]),
        (Component.RED_CELLS, "A-", ["A-", "O-"]),
        (Component.RED_CELLS, "B+", ["B+", "O+", "B-", "O-"]),
        (Component.RED_CELLS, "AB+", ["AB+", "A+", "B+", "O+", "AB-", "A-", "B-", "O-"]),
        (Component.RED_CELLS, "AB-", ["AB-", "A-", "B-", "O-"]),
        (Component.WHOLE_BLOOD, "A+", ["A+", "A-"]),
        (Component.WHOLE_BLOOD, "A-", ["A-"]),
        (Component.PLASMA, "O+", ["O+", "O-", "A+", "A-", "B+", "B-", "AB+", "AB-"]),
        (Component.PLASMA, "A-", ["A-", "A+", "AB-", "AB+"]),
        (Component.PLASMA, "AB+", ["AB+", "AB-"]),
        (Component.PLASMA, "AB-", ["AB-", "AB+"]),
        (Component.PLATELETS, "A+", ["A+", "A-", "AB+", "AB-", "O+", "O-", "B+", "B-"]),
        (Component.PLATELETS, "O-", ["O-", "A-", "B-", "AB-"]),
        (Component.CRYO, "B-", ["B-", "B+", "AB-", "AB+", "O-", "O+", "A-", "A+"]),
    ],
)
def test_substitutes_in_order_of_preference(component, wanted, expected):
    assert substitutes(component, bt(wanted)) == types(*expected)


def test_o_negative_patient_red_cells_only_o_negative():
    assert substitutes(Component.RED_CELLS, bt("O-")) == types("O-")


def test_rh_flag_adds_rh_positive_last_for_rh_negative_lines():
    assert substitutes(Component.RED_CELLS, bt("A-"), allow_rh_positive_for_negative=True) == types(
        "A-", "O-", "A+", "O+"
    )
    assert substitutes(Component.RED_CELLS, bt("O-"), allow_rh_positive_for_negative=True) == types(
        "O-", "O+"
    )
    assert substitutes(Component.PLATELETS, bt("O-"), allow_rh_positive_for_negative=True)[-4:] == types(
        "O+", "A+", "B+", "AB+"
    )


def test_rh_flag_changes_nothing_for_rh_positive_lines_or_plasma():
    for wanted in ALL_BLOOD_TYPES:
        for component in Component:
            with_flag = substitutes(component, wanted, allow_rh_positive_for_negative=True)
            without = substitutes(component, wanted)
            if wanted.rhd_positive or component not in RHD_CONSIDERED:
                assert with_flag == without


def test_rh_flag_never_lifts_an_abo_incompatibility():
    assert bt("B+") not in substitutes(Component.RED_CELLS, bt("A-"), allow_rh_positive_for_negative=True)
    assert bt("O+") not in substitutes(Component.WHOLE_BLOOD, bt("A-"), allow_rh_positive_for_negative=True)


# --- substitution: exhaustive agreement with compatibility(...) ---------------------------


@pytest.mark.parametrize("component", list(Component))
@pytest.mark.parametrize("wanted", ALL_BLOOD_TYPES, ids=str)
def test_substitutes_agree_with_compatibility(component, wanted):
    plain = substitutes(component, wanted)
    flagged = substitutes(component, wanted, allow_rh_positive_for_negative=True)
    assert plain[0] == wanted  # identical first, always acceptable
    assert len(set(plain)) == len(plain)
    assert len(set(flagged)) == len(flagged)
    assert flagged[: len(plain)] == plain  # the order only appends, last
    for donor in ALL_BLOOD_TYPES:
        checked = compatibility(component, wanted, donor)
        rhd_step = component in RHD_CONSIDERED and donor.rhd_positive and not wanted.rhd_positive
        acceptable = checked.result is not Result.INCOMPATIBLE
        # without the order: exactly the acceptable types, less the RhD policy
        assert (donor in plain) == (acceptable and not rhd_step)
        # with the order: also RhD steps whose only blocking reason is the RhD one
        blocking = {reason.code for reason in checked.reasons if reason.blocking}
        lifted = rhd_step and blocking <= {"rhd_positive_to_rhd_negative"}
        assert (donor in flagged) == ((acceptable and not rhd_step) or lifted)
        if donor in flagged and donor not in plain:
            assert donor.rhd_positive
            assert not wanted.rhd_positive


# --- pick: cases -----------------------------------------------------------------------------


def test_fefo_within_a_group():
    shelf = [unit(1, "A+", 72), unit(2, "A+", 24), unit(3, "A+", 48)]
    assert ids(pick(line("A+", 2), shelf, T0)) == [2, 3]


def test_fefo_ties_broken_by_unit_id():
    shelf = [unit(9, "A+", 24), unit(4, "A+", 24)]
    assert ids(pick(line("A+", 2), shelf, T0)) == [4, 9]


def test_expired_skipped_at_the_exact_minute():
    shelf = [unit(1, "A+", 0), unit(2, "A+", 1 / 60), unit(3, "A+", -1)]
    assert ids(pick(line("A+", 3), shelf, T0)) == [2]


def test_fallback_to_next_group_only_when_exhausted():
    shelf = [unit(1, "O+", 1), unit(2, "A+", 100), unit(3, "A-", 2)]
    # the O+ unit expires first but A+ is the better group
    assert ids(pick(line("A+", 1), shelf, T0)) == [2]
    assert ids(pick(line("A+", 2), shelf, T0)) == [2, 1]
    assert ids(pick(line("A+", 3), shelf, T0)) == [2, 1, 3]
    assert ids(pick(line("A+", 5), shelf, T0)) == [2, 1, 3]


def test_o_negative_red_cells_never_other_groups():
    shelf = [unit(1, "O+"), unit(2, "A-"), unit(3, "O-", 100)]
    assert ids(pick(line("O-", 3), shelf, T0)) == [3]


def test_rh_flag_in_pick():
    shelf = [unit(1, "A+"), unit(2, "O+"), unit(3, "O-", 100)]
    assert ids(pick(line("A-", 3), shelf, T0)) == [3]
    assert ids(pick(line("A-", 3), shelf, T0, allow_rh_positive_for_negative=True)) == [3, 1, 2]


def test_ab_positive_plasma():
    shelf = [unit(1, "O+"), unit(2, "A+"), unit(3, "AB-", 10), unit(4, "AB+", 20)]
    picked = pick(line("AB+", 3, Component.PLASMA), shelf, T0)
    assert ids(picked) == [4, 3]


def test_attribute_matching():
    irradiated = frozenset({"irradiated"})
    both = frozenset({"irradiated", "cmv_negative"})
    shelf = [unit(1, "A+", 10), unit(2, "A+", 20, irradiated), unit(3, "O+", 5, both)]
    assert ids(pick(line("A+", 3, attributes=irradiated), shelf, T0)) == [2, 3]
    assert ids(pick(line("A+", 3, attributes=both), shelf, T0)) == [3]


def test_antigen_negative_matching():
    need = frozenset({"antigen_negative"})
    shelf = [
        unit(1, "A+", 10, need, frozenset({"K"})),
        unit(2, "A+", 20, need, frozenset({"K", "E"})),
        unit(3, "A+", 5, NONE, frozenset({"K", "E"})),
    ]
    picked = pick(line("A+", 3, attributes=need, antigens=frozenset({"K", "E"})), shelf, T0)
    assert ids(picked) == [2]
    # antigen typing alone also counts when the line names antigens without the attribute
    assert ids(pick(line("A+", 3, antigens=frozenset({"K"})), shelf, T0)) == [3, 1, 2]


def test_duplicate_unit_ids_count_once():
    shelf = [unit(1, "A+", 10), unit(1, "A+", 10)]
    assert ids(pick(line("A+", 2), shelf, T0)) == [1]
    # listed twice with different facts: the unit counts once, at its best rank
    twice = [unit(1, "O+", 5), unit(2, "A+", 10), unit(1, "A+", 20)]
    assert pick(line("A+", 3), twice, T0) == [twice[1], twice[2]]


@pytest.mark.parametrize("quantity", [0, -1])
def test_invalid_quantity(quantity):
    with pytest.raises(DistributionError) as caught:
        pick(line("A+", quantity), [], T0)
    assert (caught.value.code, caught.value.field) == ("invalid_quantity", "quantity")


def test_unknown_attribute_on_line_or_unit():
    with pytest.raises(DistributionError) as caught:
        pick(line("A+", attributes=frozenset({"washed"})), [], T0)
    assert caught.value.code == "unknown_attribute"
    with pytest.raises(DistributionError) as caught:
        pick(line("A+"), [unit(1, "A+", attributes=frozenset({"washed"}))], T0)
    assert caught.value.code == "unknown_attribute"


# --- pick: properties ----------------------------------------------------------------------

blood_types = st.sampled_from(ALL_BLOOD_TYPES)
attribute_sets = st.frozensets(st.sampled_from(ATTRIBUTES), max_size=3)
antigen_sets = st.frozensets(st.sampled_from(("K", "E", "c", "Fya", "Jka")), max_size=3)
candidates = st.builds(
    Candidate,
    unit_id=st.integers(1, 30),
    blood_type=blood_types,
    expires_at=st.integers(-120, 600).map(lambda minutes: T0 + timedelta(minutes=minutes)),
    attributes=attribute_sets,
    antigens_negative=antigen_sets,
)
lines = st.builds(
    Line,
    component=st.sampled_from(list(Component)),
    wanted=blood_types,
    quantity=st.integers(1, 8),
    attributes=st.frozensets(st.sampled_from(ATTRIBUTES), max_size=2),
    antigens_negative=st.frozensets(st.sampled_from(("K", "E", "c", "Fya", "Jka")), max_size=1),
)


def qualifies(the_line: Line, candidate: Candidate, override: bool) -> bool:
    return (
        candidate.expires_at > T0
        and the_line.attributes <= candidate.attributes
        and the_line.antigens_negative <= candidate.antigens_negative
        and candidate.blood_type
        in substitutes(the_line.component, the_line.wanted, allow_rh_positive_for_negative=override)
    )


@settings(max_examples=300, deadline=None)
@given(the_line=lines, shelf=st.lists(candidates, max_size=25), override=st.booleans())
def test_pick_properties(the_line, shelf, override):
    picked = pick(the_line, shelf, T0, allow_rh_positive_for_negative=override)
    order = substitutes(the_line.component, the_line.wanted, allow_rh_positive_for_negative=override)
    assert len(picked) <= the_line.quantity
    assert len({c.unit_id for c in picked}) == len(picked)
    for candidate in picked:
        assert candidate in shelf
        assert candidate.expires_at > T0
        assert the_line.attributes <= candidate.attributes
        assert the_line.antigens_negative <= candidate.antigens_negative
        checked = compatibility(the_line.component, the_line.wanted, candidate.blood_type)
        if override:
            blocking = {reason.code for reason in checked.reasons if reason.blocking}
            assert blocking <= {"rhd_positive_to_rhd_negative"}
        else:
            assert checked.result is not Result.INCOMPATIBLE

    def rank(candidate: Candidate) -> tuple[int, datetime]:
        return (order.index(candidate.blood_type), candidate.expires_at)

    # picked in order: group by group, first expiry first inside a group
    assert [rank(c) for c in picked] == sorted(rank(c) for c in picked)
    picked_ids = {c.unit_id for c in picked}
    skipped = [c for c in shelf if qualifies(the_line, c, override) and c.unit_id not in picked_ids]
    if len(picked) < the_line.quantity:
        assert not skipped  # the shelf ran out: everything that qualified was taken
    elif picked and skipped:
        worst = rank(picked[-1])
        for candidate in skipped:  # nothing better was passed over for something worse
            assert rank(candidate) >= worst


# --- returns -------------------------------------------------------------------------------


def facts(
    product_class: str = "red_cells",
    hours: float = 2,
    validated: bool = True,
    lowest: str | None = "4",
    highest: str | None = "6",
    seal: bool = True,
) -> ReturnFacts:
    return ReturnFacts(
        product_class=product_class,
        shipped_at=T0,
        returned_at=T0 + timedelta(hours=hours),
        container_validated=validated,
        lowest_c=None if lowest is None else Decimal(lowest),
        highest_c=None if highest is None else Decimal(highest),
        seal_intact=seal,
    )


@pytest.mark.parametrize(
    ("case", "reasons"),
    [
        (facts(), []),
        (facts(hours=24), []),
        (facts(hours=24 + 1 / 3600), ["out_too_long"]),
        (facts(lowest="1", highest="10"), []),
        (facts(lowest="0.9"), ["below_range"]),
        (facts(highest="10.1"), ["above_range"]),
        (facts("whole_blood", lowest="1", highest="10"), []),
        (facts("whole_blood", highest="10.5"), ["above_range"]),
        (facts("platelets", lowest="20", highest="24"), []),
        (facts("platelets", lowest="19.9", highest="22"), ["below_range"]),
        (facts("platelets", lowest="22", highest="24.1"), ["above_range"]),
        (facts("plasma", lowest="-40", highest="-18"), []),
        (facts("plasma", lowest="-40", highest="-17.9"), ["above_range"]),
        (facts("cryo", lowest="-30", highest="-18"), []),
        (facts("cryo", lowest="-30", highest="-10"), ["above_range"]),
        (facts(validated=False), ["container_not_validated"]),
        (facts(seal=False), ["seal_broken"]),
        (facts(lowest=None), ["no_temperature_record"]),
        (facts(highest=None), ["no_temperature_record"]),
        (
            facts(hours=30, validated=False, lowest="-1", highest="12", seal=False),
            ["container_not_validated", "out_too_long", "below_range", "above_range", "seal_broken"],
        ),
    ],
)
def test_return_decision(case, reasons):
    decision = return_decision(case)
    assert decision.reasons == reasons
    assert decision.reissue is (not reasons)
    assert set(decision.reasons) <= set(RETURN_REASONS)


def test_return_policy_may_be_narrower():
    policy = ReturnPolicy(
        max_hours_out={"red_cells": 4, "whole_blood": 4, "platelets": 4, "plasma": 4, "cryo": 4},
        temperature_range={**SHIPPING_RANGE, "red_cells": (Decimal(1), Decimal(6))},
    )
    assert return_decision(facts(hours=5), policy).reasons == ["out_too_long"]
    assert return_decision(facts(highest="7"), policy).reasons == ["above_range"]
    assert return_decision(facts(highest="7")).reissue


@pytest.mark.parametrize(
    "ranges",
    [
        {**SHIPPING_RANGE, "red_cells": (Decimal(0), Decimal(10))},
        {**SHIPPING_RANGE, "plasma": (None, Decimal(-10))},
        {**SHIPPING_RANGE, "platelets": (Decimal(20), None)},
        {key: value for key, value in SHIPPING_RANGE.items() if key != "cryo"},
    ],
)
def test_return_policy_cannot_go_below_the_floor(ranges):
    with pytest.raises(DistributionError) as caught:
        ReturnPolicy(temperature_range=ranges)
    assert caught.value.code == "policy_below_floor"


def test_return_policy_hours_must_be_positive():
    with pytest.raises(DistributionError) as caught:
        ReturnPolicy(max_hours_out={**DEFAULT_RETURN_POLICY.max_hours_out, "platelets": 0})
    assert caught.value.code == "invalid_policy"


def test_return_decision_refuses_bad_facts():
    with pytest.raises(DistributionError) as caught:
        return_decision(facts("granulocytes"))
    assert (caught.value.code, caught.value.field) == ("unknown_product_class", "product_class")
    with pytest.raises(DistributionError) as caught:
        return_decision(facts(hours=-1))
    assert caught.value.code == "invalid_times"
    with pytest.raises(DistributionError) as caught:
        return_decision(facts(lowest="8", highest="4"))
    assert caught.value.code == "invalid_temperatures"


# --- shipping containers -------------------------------------------------------------------


def test_shipping_ranges_from_600_15():
    assert {
        "red_cells": (Decimal(1), Decimal(10)),
        "whole_blood": (Decimal(1), Decimal(10)),
        "platelets": (Decimal(20), Decimal(24)),
        "plasma": (None, Decimal(-18)),
        "cryo": (None, Decimal(-18)),
    } == SHIPPING_RANGE


def test_container_for_groups_same_range():
    assert container_for(["plasma", "red_cells", "cryo", "platelets", "whole_blood", "red_cells"]) == [
        ("plasma", "cryo"),
        ("red_cells", "whole_blood"),
        ("platelets",),
    ]
    assert container_for([]) == []
    with pytest.raises(DistributionError) as caught:
        container_for(["granulocytes"])
    assert caught.value.code == "unknown_product_class"
