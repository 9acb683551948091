"""Collections: fixed sites' opening hours and closures, mobile drives with their goals and
status history, appointment slots and appointments (booked, walk-in, checked in, no-show).

Times are stored in UTC; hours are entered and shown in the site's time zone. The lifecycle
tables live in ``hemaops.donations.drive_rules``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from hemaops.core.models import Program, Site
from hemaops.donors.models import Donor

PROCEDURE_CHOICES = [
    ("whole_blood", "Whole blood"),
    ("double_red_cells", "Double red cells"),
    ("platelets", "Platelets"),
    ("plasma", "Plasma"),
    ("source_plasma", "Source plasma"),
]


class SiteOpeningHours(models.Model):
    """A fixed site's opening hours on one weekday (0 = Monday), local to its time zone."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday.")
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["site", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_hours_weekday_is_a_day"),
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="opening_hours_close_after_open"),
            models.UniqueConstraint(fields=["site", "weekday", "opens"], name="opening_hours_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.site.code} day {self.weekday} {self.opens:%H:%M}–{self.closes:%H:%M}"


class SiteClosure(models.Model):
    """A date on which a fixed site is closed (a holiday, maintenance)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["site", "date"]
        constraints = [models.UniqueConstraint(fields=["site", "date"], name="site_closure_one_per_day")]

    def __str__(self) -> str:
        return f"{self.site.code} closed {self.date}"


class Drive(models.Model):
    """A mobile blood drive: a host organization, a site (bus or fixed site), a place, a day."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        CONFIRMED = "confirmed", "Confirmed"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    host_organization = models.CharField(max_length=200)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="drives")
    place = models.CharField(max_length=300, help_text="Where the drive is held (address text).")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="drives")
    date = models.DateField(help_text="The drive's day in the site's time zone.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="drives_staffed")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["date", "starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="drive_ends_after_start"),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "confirmed", "held", "cancelled"]),
                name="drive_status_is_known",
            ),
        ]
        indexes = [models.Index(fields=["date"], name="drive_by_date")]
        permissions = [
            ("plan_drive", "Can plan drives, their slots and fixed-site hours"),
            ("view_drives", "Can see drives, slots and appointments"),
            ("book_appointment", "Can book and cancel donor appointments"),
            ("check_in_donor", "Can check donors in and record walk-ins"),
        ]

    def __str__(self) -> str:
        return f"{self.host_organization} {self.date}"


class DriveGoal(models.Model):
    """The units a drive aims to collect by one procedure."""

    drive = models.ForeignKey(Drive, on_delete=models.CASCADE, related_name="goals")
    procedure = models.CharField(max_length=30, choices=PROCEDURE_CHOICES)
    units = models.PositiveIntegerField()

    class Meta:
        ordering = ["drive", "procedure"]
        constraints = [
            models.UniqueConstraint(fields=["drive", "procedure"], name="drive_goal_one_per_procedure"),
        ]

    def __str__(self) -> str:
        return f"{self.units} {self.procedure}"


class DriveStatusChange(models.Model):
    """One move of a drive's lifecycle (house style §7)."""

    drive = models.ForeignKey(Drive, on_delete=models.PROTECT, related_name="status_history")
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.TextField(blank=True)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["drive", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.drive_id}: {self.old_status or '—'} → {self.new_status}"


class AppointmentSlot(models.Model):
    """A time with room for ``capacity`` donors, on a drive or at a fixed site."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="appointment_slots")
    drive = models.ForeignKey(Drive, on_delete=models.PROTECT, null=True, blank=True, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_at_least_one"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"),
        ]
        indexes = [models.Index(fields=["site", "starts_at"], name="slot_by_site_time")]

    def __str__(self) -> str:
        return f"{self.site.code} {self.starts_at:%Y-%m-%d %H:%M} ({self.capacity})"


class Appointment(models.Model):
    """A donor's appointment in a slot, or a walk-in (no slot) recorded at check-in."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CHECKED_IN = "checked_in", "Checked in"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="appointments")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="appointments")
    drive = models.ForeignKey(
        Drive, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    slot = models.ForeignKey(
        AppointmentSlot, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    is_walk_in = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    booked_at = models.DateTimeField()
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["booked_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_walk_in=True, slot__isnull=True) | Q(is_walk_in=False, slot__isnull=False),
                name="appointment_walk_in_has_no_slot",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["booked", "checked_in", "cancelled", "no_show"]),
                name="appointment_status_is_known",
            ),
            models.UniqueConstraint(
                fields=["slot", "donor"],
                condition=Q(status__in=["booked", "checked_in"]),
                name="appointment_one_per_donor_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor_id} {self.status}"
