"""The distribution API: place (a hospital user's own hospital, staff naming one), list and read
scoped to the hospital, allocate, cancel, ship with a scan-verified pick list, receive, the
manifest, returns and dispositions, standing orders — and one test per error shape."""

from __future__ import annotations

import json

import pytest

from hemaops.distribution import services
from hemaops.distribution.models import Order, Shipment, ShipmentItem, StandingOrder
from tests.distribution.conftest import label_scans

pytestmark = pytest.mark.django_db

API = "/api/v1/distribution"
LINE = {"product": "A0002", "abo": "O", "rhd": "pos", "quantity": 1}


def _post(client, path, payload=None):
    return client.post(f"{API}{path}", data=json.dumps(payload or {}), content_type="application/json")


def test_a_hospital_user_places_an_order_for_its_own_hospital(login, people, contract, hospital):
    client = login(people["hospital_user"])
    answer = _post(client, "/orders", {"priority": "stat", "lines": [{**LINE, "antigens_negative": ["K"]}]})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["hospital"], body["priority"], body["status"], body["channel"]) == (
        hospital.code,
        "stat",
        "placed",
        "portal",
    )
    assert body["lines"][0]["antigens_negative"] == ["K"]
    assert [order["id"] for order in client.get(f"{API}/orders").json()] == [body["id"]]
    assert client.get(f"{API}/orders/{body['id']}").json()["number"] == body["number"]


def test_staff_place_an_order_naming_the_hospital(login, people, contract, other_contract, other_hospital):
    client = login(people["clerk"])
    answer = _post(client, "/orders", {"hospital": other_hospital.code, "lines": [LINE]})
    assert answer.status_code == 201, answer.content
    assert Order.objects.get().hospital == other_hospital
    missing = _post(client, "/orders", {"lines": [LINE]})
    assert missing.status_code == 400
    assert missing.json()["error"]["field"] == "hospital"


def test_a_zero_quantity_is_refused_naming_the_line_field(login, people, contract):
    answer = _post(login(people["hospital_user"]), "/orders", {"lines": [{**LINE, "quantity": 0}]})
    assert answer.status_code in (400, 422)
    field = answer.json()["error"]["field"]
    assert field in ("lines.0.quantity", "lines[0].quantity")
    assert not Order.objects.exists()


def test_a_malformed_body_names_the_field(login, people, contract):
    answer = _post(login(people["hospital_user"]), "/orders", {"lines": [{**LINE, "quantity": "many"}]})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "lines.0.quantity"


def test_an_unknown_order_is_404(login, people):
    answer = login(people["clerk"]).get(f"{API}/orders/999999")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_another_hospitals_records_are_404_and_nothing_changes(
    login, people, contract, other_contract, hospital, stock
):
    stock("A0002", "O", "pos", count=1)
    order = services.order_place(
        actor=people["hospital_user"],
        hospital=hospital,
        lines=[services.LineInput(product_code="A0002", abo="O", rhd="pos", quantity=1)],
    )
    services.order_allocate(actor=people["clerk"], order=order)
    shipment = services.shipment_create(actor=people["clerk"], order=order)
    item = shipment.items.get()
    client = login(people["other_hospital_user"])
    assert client.get(f"{API}/orders/{order.pk}").status_code == 404
    assert client.get(f"{API}/shipments/{shipment.pk}").status_code == 404
    assert client.get(f"{API}/shipments/{shipment.pk}/manifest").status_code == 404
    assert _post(client, f"/orders/{order.pk}/cancel", {"reason": "not ours"}).status_code == 404
    assert _post(client, f"/shipments/{shipment.pk}/receive").status_code == 404
    assert _post(client, f"/items/{item.pk}/disposition", {"disposition": "wasted"}).status_code == 404
    placed_for_other = _post(client, "/orders", {"hospital": hospital.code, "lines": [LINE]})
    assert placed_for_other.status_code == 404
    assert client.get(f"{API}/orders").json() == []
    assert client.get(f"{API}/shipments").json() == []
    order.refresh_from_db()
    item.refresh_from_db()
    assert (order.status, item.hospital_disposition, Order.objects.count()) == ("allocated", "", 1)


def test_a_hospital_user_may_not_allocate(login, people, contract, hospital):
    order = services.order_place(
        actor=people["hospital_user"],
        hospital=hospital,
        lines=[services.LineInput(product_code="A0002", abo="O", rhd="pos", quantity=1)],
    )
    answer = _post(login(people["hospital_user"]), f"/orders/{order.pk}/allocate")
    assert answer.status_code == 403
    order.refresh_from_db()
    assert order.status == "placed"


