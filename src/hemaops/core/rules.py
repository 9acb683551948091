"""Pure rules of the core context: no Django, no database, no clock."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta


class BusinessTime(enum.StrEnum):
    CURRENT = "current"
    PAST = "past"
    FUTURE = "future"


def classify_business_time(
    occurred_at: datetime, recorded_at: datetime, tolerance: timedelta
) -> BusinessTime:
    """Whether a business time is now, back-dated or in the future.

    Source: DESIGN.md "Business dates" — late entry is normal in a blood center but needs a
    permission and is audited; 21 CFR 11.10(e) asks that the record say when it was entered,
    which the audit trail's recorded_at does. A small tolerance absorbs clock skew between a
    bedside device and the server.
    """
    if occurred_at.tzinfo is None or recorded_at.tzinfo is None:
        raise ValueError("business times must be timezone-aware")
    if occurred_at > recorded_at + tolerance:
        return BusinessTime.FUTURE
    if occurred_at < recorded_at - tolerance:
        return BusinessTime.PAST
    return BusinessTime.CURRENT
