"""Reads of the distribution context for pages, the API and the hospital portal. Every list
starts from the access module's visible querysets, so a hospital user only ever reads its own
hospital's rows (DESIGN.md invariant 6); details come with their relations loaded."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case, Count, IntegerField, Prefetch, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from hemaops.core.models import Hospital, User
from hemaops.distribution.access import orders_visible, shipments_visible, standing_orders_visible
from hemaops.distribution.models import Allocation, Order, OrderLine, Shipment, ShipmentItem, StandingOrder

#: The fates a hospital report counts, in the order the table and chart show them.
FATES = ("transfused", "wasted", "returned", "not_reported")


def order_list(user: User, status: str | None = None) -> QuerySet[Order]:
    """The orders ``user`` may see; with a status, the fill worklist order (STAT first, then
    the earliest needed) since that is what a clerk works through."""
    orders = orders_visible(user).select_related("hospital")
    if status:
        stat_first = Case(
            When(priority=Order.Priority.STAT, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return orders.filter(status=status).order_by(stat_first, "needed_by", "pk")
    return orders


def order_detail(order: Order) -> Order:
    """The order with its lines, each line's allocations (open first) with their units and
    shipped items, and its shipments: no query per row."""
    allocations = Allocation.objects.select_related("unit", "unit__product").order_by("released_at", "pk")
    lines = OrderLine.objects.select_related("product").prefetch_related(
        Prefetch("allocations", queryset=allocations)
    )
    return (
        Order.objects.select_related("hospital", "contract", "placed_by")
        .prefetch_related(Prefetch("lines", queryset=lines), "shipments")
        .get(pk=order.pk)
    )


def shipment_list(user: User, status: str | None = None) -> QuerySet[Shipment]:
    shipments = (
        shipments_visible(user).select_related("hospital", "order").annotate(item_count=Count("items"))
    )
    return shipments.filter(status=status) if status else shipments


def shipment_detail(shipment: Shipment) -> Shipment:
    """The shipment with its items (unit, product, container, return) and containers."""
    items = ShipmentItem.objects.select_related("unit", "unit__product", "container", "unit_return").order_by(
        "pk"
    )
    return (
        Shipment.objects.select_related("hospital", "order", "created_by", "shipped_by", "received_by")
        .prefetch_related(Prefetch("items", queryset=items), "containers")
        .get(pk=shipment.pk)
    )


def standing_order_list(user: User) -> QuerySet[StandingOrder]:
    return standing_orders_visible(user).select_related("hospital").prefetch_related("lines__product")


@dataclass
class ReportRow:
    month: date
    product_class: str
    received: int
    fates: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> list[int]:
        return [self.fates.get(fate, 0) for fate in FATES]


@dataclass
class HospitalReport:
    hospital: Hospital
    months: int
    since: date
    rows: list[ReportRow]

    def totals_by_fate(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for row in self.rows:
            for fate in FATES:
                totals[fate] += row.fates.get(fate, 0)
        return dict(totals)


def hospital_report(hospital: Hospital, months: int = 12) -> HospitalReport:
    """Units shipped to ``hospital`` and received by it, by month of receipt and product
    class, with what became of them: a return wins over what was reported (the unit came
    back), then the hospital's reported disposition, else not reported. One SQL aggregate."""
    today = timezone.localdate()
    first = today.replace(day=1)
    year, month = first.year, first.month - (months - 1)
    while month < 1:
        month += 12
        year -= 1
    since = date(year, month, 1)
    fate = Case(
        When(unit_return__isnull=False, then=Value("returned")),
        When(hospital_disposition="transfused", then=Value("transfused")),
        When(hospital_disposition="wasted", then=Value("wasted")),
        default=Value("not_reported"),
    )
    grouped = (
        ShipmentItem.objects.filter(
            shipment__hospital=hospital,
            shipment__received_at__isnull=False,
            shipment__received_at__date__gte=since,
        )
        .annotate(month=TruncMonth("shipment__received_at"), fate=fate)
        .values("month", "unit__product__product_class", "fate")
        .annotate(count=Count("pk"))
        .order_by("month", "unit__product__product_class", "fate")
    )
    rows: dict[tuple[date, str], ReportRow] = {}
    for entry in grouped:
        month_start = entry["month"]
        month_start = month_start.date() if hasattr(month_start, "date") else month_start
        key = (month_start, entry["unit__product__product_class"])
        row = rows.setdefault(key, ReportRow(month=key[0], product_class=key[1], received=0))
        row.fates[entry["fate"]] = row.fates.get(entry["fate"], 0) + entry["count"]
        row.received += entry["count"]
    return HospitalReport(hospital=hospital, months=months, since=since, rows=[rows[k] for k in sorted(rows)])
