"""The laboratory's pure rules, case by case (hemaops.lab.rules).

Each table row carries a comment: what the row shows and its source (domain-reference.md §5):
21 CFR 610.40(a) (markers on each donation), 610.40(a)(2) and 640.65(b) (Source Plasma),
FDA Babesia guidance (May 2019, listed states), FDA T. cruzi guidance (one-time donor
qualification), 10 NYCRR 58-2.23 (initial reactive repeated in duplicate, two of three reactive
is repeatedly reactive), 610.40(e) (supplemental testing), 610.40(h)(1) (a reactive donation is
not shipped or used), 640.5 and 606.121(c)(9) (ABO/RhD, weak D labelled positive).
"""

from __future__ import annotations

import pytest

from hemaops.lab.rules import (
    BABESIA_STATES,
    INFECTIOUS,
    METHOD,
    SOURCE_PLASMA_EXEMPT,
    BloodType,
    Marker,
    MarkerStatus,
    Method,
    Panel,
    Reading,
    Result,
    Stage,
    TestingStatus,
    Typing,
    TypingStatus,
    antibody_screen,
    evaluate,
    interpret_nat,
    interpret_serology,
    interpret_typing,
    marker_status,
    required_markers,
    trali_tests_required,
)

M = Marker
S = Stage
R = Reading
MS = MarkerStatus

REACTIVE = R.REACTIVE
NONREACTIVE = R.NONREACTIVE
INVALID = R.INVALID
POSITIVE = R.POSITIVE
NEGATIVE = R.NEGATIVE
INDETERMINATE = R.INDETERMINATE

# The markers every donation gets today (§5.1); Babesia NAT is added by collection state.
ROUTINE_INFECTIOUS = frozenset(INFECTIOUS - {M.BABESIA_NAT})
TYPING_MARKERS = frozenset({M.ABO, M.RHD, M.ANTIBODY_SCREEN})
PANEL = Panel(markers=ROUTINE_INFECTIOUS | TYPING_MARKERS)
# 610.40(a)(2): Source Plasma is exempt from HTLV, WNV and Chagas; anti-HBc per the §5.1 table.
SOURCE_PLASMA_EXEMPTIONS = frozenset({M.ANTI_HTLV, M.WNV_NAT, M.T_CRUZI, M.ANTI_HBC})


def res(marker: Marker, stage: Stage, reading: Reading, value: str = "") -> Result:
    return Result(marker, stage, reading, value)


def serology(marker: Marker, *readings: Reading, repeats: tuple[Reading, ...] = ()) -> list[Result]:
    """An initial test (or several) and its repeats."""
    return [res(marker, S.INITIAL, r) for r in readings] + [res(marker, S.REPEAT, r) for r in repeats]


def typing_results(
    forward: str = "A", reverse: str = "A", rhd: str = "pos", weak_d: str = ""
) -> list[Result]:
    results = [
        res(M.ABO, S.FORWARD, POSITIVE, forward),
        res(M.ABO, S.REVERSE, POSITIVE, reverse),
        res(M.RHD, S.TYPING, POSITIVE if rhd == "pos" else NEGATIVE, rhd),
    ]
    if weak_d:
        results.append(res(M.RHD, S.TYPING, POSITIVE if weak_d == "weak_d_pos" else NEGATIVE, weak_d))
    return results


def clean_results(required: frozenset[Marker] = PANEL.markers) -> list[Result]:
    """Every required marker final and nonreactive, A pos, antibody screen negative."""
    results: list[Result] = []
    for marker in sorted(required & INFECTIOUS):
        stage = S.POOL if METHOD[marker] is Method.NAT else S.INITIAL
        results.append(res(marker, stage, NONREACTIVE))
    results += typing_results()
    results.append(res(M.ANTIBODY_SCREEN, S.TYPING, NEGATIVE))
    return results


def without(results: list[Result], marker: Marker) -> list[Result]:
    return [r for r in results if r.marker is not marker]


# --- Which markers a donation needs -------------------------------------------------------


def test_method_table_covers_every_marker_and_only_typing_is_not_infectious():
    # Every marker has a method; INFECTIOUS is exactly the serology and NAT markers (§5.1 table).
    assert set(METHOD) == set(Marker)
    assert {M.ABO, M.RHD, M.ANTIBODY_SCREEN} == set(Marker) - INFECTIOUS
    assert {m for m in INFECTIOUS if METHOD[m] is Method.NAT} == {
        M.HIV_NAT,
        M.HBV_NAT,
        M.HCV_NAT,
        M.WNV_NAT,
        M.BABESIA_NAT,
    }


