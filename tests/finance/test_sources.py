from __future__ import annotations

import pytest

from hemaops.finance.sources import SourceDocument, source_link, source_type_register


def test_a_registered_source_type_is_shown_with_its_label_and_link():
    source_type_register(
        "tests.shipment", "Shipment", lambda source_id: f"/distribution/shipments/{source_id}/"
    )
    assert source_link("tests.shipment", "17") == ("Shipment 17", "/distribution/shipments/17/")


def test_an_unregistered_source_type_is_shown_raw_without_a_link():
    assert source_link("tests.unknown", "3") == ("tests.unknown 3", None)


@pytest.mark.parametrize(
    ("type_name", "source_id", "kind"), [("", "1", "revenue"), ("t", "", "revenue"), ("t", "1", "")]
)
def test_a_source_document_needs_type_id_and_kind(type_name, source_id, kind):
    with pytest.raises(ValueError, match="needs a type, an id and a kind"):
        SourceDocument(type_name, source_id, kind)
