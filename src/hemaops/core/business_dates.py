"""Business dates (DESIGN.md): every service records the time of what happened.

``business_time_resolve`` turns the ``occurred_at`` a service was given into the time it
records: now when absent; refused in the future; in the past only with the
``core.record_past_business_date`` permission, and then marked for the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.errors import CoreError, PermissionDeniedError
from hemaops.core.models import User
from hemaops.core.rules import BusinessTime, classify_business_time


@dataclass(frozen=True)
class ResolvedTime:
    occurred_at: datetime
    backdated: bool

    def audit_data(self) -> dict[str, object]:
        return {"backdated": True} if self.backdated else {}


def business_time_resolve(*, actor: User | None, occurred_at: datetime | None) -> ResolvedTime:
    now = timezone.now()
    if occurred_at is None:
        return ResolvedTime(now, backdated=False)
    if timezone.is_naive(occurred_at):
        raise CoreError("occurred_at must carry a time zone", code="naive_time", field="occurred_at")
    tolerance = timedelta(minutes=settings.HEMAOPS_BACKDATE_TOLERANCE_MINUTES)
    kind = classify_business_time(occurred_at, now, tolerance)
    if kind is BusinessTime.FUTURE:
        raise CoreError(
            "occurred_at is in the future; record what has happened, not what will",
            code="future_time",
            field="occurred_at",
        )
    if kind is BusinessTime.PAST:
        try:
            require_permission(actor, "core.record_past_business_date")
        except PermissionDeniedError:
            raise PermissionDeniedError(
                "Recording work in the past needs the permission to back-date; ask a supervisor.",
                code="backdating_not_permitted",
                field="occurred_at",
            ) from None
        return ResolvedTime(occurred_at, backdated=True)
    return ResolvedTime(occurred_at, backdated=False)