@pytest.mark.parametrize(
    ("panel", "procedure", "state", "qualified", "expected"),
    [
        # Whole blood outside the Babesia states: the whole routine panel, 610.40(a)(1)-(2).
        (PANEL, "whole_blood", "TX", False, PANEL.markers),
        # Whole blood collected in NY: Babesia NAT added (FDA Babesia guidance, May 2019).
        (PANEL, "whole_blood", "NY", False, PANEL.markers | {M.BABESIA_NAT}),
        # The state is compared case-insensitively: "ny" is New York.
        (PANEL, "platelets", "ny", False, PANEL.markers | {M.BABESIA_NAT}),
        # Washington DC is on the Babesia list.
        (PANEL, "double_red_cells", "DC", False, PANEL.markers | {M.BABESIA_NAT}),
        # Source Plasma: exempt from HTLV, WNV, Chagas (610.40(a)(2)) and anti-HBc (§5.1 table);
        # syphilis stays (640.65(b)).
        (PANEL, "source_plasma", "TX", False, PANEL.markers - SOURCE_PLASMA_EXEMPTIONS),
        # Source Plasma in a Babesia state: still no Babesia NAT (the guidance covers blood for
        # transfusion, not Source Plasma).
        (PANEL, "source_plasma", "NY", False, PANEL.markers - SOURCE_PLASMA_EXEMPTIONS),
        # A donor with a documented nonreactive T. cruzi test is not retested (FDA T. cruzi
        # guidance: one-time donor qualification).
        (PANEL, "whole_blood", "TX", True, PANEL.markers - {M.T_CRUZI}),
        # An establishment that tests T. cruzi on each donation (stricter than guidance) keeps it
        # even for a qualified donor (610.40(a)(2) says each donation).
        (
            Panel(markers=PANEL.markers, t_cruzi_once_per_donor=False),
            "whole_blood",
            "TX",
            True,
            PANEL.markers,
        ),
        # A panel that lists Babesia NAT gets it only in the Babesia states: outside, it is dropped.
        (Panel(markers=PANEL.markers | {M.BABESIA_NAT}), "whole_blood", "CA", False, PANEL.markers),
        # The establishment may configure more Babesia states (stricter than the FDA list).
        (
            Panel(markers=PANEL.markers, babesia_states=BABESIA_STATES | {"CA"}),
            "whole_blood",
            "CA",
            False,
            PANEL.markers | {M.BABESIA_NAT},
        ),
    ],
)
def test_required_markers(panel, procedure, state, qualified, expected):
    assert (
        required_markers(
            panel, procedure=procedure, collection_state=state, donor_qualified_for_t_cruzi=qualified
        )
        == expected
    )


def test_source_plasma_exemptions_are_the_regulatory_ones():
    assert SOURCE_PLASMA_EXEMPT == SOURCE_PLASMA_EXEMPTIONS


def test_source_plasma_still_needs_hiv_hbv_hcv_and_syphilis():
    # 610.40(a)(1) covers Source Plasma; syphilis under 640.65(b).
    required = required_markers(
        PANEL, procedure="source_plasma", collection_state="TX", donor_qualified_for_t_cruzi=False
    )
    assert {
        M.ANTI_HIV_1_2,
        M.HIV_NAT,
        M.HBSAG,
        M.HBV_NAT,
        M.ANTI_HCV,
        M.HCV_NAT,
        M.SYPHILIS,
    } <= required
    assert not required & {M.ANTI_HTLV, M.WNV_NAT, M.T_CRUZI, M.ANTI_HBC, M.BABESIA_NAT}


FDA_BABESIA_STATES = (
    "CT",
    "DE",
    "ME",
    "MD",
    "MA",
    "MN",
    "NH",
    "NJ",
    "NY",
    "PA",
    "RI",
    "VT",
    "VA",
    "WI",
    "DC",
)


@pytest.mark.parametrize("state", FDA_BABESIA_STATES)
def test_every_fda_babesia_state_adds_babesia_nat(state):
    # FDA Babesia guidance (May 2019): year-round NAT in these 14 states and DC.
    required = required_markers(
        PANEL, procedure="whole_blood", collection_state=state, donor_qualified_for_t_cruzi=False
    )
    assert M.BABESIA_NAT in required


@pytest.mark.parametrize("state", ["CA", "TX", "FL", "IL", "OH", "WA", "NC", ""])
def test_states_off_the_babesia_list_add_no_babesia_nat(state):
    # FDA Babesia guidance: the list is closed; WA (state) is not DC, NC is not CT.
    required = required_markers(
        PANEL, procedure="whole_blood", collection_state=state, donor_qualified_for_t_cruzi=False
    )
    assert M.BABESIA_NAT not in required


def test_babesia_state_list_is_the_fda_list():
    # FDA Babesia guidance (May 2019): 14 states and Washington DC, nothing else.
    assert frozenset(FDA_BABESIA_STATES) == BABESIA_STATES


# --- Serology -----------------------------------------------------------------------------

