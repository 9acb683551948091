"""Read side of collections: the drive calendar, a drive's day board and its results
against its goal, and the gates through which pages and the API load drives, slots and
appointments (house style §4, §10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from hemaops.core.errors import NotFoundError
from hemaops.core.models import User
from hemaops.donations.drive_services import site_today
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import Appointment, AppointmentSlot, Donation, Drive
from hemaops.donations.selectors import collecting_sites


def _may_view(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("donations.view_drives")


def access_drive_by_id(user: User, drive_id: int) -> Drive:
    if not _may_view(user):
        raise NotFoundError("No such drive.")
    drive = drive_list().filter(pk=drive_id).first()
    if drive is None:
        raise NotFoundError("No such drive.")
    return drive


def access_slot_by_id(user: User, slot_id: int) -> AppointmentSlot:
    slot = AppointmentSlot.objects.select_related("site", "drive").filter(pk=slot_id).first()
    if not _may_view(user) or slot is None:
        raise NotFoundError("No such slot.")
    return slot


def access_appointment_by_id(user: User, appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_related("donor", "site", "drive", "slot").filter(pk=appointment_id).first()
    )
    if not _may_view(user) or appointment is None:
        raise NotFoundError("No such appointment.")
    return appointment


def drive_list() -> QuerySet[Drive]:
    return (
        Drive.objects.select_related("site", "program")
        .prefetch_related("goals", "staff")
        .annotate(
            booked_count=Count("appointments", filter=Q(appointments__status="booked"), distinct=True),
            checked_in_count=Count(
                "appointments", filter=Q(appointments__status="checked_in"), distinct=True
            ),
        )
        .order_by("date", "starts_at", "pk")
    )


def month_parse(text: str | None) -> tuple[int, int]:
    """``YYYY-MM`` → (year, month); this month when empty."""
    if not text:
        today = timezone.localdate()
        return today.year, today.month
    year, _, month = text.partition("-")
    if not (year.isdigit() and month.isdigit() and len(year) == 4 and 1 <= int(month) <= 12):
        raise DonationsError("month: write the month as YYYY-MM", code="invalid_month", field="month")
    return int(year), int(month)


def drive_list_for_month(year: int, month: int) -> QuerySet[Drive]:
    """The calendar: drives of one month, with their goals and counts (one query plus prefetches)."""
    first = date(year, month, 1)
    after = date(year + (month == 12), month % 12 + 1, 1)
    return drive_list().filter(date__gte=first, date__lt=after)


def slot_list_for_drive(drive: Drive) -> QuerySet[AppointmentSlot]:
    """The day board: slots with their appointments and donors."""
    appointments = Appointment.objects.select_related("donor").order_by("booked_at", "pk")
    return (
        AppointmentSlot.objects.filter(drive=drive)
        .prefetch_related(Prefetch("appointments", queryset=appointments))
        .annotate(
            taken_count=Count("appointments", filter=Q(appointments__status__in=["booked", "checked_in"]))
        )
        .order_by("starts_at", "pk")
    )


def walk_in_list_for_drive(drive: Drive) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(drive=drive, is_walk_in=True).select_related("donor").order_by("booked_at")
    )


def collected_units_by_procedure(drive: Drive) -> dict[str, int]:
    """Units collected on ``drive`` by procedure: donations whose screening was at the drive."""
    rows = Donation.objects.filter(screening__drive=drive).values("procedure").annotate(units=Count("pk"))
    return {row["procedure"]: row["units"] for row in rows}


@dataclass(frozen=True)
class GoalLine:
    procedure: str
    goal_units: int
    collected_units: int

    @property
    def percent_of_goal(self) -> int | None:
        return None if not self.goal_units else round(100 * self.collected_units / self.goal_units)


@dataclass(frozen=True)
class DriveResults:
    drive: Drive
    capacity: int
    booked: int
    checked_in: int
    walk_ins: int
    no_shows: int
    cancelled: int
    goals: list[GoalLine]


def drive_results(drive: Drive) -> DriveResults:
    """A drive's results against its goal: appointments by status, units by procedure."""
    counts = Appointment.objects.filter(drive=drive).aggregate(
        booked=Count("pk", filter=Q(status="booked")),
        checked_in=Count("pk", filter=Q(status="checked_in")),
        walk_ins=Count("pk", filter=Q(is_walk_in=True)),
        no_shows=Count("pk", filter=Q(status="no_show")),
        cancelled=Count("pk", filter=Q(status="cancelled")),
    )
    capacity = sum(AppointmentSlot.objects.filter(drive=drive).values_list("capacity", flat=True))
    collected = collected_units_by_procedure(drive)
    goals = {goal.procedure: goal.units for goal in drive.goals.all()}
    lines = [
        GoalLine(procedure, goals.get(procedure, 0), collected.get(procedure, 0))
        for procedure in sorted(set(goals) | set(collected))
    ]
    return DriveResults(drive=drive, capacity=capacity, goals=lines, **counts)


def drives_today() -> list[Drive]:
    """The drives held today (each in its own site's time zone) at collecting sites, not
    cancelled: the ones a donor screened now can have come to."""
    around = timezone.now().date()
    candidates = (
        Drive.objects.filter(
            site__in=collecting_sites(),
            date__range=(around - timedelta(days=1), around + timedelta(days=1)),
        )
        .exclude(status=Drive.Status.CANCELLED)
        .select_related("site", "program")
        .order_by("site__code", "starts_at", "pk")
    )
    return [drive for drive in candidates if drive.date == site_today(drive.site)]
