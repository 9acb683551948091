"""The components API: a unit with its chain, collect and process, the label printed and
scanned back (a mismatch refused and kept), the gate, allocation and shipping, holds,
stock, storage with temperature files, and the catalogue (a bad file lists every line)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hemaops.components.models import Catalogue, LabelScan, Product, Unit
from hemaops.core import roles
from tests.components.conftest import local_catalogue_bytes, release

pytestmark = pytest.mark.django_db

API = "/api/v1/components"


def _post(client, path, payload=None):
    return client.post(f"{API}{path}", data=json.dumps(payload or {}), content_type="application/json")


def _red_cells(client, whole_blood) -> dict:
    answer = _post(client, f"/units/{whole_blood.pk}/process", {"products": ["A0002", "A0007", "A0012"]})
    assert answer.status_code == 201, answer.content
    return answer.json()[0]


def test_collect_and_read_a_unit_with_its_chain(client, components, catalogue, collected_donation):
    client.force_login(components["technologist"])
    answer = _post(
        client, f"/donations/{collected_donation.din.din}/units", {"product": "A0001", "volume_ml": 500}
    )
    assert answer.status_code == 201
    (unit,) = answer.json()
    assert (unit["product"], unit["status"], unit["din"]) == (
        "A0001",
        "quarantined",
        collected_donation.din.din,
    )
    detail = client.get(f"{API}/units/{unit['id']}").json()
    assert detail["donations"] == [collected_donation.din.din]
    assert {r["code"] for r in detail["gate_refusals"]} >= {"donation_not_released"}
    assert [e["action"] for e in detail["events"]] == ["manufactured"]


def test_collect_refuses_a_product_of_another_procedure_naming_the_field(
    client, components, catalogue, collected_donation
):
    client.force_login(components["technologist"])
    answer = _post(client, f"/donations/{collected_donation.din.din}/units", {"product": "A0014"})
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "product"
    assert not Unit.objects.exists()


def test_print_verify_available_allocate_ship(client, components, lab, whole_blood):
    client.force_login(components["technologist"])
    red = _red_cells(client, whole_blood)
    refused = _post(client, f"/units/{red['id']}/available")
    assert refused.status_code == 409
    release(lab, whole_blood.sources.get().donation)
    label = _post(client, f"/units/{red['id']}/label")
    assert label.status_code == 201
    body = label.json()
    assert len(body["barcodes"]) == 4
    assert len(body["digest"]) == 64
    verified = _post(
        client, f"/units/{red['id']}/label/verify", {"scans": [b["data"] for b in body["barcodes"]]}
    )
    assert verified.status_code == 201
    assert verified.json()["matched"]
    available = _post(client, f"/units/{red['id']}/available")
    assert available.status_code == 201
    assert available.json()["status"] == "available"
    assert client.get(f"{API}/stock").json()["total_available"] == 1
    pick = client.get(f"{API}/stock/pick?product=A0002&abo=O&rhd=pos&count=4").json()
    assert [u["id"] for u in pick] == [red["id"]]
    client.force_login(components["clerk"])
    assert (
        _post(client, f"/units/{red['id']}/allocate", {"reference": "ORDER-1"}).json()["status"]
        == "allocated"
    )
    shipped = _post(client, f"/units/{red['id']}/ship", {"consignee": "General Hospital"})
    assert shipped.status_code == 201
    assert shipped.json()["status"] == "shipped"
    returned = _post(client, f"/units/{red['id']}/return", {"reason": "not needed"})
    assert returned.status_code == 201
    assert returned.json()["status"] == "returned"
    events = [e["action"] for e in client.get(f"{API}/units/{red['id']}").json()["events"]]
    assert events[-4:] == ["made_available", "allocated", "shipped", "returned"]


def test_a_wrong_scan_is_refused_409_and_kept(client, components, lab, whole_blood):
    client.force_login(components["technologist"])
    red = _red_cells(client, whole_blood)
    release(lab, whole_blood.sources.get().donation)
    data = [b["data"] for b in _post(client, f"/units/{red['id']}/label").json()["barcodes"]]
    answer = _post(client, f"/units/{red['id']}/label/verify", {"scans": [*data[:3], "&>0000000000"]})
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("label_mismatch", "scans")
    assert LabelScan.objects.filter(unit_id=red["id"], matched=False).count() == 1
    assert not client.get(f"{API}/units/{red['id']}").json()["label_verified"]


def test_hold_lift_dispose_and_store(client, components, whole_blood, refrigerator):
    client.force_login(components["technologist"])
    stored = _post(client, f"/units/{whole_blood.pk}/store", {"location": refrigerator.pk})
    assert stored.status_code == 201
    assert stored.json()["location"] == refrigerator.pk
    hold = _post(client, f"/units/{whole_blood.pk}/holds", {"reason": "check"})
    assert hold.status_code == 201
    assert hold.json()["active"]
    lifted = _post(client, f"/holds/{hold.json()['id']}/lift", {"reason": "fine"})
    assert lifted.status_code == 201
    assert not lifted.json()["active"]
    no_reason = _post(client, f"/units/{whole_blood.pk}/dispose", {"disposition": "discarded"})
    assert (no_reason.status_code, no_reason.json()["error"]["field"]) == (400, "reason")
    done = _post(
        client, f"/units/{whole_blood.pk}/dispose", {"disposition": "discarded", "reason": "clotted"}
    )
    assert done.json()["status"] == "discarded"


def test_locations_products_and_a_bad_temperature_file(client, components, catalogue, refrigerator):
    client.force_login(components["technologist"])
    (location,) = client.get(f"{API}/locations").json()
    assert (location["name"], location["units_on_hand"]) == ("Refrigerator 1", 0)
    products = {p["code"]: p for p in client.get(f"{API}/products").json()}
    assert products["A0002"]["made_from"] == "A0001"
    bad = SimpleUploadedFile(
        "logger.csv", b"recorded_at,temperature_c\nnot a time,abc\n", content_type="text/csv"
    )
    answer = client.post(f"{API}/locations/{refrigerator.pk}/temperatures", {"file": bad})
    assert answer.status_code == 400
    assert answer.json()["error"]["errors"]


def test_a_bad_catalogue_lists_line_errors_and_saves_nothing(client, components, catalogue):
    client.force_login(components["administrator"])
    bad = local_catalogue_bytes().replace(
        b"A0002,Red blood cells in AS-1 from whole blood,red_cells", b"A0002,,nonsense"
    )
    answer = client.post(
        f"{API}/catalogue", {"file": SimpleUploadedFile("bad.csv", bad, content_type="text/csv")}
    )
    assert answer.status_code == 400
    errors = answer.json()["error"]["errors"]
    assert errors
    assert {e["line"] for e in errors} == {4}
    assert Catalogue.objects.count() == 1
    assert Product.objects.get(code="A0002").description == "Red blood cells in AS-1 from whole blood"


def test_a_hospital_user_is_refused(client, make_user, hospital, components, whole_blood):
    client.force_login(make_user(roles.HOSPITAL_USER, hospital_for_user=hospital))
    assert client.get(f"{API}/units/{whole_blood.pk}").status_code in {403, 404}
    assert _post(client, f"/units/{whole_blood.pk}/holds", {"reason": "x"}).status_code in {403, 404}
    assert client.get(f"{API}/stock").status_code == 403
    assert not whole_blood.holds.exists()
