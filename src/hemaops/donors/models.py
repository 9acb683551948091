"""Donor tables: the establishment's eligibility configuration and the donor registry
(identity, donor type history, consents, the ABO/RhD on record written by testing)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from hemaops.core.models import Address, Program, User


class EligibilityConfiguration(models.Model):
    """One version of the establishment's eligibility configuration (a JSON document in the
    format of ``hemaops rules eligibility --config``). Versions are never edited: a change is
    a new version from a later date, so every past decision can be judged again by the
    configuration it was made under."""

    effective_from = models.DateField(unique=True)
    document = models.JSONField()
    reason = models.TextField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-effective_from"]
        permissions = [
            ("set_eligibility_configuration", "Can set the establishment's eligibility configuration"),
        ]

    def __str__(self) -> str:
        return f"eligibility configuration from {self.effective_from}"


class DonorNumberCounter(models.Model):
    """The installation's donor number sequence: one row, locked by each registration
    (``select_for_update``), so two registrations never draw the same number."""

    name = models.CharField(max_length=20, primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_value}"


class Donor(Address):
    """A person registered to give blood. Never deleted: a duplicate is merged into its
    survivor (``merged_into``) and kept, with its history, for lookback."""

    class Sex(models.TextChoices):
        # The sex recorded for selecting the 21 CFR 630.10(f)(3) thresholds.
        FEMALE = "F", "Female"
        MALE = "M", "Male"

    class AboGroup(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        AB = "AB", "AB"
        O = "O", "O"  # noqa: E741 - the blood group's name

    class RhD(models.TextChoices):
        POSITIVE = "pos", "RhD positive"
        NEGATIVE = "neg", "RhD negative"

    donor_number = models.CharField(max_length=12, unique=True, editable=False)
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(
        max_length=1, choices=Sex.choices, help_text="As recorded for selecting hemoglobin thresholds."
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address_confirmed_on = models.DateField(
        null=True,
        blank=True,
        help_text="When the donor last confirmed the postal address (21 CFR 630.10(g): an address "
        "where the donor can be reached for 8 weeks after donation).",
    )
    # Written by testing (the lab context), read here.
    abo_on_record = models.CharField(max_length=2, choices=AboGroup.choices, blank=True)
    rhd_on_record = models.CharField(max_length=3, choices=RhD.choices, blank=True)
    blood_group_recorded_on = models.DateField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_duplicates"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    merge_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["donor_number"]
        indexes = [
            models.Index(fields=["date_of_birth"], name="donor_date_of_birth"),
            models.Index(fields=["family_name", "given_name"], name="donor_name"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(sex__in=["F", "M"]), name="donor_sex_is_known"),
            models.CheckConstraint(
                condition=Q(abo_on_record__in=["", "A", "B", "AB", "O"]), name="donor_abo_is_known"
            ),
            models.CheckConstraint(
                condition=Q(rhd_on_record__in=["", "pos", "neg"]), name="donor_rhd_is_known"
            ),
            models.CheckConstraint(condition=~Q(merged_into=F("pk")), name="donor_not_merged_into_itself"),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True, merged_at__isnull=True)
                | Q(merged_into__isnull=False, merged_at__isnull=False),
                name="donor_merge_has_its_time",
            ),
        ]
        permissions = [
            ("merge_donor", "Can merge a duplicate donor record into its survivor"),
        ]

    def __str__(self) -> str:
        return f"{self.donor_number} {self.family_name}, {self.given_name}"

    @property
    def full_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    @property
    def blood_group(self) -> str:
        if not self.abo_on_record:
            return ""
        rhd = {"pos": "RhD+", "neg": "RhD−"}.get(self.rhd_on_record, "")
        return f"{self.abo_on_record} {rhd}".strip()


class DonorType(models.TextChoices):
    VOLUNTEER = "volunteer", "Volunteer"
    PAID = "paid", "Paid"
    AUTOLOGOUS = "autologous", "Autologous"
    DIRECTED = "directed", "Directed"


class DonorTypePeriod(models.Model):
    """A period during which a donor gave as one type, in one program. A change of type ends
    the current period and opens the next; both stay on record. Periods are half-open:
    ``ended_on`` is the first day of the next period."""

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="type_periods")
    donor_type = models.CharField(max_length=20, choices=DonorType.choices)
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="donor_type_periods"
    )
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True, help_text="First day no longer of this type.")
    merged_from = models.ForeignKey(
        Donor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The duplicate record this period came from when it was merged.",
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["donor", "started_on", "pk"]
        permissions = [
            (
                "convert_program_donors",
                "Can move a program's donors to another type when the program converts",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(donor_type__in=["volunteer", "paid", "autologous", "directed"]),
                name="donor_type_period_type_is_known",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=F("started_on")),
                name="donor_type_period_dates_in_order",
            ),
            models.UniqueConstraint(
                fields=["donor"],
                condition=Q(ended_on__isnull=True, merged_from__isnull=True),
                name="donor_type_period_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_donor_type_display()} from {self.started_on}"


class DonorConsent(models.Model):
    class Kind(models.TextChoices):
        DONATION = "donation", "Donation"
        RESEARCH = "research", "Research use"
        CONTACT = "contact", "Contact for recruitment"

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    given_on = models.DateField()
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    merged_from = models.ForeignKey(
        Donor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The duplicate record this consent came from when it was merged.",
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["donor", "kind", "given_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["donation", "research", "contact"]), name="donor_consent_kind_is_known"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("given_on")),
                name="donor_consent_dates_in_order",
            ),
            models.UniqueConstraint(
                fields=["donor", "kind"],
                condition=Q(withdrawn_on__isnull=True, merged_from__isnull=True),
                name="donor_consent_one_in_force_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} consent given {self.given_on}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_on is None


class DonorMarkerResult(models.Model):
    """A test result that weighs on the donor's eligibility (the engine's marker table,
    donors.rules.MARKER_RULES): written by the laboratory, read by screening. The donation it
    came from is kept by its DIN, as text: the donors context sits below donations."""

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="marker_results")
    tested_on = models.DateField()
    marker = models.CharField(max_length=20)
    result = models.CharField(max_length=30)
    din = models.CharField(max_length=13)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["donor", "tested_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["din", "marker", "result"], name="donor_marker_result_once"),
        ]
        permissions = [
            ("record_test_results", "Can put test results on a donor's record (blood group, marker results)")
        ]

    def __str__(self) -> str:
        return f"{self.marker} {self.result} on {self.tested_on}"
