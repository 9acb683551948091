"""The FHIR R4B endpoints under /fhir: hospital systems order blood (SupplyRequest) and follow
what was shipped (SupplyDelivery) and the units themselves (BiologicallyDerivedProduct).

Who calls: the API's bearer token (``Authorization: Bearer <token>``) or a signed-in session.
Creating a SupplyRequest needs the token: these are plain Django views exempt from CSRF so an
integration can post, and requiring the token for the one write means a browser's cookie alone
can never place an order from another site. ``metadata`` is public, as FHIR expects.

Who sees what is exactly the portal's (``distribution.access``): a hospital user its own
hospital's orders and shipped items, staff by their view permissions; anything else is the same
404 whether it exists or not. Every answer — errors too — is a validated FHIR resource.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from fhir.resources.R4B.resource import Resource

from hemaops.components.access import VIEW_UNIT
from hemaops.components.models import Unit
from hemaops.core.access import access_hospital_by_id, one_or_404, require_permission
from hemaops.core.authentication import TokenAuth
from hemaops.core.errors import DomainError, NotFoundError
from hemaops.core.models import Hospital, User
from hemaops.distribution import access
from hemaops.distribution import services as distribution_services
from hemaops.distribution.models import Order, ShipmentItem
from hemaops.fhir import resources as r
from hemaops.fhir.parsing import FhirInputError, OrderRequest, order_request, supply_request_from_json
from hemaops.isbt128.din import Isbt128Error, parse_din

CONTENT_TYPE = "application/fhir+json"
_JSON_TYPES = ("application/fhir+json", "application/json")
# Parameters every search accepts and ignores: the format is always JSON.
_IGNORED_PARAMETERS = frozenset({"_format"})

# OperationOutcome issue code of each HTTP status a DomainError carries.
_ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 409: "conflict"}

# Service field names → where they are in a SupplyRequest (a service names its own inputs).
_SERVICE_FIELDS = {
    "product_code": "SupplyRequest.itemCodeableConcept",
    "product": "SupplyRequest.itemCodeableConcept",
    "quantity": "SupplyRequest.quantity.value",
    "abo": "SupplyRequest.parameter",
    "rhd": "SupplyRequest.parameter",
    "attributes": "SupplyRequest.parameter",
    "antigens_negative": "SupplyRequest.parameter",
    "allow_rh_positive": "SupplyRequest.parameter",
    "delivery": "SupplyRequest.parameter",
    "priority": "SupplyRequest.priority",
    "needed_by": "SupplyRequest.occurrenceDateTime",
    "hospital": "SupplyRequest.requester",
    "contract": "SupplyRequest.requester",
}


# --- responses ----------------------------------------------------------------------------


def _respond(resource: Resource, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(
        resource.model_dump_json(exclude_none=True), status=status, content_type=CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _outcome(status: int, code: str, diagnostics: str, expression: str | None = None) -> HttpResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="hemaops-fhir"'} if status == 401 else None
    return _respond(r.operation_outcome(code, diagnostics, expression), status, headers)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


def _service_expression(field: str | None) -> str | None:
    if not field:
        return None
    # "lines[0].product_code" or "lines.0.quantity" → the last name.
    last = field.replace("]", "").replace("[", ".").split(".")[-1] if field else ""
    return _SERVICE_FIELDS.get(last)


def _domain_outcome(error: DomainError, *, creating: bool = False) -> HttpResponse:
    status = error.status
    code = _ISSUE_CODES.get(status, "processing")
    if creating and status == 400:
        # The resource was valid FHIR; the business refused what it asks for (FHIR: 422).
        status, code = 422, "processing"
    expression = _service_expression(error.field)
    diagnostics = error.message
    if error.field and error.field not in diagnostics:
        diagnostics = f"{error.field}: {diagnostics}"
    return _outcome(status, code, diagnostics, expression)


# --- who calls ------------------------------------------------------------------------------


class _UnauthenticatedError(Exception):
    pass


def _caller(request: HttpRequest, *, token_required: bool = False) -> User:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _UnauthenticatedError("Authorization: give 'Bearer <API token>'.")
        found: User | None = TokenAuth().authenticate(request, token.strip())
        if found is None:
            raise _UnauthenticatedError(
                "Authorization: the token is unknown, revoked, or its user is inactive."
            )
        return found
    if token_required:
        raise _UnauthenticatedError(
            "Authorization: this needs an API token ('Authorization: Bearer <token>')."
        )
    user = request.user
    if not (user.is_authenticated and user.is_active):
        raise _UnauthenticatedError("Sign in, or give 'Authorization: Bearer <API token>'.")
    request.hemaops_authenticated_by = "session"  # type: ignore[attr-defined]
    return user


def _endpoint(
    methods: dict[str, Callable[..., HttpResponse]], *, public: bool = False
) -> Callable[..., HttpResponse]:
    """A view answering ``methods`` (GET, POST) with FHIR resources: authentication (POST needs
    the token), the method check, and every refusal as an OperationOutcome."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        handler = methods.get(request.method or "")
        if handler is None:
            return _outcome(
                405, "not-supported", f"{request.method} is not supported here; use {', '.join(methods)}."
            )
        try:
            user = None if public else _caller(request, token_required=request.method == "POST")
            return handler(request, user, **kwargs)
        except _UnauthenticatedError as error:
            return _outcome(401, "login", str(error))
        except FhirInputError as error:
            return _outcome(error.status, error.issue_code, error.message, error.expression)
        except DomainError as error:
            return _domain_outcome(error)

    return view


