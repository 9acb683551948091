"""Allocation: units for an order's lines, first expiry first out, with the ABO/RhD
substitution policy of ``distribution.rules``; releasing an allocation puts its unit back.

One order (the clerk's "Allocate") and the allocation run over every open order
(``orders_allocate``; the ``orders_allocate`` command after ``orders_from_standing``) share one
core: the lines of a batch of orders are planned together against one read of the shelf
(``_Shelf``, pages of units under row locks), every planned unit then moves through the
components' gate in one batch, the allocations are inserted in one statement and each order is
audited. Racing allocators skip each other's locked units and orders (SKIP LOCKED on
PostgreSQL); the partial unique index of ``Allocation`` (one open allocation per unit) is the
last guard. bench/allocation.py measures both ways in.
"""

from __future__ import annotations

import collections
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, Exists, OuterRef, Q, Value, When
from django.utils import timezone

from hemaops.components import inventory_services
from hemaops.components.errors import ComponentsError
from hemaops.components.models import Unit, UnitHold
from hemaops.components.rules.compatibility import Abo, BloodType
from hemaops.components.rules.lifecycle import Status as UnitStatus
from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record, audit_record_many
from hemaops.core.errors import PermissionDeniedError
from hemaops.core.models import User
from hemaops.distribution import rules
from hemaops.distribution.models import Allocation, Order, OrderLine, ShipmentItem
from hemaops.distribution.service_support import (
    STREAM,
    _conflict,
    _order_locked,
    _refresh_status,
    _required,
    statuses_refresh,
)
from hemaops.distribution.unit_facts import NO_FACTS, UnitFacts, units_facts


@dataclass
class AllocationResult:
    order: Order
    allocated: list[Allocation] = field(default_factory=list)
    short: dict[int, int] = field(default_factory=dict)  # order line pk → units still missing
    lines_wanting: int = 0  # lines that were missing units when the allocation began


@dataclass
class AllocationRun:
    """What an allocation run did."""

    orders: int = 0  # orders allocated (others were held by another allocator or had closed)
    lines: int = 0  # lines that were missing units
    units: int = 0  # units allocated
    short_lines: int = 0  # lines still missing units: the shelf had none to give
    batches: int = 0


log = logging.getLogger(__name__)

OPEN_STATUSES = (Order.Status.PLACED, Order.Status.PARTIALLY_ALLOCATED)
RUN_BATCH = 200  # orders per transaction of a run: a second or two of row locks; a failure loses one batch

# --- the shelf a batch plans against ------------------------------------------------------------

_ShelfKey = tuple[int, BloodType]  # product pk, donor blood type


class _ShelfUnit(NamedTuple):
    """What planning needs of a unit on the shelf: rows read as tuples, not models, since a
    run reads thousands and uses a fraction (half the cost of a page, bench/allocation.py)."""

    pk: int
    expires_at: datetime
    product_id: int


MIN_PAGE = 16


