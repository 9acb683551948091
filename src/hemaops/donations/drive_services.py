"""Collections: fixed-site hours, mobile drives and their lifecycle, appointment slots,
booking, walk-ins, check-in and the no-show sweep (house style §3: one transaction each,
permission-checked, audited in the ``donations`` stream).

A slot's capacity holds under concurrency: booking locks the slot row
(``select_for_update``) before counting the places taken, so concurrent bookings of one
slot are serialised and exactly ``capacity`` of them succeed.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record, audit_record_many
from hemaops.core.business_dates import business_time_resolve
from hemaops.core.errors import ConflictError
from hemaops.core.models import Program, Site, User
from hemaops.donations import drive_rules
from hemaops.donations.drive_rules import Refusal
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import (
    Appointment,
    AppointmentSlot,
    Drive,
    DriveGoal,
    DriveStatusChange,
    SiteClosure,
    SiteOpeningHours,
)
from hemaops.donations.models.drives import PROCEDURE_CHOICES
from hemaops.donors.models import Donor

STREAM = "donations"
PROCEDURES = frozenset(code for code, _ in PROCEDURE_CHOICES)
COLLECTING_KINDS = frozenset({Site.Kind.FIXED_COLLECTION, Site.Kind.MOBILE_UNIT})


def _raise(refusal: Refusal | None) -> None:
    if refusal is not None:
        error = ConflictError if refusal.code in {"slot_full", "transition_not_allowed"} else DonationsError
        raise error(f"{refusal.field}: {refusal.message}", code=refusal.code, field=refusal.field)


def site_local(site: Site, day: date, at: time) -> datetime:
    """``day`` at ``at`` in ``site``'s time zone, as an aware datetime."""
    return datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(site.time_zone))


def site_today(site: Site) -> date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(site.time_zone)).date()


def _collecting_site(site: Site, kinds: Iterable[str] = COLLECTING_KINDS) -> None:
    if site.kind not in kinds or not site.is_active:
        raise DonationsError(
            f"site: {site.name} is not an active collection site", code="not_a_collection_site", field="site"
        )


# Fixed sites -------------------------------------------------------------------------


@transaction.atomic
def site_opening_hours_set(
    *, actor: User | None, site: Site, weekday: int, opens: time, closes: time
) -> SiteOpeningHours:
    """Set a fixed site's hours on ``weekday`` (0 = Monday), replacing that day's hours."""
    require_permission(actor, "donations.plan_drive")
    _collecting_site(site, {Site.Kind.FIXED_COLLECTION})
    if not 0 <= weekday <= 6:
        raise DonationsError("weekday: 0 (Monday) to 6 (Sunday)", code="invalid_weekday", field="weekday")
    if closes <= opens:
        raise DonationsError(
            "closes: the site closes before it opens", code="ends_before_start", field="closes"
        )
    old = [
        f"{hours.opens:%H:%M}-{hours.closes:%H:%M}"
        for hours in SiteOpeningHours.objects.select_for_update().filter(site=site, weekday=weekday)
    ]
    SiteOpeningHours.objects.filter(site=site, weekday=weekday).delete()
    hours = SiteOpeningHours.objects.create(site=site, weekday=weekday, opens=opens, closes=closes)
    audit_record(
        stream=STREAM,
        action="donations.opening_hours.set",
        actor=actor,
        target=site,
        data={
            "old": {"weekday": weekday, "hours": old},
            "new": {"weekday": weekday, "hours": [f"{opens:%H:%M}-{closes:%H:%M}"]},
        },
    )
    return hours


@transaction.atomic
def site_closure_add(*, actor: User | None, site: Site, day: date, reason: str) -> SiteClosure:
    require_permission(actor, "donations.plan_drive")
    _collecting_site(site, {Site.Kind.FIXED_COLLECTION})
    if not reason.strip():
        raise DonationsError("reason: say why the site is closed", code="reason_required", field="reason")
    if SiteClosure.objects.filter(site=site, date=day).exists():
        raise ConflictError(
            f"date: {site.name} is already closed on {day}", code="already_closed", field="date"
        )
    closure = SiteClosure.objects.create(site=site, date=day, reason=reason.strip())
    audit_record(
        stream=STREAM,
        action="donations.site_closure.added",
        actor=actor,
        target=site,
        data={"old": {}, "new": {"date": day, "reason": closure.reason}},
    )
    return closure


