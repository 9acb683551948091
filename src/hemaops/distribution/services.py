"""Services of distribution (issue 8): orders (portal, staff, FHIR, standing), allocation,
shipping with a scan-verified pick list, receipt, returns and what hospitals report.

Every function is one transaction, permission-checked, audited on the ``distribution`` stream.
Units move only through the components' inventory services (the gate is theirs); charges and
revenue only through billing's services. The decisions are the pure rules'
(``distribution.rules``: substitution, FEFO picking, containers, returns).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from hemaops.billing import rules as billing_rules
from hemaops.billing import services as billing_services
from hemaops.billing.errors import BillingError
from hemaops.billing.models import Charge, Contract
from hemaops.components import inventory_services
from hemaops.components.errors import ComponentsError
from hemaops.components.models import Product, Unit, UnitHold, UnitSource
from hemaops.components.rules.compatibility import Abo, BloodType
from hemaops.components.rules.lifecycle import Status as UnitStatus
from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.errors import NotFoundError, PermissionDeniedError
from hemaops.core.models import Hospital, Program, User
from hemaops.distribution import rules
from hemaops.distribution.errors import DistributionConflictError, DistributionServiceError
from hemaops.distribution.models import (
    Allocation,
    Order,
    OrderLine,
    Shipment,
    ShipmentItem,
    ShippingContainer,
    StandingOrder,
    StandingOrderLine,
    UnitReturn,
)
from hemaops.distribution.unit_facts import NO_FACTS, product_attributes, units_facts
from hemaops.isbt128.din import parse_din
from hemaops.isbt128.errors import Isbt128Error
from hemaops.isbt128.product_code import parse_product_code
from hemaops.lab.rules import RED_CELL_ANTIGENS

STREAM = "distribution"


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


@dataclass
class AllocationResult:
    order: Order
    allocated: list[Allocation] = field(default_factory=list)
    short: dict[int, int] = field(default_factory=dict)  # order line pk → units still missing


log = logging.getLogger(__name__)

#: Where a product class's revenue goes (the ledger's revenue mapping keys).
REVENUE_KEY = {
    "red_cells": "red_cells",
    "whole_blood": "red_cells",
    "platelets": "platelets",
    "plasma": "plasma",
    "cryo": "plasma",
}
SURCHARGE_REVENUE_KEY = "product_surcharges"
DISPOSITIONS = ("transfused", "wasted")
STAT_LEAD = timedelta(hours=4)
ROUTINE_LEAD = timedelta(hours=24)
STANDING_HOUR = time(8, 0)


# --- helpers ---------------------------------------------------------------------------------


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


def _order_locked(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("hospital", "contract").get(pk=order.pk)


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


# --- allocation ------------------------------------------------------------------------------


def _blood_type(abo: str, rhd: str) -> BloodType:
    return BloodType(Abo(abo), rhd == "pos")


def _candidate_units(
    line: OrderLine, blood_type: BloodType, at: datetime, limit: int, skip: set[int]
) -> list[Unit]:
    active_hold = UnitHold.objects.filter(unit=OuterRef("pk"), lifted_at__isnull=True)
    query = (
        Unit.objects.filter(
            product_id=line.product_id,
            status=UnitStatus.AVAILABLE.value,
            abo=blood_type.abo.value,
            rhd="pos" if blood_type.rhd_positive else "neg",
            expires_at__gt=at,
        )
        .exclude(pk__in=skip)
        .filter(~Exists(active_hold))
        .order_by("expires_at", "pk")
        # Racing allocators skip each other's rows instead of waiting (PostgreSQL; no-op on SQLite).
        .select_for_update(skip_locked=True)
    )
    return list(query[:limit])


def _allocate_line(
    actor: User | None, order: Order, line: OrderLine, missing: int, at: datetime, result: AllocationResult
) -> int:
    """Allocate up to ``missing`` units to ``line``; returns how many were allocated."""
    component = rules.COMPONENT_OF_CLASS[line.product.product_class]
    wanted = _blood_type(line.abo, line.rhd)
    rule_line = rules.Line(
        component=component,
        wanted=wanted,
        quantity=missing,
        attributes=frozenset(line.attributes),
        antigens_negative=frozenset(line.antigens_negative),
    )
    demanding = bool(line.attributes or line.antigens_negative)
    limit = missing * 4 + 20 + (200 if demanding else 0)
    allocated = 0
    tried: set[int] = set()
    # Substitution groups best first, one query each, the next only when the better ones ran out:
    # a LIMIT over all groups at once could leave better-group units unfetched.
    for blood_type in rules.substitutes(
        component, wanted, allow_rh_positive_for_negative=line.allow_rh_positive
    ):
        while allocated < missing:
            units = _candidate_units(line, blood_type, at, limit, tried)
            if not units:
                break
            tried.update(u.pk for u in units)
            facts = units_facts(units) if demanding else {}
            by_id = {u.pk: u for u in units}
            candidates = [
                rules.Candidate(
                    unit_id=u.pk,
                    blood_type=blood_type,
                    expires_at=u.expires_at,
                    attributes=facts.get(u.pk, NO_FACTS).attributes,
                    antigens_negative=facts.get(u.pk, NO_FACTS).antigens_negative,
                )
                for u in units
            ]
            ordered = rules.pick(
                rules.Line(
                    rule_line.component,
                    wanted,
                    len(candidates),
                    rule_line.attributes,
                    rule_line.antigens_negative,
                ),
                candidates,
                at,
                allow_rh_positive_for_negative=line.allow_rh_positive,
            )
            chosen = [by_id[candidate.unit_id] for candidate in ordered[: missing - allocated]]
            batch = _allocate_units(actor, order, line, chosen, at)
            if batch is None:  # a unit of the batch was taken or refused: one by one, skipping it
                batch = [
                    allocation
                    for unit in chosen
                    if (allocation := _allocate_unit(actor, order, line, unit, at)) is not None
                ]
            result.allocated.extend(batch)
            allocated += len(batch)
            if len(units) < limit:
                break  # this group has nothing more to offer
        if allocated >= missing:
            break
    return allocated


def _allocate_units(
    actor: User | None, order: Order, line: OrderLine, units: list[Unit], at: datetime
) -> list[Allocation] | None:
    """The units through the components' gate in one batch and into allocations, in a
    savepoint; None when the batch is refused as a whole (the caller then goes unit by unit)."""
    if not units:
        return []
    try:
        with transaction.atomic():
            moved = {
                unit.pk: unit
                for unit in inventory_services.units_allocate(
                    actor=actor, units=units, reference=order.number, occurred_at=at
                )
            }
            return Allocation.objects.bulk_create(  # in the picking order (first expiry first)
                Allocation(line=line, unit=moved[unit.pk], allocated_at=at, allocated_by=actor)
                for unit in units
            )
    except IntegrityError:
        return None
    except ComponentsError as error:
        if isinstance(error, PermissionDeniedError):
            raise
        return None


def _allocate_unit(
    actor: User | None, order: Order, line: OrderLine, unit: Unit, at: datetime
) -> Allocation | None:
    """One unit through the components' gate and into an allocation, in a savepoint: a unit a
    racing worker took (the partial unique index, or the gate seeing it allocated) is skipped."""
    try:
        with transaction.atomic():
            unit = inventory_services.unit_allocate(
                actor=actor, unit=unit, reference=order.number, occurred_at=at
            )
            return Allocation.objects.create(line=line, unit=unit, allocated_at=at, allocated_by=actor)
    except IntegrityError:
        return None
    except ComponentsError as error:
        if isinstance(error, PermissionDeniedError):
            raise
        log.info("unit %s not allocated to %s: %s", unit.pk, order.number, error.message)
        return None


@transaction.atomic
def order_allocate(*, actor: User | None, order: Order, at: datetime | None = None) -> AllocationResult:
    require_permission(actor, "distribution.allocate_order")
    at = at or timezone.now()
    order = _order_locked(order)
    if order.status in (Order.Status.SHIPPED, Order.Status.CANCELLED):
        raise _conflict(f"{order.number} is {order.status}: nothing to allocate", "not_open", "order")
    lines = list(
        order.lines.select_related("product").annotate(
            open_count=Count("allocations", filter=Q(allocations__released_at__isnull=True))
        )
    )
    result = AllocationResult(order=order)
    for line in lines:
        missing = line.quantity - line.open_count
        if missing <= 0:
            continue
        got = _allocate_line(actor, order, line, missing, at, result)
        if got < missing:
            result.short[line.pk] = missing - got
    _refresh_status(order)
    audit_record(
        stream=STREAM,
        action="order_allocated",
        actor=actor,
        target=order,
        occurred_at=at,
        data={
            "number": order.number,
            "allocated": [{"line": a.line_id, "unit": a.unit_id} for a in result.allocated],
            "short": {str(k): v for k, v in result.short.items()},
            "status": order.status,
        },
    )
    return result


def _release(actor: User | None, allocation: Allocation, reason: str, at: datetime) -> None:
    allocation.released_at = at
    allocation.released_reason = reason
    allocation.save(update_fields=["released_at", "released_reason"])
    inventory_services.unit_deallocate(actor=actor, unit=allocation.unit, reason=reason, occurred_at=at)


@transaction.atomic
def allocation_release(*, actor: User | None, allocation: Allocation, reason: str) -> Allocation:
    require_permission(actor, "distribution.allocate_order")
    reason = _required(reason, "reason", "say why the unit is released")
    allocation = (
        Allocation.objects.select_for_update().select_related("unit", "line__order").get(pk=allocation.pk)
    )
    order = _order_locked(allocation.line.order)
    if allocation.released_at is not None:
        raise _conflict("this allocation is already released", "already_released", "allocation")
    if ShipmentItem.objects.filter(allocation=allocation).exists():
        raise _conflict(
            f"unit {allocation.unit.din} is in a shipment: it cannot be released", "in_shipment", "allocation"
        )
    now = timezone.now()
    _release(actor, allocation, reason, now)
    _refresh_status(order)
    audit_record(
        stream=STREAM,
        action="allocation_released",
        actor=actor,
        target=allocation,
        reason=reason,
        data={"order": order.number, "unit": allocation.unit_id, "din": allocation.unit.din},
    )
    return allocation


# --- shipments -------------------------------------------------------------------------------


def _shipment_locked(shipment: Shipment) -> Shipment:
    return (
        Shipment.objects.select_for_update()
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


# --- after shipping ---------------------------------------------------------------------------


def _item_locked(item: ShipmentItem) -> ShipmentItem:
    return (
        ShipmentItem.objects.select_for_update()
        .select_related("shipment__hospital", "unit__product", "allocation")
        .get(pk=item.pk)
    )


def _shipped_item(item: ShipmentItem) -> None:
    if item.shipment.status not in (Shipment.Status.SHIPPED, Shipment.Status.RECEIVED):
        raise _conflict(f"unit {item.unit.din} has not been shipped", "not_shipped", "item")
    if UnitReturn.objects.filter(item=item).exists():
        raise _conflict(f"unit {item.unit.din} was already returned", "returned", "item")


@transaction.atomic
def unit_return_record(
    *,
    actor: User | None,
    item: ShipmentItem,
    returned_at: datetime,
    container_validated: bool,
    lowest_c: Decimal | None,
    highest_c: Decimal | None,
    seal_intact: bool,
    note: str = "",
) -> UnitReturn:
    """A shipped unit comes back: reissued when the return policy allows, else discarded with
    the reasons; its charge is credited either way."""
    require_permission(actor, "distribution.record_return")
    item = _item_locked(item)
    _shipped_item(item)
    if item.hospital_disposition:
        raise _conflict(
            f"unit {item.unit.din} was reported {item.hospital_disposition}: it cannot be returned",
            "reported",
            "item",
        )
    if returned_at is None:
        raise _error("say when the unit came back", "required", "returned_at")
    if returned_at > timezone.now():
        raise _error(
            "the return is in the future: record it once the unit is back", "future_time", "returned_at"
        )
    try:
        decision = rules.return_decision(
            rules.ReturnFacts(
                product_class=item.unit.product.product_class,
                shipped_at=item.shipment.shipped_at or returned_at,  # a shipped item has its time
                returned_at=returned_at,
                container_validated=bool(container_validated),
                lowest_c=lowest_c,
                highest_c=highest_c,
                seal_intact=bool(seal_intact),
            )
        )
    except rules.DistributionError as error:
        raise _error(error.message, error.code, error.field) from None
    reasons_text = "; ".join(rules.RETURN_REASONS[code] for code in decision.reasons)
    # The units move when the return is recorded (back-dating a move needs its own permission);
    # ``returned_at`` is the fact the decision and the credit note go by.
    unit = inventory_services.unit_return(
        actor=actor,
        unit=item.unit,
        reason=f"returned from {item.shipment.hospital.name}",
    )
    if decision.reissue:
        unit = inventory_services.unit_make_available(actor=actor, unit=unit)
    else:
        unit = inventory_services.unit_dispose(
            actor=actor,
            unit=unit,
            disposition="discarded",
            reason=f"returned: {reasons_text}",
        )
    # The unit is out of this order: its allocation closes, so a reissued unit can be allocated again.
    item.allocation.released_at = returned_at
    item.allocation.released_reason = "returned"
    item.allocation.save(update_fields=["released_at", "released_reason"])
    charge = Charge.objects.filter(source_type="distribution.shipmentitem", source_id=str(item.pk)).first()
    credit_number = ""
    if charge is not None:
        try:
            credit = billing_services.charges_credit(
                actor=actor,
                charges=[charge],
                issued_on=_local_date(item.shipment.hospital, returned_at),
                reason=f"unit {item.unit.din} returned" + (f": {reasons_text}" if reasons_text else ""),
            )
        except BillingError as error:
            raise DistributionServiceError(error.message, code=error.code, field=error.field) from None
        credit_number = credit.number
    unit_return = UnitReturn.objects.create(
        item=item,
        returned_at=returned_at,
        container_validated=bool(container_validated),
        lowest_c=lowest_c,
        highest_c=highest_c,
        seal_intact=bool(seal_intact),
        reissue=decision.reissue,
        reasons=list(decision.reasons),
        note=(note or "").strip(),
        credit_note_number=credit_number,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="unit_returned",
        actor=actor,
        target=unit_return,
        occurred_at=returned_at,
        data={
            "shipment": item.shipment.number,
            "din": item.unit.din,
            "reissue": decision.reissue,
            "reasons": list(decision.reasons),
            "credit_note": credit_number,
        },
    )
    return unit_return


@transaction.atomic
def disposition_report(
    *,
    actor: User | None,
    item: ShipmentItem,
    disposition: str,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> ShipmentItem:
    """The hospital tells what became of a unit: transfused, or wasted (and why)."""
    _own_hospital_only(actor, item.shipment.hospital_id, "shipment item")
    require_permission(actor, "distribution.report_disposition")
    item = _item_locked(item)
    if disposition not in DISPOSITIONS:
        raise _error(f"report transfused or wasted, not {disposition!r}", "invalid_choice", "disposition")
    _shipped_item(item)
    if item.hospital_disposition:
        raise _conflict(
            f"unit {item.unit.din} was already reported {item.hospital_disposition}", "reported", "item"
        )
    now = occurred_at or timezone.now()
    # The hospital's report moves the unit as the system (actor None): hospital users hold no
    # components permission; what they may report was checked above.
    if disposition == "wasted":
        reason = _required(reason, "reason", "say why the unit was wasted")
        inventory_services.unit_dispose(
            actor=None,
            unit=item.unit,
            disposition="discarded",
            reason=f"hospital reported wasted: {reason}",
            occurred_at=now,
        )
    else:
        inventory_services.unit_dispose(actor=None, unit=item.unit, disposition="transfused", occurred_at=now)
    item.hospital_disposition = disposition
    item.hospital_disposition_reason = (reason or "").strip()
    item.reported_at = now
    item.save(update_fields=["hospital_disposition", "hospital_disposition_reason", "reported_at"])
    audit_record(
        stream=STREAM,
        action="disposition_reported",
        actor=actor,
        target=item,
        occurred_at=now,
        reason=item.hospital_disposition_reason,
        data={"shipment": item.shipment.number, "din": item.unit.din, "disposition": disposition},
    )
    return item
