"""Core tables: the company, its sites and programs, its hospital customers, users,
API tokens, the audit trail and electronic signatures."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from hemaops.isbt128.facility import is_facility_identification_number


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (for example America/Los_Angeles)")


def validate_facility_identification_number(value: str) -> None:
    if not is_facility_identification_number(value):
        raise ValidationError(
            f"{value!r} is not an ISBT 128 Facility Identification Number: five characters, "
            "a letter other than O or a digit 1-9, two letters or digits, two digits (e.g. W1234)"
        )


class Company(models.Model):
    legal_name = models.CharField(max_length=200, unique=True)
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=1, help_text="Month (1-12) in which the fiscal year starts."
    )
    us_license_number = models.CharField(
        "U.S. license number",
        max_length=10,
        blank=True,
        help_text="Printed on the labels of licensed blood components (21 CFR 606.121(c)(2)).",
    )

    class Meta:
        verbose_name_plural = "companies"
        constraints = [
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="company_fiscal_year_start_month_is_a_month",
            )
        ]
        permissions = [
            ("manage_reference_data", "Can create and change sites, programs and hospitals"),
            ("manage_users", "Can create users, assign roles and issue API tokens"),
            ("view_audit_trail", "Can read the audit trail and verify its chains"),
            ("record_past_business_date", "Can record work that happened in the past"),
            ("view_reference_data", "Can read sites, programs and hospitals"),
        ]

    def __str__(self) -> str:
        return self.legal_name


class Address(models.Model):
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True, help_text="State or province.")
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US", help_text="ISO 3166-1 alpha-2.")

    class Meta:
        abstract = True

    @property
    def address_text(self) -> str:
        parts = [self.address_line, self.city, f"{self.region} {self.postal_code}".strip()]
        return ", ".join(part for part in parts if part)


class Site(Address):
    class Kind(models.TextChoices):
        FIXED_COLLECTION = "fixed_collection", "Fixed collection site"
        MOBILE_UNIT = "mobile_unit", "Mobile unit"
        LABORATORY = "laboratory", "Laboratory"
        PROCESSING_DISTRIBUTION = "processing_distribution", "Processing and distribution center"
        HOSPITAL_BASED = "hospital_based", "Hospital-based site"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="sites")
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    facility_identification_number = models.CharField(
        "ISBT 128 FIN",
        max_length=5,
        blank=True,
        validators=[validate_facility_identification_number],
        help_text="Where this site labels units.",
    )
    collections_program = models.ForeignKey(
        "Program",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="collection_sites",
        help_text="The program of the units collected here outside a drive (a drive's go to its program).",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "fixed_collection",
                        "mobile_unit",
                        "laboratory",
                        "processing_distribution",
                        "hospital_based",
                    ]
                ),
                name="site_kind_is_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Hospital(Address):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="hospitals")
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class HospitalIdentifier(models.Model):
    class System(models.TextChoices):
        NPI = "npi", "National Provider Identifier"
        CMS_CERTIFICATION = "cms_certification", "CMS Certification Number"
        FDA_REGISTRATION = "fda_registration", "FDA registration number"
        CUSTOMER_ACCOUNT = "customer_account", "Customer account number"

    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="identifiers")
    system = models.CharField(max_length=30, choices=System.choices)
    value = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="hospital_identifier_unique"),
            models.UniqueConstraint(fields=["hospital", "system"], name="hospital_one_identifier_per_system"),
        ]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.value}"


class HospitalLocation(Address):
    class Kind(models.TextChoices):
        SHIP_TO = "ship_to", "Ship-to (blood bank)"
        PROCEDURE = "procedure", "Procedure location"

    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="locations")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["hospital", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "kind", "name"], name="hospital_location_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.hospital.code}: {self.name} ({self.get_kind_display()})"


class Program(models.Model):
    class Segment(models.TextChoices):
        BLOOD_PRODUCTS = "blood_products", "Blood products"
        BLOOD_SERVICES = "blood_services", "Blood services"

    class Kind(models.TextChoices):
        FIXED_COLLECTIONS = "fixed_collections", "Fixed-site collections"
        MOBILE_COLLECTIONS = "mobile_collections", "Mobile collections"
        BLOOD_MANAGEMENT = "blood_management", "Blood management"
        THERAPEUTIC_APHERESIS = "therapeutic_apheresis", "Therapeutic apheresis"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="programs")
    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    segment = models.CharField(max_length=20, choices=Segment.choices)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    region = models.CharField(max_length=100, blank=True)
    client_hospital = models.ForeignKey(
        Hospital, on_delete=models.PROTECT, null=True, blank=True, related_name="programs"
    )
    active_from = models.DateField()
    active_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_until__isnull=True) | Q(active_until__gte=models.F("active_from")),
                name="program_active_dates_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(kind="blood_management") | Q(client_hospital__isnull=False),
                name="program_blood_management_has_client_hospital",
            ),
            models.CheckConstraint(
                condition=Q(segment__in=["blood_products", "blood_services"]),
                name="program_segment_is_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class User(AbstractUser):
    """A person who signs in. Roles are Django groups (hemaops.core.roles).

    A hospital user is bound to exactly one hospital and holds no staff role; the services
    that create and change users enforce it (a constraint cannot see group membership).
    """

    hospital = models.ForeignKey(
        Hospital, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    second_factor_exempt = models.BooleanField(
        default=False,
        help_text="Demo accounts only: the second factor is not asked even where the role needs it.",
    )

    def role_names(self) -> frozenset[str]:
        cached = getattr(self, "_role_names", None)
        if cached is None:
            cached = frozenset(self.groups.values_list("name", flat=True))
            self._role_names = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names() & set(roles))


class ApiToken(models.Model):
    """An integration's bearer token. Only a SHA-256 digest is stored: the token is
    256 random bits, so a fast digest is as safe as a slow hash and costs nothing per call."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user.username}: {self.name} ({self.prefix}…)"


