"""API of the distribution context, mounted under /api/v1/distribution: orders (list, place,
allocate, cancel), shipments (create, scan, ship, receive, manifest), a shipped unit's return
and disposition, and standing orders.

Every object is loaded through ``distribution.access`` (another hospital's record answers 404);
every POST checks its permission, calls one service and answers 201 with the resource; errors
are ``{"error": {"code", "message", "field"}}`` with their 4xx status (hemaops.api)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from hemaops.core.access import require_permission
from hemaops.core.authentication import request_actor
from hemaops.core.models import Hospital, User
from hemaops.distribution import selectors, services
from hemaops.distribution.access import (
    VIEW_ORDER,
    VIEW_SHIPMENT,
    VIEW_STANDING_ORDER,
    access_hospital_for_order,
    access_item_by_id,
    access_order_by_id,
    access_shipment_by_id,
)
from hemaops.distribution.errors import DistributionServiceError
from hemaops.distribution.models import Order, Shipment, ShipmentItem, StandingOrder, UnitReturn

router = Router(tags=["distribution"])

LIST_LIMIT = 500


def _name(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


# --- schemas ----------------------------------------------------------------------------------


class LineIn(Schema):
    product: str = Field(description="The product description code (A0003)")
    abo: str
    rhd: str = Field(description="pos or neg")
    quantity: int
    attributes: list[str] = Field(default_factory=list, description="Some of distribution.rules.ATTRIBUTES")
    antigens_negative: list[str] = Field(default_factory=list, description="Antigens typed negative (K, E)")
    allow_rh_positive: bool = Field(False, description="Medical director only")

    def line_input(self) -> services.LineInput:
        return services.LineInput(
            product_code=self.product,
            abo=self.abo,
            rhd=self.rhd,
            quantity=self.quantity,
            attributes=tuple(self.attributes),
            antigens_negative=tuple(self.antigens_negative),
            allow_rh_positive=self.allow_rh_positive,
        )


class OrderIn(Schema):
    hospital: str | None = Field(None, description="The hospital's code: staff only; a hospital user's own")
    priority: str = Order.Priority.ROUTINE
    needed_by: datetime | None = None
    delivery: bool = False
    note: str = ""
    lines: list[LineIn]


class AllocatedUnitOut(Schema):
    allocation: int
    unit: int
    din: str
    product_code: str
    abo: str
    rhd: str
    expires_at: datetime
    allocated_at: datetime


class LineOut(Schema):
    id: int
    product: str
    abo: str
    rhd: str
    quantity: int
    attributes: list[str]
    antigens_negative: list[str]
    allow_rh_positive: bool
    allocated: list[AllocatedUnitOut]


class OrderOut(Schema):
    id: int
    number: str
    hospital: str
    contract: str
    priority: str
    status: str
    channel: str
    needed_by: datetime
    delivery: bool
    note: str
    placed_by: str | None
    placed_at: datetime
    cancelled_reason: str


class OrderDetailOut(OrderOut):
    lines: list[LineOut]
    shipments: list[int]


class AllocationOut(Schema):
    order: OrderDetailOut
    allocated: int
    short: dict[int, int] = Field(description="Order line id → units still missing")


class AllocationRunOut(Schema):
    orders: int = Field(description="Orders allocated (an order another allocator held is skipped)")
    lines: int = Field(description="Lines that were missing units")
    units: int = Field(description="Units allocated")
    short_lines: int = Field(description="Lines still missing units: the shelf had none to give")


class CancelIn(Schema):
    reason: str


class ReturnOut(Schema):
    returned_at: datetime
    container_validated: bool
    lowest_c: Decimal | None
    highest_c: Decimal | None
    seal_intact: bool
    reissue: bool
    reasons: list[str]
    note: str
    credit_note_number: str
    recorded_by: str | None
    recorded_at: datetime


class ItemOut(Schema):
    id: int
    unit: int
    din: str
    product_code: str
    abo: str
    rhd: str
    expires_at: datetime
    container: int | None = Field(description="The box number")
    scanned: bool
    scanned_at: datetime | None
    hospital_disposition: str
    hospital_disposition_reason: str
    reported_at: datetime | None
    unit_return: ReturnOut | None


class ShipmentOut(Schema):
    id: int
    number: str
    order: int
    order_number: str
    hospital: str
    status: str
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    received_note: str


class ShipmentDetailOut(ShipmentOut):
    items: list[ItemOut]


class ScanIn(Schema):
    scans: list[str] = Field(description="The bar codes read off one unit's label")


class ReceiveIn(Schema):
    note: str = ""


class ReturnIn(Schema):
    returned_at: datetime
    container_validated: bool
    lowest_c: Decimal | None = None
    highest_c: Decimal | None = None
    seal_intact: bool
    note: str = ""


class DispositionIn(Schema):
    disposition: str = Field(description="transfused or wasted")
    reason: str = ""


class StandingOrderIn(Schema):
    hospital: str | None = Field(None, description="The hospital's code: staff only; a hospital user's own")
    name: str
    weekdays: list[int] = Field(description="ISO weekdays: 1 = Monday … 7 = Sunday")
    delivery: bool = True
    lines: list[LineIn]


class StandingLineOut(Schema):
    product: str
    abo: str
    rhd: str
    quantity: int
    attributes: list[str]
    antigens_negative: list[str]


class StandingOrderOut(Schema):
    id: int
    hospital: str
    name: str
    weekdays: list[int]
    delivery: bool
    is_active: bool
    lines: list[StandingLineOut]


# --- shaping ----------------------------------------------------------------------------------


def _order_out(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "hospital": order.hospital.code,
        "contract": order.contract.number,
        "priority": order.priority,
        "status": order.status,
        "channel": order.channel,
        "needed_by": order.needed_by,
        "delivery": order.delivery,
        "note": order.note,
        "placed_by": _name(order.placed_by),
        "placed_at": order.placed_at,
        "cancelled_reason": order.cancelled_reason,
    }


def _order_detail_out(order: Order) -> OrderDetailOut:
    order = selectors.order_detail(order)
    lines = [
        LineOut(
            id=line.pk,
            product=line.product.code,
            abo=line.abo,
            rhd=line.rhd,
            quantity=line.quantity,
            attributes=list(line.attributes),
            antigens_negative=list(line.antigens_negative),
            allow_rh_positive=line.allow_rh_positive,
            allocated=[
                AllocatedUnitOut(
                    allocation=allocation.pk,
                    unit=allocation.unit_id,
                    din=allocation.unit.din,
                    product_code=allocation.unit.product_code,
                    abo=allocation.unit.abo,
                    rhd=allocation.unit.rhd,
                    expires_at=allocation.unit.expires_at,
                    allocated_at=allocation.allocated_at,
                )
                for allocation in line.allocations.all()
                if allocation.released_at is None
            ],
        )
        for line in order.lines.all()
    ]
    return OrderDetailOut(
        **_order_out(order), lines=lines, shipments=sorted(s.pk for s in order.shipments.all())
    )


def _return_out(unit_return: UnitReturn | None) -> ReturnOut | None:
    if unit_return is None:
        return None
    return ReturnOut(
        returned_at=unit_return.returned_at,
        container_validated=unit_return.container_validated,
        lowest_c=unit_return.lowest_c,
        highest_c=unit_return.highest_c,
        seal_intact=unit_return.seal_intact,
        reissue=unit_return.reissue,
        reasons=list(unit_return.reasons),
        note=unit_return.note,
        credit_note_number=unit_return.credit_note_number,
        recorded_by=_name(unit_return.recorded_by),
        recorded_at=unit_return.recorded_at,
    )


def _item_out(item: ShipmentItem) -> ItemOut:
    return ItemOut(
        id=item.pk,
        unit=item.unit_id,
        din=item.unit.din,
        product_code=item.unit.product_code,
        abo=item.unit.abo,
        rhd=item.unit.rhd,
        expires_at=item.unit.expires_at,
        container=item.container.number if item.container is not None else None,
        scanned=item.scanned_at is not None,
        scanned_at=item.scanned_at,
        hospital_disposition=item.hospital_disposition,
        hospital_disposition_reason=item.hospital_disposition_reason,
        reported_at=item.reported_at,
        unit_return=_return_out(getattr(item, "unit_return", None)),
    )


def _shipment_out(shipment: Shipment) -> dict[str, Any]:
    return {
        "id": shipment.pk,
        "number": shipment.number,
        "order": shipment.order_id,
        "order_number": shipment.order.number,
        "hospital": shipment.hospital.code,
        "status": shipment.status,
        "created_at": shipment.created_at,
        "shipped_at": shipment.shipped_at,
        "received_at": shipment.received_at,
        "received_note": shipment.received_note,
    }


def _shipment_detail_out(shipment: Shipment) -> ShipmentDetailOut:
    shipment = selectors.shipment_detail(shipment)
    items = [_item_out(item) for item in shipment.items.all()]
    return ShipmentDetailOut(**_shipment_out(shipment), items=items)


def _standing_out(standing: StandingOrder) -> StandingOrderOut:
    return StandingOrderOut(
        id=standing.pk,
        hospital=standing.hospital.code,
        name=standing.name,
        weekdays=list(standing.weekdays),
        delivery=standing.delivery,
        is_active=standing.is_active,
        lines=[
            StandingLineOut(
                product=line.product.code,
                abo=line.abo,
                rhd=line.rhd,
                quantity=line.quantity,
                attributes=list(line.attributes),
                antigens_negative=list(line.antigens_negative),
            )
            for line in standing.lines.all()
        ],
    )


def _hospital_for(actor: User, code: str | None) -> Hospital:
    """A hospital user's own hospital (naming another is a 404 as if it did not exist);
    staff name the hospital by its code."""
    if actor.hospital_id is not None:
        if code is not None and code != actor.hospital.code:
            return access_hospital_for_order(actor, -1)
        return access_hospital_for_order(actor, actor.hospital_id)
    if not code:
        raise DistributionServiceError("hospital: name the hospital by its code", field="hospital")
    hospital = Hospital.objects.filter(code=code).first()
    if hospital is None:
        raise DistributionServiceError(f"hospital: no hospital has the code {code}", field="hospital")
    return access_hospital_for_order(actor, hospital.pk)


# --- orders -----------------------------------------------------------------------------------


@router.get("/orders", response=list[OrderOut], summary="Orders (a hospital user's own hospital's)")
def orders(request: HttpRequest, status: str | None = None) -> list[dict[str, Any]]:
    """With ``status``, in fill order: STAT first, then the earliest needed."""
    actor = request_actor(request)
    require_permission(actor, VIEW_ORDER)
    if status is not None and status not in Order.Status.values:
        raise DistributionServiceError(f"status: one of {', '.join(Order.Status.values)}", field="status")
    return [_order_out(order) for order in selectors.order_list(actor, status=status)[:LIST_LIMIT]]


@router.post("/orders", response={201: OrderDetailOut}, summary="Place an order")
def order_place(request: HttpRequest, payload: OrderIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "distribution.place_order")
    hospital = _hospital_for(actor, payload.hospital)
    order = services.order_place(
        actor=actor,
        hospital=hospital,
        lines=[line.line_input() for line in payload.lines],
        priority=payload.priority,
        needed_by=payload.needed_by,
        delivery=payload.delivery,
        note=payload.note,
        channel=Order.Channel.PORTAL if actor.hospital_id is not None else Order.Channel.STAFF,
    )
    return Status(201, _order_detail_out(order))


# Before /orders/{order_id}: Django would otherwise take "allocate" for an order id.
@router.post(
    "/orders/allocate",
    response={201: AllocationRunOut},
    summary="The allocation run: every open order, STAT first",
)
def orders_allocate(request: HttpRequest) -> Status:
    actor = request_actor(request)
    require_permission(actor, "distribution.allocate_order")
    run = services.orders_allocate(actor=actor)
    return Status(
        201,
        AllocationRunOut(orders=run.orders, lines=run.lines, units=run.units, short_lines=run.short_lines),
    )


@router.get("/orders/{order_id}", response=OrderDetailOut, summary="An order with its allocated units")
def order_detail(request: HttpRequest, order_id: int) -> OrderDetailOut:
    actor = request_actor(request)
    require_permission(actor, VIEW_ORDER)
    return _order_detail_out(access_order_by_id(actor, order_id))


@router.post("/orders/{order_id}/allocate", response={201: AllocationOut}, summary="Allocate units")
def order_allocate(request: HttpRequest, order_id: int) -> Status:
    actor = request_actor(request)
    require_permission(actor, "distribution.allocate_order")
    result = services.order_allocate(actor=actor, order=access_order_by_id(actor, order_id))
    return Status(
        201,
        AllocationOut(
            order=_order_detail_out(result.order), allocated=len(result.allocated), short=result.short
        ),
    )


@router.post("/orders/{order_id}/cancel", response={201: OrderDetailOut}, summary="Cancel an order")
def order_cancel(request: HttpRequest, order_id: int, payload: CancelIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "distribution.place_order")
    order = services.order_cancel(
        actor=actor, order=access_order_by_id(actor, order_id), reason=payload.reason
    )
    return Status(201, _order_detail_out(order))


@router.post("/orders/{order_id}/shipments", response={201: ShipmentDetailOut}, summary="Create a shipment")
def shipment_create(request: HttpRequest, order_id: int) -> Status:
    actor = request_actor(request)
    require_permission(actor, "distribution.ship_order")
    shipment = services.shipment_create(actor=actor, order=access_order_by_id(actor, order_id))
    return Status(201, _shipment_detail_out(shipment))


# --- shipments --------------------------------------------------------------------------------


@router.get("/shipments", response=list[ShipmentOut], summary="Shipments (a hospital user's own)")
def shipments(request: HttpRequest, status: str | None = None) -> list[dict[str, Any]]:
    actor = request_actor(request)
    require_permission(actor, VIEW_SHIPMENT)
    if status is not None and status not in Shipment.Status.values:
        raise DistributionServiceError(f"status: one of {', '.join(Shipment.Status.values)}", field="status")
    return [
        _shipment_out(shipment) for shipment in selectors.shipment_list(actor, status=status)[:LIST_LIMIT]
    ]


@router.get("/shipments/{shipment_id}", response=ShipmentDetailOut, summary="A shipment with its units")
def shipment_detail(request: HttpRequest, shipment_id: int) -> ShipmentDetailOut:
    actor = request_actor(request)
    require_permission(actor, VIEW_SHIPMENT)
    return _shipment_detail_out(access_shipment_by_id(actor, shipment_id))


@router.post("/shipments/{shipment_id}/scan", response={201: ItemOut}, summary="Scan a unit being packed")
def shipment_scan(request: HttpRequest, shipment_id: int, payload: ScanIn) -> Status:
    """The unit whose label was read is checked against the pick list; another unit is refused (409)."""
    actor = request_actor(request)
    require_permission(actor, "distribution.ship_order")
    shipment = access_shipment_by_id(actor, shipment_id)
    item = services.shipment_scan(actor=actor, shipment=shipment, scans=payload.scans)
    return Status(201, _item_out(selectors.shipment_detail(shipment).items.get(pk=item.pk)))


@router.post("/shipments/{shipment_id}/ship", response={201: ShipmentDetailOut}, summary="Ship")
def shipment_ship(request: HttpRequest, shipment_id: int) -> Status:
    actor = request_actor(request)
    require_permission(actor, "distribution.ship_order")
    shipment = services.shipment_ship(actor=actor, shipment=access_shipment_by_id(actor, shipment_id))
    return Status(201, _shipment_detail_out(shipment))


@router.post("/shipments/{shipment_id}/receive", response={201: ShipmentDetailOut}, summary="Confirm receipt")
def shipment_receive(request: HttpRequest, shipment_id: int, payload: ReceiveIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "distribution.confirm_receipt")
    shipment = services.shipment_receive(
        actor=actor, shipment=access_shipment_by_id(actor, shipment_id), note=payload.note
    )
    return Status(201, _shipment_detail_out(shipment))


@router.get("/shipments/{shipment_id}/manifest", response=dict[str, Any], summary="The shipment's manifest")
def shipment_manifest(request: HttpRequest, shipment_id: int) -> Any:
    actor = request_actor(request)
    require_permission(actor, VIEW_SHIPMENT)
    shipment = access_shipment_by_id(actor, shipment_id)
    from hemaops.distribution.manifest import shipment_manifest as build_manifest

    return build_manifest(shipment)


# --- shipped units ----------------------------------------------------------------------------


@router.post("/items/{item_id}/return", response={201: ItemOut}, summary="Record a returned unit")
def item_return(request: HttpRequest, item_id: int, payload: ReturnIn) -> Status:
    """The decision (reissue or not, with its reasons) and any credit note come back on the item."""
    actor = request_actor(request)
    require_permission(actor, "distribution.record_return")
    item = access_item_by_id(actor, item_id)
    services.unit_return_record(
        actor=actor,
        item=item,
        returned_at=payload.returned_at,
        container_validated=payload.container_validated,
        lowest_c=payload.lowest_c,
        highest_c=payload.highest_c,
        seal_intact=payload.seal_intact,
        note=payload.note,
    )
    return Status(201, _item_out(access_item_by_id(actor, item_id)))


@router.post("/items/{item_id}/disposition", response={201: ItemOut}, summary="Report what became of a unit")
def item_disposition(request: HttpRequest, item_id: int, payload: DispositionIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "distribution.report_disposition")
    item = access_item_by_id(actor, item_id)
    services.disposition_report(
        actor=actor, item=item, disposition=payload.disposition, reason=payload.reason
    )
    return Status(201, _item_out(access_item_by_id(actor, item_id)))


# --- standing orders --------------------------------------------------------------------------


@router.get("/standing-orders", response=list[StandingOrderOut], summary="Standing orders")
def standing_orders(request: HttpRequest) -> list[StandingOrderOut]:
    actor = request_actor(request)
    require_permission(actor, VIEW_STANDING_ORDER)
    return [_standing_out(standing) for standing in selectors.standing_order_list(actor)]


@router.post("/standing-orders", response={201: StandingOrderOut}, summary="Create a standing order")
def standing_order_create(request: HttpRequest, payload: StandingOrderIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "distribution.add_standingorder")
    standing = services.standing_order_create(
        actor=actor,
        hospital=_hospital_for(actor, payload.hospital),
        name=payload.name,
        weekdays=payload.weekdays,
        lines=[line.line_input() for line in payload.lines],
        delivery=payload.delivery,
    )
    return Status(201, _standing_out(selectors.standing_order_list(actor).get(pk=standing.pk)))
