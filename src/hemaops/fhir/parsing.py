"""A FHIR R4B SupplyRequest read as the inputs of ``distribution.services.order_place``.

One SupplyRequest is one order of one line (FHIR's shape: one item, one quantity). The mapping:

=====================================  =============================================================
SupplyRequest                          order_place
=====================================  =============================================================
status                                 absent or ``active`` (anything else is refused)
itemCodeableConcept.coding             the catalogue product code (``A0003``), system
                                       ``https://hemaops.org/fhir/CodeSystem/product``
                                       (``itemReference`` is not supported)
quantity.value                         quantity: a whole number ≥ 1 (``unit`` is not read)
priority                               routine → routine; urgent, asap, stat → stat
occurrenceDateTime                     needed_by: a dateTime with a time zone (absent: the
                                       service's default)
requester, deliverTo                   the hospital: ``identifier`` with system
                                       ``https://hemaops.org/fhir/NamingSystem/hospital`` and the
                                       hospital code (or no system); both, if given, must name
                                       the same hospital. A hospital user may leave both out
                                       (its own hospital) and may name no other.
parameter[] (code system               ``abo`` → abo (valueCodeableConcept O|A|B|AB, required);
``https://hemaops.org/fhir/            ``rhd`` → rhd (pos|neg, required); ``attribute`` → one of
CodeSystem/order-parameter``)          attributes (irradiated, cmv_negative …; repeatable);
                                       ``antigen-negative`` → one of antigens_negative (K, E …;
                                       repeatable); ``delivery`` → delivery (valueBoolean);
                                       ``allow-rh-positive`` → allow_rh_positive (valueBoolean,
                                       a medical director's decision)
=====================================  =============================================================

Every refusal is a ``FhirInputError`` naming the FHIRPath of the element and the reason. The
product, the contract and the quantity's limits are the service's to judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pydantic
from fhir.resources.R4B.supplyrequest import SupplyRequest

from hemaops.distribution.models import Order
from hemaops.distribution.services import LineInput
from hemaops.fhir import resources as r


class FhirInputError(Exception):
    """A request the FHIR interface refuses before any service runs: ``issue_code`` is the
    OperationOutcome issue code, ``expression`` the FHIRPath of the element at fault."""

    def __init__(
        self, message: str, *, expression: str | None, status: int = 400, issue_code: str = "invalid"
    ):
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.status = status
        self.issue_code = issue_code


@dataclass(frozen=True)
class OrderRequest:
    hospital_code: str | None  # None: the requesting hospital user's own
    line: LineInput
    priority: str
    needed_by: datetime | None
    delivery: bool


_PRIORITIES = {"routine": Order.Priority.ROUTINE, "urgent": Order.Priority.STAT, "asap": Order.Priority.STAT}
_PRIORITIES["stat"] = Order.Priority.STAT


def fhirpath(resource_type: str, location: Sequence[Any]) -> str:
    """``("quantity", "value")`` → ``SupplyRequest.quantity.value``; list indexes in brackets."""
    path = resource_type
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("__root__",):
            path += f".{part}"
    return path


def supply_request_from_json(body: bytes) -> SupplyRequest:
    """The body validated as an R4B SupplyRequest, or the first error with its location."""
    if not body.strip():
        raise FhirInputError("The request has no body: send a SupplyRequest resource.", expression=None)
    try:
        return SupplyRequest.model_validate_json(body)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        if first["type"] == "json_invalid":
            raise FhirInputError(f"The body is not valid JSON: {first['msg']}", expression=None) from None
        expression = fhirpath("SupplyRequest", first["loc"])
        message = " ".join(str(first["msg"]).split())  # the package's messages span lines
        raise FhirInputError(f"{expression}: {message}", expression=expression) from None


def _code_of(concept: Any, system: str, expression: str) -> str:
    """The code of ``concept`` in ``system`` (a coding without a system is taken as ours)."""
    codings = [c for c in (concept.coding or []) if c.code and c.system in (None, system)] if concept else []
    if not codings:
        raise FhirInputError(
            f"{expression}: give a coding with system {system} and a code", expression=expression
        )
    return str(codings[0].code)


def _hospital_code(reference: Any, expression: str) -> str | None:
    if reference is None:
        return None
    identifier = reference.identifier
    if identifier is None or not identifier.value:
        raise FhirInputError(
            f"{expression}: name the hospital by identifier "
            f"(system {r.HOSPITAL_SYSTEM}, value = hospital code)",
            expression=f"{expression}.identifier",
        )
    if identifier.system not in (None, r.HOSPITAL_SYSTEM):
        raise FhirInputError(
            f"{expression}.identifier.system: unknown system {identifier.system}; use {r.HOSPITAL_SYSTEM}",
            expression=f"{expression}.identifier.system",
        )
    return str(identifier.value).strip()


def order_request(resource: SupplyRequest) -> OrderRequest:
    """The order a validated SupplyRequest asks for (see the module docstring)."""
    if resource.status not in (None, "active"):
        raise FhirInputError(
            f"SupplyRequest.status: a new request is active (or has no status), not {resource.status}",
            expression="SupplyRequest.status",
        )
    if resource.itemReference is not None:
        raise FhirInputError(
            "SupplyRequest.itemReference: not supported; name the product in itemCodeableConcept",
            expression="SupplyRequest.itemReference",
            status=422,
            issue_code="not-supported",
        )
    product_code = _code_of(
        resource.itemCodeableConcept, r.PRODUCT_SYSTEM, "SupplyRequest.itemCodeableConcept"
    )
    quantity = _quantity(resource.quantity.value if resource.quantity else None)
    priority = _PRIORITIES.get(resource.priority or "routine")
    if priority is None:
        raise FhirInputError(
            f"SupplyRequest.priority: {resource.priority} is not one of routine, urgent, asap, stat",
            expression="SupplyRequest.priority",
        )
    if resource.occurrencePeriod is not None or resource.occurrenceTiming is not None:
        raise FhirInputError(
            "SupplyRequest.occurrence[x]: give occurrenceDateTime (when the units are needed by)",
            expression="SupplyRequest.occurrence",
            status=422,
            issue_code="not-supported",
        )
    needed_by = resource.occurrenceDateTime
    if needed_by is not None and not (isinstance(needed_by, datetime) and needed_by.tzinfo is not None):
        raise FhirInputError(
            "SupplyRequest.occurrenceDateTime: give a date, time and time zone (2026-11-26T14:00:00-08:00)",
            expression="SupplyRequest.occurrenceDateTime",
        )
    requester = _hospital_code(resource.requester, "SupplyRequest.requester")
    deliver_to = _hospital_code(resource.deliverTo, "SupplyRequest.deliverTo")
    if requester and deliver_to and requester != deliver_to:
        raise FhirInputError(
            f"SupplyRequest.deliverTo: units go to the ordering hospital ({requester}), not {deliver_to}",
            expression="SupplyRequest.deliverTo",
        )
    values = _parameters(resource)
    abo = values.get(r.PARAMETER_ABO, [None])[-1]
    rhd = values.get(r.PARAMETER_RHD, [None])[-1]
    for code, value in ((r.PARAMETER_ABO, abo), (r.PARAMETER_RHD, rhd)):
        if value is None:
            raise FhirInputError(
                f"SupplyRequest.parameter: the {code} parameter is required "
                f"(code {r.PARAMETER_SYSTEM}#{code} with a valueCodeableConcept)",
                expression="SupplyRequest.parameter",
            )
        if len(values[code]) > 1:
            raise FhirInputError(
                f"SupplyRequest.parameter: give the {code} parameter once",
                expression="SupplyRequest.parameter",
            )
    line = LineInput(
        product_code=product_code,
        abo=str(abo),
        rhd=str(rhd),
        quantity=quantity,
        attributes=tuple(str(v) for v in values.get(r.PARAMETER_ATTRIBUTE, [])),
        antigens_negative=tuple(str(v) for v in values.get(r.PARAMETER_ANTIGEN_NEGATIVE, [])),
        allow_rh_positive=bool(values.get(r.PARAMETER_ALLOW_RH_POSITIVE, [False])[-1]),
    )
    return OrderRequest(
        hospital_code=requester or deliver_to,
        line=line,
        priority=priority,
        needed_by=needed_by,
        delivery=bool(values.get(r.PARAMETER_DELIVERY, [False])[-1]),
    )


def _quantity(value: Decimal | None) -> int:
    expression = "SupplyRequest.quantity.value"
    if value is None:
        raise FhirInputError(f"{expression}: give the number of units", expression=expression)
    if value != value.to_integral_value() or value < 1:
        raise FhirInputError(
            f"{expression}: a whole number of units, at least 1 (not {value})", expression=expression
        )
    return int(value)


# Which parameters carry a code (and in which system) and which a boolean.
_CONCEPT_PARAMETERS = {
    r.PARAMETER_ABO: r.ABO_SYSTEM,
    r.PARAMETER_RHD: r.RHD_SYSTEM,
    r.PARAMETER_ATTRIBUTE: r.ATTRIBUTE_SYSTEM,
    r.PARAMETER_ANTIGEN_NEGATIVE: r.ANTIGEN_SYSTEM,
}
_BOOLEAN_PARAMETERS = (r.PARAMETER_DELIVERY, r.PARAMETER_ALLOW_RH_POSITIVE)


def _parameters(resource: SupplyRequest) -> dict[str, list[object]]:
    values: dict[str, list[object]] = {}
    for index, parameter in enumerate(resource.parameter or []):
        expression = f"SupplyRequest.parameter[{index}]"
        code = _code_of(parameter.code, r.PARAMETER_SYSTEM, f"{expression}.code")
        if code in _CONCEPT_PARAMETERS:
            if parameter.valueCodeableConcept is None:
                raise FhirInputError(
                    f"{expression}: the {code} parameter takes a valueCodeableConcept",
                    expression=f"{expression}.valueCodeableConcept",
                )
            value: object = _code_of(
                parameter.valueCodeableConcept,
                _CONCEPT_PARAMETERS[code],
                f"{expression}.valueCodeableConcept",
            )
        elif code in _BOOLEAN_PARAMETERS:
            if parameter.valueBoolean is None:
                raise FhirInputError(
                    f"{expression}: the {code} parameter takes a valueBoolean",
                    expression=f"{expression}.valueBoolean",
                )
            value = parameter.valueBoolean
        else:
            known = ", ".join([*_CONCEPT_PARAMETERS, *_BOOLEAN_PARAMETERS])
            raise FhirInputError(
                f"{expression}.code: unknown parameter {code}; expected one of {known}",
                expression=f"{expression}.code",
                status=422,
                issue_code="not-supported",
            )
        values.setdefault(code, []).append(value)
    return values
