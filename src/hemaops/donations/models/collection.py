"""Screening, the deferrals it records, overrides of its decision, donations and adverse
reactions (issue 5 items 3 and 5; DESIGN.md invariant 2).

The eligibility decision is the engine's (``hemaops.donors.rules.evaluate``), stored with
every reason as it was given. ``Screening.collection_allowed`` is kept by the services: true
when the decision allows collection or every blocking reason is covered by an override. On
PostgreSQL a trigger (migration 0002) refuses a donation row whose screening does not allow
collection or whose procedure differs from the screening's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from hemaops.core.models import Program, Signature, Site
from hemaops.donations.models.din_labels import IssuedDin
from hemaops.donors.models import Donor

__all__ = ["AdverseReaction", "Donation", "DonorDeferral", "Screening", "ScreeningOverride"]

PROCEDURES = [
    ("whole_blood", "Whole blood"),
    ("double_red_cells", "Double red cells"),
    ("platelets", "Platelets (apheresis)"),
    ("plasma", "Plasma (apheresis)"),
    ("source_plasma", "Source plasma"),
]
DONATION_TYPES = [("allogeneic", "Allogeneic"), ("autologous", "Autologous"), ("directed", "Directed")]
OUTCOMES = [
    ("INELIGIBLE_PERMANENT", "Ineligible — permanent"),
    ("INELIGIBLE_INDEFINITE", "Ineligible — indefinite"),
    ("INELIGIBLE_TEMPORARY", "Ineligible — temporary"),
    ("INVALID_MEASUREMENT", "Assessment incomplete or invalid"),
    ("REQUIRES_PHYSICIAN", "Requires the physician"),
    ("ELIGIBLE_ALT_PROCEDURE", "Eligible under the alternative procedure"),
    ("ELIGIBLE", "Eligible"),
]


class Screening(models.Model):
    """One donor visit's health history, vitals and the eligibility decision of that day."""

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="screenings")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="screenings")
    drive = models.ForeignKey(
        "donations.Drive",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="screenings",
        help_text="The mobile drive the donor came to; empty at a fixed site.",
    )
    screened_at = models.DateTimeField()
    screened_on = models.DateField(help_text="The day judged, in the site's time zone.")
    procedure = models.CharField(max_length=20, choices=PROCEDURES)
    donation_type = models.CharField(max_length=20, choices=DONATION_TYPES)
    jurisdiction = models.CharField(max_length=20)
    answers = models.JSONField(default=list, help_text="Health-history events: code, date, hours.")
    vitals = models.JSONField(default=dict)
    outcome = models.CharField(max_length=30, choices=OUTCOMES)
    eligible_on = models.DateField(null=True, blank=True)
    reasons = models.JSONField(default=list)
    collection_allowed = models.BooleanField(default=False)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-screened_at", "-pk"]
        indexes = [models.Index(fields=["donor", "screened_on"], name="screening_donor_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(procedure__in=[value for value, _ in PROCEDURES]),
                name="screening_procedure_is_known",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=[value for value, _ in OUTCOMES]), name="screening_outcome_is_known"
            ),
        ]
        permissions = [("override_eligibility", "Can override an overridable eligibility finding")]

    def __str__(self) -> str:
        return f"screening {self.pk} of {self.donor_id} on {self.screened_on}"


