"""Tables of the laboratory (issue 6): test panels in force by date, results (imported or
entered and verified), NAT pools, the donation's testing record with its holds, its release
and the notifications its reactive results owe the donor.

``DonationTesting.status`` is kept by the services from ``rules.evaluate``. On PostgreSQL a
trigger (migration 0002) refuses a ``DonationRelease`` row unless the donation's testing
status is ``acceptable`` and no hold is active, and refuses a status change of a released
donation away from acceptable unless a hold is active (a late reactive result holds it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from hemaops.core.models import Signature
from hemaops.donations.models import Donation
from hemaops.donors.models import Donor
from hemaops.lab.rules import Marker, Reading, Stage, TestingStatus

MARKERS = [(marker.value, marker.value) for marker in Marker]
STAGES = [(stage.value, stage.value) for stage in Stage]
READINGS = [(reading.value, reading.value) for reading in Reading]
TESTING_STATUSES = [(status.value, status.value.replace("_", " ")) for status in TestingStatus]


class TestPanel(models.Model):
    """The markers every donation is tested for from ``effective_from`` (a rule change applies
    from its date: a new panel row, the old one stays)."""

    __test__ = False  # not a pytest test class

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    markers = models.JSONField(help_text="Marker codes tested on every donation (rules.Marker).")
    t_cruzi_once_per_donor = models.BooleanField(default=True)
    babesia_states = models.JSONField(default=list, help_text="States whose collections get Babesia NAT.")
    # Bacterial risk control and TRALI risk reduction: which the establishment practises.
    platelet_bacterial_control = models.CharField(
        max_length=30,
        choices=[
            ("primary_culture", "Primary culture (5-day platelets)"),
            ("lvds", "Large-volume delayed sampling (7-day platelets)"),
            ("secondary_test", "Primary culture and a secondary test (7-day platelets)"),
            ("pathogen_reduction", "Pathogen reduction (5-day platelets, 7 with device labelling)"),
        ],
        default="primary_culture",
    )
    trali_policy = models.CharField(
        max_length=30,
        choices=[
            ("hla_antibody_testing", "HLA antibody testing of donors with a pregnancy history"),
            ("male_or_never_pregnant", "Plasma and apheresis platelets from male or never-pregnant donors"),
        ],
        default="hla_antibody_testing",
    )
    antibody_screen_positive_restricts_plasma = models.BooleanField(default=True)
    effective_from = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-effective_from"]
        constraints = [models.UniqueConstraint(fields=["effective_from"], name="test_panel_one_per_day")]
        permissions = [("manage_test_panel", "Can set the test panel in force from a date")]

    def __str__(self) -> str:
        return f"{self.name} from {self.effective_from}"


class DonationTesting(models.Model):
    """The lab's record of one donation: its panel, status, typing and special tests."""

    donation = models.OneToOneField(Donation, on_delete=models.PROTECT, related_name="testing")
    panel = models.ForeignKey(TestPanel, on_delete=models.PROTECT, related_name="donations")
    required_markers = models.JSONField(help_text="Frozen when testing starts (rules.required_markers).")
    required_special_tests = models.JSONField(
        default=list, help_text="Special tests release waits for (rules.trali_tests_required)."
    )
    status = models.CharField(max_length=20, choices=TESTING_STATUSES, default="pending")
    reasons = models.JSONField(default=list)
    abo = models.CharField(max_length=2, blank=True)
    rhd = models.CharField(max_length=3, blank=True)
    antibody_screen = models.CharField(max_length=10, default="pending")
    discrepancy_resolved_abo = models.CharField(max_length=2, blank=True)
    discrepancy_resolved_rhd = models.CharField(max_length=3, blank=True)
    discrepancy_signature = models.ForeignKey(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    special_tests = models.JSONField(
        default=dict, help_text="CMV antibody, hemoglobin S, HLA antibody, red cell antigens: as ordered by."
    )
    bacterial_control = models.CharField(max_length=30, blank=True, help_text="Platelets: what was done.")
    marked_for_discard = models.BooleanField(default=False)
    late_reactive = models.BooleanField(
        default=False, help_text="A reactive result arrived after release: flagged for the quality officer."
    )
    evaluated_at = models.DateTimeField()

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status"], name="donation_testing_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[value for value, _ in TESTING_STATUSES]),
                name="donation_testing_status_is_known",
            ),
        ]
        permissions = [
            ("release_donation", "Can release donations (e-signature)"),
            ("resolve_discrepancy", "Can resolve an ABO/RhD discrepancy (e-signature)"),
            ("place_hold", "Can place and lift holds on donations"),
        ]

    def __str__(self) -> str:
        return f"testing of {self.donation_id}: {self.status}"


