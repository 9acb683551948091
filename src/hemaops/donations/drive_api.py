"""Collections API: drives (list by month, plan, get, change status), slots, appointments
(book, cancel, check in, walk in) and a drive's results against its goal.

Added to the donations router (``hemaops.donations.api``). Every POST records something new
(a drive, a slot, an appointment, a status change or check-in event) and answers 201.
Errors are ``{"error": {"code", "message", "field"}}`` with their 4xx status (hemaops.api).
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from hemaops.core.access import require_permission
from hemaops.core.authentication import request_actor
from hemaops.core.errors import NotFoundError
from hemaops.core.models import Program, Site, User
from hemaops.donations import drive_selectors as selectors
from hemaops.donations import drive_services as services
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import Appointment, AppointmentSlot, Drive
from hemaops.donors.access import access_donor_by_number
from hemaops.donors.models import Donor

router = Router(tags=["collections"])


class GoalIn(Schema):
    procedure: str = Field(description="whole_blood, double_red_cells, platelets, plasma, source_plasma")
    units: int = Field(ge=0)


class DriveIn(Schema):
    host_organization: str
    site: str = Field(description="Code of the mobile unit or fixed site used for the drive")
    place: str = Field(description="Where the drive is held (address)")
    program: str = Field(description="Code of a mobile collections program")
    date: date
    starts: time = Field(description="Local time at the site")
    ends: time = Field(description="Local time at the site")
    goals: list[GoalIn] = []
    staff: list[str] = Field(default=[], description="Usernames of the staff assigned")
    notes: str = ""


class GoalOut(Schema):
    procedure: str
    units: int


class DriveOut(Schema):
    id: int
    host_organization: str
    site: str
    place: str
    program: str
    date: date
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    status: str
    goals: list[GoalOut]
    staff: list[str]


class StatusIn(Schema):
    status: str = Field(description="planned, confirmed, held or cancelled")
    reason: str = ""


class SlotIn(Schema):
    starts: time = Field(description="Local time at the drive's site, on the drive's day")
    ends: time
    capacity: int = Field(description="Donors the slot takes, at least 1")


class SlotOut(Schema):
    id: int
    drive: int | None
    site: str
    starts_at: datetime
    ends_at: datetime
    capacity: int


class DonorIn(Schema):
    donor: str = Field(description="Donor number, e.g. D0000001")


class CancelIn(Schema):
    reason: str = ""


class AppointmentOut(Schema):
    id: int
    donor: str
    site: str
    drive: int | None
    slot: int | None
    walk_in: bool
    status: str
    checked_in_at: datetime | None


class GoalResultOut(Schema):
    procedure: str
    goal_units: int
    collected_units: int
    percent_of_goal: int | None


class DriveResultsOut(Schema):
    drive: int
    status: str
    capacity: int
    booked: int
    checked_in: int
    walk_ins: int
    no_shows: int
    cancelled: int
    goals: list[GoalResultOut]


def _drive_out(drive: Drive) -> DriveOut:
    return DriveOut(
        id=drive.pk,
        host_organization=drive.host_organization,
        site=drive.site.code,
        place=drive.place,
        program=drive.program.code,
        date=drive.date,
        starts_at=drive.starts_at,
        ends_at=drive.ends_at,
        time_zone=drive.site.time_zone,
        status=drive.status,
        goals=[GoalOut(procedure=g.procedure, units=g.units) for g in drive.goals.all()],
        staff=sorted(user.username for user in drive.staff.all()),
    )


def _slot_out(slot: AppointmentSlot) -> SlotOut:
    return SlotOut(
        id=slot.pk,
        drive=slot.drive_id,
        site=slot.site.code,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=slot.capacity,
    )


def _appointment_out(appointment: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=appointment.pk,
        donor=appointment.donor.donor_number,
        site=appointment.site.code,
        drive=appointment.drive_id,
        slot=appointment.slot_id,
        walk_in=appointment.is_walk_in,
        status=appointment.status,
        checked_in_at=appointment.checked_in_at,
    )


def _by_code(model: type[Site] | type[Program], code: str, field: str) -> Site | Program:
    found = model.objects.filter(code=code).first()
    if found is None:
        raise DonationsError(f"{field}: no {field} {code!r}", code=f"unknown_{field}", field=field)
    return found


def _staff(usernames: list[str]) -> list[User]:
    users = list(User.objects.filter(username__in=usernames, is_active=True))
    missing = set(usernames) - {user.username for user in users}
    if missing:
        raise DonationsError(f"staff: no active user {sorted(missing)}", code="unknown_user", field="staff")
    return users


def _donor(request: HttpRequest, number: str) -> Donor:
    try:
        return access_donor_by_number(request_actor(request), number)
    except NotFoundError:
        raise DonationsError(f"donor: no donor {number!r}", code="unknown_donor", field="donor") from None


@router.get("/drives", response=list[DriveOut], summary="Drives of a month (the calendar)")
def drive_list(request: HttpRequest, month: str | None = None) -> list[DriveOut]:
    """``month`` is YYYY-MM; defaults to this month."""
    require_permission(request_actor(request), "donations.view_drives")
    year, number = selectors.month_parse(month)
    return [_drive_out(drive) for drive in selectors.drive_list_for_month(year, number)]


@router.post("/drives", response={201: DriveOut}, summary="Plan a mobile drive")
def drive_create(request: HttpRequest, payload: DriveIn) -> Status:
    """Refused: a date in the past, a drive ending before it starts, a site that does not
    collect, a program that is not a mobile collections program, an unknown procedure."""
    require_permission(request_actor(request), "donations.plan_drive")
    goals: dict[str, int] = {}
    for goal in payload.goals:
        goals[goal.procedure] = goals.get(goal.procedure, 0) + goal.units
    drive = services.drive_create(
        actor=request_actor(request),
        host_organization=payload.host_organization,
        site=_by_code(Site, payload.site, "site"),  # type: ignore[arg-type]
        place=payload.place,
        program=_by_code(Program, payload.program, "program"),  # type: ignore[arg-type]
        day=payload.date,
        starts=payload.starts,
        ends=payload.ends,
        goals=goals,
        staff=_staff(payload.staff),
        notes=payload.notes,
    )
    return Status(201, _drive_out(selectors.access_drive_by_id(request_actor(request), drive.pk)))


@router.get("/drives/{drive_id}", response=DriveOut, summary="One drive")
def drive_get(request: HttpRequest, drive_id: int) -> DriveOut:
    return _drive_out(selectors.access_drive_by_id(request_actor(request), drive_id))


@router.post("/drives/{drive_id}/status", response={201: DriveOut}, summary="Change a drive's status")
def drive_status_change(request: HttpRequest, drive_id: int, payload: StatusIn) -> Status:
    """planned → confirmed → held; planned or confirmed → cancelled (with a reason).
    A move the lifecycle does not allow answers 409."""
    require_permission(request_actor(request), "donations.plan_drive")
    drive = selectors.access_drive_by_id(request_actor(request), drive_id)
    services.drive_status_change(
        actor=request_actor(request), drive=drive, status=payload.status, reason=payload.reason
    )
    return Status(201, _drive_out(selectors.access_drive_by_id(request_actor(request), drive_id)))


@router.post(
    "/drives/{drive_id}/slots", response={201: SlotOut}, summary="Add an appointment slot to a drive"
)
def slot_create(request: HttpRequest, drive_id: int, payload: SlotIn) -> Status:
    """Refused: capacity below 1, a slot ending before it starts or outside the drive's hours."""
    require_permission(request_actor(request), "donations.plan_drive")
    drive = selectors.access_drive_by_id(request_actor(request), drive_id)
    slot = services.slot_create(
        actor=request_actor(request),
        site=drive.site,
        day=drive.date,
        starts=payload.starts,
        ends=payload.ends,
        capacity=payload.capacity,
        drive=drive,
    )
    return Status(201, _slot_out(slot))


