"""DIN label stock: pre-printed ISBT 128 DIN label sets received, and every DIN issued —
scanned from a received set at the chair or generated on demand — exactly once.

Sources: ICCBBA ST-001 v6.2.2 §2.4.1 (Data Structure 001; domain-reference §3.2): a DIN is
``αppppyynnnnnn`` — the FIN, the two-digit nominal year, a six-digit sequence within the
year for the FIN — and must be globally unique for 100 years.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from hemaops.core.models import Site

MAX_SEQUENCE = 999_999


class DinLabelStock(models.Model):
    """A range of pre-printed DIN label sets received for one facility (FIN) and year.

    Ranges of one FIN and year never overlap: the service refuses it and, on PostgreSQL, an
    exclusion constraint added by migration 0001 (``din_label_stock_ranges_do_not_overlap``).
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="din_label_stock")
    facility = models.CharField("ISBT 128 FIN", max_length=5)
    year = models.CharField(max_length=2, help_text="The two-digit nominal year printed in the DIN.")
    first_sequence = models.PositiveIntegerField()
    last_sequence = models.PositiveIntegerField()
    received_on = models.DateField()
    lot = models.CharField(max_length=60, blank=True, help_text="The label printer's lot or order number.")
    notes = models.CharField(max_length=300, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["facility", "-year", "first_sequence"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_sequence__lte=F("last_sequence"), last_sequence__lte=MAX_SEQUENCE),
                name="din_label_stock_range_is_ordered",
            ),
            models.CheckConstraint(
                condition=Q(year__regex=r"^[0-9]{2}$"), name="din_label_stock_year_two_digits"
            ),
        ]
        indexes = [models.Index(fields=["facility", "year", "first_sequence"], name="din_stock_lookup")]
        permissions = [
            ("receive_din_label_stock", "Can register received DIN label stock"),
            ("view_din_label_stock", "Can see DIN label stock and issued DINs"),
            ("claim_din", "Can scan a DIN label set at the chair"),
            ("generate_din", "Can generate a DIN on demand"),
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.year} {self.first_sequence:06d}–{self.last_sequence:06d}"

    @property
    def size(self) -> int:
        return self.last_sequence - self.first_sequence + 1


class IssuedDin(models.Model):
    """A DIN put to use. ``din`` is unique: the database decides, also under concurrent scans."""

    class Source(models.TextChoices):
        SCANNED = "scanned", "Scanned from a pre-printed label set"
        GENERATED = "generated", "Generated on demand"

    din = models.CharField("DIN", max_length=13, unique=True)
    facility = models.CharField("ISBT 128 FIN", max_length=5)
    year = models.CharField(max_length=2)
    sequence = models.PositiveIntegerField()
    flags = models.CharField(max_length=2, blank=True, help_text="Flags as scanned or printed.")
    source = models.CharField(max_length=10, choices=Source.choices)
    stock = models.ForeignKey(
        DinLabelStock, on_delete=models.PROTECT, null=True, blank=True, related_name="issued_dins"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="issued_dins")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    claimed_at = models.DateTimeField()

    class Meta:
        ordering = ["-claimed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "year", "sequence"], name="issued_din_unique_parts"),
            models.CheckConstraint(
                condition=Q(source__in=["scanned", "generated"]), name="issued_din_source_is_known"
            ),
            models.CheckConstraint(
                condition=Q(source="generated") | Q(stock__isnull=False),
                name="issued_din_scanned_comes_from_received_stock",
            ),
        ]

    def __str__(self) -> str:
        return self.din


class DinSequence(models.Model):
    """The on-demand counter of one FIN and year, locked (``select_for_update``) by each
    generation and each receipt of stock, so the two never hand out the same number."""

    facility = models.CharField("ISBT 128 FIN", max_length=5)
    year = models.CharField(max_length=2)
    last_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility", "year"], name="din_sequence_one_per_facility_year"),
            models.CheckConstraint(
                condition=Q(last_sequence__lte=MAX_SEQUENCE), name="din_sequence_within_six_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.year} at {self.last_sequence:06d}"
