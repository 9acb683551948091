"""Shipments: the pick list packed in validated containers, scanned unit by unit, shipped
through the components' gate with its charges, and received by the hospital.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from hemaops.billing import rules as billing_rules
from hemaops.billing import services as billing_services
from hemaops.billing.errors import BillingError
from hemaops.components import inventory_services
from hemaops.components.errors import ComponentsError
from hemaops.components.models import Unit, UnitSource
from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.models import Program, User
from hemaops.distribution import rules
from hemaops.distribution.errors import DistributionConflictError, DistributionServiceError
from hemaops.distribution.models import Allocation, Order, Shipment, ShipmentItem, ShippingContainer
from hemaops.distribution.service_support import (
    STREAM,
    _conflict,
    _error,
    _local_date,
    _order_locked,
    _own_hospital_only,
    _refresh_status,
)
from hemaops.distribution.unit_facts import product_attributes
from hemaops.isbt128.din import parse_din
from hemaops.isbt128.errors import Isbt128Error
from hemaops.isbt128.product_code import parse_product_code

#: Where a product class's revenue goes (the ledger's revenue mapping keys).
REVENUE_KEY = {
    "red_cells": "red_cells",
    "whole_blood": "red_cells",
    "platelets": "platelets",
    "plasma": "plasma",
    "cryo": "plasma",
}
SURCHARGE_REVENUE_KEY = "product_surcharges"


# --- shipments -------------------------------------------------------------------------------


def _shipment_locked(shipment: Shipment) -> Shipment:
    return (
        Shipment.objects.select_for_update(of=("self", "order"))  # the order: its status follows
        .select_related("hospital", "order", "order__contract")
        .get(pk=shipment.pk)
    )


@transaction.atomic
def shipment_create(*, actor: User | None, order: Order) -> Shipment:
    """A shipment of the order's allocated units not shipped yet, in validated containers by
    shipping temperature range."""
    require_permission(actor, "distribution.ship_order")
    order = _order_locked(order)
    if order.status == Order.Status.CANCELLED:
        raise _conflict(f"{order.number} is cancelled", "cancelled", "order")
    allocations = list(
        Allocation.objects.filter(line__order=order, released_at__isnull=True, shipment_item__isnull=True)
        .select_related("unit__product")
        .order_by("line_id", "unit__expires_at", "pk")
    )
    if not allocations:
        raise _conflict(f"{order.number} has no allocated units waiting to ship", "nothing_to_ship", "order")
    now = timezone.now()
    shipment = Shipment.objects.create(order=order, hospital=order.hospital, created_by=actor, created_at=now)
    classes = [a.unit.product.product_class for a in allocations]
    box_of_class: dict[str, ShippingContainer] = {}
    for number, members in enumerate(rules.container_for(classes), start=1):
        low, high = rules.SHIPPING_RANGE[members[0]]
        container = ShippingContainer.objects.create(
            shipment=shipment, number=number, product_classes=list(members), minimum_c=low, maximum_c=high
        )
        for product_class in members:
            box_of_class[product_class] = container
    ShipmentItem.objects.bulk_create(
        [
            ShipmentItem(
                shipment=shipment,
                allocation=a,
                unit=a.unit,
                container=box_of_class[a.unit.product.product_class],
            )
            for a in allocations
        ]
    )
    audit_record(
        stream=STREAM,
        action="shipment_created",
        actor=actor,
        target=shipment,
        occurred_at=now,
        data={"number": shipment.number, "order": order.number, "units": [a.unit_id for a in allocations]},
    )
    return shipment


def _scanned_identity(scans: Sequence[str]) -> tuple[str | None, str | None]:
    """The DIN (13 characters) and the product code (8 characters) among a label's scans."""
    din = product_code = None
    for raw in scans:
        scan = (raw or "").strip()
        if not scan:
            continue
        if scan.startswith("=<"):
            try:
                product_code = parse_product_code(scan).data_content
            except Isbt128Error:
                continue
        elif scan.startswith("="):
            try:
                din = parse_din(scan).text
            except Isbt128Error:
                continue
    return din, product_code


@transaction.atomic
def shipment_scan(*, actor: User | None, shipment: Shipment, scans: Sequence[str]) -> ShipmentItem:
    """Confirm one packed unit by the bar codes read off its label (DIN and product code)."""
    require_permission(actor, "distribution.ship_order")
    shipment = _shipment_locked(shipment)
    if shipment.status != Shipment.Status.PACKING:
        raise _conflict(
            f"{shipment.number} is {shipment.status}: scanning is only while packing", "not_packing"
        )
    din, product_code = _scanned_identity(scans or ())
    if din is None or product_code is None:
        raise _error("scan the unit label's DIN and product code bar codes", "incomplete_scan", "scans")
    item = (
        shipment.items.select_for_update()
        .select_related("unit")
        .filter(unit__din=din, unit__product_code=product_code)
        .first()
    )
    if item is None:
        raise _conflict(
            f"unit {din} ({product_code}) is not in {shipment.number}: put it back", "wrong_unit", "scans"
        )
    if item.scanned_at is None:  # a second scan of the same unit changes nothing
        item.scanned_at = timezone.now()
        item.scanned_by = actor
        item.save(update_fields=["scanned_at", "scanned_by"])
        audit_record(
            stream=STREAM,
            action="shipment_item_scanned",
            actor=actor,
            target=item,
            data={"shipment": shipment.number, "din": din, "product_code": product_code},
        )
    return item


