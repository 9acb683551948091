"""API of recruitment: added to the donations router (hemaops.donations.api).

``GET /recruitment`` answers the recruitment list as JSON rows with its counts;
``GET /recruitment.csv`` the same list as a CSV file. The filters are query parameters, as
on the page. Errors are ``{"error": {"code", "message", "field"}}`` naming the parameter:
422 for a parameter of the wrong type (a date that is not YYYY-MM-DD), 400 for a value the
list refuses (an unknown procedure or site, a distance without a site).
"""

from __future__ import annotations

import dataclasses
from datetime import date

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from hemaops.core.access import require_permission
from hemaops.core.authentication import request_actor
from hemaops.core.errors import DomainError
from hemaops.core.models import Site
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import Drive
from hemaops.donations.recruitment import (
    RecruitmentList,
    RecruitmentRow,
    csv_filename,
    csv_write,
    default_day,
    recruitment_export_record,
    recruitment_list,
)

router = Router(tags=["recruitment"])

PERMISSION = "donations.view_recruitment_list"


class RecruitmentRowOut(Schema):
    donor_number: str
    family_name: str
    given_name: str
    abo: str = Field(description="ABO group on record, empty when not known")
    rhd: str = Field(description="pos, neg, or empty when not known")
    donor_type: str = Field(description="Today's donor type: volunteer, paid, autologous, directed")
    last_donation_on: date | None
    last_donation_procedure: str
    eligible_since: date | None = Field(description="First day the history allowed the procedure")
    phone: str
    email: str
    address_line: str
    city: str
    region: str
    postal_code: str
    country: str
    distance_km: float | None = Field(description="From the site's ZIP code; null without a site or location")


class RecruitmentCountsOut(Schema):
    considered: int
    not_yet_eligible: int
    deferred_indefinitely_or_permanently: int
    contact_refused: int
    unknown_distance: int
    beyond_distance: int
    listed: int
    merged_records_skipped: int


class RecruitmentListOut(Schema):
    on: date
    procedure: str
    site: str | None
    within_km: float | None
    truncated: bool
    counts: RecruitmentCountsOut
    rows: list[RecruitmentRowOut]


def _row_out(row: RecruitmentRow) -> RecruitmentRowOut:
    return RecruitmentRowOut(**{name: getattr(row, name) for name in RecruitmentRowOut.model_fields})


def _listing(
    *,
    on: date | None,
    procedure: str,
    abo: str | None,
    rhd: str | None,
    donor_type: str | None,
    last_donation_before: date | None,
    site: str | None,
    drive: int | None,
    within_km: float | None,
    limit: int | None,
) -> RecruitmentList:
    if site and drive is not None:
        raise DonationsError("site: give a drive or a site, not both", code="invalid_value", field="site")
    found_drive = None
    near_site = None
    if drive is not None:
        found_drive = Drive.objects.select_related("site").filter(pk=drive).first()
        if found_drive is None:
            raise DonationsError(f"drive: no drive {drive}", code="unknown_drive", field="drive")
        near_site = found_drive.site
    elif site:
        near_site = Site.objects.filter(code=site).first()
        if near_site is None:
            raise DonationsError(f"site: no site {site!r}", code="unknown_site", field="site")
    try:
        return recruitment_list(
            on=default_day(on, found_drive, near_site),
            procedure=procedure,
            abo=abo,
            rhd=rhd,
            donor_type=donor_type,
            last_donation_before=last_donation_before,
            near_site=near_site,
            within_km=within_km,
            limit=limit,
        )
    except DomainError as error:
        if error.field == "near_site":  # the parameter that named the place
            error.field = "drive" if drive is not None else "site"
            error.message = f"{error.field}:{error.message.removeprefix('near_site:')}"
        raise


@router.get("/recruitment", response=RecruitmentListOut, summary="Donors to call or write for a day")
def recruitment_list_get(
    request: HttpRequest,
    procedure: str,
    on: date | None = None,
    abo: str | None = None,
    rhd: str | None = None,
    donor_type: str | None = None,
    last_donation_before: date | None = None,
    site: str | None = None,
    drive: int | None = None,
    within_km: float | None = None,
    limit: int | None = None,
) -> RecruitmentListOut:
    """Donors whom the eligibility engine, given only their history (earlier donations,
    deferrals on record, age), does not defer for ``procedure`` on ``on`` (default: the
    drive's day, else today at the site, else today). ``abo`` A, B, AB, O; ``rhd`` pos or
    neg; ``donor_type`` volunteer, paid, autologous, directed; ``last_donation_before``:
    not given since that date; ``site`` (code) or ``drive`` (id) to measure the distance
    from, nearest first; ``within_km`` leaves out donors farther away or of unknown
    location. Merged records and donors who withdrew their contact consent are never
    listed; the counts say how many were left out and why."""
    require_permission(request_actor(request), PERMISSION)
    listing = _listing(
        on=on,
        procedure=procedure,
        abo=abo,
        rhd=rhd,
        donor_type=donor_type,
        last_donation_before=last_donation_before,
        site=site,
        drive=drive,
        within_km=within_km,
        limit=limit,
    )
    return RecruitmentListOut(
        on=listing.on,
        procedure=listing.procedure,
        site=listing.near_site.code if listing.near_site else None,
        within_km=listing.within_km,
        truncated=listing.truncated,
        counts=RecruitmentCountsOut(**dataclasses.asdict(listing.counts)),
        rows=[_row_out(row) for row in listing.rows],
    )


@router.get("/recruitment.csv", summary="The recruitment list as a CSV file", response={200: None})
def recruitment_csv_get(
    request: HttpRequest,
    procedure: str,
    on: date | None = None,
    abo: str | None = None,
    rhd: str | None = None,
    donor_type: str | None = None,
    last_donation_before: date | None = None,
    site: str | None = None,
    drive: int | None = None,
    within_km: float | None = None,
) -> HttpResponse:
    """The same list and filters as ``GET /recruitment``, every row, as ``text/csv`` with a
    header row."""
    require_permission(request_actor(request), PERMISSION)
    listing = _listing(
        on=on,
        procedure=procedure,
        abo=abo,
        rhd=rhd,
        donor_type=donor_type,
        last_donation_before=last_donation_before,
        site=site,
        drive=drive,
        within_km=within_km,
        limit=None,
    )
    recruitment_export_record(actor=request_actor(request), listing=listing, way="api")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(listing)}"'
    csv_write(listing, response)
    return response
