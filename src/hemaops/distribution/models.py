"""Tables of the distribution context (issue 8): standing orders, hospital orders and their
lines, allocations of units to lines, shipments with their containers and items, returns.

Database guards (both databases): a unit has at most one open allocation (a partial unique
index — two orders racing for one unit cannot both win), a shipment holds a unit once, a
return is recorded once per shipped item, and a standing order yields one order a day.
Numbers (``ORD-…``, ``SHP-…``) come from the primary key: no counter to race on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from hemaops.billing.models import Contract
from hemaops.components.models import PRODUCT_CLASSES, Product, Unit
from hemaops.core.models import Hospital

ABO_CHOICES = [("O", "O"), ("A", "A"), ("B", "B"), ("AB", "AB")]
RHD_CHOICES = [("pos", "RhD positive"), ("neg", "RhD negative")]


class StandingOrder(models.Model):
    """What a hospital wants delivered on given weekdays; ``orders_from_standing`` turns it
    into that day's order."""

    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="standing_orders")
    name = models.CharField(max_length=100)
    weekdays = models.JSONField(help_text="ISO weekdays it is due on: 1 = Monday … 7 = Sunday.")
    delivery = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["hospital__code", "name"]

    def __str__(self) -> str:
        return f"{self.hospital.code}: {self.name}"


class LineSpec(models.Model):
    """What a line asks for: a product, its ABO/RhD, how many, and special requirements."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    abo = models.CharField(max_length=2, choices=ABO_CHOICES)
    rhd = models.CharField(max_length=3, choices=RHD_CHOICES)
    quantity = models.PositiveSmallIntegerField()
    attributes = models.JSONField(default=list, help_text="Some of distribution.rules.ATTRIBUTES.")
    antigens_negative = models.JSONField(default=list, help_text="Antigens the units must type negative for.")

    class Meta:
        abstract = True


class StandingOrderLine(LineSpec):
    standing_order = models.ForeignKey(StandingOrder, on_delete=models.PROTECT, related_name="lines")

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="standing_line_quantity")]

    def __str__(self) -> str:
        return f"{self.product.code} {self.abo}{self.rhd} × {self.quantity}"


class Order(models.Model):
    class Priority(models.TextChoices):
        ROUTINE = "routine", "Routine"
        STAT = "stat", "STAT"

    class Status(models.TextChoices):
        PLACED = "placed", "Placed"
        PARTIALLY_ALLOCATED = "partially_allocated", "Partially allocated"
        ALLOCATED = "allocated", "Allocated"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    class Channel(models.TextChoices):
        PORTAL = "portal", "Hospital portal"
        STAFF = "staff", "Placed by staff"
        FHIR = "fhir", "FHIR SupplyRequest"
        STANDING = "standing", "Standing order"

    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="orders")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="orders")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLACED)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    needed_by = models.DateTimeField()
    delivery = models.BooleanField(default=False, help_text="Delivered by the blood center (surcharge).")
    note = models.TextField(blank=True)
    standing_order = models.ForeignKey(
        StandingOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    for_date = models.DateField(null=True, blank=True, help_text="The day a standing order's order is for.")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    placed_at = models.DateTimeField()
    cancelled_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["standing_order", "for_date"],
                condition=Q(standing_order__isnull=False),
                name="order_once_per_standing_day",
            ),
        ]
        indexes = [
            models.Index(fields=["hospital", "status"], name="order_hospital_status"),
            models.Index(fields=["status", "priority", "needed_by"], name="order_queue"),
        ]
        permissions = [
            ("place_order", "Can place orders (for one's own hospital, or as staff for any)"),
            ("allocate_order", "Can allocate units to orders"),
            ("authorize_rh_substitution", "Can let RhD-positive units fill an RhD-negative line"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"ORD-{self.pk:06d}"


class OrderLine(LineSpec):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines")
    # A medical director's order lets RhD-positive units fill an RhD-negative line (rules.substitutes).
    allow_rh_positive = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity")]

    def __str__(self) -> str:
        return f"{self.product.code} {self.abo}{self.rhd} × {self.quantity}"


class Allocation(models.Model):
    """A unit set aside for an order line, until shipped with it or released."""

    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="allocations")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="allocations")
    allocated_at = models.DateTimeField()
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # Invariant 3 in the database: a unit is in at most one open allocation.
            models.UniqueConstraint(
                fields=["unit"], condition=Q(released_at__isnull=True), name="allocation_one_open_per_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} → line {self.line_id}"


class Shipment(models.Model):
    class Status(models.TextChoices):
        PACKING = "packing", "Packing"
        SHIPPED = "shipped", "Shipped"
        RECEIVED = "received", "Received"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="shipments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PACKING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    shipped_at = models.DateTimeField(null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["hospital", "status"], name="shipment_hospital_status")]
        permissions = [
            ("ship_order", "Can pack and ship orders"),
            ("confirm_receipt", "Can confirm a shipment was received"),
            ("record_return", "Can record returned units"),
            ("report_disposition", "Can report what became of a shipped unit"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"SHP-{self.pk:06d}"


class ShippingContainer(models.Model):
    """A validated container of a shipment, for the product classes that share its range."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="containers")
    number = models.PositiveSmallIntegerField()
    product_classes = models.JSONField()
    minimum_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    maximum_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["shipment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "number"], name="container_number_per_shipment"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment} box {self.number}"

    @property
    def product_class_names(self) -> str:
        """The classes as people read them: "red cells, whole blood"."""
        names = dict(PRODUCT_CLASSES)
        return ", ".join(names.get(product_class, product_class) for product_class in self.product_classes)


class ShipmentItem(models.Model):
    """One unit of a shipment: scanned at packing, then what the hospital reported of it."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="items")
    allocation = models.OneToOneField(Allocation, on_delete=models.PROTECT, related_name="shipment_item")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="shipment_items")
    container = models.ForeignKey(
        ShippingContainer, on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )
    scanned_at = models.DateTimeField(null=True, blank=True)
    scanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What the hospital reported: transfused, wasted (with the reason), or nothing yet.
    hospital_disposition = models.CharField(max_length=20, blank=True)
    hospital_disposition_reason = models.TextField(blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["shipment", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "unit"], name="shipment_item_unit_once"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment} {self.unit_id}"


class UnitReturn(models.Model):
    """A shipped unit sent back, the facts it came back with and the decision on them."""

    item = models.OneToOneField(ShipmentItem, on_delete=models.PROTECT, related_name="unit_return")
    returned_at = models.DateTimeField()
    container_validated = models.BooleanField()
    lowest_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    highest_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    seal_intact = models.BooleanField()
    reissue = models.BooleanField()
    reasons = models.JSONField(default=list, help_text="Codes of distribution.rules.RETURN_REASONS.")
    note = models.TextField(blank=True)
    credit_note_number = models.CharField(max_length=20, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-returned_at", "-pk"]

    def __str__(self) -> str:
        return f"return of {self.item}"