def site_is_open(site: Site, start: datetime, end: datetime) -> bool:
    """Whether a fixed site is open for the whole of [start, end) (one local day)."""
    zone = zoneinfo.ZoneInfo(site.time_zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if (
        local_start.date() != local_end.date()
        or SiteClosure.objects.filter(site=site, date=local_start.date()).exists()
    ):
        return False
    return SiteOpeningHours.objects.filter(
        site=site, weekday=local_start.weekday(), opens__lte=local_start.time(), closes__gte=local_end.time()
    ).exists()


# Drives ------------------------------------------------------------------------------


def _goals(goals: Mapping[str, int]) -> dict[str, int]:
    clean: dict[str, int] = {}
    for procedure, units in goals.items():
        if procedure not in PROCEDURES:
            raise DonationsError(
                f"goals: {procedure!r} is not a procedure ({', '.join(sorted(PROCEDURES))})",
                code="unknown_procedure",
                field="goals",
            )
        if units < 0:
            raise DonationsError(
                f"goals: {procedure} goal cannot be negative", code="invalid_goal", field="goals"
            )
        clean[procedure] = units
    return clean


def _drive_data(drive: Drive) -> dict[str, object]:
    return {
        "host_organization": drive.host_organization,
        "site": drive.site.code,
        "place": drive.place,
        "program": drive.program.code,
        "date": drive.date,
        "starts_at": drive.starts_at,
        "ends_at": drive.ends_at,
        "status": drive.status,
        "goals": {goal.procedure: goal.units for goal in drive.goals.all()},
        "staff": sorted(user.username for user in drive.staff.all()),
    }


@transaction.atomic
def drive_create(
    *,
    actor: User | None,
    host_organization: str,
    site: Site,
    place: str,
    program: Program,
    day: date,
    starts: time,
    ends: time,
    goals: Mapping[str, int] | None = None,
    staff: Iterable[User] = (),
    notes: str = "",
    occurred_at: datetime | None = None,
) -> Drive:
    """Plan a mobile drive on ``day`` from ``starts`` to ``ends`` (the site's local time).
    ``occurred_at`` back-dates the planning (with the permission to back-date): a drive
    planned on paper and recorded later."""
    require_permission(actor, "donations.plan_drive")
    planned = business_time_resolve(actor=actor, occurred_at=occurred_at)
    if not host_organization.strip():
        raise DonationsError("host_organization: name the host", code="required", field="host_organization")
    if not place.strip():
        raise DonationsError("place: say where the drive is held", code="required", field="place")
    _collecting_site(site)
    if program.kind != Program.Kind.MOBILE_COLLECTIONS:
        raise DonationsError(
            f"program: {program.name} is not a mobile collections program",
            code="not_mobile_program",
            field="program",
        )
    clean_goals = _goals(goals or {})
    starts_at, ends_at = site_local(site, day, starts), site_local(site, day, ends)
    _raise(
        drive_rules.drive_plan_check(
            drive_date=day,
            starts_at=starts_at,
            ends_at=ends_at,
            today=planned.occurred_at.astimezone(zoneinfo.ZoneInfo(site.time_zone)).date(),
        )
    )
    now = timezone.now()
    drive = Drive.objects.create(
        host_organization=host_organization.strip(),
        site=site,
        place=place.strip(),
        program=program,
        date=day,
        starts_at=starts_at,
        ends_at=ends_at,
        notes=notes.strip(),
        created_by=actor,
        created_at=now,
    )
    DriveGoal.objects.bulk_create(
        [
            DriveGoal(drive=drive, procedure=procedure, units=units)
            for procedure, units in sorted(clean_goals.items())
        ]
    )
    drive.staff.set(list(staff))
    DriveStatusChange.objects.create(
        drive=drive, old_status="", new_status=drive.status, actor=actor, reason="planned", changed_at=now
    )
    audit_record(
        stream=STREAM,
        action="donations.drive.planned",
        actor=actor,
        target=drive,
        data={"old": {}, "new": _drive_data(drive), **planned.audit_data()},
        occurred_at=planned.occurred_at,
    )
    return drive


@transaction.atomic
def drive_status_change(*, actor: User | None, drive: Drive, status: str, reason: str = "") -> Drive:
    """Move a drive along its lifecycle (``drive_rules.DRIVE_TRANSITIONS``) with a history row."""
    require_permission(actor, "donations.plan_drive")
    drive = Drive.objects.select_for_update(of=("self",)).select_related("site", "program").get(pk=drive.pk)
    old = drive.status
    _raise(drive_rules.drive_transition_check(old, status))
    if status == Drive.Status.CANCELLED and not reason.strip():
        raise DonationsError("reason: say why the drive is cancelled", code="reason_required", field="reason")
    drive.status = status
    drive.save(update_fields=["status"])
    now = timezone.now()
    DriveStatusChange.objects.create(
        drive=drive, old_status=old, new_status=status, actor=actor, reason=reason.strip(), changed_at=now
    )
    audit_record(
        stream=STREAM,
        action=f"donations.drive.{status}",
        actor=actor,
        target=drive,
        data={"old": {"status": old}, "new": {"status": status}},
        reason=reason.strip(),
    )
    return drive


# Slots -------------------------------------------------------------------------------


@transaction.atomic
def slot_create(
    *,
    actor: User | None,
    site: Site,
    day: date,
    starts: time,
    ends: time,
    capacity: int,
    drive: Drive | None = None,
) -> AppointmentSlot:
    """A slot on ``drive`` (within its hours) or at a fixed site (within its opening hours)."""
    require_permission(actor, "donations.plan_drive")
    starts_at, ends_at = site_local(site, day, starts), site_local(site, day, ends)
    _raise(
        drive_rules.slot_check(starts_at=starts_at, ends_at=ends_at, capacity=capacity, now=timezone.now())
    )
    if drive is not None:
        drive = Drive.objects.select_for_update().get(pk=drive.pk)
        if drive.status not in drive_rules.BOOKABLE_DRIVE_STATUSES:
            raise ConflictError(
                f"drive: the drive is {drive.status}", code="drive_not_bookable", field="drive"
            )
        if drive.site_id != site.pk or starts_at < drive.starts_at or ends_at > drive.ends_at:
            raise DonationsError(
                "starts: the slot must fall within the drive's day and hours",
                code="outside_drive_hours",
                field="starts",
            )
    else:
        _collecting_site(site, {Site.Kind.FIXED_COLLECTION})
        if not site_is_open(site, starts_at, ends_at):
            raise DonationsError(
                f"starts: {site.name} is not open then (opening hours or a closure)",
                code="site_closed",
                field="starts",
            )
    slot = AppointmentSlot.objects.create(
        site=site,
        drive=drive,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        created_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="donations.slot.created",
        actor=actor,
        target=slot,
        data={
            "old": {},
            "new": {
                "site": site.code,
                "drive": drive.pk if drive else None,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "capacity": capacity,
            },
        },
    )
    return slot


# Appointments ------------------------------------------------------------------------


def _active_donor(donor: Donor) -> None:
    if donor.merged_into_id is not None:
        raise DonationsError(
            "donor: this record was merged; book the surviving donor", code="donor_merged", field="donor"
        )


def _appointment_data(appointment: Appointment) -> dict[str, object]:
    return {
        "donor": appointment.donor.donor_number,
        "slot": appointment.slot_id,
        "drive": appointment.drive_id,
        "site": appointment.site.code,
        "status": appointment.status,
        "walk_in": appointment.is_walk_in,
    }


@transaction.atomic
def appointment_book(*, actor: User | None, slot: AppointmentSlot, donor: Donor) -> Appointment:
    """Book ``donor`` into ``slot``; refused (409) when the slot is full."""
    require_permission(actor, "donations.book_appointment")
    _active_donor(donor)
    slot = (
        AppointmentSlot.objects.select_for_update(of=("self",))
        .select_related("site", "drive")
        .get(pk=slot.pk)
    )
    if slot.drive is not None and slot.drive.status not in drive_rules.BOOKABLE_DRIVE_STATUSES:
        raise ConflictError(
            f"slot: the drive is {slot.drive.status}", code="drive_not_bookable", field="slot"
        )
    taken = slot.appointments.filter(status__in=drive_rules.HOLDS_A_PLACE)
    if taken.filter(donor=donor).exists():
        raise ConflictError("donor: already booked in this slot", code="already_booked", field="donor")
    _raise(
        drive_rules.slot_booking_check(
            capacity=slot.capacity, places_taken=taken.count(), starts_at=slot.starts_at, now=timezone.now()
        )
    )
    appointment = Appointment.objects.create(
        donor=donor, site=slot.site, drive=slot.drive, slot=slot, booked_at=timezone.now(), booked_by=actor
    )
    audit_record(
        stream=STREAM,
        action="donations.appointment.booked",
        actor=actor,
        target=appointment,
        data={"old": {}, "new": _appointment_data(appointment)},
    )
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().select_related("donor", "site").get(pk=appointment.pk)


@transaction.atomic
def appointment_cancel(*, actor: User | None, appointment: Appointment, reason: str = "") -> Appointment:
    require_permission(actor, "donations.book_appointment")
    appointment = _locked(appointment)
    old = appointment.status
    _raise(drive_rules.appointment_transition_check(old, Appointment.Status.CANCELLED))
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancel_reason = reason.strip()
    appointment.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    audit_record(
        stream=STREAM,
        action="donations.appointment.cancelled",
        actor=actor,
        target=appointment,
        data={"old": {"status": old}, "new": {"status": appointment.status}},
        reason=appointment.cancel_reason,
    )
    return appointment


@transaction.atomic
def appointment_check_in(*, actor: User | None, appointment: Appointment) -> Appointment:
    require_permission(actor, "donations.check_in_donor")
    appointment = _locked(appointment)
    old = appointment.status
    refusal = drive_rules.appointment_transition_check(old, Appointment.Status.CHECKED_IN)
    if refusal is not None:
        raise ConflictError(f"appointment: {refusal.message}", code=refusal.code, field="appointment")
    appointment.status = Appointment.Status.CHECKED_IN
    appointment.checked_in_at = timezone.now()
    appointment.checked_in_by = actor
    appointment.save(update_fields=["status", "checked_in_at", "checked_in_by"])
    audit_record(
        stream=STREAM,
        action="donations.appointment.checked_in",
        actor=actor,
        target=appointment,
        data={"old": {"status": old}, "new": {"status": appointment.status}},
    )
    return appointment


@transaction.atomic
def appointment_walk_in(
    *, actor: User | None, donor: Donor, drive: Drive | None = None, site: Site | None = None
) -> Appointment:
    """A donor who came without an appointment, checked in at once (at a drive or a fixed site)."""
    require_permission(actor, "donations.check_in_donor")
    _active_donor(donor)
    if drive is not None:
        drive = Drive.objects.select_related("site").get(pk=drive.pk)
        if drive.status in {Drive.Status.CANCELLED}:
            raise ConflictError("drive: the drive is cancelled", code="drive_not_bookable", field="drive")
        site = drive.site
    if site is None:
        raise DonationsError("site: name the drive or the site", code="required", field="site")
    _collecting_site(site)
    now = timezone.now()
    appointment = Appointment.objects.create(
        donor=donor,
        site=site,
        drive=drive,
        slot=None,
        is_walk_in=True,
        status=Appointment.Status.CHECKED_IN,
        booked_at=now,
        booked_by=actor,
        checked_in_at=now,
        checked_in_by=actor,
    )
    audit_record(
        stream=STREAM,
        action="donations.appointment.walked_in",
        actor=actor,
        target=appointment,
        data={"old": {}, "new": _appointment_data(appointment)},
    )
    return appointment


@transaction.atomic
def appointment_no_show_sweep(*, actor: User | None = None, now: datetime | None = None) -> int:
    """Mark booked appointments of ended slots as no-shows; returns how many. Safe to re-run:
    a second run finds nothing booked left in those slots. Run by ``hemaops`` jobs."""
    require_permission(actor, "donations.plan_drive")
    now = now or timezone.now()
    due = list(
        Appointment.objects.select_for_update(of=("self",))
        .filter(status=Appointment.Status.BOOKED, slot__ends_at__lte=now)
        .select_related("slot")
        .order_by("pk")
    )
    due = [
        a
        for a in due
        if a.slot and drive_rules.is_no_show(status=a.status, slot_ends_at=a.slot.ends_at, now=now)
    ]
    if not due:
        return 0
    Appointment.objects.filter(pk__in=[a.pk for a in due]).update(status=Appointment.Status.NO_SHOW)
    audit_record_many(
        stream=STREAM,
        actor=actor,
        events=[
            PendingEvent(
                "donations.appointment.no_show",
                appointment,
                {"old": {"status": "booked"}, "new": {"status": "no_show"}},
            )
            for appointment in due
        ],
    )
    return len(due)
