from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from hemaops.core import selectors
from hemaops.core.access import require_permission
from hemaops.core.errors import CoreError
from hemaops.core.models import Company, Hospital
from hemaops.core.services import reference_data_save

router = Router(tags=["core"])


class SiteOut(Schema):
    code: str
    name: str
    kind: str
    time_zone: str
    facility_identification_number: str
    is_active: bool


class ProgramOut(Schema):
    code: str
    name: str
    segment: str
    kind: str
    region: str
    client_hospital: str | None
    active_from: str
    active_until: str | None


class HospitalOut(Schema):
    code: str
    name: str
    city: str
    region: str
    time_zone: str
    is_active: bool


@router.get("/sites", response=list[SiteOut], summary="Sites of the company")
def sites(request: HttpRequest) -> list[SiteOut]:
    require_permission(request.user, "core.view_reference_data")  # type: ignore[arg-type]
    return [SiteOut.from_orm(site) for site in selectors.site_list()]


@router.get("/programs", response=list[ProgramOut], summary="Programs, each in a segment")
def programs(request: HttpRequest) -> list[ProgramOut]:
    require_permission(request.user, "core.view_reference_data")  # type: ignore[arg-type]
    return [
        ProgramOut(
            code=program.code,
            name=program.name,
            segment=program.segment,
            kind=program.kind,
            region=program.region,
            client_hospital=program.client_hospital.code if program.client_hospital else None,
            active_from=program.active_from.isoformat(),
            active_until=program.active_until.isoformat() if program.active_until else None,
        )
        for program in selectors.program_list()
    ]


@router.get("/hospitals", response=list[HospitalOut], summary="Hospital customers")
def hospitals(request: HttpRequest) -> list[HospitalOut]:
    require_permission(request.user, "core.view_reference_data")  # type: ignore[arg-type]
    return [HospitalOut.from_orm(hospital) for hospital in selectors.hospital_list()]


class HospitalIn(Schema):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=200)
    time_zone: str
    address_line: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = "US"


@router.post("/hospitals", response={201: HospitalOut}, summary="Add a hospital customer")
def hospital_create(request: HttpRequest, payload: HospitalIn) -> Status:
    company = Company.objects.order_by("pk").first()
    if company is None:
        raise CoreError("No company is set up yet; create it in the admin first.", code="no_company")
    hospital = reference_data_save(
        actor=request.user,  # type: ignore[arg-type]
        instance=Hospital(company=company, **payload.dict()),
        reason="added through the API",
    )
    return Status(201, HospitalOut.from_orm(hospital))
