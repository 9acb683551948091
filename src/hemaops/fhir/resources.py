"""Builders from our models to FHIR R4B resources (house style §1: FHIR shapes live here and
never leak into the models). Each builder makes a plain dict, validates it with the
``fhir.resources`` model and returns the model, so nothing leaves this server that the R4B
schema would refuse.

Identifier systems (chosen here, documented once):

- DIN: ``http://hl7.org/fhir/NamingSystem/iccbba-din`` — the system FHIR itself names for an
  ICCBBA (ISBT 128) Donation Identification Number (the ``device-din`` extension's definition).
  The value is the 13-character DIN, without flags or check character.
- ISBT 128 product code: ``urn:oid:2.16.840.1.113883.6.18`` — the OID HL7 registers for ISBT
  128 (terminology.hl7.org NamingSystem ``ib``). The code is the unit's full product code
  (description code, collection type, division: ``E0336V00``).
- Our catalogue's product codes, order parameters, hospitals, orders and shipments: systems under
  ``https://hemaops.org/fhir/`` (see the constants below).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.biologicallyderivedproduct import BiologicallyDerivedProduct
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.supplydelivery import SupplyDelivery
from fhir.resources.R4B.supplyrequest import SupplyRequest

from hemaops.components.models import Unit
from hemaops.components.rules.lifecycle import Status as UnitStatus
from hemaops.components.rules.manufacturing import ProductClass
from hemaops.core.models import Hospital
from hemaops.distribution.models import Order, OrderLine, Shipment, ShipmentItem

FHIR_VERSION = "4.3.0"

DIN_SYSTEM = "http://hl7.org/fhir/NamingSystem/iccbba-din"
ISBT128_PRODUCT_SYSTEM = "urn:oid:2.16.840.1.113883.6.18"
PRODUCT_SYSTEM = "https://hemaops.org/fhir/CodeSystem/product"
PARAMETER_SYSTEM = "https://hemaops.org/fhir/CodeSystem/order-parameter"
ABO_SYSTEM = "https://hemaops.org/fhir/CodeSystem/abo"
RHD_SYSTEM = "https://hemaops.org/fhir/CodeSystem/rhd"
ATTRIBUTE_SYSTEM = "https://hemaops.org/fhir/CodeSystem/unit-attribute"
ANTIGEN_SYSTEM = "https://hemaops.org/fhir/CodeSystem/red-cell-antigen"
HOSPITAL_SYSTEM = "https://hemaops.org/fhir/NamingSystem/hospital"
ORDER_SYSTEM = "https://hemaops.org/fhir/NamingSystem/order"
SHIPMENT_SYSTEM = "https://hemaops.org/fhir/NamingSystem/shipment"
BLOOD_GROUP_EXTENSION = "https://hemaops.org/fhir/StructureDefinition/blood-group"

# Parameter codes of a SupplyRequest (system PARAMETER_SYSTEM) and what each carries.
PARAMETER_ABO = "abo"  # valueCodeableConcept, ABO_SYSTEM: O | A | B | AB
PARAMETER_RHD = "rhd"  # valueCodeableConcept, RHD_SYSTEM: pos | neg
PARAMETER_ATTRIBUTE = "attribute"  # valueCodeableConcept, ATTRIBUTE_SYSTEM: distribution.rules.ATTRIBUTES
PARAMETER_ANTIGEN_NEGATIVE = "antigen-negative"  # valueCodeableConcept, ANTIGEN_SYSTEM: K, E …
PARAMETER_DELIVERY = "delivery"  # valueBoolean: delivered by the blood center
PARAMETER_ALLOW_RH_POSITIVE = "allow-rh-positive"  # valueBoolean: a medical director's substitution

# R4B productCategory is one of organ | tissue | fluid | cells | biologicalAgent. Red cells,
# whole blood and platelets are products whose therapeutic content is cells (platelets are
# cell fragments, but "cells" is the category the valueset means for them — "fluid" is for
# products given for the liquid itself); plasma and cryoprecipitate are given for the
# proteins of the fluid.
_CATEGORY = {
    ProductClass.WHOLE_BLOOD.value: "cells",
    ProductClass.RED_CELLS.value: "cells",
    ProductClass.PLATELETS.value: "cells",
    ProductClass.PLASMA.value: "fluid",
    ProductClass.CRYO.value: "fluid",
}

# Order status → SupplyRequest.status (draft | active | suspended | cancelled | completed …).
_REQUEST_STATUS = {
    Order.Status.PLACED: "active",
    Order.Status.PARTIALLY_ALLOCATED: "active",
    Order.Status.ALLOCATED: "active",
    Order.Status.SHIPPED: "completed",
    Order.Status.CANCELLED: "cancelled",
}
# And back, for ?status= searches.
REQUEST_STATUS_ORDER_STATUSES: dict[str, list[str]] = {}
for _order_status, _request_status in _REQUEST_STATUS.items():
    REQUEST_STATUS_ORDER_STATUSES.setdefault(_request_status, []).append(_order_status.value)

# Shipment status → SupplyDelivery.status (in-progress | completed | abandoned | entered-in-error).
_DELIVERY_STATUS = {
    Shipment.Status.PACKING: "in-progress",
    Shipment.Status.SHIPPED: "in-progress",
    Shipment.Status.RECEIVED: "completed",
}


def fhir_datetime(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def hospital_reference(hospital: Hospital) -> dict[str, Any]:
    """An Organization by its identifier (our hospital code): hospitals are not served as
    resources here, so a logical reference is what a client can match on."""
    return {
        "type": "Organization",
        "identifier": {"system": HOSPITAL_SYSTEM, "value": hospital.code},
        "display": hospital.name,
    }


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _parameter_concept(code: str, system: str, value: str) -> dict[str, Any]:
    return {
        "code": {"coding": [_coding(PARAMETER_SYSTEM, code)]},
        "valueCodeableConcept": {"coding": [_coding(system, value)]},
    }


def _parameter_boolean(code: str, value: bool) -> dict[str, Any]:
    return {"code": {"coding": [_coding(PARAMETER_SYSTEM, code)]}, "valueBoolean": value}


def supply_request(order: Order) -> SupplyRequest:
    """An order as a SupplyRequest. An order placed through FHIR has one line; one placed in
    the portal may have several, but a SupplyRequest has one item: it shows the first line,
    and ``category`` says how many lines the order has."""
    lines: list[OrderLine] = list(order.lines.all())  # callers prefetch lines__product
    data: dict[str, Any] = {
        "resourceType": "SupplyRequest",
        "id": str(order.pk),
        "identifier": [{"system": ORDER_SYSTEM, "value": order.number}],
        "status": _REQUEST_STATUS[Order.Status(order.status)],
        "priority": "stat" if order.priority == Order.Priority.STAT else "routine",
        "occurrenceDateTime": fhir_datetime(order.needed_by),
        "authoredOn": fhir_datetime(order.placed_at),
        "requester": hospital_reference(order.hospital),
        "deliverTo": hospital_reference(order.hospital),
    }
    if len(lines) > 1:
        data["category"] = {"text": f"order of {len(lines)} lines; this resource shows the first"}
    if lines:
        line = lines[0]
        data["itemCodeableConcept"] = {
            "coding": [_coding(PRODUCT_SYSTEM, line.product.code, line.product.description)],
            "text": line.product.description,
        }
        data["quantity"] = {"value": line.quantity, "unit": "unit"}
        parameters = [
            _parameter_concept(PARAMETER_ABO, ABO_SYSTEM, line.abo),
            _parameter_concept(PARAMETER_RHD, RHD_SYSTEM, line.rhd),
            *(_parameter_concept(PARAMETER_ATTRIBUTE, ATTRIBUTE_SYSTEM, a) for a in line.attributes),
            *(
                _parameter_concept(PARAMETER_ANTIGEN_NEGATIVE, ANTIGEN_SYSTEM, a)
                for a in line.antigens_negative
            ),
            _parameter_boolean(PARAMETER_DELIVERY, order.delivery),
        ]
        if line.allow_rh_positive:
            parameters.append(_parameter_boolean(PARAMETER_ALLOW_RH_POSITIVE, True))
        data["parameter"] = parameters
    else:  # pragma: no cover - every order has a line (order_place refuses an empty order)
        data["quantity"] = {"value": 0, "unit": "unit"}
    return SupplyRequest.model_validate(data)


def biologically_derived_product(unit: Unit) -> BiologicallyDerivedProduct:
    product = unit.product
    data: dict[str, Any] = {
        "resourceType": "BiologicallyDerivedProduct",
        "id": str(unit.pk),
        "identifier": [
            {"system": DIN_SYSTEM, "value": unit.din},
            {
                "type": {"text": "ISBT 128 product code"},
                "system": ISBT128_PRODUCT_SYSTEM,
                "value": unit.product_code,
            },
        ],
        "productCategory": _CATEGORY.get(product.product_class, "cells"),
        "productCode": {
            "coding": [
                _coding(ISBT128_PRODUCT_SYSTEM, unit.product_code, product.description),
                _coding(PRODUCT_SYSTEM, product.code, product.description),
            ],
            "text": product.description,
        },
        "status": "available" if unit.status == UnitStatus.AVAILABLE.value else "unavailable",
        "quantity": 1,
        "collection": {"collectedDateTime": fhir_datetime(unit.collected_at)},
        "storage": [
            {
                "description": (
                    f"Store at {_celsius(product.storage_min_c)} to {_celsius(product.storage_max_c)} °C"
                ),
                # R4B gives storage one temperature; the upper limit is the one that matters in
                # transit, and the description carries the whole range.
                "temperature": product.storage_max_c,
                "scale": "celsius",
                "duration": {
                    "start": fhir_datetime(unit.manufactured_at),
                    "end": fhir_datetime(unit.expires_at),
                },
            }
        ],
    }
    if unit.abo or unit.rhd:
        # R4B has no element for the blood group: an extension with the ABO and RhD codes.
        data["extension"] = [
            {
                "url": BLOOD_GROUP_EXTENSION,
                "valueCodeableConcept": {
                    "coding": [
                        *([_coding(ABO_SYSTEM, unit.abo)] if unit.abo else []),
                        *([_coding(RHD_SYSTEM, unit.rhd)] if unit.rhd else []),
                    ],
                    "text": f"{unit.abo} {'RhD positive' if unit.rhd == 'pos' else 'RhD negative'}".strip(),
                },
            }
        ]
    return BiologicallyDerivedProduct.model_validate(data)


def _celsius(value: Decimal) -> str:
    return f"{value:f}"


def supply_delivery(item: ShipmentItem) -> SupplyDelivery:
    shipment = item.shipment
    data: dict[str, Any] = {
        "resourceType": "SupplyDelivery",
        "id": str(item.pk),
        "identifier": [{"system": SHIPMENT_SYSTEM, "value": shipment.number}],
        "basedOn": [{"reference": f"SupplyRequest/{shipment.order_id}"}],
        "status": _DELIVERY_STATUS[Shipment.Status(shipment.status)],
        "occurrenceDateTime": fhir_datetime(shipment.shipped_at),
        "suppliedItem": {
            "quantity": {"value": 1, "unit": "unit"},
            "itemReference": {
                "reference": f"BiologicallyDerivedProduct/{item.unit_id}",
                "display": f"{item.unit.din} {item.unit.product_code}",
            },
        },
        # destination is a Location in R4B; the hospital is named by identifier and display.
        "destination": {
            "identifier": {"system": HOSPITAL_SYSTEM, "value": shipment.hospital.code},
            "display": shipment.hospital.name,
        },
    }
    return SupplyDelivery.model_validate(data)


def searchset(base_url: str, resources: Sequence[Resource]) -> Bundle:
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(resources),
            "entry": [
                {
                    "fullUrl": f"{base_url}{resource.get_resource_type()}/{resource.id}",
                    "resource": resource,
                    "search": {"mode": "match"},
                }
                for resource in resources
            ],
        }
    )


def operation_outcome(code: str, diagnostics: str, expression: str | None = None) -> OperationOutcome:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": [issue]})


def capability_statement(base_url: str, at: datetime) -> CapabilityStatement:
    def interactions(*codes: str) -> list[dict[str, str]]:
        return [{"code": code} for code in codes]

    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": fhir_datetime(at),
            "kind": "instance",
            "publisher": "Hemaops",
            "software": {"name": "Hemaops"},
            "implementation": {"description": "Hemaops blood ordering for hospitals", "url": base_url},
            "fhirVersion": FHIR_VERSION,
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "security": {
                        "description": (
                            "Authorization: Bearer <API token> (or a signed-in session for reads); "
                            "creating a SupplyRequest needs the token."
                        )
                    },
                    "resource": [
                        {
                            "type": "BiologicallyDerivedProduct",
                            "interaction": interactions("read", "search-type"),
                            "searchParam": [
                                {
                                    "name": "identifier",
                                    "type": "token",
                                    "documentation": f"The DIN ({DIN_SYSTEM}), 13 characters or as scanned.",
                                }
                            ],
                        },
                        {
                            "type": "SupplyRequest",
                            "interaction": interactions("create", "read", "search-type"),
                            "searchParam": [
                                {"name": "status", "type": "token"},
                                {
                                    "name": "requester",
                                    "type": "reference",
                                    "documentation": "The hospital code (Organization identifier).",
                                },
                            ],
                        },
                        {
                            "type": "SupplyDelivery",
                            "interaction": interactions("read", "search-type"),
                            "searchParam": [
                                {
                                    "name": "based-on",
                                    "type": "reference",
                                    "documentation": "SupplyRequest/<id> or <id>.",
                                }
                            ],
                        },
                    ],
                }
            ],
        }
    )
