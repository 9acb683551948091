"""Orders: placed by a hospital (portal, staff, FHIR) or made each day from its standing
orders, and cancelled; the lines are checked against the catalogue and the contract's prices.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from hemaops.billing import rules as billing_rules
from hemaops.billing import services as billing_services
from hemaops.billing.errors import BillingError
from hemaops.billing.models import Contract
from hemaops.components.models import Product
from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.errors import PermissionDeniedError
from hemaops.core.models import Hospital, User
from hemaops.distribution import rules
from hemaops.distribution.allocation_services import _release
from hemaops.distribution.errors import DistributionServiceError
from hemaops.distribution.models import Allocation, Order, OrderLine, StandingOrder, StandingOrderLine
from hemaops.distribution.service_support import (
    STREAM,
    _conflict,
    _error,
    _local_date,
    _order_locked,
    _own_hospital_only,
    _required,
)
from hemaops.lab.rules import RED_CELL_ANTIGENS


@dataclass(frozen=True)
class LineInput:
    """One order line as a caller gives it. ``product_code`` is the catalogue's product code
    (``A0003``); ``rhd`` is ``pos`` or ``neg``; attributes are some of ``rules.ATTRIBUTES``;
    ``antigens_negative`` antigen names (``K``, ``E``) the units must type negative for."""

    product_code: str
    abo: str
    rhd: str
    quantity: int
    attributes: Sequence[str] = ()
    antigens_negative: Sequence[str] = ()
    allow_rh_positive: bool = False


log = logging.getLogger(__name__)

STAT_LEAD = timedelta(hours=4)
ROUTINE_LEAD = timedelta(hours=24)
STANDING_HOUR = time(8, 0)


def _contract(hospital: Hospital, on: date) -> Contract:
    try:
        return billing_services.contract_in_force(hospital, on)
    except BillingError as error:
        raise _error(error.message, "no_contract", "hospital") from None


def _priced(contract: Contract, item_code: str, on: date, field: str, what: str) -> None:
    try:
        billing_services.price_for(contract, item_code, on)
    except BillingError:
        raise _error(
            f"the contract {contract.number} does not price {what} ({item_code}) on {on.isoformat()}",
            "not_priced",
            field,
        ) from None


@dataclass(frozen=True)
class _Spec:
    product: Product
    abo: str
    rhd: str
    quantity: int
    attributes: list[str]
    antigens_negative: list[str]
    allow_rh_positive: bool


def _validated_lines(
    actor: User | None, lines: Sequence[LineInput], contract: Contract, on: date
) -> list[_Spec]:
    if not lines:
        raise _error("an order needs at least one line", "required", "lines")
    codes = {(line.product_code or "").strip() for line in lines}
    products = {p.code: p for p in Product.objects.filter(code__in=codes, is_active=True)}
    specs = []
    for i, line in enumerate(lines):
        where = f"lines[{i}]"
        product = products.get((line.product_code or "").strip())
        if product is None:
            raise _error(
                f"{line.product_code!r} is not an active product of the catalogue",
                "unknown_product",
                f"{where}.product_code",
            )
        _priced(contract, product.billable_item_code, on, f"{where}.product_code", product.description)
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity < 1:
            raise _error(
                f"quantity must be at least 1, got {line.quantity!r}", "invalid_quantity", f"{where}.quantity"
            )
        if line.quantity > 32767:
            raise _error("quantity is too large", "invalid_quantity", f"{where}.quantity")
        if line.abo not in {"O", "A", "B", "AB"}:
            raise _error(f"ABO must be O, A, B or AB, got {line.abo!r}", "invalid_choice", f"{where}.abo")
        if line.rhd not in {"pos", "neg"}:
            raise _error(f"RhD must be pos or neg, got {line.rhd!r}", "invalid_choice", f"{where}.rhd")
        attributes = list(dict.fromkeys(line.attributes))
        unknown = sorted(set(attributes) - set(rules.ATTRIBUTES))
        if unknown:
            raise _error(
                f"unknown unit attribute(s) {', '.join(unknown)}: "
                f"expected some of {', '.join(rules.ATTRIBUTES)}",
                "unknown_attribute",
                f"{where}.attributes",
            )
        antigens = list(dict.fromkeys(line.antigens_negative))
        unknown = sorted(set(antigens) - RED_CELL_ANTIGENS)
        if unknown:
            raise _error(
                f"unknown red cell antigen(s) {', '.join(unknown)}",
                "unknown_antigen",
                f"{where}.antigens_negative",
            )
        if antigens and "antigen_negative" not in attributes:
            attributes.append("antigen_negative")  # naming antigens is asking for antigen-negative units
        if (
            line.allow_rh_positive
            and actor is not None
            and not actor.has_perm("distribution.authorize_rh_substitution")
        ):
            raise PermissionDeniedError(
                f"{where}.allow_rh_positive: only a medical director may let RhD-positive units fill "
                "an RhD-negative line",
                field=f"{where}.allow_rh_positive",
            )
        specs.append(
            _Spec(
                product, line.abo, line.rhd, line.quantity, attributes, antigens, bool(line.allow_rh_positive)
            )
        )
    return specs


def _line_data(spec: _Spec) -> dict[str, object]:
    return {
        "product": spec.product.code,
        "abo": spec.abo,
        "rhd": spec.rhd,
        "quantity": spec.quantity,
        "attributes": spec.attributes,
        "antigens_negative": spec.antigens_negative,
        "allow_rh_positive": spec.allow_rh_positive,
    }


# --- orders ----------------------------------------------------------------------------------


@transaction.atomic
def order_place(
    *,
    actor: User | None,
    hospital: Hospital,
    lines: Sequence[LineInput],
    priority: str = Order.Priority.ROUTINE,
    needed_by: datetime | None = None,
    delivery: bool = False,
    note: str = "",
    channel: str | None = None,
    occurred_at: datetime | None = None,
    standing_order: StandingOrder | None = None,
    for_date: date | None = None,
) -> Order:
    require_permission(actor, "distribution.place_order")
    _own_hospital_only(actor, hospital.pk, "hospital")
    now = occurred_at or timezone.now()
    if priority not in Order.Priority.values:
        raise _error(f"priority must be routine or stat, got {priority!r}", "invalid_choice", "priority")
    if channel is None:
        channel = Order.Channel.PORTAL if actor is not None and actor.hospital_id else Order.Channel.STAFF
    if channel not in Order.Channel.values:
        raise _error(f"unknown channel {channel!r}", "invalid_choice", "channel")
    on = _local_date(hospital, now)
    contract = _contract(hospital, on)
    specs = _validated_lines(actor, lines, contract, on)
    if priority == Order.Priority.STAT:
        _priced(contract, billing_rules.SURCHARGE_STAT, on, "priority", "the STAT surcharge")
    if delivery:
        _priced(contract, billing_rules.SURCHARGE_DELIVERY, on, "delivery", "the delivery surcharge")
    if needed_by is None:
        needed_by = now + (STAT_LEAD if priority == Order.Priority.STAT else ROUTINE_LEAD)
    order = Order.objects.create(
        hospital=hospital,
        contract=contract,
        priority=priority,
        channel=channel,
        needed_by=needed_by,
        delivery=bool(delivery),
        note=(note or "").strip(),
        standing_order=standing_order,
        for_date=for_date,
        placed_by=actor,
        placed_at=now,
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=spec.product,
                abo=spec.abo,
                rhd=spec.rhd,
                quantity=spec.quantity,
                attributes=spec.attributes,
                antigens_negative=spec.antigens_negative,
                allow_rh_positive=spec.allow_rh_positive,
            )
            for spec in specs
        ]
    )
    audit_record(
        stream=STREAM,
        action="order_placed",
        actor=actor,
        target=order,
        occurred_at=now,
        data={
            "number": order.number,
            "hospital": hospital.code,
            "contract": contract.number,
            "priority": priority,
            "channel": channel,
            "delivery": bool(delivery),
            "needed_by": needed_by.isoformat(),
            "lines": [_line_data(spec) for spec in specs],
        },
    )
    return order


@transaction.atomic
def order_cancel(*, actor: User | None, order: Order, reason: str) -> Order:
    """Cancel an order not shipped yet; its open allocations go back to stock. (The units move
    through the components' gate as ``actor``, who must be allowed to deallocate them.)"""
    require_permission(actor, "distribution.place_order")
    _own_hospital_only(actor, order.hospital_id, "order")
    reason = _required(reason, "reason", "say why the order is cancelled")
    order = _order_locked(order)
    if order.status == Order.Status.CANCELLED:
        raise _conflict(f"{order.number} is already cancelled", "already_cancelled", "order")
    if order.status == Order.Status.SHIPPED or order.shipments.exists():
        raise _conflict(
            f"{order.number} has a shipment: a shipped (or packed) order cannot be cancelled",
            "shipped",
            "order",
        )
    now = timezone.now()
    released = []
    for allocation in Allocation.objects.filter(line__order=order, released_at__isnull=True).select_related(
        "unit"
    ):
        _release(actor, allocation, f"order {order.number} cancelled: {reason}", now)
        released.append(allocation.unit_id)
    order.status = Order.Status.CANCELLED
    order.cancelled_reason = reason
    order.save(update_fields=["status", "cancelled_reason"])
    audit_record(
        stream=STREAM,
        action="order_cancelled",
        actor=actor,
        target=order,
        reason=reason,
        data={"number": order.number, "released_units": released},
    )
    return order


@transaction.atomic
def standing_order_create(
    *,
    actor: User | None,
    hospital: Hospital,
    name: str,
    weekdays: Sequence[int],
    lines: Sequence[LineInput],
    delivery: bool = True,
) -> StandingOrder:
    require_permission(actor, "distribution.add_standingorder")
    _own_hospital_only(actor, hospital.pk, "hospital")
    name = _required(name, "name", "name the standing order")
    days = sorted(set(weekdays or ()))
    if not days:
        raise _error("choose at least one weekday (1 = Monday … 7 = Sunday)", "required", "weekdays")
    if any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        raise _error("weekdays are 1 (Monday) to 7 (Sunday)", "invalid_choice", "weekdays")
    now = timezone.now()
    contract = _contract(hospital, _local_date(hospital, now))
    specs = _validated_lines(actor, lines, contract, _local_date(hospital, now))
    if delivery:
        _priced(
            contract, billing_rules.SURCHARGE_DELIVERY, _local_date(hospital, now), "delivery", "delivery"
        )
    standing = StandingOrder.objects.create(
        hospital=hospital, name=name, weekdays=days, delivery=bool(delivery), created_by=actor, created_at=now
    )
    StandingOrderLine.objects.bulk_create(
        [
            StandingOrderLine(
                standing_order=standing,
                product=spec.product,
                abo=spec.abo,
                rhd=spec.rhd,
                quantity=spec.quantity,
                attributes=spec.attributes,
                antigens_negative=spec.antigens_negative,
            )
            for spec in specs
        ]
    )
    audit_record(
        stream=STREAM,
        action="standing_order_created",
        actor=actor,
        target=standing,
        data={
            "hospital": hospital.code,
            "name": name,
            "weekdays": days,
            "lines": [_line_data(s) for s in specs],
        },
    )
    return standing


class _StandingOrders(list[Order]):
    """The orders made, with ``skipped``: the standing orders not turned into one, and why."""

    skipped: list[tuple[StandingOrder, str]]


def orders_from_standing(*, actor: User | None, on: date) -> list[Order]:
    """Today's orders of the active standing orders due on ``on``: one per standing order and
    day (a database constraint makes a second run — or a racing one — a no-op). A standing order
    that cannot be ordered (no contract in force, a product no longer priced) is skipped and
    reported in the result's ``skipped``, and logged; the others go ahead. Each order is its own
    transaction."""
    require_permission(actor, "distribution.place_order")
    made = _StandingOrders()
    made.skipped = []
    due = (
        StandingOrder.objects.filter(is_active=True)
        .select_related("hospital")
        .prefetch_related("lines__product")
    )
    for standing in due:
        if on.isoweekday() not in (standing.weekdays or []):
            continue
        if Order.objects.filter(standing_order=standing, for_date=on).exists():
            continue
        needed_by = datetime.combine(on, STANDING_HOUR, tzinfo=ZoneInfo(standing.hospital.time_zone))
        lines = [
            LineInput(
                product_code=line.product.code,
                abo=line.abo,
                rhd=line.rhd,
                quantity=line.quantity,
                attributes=tuple(line.attributes),
                antigens_negative=tuple(line.antigens_negative),
            )
            for line in standing.lines.all()
        ]
        try:
            with transaction.atomic():
                order = order_place(
                    actor=actor,
                    hospital=standing.hospital,
                    lines=lines,
                    needed_by=needed_by,
                    delivery=standing.delivery,
                    channel=Order.Channel.STANDING,
                    standing_order=standing,
                    for_date=on,
                    note=f"standing order {standing.name}",
                )
        except IntegrityError:
            continue  # another run made this day's order first
        except DistributionServiceError as error:
            log.warning("standing order %s (%s) skipped on %s: %s", standing.pk, standing, on, error.message)
            made.skipped.append((standing, error.message))
            continue
        made.append(order)
    return made
