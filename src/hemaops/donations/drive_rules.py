"""Pure rules of mobile drives and appointments (house style §2, §7): the lifecycle tables
and the checks a drive's plan and a slot's booking must pass. No Django, no clock: today and
now are arguments.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final


class DriveStatus(enum.StrEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    HELD = "held"
    CANCELLED = "cancelled"


# A drive is planned, confirmed with its host, then held; it may be cancelled until held.
DRIVE_TRANSITIONS: Final[dict[DriveStatus, frozenset[DriveStatus]]] = {
    DriveStatus.PLANNED: frozenset({DriveStatus.CONFIRMED, DriveStatus.CANCELLED}),
    DriveStatus.CONFIRMED: frozenset({DriveStatus.HELD, DriveStatus.CANCELLED, DriveStatus.PLANNED}),
    DriveStatus.HELD: frozenset(),
    DriveStatus.CANCELLED: frozenset(),
}

# Drives that take appointments.
BOOKABLE_DRIVE_STATUSES: Final = frozenset({DriveStatus.PLANNED, DriveStatus.CONFIRMED})


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


APPOINTMENT_TRANSITIONS: Final[dict[AppointmentStatus, frozenset[AppointmentStatus]]] = {
    AppointmentStatus.BOOKED: frozenset(
        {AppointmentStatus.CHECKED_IN, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.CHECKED_IN: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.NO_SHOW: frozenset(),
}

# Appointments that hold a place in their slot.
HOLDS_A_PLACE: Final = frozenset({AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN})


@dataclass(frozen=True)
class Refusal:
    """Why a move or a plan is refused: a stable code, the field concerned, a message."""

    code: str
    field: str
    message: str


def drive_transition_check(old: str, new: str) -> Refusal | None:
    """None when a drive may move from ``old`` to ``new``."""
    try:
        source, target = DriveStatus(old), DriveStatus(new)
    except ValueError:
        return Refusal("unknown_status", "status", f"{new!r} is not a drive status")
    if target not in DRIVE_TRANSITIONS[source]:
        allowed = ", ".join(sorted(DRIVE_TRANSITIONS[source])) or "none"
        return Refusal(
            "transition_not_allowed",
            "status",
            f"a {source} drive cannot become {target} (allowed: {allowed})",
        )
    return None


def appointment_transition_check(old: str, new: str) -> Refusal | None:
    source, target = AppointmentStatus(old), AppointmentStatus(new)
    if target not in APPOINTMENT_TRANSITIONS[source]:
        return Refusal(
            "appointment_not_" + str(source),
            "appointment",
            f"the appointment is {source.replace('_', ' ')}; it cannot become {target.replace('_', ' ')}",
        )
    return None


def drive_plan_check(
    *, drive_date: date, starts_at: datetime, ends_at: datetime, today: date
) -> Refusal | None:
    """A new drive's day is not in the past and its hours end after they start."""
    if drive_date < today:
        return Refusal("date_in_past", "date", f"{drive_date} is in the past; plan drives from today on")
    if ends_at <= starts_at:
        return Refusal("ends_before_start", "ends", "the drive ends before it starts")
    return None


def slot_check(*, starts_at: datetime, ends_at: datetime, capacity: int, now: datetime) -> Refusal | None:
    if capacity < 1:
        return Refusal("invalid_capacity", "capacity", "a slot takes at least 1 donor")
    if ends_at <= starts_at:
        return Refusal("ends_before_start", "ends", "the slot ends before it starts")
    if starts_at < now:
        return Refusal("slot_in_past", "starts", "the slot starts in the past")
    return None


def slot_booking_check(
    *, capacity: int, places_taken: int, starts_at: datetime, now: datetime
) -> Refusal | None:
    """A slot takes a booking while it has not started and has a place left."""
    if starts_at <= now:
        return Refusal("slot_started", "slot", "the slot has already started; record a walk-in instead")
    if places_taken >= capacity:
        return Refusal("slot_full", "slot", f"the slot is full ({places_taken} of {capacity} places taken)")
    return None


def is_no_show(*, status: str, slot_ends_at: datetime, now: datetime) -> bool:
    """A booked appointment whose slot has ended without a check-in is a no-show."""
    return status == AppointmentStatus.BOOKED and slot_ends_at <= now
