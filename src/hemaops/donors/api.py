"""Donor registry API: search, one donor by number, registration (409 with the candidates
when a possible duplicate is found and not confirmed)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from hemaops.core.access import require_permission
from hemaops.core.authentication import request_actor
from hemaops.core.models import Program
from hemaops.donors import selectors, services
from hemaops.donors.access import access_donor_by_number
from hemaops.donors.models import Donor, DonorType, DonorTypePeriod
from hemaops.donors.services import DonorDetails, DonorsError, DuplicateDonorError

router = Router(tags=["donors"])
SEARCH_LIMIT = 50


class DonorTypePeriodOut(Schema):
    donor_type: str
    program: str | None
    started_on: date
    ended_on: date | None = Field(description="First day no longer of this type; null while current")
    merged_from: str | None = Field(description="Donor number of the merged record it came from")


class ConsentOut(Schema):
    kind: str
    given_on: date
    withdrawn_on: date | None
    merged_from: str | None


class AddressOut(Schema):
    line: str
    city: str
    region: str
    postal_code: str
    country: str
    confirmed_on: date | None = Field(description="21 CFR 630.10(g): reachable for 8 weeks after donation")


class DonorSummaryOut(Schema):
    donor_number: str
    family_name: str
    given_name: str
    date_of_birth: date
    sex: str
    donor_type: str | None
    merged_into: str | None


class DonorOut(DonorSummaryOut):
    phone: str
    email: str
    address: AddressOut
    abo: str | None = Field(description="ABO group on record, written by testing")
    rhd: str | None = Field(description="pos | neg on record, written by testing")
    type_history: list[DonorTypePeriodOut]
    consents: list[ConsentOut]


class DonorIn(Schema):
    family_name: str = Field(min_length=1, max_length=100)
    given_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date
    sex: str = Field(description="F or M, as recorded for selecting the hemoglobin thresholds")
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    address_line: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    region: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(default="US", max_length=2)
    address_confirmed_on: date | None = None
    donor_type: str = Field(
        default=DonorType.VOLUNTEER, description="volunteer | paid | autologous | directed"
    )
    program: str | None = Field(default=None, description="Program code")
    not_a_duplicate: bool = Field(
        default=False,
        description="Register although donors with a similar name and the same birth date exist",
    )


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None


class DuplicateOut(Schema):
    error: ErrorBody
    candidates: list[DonorSummaryOut]


class DonorSearchQuery(Schema):
    q: str = Field(default="", description="Donor number, name, or date of birth (YYYY-MM-DD)")


def _summary(donor: Donor, current: DonorTypePeriod | None) -> DonorSummaryOut:
    return DonorSummaryOut(
        donor_number=donor.donor_number,
        family_name=donor.family_name,
        given_name=donor.given_name,
        date_of_birth=donor.date_of_birth,
        sex=donor.sex,
        donor_type=current.donor_type if current else None,
        merged_into=donor.merged_into.donor_number if donor.merged_into else None,
    )


def donor_out(donor: Donor) -> DonorOut:
    donor = selectors.donor_get_detail(donor)
    periods = list(donor.type_periods.all())
    current = next((p for p in periods if p.ended_on is None and p.merged_from_id is None), None)
    return DonorOut(
        **_summary(donor, current).dict(),
        phone=donor.phone,
        email=donor.email,
        address=AddressOut(
            line=donor.address_line,
            city=donor.city,
            region=donor.region,
            postal_code=donor.postal_code,
            country=donor.country,
            confirmed_on=donor.address_confirmed_on,
        ),
        abo=donor.abo_on_record or None,
        rhd=donor.rhd_on_record or None,
        type_history=[
            DonorTypePeriodOut(
                donor_type=period.donor_type,
                program=period.program.code if period.program else None,
                started_on=period.started_on,
                ended_on=period.ended_on,
                merged_from=period.merged_from.donor_number if period.merged_from else None,
            )
            for period in periods
        ],
        consents=[
            ConsentOut(
                kind=consent.kind,
                given_on=consent.given_on,
                withdrawn_on=consent.withdrawn_on,
                merged_from=consent.merged_from.donor_number if consent.merged_from else None,
            )
            for consent in donor.consents.all()
        ],
    )


@router.get("/donors", response=list[DonorSummaryOut], summary="Search donors")
def donor_search(request: HttpRequest, query: Query[DonorSearchQuery]) -> list[DonorSummaryOut]:
    """At most 50 donors, by name; merged records are included with the survivor's number."""
    require_permission(request_actor(request), "donors.view_donor")
    donors = list(selectors.donor_list_search(query.q)[:SEARCH_LIMIT])
    current = selectors.donor_type_current_by_donor([donor.pk for donor in donors])
    return [_summary(donor, current.get(donor.pk)) for donor in donors]


@router.get("/donors/{donor_number}", response=DonorOut, summary="One donor")
def donor_detail(request: HttpRequest, donor_number: str) -> DonorOut:
    return donor_out(access_donor_by_number(request_actor(request), donor_number))


@router.post(
    "/donors",
    response={201: DonorOut, 409: DuplicateOut},
    summary="Register a donor",
    operation_id="donor_register",
)
def donor_register(request: HttpRequest, payload: DonorIn) -> Status:
    """Answers 409 with the possible duplicates (same date of birth, similar name) unless
    ``not_a_duplicate`` is true."""
    require_permission(request_actor(request), "donors.add_donor")
    program = None
    if payload.program:
        program = Program.objects.filter(code=payload.program).first()
        if program is None:
            raise DonorsError(
                f"program: no program {payload.program!r}", code="unknown_program", field="program"
            )
    details = DonorDetails(
        **payload.dict(exclude={"donor_type", "program", "not_a_duplicate"}),
    )
    try:
        donor = services.donor_register(
            actor=request_actor(request),
            details=details,
            donor_type=payload.donor_type,
            program=program,
            not_a_duplicate=payload.not_a_duplicate,
        )
    except DuplicateDonorError as error:
        current = selectors.donor_type_current_by_donor([donor.pk for donor in error.candidates])
        return Status(
            409,
            DuplicateOut(
                error=ErrorBody(code=error.code, message=error.message, field=error.field),
                candidates=[_summary(donor, current.get(donor.pk)) for donor in error.candidates],
            ),
        )
    return Status(201, donor_out(donor))