HIV = M.ANTI_HIV_1_2


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        # No result yet: pending.
        ([], MS.PENDING),
        # A failed run counts for nothing: still pending.
        (serology(HIV, INVALID), MS.PENDING),
        # Initial nonreactive: negative for the marker (10 NYCRR 58-2.23; §5.2 step 1).
        (serology(HIV, NONREACTIVE), MS.NONREACTIVE),
        # A failed run then a nonreactive one: negative.
        (serology(HIV, INVALID, NONREACTIVE), MS.NONREACTIVE),
        # Initially reactive: repeat in duplicate (58-2.23).
        (serology(HIV, REACTIVE), MS.REPEAT_NEEDED),
        # Initially reactive and re-running the initial nonreactive does not test it out: the
        # duplicates are still due (58-2.23).
        (serology(HIV, REACTIVE, NONREACTIVE), MS.REPEAT_NEEDED),
        # One duplicate nonreactive: the second is still due.
        (serology(HIV, REACTIVE, repeats=(NONREACTIVE,)), MS.REPEAT_NEEDED),
        # One duplicate nonreactive and the other a failed run: the second is still due.
        (serology(HIV, REACTIVE, repeats=(NONREACTIVE, INVALID)), MS.REPEAT_NEEDED),
        # Initial and first duplicate reactive: already 2 of 3, repeatedly reactive (58-2.23).
        (serology(HIV, REACTIVE, repeats=(REACTIVE,)), MS.REPEATEDLY_REACTIVE),
        # Second duplicate reactive: 2 of 3 (58-2.23: "if either duplicate is reactive").
        (serology(HIV, REACTIVE, repeats=(NONREACTIVE, REACTIVE)), MS.REPEATEDLY_REACTIVE),
        # First duplicate reactive, second nonreactive: 2 of 3.
        (serology(HIV, REACTIVE, repeats=(REACTIVE, NONREACTIVE)), MS.REPEATEDLY_REACTIVE),
        # Three of three reactive.
        (serology(HIV, REACTIVE, repeats=(REACTIVE, REACTIVE)), MS.REPEATEDLY_REACTIVE),
        # Both duplicates nonreactive: negative, releasable for this marker (58-2.23; §5.2 step 1).
        (serology(HIV, REACTIVE, repeats=(NONREACTIVE, NONREACTIVE)), MS.NONREACTIVE),
        # Failed duplicate runs count for nothing: the two valid duplicates decide.
        (serology(HIV, REACTIVE, repeats=(INVALID, NONREACTIVE, INVALID, NONREACTIVE)), MS.NONREACTIVE),
        (serology(HIV, REACTIVE, repeats=(INVALID, NONREACTIVE, REACTIVE)), MS.REPEATEDLY_REACTIVE),
        # A reactive repeat counts wherever it falls: a third run reactive after two nonreactive
        # ones still makes two reactive tests (58-2.23), and the order of the runs cannot hide it.
        (serology(HIV, REACTIVE, repeats=(NONREACTIVE, NONREACTIVE, REACTIVE)), MS.REPEATEDLY_REACTIVE),
        (serology(HIV, REACTIVE, repeats=(REACTIVE, NONREACTIVE, NONREACTIVE)), MS.REPEATEDLY_REACTIVE),
        # Repeats without an initial test: pending (there is nothing to repeat).
        ([res(HIV, S.REPEAT, NONREACTIVE), res(HIV, S.REPEAT, NONREACTIVE)], MS.PENDING),
        # A duplicate that reads positive is not nonreactive: 2 of 3 (58-2.23).
        (serology(HIV, REACTIVE, repeats=(NONREACTIVE, POSITIVE)), MS.REPEATEDLY_REACTIVE),
        # An indeterminate duplicate is not nonreactive, so it cannot clear the marker
        # (58-2.23 clears only on "both duplicates nonreactive").
        (serology(HIV, REACTIVE, repeats=(NONREACTIVE, INDETERMINATE)), MS.REPEATEDLY_REACTIVE),
        # A duplicate recorded as negative is a nonreactive one.
        (serology(HIV, REACTIVE, repeats=(NEGATIVE, NONREACTIVE)), MS.NONREACTIVE),
        # An indeterminate initial test is not nonreactive: the duplicates are due.
        (serology(HIV, INDETERMINATE), MS.REPEAT_NEEDED),
        # A positive supplemental test confirms (610.40(e)).
        (
            [*serology(HIV, REACTIVE, repeats=(REACTIVE,)), res(HIV, S.SUPPLEMENTAL, POSITIVE)],
            MS.CONFIRMED_POSITIVE,
        ),
        # A supplemental reading "reactive" is a positive supplemental.
        (
            [*serology(HIV, REACTIVE, repeats=(REACTIVE,)), res(HIV, S.SUPPLEMENTAL, REACTIVE)],
            MS.CONFIRMED_POSITIVE,
        ),
        # A positive supplemental wins even when the screening record is incomplete.
        ([res(HIV, S.SUPPLEMENTAL, POSITIVE)], MS.CONFIRMED_POSITIVE),
        # A negative supplemental does not release a repeatedly reactive donation (610.40(h)(1):
        # the screening result stops the unit; the supplemental serves donor notification).
        (
            [*serology(HIV, REACTIVE, repeats=(REACTIVE,)), res(HIV, S.SUPPLEMENTAL, NEGATIVE)],
            MS.REPEATEDLY_REACTIVE,
        ),
        # An indeterminate supplemental: still repeatedly reactive.
        (
            [*serology(HIV, REACTIVE, repeats=(REACTIVE,)), res(HIV, S.SUPPLEMENTAL, INDETERMINATE)],
            MS.REPEATEDLY_REACTIVE,
        ),
        # A failed supplemental run counts for nothing.
        (
            [*serology(HIV, REACTIVE, repeats=(REACTIVE,)), res(HIV, S.SUPPLEMENTAL, INVALID)],
            MS.REPEATEDLY_REACTIVE,
        ),
        # Another marker's results do not count: anti-HCV reactive says nothing about anti-HIV.
        ([*serology(M.ANTI_HCV, REACTIVE, repeats=(REACTIVE,)), *serology(HIV, NONREACTIVE)], MS.NONREACTIVE),
        ([*serology(M.ANTI_HCV, NONREACTIVE)], MS.PENDING),
        # NAT stages do not count as serology.
        ([res(HIV, S.POOL, NONREACTIVE)], MS.PENDING),
    ],
)
def test_interpret_serology(results, expected):
    assert interpret_serology(HIV, results) is expected


