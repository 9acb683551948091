"""A hospital user places an order through the portal and a distribution clerk fills it in a
real browser: allocation, a shipment whose pick list refuses a unit that is not in it, the
right units scanned, shipped, the packing list downloaded — and the units, the order and the
hospital's charges change in the database. Screenshots land in artifacts/screenshots/ for a
human to look at."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdfium2
import pytest
from playwright.sync_api import Page, expect

from hemaops.billing.models import Charge
from hemaops.components.models import Unit
from hemaops.distribution.models import Order, Shipment
from tests.distribution.conftest import (  # noqa: F401 - fixtures
    PRICES,
    catalogue,
    components,
    contract,
    lab,
    label_scans,
    ledger,
    panel,
    people,
    staff,
    stock,
)

pytestmark = pytest.mark.browser


def _pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def _scan(page: Page, unit: Unit) -> None:
    # A scanner types each bar code it reads followed by a newline: one bar code a line.
    page.get_by_label("Scanned bar codes").fill("\n".join(label_scans(unit)))
    page.get_by_role("button", name="Check the unit").click()


def test_a_hospital_user_orders_and_a_clerk_ships_the_scanned_units(
    contract,  # noqa: F811
    people,  # noqa: F811
    stock,  # noqa: F811
    sign_in,
    screenshot,
):
    ordered = stock("A0002", abo="O", rhd="pos", count=2)
    # Another group, so allocation to the O line can never take it: it is the wrong unit on the bench.
    (stray,) = stock("A0002", abo="A", rhd="pos")

    page = sign_in(people["hospital_user"].username)
    page.goto("/distribution/orders/new/")
    expect(page.locator("main h1")).to_have_text("Place an order")
    line = page.locator("#line-0")
    line.get_by_label("Product").select_option("A0002")
    line.get_by_label("ABO").select_option("O")
    line.get_by_label("RhD").select_option("pos")
    line.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Place the order").click()

    # The click returns before the server answers: wait for the order's page, then read the database.
    expect(page.locator("main h1")).to_contain_text("Order ORD-")
    order = Order.objects.get(hospital=contract.hospital)
    expect(page).to_have_url(f"/distribution/orders/{order.pk}/")
    expect(page.locator("main h1")).to_have_text(f"Order {order.number}")
    expect(page.locator(".messages")).to_contain_text(f"Order {order.number} placed.")
    expect(page.locator("#lines")).to_contain_text("A0002")
    assert order.status == Order.Status.PLACED
    assert order.channel == Order.Channel.PORTAL
    assert [(x.product.code, x.abo, x.rhd, x.quantity) for x in order.lines.all()] == [
        ("A0002", "O", "pos", 2)
    ]
    screenshot(page, "distribution-order-placed")

    # The clerk signs in on the same browser context: drop the hospital user's session first.
    page.context.clear_cookies()
    sign_in(people["clerk"].username)
    page.goto(f"/distribution/orders/{order.pk}/")
    page.get_by_role("button", name="Allocate").click()
    expect(page.locator(".messages")).to_contain_text("Allocated 2 unit(s).")
    for unit in ordered:
        expect(page.locator("#lines")).to_contain_text(unit.din)
    page.get_by_role("button", name="Create shipment").click()

    expect(page.locator("main h1")).to_contain_text("Shipment SHP-")
    shipment = Shipment.objects.get(order=order)
    expect(page).to_have_url(f"/distribution/shipments/{shipment.pk}/")
    expect(page.locator("main h1")).to_have_text(f"Shipment {shipment.number}")
    assert {item.unit_id for item in shipment.items.all()} == {unit.pk for unit in ordered}
    expect(page.locator("#items h2")).to_contain_text("0 of 2 scanned")

    _scan(page, stray)
    expect(page.locator("#scan .error")).to_contain_text(
        f"Unit {stray.din} ({stray.product_code}) is not in {shipment.number}: put it back"
    )
    expect(page.locator("#items h2")).to_contain_text("0 of 2 scanned")
    screenshot(page, "distribution-wrong-unit-refused")
    assert not shipment.items.filter(scanned_at__isnull=False).exists()

    # A scan redraws the pick list in place (htmx): the page is not reloaded, so the marker set
    # on it survives, and the scanner's field keeps the focus for the next label.
    page.evaluate("window.sameDocument = true")
    for count, unit in enumerate(ordered, start=1):
        _scan(page, unit)
        expect(page.locator("#last-scan")).to_have_text(f"Scanned {unit.din} {unit.product_code}.")
        expect(page.locator("#items h2")).to_contain_text(f"{count} of 2 scanned")
        expect(page.get_by_label("Scanned bar codes")).to_be_focused()
        expect(page.get_by_label("Scanned bar codes")).to_have_value("")
    assert page.evaluate("window.sameDocument") is True
    screenshot(page, "distribution-units-scanned")
    page.get_by_role("button", name="Ship", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"Shipment {shipment.number} shipped.")
    expect(page.locator("#shipment-status")).to_have_text("Shipped")
    expect(page.locator("#scan")).to_have_count(0)
    screenshot(page, "distribution-shipment-shipped")

    with page.expect_download() as download:
        page.get_by_role("link", name="Packing list (PDF)").click()
    assert download.value.suggested_filename == f"{shipment.number}-packing-list.pdf"
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    for unit in ordered:
        assert unit.din in text
    assert stray.din not in text

    assert {u.pk: u.status for u in Unit.objects.filter(pk__in=[u.pk for u in [*ordered, stray]])} == {
        ordered[0].pk: "shipped",
        ordered[1].pk: "shipped",
        stray.pk: "available",
    }
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.SHIPPED
    charges = Charge.objects.filter(contract=contract, group_key=shipment.number)
    item_code = ordered[0].product.billable_item_code
    assert sorted((c.item_code, c.quantity, c.amount) for c in charges) == [
        (item_code, 1, Decimal(PRICES[item_code])),
        (item_code, 1, Decimal(PRICES[item_code])),
    ]
    assert {c.source_id for c in charges} == {str(item.pk) for item in shipment.items.all()}
