"""Services of collection (issue 5): DIN label stock and DIN issue, screening with the
eligibility decision of the day, the medical director's overrides, donations and adverse
reactions.

Every function is one transaction, permission-checked, audited on the ``donations`` stream
(house style §3). DESIGN.md invariant 2: a donor who is not eligible for the procedure on that
day is not collected. The screening stores the engine's decision with every reason; only reasons
the engine marks overridable can be overridden, by the medical director with a reason and a
signature; a donation locks its screening and is refused unless the decision allows collection
or each blocking reason is covered by an override.

Each action lives in its own module, re-exported here so callers import from
``donations.services``: DIN label stock, claims and generation in ``din_services``; screening
(the live decision, the recorded screening, its deferral, the donor's merged history) in
``screening_services``; overrides in ``override_services``; donations and adverse reactions in
``donation_services``; what they share (the stream, the screening's lock, the blocking reasons)
in ``service_support``. Drives, compensation and the quality officer's review keep their own
modules (``drive_services``, ``compensation_services``, ``oversight_services``).
"""

from __future__ import annotations

from hemaops.donations.din_services import (
    IssuedDinResult,
    din_claim_scanned,
    din_generate,
    din_stock_receive,
)
from hemaops.donations.donation_services import (
    adverse_reaction_record,
    donation_record,
    donation_record_scanned,
)
from hemaops.donations.override_services import (
    OVERRIDE_PERMISSION,
    screening_override,
    screening_override_by_telephone,
    screening_override_sign,
)
from hemaops.donations.screening_services import (
    DONATION_TYPE_OF_DONOR,
    ScreeningCase,
    jurisdiction_of,
    marker_history,
    reason_to_json,
    record_families,
    record_family,
    screening_evaluate,
    screening_record,
)
from hemaops.donations.service_support import blocking_reasons

__all__ = [
    "DONATION_TYPE_OF_DONOR",
    "OVERRIDE_PERMISSION",
    "IssuedDinResult",
    "ScreeningCase",
    "adverse_reaction_record",
    "blocking_reasons",
    "din_claim_scanned",
    "din_generate",
    "din_stock_receive",
    "donation_record",
    "donation_record_scanned",
    "jurisdiction_of",
    "marker_history",
    "reason_to_json",
    "record_families",
    "record_family",
    "screening_evaluate",
    "screening_override",
    "screening_override_by_telephone",
    "screening_override_sign",
    "screening_record",
]
