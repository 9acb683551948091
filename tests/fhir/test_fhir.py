"""The FHIR R4B interface: the capability statement, who may call, a hospital system's
SupplyRequest placing an order (and every way one is refused, with nothing saved), reading and
searching orders, units and deliveries scoped exactly as the portal scopes them. Every body is
parsed back with the fhir.resources model it claims to be."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B.biologicallyderivedproduct import BiologicallyDerivedProduct
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.supplydelivery import SupplyDelivery
from fhir.resources.R4B.supplyrequest import SupplyRequest

from hemaops.core.services import api_token_create
from hemaops.distribution import services
from hemaops.distribution.models import Order
from hemaops.fhir import resources as r
from tests.distribution.conftest import label_scans

pytestmark = pytest.mark.django_db

FHIR = "/fhir"
CONTENT_TYPE = "application/fhir+json"


def _token(user) -> str:
    return api_token_create(actor=None, user=user, name="lis")[1]


def _auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {_token(user)}"}


def _parameter(code: str, system: str, value: str) -> dict:
    return {
        "code": {"coding": [{"system": r.PARAMETER_SYSTEM, "code": code}]},
        "valueCodeableConcept": {"coding": [{"system": system, "code": value}]},
    }


def supply_request(**changes) -> dict:
    """A hospital system's request for two O pos red cells, irradiated, K negative."""
    body = {
        "resourceType": "SupplyRequest",
        "status": "active",
        "priority": "urgent",
        "itemCodeableConcept": {"coding": [{"system": r.PRODUCT_SYSTEM, "code": "A0002"}]},
        "quantity": {"value": 2},
        "occurrenceDateTime": (timezone.now() + timedelta(hours=6)).replace(microsecond=0).isoformat(),
        "requester": {"identifier": {"system": r.HOSPITAL_SYSTEM, "value": "cedars"}},
        "parameter": [
            _parameter("abo", r.ABO_SYSTEM, "O"),
            _parameter("rhd", r.RHD_SYSTEM, "pos"),
            _parameter("attribute", r.ATTRIBUTE_SYSTEM, "irradiated"),
            _parameter("antigen-negative", r.ANTIGEN_SYSTEM, "K"),
            {"code": {"coding": [{"system": r.PARAMETER_SYSTEM, "code": "delivery"}]}, "valueBoolean": True},
        ],
    }
    body.update(changes)
    return body


def _post(client, user, body, raw: bytes | None = None, **headers):
    data = raw if raw is not None else json.dumps(body)
    return client.post(
        f"{FHIR}/SupplyRequest", data=data, content_type=CONTENT_TYPE, **_auth(user), **headers
    )


def _outcome(answer, status: int, code: str) -> OperationOutcome:
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"].startswith(CONTENT_TYPE)
    outcome = OperationOutcome.model_validate_json(answer.content)
    (issue,) = outcome.issue
    assert (issue.severity, issue.code) == ("error", code)
    return outcome


def _issue(outcome: OperationOutcome):
    return outcome.issue[0]


def _bundle(answer) -> Bundle:
    assert answer.status_code == 200, answer.content
    bundle = Bundle.model_validate_json(answer.content)
    assert bundle.type == "searchset"
    assert bundle.total == len(bundle.entry or [])
    return bundle


def _ids(bundle: Bundle) -> list[str]:
    return [entry.resource.id for entry in bundle.entry or []]


def _place(people, hospital, quantity: int = 1) -> Order:
    return services.order_place(
        actor=people["hospital_user"],
        hospital=hospital,
        lines=[services.LineInput(product_code="A0002", abo="O", rhd="pos", quantity=quantity)],
        needed_by=timezone.now() + timedelta(hours=6),
    )


def _shipped(people, hospital, stock):
    """An order of one O pos red cell unit, allocated, scanned and shipped to ``hospital``."""
    (unit,) = stock("A0002", "O", "pos")
    order = _place(people, hospital)
    services.order_allocate(actor=people["clerk"], order=order)
    shipment = services.shipment_create(actor=people["clerk"], order=order)
    services.shipment_scan(actor=people["clerk"], shipment=shipment, scans=label_scans(unit))
    return services.shipment_ship(actor=people["clerk"], shipment=shipment), unit


