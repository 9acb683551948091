"""Tables of the components context (issue 7): the product catalogue (imported, versioned),
units with their sources and parentage, their history, holds and label scans, storage
locations with their temperature readings and excursions.

A unit is identified as ISBT 128 identifies it: DIN + product code (with its division). It
is made from one donation (several for a pool: ``UnitSource``) and from parent units
(``UnitParentage``), so any unit traces back to its donations and forward to its fate.

Database guards: check constraints (both databases) keep a unit that is available,
allocated or shipped labelled-and-verified and in date at its last move, and a unit's
disposition in step with its final status. On PostgreSQL, migration 0002 adds the release
and hold halves of the gate, the allowed transitions, and keeps sources and parentage
append-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from hemaops.components.rules.dating import Anticoagulant
from hemaops.components.rules.dating import Product as DatingProduct
from hemaops.components.rules.lifecycle import DISPOSITION_STATUS, FINAL, GATED, Disposition, Status
from hemaops.components.rules.manufacturing import Process, ProductClass
from hemaops.core.models import Site
from hemaops.donations.models import Donation

PRODUCT_CLASSES = [(value.value, value.value.replace("_", " ")) for value in ProductClass]
PROCESSES = [(value.value, value.value.replace("_", " ")) for value in Process]
STATUSES = [(value.value, value.value) for value in Status]
DISPOSITIONS = [(value.value, value.value.replace("_", " ")) for value in Disposition]


class Catalogue(models.Model):
    """One imported version of a product catalogue: ICCBBA's licensed codes, or our own."""

    class Source(models.TextChoices):
        ICCBBA = "iccbba", "ICCBBA (licensed)"
        LOCAL = "local", "Local codes (A–D range)"

    source = models.CharField(max_length=10, choices=Source.choices)
    version = models.CharField(max_length=40)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    product_count = models.PositiveIntegerField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "version"], name="catalogue_version_once"),
        ]
        permissions = [("import_catalogue", "Can import a product catalogue")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.version}"


class Product(models.Model):
    """A product as the catalogue defines it. ``catalogue`` is the version that last defined
    it: a new version updates the row (units keep pointing at it) and the audit trail keeps
    what it was before."""

    code = models.CharField("product description code", max_length=5, unique=True)
    catalogue = models.ForeignKey(Catalogue, on_delete=models.PROTECT, related_name="products")
    description = models.CharField(max_length=120)
    product_class = models.CharField(max_length=20, choices=PRODUCT_CLASSES)
    dating_product = models.CharField(max_length=30, choices=[(p.value, p.value) for p in DatingProduct])
    anticoagulant = models.CharField(max_length=10, choices=[(a.value, a.value) for a in Anticoagulant])
    storage_min_c = models.DecimalField(max_digits=4, decimal_places=1)
    storage_max_c = models.DecimalField(max_digits=4, decimal_places=1)
    billable_item_code = models.CharField(max_length=20)
    made_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="made_into"
    )
    process = models.CharField(max_length=20, choices=PROCESSES, blank=True)
    procedure = models.CharField(max_length=20, blank=True, help_text="Collected directly by this procedure.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(storage_min_c__lt=F("storage_max_c")), name="product_storage_range_ordered"
            ),
            models.CheckConstraint(
                condition=Q(made_from__isnull=True, process="") | Q(made_from__isnull=False) & ~Q(process=""),
                name="product_made_from_with_process",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class StorageLocation(models.Model):
    class Kind(models.TextChoices):
        REFRIGERATOR = "refrigerator", "Refrigerator"
        FREEZER = "freezer", "Freezer"
        PLATELET_AGITATOR = "platelet_agitator", "Platelet agitator"
        ROOM = "room", "Room temperature shelf"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="storage_locations")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    minimum_c = models.DecimalField(max_digits=4, decimal_places=1)
    maximum_c = models.DecimalField(max_digits=4, decimal_places=1)
    capacity_units = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["site__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="storage_location_name_per_site"),
            models.CheckConstraint(
                condition=Q(minimum_c__lt=F("maximum_c")), name="storage_location_range_ordered"
            ),
        ]
        permissions = [
            ("import_temperatures", "Can import a temperature logger's readings"),
            ("decide_excursion", "Can decide on the units of a temperature excursion"),
        ]

    def __str__(self) -> str:
        return f"{self.site.code} {self.name}"


