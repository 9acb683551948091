"""Recruitment's question to the eligibility engine: judged on the donor's history alone,
may this donor be asked to come and give this procedure on this day?

Pure: no Django, no database, no clock. The case is the one screening builds
(``hemaops.donations.services.screening_evaluate``) minus what only the day can tell: no
vitals, no health-history answers, no height. The engine then reports every unrecorded
measurement as INVALID_MEASUREMENT; those, and any other finding of the day, are set aside,
and what remains is the history: intervals since earlier donations and the platelet and
source plasma frequency limits (21 CFR 630.15, FDA platelet guidance), the minimum age
of the jurisdiction (the establishment's age rules), and the deferrals on record (21 CFR 630.10(d)(1),
606.160(e)). Screening on the day still decides: this list only says whom to call.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Final

from hemaops.donors import rules
from hemaops.donors.configuration import Configuration

# Outcomes that only a screening can settle: a measurement not taken yet, and the
# responsible physician's judgement of blood pressure or pulse (21 CFR 630.10(f)(2), (4)).
DAY_ONLY_OUTCOMES: Final = frozenset({rules.Outcome.INVALID_MEASUREMENT, rules.Outcome.REQUIRES_PHYSICIAN})

# Deferring findings of the physical assessment (21 CFR 630.10(f)). With no vitals in the
# case the engine cannot raise them; they are listed so that the judgement stays right if a
# caller ever passes measurements. Everything else that defers is history.
#
# Why list what to set aside rather than what to keep: a reason the engine adds in future is
# taken as history, so the list errs towards not calling a donor (who would be deferred at
# screening anyway) rather than towards calling one who is deferred on record.
DAY_FINDING_CODES: Final = frozenset(
    {
        "temperature_above_limit",
        "weight_below_minimum",
        "hemoglobin_below_minimum",
        "phlebotomy_site_not_acceptable",
        "injection_drug_use_signs",
        "platelet_count_below_minimum",
        "double_red_cells_weight_below_minimum",
        "double_red_cells_height_below_minimum",
        "double_red_cells_hematocrit_below_minimum",
    }
)

_DEFERRING: Final = frozenset(
    {
        rules.Outcome.INELIGIBLE_TEMPORARY,
        rules.Outcome.INELIGIBLE_INDEFINITE,
        rules.Outcome.INELIGIBLE_PERMANENT,
    }
)
NO_VITALS: Final = rules.Vitals()


def is_day_only(reason: rules.Reason) -> bool:
    """Whether ``reason`` can only be judged at the visit (so it must not keep a donor off
    the list)."""
    return reason.outcome in DAY_ONLY_OUTCOMES or reason.code in DAY_FINDING_CODES


@dataclass(frozen=True, slots=True)
class HistoryJudgement:
    """``listed``: no reason from the history defers the donor. ``outcome`` is the most
    severe outcome of the history reasons (ELIGIBLE when none), ``reasons`` the deferring
    ones, ``eligible_on`` the first day they all end when they are temporary with fixed ends."""

    listed: bool
    outcome: rules.Outcome
    reasons: tuple[rules.Reason, ...]
    eligible_on: date | None


def history_only(decision: rules.Decision) -> HistoryJudgement:
    """The engine's decision with the findings of the day set aside."""
    deferring = [
        reason for reason in decision.reasons if reason.outcome in _DEFERRING and not is_day_only(reason)
    ]
    if not deferring:
        return HistoryJudgement(True, rules.Outcome.ELIGIBLE, (), None)
    judged = rules.decide(deferring)  # convention C9 on the history reasons alone
    return HistoryJudgement(False, judged.outcome, judged.reasons, judged.eligible_on)


def history_case(
    *,
    on: date,
    procedure: rules.Procedure,
    sex: rules.Sex,
    birth_date: date,
    jurisdiction: str,
    donation_type: rules.DonationType,
    history: tuple[rules.PriorDonation, ...],
    deferrals: tuple[rules.RecordedDeferral, ...],
    marker_history: tuple[rules.MarkerRecord, ...] = (),
) -> rules.Case:
    """The case screening would build on ``on`` before the donor arrives: history and
    deferrals on record, no vitals, no answers, no height, no parental consent (screening
    does not pass one either)."""
    return rules.Case(
        on=on,
        procedure=procedure,
        donor=rules.Donor(sex=sex, birth_date=birth_date),
        vitals=NO_VITALS,
        donation_type=donation_type,
        jurisdiction=jurisdiction,
        history=history,
        deferrals=deferrals,
        marker_history=marker_history,
    )


def judge_history(case: rules.Case, config: Configuration) -> HistoryJudgement:
    return history_only(rules.evaluate(case, config))


def eligible_since(case: rules.Case, config: Configuration) -> date | None:
    """The first day from which the history no longer defers the donor for the procedure.

    After the last donation nothing in the history can start to defer again: intervals and
    frequency windows only run out, age only grows, and recorded deferrals have fixed ends.
    So the history reasons standing on the day of the last donation (the date of birth for a
    donor who never gave) each end on their ``ends_on``, and the donor became eligible on the
    latest of them. None when a reason there has no fixed end."""
    probe = max((prior.date for prior in case.history), default=case.donor.birth_date)
    if probe > case.on:
        return None
    judged = judge_history(dataclasses.replace(case, on=probe), config)
    if judged.listed:
        return probe
    if judged.outcome is not rules.Outcome.INELIGIBLE_TEMPORARY:
        return None
    return judged.eligible_on
