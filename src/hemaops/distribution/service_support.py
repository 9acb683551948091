"""What the distribution services share: the audit stream, the errors they raise, the hospital
boundary and the order's row lock and status, which allocation and shipping both move.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from hemaops.core.errors import NotFoundError
from hemaops.core.models import Hospital, User
from hemaops.distribution.errors import DistributionConflictError, DistributionServiceError
from hemaops.distribution.models import Order, OrderLine, Shipment

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


def _status_from_lines(current: str, lines: Sequence[tuple[int, int, int]]) -> str:
    """The status an order's lines give it — (quantity, units allocated and not released,
    units shipped) each; cancelled stays cancelled."""
    if current == Order.Status.CANCELLED:
        return current
    if lines and all(shipped >= quantity for quantity, _, shipped in lines):
        return Order.Status.SHIPPED
    if lines and all(allocated >= quantity for quantity, allocated, _ in lines):
        return Order.Status.ALLOCATED
    if any(allocated for _, allocated, _ in lines):
        return Order.Status.PARTIALLY_ALLOCATED
    return Order.Status.PLACED


def statuses_refresh(orders: Sequence[Order]) -> None:
    """Bring each order's status in line with its allocations and shipments: one query for
    the lines of all of them, one update for those that changed."""
    shipped_states = [Shipment.Status.SHIPPED, Shipment.Status.RECEIVED]
    lines: dict[int, list[tuple[int, int, int]]] = {order.pk: [] for order in orders}
    for order_id, quantity, allocated, shipped in (
        OrderLine.objects.filter(order__in=[order.pk for order in orders])
        .annotate(
            allocated=Count("allocations", filter=Q(allocations__released_at__isnull=True), distinct=True),
            shipped=Count(
                "allocations",
                filter=Q(allocations__shipment_item__shipment__status__in=shipped_states),
                distinct=True,
            ),
        )
        .values_list("order_id", "quantity", "allocated", "shipped")
    ):
        lines[order_id].append((quantity, allocated, shipped))
    changed = []
    for order in orders:
        status = _status_from_lines(order.status, lines[order.pk])
        if status != order.status:
            order.status = status
            changed.append(order)
    if changed:
        Order.objects.bulk_update(changed, ["status"])


def _refresh_status(order: Order) -> None:
    statuses_refresh([order])


def _order_locked(order: Order) -> Order:
    # Only the order row: the hospital and contract are read, and locking them too would make every
    # order of a hospital wait for each other and deadlock with contract changes.
    return (
        Order.objects.select_for_update(of=("self",)).select_related("hospital", "contract").get(pk=order.pk)
    )