class AuditEvent(models.Model):
    """One row of the append-only, HMAC-chained audit trail (house style §9).

    The database refuses UPDATE and DELETE (migration 0002). Each stream is a chain of its
    own: ``mac`` = HMAC(audit key, canonical content + ``previous_mac``).
    """

    stream = models.CharField(max_length=40)
    sequence = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField(help_text="Business time of what was recorded.")
    recorded_at = models.DateTimeField(help_text="When the system wrote it.")
    actor = models.ForeignKey(
        User, on_delete=models.DO_NOTHING, null=True, db_constraint=False, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    previous_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["stream", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "sequence"], name="audit_event_stream_sequence_unique"),
        ]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_event_target"),
            models.Index(fields=["recorded_at"], name="audit_event_recorded_at"),
        ]

    def __str__(self) -> str:
        return f"{self.stream}#{self.sequence} {self.action}"


class AuditStreamHead(models.Model):
    """The last sequence and MAC of each stream: the row writers lock to append in order."""

    stream = models.CharField(max_length=40, primary_key=True)
    sequence = models.PositiveBigIntegerField(default=0)
    mac = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.stream} at #{self.sequence}"


class AuditCheckpoint(models.Model):
    """A signed record of a stream's head at a moment, so that a cut-off tail is caught.
    Append-only like the events."""

    stream = models.CharField(max_length=40)
    sequence = models.PositiveBigIntegerField()
    event_mac = models.CharField(max_length=64)
    recorded_at = models.DateTimeField()
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["stream", "-sequence"]

    def __str__(self) -> str:
        return f"checkpoint {self.stream}#{self.sequence}"


class Signature(models.Model):
    """An electronic signature (21 CFR 11.50, 11.70, 11.200): who signed, when, what it
    means, bound to the records signed by their content digests and a MAC over all of it."""

    class Meaning(models.TextChoices):
        RELEASED = "released", "Released"
        APPROVED = "approved", "Approved"
        REVIEWED = "reviewed", "Reviewed"
        OVERRIDDEN = "overridden", "Overridden"
        ORDERED = "ordered", "Ordered"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"
        VERIFIED = "verified", "Verified"

    signer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="signatures")
    signer_full_name = models.CharField(max_length=300)
    signed_at = models.DateTimeField()
    meaning = models.CharField(max_length=20, choices=Meaning.choices)
    reason = models.TextField(blank=True)
    second_factor_used = models.BooleanField(default=False)
    mac = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.get_meaning_display()} by {self.signer_full_name} at {self.signed_at:%Y-%m-%d %H:%M}Z"


class SignedRecord(models.Model):
    signature = models.ForeignKey(Signature, on_delete=models.PROTECT, related_name="records")
    target_type = models.CharField(max_length=100)
    target_id = models.CharField(max_length=64)
    content_digest = models.CharField(max_length=64, help_text="SHA-256 of the record as signed.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["signature", "target_type", "target_id"],
                name="signed_record_once_per_signature",
            )
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="signed_record_target")]

    def __str__(self) -> str:
        return f"{self.target_type} {self.target_id}"
