"""Services of distribution (issue 8): orders (portal, staff, FHIR, standing), allocation,
shipping with a scan-verified pick list, receipt, returns and what hospitals report.

Every function is one transaction, permission-checked, audited on the ``distribution`` stream.
Units move only through the components' inventory services (the gate is theirs); charges and
revenue only through billing's services. The decisions are the pure rules'
(``distribution.rules``: substitution, FEFO picking, containers, returns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from hemaops.core.models import Hospital, User
from hemaops.distribution.models import (
    Allocation,
    Order,
    Shipment,
    ShipmentItem,
    StandingOrder,
    UnitReturn,
)

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
) -> Order:
    raise NotImplementedError


def order_cancel(*, actor: User | None, order: Order, reason: str) -> Order:
    raise NotImplementedError


def standing_order_create(
    *,
    actor: User | None,
    hospital: Hospital,
    name: str,
    weekdays: Sequence[int],
    lines: Sequence[LineInput],
    delivery: bool = True,
) -> StandingOrder:
    raise NotImplementedError


def orders_from_standing(*, actor: User | None, on: date) -> list[Order]:
    raise NotImplementedError


def order_allocate(*, actor: User | None, order: Order, at: datetime | None = None) -> AllocationResult:
    raise NotImplementedError


def allocation_release(*, actor: User | None, allocation: Allocation, reason: str) -> Allocation:
    raise NotImplementedError


def shipment_create(*, actor: User | None, order: Order) -> Shipment:
    raise NotImplementedError


def shipment_scan(*, actor: User | None, shipment: Shipment, scans: Sequence[str]) -> ShipmentItem:
    raise NotImplementedError


def shipment_ship(*, actor: User | None, shipment: Shipment, occurred_at: datetime | None = None) -> Shipment:
    raise NotImplementedError


def shipment_receive(
    *, actor: User | None, shipment: Shipment, note: str = "", occurred_at: datetime | None = None
) -> Shipment:
    raise NotImplementedError


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
    raise NotImplementedError


def disposition_report(
    *,
    actor: User | None,
    item: ShipmentItem,
    disposition: str,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> ShipmentItem:
    raise NotImplementedError