class _Shelf:
    """The available units of each product and blood type a batch looks at, first expiry
    first, read a page at a time under row locks and shared by every line of the batch.

    A page is read with SKIP LOCKED: a unit a racing allocator holds is not seen, never waited
    for (PostgreSQL; SQLite has one writer and ignores it). Pages follow each other by
    (expires_at, pk), so the shelf is read once however many lines want the same type."""

    def __init__(self, at: datetime, expected: Mapping[_ShelfKey, int]) -> None:
        self.at = at
        self._expected = expected
        self._units: dict[_ShelfKey, list[_ShelfUnit]] = {}
        self._head: dict[_ShelfKey, int] = {}  # index of the first unit not yet taken
        self._pages: dict[_ShelfKey, int] = {}
        self._exhausted: set[_ShelfKey] = set()
        self._taken: set[int] = set()
        self._facts: dict[int, UnitFacts] = {}

    def untaken(self, product_id: int, blood_type: BloodType) -> Iterator[_ShelfUnit]:
        """The units not yet taken, first expiry first, reading more pages as needed."""
        key = (product_id, blood_type)
        units = self._units.setdefault(key, [])
        index = self._head.get(key, 0)
        while index < len(units) and units[index].pk in self._taken:
            index += 1
        self._head[key] = index
        while True:
            if index == len(units) and not self._read_page(key):
                return
            unit = units[index]
            index += 1
            if unit.pk not in self._taken:
                yield unit

    def take(self, units: Iterable[_ShelfUnit]) -> None:
        self._taken.update(unit.pk for unit in units)

    def facts(self, units: Sequence[_ShelfUnit]) -> dict[int, UnitFacts]:
        """Attributes and antigen negatives of ``units``, read once per unit."""
        unknown = [unit for unit in units if unit.pk not in self._facts]
        self._facts.update(units_facts(unknown))
        return {unit.pk: self._facts.get(unit.pk, NO_FACTS) for unit in units}

    def read_first_pages(self) -> None:
        """The first page of every product and type the batch's lines ask for, in one query on
        PostgreSQL (a batch wants some fifty; one ORM page query costs a few milliseconds, most
        of it compiling). Other databases read every page as it is needed."""
        keys = [key for key in self._expected if key not in self._pages]
        if connection.vendor != "postgresql" or not keys:
            return
        sizes = [self._page_size(key) for key in keys]
        with connection.cursor() as cursor:
            cursor.execute(
                _FIRST_PAGES_SQL,
                [
                    [product_id for product_id, _ in keys],
                    [blood_type.abo.value for _, blood_type in keys],
                    [_rhd(blood_type) for _, blood_type in keys],
                    sizes,
                    UnitStatus.AVAILABLE.value,
                    self.at,
                ],
            )
            rows = cursor.fetchall()
        for key in keys:
            self._units[key] = []
        for index, *unit in rows:
            self._units[keys[index - 1]].append(_ShelfUnit(*unit))
        for key, size in zip(keys, sizes, strict=True):
            self._pages[key] = 1
            if len(self._units[key]) < size:
                self._exhausted.add(key)

    def _page_size(self, key: _ShelfKey) -> int:
        # The first page is what the batch's lines asking for exactly this type want; later
        # pages double (substitutes, attribute lines skipping units that lack the attribute).
        return max(self._expected.get(key, 0) + MIN_PAGE, MIN_PAGE) << self._pages.get(key, 0)

    def _read_page(self, key: _ShelfKey) -> bool:
        if key in self._exhausted:
            return False
        product_id, blood_type = key
        size = self._page_size(key)
        query = Unit.objects.filter(
            product_id=product_id,
            status=UnitStatus.AVAILABLE.value,
            abo=blood_type.abo.value,
            rhd=_rhd(blood_type),
            expires_at__gt=self.at,
        ).filter(~Exists(UnitHold.objects.filter(unit=OuterRef("pk"), lifted_at__isnull=True)))
        units = self._units.setdefault(key, [])
        if units:
            # After the last unit read: a range on expires_at the index serves (an OR of
            # "later, or as late with a higher pk" made PostgreSQL scan), less the few units
            # already read that expire at that very moment.
            last = units[-1].expires_at
            query = query.filter(expires_at__gte=last).exclude(
                pk__in=[unit.pk for unit in units if unit.expires_at == last]
            )
        page = [
            _ShelfUnit(*row)
            for row in query.order_by("expires_at", "pk")
            .values_list("pk", "expires_at", "product_id")
            .select_for_update(skip_locked=True)[:size]
        ]
        self._pages[key] = self._pages.get(key, 0) + 1
        if len(page) < size:
            self._exhausted.add(key)
        units.extend(page)
        return bool(page)


# ``_Shelf._read_page`` for many keys at once: for each (product, ABO, RhD, page size) the
# first units of that type, under the same conditions and order, locked as read. Raw SQL
# because the ORM cannot put a locking, limited query in a LATERAL join; a test holds the two
# to the same answer (tests/distribution/test_allocation_shelf.py).
_FIRST_PAGES_SQL = f"""
SELECT k.n, u.id, u.expires_at, u.product_id
  FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::int[])
       WITH ORDINALITY AS k (product_id, abo, rhd, size, n)
 CROSS JOIN LATERAL (
       SELECT unit.id, unit.expires_at, unit.product_id
         FROM {Unit._meta.db_table} unit
        WHERE unit.product_id = k.product_id AND unit.abo = k.abo AND unit.rhd = k.rhd
          AND unit.status = %s AND unit.expires_at > %s
          AND NOT EXISTS (SELECT 1 FROM {UnitHold._meta.db_table} hold
                           WHERE hold.unit_id = unit.id AND hold.lifted_at IS NULL)
        ORDER BY unit.expires_at, unit.id
        LIMIT k.size
          FOR UPDATE OF unit SKIP LOCKED) u
 ORDER BY k.n, u.expires_at, u.id
"""  # noqa: S608 - table names from the models' metadata; every value is a parameter