class DonorDeferral(models.Model):
    """A deferral on a donor's record, written by a screening whose decision defers.

    A temporary deferral's ``until`` is the first day the donor may give again."""

    class Kind(models.TextChoices):
        TEMPORARY = "temporary", "Temporary"
        INDEFINITE = "indefinite", "Indefinite"
        PERMANENT = "permanent", "Permanent"

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="deferrals")
    screening = models.ForeignKey(
        Screening, on_delete=models.PROTECT, null=True, blank=True, related_name="deferrals"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    code = models.CharField(max_length=200)
    reason = models.TextField()
    starts_on = models.DateField()
    until = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["donor", "-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["temporary", "indefinite", "permanent"]),
                name="donor_deferral_kind_is_known",
            ),
            models.CheckConstraint(
                condition=Q(kind="temporary", until__isnull=False, until__gt=F("starts_on"))
                | Q(~Q(kind="temporary"), until__isnull=True),
                name="donor_deferral_until_only_when_temporary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} deferral {self.code}"


class ScreeningOverride(models.Model):
    """The medical director's override of one overridable reason of a screening's decision,
    signed (meaning "overridden"), or approved by telephone and signed afterwards."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="overrides")
    reason_code = models.CharField(max_length=100)
    justification = models.TextField()
    director = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_telephone = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    signature = models.ForeignKey(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["screening", "reason_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "reason_code"], name="screening_override_once_per_reason"
            ),
            models.CheckConstraint(
                condition=Q(signature__isnull=False) | Q(by_telephone=True),
                name="screening_override_signed_or_by_telephone",
            ),
        ]

    def __str__(self) -> str:
        return f"override of {self.reason_code}"

    @property
    def pending_signature(self) -> bool:
        return self.signature_id is None


class Donation(models.Model):
    class Outcome(models.TextChoices):
        COMPLETE = "complete", "Complete"
        SHORT_DRAW = "short_draw", "Short draw"
        STOPPED = "stopped", "Stopped"

    screening = models.OneToOneField(Screening, on_delete=models.PROTECT, related_name="donation")
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="donations")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="donations")
    din = models.OneToOneField(IssuedDin, on_delete=models.PROTECT, related_name="donation")
    procedure = models.CharField(max_length=20, choices=PROCEDURES)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    volume_ml = models.PositiveIntegerField()
    bag_lot = models.CharField(max_length=60)
    phlebotomist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    # The program the unit was collected for (its drive's, else its site's), and what the
    # paid-donor rules made of it that day (hemaops.donations.rules.donor_classification).
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="donations")
    donor_classification = models.CharField(
        max_length=10,
        choices=[("volunteer", "Volunteer donor"), ("paid", "Paid donor")],
        help_text="The statement the unit's label must carry (21 CFR 606.121(c)(5)).",
    )
    collection_type = models.CharField(
        max_length=1, help_text="ISBT 128 collection type (ST-001 Table 7), e.g. V volunteer, P paid."
    )
    compensation_amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    compensation_rate = models.ForeignKey(
        "donations.CompensationRate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donations",
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gte=F("started_at")), name="donation_times_in_order"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["complete", "short_draw", "stopped"]),
                name="donation_outcome_is_known",
            ),
            models.CheckConstraint(
                condition=Q(procedure__in=[value for value, _ in PROCEDURES]),
                name="donation_procedure_is_known",
            ),
            # A paid unit is one whose donor was compensated, and only a paid unit is.
            models.CheckConstraint(
                condition=(
                    Q(donor_classification="paid", compensation_amount__gt=0, compensation_rate__isnull=False)
                    | Q(
                        donor_classification="volunteer",
                        compensation_amount=0,
                        compensation_rate__isnull=True,
                    )
                ),
                name="donation_paid_iff_compensated",
            ),
        ]
        permissions = [("view_recruitment_list", "Can list donors eligible to give, with their contacts")]
        indexes = [
            models.Index(fields=["donor", "started_at"], name="donation_donor_started"),
            models.Index(fields=["program", "started_at"], name="donation_program_started"),
        ]

    def __str__(self) -> str:
        return f"donation {self.din_id}"


class AdverseReaction(models.Model):
    class Kind(models.TextChoices):
        VASOVAGAL = "vasovagal", "Vasovagal (faint, dizziness)"
        HEMATOMA = "hematoma", "Hematoma"
        NERVE_INJURY = "nerve_injury", "Nerve injury"
        ARTERIAL_PUNCTURE = "arterial_puncture", "Arterial puncture"
        CITRATE = "citrate", "Citrate reaction"
        ALLERGIC = "allergic", "Allergic reaction"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="reactions")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    care_given = models.TextField()
    occurred_at = models.DateTimeField()
    reportable = models.BooleanField(default=False, help_text="Flagged for the quality officer.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    # The quality officer's review of a reportable reaction (what was decided, e.g. reported
    # to the FDA under 21 CFR 606.170(b) for a fatality, or investigated and closed).
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        permissions = [("review_adversereaction", "Can review reportable adverse reactions")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(severity="severe") | Q(reportable=True),
                name="adverse_reaction_severe_is_reportable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.severity})"
