"""The billing and distribution demos: loaded after the other contexts' demos as the ``demo``
command loads them, they leave contracts, orders, shipments, invoices and a receipt — and a
second load adds nothing."""

from __future__ import annotations

import pytest

from hemaops.billing.models import Charge, Contract, Invoice, PriceEntry, Receipt, ReceiptApplication
from hemaops.billing.rules import SURCHARGE_DELIVERY, SURCHARGE_IRRADIATION, SURCHARGE_STAT
from hemaops.cli import DEMO_TIME_ZONE
from hemaops.components.models import Product, UnitEvent
from hemaops.core.demo import DemoLogins, demo_loaders
from hemaops.distribution.models import (
    Allocation,
    Order,
    OrderLine,
    Shipment,
    ShipmentItem,
    StandingOrder,
    UnitReturn,
)
from hemaops.finance.models import JournalEntry

COUNTED = (
    Contract,
    PriceEntry,
    StandingOrder,
    Order,
    OrderLine,
    Allocation,
    Shipment,
    ShipmentItem,
    UnitReturn,
    Charge,
    Invoice,
    Receipt,
    ReceiptApplication,
    JournalEntry,
)


def _load_demos() -> None:
    """Every context's demo, in INSTALLED_APPS order (the ``demo`` command's loop)."""
    for _, load in demo_loaders():
        load(DemoLogins())


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def demo(db, settings) -> dict[str, int]:
    settings.TIME_ZONE = DEMO_TIME_ZONE  # as `hemaops demo` runs
    _load_demos()
    return _counts()


def test_the_demo_prices_orders_ships_invoices_and_a_second_load_adds_nothing(demo):
    # One test: loading every context's demo takes about a minute, so it is loaded once here.
    _prices_every_billable_item_for_each_hospital()
    _orders_ships_invoices_and_records_a_receipt()
    _load_demos()
    assert _counts() == demo


def _prices_every_billable_item_for_each_hospital() -> None:
    contracts = {c.hospital.code: c for c in Contract.objects.select_related("hospital")}
    assert set(contracts) == {"cedars", "mercy"}
    assert {c.invoicing for c in contracts.values()} == {"monthly", "per_shipment"}
    wanted = set(Product.objects.values_list("billable_item_code", flat=True))
    wanted |= {SURCHARGE_STAT, SURCHARGE_DELIVERY, SURCHARGE_IRRADIATION}
    for contract in contracts.values():
        assert set(contract.prices.values_list("item_code", flat=True)) >= wanted
        assert contract.prices.filter(item_code="RBC", donor_classification="paid").exists()
    # The price change: the old leukocyte-reduced price closed where the new one starts.
    changed = (
        contracts["cedars"]
        .prices.filter(item_code="RBC-LR", donor_classification="")
        .order_by("effective_from")
    )
    assert changed.count() == 2
    assert changed[0].effective_to == changed[1].effective_from
    assert changed[1].effective_from.day == 1


def _orders_ships_invoices_and_records_a_receipt() -> None:
    assert StandingOrder.objects.filter(hospital__code="cedars").exists()
    orders = Order.objects.all()
    assert set(orders.values_list("hospital__code", flat=True)) == {"cedars", "mercy"}
    assert orders.filter(priority=Order.Priority.STAT).exists()
    assert OrderLine.objects.exclude(attributes=[]).exists()
    assert Allocation.objects.exists()
    shipped = Shipment.objects.exclude(status=Shipment.Status.PACKING)
    assert shipped.count() >= 2
    assert Shipment.objects.filter(status=Shipment.Status.RECEIVED).count() == 1
    # Every shipped unit was scanned at packing and left the shelf (or came back from it).
    items = ShipmentItem.objects.filter(shipment__in=shipped)
    assert not items.filter(scanned_at__isnull=True).exists()
    assert ShipmentItem.objects.filter(hospital_disposition="transfused").count() == 1
    returned = UnitReturn.objects.get()
    assert returned.reissue
    # Back on the shelf after the return; a later demo order may have taken it again (first
    # expiry, first out), so its history says so, not its status now.
    moves = list(
        UnitEvent.objects.filter(unit_id=returned.item.unit_id)
        .order_by("occurred_at", "pk")
        .values_list("from_status", "to_status")
    )
    assert ("shipped", "returned") in moves
    assert moves[moves.index(("shipped", "returned")) + 1] == ("returned", "available")
    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE)
    assert set(invoices.values_list("hospital__code", flat=True)) == {"cedars", "mercy"}
    receipt = Receipt.objects.get()
    assert receipt.hospital.code == "mercy"
    application = receipt.applications.get()
    assert application.amount == application.invoice.total == receipt.amount