@pytest.mark.parametrize(
    "marker", [M.ANTI_HIV_1_2, M.HBSAG, M.ANTI_HBC, M.ANTI_HCV, M.ANTI_HTLV, M.SYPHILIS, M.T_CRUZI]
)
def test_every_serology_marker_follows_two_of_three(marker):
    # 58-2.23 applies to each screening serology; marker_status sends them to interpret_serology.
    assert marker_status(marker, serology(marker, REACTIVE)) is MS.REPEAT_NEEDED
    assert marker_status(marker, serology(marker, REACTIVE, repeats=(NONREACTIVE, REACTIVE))) is (
        MS.REPEATEDLY_REACTIVE
    )
    assert marker_status(marker, serology(marker, REACTIVE, repeats=(NONREACTIVE, NONREACTIVE))) is (
        MS.NONREACTIVE
    )


# --- NAT ----------------------------------------------------------------------------------

HCV_NAT = M.HCV_NAT


def nat(pool: tuple[Reading, ...] = (), individual: tuple[Reading, ...] = ()) -> list[Result]:
    return [res(HCV_NAT, S.POOL, r) for r in pool] + [res(HCV_NAT, S.INDIVIDUAL, r) for r in individual]


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        # No result yet.
        ([], MS.PENDING),
        # A failed pool run counts for nothing.
        (nat(pool=(INVALID,)), MS.PENDING),
        # Nonreactive pool clears every donation in it (§5.2 step 2).
        (nat(pool=(NONREACTIVE,)), MS.NONREACTIVE),
        # Reactive pool: resolve to the individual donation (§5.2 step 2).
        (nat(pool=(REACTIVE,)), MS.RESOLUTION_NEEDED),
        # Reactive pool and a failed individual run: resolution still due.
        (nat(pool=(REACTIVE,), individual=(INVALID,)), MS.RESOLUTION_NEEDED),
        # Reactive pool resolved: this donation nonreactive alone, so it is nonreactive.
        (nat(pool=(REACTIVE,), individual=(NONREACTIVE,)), MS.NONREACTIVE),
        # Reactive pool resolved to this donation: NAT reactive (610.40(h)(1)).
        (nat(pool=(REACTIVE,), individual=(REACTIVE,)), MS.NAT_REACTIVE),
        # Individual-donation NAT (e.g. WNV ID-NAT in a high-activity area), reactive.
        (nat(individual=(REACTIVE,)), MS.NAT_REACTIVE),
        # Individual result decides over a nonreactive pool.
        (nat(pool=(NONREACTIVE,), individual=(REACTIVE,)), MS.NAT_REACTIVE),
        # No duplicate rule for NAT: a later nonreactive individual run does not test it out.
        (nat(individual=(REACTIVE, NONREACTIVE)), MS.NAT_REACTIVE),
        (nat(individual=(NONREACTIVE, REACTIVE)), MS.NAT_REACTIVE),
        # Individual-donation NAT nonreactive.
        (nat(individual=(NONREACTIVE,)), MS.NONREACTIVE),
        # An indeterminate pool is not a nonreactive one: resolve to the donation.
        (nat(pool=(INDETERMINATE,)), MS.RESOLUTION_NEEDED),
        # A pool recorded "positive" is a reactive one.
        (nat(pool=(POSITIVE,)), MS.RESOLUTION_NEEDED),
        # An individual reading "positive" is reactive, never nonreactive.
        (nat(pool=(REACTIVE,), individual=(POSITIVE,)), MS.NAT_REACTIVE),
        # An indeterminate individual reading cannot clear the donation.
        (nat(pool=(REACTIVE,), individual=(INDETERMINATE,)), MS.NAT_REACTIVE),
        # Positive supplemental confirms, whatever the pool said (610.40(e)).
        ([*nat(pool=(NONREACTIVE,)), res(HCV_NAT, S.SUPPLEMENTAL, POSITIVE)], MS.CONFIRMED_POSITIVE),
        # Negative supplemental does not release a NAT-reactive donation (610.40(h)(1)).
        ([*nat(individual=(REACTIVE,)), res(HCV_NAT, S.SUPPLEMENTAL, NEGATIVE)], MS.NAT_REACTIVE),
        # Serology stages are not NAT results: still pending.
        ([res(HCV_NAT, S.INITIAL, REACTIVE)], MS.PENDING),
        # Another NAT marker's pool does not count.
        ([res(M.HIV_NAT, S.POOL, REACTIVE), *nat(pool=(NONREACTIVE,))], MS.NONREACTIVE),
    ],
)
def test_interpret_nat(results, expected):
    assert interpret_nat(HCV_NAT, results) is expected


@pytest.mark.parametrize("marker", [M.HIV_NAT, M.HBV_NAT, M.HCV_NAT, M.WNV_NAT, M.BABESIA_NAT])
def test_marker_status_sends_nat_markers_to_the_nat_rule(marker):
    # A reactive pool asks for resolution (NAT), where serology would not read a pool at all.
    assert marker_status(marker, [res(marker, S.POOL, REACTIVE)]) is MS.RESOLUTION_NEEDED
    assert marker_status(marker, [res(marker, S.INDIVIDUAL, REACTIVE)]) is MS.NAT_REACTIVE


# --- ABO and RhD --------------------------------------------------------------------------

A_POS = BloodType("A", "pos")
A_NEG = BloodType("A", "neg")
O_NEG = BloodType("O", "neg")
O_POS = BloodType("O", "pos")