def _rhd(blood_type: BloodType) -> str:
    return "pos" if blood_type.rhd_positive else "neg"


def _blood_type(abo: str, rhd: str) -> BloodType:
    return BloodType(Abo(abo), rhd == "pos")


def _expected_demand(needs: Sequence[tuple[Order, OrderLine, int]]) -> dict[_ShelfKey, int]:
    demand: dict[_ShelfKey, int] = {}
    for _, line, missing in needs:
        key = (line.product_id, _blood_type(line.abo, line.rhd))
        demand[key] = demand.get(key, 0) + missing
    return demand


def _plan_line(shelf: _Shelf, line: OrderLine, missing: int) -> list[_ShelfUnit]:
    """Up to ``missing`` units for ``line`` from ``shelf``, as ``rules.pick`` orders them:
    substitution groups best first, a worse group only when the better ones ran out, first
    expiry first inside a group, only units with every attribute the line asks for."""
    component = rules.COMPONENT_OF_CLASS[line.product.product_class]
    wanted = _blood_type(line.abo, line.rhd)
    attributes, antigens = frozenset(line.attributes), frozenset(line.antigens_negative)
    demanding = bool(attributes or antigens)
    # A plain line takes the first units of a group; a line with attributes looks further.
    window = missing * 4 + MIN_PAGE if demanding else missing
    chosen: list[_ShelfUnit] = []
    for blood_type in rules.substitutes(
        component, wanted, allow_rh_positive_for_negative=line.allow_rh_positive
    ):
        shelf_units = shelf.untaken(line.product_id, blood_type)
        while len(chosen) < missing:
            units = list(itertools.islice(shelf_units, window))
            if not units:
                break
            facts = shelf.facts(units) if demanding else {}
            by_id = {unit.pk: unit for unit in units}
            picked = rules.pick(
                rules.Line(component, wanted, missing - len(chosen), attributes, antigens),
                [
                    rules.Candidate(
                        unit_id=unit.pk,
                        blood_type=blood_type,
                        expires_at=unit.expires_at,
                        attributes=facts.get(unit.pk, NO_FACTS).attributes,
                        antigens_negative=facts.get(unit.pk, NO_FACTS).antigens_negative,
                    )
                    for unit in units
                ],
                shelf.at,
                allow_rh_positive_for_negative=line.allow_rh_positive,
            )
            chosen.extend(by_id[candidate.unit_id] for candidate in picked)
            if len(units) < window:
                break  # this group has nothing more to offer
        if len(chosen) >= missing:
            break
    shelf.take(chosen)
    return chosen


# --- one batch of orders ------------------------------------------------------------------------


def _missing_units(orders: Sequence[Order]) -> list[tuple[Order, OrderLine, int]]:
    """(order, line, units it still misses) for every line of ``orders`` that misses some,
    the orders in the given order and their lines in the order placed: one query."""
    lines: dict[int, list[tuple[OrderLine, int]]] = {order.pk: [] for order in orders}
    for line, allocated in (
        (line, line.open_count)  # the annotation below
        for line in OrderLine.objects.filter(order__in=[order.pk for order in orders])
        .select_related("product")
        .annotate(open_count=Count("allocations", filter=Q(allocations__released_at__isnull=True)))
        .order_by("pk")
    ):
        lines[line.order_id].append((line, allocated))
    return [
        (order, line, line.quantity - allocated)
        for order in orders
        for line, allocated in lines[order.pk]
        if line.quantity > allocated
    ]


def _allocations_made(
    actor: User | None, planned: Sequence[tuple[Order, OrderLine, list[_ShelfUnit]]], at: datetime
) -> list[Allocation]:
    """The planned units through the components' gate in one batch and into allocations, in a
    savepoint; when the batch is refused as a whole (a hold placed meanwhile, a unit a racing
    worker took), unit by unit, skipping the refused ones."""
    references = {unit.pk: order.number for order, _, chosen in planned for unit in chosen}
    if not references:
        return []
    try:
        with transaction.atomic():
            inventory_services.units_allocate(
                actor=actor, unit_ids=list(references), reference=references, occurred_at=at
            )
            return Allocation.objects.bulk_create(  # in the picking order (first expiry first)
                Allocation(line=line, unit_id=unit.pk, allocated_at=at, allocated_by=actor)
                for _, line, chosen in planned
                for unit in chosen
            )
    except IntegrityError:
        pass
    except ComponentsError as error:
        if isinstance(error, PermissionDeniedError):
            raise
    return [
        allocation
        for order, line, chosen in planned
        for unit in chosen
        if (allocation := _allocate_unit(actor, order, line, Unit(pk=unit.pk), at)) is not None
    ]


