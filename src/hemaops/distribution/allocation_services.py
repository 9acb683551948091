"""Allocation: units picked first-expiry-first by the substitution rules and moved through the
components' gate onto an order's lines; releasing an allocation puts its unit back in stock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from hemaops.components import inventory_services
from hemaops.components.errors import ComponentsError
from hemaops.components.models import Unit, UnitHold
from hemaops.components.rules.compatibility import Abo, BloodType
from hemaops.components.rules.lifecycle import Status as UnitStatus
from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.errors import PermissionDeniedError
from hemaops.core.models import User
from hemaops.distribution import rules
from hemaops.distribution.models import Allocation, Order, OrderLine, ShipmentItem
from hemaops.distribution.service_support import STREAM, _conflict, _order_locked, _refresh_status, _required
from hemaops.distribution.unit_facts import NO_FACTS, units_facts


@dataclass
class AllocationResult:
    order: Order
    allocated: list[Allocation] = field(default_factory=list)
    short: dict[int, int] = field(default_factory=dict)  # order line pk → units still missing


log = logging.getLogger(__name__)


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