# --- metadata and who may call -------------------------------------------------------------


def test_metadata_is_a_public_capability_statement(client):
    answer = client.get(f"{FHIR}/metadata")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith(CONTENT_TYPE)
    statement = CapabilityStatement.model_validate_json(answer.content)
    assert (statement.fhirVersion, statement.format, statement.rest[0].mode) == ("4.3.0", ["json"], "server")
    served = {
        resource.type: (
            sorted(i.code for i in resource.interaction),
            sorted(p.name for p in resource.searchParam or []),
        )
        for resource in statement.rest[0].resource
    }
    assert served == {
        "BiologicallyDerivedProduct": (["read", "search-type"], ["identifier"]),
        "SupplyRequest": (["create", "read", "search-type"], ["requester", "status"]),
        "SupplyDelivery": (["read", "search-type"], ["based-on"]),
    }


def test_everything_else_needs_a_caller(client, people):
    for path in ("/SupplyRequest", "/SupplyRequest/1", "/BiologicallyDerivedProduct", "/SupplyDelivery/1"):
        outcome = _outcome(client.get(f"{FHIR}{path}"), 401, "login")
        assert "Bearer" in _issue(outcome).diagnostics
    wrong = client.get(f"{FHIR}/SupplyRequest", HTTP_AUTHORIZATION="Bearer hop_not-a-token")
    assert "unknown" in _issue(_outcome(wrong, 401, "login")).diagnostics


def test_a_session_may_read_but_placing_needs_the_token(client, people, contract):
    client.force_login(people["hospital_user"])
    assert _bundle(client.get(f"{FHIR}/SupplyRequest")).entry is None
    answer = client.post(
        f"{FHIR}/SupplyRequest", data=json.dumps(supply_request()), content_type=CONTENT_TYPE
    )
    _outcome(answer, 401, "login")
    assert not Order.objects.exists()


def test_a_method_not_served_is_refused(client, people):
    answer = client.delete(f"{FHIR}/SupplyRequest/1", **_auth(people["hospital_user"]))
    _outcome(answer, 405, "not-supported")


# --- placing an order -----------------------------------------------------------------------


def test_a_hospital_system_places_an_order(client, people, contract, hospital):
    answer = _post(client, people["hospital_user"], supply_request())
    assert answer.status_code == 201, answer.content
    created = SupplyRequest.model_validate_json(answer.content)
    order = Order.objects.get()
    assert answer["Location"].endswith(f"/fhir/SupplyRequest/{order.pk}")
    assert (order.channel, order.hospital, order.priority, order.delivery) == ("fhir", hospital, "stat", True)
    (line,) = order.lines.all()
    assert (line.product.code, line.abo, line.rhd, line.quantity) == ("A0002", "O", "pos", 2)
    assert "irradiated" in line.attributes
    assert list(line.antigens_negative) == ["K"]
    assert (created.id, created.status, created.priority) == (str(order.pk), "active", "stat")
    assert created.quantity.value == 2
    assert created.identifier[0].value == order.number
    assert created.requester.identifier.value == "cedars"
    parameters = {
        (p.code.coding[0].code, p.valueCodeableConcept.coding[0].code) for p in created.parameter[:-1]
    }
    assert {
        ("abo", "O"),
        ("rhd", "pos"),
        ("attribute", "irradiated"),
        ("antigen-negative", "K"),
    } <= parameters
    assert (created.parameter[-1].code.coding[0].code, created.parameter[-1].valueBoolean) == (
        "delivery",
        True,
    )


def test_a_hospital_user_may_leave_the_hospital_out_but_not_name_another(
    client, people, contract, other_contract
):
    body = supply_request()
    del body["requester"]
    assert _post(client, people["hospital_user"], body).status_code == 201
    other = supply_request(requester={"identifier": {"system": r.HOSPITAL_SYSTEM, "value": "mercy"}})
    outcome = _outcome(_post(client, people["hospital_user"], other), 422, "processing")
    assert _issue(outcome).expression == ["SupplyRequest.requester"]
    assert Order.objects.count() == 1


