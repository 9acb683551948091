"""Moments for tests that record something "a few minutes ago" at a site.

A collection is judged on the site's business day, and the test sites keep Los Angeles time.
"Twelve minutes ago" read in the first minutes after the site's midnight is yesterday there,
before the donor's screening day, and the service rightly refuses it. These helpers cut such
moments at the site's midnight, so a test's timeline stays inside today whatever the hour of
the run (CI once ran across Los Angeles midnight and refused 136 tests' collections).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.utils import timezone

from hemaops.core.models import Site
from hemaops.donations.drive_services import site_today


def earlier_today(site: Site, *, minutes: float) -> datetime:
    """``minutes`` before now, or the site's last midnight if that is later. Fewer minutes
    give a later or equal moment, never one in the future, so a timeline built from decreasing
    ``minutes`` keeps its order on the site's one business day."""
    now = timezone.now()
    midnight = datetime.combine(site_today(site), time(0), tzinfo=zoneinfo.ZoneInfo(site.time_zone))
    return max(now - timedelta(minutes=minutes), midnight)


def noon_days_ago(site: Site, days: int) -> datetime:
    """Noon at ``site``, ``days`` business days ago: a moment whose day no test's minutes can
    cross."""
    day = site_today(site) - timedelta(days=days)
    return datetime.combine(day, time(12), tzinfo=zoneinfo.ZoneInfo(site.time_zone))