@router.get("/drives/{drive_id}/slots", response=list[SlotOut], summary="A drive's slots")
def slot_list(request: HttpRequest, drive_id: int) -> list[SlotOut]:
    drive = selectors.access_drive_by_id(request_actor(request), drive_id)
    return [_slot_out(slot) for slot in selectors.slot_list_for_drive(drive).select_related("site")]


@router.post(
    "/slots/{slot_id}/appointments", response={201: AppointmentOut}, summary="Book a donor into a slot"
)
def appointment_book(request: HttpRequest, slot_id: int, payload: DonorIn) -> Status:
    """A full slot answers 409 (``slot_full``)."""
    require_permission(request_actor(request), "donations.book_appointment")
    slot = selectors.access_slot_by_id(request_actor(request), slot_id)
    appointment = services.appointment_book(
        actor=request_actor(request), slot=slot, donor=_donor(request, payload.donor)
    )
    return Status(201, _appointment_out(appointment))


@router.post(
    "/appointments/{appointment_id}/cancel", response={201: AppointmentOut}, summary="Cancel an appointment"
)
def appointment_cancel(request: HttpRequest, appointment_id: int, payload: CancelIn) -> Status:
    require_permission(request_actor(request), "donations.book_appointment")
    appointment = selectors.access_appointment_by_id(request_actor(request), appointment_id)
    appointment = services.appointment_cancel(
        actor=request_actor(request), appointment=appointment, reason=payload.reason
    )
    return Status(201, _appointment_out(appointment))


@router.post(
    "/appointments/{appointment_id}/check-in", response={201: AppointmentOut}, summary="Check a donor in"
)
def appointment_check_in(request: HttpRequest, appointment_id: int) -> Status:
    require_permission(request_actor(request), "donations.check_in_donor")
    appointment = selectors.access_appointment_by_id(request_actor(request), appointment_id)
    return Status(
        201,
        _appointment_out(
            services.appointment_check_in(actor=request_actor(request), appointment=appointment)
        ),
    )


@router.post(
    "/drives/{drive_id}/walk-ins",
    response={201: AppointmentOut},
    summary="Check in a walk-in donor at a drive",
)
def appointment_walk_in(request: HttpRequest, drive_id: int, payload: DonorIn) -> Status:
    require_permission(request_actor(request), "donations.check_in_donor")
    drive = selectors.access_drive_by_id(request_actor(request), drive_id)
    appointment = services.appointment_walk_in(
        actor=request_actor(request), donor=_donor(request, payload.donor), drive=drive
    )
    return Status(201, _appointment_out(appointment))


@router.get(
    "/drives/{drive_id}/results", response=DriveResultsOut, summary="A drive's results against its goal"
)
def drive_results(request: HttpRequest, drive_id: int) -> DriveResultsOut:
    results = selectors.drive_results(selectors.access_drive_by_id(request_actor(request), drive_id))
    return DriveResultsOut(
        drive=results.drive.pk,
        status=results.drive.status,
        capacity=results.capacity,
        booked=results.booked,
        checked_in=results.checked_in,
        walk_ins=results.walk_ins,
        no_shows=results.no_shows,
        cancelled=results.cancelled,
        goals=[
            GoalResultOut(
                procedure=line.procedure,
                goal_units=line.goal_units,
                collected_units=line.collected_units,
                percent_of_goal=line.percent_of_goal,
            )
            for line in results.goals
        ],
    )
