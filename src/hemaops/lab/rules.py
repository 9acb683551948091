"""Donation testing: which markers a donation needs, what its results mean, and whether the
donation may be released (DESIGN.md invariant 1, the lab's half). Pure: no Django, no clock.

Sources (domain-reference.md §5):
- 21 CFR 610.40(a): each donation tested for HIV, HBV, HCV, HTLV, syphilis, WNV, Chagas;
  Source Plasma for syphilis under 640.65(b) and exempt from HTLV, WNV and Chagas (and anti-HBc).
  FDA guidance allows T. cruzi testing once per donor (one-time donor qualification).
  FDA guidance (May 2019): Babesia NAT year-round in CT, DE, ME, MD, MA, MN, NH, NJ, NY, PA, RI,
  VT, VA, WI and DC.
- Serology: an initially reactive test is repeated in duplicate; two of three reactive is
  repeatedly reactive (10 NYCRR 58-2.23; manufacturers' instructions). Both duplicates
  nonreactive: negative for that marker.
- NAT: a reactive pool is resolved to the individual donation; a reactive individual donation
  is NAT reactive, no duplicate rule.
- 610.40(h)(1): a repeatedly reactive or NAT reactive donation is not shipped or used.
- ABO/RhD (21 CFR 640.5, 606.121(c)(9)): forward and reverse ABO agree; a donor who types RhD
  negative is tested for weak D and labelled positive when weak D is positive; a returning
  donor's type must match the history; a first-time donor is released on one complete,
  concordant typing (domain-reference.md §5.1 last line; AABB Standards).
- Antibody screen positive: plasma-containing components restricted (the establishment's
  policy, configuration).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final


class Marker(enum.StrEnum):
    ANTI_HIV_1_2 = "anti_hiv_1_2"
    HIV_NAT = "hiv_nat"
    HBSAG = "hbsag"
    ANTI_HBC = "anti_hbc"
    HBV_NAT = "hbv_nat"
    ANTI_HCV = "anti_hcv"
    HCV_NAT = "hcv_nat"
    ANTI_HTLV = "anti_htlv"
    SYPHILIS = "syphilis"
    WNV_NAT = "wnv_nat"
    T_CRUZI = "t_cruzi"
    BABESIA_NAT = "babesia_nat"
    ABO = "abo"
    RHD = "rhd"
    ANTIBODY_SCREEN = "antibody_screen"


class Method(enum.StrEnum):
    SEROLOGY = "serology"
    NAT = "nat"
    TYPING = "typing"


METHOD: Final[dict[Marker, Method]] = {
    **dict.fromkeys(
        (
            Marker.ANTI_HIV_1_2,
            Marker.HBSAG,
            Marker.ANTI_HBC,
            Marker.ANTI_HCV,
            Marker.ANTI_HTLV,
            Marker.SYPHILIS,
            Marker.T_CRUZI,
        ),
        Method.SEROLOGY,
    ),
    **dict.fromkeys(
        (Marker.HIV_NAT, Marker.HBV_NAT, Marker.HCV_NAT, Marker.WNV_NAT, Marker.BABESIA_NAT), Method.NAT
    ),
    Marker.ABO: Method.TYPING,
    Marker.RHD: Method.TYPING,
    Marker.ANTIBODY_SCREEN: Method.TYPING,
}
INFECTIOUS: Final = frozenset(marker for marker, method in METHOD.items() if method is not Method.TYPING)

# Special testing products are ordered by (recorded as attributes of the donation, not
# required for release): CMV antibody, red cell antigens, hemoglobin S, HLA antibodies
# (TRALI risk reduction).
SPECIAL_TESTS: Final = ("cmv_antibody", "hemoglobin_s", "hla_antibody", "red_cell_antigens")
_SPECIAL_READINGS: Final = ("negative", "positive")
# Red cell antigens as typed, e.g. "C+ c+ E- e+ K-": an antigen name then + or -.
RED_CELL_ANTIGENS: Final = frozenset(
    {"C", "c", "E", "e", "K", "k", "Fya", "Fyb", "Jka", "Jkb", "M", "N", "S", "s", "Lea", "Leb", "P1", "D"}
)


def trali_tests_required(*, policy: str, procedure: str, donor_sex: str) -> frozenset[str]:
    """TRALI risk reduction for plasma and apheresis platelets (AABB Standards for Blood Banks
    and Transfusion Services, TRALI mitigation: from males, never-pregnant females, or females
    tested negative for HLA antibodies since their last pregnancy). Under the establishment's
    testing policy a female donor's plasma or platelet donation needs an HLA antibody result.
    Pregnancy history is not on the donor's record yet, so every female donor is tested: the
    stricter reading. Under the other policy nothing is tested here; the components context
    keeps such plasma out of transfusion."""
    if policy == "hla_antibody_testing" and procedure in {"platelets", "plasma"} and donor_sex == "F":
        return frozenset({"hla_antibody"})
    return frozenset()


def special_test_problem(test: str, result: str) -> str | None:
    """Why a special test's result cannot be recorded, or None. CMV antibody, hemoglobin S
    and HLA antibodies read negative or positive; red cell antigens are listed as typed."""
    if test not in SPECIAL_TESTS:
        return f"unknown special test {test!r} (expected one of: {', '.join(SPECIAL_TESTS)})"
    if test != "red_cell_antigens":
        if result not in _SPECIAL_READINGS:
            return f"{test} reads negative or positive, not {result!r}"
        return None
    typed = result.split()
    if not typed:
        return "list the antigens typed, e.g. C+ c+ E- e+ K-"
    for antigen in typed:
        name, sign = antigen[:-1], antigen[-1:]
        if name not in RED_CELL_ANTIGENS or sign not in {"+", "-"}:
            return f"{antigen!r} is not an antigen with + or - (e.g. K-)"
    if len({antigen[:-1] for antigen in typed}) != len(typed):
        return "an antigen is listed twice"
    return None


class Stage(enum.StrEnum):
    """Which test of a marker a result is."""

    INITIAL = "initial"  # serology: the first screening test
    REPEAT = "repeat"  # serology: one of the duplicate repeats of an initially reactive test
    SUPPLEMENTAL = "supplemental"  # a licensed supplemental (confirmatory) test, 610.40(e)
    POOL = "pool"  # NAT: the minipool the donation was tested in
    INDIVIDUAL = "individual"  # NAT: the donation by itself (resolution or individual testing)
    FORWARD = "forward"  # ABO: cells against anti-A, anti-B
    REVERSE = "reverse"  # ABO: plasma against A1 and B cells
    TYPING = "typing"  # RhD (value pos/neg), weak D (value pos/neg), antibody screen


class Reading(enum.StrEnum):
    REACTIVE = "reactive"
    NONREACTIVE = "nonreactive"
    INVALID = "invalid"  # the run failed: the test is done again, the reading counts for nothing
    POSITIVE = "positive"  # supplemental, typing
    NEGATIVE = "negative"
    INDETERMINATE = "indeterminate"


@dataclass(frozen=True, slots=True)
class Result:
    """One final result of one test of one donation. ``value`` carries a typing's answer: an
    ABO group (A, B, AB, O) for forward and reverse, ``pos``/``neg`` for RhD, and for weak D
    the marker RHD with ``value`` ``weak_d_pos``/``weak_d_neg``."""

    marker: Marker
    stage: Stage
    reading: Reading
    value: str = ""


class MarkerStatus(enum.StrEnum):
    PENDING = "pending"  # a required test has no result yet
    REPEAT_NEEDED = "repeat_needed"  # initially reactive: the duplicates are due
    RESOLUTION_NEEDED = "resolution_needed"  # NAT pool reactive: test the donation alone
    NONREACTIVE = "nonreactive"
    REPEATEDLY_REACTIVE = "repeatedly_reactive"
    NAT_REACTIVE = "nat_reactive"
    CONFIRMED_POSITIVE = "confirmed_positive"


REACTIVE_STATUSES: Final = frozenset(
    {MarkerStatus.REPEATEDLY_REACTIVE, MarkerStatus.NAT_REACTIVE, MarkerStatus.CONFIRMED_POSITIVE}
)


# A screening result (serology initial or repeat, NAT pool or individual) clears a marker only
# when it reads nonreactive (10 NYCRR 58-2.23: "both duplicates nonreactive"; 610.40(h)(1)): a
# positive or indeterminate reading is not a nonreactive one, so it counts as reactive, as the
# initial test already did.
_NONREACTIVE_READINGS: Final = frozenset({Reading.NONREACTIVE, Reading.NEGATIVE})
_POSITIVE_READINGS: Final = frozenset({Reading.POSITIVE, Reading.REACTIVE})


def _valid(results: Iterable[Result], marker: Marker, stage: Stage) -> list[Result]:
    return [
        r for r in results if r.marker is marker and r.stage is stage and r.reading is not Reading.INVALID
    ]


def _reactive(result: Result) -> bool:
    return result.reading not in _NONREACTIVE_READINGS


def _supplemental_positive(results: Sequence[Result], marker: Marker) -> bool:
    return any(r.reading in _POSITIVE_READINGS for r in _valid(results, marker, Stage.SUPPLEMENTAL))


def interpret_serology(marker: Marker, results: Sequence[Result]) -> MarkerStatus:
    """Initial nonreactive → nonreactive. Initially reactive → repeat in duplicate; two of
    three reactive → repeatedly reactive; both duplicates nonreactive → nonreactive. A
    positive supplemental test confirms (610.40(e))."""
    if _supplemental_positive(results, marker):
        return MarkerStatus.CONFIRMED_POSITIVE
    initial = _valid(results, marker, Stage.INITIAL)
    if not initial:
        return MarkerStatus.PENDING
    if not any(_reactive(r) for r in initial):
        return MarkerStatus.NONREACTIVE
    # Every valid repeat counts: a reactive repeat makes two reactive screening tests with the
    # initial (2 of 3), and no number of nonreactive runs, nor their order, takes it back
    # (610.40(h)(1)).
    repeats = _valid(results, marker, Stage.REPEAT)
    if any(_reactive(r) for r in repeats):
        return MarkerStatus.REPEATEDLY_REACTIVE  # the initial and at least one duplicate: 2 of 3
    if len(repeats) < 2:
        return MarkerStatus.REPEAT_NEEDED
    return MarkerStatus.NONREACTIVE


def interpret_nat(marker: Marker, results: Sequence[Result]) -> MarkerStatus:
    """The individual donation's result decides; a reactive pool without it needs resolution;
    a nonreactive pool clears every donation in it."""
    if _supplemental_positive(results, marker):
        return MarkerStatus.CONFIRMED_POSITIVE
    individual = _valid(results, marker, Stage.INDIVIDUAL)
    if individual:
        return (
            MarkerStatus.NAT_REACTIVE if any(_reactive(r) for r in individual) else MarkerStatus.NONREACTIVE
        )
    pool = _valid(results, marker, Stage.POOL)
    if not pool:
        return MarkerStatus.PENDING
    if any(_reactive(r) for r in pool):
        return MarkerStatus.RESOLUTION_NEEDED
    return MarkerStatus.NONREACTIVE


# --- ABO and RhD ----------------------------------------------------------------------------

ABO_GROUPS: Final = frozenset({"A", "B", "AB", "O"})


class TypingStatus(enum.StrEnum):
    PENDING = "pending"
    CONCORDANT = "concordant"
    DISCREPANT = "discrepant"


@dataclass(frozen=True, slots=True)
class BloodType:
    abo: str
    rhd: str  # "pos" or "neg" — a weak D positive donor is "pos" (606.121(c)(9))


@dataclass(frozen=True, slots=True)
class Typing:
    status: TypingStatus
    blood_type: BloodType | None = None
    reason: str = ""


def interpret_typing(results: Sequence[Result], history: BloodType | None) -> Typing:
    """Forward and reverse ABO must agree; RhD negative needs weak D, and weak D positive
    types the donor positive; a returning donor's type must match the record. A first-time
    donor (no history) is typed on this one complete, concordant typing."""
    forward = _valid(results, Marker.ABO, Stage.FORWARD)
    reverse = _valid(results, Marker.ABO, Stage.REVERSE)
    rhd = [r for r in _valid(results, Marker.RHD, Stage.TYPING) if r.value in {"pos", "neg"}]
    weak_d = [r for r in _valid(results, Marker.RHD, Stage.TYPING) if r.value in {"weak_d_pos", "weak_d_neg"}]
    if not forward or not reverse or not rhd:
        return Typing(TypingStatus.PENDING)
    # Two valid typings of one donation that disagree are a discrepancy to investigate, not a
    # correction: the last reading does not silently win.
    for what, readings in (
        ("forward ABO", forward),
        ("reverse ABO", reverse),
        ("RhD", rhd),
        ("weak D", weak_d),
    ):
        values = sorted({r.value for r in readings})
        if len(values) > 1:
            return Typing(TypingStatus.DISCREPANT, reason=f"{what} typings disagree: {', '.join(values)}")
    forward_group, reverse_group = forward[-1].value, reverse[-1].value
    if forward_group not in ABO_GROUPS or reverse_group not in ABO_GROUPS:
        return Typing(
            TypingStatus.DISCREPANT, reason=f"ABO reading not a group: {forward_group}/{reverse_group}"
        )
    if forward_group != reverse_group:
        return Typing(
            TypingStatus.DISCREPANT,
            reason=f"forward typing {forward_group} and reverse typing {reverse_group} disagree",
        )
    if rhd[-1].value == "pos":
        rh = "pos"
    elif not weak_d:
        return Typing(TypingStatus.PENDING, reason="RhD negative: the weak D test is due")
    else:
        rh = "pos" if weak_d[-1].value == "weak_d_pos" else "neg"
    typed = BloodType(forward_group, rh)
    if history is not None and history != typed:
        return Typing(
            TypingStatus.DISCREPANT,
            typed,
            reason=f"typed {typed.abo} {typed.rhd}, the donor's record says {history.abo} {history.rhd}",
        )
    return Typing(TypingStatus.CONCORDANT, typed)


def antibody_screen(results: Sequence[Result]) -> str:
    """'pending', 'negative' or 'positive'. An indeterminate last screen is no answer yet: it
    is 'pending' (the screen is run again), never 'negative'."""
    screens = _valid(results, Marker.ANTIBODY_SCREEN, Stage.TYPING)
    if not screens:
        return "pending"
    if screens[-1].reading in _POSITIVE_READINGS:
        return "positive"
    if screens[-1].reading in _NONREACTIVE_READINGS:
        return "negative"
    return "pending"


# --- What a donation needs ------------------------------------------------------------------

BABESIA_STATES: Final = frozenset(
    {"CT", "DE", "ME", "MD", "MA", "MN", "NH", "NJ", "NY", "PA", "RI", "VT", "VA", "WI", "DC"}
)
SOURCE_PLASMA_EXEMPT: Final = frozenset({Marker.ANTI_HTLV, Marker.WNV_NAT, Marker.T_CRUZI, Marker.ANTI_HBC})


@dataclass(frozen=True, slots=True)
class Panel:
    """A test panel in force: the markers every donation gets, and the two conditional ones."""

    markers: frozenset[Marker]
    t_cruzi_once_per_donor: bool = True
    babesia_states: frozenset[str] = BABESIA_STATES


def required_markers(
    panel: Panel, *, procedure: str, collection_state: str, donor_qualified_for_t_cruzi: bool
) -> frozenset[Marker]:
    """The markers this donation must have final, acceptable results for."""
    required = set(panel.markers)
    if procedure == "source_plasma":
        required -= SOURCE_PLASMA_EXEMPT
    if panel.t_cruzi_once_per_donor and donor_qualified_for_t_cruzi:
        required.discard(Marker.T_CRUZI)
    if collection_state.upper() in panel.babesia_states and procedure != "source_plasma":
        required.add(Marker.BABESIA_NAT)
    else:
        required.discard(Marker.BABESIA_NAT)
    return frozenset(required)


# --- The donation's testing status ---------------------------------------------------------


class TestingStatus(enum.StrEnum):
    __test__ = False  # not a pytest test class

    PENDING = "pending"
    ACCEPTABLE = "acceptable"
    REACTIVE = "reactive"
    DISCREPANCY = "discrepancy"
    ON_HOLD = "on_hold"


@dataclass(frozen=True)
class Evaluation:
    status: TestingStatus
    markers: dict[Marker, MarkerStatus] = field(default_factory=dict)
    typing: Typing = Typing(TypingStatus.PENDING)
    antibody_screen: str = "pending"
    reasons: tuple[str, ...] = ()

    @property
    def reactive_markers(self) -> list[Marker]:
        return [marker for marker, status in self.markers.items() if status in REACTIVE_STATUSES]

    @property
    def work_due(self) -> list[tuple[Marker, MarkerStatus]]:
        """Repeats and resolutions the lab owes (the worklists)."""
        return [
            (marker, status)
            for marker, status in self.markers.items()
            if status in {MarkerStatus.REPEAT_NEEDED, MarkerStatus.RESOLUTION_NEEDED}
        ]


def marker_status(marker: Marker, results: Sequence[Result]) -> MarkerStatus:
    if METHOD[marker] is Method.NAT:
        return interpret_nat(marker, results)
    return interpret_serology(marker, results)


def evaluate(
    *,
    required: frozenset[Marker],
    results: Sequence[Result],
    history: BloodType | None,
    on_hold: bool,
    discrepancy_resolved_as: BloodType | None = None,
    special_required: frozenset[str] = frozenset(),
    special_done: frozenset[str] = frozenset(),
) -> Evaluation:
    """The donation's testing status. Reactive wins over everything (the unit is never used);
    then an active hold; then an unresolved ABO/RhD discrepancy; then any required result
    still missing; otherwise acceptable. A marker tested though not required counts once it has
    an answer (610.40(h)(1)). ``discrepancy_resolved_as`` is the type a supervisor signed for
    after investigating a discrepancy."""
    markers = {marker: marker_status(marker, results) for marker in sorted(required & INFECTIOUS)}
    # A marker the donation did not need but was tested for still counts once it has an answer:
    # a reactive screening test stops the unit whether or not the test was required
    # (610.40(h)(1)), e.g. T. cruzi on a qualified donor or Babesia outside the listed states.
    tested = {r.marker for r in results if r.reading is not Reading.INVALID} & INFECTIOUS
    for marker in sorted(tested - required):
        status = marker_status(marker, results)
        if status is not MarkerStatus.PENDING:
            markers[marker] = status
    typing = interpret_typing(results, history) if Marker.ABO in required else Typing(TypingStatus.CONCORDANT)
    if typing.status is TypingStatus.DISCREPANT and discrepancy_resolved_as is not None:
        typing = Typing(
            TypingStatus.CONCORDANT, discrepancy_resolved_as, "discrepancy resolved by the supervisor"
        )
    screen = antibody_screen(results) if Marker.ANTIBODY_SCREEN in required else "negative"
    reactive = [m for m, s in markers.items() if s in REACTIVE_STATUSES]
    reasons: list[str] = [f"{m.value} {markers[m].value}" for m in reactive]
    if reactive:
        return Evaluation(TestingStatus.REACTIVE, markers, typing, screen, tuple(reasons))
    if on_hold:
        return Evaluation(TestingStatus.ON_HOLD, markers, typing, screen, ("on hold",))
    if typing.status is TypingStatus.DISCREPANT:
        return Evaluation(TestingStatus.DISCREPANCY, markers, typing, screen, (typing.reason,))
    pending = [f"{m.value} {s.value}" for m, s in markers.items() if s is not MarkerStatus.NONREACTIVE]
    if typing.status is TypingStatus.PENDING:
        pending.append(typing.reason or "ABO/RhD typing pending")
    if screen == "pending":
        pending.append("antibody screen pending")
    pending += [f"{test} pending" for test in sorted(special_required - special_done)]
    if pending:
        return Evaluation(TestingStatus.PENDING, markers, typing, screen, tuple(pending))
    return Evaluation(TestingStatus.ACCEPTABLE, markers, typing, screen)
