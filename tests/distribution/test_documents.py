"""The shipment's documents: the packing list PDF (its text read back with pdfium) and the
electronic manifest with its digest."""

from __future__ import annotations

import json

import pypdfium2 as pdfium
import pytest

from hemaops.distribution.manifest import manifest_digest, shipment_manifest
from hemaops.distribution.packing_pdf import packing_list_pdf
from tests.distribution.test_services import shipped_order

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_packing_list_and_manifest(contract, people, hospital, stock):
    order, shipment, units = shipped_order(people, hospital, stock)
    text = pdf_text(packing_list_pdf(shipment))
    for expected in (
        shipment.number,
        order.number,
        hospital.name,
        "Container 1",
        "1.0 to 10.0 °C",
        "Packed by",
    ):
        assert expected in text
    for unit in units:
        assert unit.din in text
        assert unit.product_code in text
    assert "Received by" in text

    manifest = shipment_manifest(shipment)
    assert json.loads(json.dumps(manifest)) == manifest
    assert (manifest["shipment"], manifest["order"], manifest["hospital"]) == (
        shipment.number,
        order.number,
        "cedars",
    )
    (box,) = manifest["containers"]
    assert (box["minimum_c"], box["maximum_c"], box["product_classes"]) == ("1.0", "10.0", ["red_cells"])
    assert sorted(u["din"] for u in box["units"]) == sorted(u.din for u in units)
    assert box["units"][0]["abo"] == "O"
    assert box["units"][0]["rhd"] == "pos"
    digest = manifest_digest(manifest)
    assert len(digest) == 64
    assert digest == manifest_digest(json.loads(json.dumps(manifest)))
    box["units"][0]["din"] = "X"
    assert manifest_digest(manifest) != digest
