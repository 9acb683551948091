"""A component technologist prints a red cell unit's ISBT 128 label and scans it back in a real
browser: the PDF downloads and its barcodes decode to the record, a scan of the wrong label is
refused and shown, the right scans verify it, and the unit passes the gate into stock.
Screenshots land in artifacts/screenshots/ for a human to look at."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import Page, expect

from hemaops.components import manufacturing_services
from hemaops.components.label_services import unit_label_content
from hemaops.components.labels import barcodes
from hemaops.components.models import LabelScan, Unit
from tests.components.conftest import (  # noqa: F401 - fixtures
    catalogue,
    collected_donation,
    components,
    donor,
    lab,
    panel,
    product,
    release,
    staff,
    whole_blood,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def red_cells(components, lab, whole_blood):  # noqa: F811
    red_cells, _plasma = manufacturing_services.unit_process(
        actor=components["technologist"], unit=whole_blood, products=[product("A0002"), product("A0007")]
    )
    release(lab, whole_blood.sources.get().donation, abo="A", rhd="neg")
    return red_cells


def _decoded(pdf: bytes) -> set[str]:
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    image = document[0].render(scale=600 / 72).to_pil()
    return {result.text for result in zxingcpp.read_barcodes(image)}


def _scan(page: Page, scans: list[str]) -> None:
    for label, data in zip(
        ["DIN bar code", "Blood group bar code", "Product code bar code", "Expiry bar code"],
        scans,
        strict=True,
    ):
        page.get_by_label(label).fill(data)
    page.get_by_role("button", name="Verify").click()


def test_a_technologist_prints_and_verifies_a_label_before_the_unit_enters_stock(
    components,  # noqa: F811
    red_cells,
    sign_in,
    screenshot,
):
    page = sign_in(components["technologist"].username)
    page.goto(f"/components/units/{red_cells.pk}/")
    expect(page.locator("main h1")).to_contain_text(red_cells.din)
    page.get_by_role("button", name="Print the label").click()

    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    red_cells.refresh_from_db()
    expected = [b.data for b in barcodes(unit_label_content(red_cells))]
    assert _decoded(pdf) == set(expected)
    assert "=%0600" in expected  # A RhD negative
    screenshot(page, "components-unit-label-printed")

    page.get_by_role("link", name="Scan it back (verify)").click()
    _scan(page, [expected[0], expected[1], "=<A0007V00", expected[3]])
    expect(page.locator("#mismatches")).to_contain_text("product code")
    screenshot(page, "components-label-scan-mismatch")
    assert LabelScan.objects.filter(unit=red_cells, matched=False).count() == 1

    _scan(page, expected)
    expect(page.locator("main")).to_contain_text("verified")
    red_cells.refresh_from_db()
    assert red_cells.label_verified_digest == red_cells.label_digest

    page.goto(f"/components/units/{red_cells.pk}/")
    page.get_by_role("button", name="Make available").click()
    expect(page.locator("main")).to_contain_text("available")
    screenshot(page, "components-unit-available")
    assert Unit.objects.get(pk=red_cells.pk).status == "available"
