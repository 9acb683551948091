"""What the distribution services share: the audit stream, the errors they raise, the hospital
boundary and the order's row lock and status, which allocation and shipping both move.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from hemaops.core.errors import NotFoundError
from hemaops.core.models import Hospital, User
from hemaops.distribution.errors import DistributionConflictError, DistributionServiceError
from hemaops.distribution.models import Order, Shipment

STREAM = "distribution"


def _error(message: str, code: str, field: str | None) -> DistributionServiceError:
    return DistributionServiceError(f"{field}: {message}" if field else message, code=code, field=field)


def _conflict(message: str, code: str, field: str | None = None) -> DistributionConflictError:
    return DistributionConflictError(message, code=code, field=field)


def _required(text: str, field: str, what: str) -> str:
    if not (text or "").strip():
        raise _error(what, "required", field)
    return text.strip()


def _local_date(hospital: Hospital, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(hospital.time_zone)).date()


def _own_hospital_only(actor: User | None, hospital_id: int, what: str) -> None:
    """A hospital user sees only its own hospital's things: anything else is "not there"."""
    if actor is not None and actor.hospital_id is not None and actor.hospital_id != hospital_id:
        raise NotFoundError(f"No such {what}.")


def _order_status(order: Order) -> str:
    """The status the order's allocations and shipments give it (cancelled stays cancelled)."""
    if order.status == Order.Status.CANCELLED:
        return order.status
    shipped_states = [Shipment.Status.SHIPPED, Shipment.Status.RECEIVED]
    lines = list(
        order.lines.annotate(
            open_count=Count("allocations", filter=Q(allocations__released_at__isnull=True), distinct=True),
            shipped_count=Count(
                "allocations",
                filter=Q(allocations__shipment_item__shipment__status__in=shipped_states),
                distinct=True,
            ),
        )
    )
    if lines and all(line.shipped_count >= line.quantity for line in lines):
        return Order.Status.SHIPPED
    if lines and all(line.open_count >= line.quantity for line in lines):
        return Order.Status.ALLOCATED
    if any(line.open_count for line in lines):
        return Order.Status.PARTIALLY_ALLOCATED
    return Order.Status.PLACED


def _refresh_status(order: Order) -> None:
    status = _order_status(order)
    if status != order.status:
        order.status = status
        order.save(update_fields=["status"])


def _order_locked(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("hospital", "contract").get(pk=order.pk)
