from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from hemaops.core import selectors
from hemaops.core.access import require_permission

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