def _unit_programs(unit_ids: Sequence[int]) -> dict[int, Program]:
    """Unit pk → the program of its (first) collection."""
    programs: dict[int, Program] = {}
    for source in (
        UnitSource.objects.filter(unit_id__in=unit_ids).select_related("donation__program").order_by("pk")
    ):
        programs.setdefault(source.unit_id, source.donation.program)
    return programs


@transaction.atomic
def shipment_ship(*, actor: User | None, shipment: Shipment, occurred_at: datetime | None = None) -> Shipment:
    """Ship a fully scanned shipment: every unit through the components' gate (an expired, held
    or quarantined unit refuses the whole shipment), then the charges and their revenue."""
    require_permission(actor, "distribution.ship_order")
    shipment = _shipment_locked(shipment)
    order = _order_locked(shipment.order)
    if shipment.status != Shipment.Status.PACKING:
        raise _conflict(f"{shipment.number} is already {shipment.status}", "not_packing")
    items = list(shipment.items.select_related("unit__product").order_by("pk"))
    unscanned = [item.unit.din for item in items if item.scanned_at is None]
    if unscanned:
        raise _conflict(
            f"scan every unit before shipping; not scanned: {', '.join(unscanned)}", "not_scanned", "scans"
        )
    now = occurred_at or timezone.now()
    hospital = shipment.hospital
    for item in items:
        try:
            inventory_services.unit_ship(
                actor=actor, unit=item.unit, consignee=hospital.name, occurred_at=now
            )
        except ComponentsError as error:
            raise DistributionConflictError(
                f"unit {item.unit.din} cannot be shipped: {error.message}", code=error.code, field="items"
            ) from None
    programs = _unit_programs([item.unit_id for item in items])
    charges = [
        billing_services.ChargeInput(
            item_code=item.unit.product.billable_item_code,
            description=f"{item.unit.product.description} {item.unit.din}",
            quantity=1,
            program=programs[item.unit_id],
            revenue_key=REVENUE_KEY[item.unit.product.product_class],
            source_type="distribution.shipmentitem",
            source_id=str(item.pk),
            donor_classification=item.unit.donor_classification or None,
        )
        for item in items
    ]
    first_program = programs[items[0].unit_id]
    irradiated = _irradiated_count([item.unit for item in items])
    surcharges = []
    if order.priority == Order.Priority.STAT:
        surcharges.append((billing_rules.SURCHARGE_STAT, "STAT order surcharge", 1))
    if order.delivery:
        surcharges.append((billing_rules.SURCHARGE_DELIVERY, "Delivery surcharge", 1))
    if irradiated:
        surcharges.append((billing_rules.SURCHARGE_IRRADIATION, "Irradiation surcharge", irradiated))
    for code, description, quantity in surcharges:
        charges.append(
            billing_services.ChargeInput(
                item_code=code,
                description=f"{description} {shipment.number}",
                quantity=quantity,
                program=first_program,
                revenue_key=SURCHARGE_REVENUE_KEY,
                source_type="distribution.shipment",
                source_id=f"{shipment.pk}:{code}",
            )
        )
    try:
        billing_services.charges_record(
            actor=actor,
            contract=order.contract,
            occurred_on=_local_date(hospital, now),
            group_key=shipment.number,
            charges=charges,
        )
    except BillingError as error:
        raise DistributionServiceError(
            f"{shipment.number} cannot be charged: {error.message}", code=error.code, field="shipment"
        ) from None
    shipment.status = Shipment.Status.SHIPPED
    shipment.shipped_at = now
    shipment.shipped_by = actor
    shipment.save(update_fields=["status", "shipped_at", "shipped_by"])
    _refresh_status(order)
    audit_record(
        stream=STREAM,
        action="shipment_shipped",
        actor=actor,
        target=shipment,
        occurred_at=now,
        data={
            "number": shipment.number,
            "order": order.number,
            "units": [item.unit.din for item in items],
            "surcharges": [code for code, _, _ in surcharges],
        },
    )
    return shipment


def _irradiated_count(units: Sequence[Unit]) -> int:
    attributes = product_attributes()
    return sum(1 for unit in units if "irradiated" in attributes.get(unit.product_id, frozenset()))


@transaction.atomic
def shipment_receive(
    *, actor: User | None, shipment: Shipment, note: str = "", occurred_at: datetime | None = None
) -> Shipment:
    """The hospital confirms the shipment arrived (its own users, or staff on its behalf)."""
    _own_hospital_only(actor, shipment.hospital_id, "shipment")
    require_permission(actor, "distribution.confirm_receipt")
    shipment = _shipment_locked(shipment)
    if shipment.status != Shipment.Status.SHIPPED:
        raise _conflict(
            f"{shipment.number} is {shipment.status}: only a shipped shipment is received", "not_shipped"
        )
    now = occurred_at or timezone.now()
    if shipment.shipped_at and now < shipment.shipped_at:
        raise _error("received before it was shipped", "invalid_time", "occurred_at")
    shipment.status = Shipment.Status.RECEIVED
    shipment.received_at = now
    shipment.received_by = actor
    shipment.received_note = (note or "").strip()
    shipment.save(update_fields=["status", "received_at", "received_by", "received_note"])
    audit_record(
        stream=STREAM,
        action="shipment_received",
        actor=actor,
        target=shipment,
        occurred_at=now,
        data={"number": shipment.number, "note": shipment.received_note},
    )
    return shipment