@pytest.mark.parametrize(
    ("results", "history", "expected"),
    [
        # Forward, reverse and RhD agree, first-time donor: typed on this one typing (§5.1).
        (typing_results(), None, Typing(TypingStatus.CONCORDANT, A_POS)),
        # Each ABO group types through.
        (typing_results("AB", "AB"), None, Typing(TypingStatus.CONCORDANT, BloodType("AB", "pos"))),
        (typing_results("B", "B"), None, Typing(TypingStatus.CONCORDANT, BloodType("B", "pos"))),
        # RhD negative and weak D negative: labelled RhD negative (606.121(c)(9)).
        (typing_results("O", "O", "neg", "weak_d_neg"), None, Typing(TypingStatus.CONCORDANT, O_NEG)),
        # RhD negative but weak D positive: labelled RhD positive (606.121(c)(9)).
        (typing_results("O", "O", "neg", "weak_d_pos"), None, Typing(TypingStatus.CONCORDANT, O_POS)),
        # RhD positive: weak D is not needed and a weak D result does not change it.
        (typing_results("A", "A", "pos", "weak_d_neg"), None, Typing(TypingStatus.CONCORDANT, A_POS)),
        # Returning donor whose record matches: concordant.
        (typing_results(), A_POS, Typing(TypingStatus.CONCORDANT, A_POS)),
        (typing_results("O", "O", "neg", "weak_d_neg"), O_NEG, Typing(TypingStatus.CONCORDANT, O_NEG)),
    ],
)
def test_interpret_typing_concordant(results, history, expected):
    assert interpret_typing(results, history) == expected


@pytest.mark.parametrize(
    ("results", "history", "reason"),
    [
        # Nothing yet.
        ([], None, ""),
        # Forward only: the reverse grouping is due.
        (typing_results()[:1], None, ""),
        # ABO done, RhD not yet.
        (typing_results()[:2], None, ""),
        # Failed runs count for nothing.
        (
            [
                res(M.ABO, S.FORWARD, INVALID, "A"),
                res(M.ABO, S.REVERSE, POSITIVE, "A"),
                res(M.RHD, S.TYPING, POSITIVE, "pos"),
            ],
            None,
            "",
        ),
        # An RhD reading without a pos/neg value is not an RhD type.
        (
            [
                res(M.ABO, S.FORWARD, POSITIVE, "A"),
                res(M.ABO, S.REVERSE, POSITIVE, "A"),
                res(M.RHD, S.TYPING, POSITIVE),
            ],
            None,
            "",
        ),
        # Weak D alone is not the RhD typing.
        ([*typing_results()[:2], res(M.RHD, S.TYPING, POSITIVE, "weak_d_pos")], None, ""),
        # RhD negative: the weak D test is due before the donor is typed (606.121(c)(9)).
        (typing_results("O", "O", "neg"), None, "RhD negative: the weak D test is due"),
        # ...and a failed weak D run does not settle it.
        (
            [*typing_results("O", "O", "neg"), res(M.RHD, S.TYPING, INVALID, "weak_d_neg")],
            O_NEG,
            "RhD negative: the weak D test is due",
        ),
    ],
)
def test_interpret_typing_pending(results, history, reason):
    typing = interpret_typing(results, history)
    assert typing == Typing(TypingStatus.PENDING, None, reason)


@pytest.mark.parametrize(
    ("results", "history", "typed", "reason"),
    [
        # Forward and reverse disagree (640.5; AABB): discrepancy, no type.
        (typing_results("A", "O"), None, None, "forward typing A and reverse typing O disagree"),
        # A reading that is not an ABO group is a discrepancy, never a type.
        (typing_results("A2", "A"), None, None, "ABO reading not a group: A2/A"),
        (typing_results("A", ""), None, None, "ABO reading not a group: A/"),
        # Returning donor typed B, record says A: discrepancy (the record must match).
        (
            typing_results("B", "B"),
            A_POS,
            BloodType("B", "pos"),
            "typed B pos, the donor's record says A pos",
        ),
        # Same ABO, RhD differs from the record.
        (
            typing_results("A", "A", "neg", "weak_d_neg"),
            A_POS,
            A_NEG,
            "typed A neg, the donor's record says A pos",
        ),
        # Record RhD negative, now weak D positive (labelled pos): a discrepancy to investigate.
        (
            typing_results("O", "O", "neg", "weak_d_pos"),
            O_NEG,
            O_POS,
            "typed O pos, the donor's record says O neg",
        ),
    ],
)
def test_interpret_typing_discrepant(results, history, typed, reason):
    assert interpret_typing(results, history) == Typing(TypingStatus.DISCREPANT, typed, reason)


def test_interpret_typing_ignores_failed_runs_but_not_disagreeing_valid_ones():
    # A failed run counts for nothing; two valid forward typings that disagree are a
    # discrepancy to investigate, not a correction the last reading wins.
    rerun = [
        res(M.ABO, S.FORWARD, INVALID, "O"),
        res(M.ABO, S.FORWARD, POSITIVE, "A"),
        res(M.ABO, S.REVERSE, POSITIVE, "A"),
        res(M.RHD, S.TYPING, POSITIVE, "pos"),
    ]
    assert interpret_typing(rerun, None) == Typing(TypingStatus.CONCORDANT, A_POS)
    disagreeing = [res(M.ABO, S.FORWARD, POSITIVE, "B"), *rerun]
    assert interpret_typing(disagreeing, None).status is TypingStatus.DISCREPANT
    rhd_disagreeing = [*rerun, res(M.RHD, S.TYPING, NEGATIVE, "neg")]
    assert interpret_typing(rhd_disagreeing, None).status is TypingStatus.DISCREPANT