def _search_parameters(request: HttpRequest, allowed: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in request.GET:
        if name in _IGNORED_PARAMETERS:
            continue
        if name not in allowed:
            expected = ", ".join(allowed) or "none"
            raise FhirInputError(
                f"{name}: unknown search parameter; this resource supports {expected}",
                expression=name,
                issue_code="not-supported",
            )
        found[name] = [
            value for raw in request.GET.getlist(name) for value in raw.split(",") if value.strip()
        ]
    return found


# --- metadata -------------------------------------------------------------------------------


def _metadata(request: HttpRequest, user: User | None) -> HttpResponse:
    return _respond(r.capability_statement(_base_url(request), timezone.now()))


# --- BiologicallyDerivedProduct -------------------------------------------------------------


def units_visible(user: User) -> QuerySet[Unit]:
    """Staff with ``components.view_unit``: every unit; a hospital user: the units of its own
    hospital's shipments (the portal's shipment gate)."""
    units = Unit.objects.select_related("product")
    if user.hospital_id is not None:
        return units.filter(shipment_items__shipment__in=access.shipments_visible(user)).distinct()
    if user.is_active and user.has_perm(VIEW_UNIT):
        return units
    return units.none()


def _din_of(value: str) -> str:
    system, bar, din = value.partition("|")
    if not bar:
        system, din = "", value
    if system and system != r.DIN_SYSTEM:
        raise FhirInputError(
            f"identifier: unknown system {system}; DINs are searched with {r.DIN_SYSTEM}",
            expression="identifier",
        )
    try:
        return parse_din(din).text
    except Isbt128Error as error:
        raise FhirInputError(
            f"identifier: {din.strip()!r} is not a DIN: {error.message}", expression="identifier"
        ) from None


def _unit_read(request: HttpRequest, user: User, unit_id: str) -> HttpResponse:
    unit = one_or_404(units_visible(user), unit_id, "BiologicallyDerivedProduct")
    return _respond(r.biologically_derived_product(unit))


def _unit_search(request: HttpRequest, user: User) -> HttpResponse:
    parameters = _search_parameters(request, ("identifier",))
    units = units_visible(user)
    if "identifier" in parameters:
        dins = [_din_of(value) for value in parameters["identifier"]]
        units = units.filter(din__in=dins)
    found = [r.biologically_derived_product(unit) for unit in units.order_by("din", "product_code")]
    return _respond(r.searchset(_base_url(request), found))


# --- SupplyRequest --------------------------------------------------------------------------


def _orders(user: User) -> QuerySet[Order]:
    return access.orders_visible(user).select_related("hospital").prefetch_related("lines__product")


def _order_read(request: HttpRequest, user: User, order_id: str) -> HttpResponse:
    order = one_or_404(_orders(user), order_id, "SupplyRequest")
    return _respond(r.supply_request(order))


def _order_search(request: HttpRequest, user: User) -> HttpResponse:
    parameters = _search_parameters(request, ("status", "requester", "requester:identifier"))
    orders = _orders(user)
    if "status" in parameters:
        statuses: list[str] = []
        for value in parameters["status"]:
            if value not in r.REQUEST_STATUS_ORDER_STATUSES:
                known = ", ".join(r.REQUEST_STATUS_ORDER_STATUSES)
                raise FhirInputError(f"status: {value} is not one of {known}", expression="status")
            statuses += r.REQUEST_STATUS_ORDER_STATUSES[value]
        orders = orders.filter(status__in=statuses)
    codes = parameters.get("requester", []) + parameters.get("requester:identifier", [])
    if codes:
        orders = orders.filter(hospital__code__in=[_hospital_code_of(value) for value in codes])
    found = [r.supply_request(order) for order in orders]
    return _respond(r.searchset(_base_url(request), found))


def _hospital_code_of(value: str) -> str:
    system, bar, code = value.partition("|")
    if not bar:
        system, code = "", value
    if system and system != r.HOSPITAL_SYSTEM:
        raise FhirInputError(
            f"requester: unknown system {system}; hospitals are named with {r.HOSPITAL_SYSTEM}",
            expression="requester",
        )
    return code.removeprefix("Organization/").strip()


def _hospital_for(user: User, wanted: OrderRequest) -> Hospital:
    if wanted.hospital_code is None:
        if user.hospital_id is None:
            raise FhirInputError(
                "SupplyRequest.requester: name the ordering hospital "
                f"(identifier system {r.HOSPITAL_SYSTEM}, value = hospital code)",
                expression="SupplyRequest.requester",
                status=422,
                issue_code="required",
            )
        return access_hospital_by_id(user, user.hospital_id)
    hospital = Hospital.objects.filter(code=wanted.hospital_code).first()
    try:
        if hospital is None:
            raise NotFoundError("No such hospital.")
        return access.access_hospital_for_order(user, hospital.pk)
    except NotFoundError:
        # The same answer for a hospital that does not exist and one the caller may not order
        # for: a hospital user learns nothing of other customers.
        raise FhirInputError(
            f"SupplyRequest.requester: no hospital {wanted.hospital_code} you may order for",
            expression="SupplyRequest.requester",
            status=422,
            issue_code="processing",
        ) from None


def _order_create(request: HttpRequest, user: User) -> HttpResponse:
    content_type = request.content_type or ""
    if content_type not in _JSON_TYPES:
        return _outcome(
            415, "not-supported", f"Content-Type: send {CONTENT_TYPE}, not {content_type or 'nothing'}."
        )
    require_permission(user, "distribution.place_order")
    wanted = order_request(supply_request_from_json(request.body))
    hospital = _hospital_for(user, wanted)
    try:
        with transaction.atomic():
            order = distribution_services.order_place(
                actor=user,
                hospital=hospital,
                lines=[wanted.line],
                priority=wanted.priority,
                needed_by=wanted.needed_by,
                delivery=wanted.delivery,
                channel=Order.Channel.FHIR,
            )
    except DomainError as error:
        return _domain_outcome(error, creating=True)
    order = _orders(user).get(pk=order.pk)
    location = request.build_absolute_uri(reverse("fhir:supplyrequest", kwargs={"order_id": order.pk}))
    return _respond(r.supply_request(order), 201, {"Location": location})


# --- SupplyDelivery -------------------------------------------------------------------------


def _items(user: User) -> QuerySet[ShipmentItem]:
    return ShipmentItem.objects.filter(shipment__in=access.shipments_visible(user)).select_related(
        "shipment", "shipment__hospital", "unit"
    )


def _delivery_read(request: HttpRequest, user: User, item_id: str) -> HttpResponse:
    item = one_or_404(_items(user), item_id, "SupplyDelivery")
    return _respond(r.supply_delivery(item))


def _delivery_search(request: HttpRequest, user: User) -> HttpResponse:
    parameters = _search_parameters(request, ("based-on",))
    items = _items(user)
    if "based-on" in parameters:
        order_ids = []
        for value in parameters["based-on"]:
            text = value.strip().removeprefix("SupplyRequest/")
            if not text.isdigit():
                raise FhirInputError(
                    f"based-on: {value} is not SupplyRequest/<id> or <id>", expression="based-on"
                )
            order_ids.append(int(text))
        items = items.filter(shipment__order_id__in=order_ids)
    found = [r.supply_delivery(item) for item in items.order_by("shipment_id", "pk")]
    return _respond(r.searchset(_base_url(request), found))


metadata = _endpoint({"GET": _metadata}, public=True)
biologically_derived_product = _endpoint({"GET": _unit_read})
biologically_derived_products = _endpoint({"GET": _unit_search})
supply_request = _endpoint({"GET": _order_read})
supply_requests = _endpoint({"GET": _order_search, "POST": _order_create})
supply_delivery = _endpoint({"GET": _delivery_read})
supply_deliveries = _endpoint({"GET": _delivery_search})
