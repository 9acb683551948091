"""What the donations service modules share: the audit stream they write on, the procedure
and site-day conversions, the screening's row lock, and the reasons of a stored decision that
stand in the way of collection (which screening, overrides and donations all read). Internal to
donations; callers use ``donations.services``.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from hemaops.core.models import Site
from hemaops.donations.errors import DonationsError
from hemaops.donations.models.collection import Screening
from hemaops.donors import rules

STREAM = "donations"
# Outcomes that allow collection as they stand (ELIGIBLE_ALT_PROCEDURE: the female
# hemoglobin window under the establishment's FDA-accepted procedure).
_COLLECTABLE = frozenset({rules.Outcome.ELIGIBLE.value, rules.Outcome.ELIGIBLE_ALT_PROCEDURE.value})


def _procedure(value: str) -> rules.Procedure:
    try:
        return rules.Procedure(value)
    except ValueError:
        allowed = ", ".join(member.value for member in rules.Procedure)
        raise DonationsError(
            f"procedure: unknown procedure {value!r} (expected one of: {allowed})",
            code="unknown_procedure",
            field="procedure",
        ) from None


def _site_day(moment: datetime, site: Site) -> date:
    return timezone.localtime(moment, zoneinfo.ZoneInfo(site.time_zone)).date()


def _lock_screening(screening: Screening) -> Screening:
    return (
        Screening.objects.select_for_update(of=("self",))
        .select_related("donor", "site__collections_program", "drive__program")
        .get(pk=screening.pk)
    )


def blocking_reasons(screening: Screening) -> list[dict[str, Any]]:
    """The reasons of the stored decision that stand in the way of collection."""
    return [reason for reason in screening.reasons if reason["outcome"] not in _COLLECTABLE]


def _collection_allowed(screening: Screening, overridden: set[str]) -> bool:
    return all(reason["code"] in overridden for reason in blocking_reasons(screening))