class ResultImport(models.Model):
    """One instrument export file, imported whole or not at all; its digest makes a second
    import of the same file change nothing."""

    sha256 = models.CharField(max_length=64, unique=True)
    filename = models.CharField(max_length=255)
    instrument = models.CharField(max_length=100, blank=True)
    rows = models.PositiveIntegerField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-imported_at"]
        permissions = [("import_results", "Can import instrument result files")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.rows} results)"


class NatPool(models.Model):
    """A NAT minipool: its result applies to every donation in it until resolved."""

    pool_id = models.CharField(max_length=60, unique=True)
    donations = models.ManyToManyField(Donation, related_name="nat_pools")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.pool_id


class TestResult(models.Model):
    """One result of one test of one donation. Imported results are final on import; a
    result entered by hand is final when a second person verifies it."""

    __test__ = False

    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="test_results")
    marker = models.CharField(max_length=20, choices=MARKERS)
    stage = models.CharField(max_length=20, choices=STAGES)
    reading = models.CharField(max_length=20, choices=READINGS)
    value = models.CharField(max_length=20, blank=True)
    instrument = models.CharField(max_length=100, blank=True)
    run_id = models.CharField(max_length=100, blank=True)
    tested_at = models.DateTimeField()
    pool = models.ForeignKey(NatPool, on_delete=models.PROTECT, null=True, blank=True, related_name="results")
    source_import = models.ForeignKey(
        ResultImport, on_delete=models.PROTECT, null=True, blank=True, related_name="results"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    entered_at = models.DateTimeField()
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["donation", "marker", "tested_at", "pk"]
        indexes = [models.Index(fields=["donation", "marker"], name="test_result_donation_marker")]
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | ~Q(verified_by=F("entered_by")),
                name="test_result_verified_by_another",
            ),
            # A result is final when it came from a file or a second person verified it.
            models.CheckConstraint(
                condition=Q(source_import__isnull=False) | Q(entered_by__isnull=False),
                name="test_result_has_a_source",
            ),
        ]
        permissions = [
            ("enter_result", "Can enter a test result by hand"),
            ("verify_result", "Can verify a result another person entered"),
        ]

    def __str__(self) -> str:
        return f"{self.marker} {self.stage} {self.reading} of {self.donation_id}"

    @property
    def final(self) -> bool:
        return self.source_import_id is not None or self.verified_at is not None


class DonationHold(models.Model):
    """A hold keeps a donation from release (placed by the lab now, by quality cases later)."""

    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="holds")
    reason = models.TextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    placed_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        indexes = [models.Index(fields=["donation", "lifted_at"], name="donation_hold_active")]

    def __str__(self) -> str:
        return f"hold on {self.donation_id}: {self.reason}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class DonationRelease(models.Model):
    """The lab supervisor's signed release of a donation's testing (meaning ``released``)."""

    donation = models.OneToOneField(Donation, on_delete=models.PROTECT, related_name="release")
    signature = models.ForeignKey(Signature, on_delete=models.PROTECT, related_name="+")
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField()

    class Meta:
        ordering = ["-released_at", "-pk"]

    def __str__(self) -> str:
        return f"release of {self.donation_id}"


class DonorNotification(models.Model):
    """The donor must be told of a deferral from a test result within 8 weeks (21 CFR 630.40)."""

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="lab_notifications")
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="donor_notifications")
    marker = models.CharField(max_length=20, choices=MARKERS)
    result = models.CharField(max_length=30)
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    how = models.CharField(max_length=200, blank=True, help_text="Letter, telephone, counselling visit.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["donation", "marker"], name="donor_notification_one_per_result"),
        ]
        permissions = [("notify_donor", "Can record that a donor was notified")]

    def __str__(self) -> str:
        return f"notify {self.donor_id} of {self.marker} by {self.due_on}"