# --- Antibody screen ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        # No screen yet.
        ([], "pending"),
        # A failed run counts for nothing.
        ([res(M.ANTIBODY_SCREEN, S.TYPING, INVALID)], "pending"),
        # Negative and nonreactive screens are negative.
        ([res(M.ANTIBODY_SCREEN, S.TYPING, NEGATIVE)], "negative"),
        ([res(M.ANTIBODY_SCREEN, S.TYPING, NONREACTIVE)], "negative"),
        # Positive or reactive screens are positive (plasma restricted by policy).
        ([res(M.ANTIBODY_SCREEN, S.TYPING, POSITIVE)], "positive"),
        ([res(M.ANTIBODY_SCREEN, S.TYPING, REACTIVE)], "positive"),
        # The last valid screen decides.
        (
            [res(M.ANTIBODY_SCREEN, S.TYPING, POSITIVE), res(M.ANTIBODY_SCREEN, S.TYPING, NEGATIVE)],
            "negative",
        ),
        ([res(M.ANTIBODY_SCREEN, S.TYPING, POSITIVE), res(M.ANTIBODY_SCREEN, S.TYPING, INVALID)], "positive"),
        # An indeterminate screen is no answer: pending, never negative.
        ([res(M.ANTIBODY_SCREEN, S.TYPING, INDETERMINATE)], "pending"),
        # Another marker's typing result is not a screen.
        ([res(M.RHD, S.TYPING, POSITIVE, "pos")], "pending"),
    ],
)
def test_antibody_screen(results, expected):
    assert antibody_screen(results) == expected


# --- The donation's testing status --------------------------------------------------------

REQUIRED = PANEL.markers
CLEAN = clean_results()
HCV_RR = serology(M.ANTI_HCV, REACTIVE, repeats=(REACTIVE,))


def test_a_complete_clean_donation_is_acceptable():
    # Every required marker nonreactive, typing concordant, screen done (610.40(a); §5.2).
    evaluation = evaluate(required=REQUIRED, results=CLEAN, history=None, on_hold=False)
    assert evaluation.status is TestingStatus.ACCEPTABLE
    assert evaluation.reasons == ()
    assert evaluation.markers == dict.fromkeys(sorted(REQUIRED & INFECTIOUS), MS.NONREACTIVE)
    assert evaluation.typing == Typing(TypingStatus.CONCORDANT, A_POS)
    assert evaluation.antibody_screen == "negative"
    assert evaluation.reactive_markers == []
    assert evaluation.work_due == []