class Unit(models.Model):
    din = models.CharField("DIN", max_length=13)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="units")
    product_code = models.CharField(
        max_length=8, help_text="ISBT 128 product code: PDC, collection type, division."
    )
    collection_type = models.CharField(max_length=1)
    donor_classification = models.CharField(max_length=10)  # the label's paid/volunteer statement
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="units")
    location = models.ForeignKey(
        StorageLocation, on_delete=models.PROTECT, null=True, blank=True, related_name="units"
    )
    volume_ml = models.PositiveIntegerField(null=True, blank=True)
    abo = models.CharField(max_length=2, blank=True)
    rhd = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=12, choices=STATUSES, default=Status.QUARANTINED.value)
    disposition = models.CharField(max_length=24, choices=DISPOSITIONS, blank=True)
    disposition_reason = models.TextField(blank=True)
    collected_at = models.DateTimeField()
    manufactured_at = models.DateTimeField()
    # The dating events of the unit's making (kind and time, in order), from its parents'.
    dating_events = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    label_shows_time = models.BooleanField()
    status_changed_at = models.DateTimeField()
    # The label: the digest of what was printed, and of what was scanned back and matched.
    label_digest = models.CharField(max_length=64, blank=True)
    label_printed_at = models.DateTimeField(null=True, blank=True)
    label_verified_digest = models.CharField(max_length=64, blank=True)
    label_verified_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["expires_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["din", "product_code"], name="unit_din_product_code_once"),
            models.CheckConstraint(
                condition=Q(status__in=[value for value, _ in STATUSES]), name="unit_status_is_known"
            ),
            # The label and expiry halves of the gate, on every database.
            models.CheckConstraint(
                condition=~Q(status__in=sorted(s.value for s in GATED))
                | (
                    ~Q(label_digest="")
                    & Q(label_verified_digest=F("label_digest"))
                    & Q(expires_at__gt=F("status_changed_at"))
                ),
                name="unit_gated_status_verified_and_in_date",
            ),
            models.CheckConstraint(
                condition=Q(disposition="", status__in=[s.value for s in Status if s not in FINAL])
                | Q(
                    disposition__in=[d.value for d, s in DISPOSITION_STATUS.items() if s is Status.DISCARDED],
                    status=Status.DISCARDED.value,
                )
                | Q(
                    disposition__in=[d.value for d, s in DISPOSITION_STATUS.items() if s is Status.USED],
                    status=Status.USED.value,
                ),
                name="unit_disposition_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="unit_status_expires"),
            models.Index(fields=["product", "abo", "rhd"], name="unit_product_group"),
            models.Index(fields=["din"], name="unit_din"),
            # The stock board: available and quarantined units counted by product, group and
            # expiry from the index alone (an index-only scan; the site for a site's board).
            models.Index(
                fields=["status", "product", "abo", "rhd", "expires_at"],
                include=["site"],
                condition=Q(status__in=["available", "quarantined"]),
                name="unit_stock_board",
            ),
        ]
        permissions = [
            ("manufacture_unit", "Can make components and apply modifications"),
            ("label_unit", "Can print and verify unit labels"),
            ("move_unit", "Can store, make available and discard units"),
            ("allocate_unit", "Can allocate and ship units"),
            ("hold_unit", "Can place and lift holds on units"),
        ]

    def __str__(self) -> str:
        return f"{self.din} {self.product_code}"

    @property
    def blood_group(self) -> str:
        return f"{self.abo} {self.rhd.upper()}" if self.abo else ""


class UnitSource(models.Model):
    """A donation a unit is made from (one; several for a pool)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="sources")
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="unit_sources")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "donation"], name="unit_source_once")]
        indexes = [models.Index(fields=["donation"], name="unit_source_donation")]

    def __str__(self) -> str:
        return f"{self.unit_id} from donation {self.donation_id}"


class UnitParentage(models.Model):
    child = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="parent_links")
    parent = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="child_links")
    process = models.CharField(max_length=20, choices=PROCESSES)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["child", "parent"], name="unit_parentage_once")]

    def __str__(self) -> str:
        return f"{self.child_id} from {self.parent_id}"


class UnitEvent(models.Model):
    """The unit's history: one row per thing done to it (house style §7)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["unit", "occurred_at"], name="unit_event_unit")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.action}"


class TemperatureImport(models.Model):
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="imports")
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    reading_count = models.PositiveIntegerField()
    excursion_count = models.PositiveIntegerField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["location", "sha256"], name="temperature_import_once"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} for {self.location_id}"


class TemperatureReading(models.Model):
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="readings")
    recorded_at = models.DateTimeField()
    temperature_c = models.DecimalField(max_digits=5, decimal_places=2)
    source = models.ForeignKey(TemperatureImport, on_delete=models.PROTECT, related_name="readings")

    class Meta:
        ordering = ["recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["location", "recorded_at"], name="temperature_reading_once"),
        ]

    def __str__(self) -> str:
        return f"{self.temperature_c} °C at {self.recorded_at}"


class TemperatureExcursion(models.Model):
    class Decision(models.TextChoices):
        PENDING = "", "Pending"
        UNITS_RELEASED = "units_released", "Units acceptable: holds lifted"
        UNITS_DISCARDED = "units_discarded", "Units discarded"

    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="excursions")
    source = models.ForeignKey(TemperatureImport, on_delete=models.PROTECT, related_name="excursions")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    extreme_c = models.DecimalField(max_digits=5, decimal_places=2)
    direction = models.CharField(max_length=5)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"excursion at {self.location_id} from {self.started_at}"


class UnitHold(models.Model):
    class Kind(models.TextChoices):
        MANUAL = "manual", "Placed by hand"
        TEMPERATURE = "temperature", "Temperature excursion"

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="holds")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    excursion = models.ForeignKey(
        TemperatureExcursion, on_delete=models.PROTECT, null=True, blank=True, related_name="holds"
    )
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
        indexes = [models.Index(fields=["unit", "lifted_at"], name="unit_hold_active")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="manual") | Q(excursion__isnull=False),
                name="unit_hold_temperature_has_excursion",
            ),
        ]

    def __str__(self) -> str:
        return f"hold on {self.unit_id}: {self.reason}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class LabelScan(models.Model):
    """One scan-back of a unit's label: kept whether it matched or not (a mismatch is refused
    and stays on record for the quality officer)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="label_scans")
    label_digest = models.CharField(max_length=64)
    scans = models.JSONField()
    matched = models.BooleanField()
    mismatches = models.JSONField(default=list)
    scanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    scanned_at = models.DateTimeField()

    class Meta:
        ordering = ["-scanned_at", "-pk"]

    def __str__(self) -> str:
        return f"scan of {self.unit_id}: {'matched' if self.matched else 'mismatch'}"
