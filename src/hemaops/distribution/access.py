"""Gates through which pages, the API and FHIR load orders, standing orders, shipments and
shipped items (house style §10; DESIGN.md invariant 6). A hospital user reaches only its own
hospital's records; anyone else needs the view permission. Whoever may not see a record gets
the same 404 whether it exists or not."""

from __future__ import annotations

from django.db.models import QuerySet

from hemaops.core.access import hospital_scoped, one_or_404
from hemaops.core.models import Hospital, User
from hemaops.distribution.models import Order, Shipment, ShipmentItem, StandingOrder

VIEW_ORDER = "distribution.view_order"
VIEW_SHIPMENT = "distribution.view_shipment"
VIEW_STANDING_ORDER = "distribution.view_standingorder"


def orders_visible(user: User) -> QuerySet[Order]:
    return hospital_scoped(user, Order.objects.all(), VIEW_ORDER)


def shipments_visible(user: User) -> QuerySet[Shipment]:
    return hospital_scoped(user, Shipment.objects.all(), VIEW_SHIPMENT)


def standing_orders_visible(user: User) -> QuerySet[StandingOrder]:
    return hospital_scoped(user, StandingOrder.objects.all(), VIEW_STANDING_ORDER)


def access_order_by_id(user: User, order_id: int) -> Order:
    return one_or_404(orders_visible(user).select_related("hospital", "contract"), order_id, "order")


def access_shipment_by_id(user: User, shipment_id: int) -> Shipment:
    return one_or_404(shipments_visible(user).select_related("hospital", "order"), shipment_id, "shipment")


def access_standing_order_by_id(user: User, standing_order_id: int) -> StandingOrder:
    return one_or_404(
        standing_orders_visible(user).select_related("hospital"), standing_order_id, "standing order"
    )


def access_item_by_id(user: User, item_id: int) -> ShipmentItem:
    items = ShipmentItem.objects.filter(shipment__in=shipments_visible(user))
    return one_or_404(items.select_related("shipment", "unit", "unit__product"), item_id, "shipped unit")


def access_hospital_for_order(user: User, hospital_id: int) -> Hospital:
    """The hospital an order is placed for: a hospital user's own (any other is a 404); staff
    who may place orders, any active hospital."""
    hospitals = Hospital.objects.filter(is_active=True)
    if user.hospital_id is not None:
        hospitals = hospitals.filter(pk=user.hospital_id)
    elif not user.has_perm("distribution.place_order"):
        hospitals = hospitals.none()
    return one_or_404(hospitals, hospital_id, "hospital")
