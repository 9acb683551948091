"""Property tests (hypothesis) of the laboratory's release decision (hemaops.lab.rules.evaluate).

(1) A required infectious marker with a positive supplemental, a reactive initial test and a
    reactive repeat (two reactive screening tests, 10 NYCRR 58-2.23), or a reactive individual
    NAT makes the donation REACTIVE, never ACCEPTABLE (610.40(h)(1)). 300 examples.
(2) Adding a nonreactive (or negative) result anywhere never turns REACTIVE into anything else.
    300 examples.
(3) ACCEPTABLE implies every required infectious marker NONREACTIVE, typing CONCORDANT with a
    blood type when ABO is required, and the antibody screen answered. 300 examples.
(4) The order of results of different markers does not matter; for the infectious markers
    the order of results at all does not matter. 300 examples each.
(5) REACTIVE exactly when some marker evaluated is repeatedly reactive, NAT reactive or
    confirmed positive. 300 examples.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hemaops.lab.rules import (
    INFECTIOUS,
    METHOD,
    REACTIVE_STATUSES,
    BloodType,
    Marker,
    MarkerStatus,
    Method,
    Panel,
    Reading,
    Result,
    Stage,
    TestingStatus,
    TypingStatus,
    evaluate,
    interpret_nat,
    interpret_serology,
    required_markers,
)

EXAMPLES = 300
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INFECTIOUS_SORTED = sorted(INFECTIOUS)
TYPING_MARKERS = (Marker.ABO, Marker.RHD, Marker.ANTIBODY_SCREEN)
PANEL = Panel(markers=frozenset((INFECTIOUS - {Marker.BABESIA_NAT}) | set(TYPING_MARKERS)))
STAGES = {
    Method.SEROLOGY: (Stage.INITIAL, Stage.REPEAT, Stage.SUPPLEMENTAL),
    Method.NAT: (Stage.POOL, Stage.INDIVIDUAL, Stage.SUPPLEMENTAL),
}
GROUPS = ("A", "B", "AB", "O")
CLEARING = (Reading.NONREACTIVE, Reading.NEGATIVE)

blood_types = st.builds(BloodType, st.sampled_from(GROUPS), st.sampled_from(("pos", "neg")))


@st.composite
def a_result(draw, markers: tuple[Marker, ...]) -> Result:
    """A result of one of ``markers`` at a stage that marker has; now and then any stage at all."""
    marker = draw(st.sampled_from(markers))
    reading = draw(st.sampled_from(Reading))
    if draw(st.integers(0, 9)) == 0:
        return Result(
            marker, draw(st.sampled_from(Stage)), reading, draw(st.sampled_from(("", *GROUPS, "pos")))
        )
    if marker is Marker.ABO:
        stage = draw(st.sampled_from((Stage.FORWARD, Stage.REVERSE)))
        return Result(marker, stage, reading, draw(st.sampled_from((*GROUPS, "A2"))))
    if marker is Marker.RHD:
        value = draw(st.sampled_from(("pos", "neg", "weak_d_pos", "weak_d_neg", "")))
        return Result(marker, Stage.TYPING, reading, value)
    if marker is Marker.ANTIBODY_SCREEN:
        return Result(marker, Stage.TYPING, reading)
    return Result(marker, draw(st.sampled_from(STAGES[METHOD[marker]])), reading)


def clean_results(required: frozenset[Marker], blood_type: BloodType) -> list[Result]:
    results = [
        Result(m, Stage.POOL if METHOD[m] is Method.NAT else Stage.INITIAL, Reading.NONREACTIVE)
        for m in sorted(required & INFECTIOUS)
    ]
    results += [
        Result(Marker.ABO, Stage.FORWARD, Reading.POSITIVE, blood_type.abo),
        Result(Marker.ABO, Stage.REVERSE, Reading.POSITIVE, blood_type.abo),
        Result(Marker.RHD, Stage.TYPING, Reading.POSITIVE, blood_type.rhd),
        Result(Marker.RHD, Stage.TYPING, Reading.NEGATIVE, f"weak_d_{blood_type.rhd}"),
        Result(Marker.ANTIBODY_SCREEN, Stage.TYPING, Reading.NEGATIVE),
    ]
    return results


requireds = st.one_of(
    st.builds(
        lambda procedure, state, qualified: required_markers(
            PANEL, procedure=procedure, collection_state=state, donor_qualified_for_t_cruzi=qualified
        ),
        st.sampled_from(("whole_blood", "platelets", "plasma", "source_plasma")),
        st.sampled_from(("NY", "CA", "DC", "TX")),
        st.booleans(),
    ),
    st.frozensets(st.sampled_from(Marker)),
)


@st.composite
def donations(draw) -> dict:
    """A donation's inputs: often a clean, complete record with a few results of a few markers
    mixed in (so that ACCEPTABLE and REACTIVE both come up), sometimes random results only."""
    required = draw(requireds)
    blood_type = draw(blood_types)
    focus = tuple(draw(st.lists(st.sampled_from(INFECTIOUS_SORTED), min_size=1, max_size=3, unique=True)))
    extra = draw(st.lists(a_result((*focus, *TYPING_MARKERS)), max_size=12))
    base = clean_results(required, blood_type) if draw(st.integers(0, 3)) else []
    results = draw(st.permutations([*base, *extra]))
    return {
        "required": required,
        "results": results,
        "history": draw(st.one_of(st.none(), st.just(blood_type), blood_types)),
        "on_hold": draw(st.integers(0, 4)) == 0,
        "discrepancy_resolved_as": draw(st.one_of(st.none(), st.none(), blood_types)),
    }


def _valid(results, marker, stage):
    return [
        r for r in results if r.marker is marker and r.stage is stage and r.reading is not Reading.INVALID
    ]


def _certainly_reactive(results, marker) -> bool:
    """The oracle of (1), read straight from the sources, not from the rules module."""
    if any(r.reading is Reading.POSITIVE for r in _valid(results, marker, Stage.SUPPLEMENTAL)):
        return True  # 610.40(e): confirmed
    if METHOD[marker] is Method.SEROLOGY:
        initial = any(r.reading is Reading.REACTIVE for r in _valid(results, marker, Stage.INITIAL))
        repeat = any(r.reading is Reading.REACTIVE for r in _valid(results, marker, Stage.REPEAT))
        return initial and repeat  # two reactive screening tests: 58-2.23
    return any(r.reading is Reading.REACTIVE for r in _valid(results, marker, Stage.INDIVIDUAL))


@PROPERTY
@given(donation=donations())
def test_a_reactive_required_marker_is_never_acceptable(donation):
    evaluation = evaluate(**donation)
    reactive = [m for m in donation["required"] & INFECTIOUS if _certainly_reactive(donation["results"], m)]
    if reactive:
        assert evaluation.status is TestingStatus.REACTIVE
        assert set(reactive) <= set(evaluation.reactive_markers)


@PROPERTY
@given(
    donation=donations(),
    extra=a_result(tuple(Marker)),
    clearing=st.sampled_from(CLEARING),
    position=st.integers(min_value=0),
)
def test_adding_a_nonreactive_result_never_undoes_reactive(donation, extra, clearing, position):
    before = evaluate(**donation)
    results = list(donation["results"])
    results.insert(position % (len(results) + 1), Result(extra.marker, extra.stage, clearing, extra.value))
    after = evaluate(**{**donation, "results": results})
    if before.status is TestingStatus.REACTIVE:
        assert after.status is TestingStatus.REACTIVE
        assert set(before.reactive_markers) <= set(after.reactive_markers)


@PROPERTY
@given(donation=donations())
def test_acceptable_means_every_required_answer_is_in(donation):
    evaluation = evaluate(**donation)
    if evaluation.status is not TestingStatus.ACCEPTABLE:
        return
    required = donation["required"]
    assert not donation["on_hold"]
    for marker in required & INFECTIOUS:
        assert evaluation.markers[marker] is MarkerStatus.NONREACTIVE
    # Markers evaluated beyond the required ones answered nonreactive too (610.40(h)(1)).
    assert set(evaluation.markers.values()) <= {MarkerStatus.NONREACTIVE}
    assert evaluation.typing.status is TypingStatus.CONCORDANT
    if Marker.ABO in required:
        assert evaluation.typing.blood_type is not None
    if Marker.ANTIBODY_SCREEN in required:
        assert evaluation.antibody_screen in {"negative", "positive"}
    assert evaluation.reasons == ()


@PROPERTY
@given(donation=donations(), data=st.data())
def test_the_order_of_results_of_different_markers_does_not_matter(donation, data):
    results = donation["results"]
    # Interleave the markers' sequences differently, keeping each marker's own order.
    queues = {m: [r for r in results if r.marker is m] for m in {r.marker for r in results}}
    shuffled: list[Result] = []
    while queues:
        marker = data.draw(st.sampled_from(sorted(queues)))
        shuffled.append(queues[marker].pop(0))
        if not queues[marker]:
            del queues[marker]
    assert evaluate(**{**donation, "results": shuffled}) == evaluate(**donation)


@PROPERTY
@given(donation=donations())
def test_infectious_statuses_do_not_depend_on_the_order_of_results(donation):
    results = donation["results"]
    for marker in INFECTIOUS:
        interpret = interpret_nat if METHOD[marker] is Method.NAT else interpret_serology
        assert interpret(marker, results) is interpret(marker, list(reversed(results)))
        assert interpret(marker, results) is interpret(marker, sorted(results, key=lambda r: r.reading.value))


@PROPERTY
@given(donation=donations())
def test_reactive_exactly_when_a_marker_is_reactive(donation):
    evaluation = evaluate(**donation)
    has_reactive = any(status in REACTIVE_STATUSES for status in evaluation.markers.values())
    assert (evaluation.status is TestingStatus.REACTIVE) == has_reactive