def _allocate_batch(actor: User | None, orders: Sequence[Order], at: datetime) -> list[AllocationResult]:
    """Allocate every missing unit of ``orders`` (locked by the caller, in priority order):
    lines planned together against one shelf, units moved in one batch, each order audited."""
    needs = _missing_units(orders)
    shelf = _Shelf(at, _expected_demand(needs))
    shelf.read_first_pages()
    planned = [(order, line, _plan_line(shelf, line, missing)) for order, line, missing in needs]
    results = {order.pk: AllocationResult(order=order) for order in orders}
    for allocation in _allocations_made(actor, planned, at):
        results[allocation.line.order_id].allocated.append(allocation)
    got = collections.Counter(a.line_id for result in results.values() for a in result.allocated)
    for order, line, missing in needs:
        results[order.pk].lines_wanting += 1
        if got[line.pk] < missing:
            results[order.pk].short[line.pk] = missing - got[line.pk]
    statuses_refresh(orders)
    audit_record_many(
        stream=STREAM,
        actor=actor,
        events=[
            PendingEvent(
                "order_allocated",
                order,
                {
                    "number": order.number,
                    "allocated": [
                        {"line": a.line_id, "unit": a.unit_id} for a in results[order.pk].allocated
                    ],
                    "short": {str(k): v for k, v in results[order.pk].short.items()},
                    "status": order.status,
                },
                "",
                at,
            )
            for order in orders
        ],
    )
    return [results[order.pk] for order in orders]


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


# --- the two ways in ----------------------------------------------------------------------------


@transaction.atomic
def order_allocate(*, actor: User | None, order: Order, at: datetime | None = None) -> AllocationResult:
    """Allocate what ``order`` still misses (the clerk's "Allocate"); short lines stay open."""
    require_permission(actor, "distribution.allocate_order")
    order = _order_locked(order)
    if order.status in (Order.Status.SHIPPED, Order.Status.CANCELLED):
        raise _conflict(f"{order.number} is {order.status}: nothing to allocate", "not_open", "order")
    [result] = _allocate_batch(actor, [order], at or timezone.now())
    return result


def orders_allocate(
    *,
    actor: User | None,
    batch_size: int = RUN_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> AllocationRun:
    """The allocation run: every open order, STAT first, then by when it is needed and when it
    was placed, so the first-expiring units go to the most urgent. Batches of ``batch_size``
    orders, each one transaction (a failure loses one batch, never half of one); an order
    another allocator holds is skipped, not waited for. ``progress(done, total)`` after each."""
    require_permission(actor, "distribution.allocate_order")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    queue = list(
        Order.objects.filter(status__in=OPEN_STATUSES)
        .annotate(urgency=Case(When(priority=Order.Priority.STAT, then=Value(0)), default=Value(1)))
        .order_by("urgency", "needed_by", "placed_at", "pk")
        .values_list("pk", flat=True)
    )
    run = AllocationRun()
    for start in range(0, len(queue), batch_size):
        _run_batch(actor, queue[start : start + batch_size], run)
        if progress is not None:
            progress(min(start + batch_size, len(queue)), len(queue))
    return run


@transaction.atomic
def _run_batch(actor: User | None, order_pks: Sequence[int], run: AllocationRun) -> None:
    rank = {pk: index for index, pk in enumerate(order_pks)}
    orders = sorted(
        Order.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("hospital", "contract")
        .filter(pk__in=order_pks, status__in=OPEN_STATUSES),
        key=lambda order: rank[order.pk],
    )
    if not orders:
        return
    results = _allocate_batch(actor, orders, timezone.now())
    run.batches += 1
    run.orders += len(orders)
    run.lines += sum(result.lines_wanting for result in results)
    run.units += sum(len(result.allocated) for result in results)
    run.short_lines += sum(1 for result in results for missing in result.short.values() if missing)


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