@pytest.mark.parametrize(
    ("results", "history", "on_hold", "resolved_as", "status", "reasons"),
    [
        # Repeatedly reactive marker: reactive, the unit is never used (610.40(h)(1)).
        (
            [*without(CLEAN, M.ANTI_HCV), *HCV_RR],
            None,
            False,
            None,
            TestingStatus.REACTIVE,
            ("anti_hcv repeatedly_reactive",),
        ),
        # Reactive wins over an active hold (610.40(h)(1)).
        (
            [*without(CLEAN, M.ANTI_HCV), *HCV_RR],
            None,
            True,
            None,
            TestingStatus.REACTIVE,
            ("anti_hcv repeatedly_reactive",),
        ),
        # Reactive wins over a discrepancy and a pending marker.
        (
            [*without(without(CLEAN, M.ANTI_HCV), M.HIV_NAT), *HCV_RR],
            O_NEG,
            False,
            None,
            TestingStatus.REACTIVE,
            ("anti_hcv repeatedly_reactive",),
        ),
        # NAT reactive and confirmed positive both count, each named.
        (
            [
                *without(without(CLEAN, M.HIV_NAT), M.HBSAG),
                res(M.HIV_NAT, S.INDIVIDUAL, REACTIVE),
                res(M.HBSAG, S.SUPPLEMENTAL, POSITIVE),
            ],
            None,
            False,
            None,
            TestingStatus.REACTIVE,
            ("hbsag confirmed_positive", "hiv_nat nat_reactive"),
        ),
        # An active hold, everything else clean: on hold.
        (CLEAN, None, True, None, TestingStatus.ON_HOLD, ("on hold",)),
        # A hold wins over a discrepancy.
        (CLEAN, O_NEG, True, None, TestingStatus.ON_HOLD, ("on hold",)),
        # Returning donor typed differently from the record: discrepancy (§5.1; AABB).
        (
            CLEAN,
            O_NEG,
            False,
            None,
            TestingStatus.DISCREPANCY,
            ("typed A pos, the donor's record says O neg",),
        ),
        # Discrepancy wins over a pending marker.
        (
            without(CLEAN, M.HIV_NAT),
            O_NEG,
            False,
            None,
            TestingStatus.DISCREPANCY,
            ("typed A pos, the donor's record says O neg",),
        ),
        # A supervisor's signed resolution of the discrepancy: acceptable.
        (CLEAN, O_NEG, False, A_POS, TestingStatus.ACCEPTABLE, ()),
        # A resolution does not clear a pending marker.
        (without(CLEAN, M.HIV_NAT), O_NEG, False, A_POS, TestingStatus.PENDING, ("hiv_nat pending",)),
        # A required marker with no result: pending.
        (without(CLEAN, M.HIV_NAT), None, False, None, TestingStatus.PENDING, ("hiv_nat pending",)),
        # Initially reactive: pending, the duplicates are due.
        (
            [*without(CLEAN, M.ANTI_HBC), *serology(M.ANTI_HBC, REACTIVE)],
            None,
            False,
            None,
            TestingStatus.PENDING,
            ("anti_hbc repeat_needed",),
        ),
        # Reactive pool: pending until resolved.
        (
            [*without(CLEAN, M.WNV_NAT), res(M.WNV_NAT, S.POOL, REACTIVE)],
            None,
            False,
            None,
            TestingStatus.PENDING,
            ("wnv_nat resolution_needed",),
        ),
        # Both duplicates nonreactive: acceptable (58-2.23).
        (
            [
                *without(CLEAN, M.ANTI_HBC),
                *serology(M.ANTI_HBC, REACTIVE, repeats=(NONREACTIVE, NONREACTIVE)),
            ],
            None,
            False,
            None,
            TestingStatus.ACCEPTABLE,
            (),
        ),
        # Reactive pool resolved nonreactive: acceptable.
        (
            [
                *without(CLEAN, M.WNV_NAT),
                res(M.WNV_NAT, S.POOL, REACTIVE),
                res(M.WNV_NAT, S.INDIVIDUAL, NONREACTIVE),
            ],
            None,
            False,
            None,
            TestingStatus.ACCEPTABLE,
            (),
        ),
        # Typing missing: pending.
        (
            without(without(CLEAN, M.ABO), M.RHD),
            None,
            False,
            None,
            TestingStatus.PENDING,
            ("ABO/RhD typing pending",),
        ),
        # RhD negative without weak D: pending (606.121(c)(9)).
        (
            [*without(CLEAN, M.RHD), res(M.RHD, S.TYPING, NEGATIVE, "neg")],
            None,
            False,
            None,
            TestingStatus.PENDING,
            ("RhD negative: the weak D test is due",),
        ),
        # Antibody screen missing: pending.
        (
            without(CLEAN, M.ANTIBODY_SCREEN),
            None,
            False,
            None,
            TestingStatus.PENDING,
            ("antibody screen pending",),
        ),
        # Everything pending at once: every reason listed.
        (
            [],
            None,
            False,
            None,
            TestingStatus.PENDING,
            (
                *(f"{m.value} pending" for m in sorted(REQUIRED & INFECTIOUS)),
                "ABO/RhD typing pending",
                "antibody screen pending",
            ),
        ),
    ],
)
def test_evaluate(results, history, on_hold, resolved_as, status, reasons):
    evaluation = evaluate(
        required=REQUIRED,
        results=results,
        history=history,
        on_hold=on_hold,
        discrepancy_resolved_as=resolved_as,
    )
    assert evaluation.status is status
    assert evaluation.reasons == reasons


def test_work_due_and_reactive_markers_list_the_markers_concerned():
    results = [
        *without(without(without(CLEAN, M.ANTI_HBC), M.WNV_NAT), M.HCV_NAT),
        *serology(M.ANTI_HBC, REACTIVE),
        res(M.WNV_NAT, S.POOL, REACTIVE),
        res(M.HCV_NAT, S.POOL, NONREACTIVE),
    ]
    evaluation = evaluate(required=REQUIRED, results=results, history=None, on_hold=False)
    assert evaluation.status is TestingStatus.PENDING
    assert evaluation.work_due == [(M.ANTI_HBC, MS.REPEAT_NEEDED), (M.WNV_NAT, MS.RESOLUTION_NEEDED)]
    assert evaluation.reactive_markers == []

    reactive = evaluate(
        required=REQUIRED, results=[*without(CLEAN, M.ANTI_HCV), *HCV_RR], history=None, on_hold=False
    )
    assert reactive.reactive_markers == [M.ANTI_HCV]


def test_a_supervisor_resolution_replaces_the_discrepant_typing():
    evaluation = evaluate(
        required=REQUIRED, results=CLEAN, history=O_NEG, on_hold=False, discrepancy_resolved_as=A_POS
    )
    assert evaluation.typing == Typing(
        TypingStatus.CONCORDANT, A_POS, "discrepancy resolved by the supervisor"
    )


def test_a_resolution_does_not_change_a_concordant_typing():
    # The resolution is for a discrepancy; a concordant typing keeps its own type.
    evaluation = evaluate(
        required=REQUIRED, results=CLEAN, history=A_POS, on_hold=False, discrepancy_resolved_as=O_NEG
    )
    assert evaluation.status is TestingStatus.ACCEPTABLE
    assert evaluation.typing == Typing(TypingStatus.CONCORDANT, A_POS)


def test_a_resolution_does_not_stand_in_for_a_missing_typing():
    evaluation = evaluate(
        required=REQUIRED,
        results=without(without(CLEAN, M.ABO), M.RHD),
        history=None,
        on_hold=False,
        discrepancy_resolved_as=A_POS,
    )
    assert evaluation.status is TestingStatus.PENDING
    assert evaluation.typing == Typing(TypingStatus.PENDING)


