"""The read side of the oversight pages and API: the reportable reactions to review, and the
collecting sites with their week of opening hours and upcoming closures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from hemaops.core.errors import NotFoundError
from hemaops.core.models import Site
from hemaops.donations import selectors
from hemaops.donations.drive_services import site_today
from hemaops.donations.models import AdverseReaction, SiteClosure, SiteOpeningHours

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- read side: reactions ------------------------------------------------------------------


def reaction_list_for_review() -> QuerySet[AdverseReaction]:
    """Reportable reactions, those not reviewed yet first, then the newest first."""
    return (
        selectors.reaction_list(reportable=True)
        .select_related("reviewed_by", "recorded_by")
        .order_by(F("reviewed_at").asc(nulls_first=True), "-occurred_at", "-pk")
    )


def reaction_count_to_review() -> int:
    return selectors.reaction_list(reportable=True).filter(reviewed_at__isnull=True).count()


# --- read side: fixed-site hours -----------------------------------------------------------


@dataclass(frozen=True)
class DayHours:
    weekday: int
    name: str
    hours: list[SiteOpeningHours]


@dataclass(frozen=True)
class SiteHours:
    site: Site
    fixed: bool  # only fixed collection sites keep opening hours
    days: list[DayHours]
    closures: list[SiteClosure]  # today and later, in the site's time zone


def site_get_by_code(code: str) -> Site:
    """A collecting site by code (404 when there is none)."""
    site = selectors.collecting_sites().filter(code=code).first()
    if site is None:
        raise NotFoundError(
            f"site_code: no active collecting site {code!r}", code="unknown_site", field="site_code"
        )
    return site


def site_hours_of(site: Site) -> SiteHours:
    """``site``'s week and its closures from today on (``site`` may come with its
    ``opening_hours`` and ``closures`` prefetched, as ``site_hours_list`` does)."""
    today = site_today(site)
    hours = sorted(site.opening_hours.all(), key=lambda entry: (entry.weekday, entry.opens))
    return SiteHours(
        site=site,
        fixed=site.kind == Site.Kind.FIXED_COLLECTION,
        days=[
            DayHours(day, WEEKDAYS[day], [entry for entry in hours if entry.weekday == day])
            for day in range(7)
        ],
        closures=sorted(
            (closure for closure in site.closures.all() if closure.date >= today), key=lambda c: c.date
        ),
    )


def site_hours_list() -> list[SiteHours]:
    """Every collecting site with its week and its upcoming closures (three queries)."""
    # A day's margin: each site's "today" is in its own time zone.
    since = timezone.now().date() - timedelta(days=1)
    sites = selectors.collecting_sites().prefetch_related(
        "opening_hours", Prefetch("closures", queryset=SiteClosure.objects.filter(date__gte=since))
    )
    return [site_hours_of(site) for site in sites]