def test_malformed_json_is_refused_and_nothing_is_saved(client, people, contract):
    outcome = _outcome(
        _post(client, people["hospital_user"], None, raw=b'{"resourceType": "Supply'), 400, "invalid"
    )
    assert "not valid JSON" in _issue(outcome).diagnostics
    assert not Order.objects.exists()


def test_an_invalid_resource_names_the_location(client, people, contract):
    answer = _post(client, people["hospital_user"], supply_request(quantity={"value": "many"}))
    outcome = _outcome(answer, 400, "invalid")
    assert _issue(outcome).expression == ["SupplyRequest.quantity.value"]
    assert _issue(outcome).diagnostics.startswith("SupplyRequest.quantity.value: ")
    wrong_type = _post(client, people["hospital_user"], supply_request(resourceType="Patient"))
    assert "SupplyRequest" in _issue(_outcome(wrong_type, 400, "invalid")).diagnostics
    unknown = _post(client, people["hospital_user"], supply_request(colour="red"))
    assert _issue(_outcome(unknown, 400, "invalid")).expression == ["SupplyRequest.colour"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("changes", "expression", "words"),
    [
        ({"quantity": {"value": 0}}, "SupplyRequest.quantity.value", "at least 1"),
        ({"quantity": {"value": 1.5}}, "SupplyRequest.quantity.value", "whole number"),
        ({"priority": "whenever"}, "SupplyRequest.priority", "routine, urgent"),
        ({"status": "draft"}, "SupplyRequest.status", "active"),
        ({"occurrenceDateTime": "2026-12-01"}, "SupplyRequest.occurrenceDateTime", "time zone"),
        ({"parameter": []}, "SupplyRequest.parameter", "abo parameter is required"),
        (
            {"itemCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "126242007"}]}},
            "SupplyRequest.itemCodeableConcept",
            r.PRODUCT_SYSTEM,
        ),
        (
            {"deliverTo": {"identifier": {"system": r.HOSPITAL_SYSTEM, "value": "mercy"}}},
            "SupplyRequest.deliverTo",
            "ordering hospital",
        ),
    ],
)
def test_a_request_that_cannot_be_an_order_is_refused_naming_the_element(
    client, people, contract, changes, expression, words
):
    outcome = _outcome(_post(client, people["hospital_user"], supply_request(**changes)), 400, "invalid")
    assert _issue(outcome).expression == [expression]
    assert words in _issue(outcome).diagnostics
    assert not Order.objects.exists()


def test_an_unknown_parameter_is_not_supported(client, people, contract):
    body = supply_request()
    body["parameter"].append(_parameter("colour", r.ATTRIBUTE_SYSTEM, "red"))
    outcome = _outcome(_post(client, people["hospital_user"], body), 422, "not-supported")
    assert _issue(outcome).expression == ["SupplyRequest.parameter[5].code"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("changes", "expression", "words"),
    [
        (
            {"itemCodeableConcept": {"coding": [{"system": r.PRODUCT_SYSTEM, "code": "Z9999"}]}},
            "SupplyRequest.itemCodeableConcept",
            "Z9999",
        ),
        (
            {"parameter": [_parameter("abo", r.ABO_SYSTEM, "Q"), _parameter("rhd", r.RHD_SYSTEM, "pos")]},
            "SupplyRequest.parameter",
            "ABO",
        ),
        (
            {
                "parameter": [
                    _parameter("abo", r.ABO_SYSTEM, "O"),
                    _parameter("rhd", r.RHD_SYSTEM, "pos"),
                    _parameter("antigen-negative", r.ANTIGEN_SYSTEM, "Zz"),
                ]
            },
            "SupplyRequest.parameter",
            "Zz",
        ),
    ],
)
def test_what_the_service_refuses_is_named(client, people, contract, changes, expression, words):
    outcome = _outcome(_post(client, people["hospital_user"], supply_request(**changes)), 422, "processing")
    assert _issue(outcome).expression == [expression]
    assert words in _issue(outcome).diagnostics
    assert not Order.objects.exists()


def test_a_hospital_without_a_contract_cannot_order(client, people):
    # No contract for mercy: the service refuses, naming the hospital, and nothing is saved.
    body = supply_request(requester={"identifier": {"system": r.HOSPITAL_SYSTEM, "value": "mercy"}})
    outcome = _outcome(_post(client, people["other_hospital_user"], body), 422, "processing")
    assert _issue(outcome).expression == ["SupplyRequest.requester"]
    assert not Order.objects.exists()


def test_a_user_who_may_not_order_is_forbidden(client, people, contract):
    outcome = _outcome(_post(client, people["accountant"], supply_request()), 403, "forbidden")
    assert _issue(outcome).diagnostics
    assert not Order.objects.exists()


# --- reading and searching orders -----------------------------------------------------------


def test_orders_are_read_and_searched_within_the_hospital(
    client, people, contract, other_contract, hospital, other_hospital
):
    ours = _place(people, hospital)
    theirs = services.order_place(
        actor=people["other_hospital_user"],
        hospital=other_hospital,
        lines=[services.LineInput(product_code="A0002", abo="A", rhd="neg", quantity=3)],
    )
    auth = _auth(people["hospital_user"])
    read = client.get(f"{FHIR}/SupplyRequest/{ours.pk}", **auth)
    assert read.status_code == 200
    order = SupplyRequest.model_validate_json(read.content)
    assert (order.id, order.status, order.quantity.value) == (str(ours.pk), "active", 1)
    assert _ids(_bundle(client.get(f"{FHIR}/SupplyRequest", **auth))) == [str(ours.pk)]
    assert _ids(_bundle(client.get(f"{FHIR}/SupplyRequest?status=completed", **auth))) == []
    # Another hospital's order is the same 404 as one that does not exist, and not in a search.
    hidden = _outcome(client.get(f"{FHIR}/SupplyRequest/{theirs.pk}", **auth), 404, "not-found")
    missing = _outcome(client.get(f"{FHIR}/SupplyRequest/999999", **auth), 404, "not-found")
    assert _issue(hidden).diagnostics == _issue(missing).diagnostics
    assert _ids(_bundle(client.get(f"{FHIR}/SupplyRequest?requester=mercy", **auth))) == []
    # Staff see every hospital's and narrow by requester.
    clerk = _auth(people["clerk"])
    assert set(_ids(_bundle(client.get(f"{FHIR}/SupplyRequest", **clerk)))) == {str(ours.pk), str(theirs.pk)}
    bundle = _bundle(client.get(f"{FHIR}/SupplyRequest?requester={r.HOSPITAL_SYSTEM}|mercy", **clerk))
    assert _ids(bundle) == [str(theirs.pk)]
    assert bundle.entry[0].fullUrl.endswith(f"/fhir/SupplyRequest/{theirs.pk}")


def test_a_search_parameter_not_served_is_refused(client, people):
    auth = _auth(people["clerk"])
    outcome = _outcome(client.get(f"{FHIR}/SupplyRequest?patient=1", **auth), 400, "not-supported")
    assert _issue(outcome).expression == ["patient"]
    bad = _outcome(client.get(f"{FHIR}/SupplyRequest?status=sleeping", **auth), 400, "invalid")
    assert "sleeping" in _issue(bad).diagnostics


# --- units ----------------------------------------------------------------------------------


def test_staff_read_and_search_a_unit_by_din(client, people, stock):
    (unit,) = stock("A0007", "AB", "neg")  # fresh frozen plasma
    auth = _auth(people["clerk"])
    read = client.get(f"{FHIR}/BiologicallyDerivedProduct/{unit.pk}", **auth)
    assert read.status_code == 200, read.content
    product = BiologicallyDerivedProduct.model_validate_json(read.content)
    assert [(i.system, i.value) for i in product.identifier] == [
        (r.DIN_SYSTEM, unit.din),
        (r.ISBT128_PRODUCT_SYSTEM, unit.product_code),
    ]
    assert (product.productCategory, product.status, product.quantity) == ("fluid", "available", 1)
    assert product.productCode.coding[0].code == unit.product_code
    assert product.storage[0].duration.end == unit.expires_at
    assert product.collection.collectedDateTime == unit.collected_at
    assert [c.code for c in product.extension[0].valueCodeableConcept.coding] == ["AB", "neg"]
    scanned = f"={unit.din}00"
    for identifier in (unit.din, f"{r.DIN_SYSTEM}|{unit.din}", scanned):
        found = _bundle(client.get(f"{FHIR}/BiologicallyDerivedProduct", {"identifier": identifier}, **auth))
        # A DIN names the donation: every unit made from it (the whole blood and its three
        # separated components) is found, and only those.
        assert str(unit.pk) in _ids(found), identifier
        assert len(_ids(found)) == 4
        assert {e.resource.identifier[0].value for e in found.entry} == {unit.din}
    bad = client.get(f"{FHIR}/BiologicallyDerivedProduct?identifier=NOTADIN", **auth)
    assert _issue(_outcome(bad, 400, "invalid")).expression == ["identifier"]


def test_a_hospital_user_sees_no_unit_not_shipped_to_it(client, people, stock):
    (unit,) = stock("A0002", "O", "pos")
    auth = _auth(people["hospital_user"])
    _outcome(client.get(f"{FHIR}/BiologicallyDerivedProduct/{unit.pk}", **auth), 404, "not-found")
    search = client.get(f"{FHIR}/BiologicallyDerivedProduct", {"identifier": unit.din}, **auth)
    assert _ids(_bundle(search)) == []


# --- shipped units and deliveries -----------------------------------------------------------


def test_shipped_units_and_deliveries_are_seen_by_the_hospital_they_went_to(
    client,
    people,
    contract,
    other_contract,
    hospital,
    stock,
):
    shipment, unit = _shipped(people, hospital, stock)
    (item,) = shipment.items.all()
    auth = _auth(people["hospital_user"])
    product = client.get(f"{FHIR}/BiologicallyDerivedProduct/{unit.pk}", **auth)
    assert BiologicallyDerivedProduct.model_validate_json(product.content).status == "unavailable"
    found = _bundle(client.get(f"{FHIR}/BiologicallyDerivedProduct", {"identifier": unit.din}, **auth))
    assert _ids(found) == [str(unit.pk)]

    read = client.get(f"{FHIR}/SupplyDelivery/{item.pk}", **auth)
    assert read.status_code == 200, read.content
    delivery = SupplyDelivery.model_validate_json(read.content)
    assert delivery.basedOn[0].reference == f"SupplyRequest/{shipment.order_id}"
    assert delivery.suppliedItem.itemReference.reference == f"BiologicallyDerivedProduct/{unit.pk}"
    assert (delivery.status, delivery.occurrenceDateTime) == ("in-progress", shipment.shipped_at)
    assert delivery.destination.identifier.value == hospital.code
    for based_on in (f"SupplyRequest/{shipment.order_id}", str(shipment.order_id)):
        search = client.get(f"{FHIR}/SupplyDelivery", {"based-on": based_on}, **auth)
        assert _ids(_bundle(search)) == [str(item.pk)]
    assert _ids(_bundle(client.get(f"{FHIR}/SupplyDelivery?based-on=999999", **auth))) == []
    assert SupplyRequest.model_validate_json(
        client.get(f"{FHIR}/SupplyRequest/{shipment.order_id}", **auth).content
    ).status in ("active", "completed")

    other = _auth(people["other_hospital_user"])
    _outcome(client.get(f"{FHIR}/SupplyDelivery/{item.pk}", **other), 404, "not-found")
    _outcome(client.get(f"{FHIR}/BiologicallyDerivedProduct/{unit.pk}", **other), 404, "not-found")
    assert _ids(_bundle(client.get(f"{FHIR}/SupplyDelivery", {"based-on": shipment.order_id}, **other))) == []


def test_searches_do_not_query_per_result(client, people, contract, hospital):
    client.force_login(people["clerk"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{FHIR}/SupplyRequest").status_code == 200
        return len(captured)

    _place(people, hospital)
    one = queries()
    _place(people, hospital, quantity=2)
    _place(people, hospital, quantity=3)
    assert queries() == one