def test_a_positive_antibody_screen_does_not_hold_the_donation():
    # It restricts plasma-containing components (establishment policy), not the donation.
    results = [*without(CLEAN, M.ANTIBODY_SCREEN), res(M.ANTIBODY_SCREEN, S.TYPING, POSITIVE)]
    evaluation = evaluate(required=REQUIRED, results=results, history=None, on_hold=False)
    assert evaluation.status is TestingStatus.ACCEPTABLE
    assert evaluation.antibody_screen == "positive"


def test_an_indeterminate_antibody_screen_keeps_the_donation_pending():
    results = [*without(CLEAN, M.ANTIBODY_SCREEN), res(M.ANTIBODY_SCREEN, S.TYPING, INDETERMINATE)]
    evaluation = evaluate(required=REQUIRED, results=results, history=None, on_hold=False)
    assert evaluation.status is TestingStatus.PENDING
    assert evaluation.reasons == ("antibody screen pending",)


def test_typing_and_screen_not_required_are_not_waited_for():
    # A panel without typing (e.g. a Source Plasma panel typed elsewhere): infectious markers decide.
    required = frozenset(REQUIRED & INFECTIOUS)
    results = [r for r in CLEAN if r.marker in INFECTIOUS]
    evaluation = evaluate(required=required, results=results, history=O_NEG, on_hold=False)
    assert evaluation.status is TestingStatus.ACCEPTABLE
    assert evaluation.typing == Typing(TypingStatus.CONCORDANT)
    assert evaluation.antibody_screen == "negative"


# --- Tests the donation did not need ------------------------------------------------------

NOT_T_CRUZI = REQUIRED - {M.T_CRUZI}
CLEAN_NOT_T_CRUZI = without(CLEAN, M.T_CRUZI)


@pytest.mark.parametrize(
    ("extra", "status", "reasons"),
    [
        # A donor qualified once for T. cruzi, tested anyway and repeatedly reactive: the unit is
        # not used (610.40(h)(1): a reactive screening test stops it, required or not).
        (
            serology(M.T_CRUZI, REACTIVE, repeats=(REACTIVE,)),
            TestingStatus.REACTIVE,
            ("t_cruzi repeatedly_reactive",),
        ),
        # Babesia NAT outside the listed states, individually reactive: not used (610.40(h)(1)).
        ([res(M.BABESIA_NAT, S.INDIVIDUAL, REACTIVE)], TestingStatus.REACTIVE, ("babesia_nat nat_reactive",)),
        # Initially reactive on a test not required: quarantined until the duplicates are done.
        (serology(M.T_CRUZI, REACTIVE), TestingStatus.PENDING, ("t_cruzi repeat_needed",)),
        # Tested and nonreactive: no effect.
        (serology(M.T_CRUZI, NONREACTIVE), TestingStatus.ACCEPTABLE, ()),
        # Only failed runs: no answer, no effect (the test was not needed).
        (serology(M.T_CRUZI, INVALID), TestingStatus.ACCEPTABLE, ()),
        # A supplemental without a screening test: no screening answer, no effect.
        ([res(M.T_CRUZI, S.SUPPLEMENTAL, NEGATIVE)], TestingStatus.ACCEPTABLE, ()),
        # ...but a positive supplemental is a confirmed infection: reactive.
        ([res(M.T_CRUZI, S.SUPPLEMENTAL, POSITIVE)], TestingStatus.REACTIVE, ("t_cruzi confirmed_positive",)),
    ],
)
def test_a_test_not_required_counts_once_it_has_an_answer(extra, status, reasons):
    evaluation = evaluate(
        required=NOT_T_CRUZI, results=[*CLEAN_NOT_T_CRUZI, *extra], history=None, on_hold=False
    )
    assert evaluation.status is status
    assert evaluation.reasons == reasons


# --- TRALI risk reduction ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "procedure", "sex", "required"),
    [
        # The testing policy: a woman's plasma and apheresis platelets need an HLA antibody result.
        ("hla_antibody_testing", "platelets", "F", {"hla_antibody"}),
        ("hla_antibody_testing", "plasma", "F", {"hla_antibody"}),
        # Red cells and men's donations carry no TRALI test.
        ("hla_antibody_testing", "whole_blood", "F", set()),
        ("hla_antibody_testing", "platelets", "M", set()),
        # The other policy keeps such plasma out of transfusion in components; nothing to test here.
        ("male_or_never_pregnant", "plasma", "F", set()),
    ],
)
def test_trali_tests_required(policy, procedure, sex, required):
    assert trali_tests_required(policy=policy, procedure=procedure, donor_sex=sex) == frozenset(required)


def test_a_required_special_test_keeps_the_donation_pending_until_done():
    results = [res(M.ANTI_HIV_1_2, S.INITIAL, NONREACTIVE)]
    waiting = evaluate(
        required=frozenset({M.ANTI_HIV_1_2}),
        results=results,
        history=None,
        on_hold=False,
        special_required=frozenset({"hla_antibody"}),
    )
    assert waiting.status is TestingStatus.PENDING
    assert "hla_antibody pending" in waiting.reasons
    done = evaluate(
        required=frozenset({M.ANTI_HIV_1_2}),
        results=results,
        history=None,
        on_hold=False,
        special_required=frozenset({"hla_antibody"}),
        special_done=frozenset({"hla_antibody"}),
    )
    assert done.status is TestingStatus.ACCEPTABLE
