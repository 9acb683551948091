"""Oversight: the quality officer's review of reportable adverse reactions (house style §3:
one transaction, permission-checked, the row locked, audited in the ``donations`` stream),
and the read side the oversight pages and API share (the reactions to review, the gate of a
reaction, fixed sites with their hours and upcoming closures).

The read functions live here rather than in ``selectors.py`` / ``access.py`` only because
those modules belong to other work in progress; they are plain selectors and a gate and can
move there unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.errors import ConflictError, NotFoundError
from hemaops.core.models import Site, User
from hemaops.donations import selectors
from hemaops.donations.drive_services import site_today
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import AdverseReaction, SiteClosure, SiteOpeningHours

STREAM = "donations"
REVIEW_PERMISSION = "donations.review_adversereaction"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- the review of a reportable reaction ---------------------------------------------------


@transaction.atomic
def adverse_reaction_review(*, actor: User | None, reaction: AdverseReaction, note: str) -> AdverseReaction:
    """The quality officer records what was decided about a reportable reaction (reported to
    the FDA, investigated and closed …). A reaction is reviewed once; a second review is
    refused (409) and changes nothing."""
    require_permission(actor, REVIEW_PERMISSION)
    text = note.strip()
    if not text:
        raise DonationsError("note: say what was decided about the reaction", code="required", field="note")
    locked = (
        AdverseReaction.objects.select_for_update(of=("self",))
        .select_related("donation__din", "reviewed_by")
        .get(pk=reaction.pk)
    )
    if not locked.reportable:
        raise DonationsError(
            "reaction: only reportable reactions are reviewed", code="not_reportable", field="reaction"
        )
    if locked.reviewed_at is not None:
        reviewer = locked.reviewed_by.get_username() if locked.reviewed_by else "the operator"
        raise ConflictError(
            f"reviewed_at: the reaction was already reviewed by {reviewer} on "
            f"{locked.reviewed_at:%Y-%m-%d %H:%M} UTC",
            code="already_reviewed",
            field="reviewed_at",
        )
    locked.reviewed_by = actor
    locked.reviewed_at = timezone.now()
    locked.review_note = text
    locked.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        stream=STREAM,
        action="donations.reaction.reviewed",
        actor=actor,
        target=locked,
        data={
            "old": {"reviewed_by": None, "reviewed_at": None, "review_note": ""},
            "new": {
                "din": locked.donation.din.din,
                "reviewed_by": actor.get_username() if actor else None,
                "reviewed_at": locked.reviewed_at,
                "review_note": text,
            },
        },
        reason=text,
    )
    return locked


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


def access_reaction_by_id(user: User, reaction_id: int) -> AdverseReaction:
    """The gate of an adverse reaction: 404 for whoever may not view reactions."""
    if not (user.is_authenticated and user.is_active and user.has_perm("donations.view_adversereaction")):
        raise NotFoundError("No such reaction.")
    reaction = selectors.reaction_list().select_related("reviewed_by").filter(pk=reaction_id).first()
    if reaction is None:
        raise NotFoundError("No such reaction.")
    return reaction


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