def test_the_allocation_run_through_the_api(login, people, contract, hospital, stock):
    stock("A0002", "O", "pos", count=1)
    orders = [
        services.order_place(
            actor=people["hospital_user"],
            hospital=hospital,
            lines=[services.LineInput(product_code="A0002", abo="O", rhd="pos", quantity=1)],
            priority=priority,
        )
        for priority in ("routine", "stat")
    ]
    assert _post(login(people["hospital_user"]), "/orders/allocate").status_code == 403
    answer = _post(login(people["clerk"]), "/orders/allocate")
    assert answer.status_code == 201, answer.content
    assert answer.json() == {"orders": 2, "lines": 2, "units": 1, "short_lines": 1}
    routine, stat = (Order.objects.get(pk=order.pk).status for order in orders)
    assert (routine, stat) == ("placed", "allocated")  # the STAT order got the one unit


def test_allocate_ship_receive_report_and_return(login, people, contract, hospital, stock):
    units = stock("A0002", "O", "pos", count=2)
    hospital_client = login(people["hospital_user"])
    order_id = _post(hospital_client, "/orders", {"lines": [{**LINE, "quantity": 2}]}).json()["id"]

    clerk = login(people["clerk"])
    allocated = _post(clerk, f"/orders/{order_id}/allocate")
    assert allocated.status_code == 201, allocated.content
    assert (allocated.json()["allocated"], allocated.json()["order"]["status"]) == (2, "allocated")
    assert sorted(u["din"] for u in allocated.json()["order"]["lines"][0]["allocated"]) == sorted(
        u.din for u in units
    )
    created = _post(clerk, f"/orders/{order_id}/shipments")
    assert created.status_code == 201, created.content
    shipment_id = created.json()["id"]
    assert [item["scanned"] for item in created.json()["items"]] == [False, False]

    stranger = stock("A0002", "O", "pos", count=1)[0]
    refused = _post(clerk, f"/shipments/{shipment_id}/scan", {"scans": label_scans(stranger)})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "wrong_unit"
    not_ready = _post(clerk, f"/shipments/{shipment_id}/ship")
    assert not_ready.status_code == 409
    for unit in units:
        scanned = _post(clerk, f"/shipments/{shipment_id}/scan", {"scans": label_scans(unit)})
        assert scanned.status_code == 201, scanned.content
        assert (scanned.json()["din"], scanned.json()["scanned"]) == (unit.din, True)
    ship = _post(clerk, f"/shipments/{shipment_id}/ship")
    assert (ship.status_code, ship.json()["status"]) == (201, "shipped")
    manifest = clerk.get(f"{API}/shipments/{shipment_id}/manifest")
    assert manifest.status_code == 200
    assert all(unit.din in json.dumps(manifest.json()) for unit in units)

    received = _post(hospital_client, f"/shipments/{shipment_id}/receive", {"note": "ok"})
    assert (received.status_code, received.json()["status"]) == (201, "received")
    first, second = ShipmentItem.objects.filter(shipment_id=shipment_id).order_by("pk")
    reported = _post(hospital_client, f"/items/{first.pk}/disposition", {"disposition": "transfused"})
    assert reported.status_code == 201, reported.content
    assert reported.json()["hospital_disposition"] == "transfused"
    returned = _post(
        clerk,
        f"/items/{second.pk}/return",
        {
            "returned_at": received.json()["received_at"],
            "container_validated": True,
            "lowest_c": "2.0",
            "highest_c": "5.0",
            "seal_intact": True,
        },
    )
    assert returned.status_code == 201, returned.content
    assert returned.json()["unit_return"]["reissue"] is True
    assert Shipment.objects.get(pk=shipment_id).status == "received"


def test_standing_orders_are_created_and_listed(login, people, contract, hospital):
    client = login(people["clerk"])
    payload = {
        "hospital": hospital.code,
        "name": "Mondays",
        "weekdays": [1],
        "lines": [{**LINE, "quantity": 3}],
    }
    answer = _post(client, "/standing-orders", payload)
    assert answer.status_code == 201, answer.content
    assert answer.json()["lines"][0]["quantity"] == 3
    assert StandingOrder.objects.get().hospital == hospital
    assert [s["name"] for s in login(people["hospital_user"]).get(f"{API}/standing-orders").json()] == [
        "Mondays"
    ]
    assert login(people["other_hospital_user"]).get(f"{API}/standing-orders").json() == []
