"""API of oversight: added to the donations router (hemaops.donations.api).

The quality officer's review of a reportable reaction, and fixed sites' opening hours and
closures. (The director's pending telephone approvals and the reaction list are in
``collection_api``.) Every POST records something and answers 201; errors are
``{"error": {"code", "message", "field"}}`` with their 4xx status (hemaops.api).
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from hemaops.core.access import require_permission
from hemaops.core.authentication import request_actor
from hemaops.donations import drive_services, oversight_selectors, oversight_services
from hemaops.donations.access import access_reaction_by_id
from hemaops.donations.models import AdverseReaction, SiteClosure
from hemaops.donations.oversight_selectors import SiteHours

router = Router(tags=["oversight"])


# --- reportable reactions -------------------------------------------------------------------


class ReviewIn(Schema):
    note: str = Field(description="What was decided: reported to the FDA, investigated and closed, …")


class ReactionReviewOut(Schema):
    id: int
    donation: int
    din: str
    kind: str
    severity: str
    reportable: bool
    occurred_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str


def _review_out(reaction: AdverseReaction) -> ReactionReviewOut:
    return ReactionReviewOut(
        id=reaction.pk,
        donation=reaction.donation_id,
        din=reaction.donation.din.din,
        kind=reaction.kind,
        severity=reaction.severity,
        reportable=reaction.reportable,
        occurred_at=reaction.occurred_at,
        reviewed_by=reaction.reviewed_by.get_username() if reaction.reviewed_by else None,
        reviewed_at=reaction.reviewed_at,
        review_note=reaction.review_note,
    )


@router.post(
    "/reactions/{reaction_id}/review",
    response={201: ReactionReviewOut},
    summary="The quality officer reviews a reportable reaction",
)
def reaction_review(request: HttpRequest, reaction_id: int, payload: ReviewIn) -> Status:
    """Refused: an empty note (400, field ``note``), a reaction not reportable (400), a
    reaction already reviewed (409, field ``reviewed_at``)."""
    actor = request_actor(request)
    require_permission(actor, oversight_services.REVIEW_PERMISSION)
    reaction = access_reaction_by_id(actor, reaction_id)
    reviewed = oversight_services.adverse_reaction_review(actor=actor, reaction=reaction, note=payload.note)
    return Status(201, _review_out(reviewed))


# --- fixed-site hours -----------------------------------------------------------------------


class OpeningHoursIn(Schema):
    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    opens: time = Field(description="Local time at the site")
    closes: time = Field(description="Local time at the site")


class ClosureIn(Schema):
    date: date
    reason: str


class OpeningHoursOut(Schema):
    weekday: int
    day: str
    opens: time
    closes: time


class ClosureOut(Schema):
    site: str
    date: date
    reason: str


class SiteHoursOut(Schema):
    site: str
    name: str
    time_zone: str
    fixed: bool = Field(description="Only fixed collection sites keep opening hours")
    hours: list[OpeningHoursOut]
    closures: list[ClosureOut] = Field(description="Today (site time) and later")


def _closure_out(closure: SiteClosure) -> ClosureOut:
    return ClosureOut(site=closure.site.code, date=closure.date, reason=closure.reason)


def _hours_out(entry: SiteHours) -> SiteHoursOut:
    return SiteHoursOut(
        site=entry.site.code,
        name=entry.site.name,
        time_zone=entry.site.time_zone,
        fixed=entry.fixed,
        hours=[
            OpeningHoursOut(weekday=day.weekday, day=day.name, opens=hours.opens, closes=hours.closes)
            for day in entry.days
            for hours in day.hours
        ],
        closures=[_closure_out(closure) for closure in entry.closures],
    )


@router.get("/sites/{site_code}/hours", response=SiteHoursOut, summary="A site's weekly hours and closures")
def site_hours(request: HttpRequest, site_code: str) -> SiteHoursOut:
    require_permission(request_actor(request), "donations.view_drives")
    return _hours_out(oversight_selectors.site_hours_of(oversight_selectors.site_get_by_code(site_code)))


@router.post(
    "/sites/{site_code}/hours", response={201: SiteHoursOut}, summary="Set a fixed site's hours on a weekday"
)
def site_hours_set(request: HttpRequest, site_code: str, payload: OpeningHoursIn) -> Status:
    """Replaces that weekday's hours. Refused: a weekday outside 0–6 (field ``weekday``),
    closing before opening (field ``closes``), a site that is not a fixed collection site."""
    actor = request_actor(request)
    require_permission(actor, "donations.plan_drive")
    site = oversight_selectors.site_get_by_code(site_code)
    drive_services.site_opening_hours_set(
        actor=actor, site=site, weekday=payload.weekday, opens=payload.opens, closes=payload.closes
    )
    return Status(201, _hours_out(oversight_selectors.site_hours_of(site)))


@router.post(
    "/sites/{site_code}/closures", response={201: ClosureOut}, summary="Close a fixed site on a date"
)
def site_closure_add(request: HttpRequest, site_code: str, payload: ClosureIn) -> Status:
    """Refused: no reason (field ``reason``), a date already closed (409, field ``date``)."""
    actor = request_actor(request)
    require_permission(actor, "donations.plan_drive")
    site = oversight_selectors.site_get_by_code(site_code)
    closure = drive_services.site_closure_add(actor=actor, site=site, day=payload.date, reason=payload.reason)
    return Status(201, _closure_out(closure))
