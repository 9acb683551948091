"""Pages of the distribution context, for the distribution clerk and for hospital users (the
hospital portal is these same pages, narrowed by the access gates to the user's hospital:
DESIGN.md invariant 6). Orders and the fill worklist, placing an order, allocation,
shipments with their scan-verified pick list, receipt, dispositions, returns, standing
orders and the hospital's usage report.

Every object is loaded through ``distribution.access`` (another hospital's record is a 404
and nothing changes); each POST checks its permission and calls exactly one service; a
refusal is shown on the field it names and the page answers 200 with nothing changed."""

from __future__ import annotations

import json
import re
import zoneinfo
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hemaops.core.charts import Series, stacked_bars
from hemaops.core.errors import DomainError
from hemaops.core.models import Hospital
from hemaops.core.pages import field_message, form_error, page_actor, permission_page
from hemaops.distribution import selectors, services
from hemaops.distribution.access import (
    VIEW_ORDER,
    VIEW_SHIPMENT,
    VIEW_STANDING_ORDER,
    access_hospital_for_order,
    access_item_by_id,
    access_order_by_id,
    access_shipment_by_id,
)
from hemaops.distribution.forms import (
    CancelForm,
    DispositionForm,
    OrderForm,
    ReceiveForm,
    ReportForm,
    ReturnForm,
    ScanForm,
    StandingOrderForm,
    line_formset,
)
from hemaops.distribution.models import Order, Shipment
from hemaops.distribution.rules import RETURN_REASONS

PLACE_ORDER = "distribution.place_order"
ALLOCATE_ORDER = "distribution.allocate_order"
SHIP_ORDER = "distribution.ship_order"
CONFIRM_RECEIPT = "distribution.confirm_receipt"
RECORD_RETURN = "distribution.record_return"
REPORT_DISPOSITION = "distribution.report_disposition"
ADD_STANDING_ORDER = "distribution.add_standingorder"

#: ``lines[2].quantity`` or ``lines.2.quantity``: a service's field on one order line.
_LINE_FIELD = re.compile(r"^lines(?:\[(\d+)\]|\.(\d+))\.?(\w*)$")
#: The service's line field names that the line form names otherwise.
_LINE_FORM_FIELDS = {"product_code": "product"}


def lines_error(formset: Any, used: list[Any], error: DomainError, form: Any) -> None:
    """Put a service's refusal on the line form it names (``lines[i].field``), else on the
    order form. ``used`` are the line forms that became the service's lines, in order."""
    match = _LINE_FIELD.match(error.field or "")
    if match:
        index = int(match.group(1) or match.group(2))
        name = _LINE_FORM_FIELDS.get(match.group(3), match.group(3))
        if index < len(used):
            line_form = used[index]
            line_form.add_error(name if name in line_form.fields else None, field_message(error))
            return
    form_error(form, error, {"lines": "__all__"})


def _order_form_page(request: HttpRequest, form: OrderForm, formset: Any) -> HttpResponse:
    return render(request, "distribution/order_new.html", {"form": form, "formset": formset})


# --- orders ---------------------------------------------------------------------------------


@permission_page(VIEW_ORDER)
def order_list(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    status = request.GET.get("status") or None
    if status not in {None, *Order.Status.values}:
        status = None
    return render(
        request,
        "distribution/order_list.html",
        {
            "orders": selectors.order_list(actor, status=status)[:500],
            "status": status,
            "statuses": Order.Status.choices,
            "show_hospital": actor.hospital_id is None,
            "can_place": actor.has_perm(PLACE_ORDER),
            "can_allocate": actor.has_perm(ALLOCATE_ORDER),
        },
    )


@require_POST
@permission_page(ALLOCATE_ORDER)
def orders_allocate(request: HttpRequest) -> HttpResponse:
    """The allocation run from the order list: every open order, STAT first."""
    run = services.orders_allocate(actor=page_actor(request))
    text = f"Allocation run: {run.units} unit(s) to {run.orders} order(s)."
    messages.success(request, f"{text} {run.short_lines} line(s) still short." if run.short_lines else text)
    return redirect("distribution:order_list")


def _on_hospital_clock(typed: datetime | None, hospital: Hospital) -> datetime | None:
    """The form read the typed time on the page's clock; a "needed by" is on the hospital's
    (the same clock for its own users, not for a clerk ordering on its behalf)."""
    if typed is None:
        return None
    return timezone.make_naive(typed).replace(tzinfo=zoneinfo.ZoneInfo(hospital.time_zone))


@permission_page(PLACE_ORDER)
def order_new(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    if request.method != "POST":
        return _order_form_page(request, OrderForm(user=actor), line_formset(actor))
    form = OrderForm(request.POST, user=actor)
    formset = line_formset(actor, request.POST)
    if form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        used = formset.used_forms()
        try:
            if actor.hospital_id is not None:
                hospital = access_hospital_for_order(actor, actor.hospital_id)
            else:
                hospital = access_hospital_for_order(actor, data["hospital"].pk)
            order = services.order_place(
                actor=actor,
                hospital=hospital,
                lines=[line.line_input() for line in used],
                priority=data["priority"],
                needed_by=_on_hospital_clock(data["needed_by"], hospital),
                delivery=data["delivery"],
                note=data["note"],
                channel=Order.Channel.PORTAL if actor.hospital_id is not None else Order.Channel.STAFF,
            )
        except DomainError as error:
            lines_error(formset, used, error, form)
        else:
            messages.success(request, f"Order {order.number} placed.")
            return redirect("distribution:order_detail", pk=order.pk)
    return _order_form_page(request, form, formset)


def _order_page(request: HttpRequest, order: Order, *, cancel_form: CancelForm | None = None) -> HttpResponse:
    actor = page_actor(request)
    order = selectors.order_detail(order)
    return render(
        request,
        "distribution/order_detail.html",
        {
            "order": order,
            "show_hospital": actor.hospital_id is None,
            "shipments": [s for s in order.shipments.all() if s.hospital_id == order.hospital_id],
            "can_allocate": actor.has_perm(ALLOCATE_ORDER),
            "can_ship": actor.has_perm(SHIP_ORDER),
            "can_cancel": actor.has_perm(PLACE_ORDER),
            "cancel_form": cancel_form or CancelForm(auto_id="id_cancel_%s"),
        },
    )


@permission_page(VIEW_ORDER)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_page(request, access_order_by_id(page_actor(request), pk))


@require_POST
@permission_page(ALLOCATE_ORDER)
def order_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    order = access_order_by_id(actor, pk)
    try:
        result = services.order_allocate(actor=actor, order=order)
    except DomainError as error:
        messages.error(request, field_message(error))
    else:
        short = sum(result.short.values())
        text = f"Allocated {len(result.allocated)} unit(s)."
        messages.success(request, f"{text} {short} still missing." if short else text)
    return redirect("distribution:order_detail", pk=order.pk)


@require_POST
@permission_page(PLACE_ORDER)
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    order = access_order_by_id(actor, pk)
    form = CancelForm(request.POST, auto_id="id_cancel_%s")
    if form.is_valid():
        try:
            services.order_cancel(actor=actor, order=order, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"Order {order.number} cancelled.")
            return redirect("distribution:order_detail", pk=order.pk)
    return _order_page(request, order, cancel_form=form)


@require_POST
@permission_page(SHIP_ORDER)
def shipment_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    order = access_order_by_id(actor, pk)
    try:
        shipment = services.shipment_create(actor=actor, order=order)
    except DomainError as error:
        messages.error(request, field_message(error))
        return redirect("distribution:order_detail", pk=order.pk)
    messages.success(request, f"Shipment {shipment.number} created: scan its units.")
    return redirect("distribution:shipment_detail", pk=shipment.pk)


# --- shipments ------------------------------------------------------------------------------


@permission_page(VIEW_SHIPMENT)
def shipment_list(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    status = request.GET.get("status") or None
    if status not in {None, *Shipment.Status.values}:
        status = None
    return render(
        request,
        "distribution/shipment_list.html",
        {
            "shipments": selectors.shipment_list(actor, status=status)[:500],
            "status": status,
            "statuses": Shipment.Status.choices,
            "show_hospital": actor.hospital_id is None,
        },
    )


def _shipment_page(
    request: HttpRequest,
    shipment: Shipment,
    *,
    scan_form: ScanForm | None = None,
    receive_form: ReceiveForm | None = None,
    disposition_forms: dict[int, DispositionForm] | None = None,
    return_forms: dict[int, ReturnForm] | None = None,
    refusals: list[str] | None = None,
    last_scan: str = "",
) -> HttpResponse:
    """The shipment's page; to htmx's scan only its pick list and scan form (``#pick``)."""
    actor = page_actor(request)
    shipment = selectors.shipment_detail(shipment)
    can_dispose = actor.has_perm(REPORT_DISPOSITION)
    can_return = actor.has_perm(RECORD_RETURN)
    shipped = shipment.status != Shipment.Status.PACKING
    rows = []
    for item in shipment.items.all():
        returned = getattr(item, "unit_return", None)  # the reverse one-to-one raises when absent
        rows.append(
            {
                "item": item,
                "unit_return": returned,
                "reasons": _return_reasons(returned),
                "disposition_form": (disposition_forms or {}).get(item.pk)
                or DispositionForm(auto_id=f"id_disposition_{item.pk}_%s")
                if can_dispose and shipped and not item.hospital_disposition and returned is None
                else None,
                "return_form": (return_forms or {}).get(item.pk)
                or ReturnForm(auto_id=f"id_return_{item.pk}_%s")
                if can_return and shipped and returned is None and item.hospital_disposition != "transfused"
                else None,
            }
        )
    scanned = sum(1 for row in rows if row["item"].scanned_at)
    template = "distribution/shipment_detail.html"
    return render(
        request,
        f"{template}#pick" if request.headers.get("HX-Request") else template,
        {
            "shipment": shipment,
            "rows": rows,
            "scanned": scanned,
            "show_hospital": actor.hospital_id is None,
            "can_ship": actor.has_perm(SHIP_ORDER) and shipment.status == Shipment.Status.PACKING,
            "can_receive": actor.has_perm(CONFIRM_RECEIPT) and shipment.status == Shipment.Status.SHIPPED,
            "scan_form": scan_form or ScanForm(auto_id="id_scan_%s"),
            "receive_form": receive_form or ReceiveForm(auto_id="id_receive_%s"),
            "refusals": refusals or [],
            "last_scan": last_scan,
        },
    )


def _return_reasons(unit_return: Any) -> list[str]:
    if unit_return is None:
        return []
    return [RETURN_REASONS.get(code, code) for code in unit_return.reasons]


@permission_page(VIEW_SHIPMENT)
def shipment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _shipment_page(request, access_shipment_by_id(page_actor(request), pk))


@require_POST
@permission_page(SHIP_ORDER)
def scan_unit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    shipment = access_shipment_by_id(actor, pk)
    form = ScanForm(request.POST, auto_id="id_scan_%s")
    if form.is_valid():
        try:
            item = services.shipment_scan(actor=actor, shipment=shipment, scans=form.cleaned_data["scans"])
        except DomainError as error:
            form_error(form, error, {"scans": "scans", "unit": "scans", "din": "scans"})
        else:
            scanned = f"Scanned {item.unit.din} {item.unit.product_code}."
            if request.headers.get("HX-Request"):
                return _shipment_page(request, shipment, last_scan=scanned)
            messages.success(request, scanned)
            return redirect("distribution:shipment_detail", pk=shipment.pk)
    return _shipment_page(request, shipment, scan_form=form)


@require_POST
@permission_page(SHIP_ORDER)
def shipment_ship(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    shipment = access_shipment_by_id(actor, pk)
    try:
        services.shipment_ship(actor=actor, shipment=shipment)
    except DomainError as error:
        return _shipment_page(request, shipment, refusals=[field_message(error)])
    messages.success(request, f"Shipment {shipment.number} shipped.")
    return redirect("distribution:shipment_detail", pk=shipment.pk)


@require_POST
@permission_page(CONFIRM_RECEIPT)
def shipment_receive(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    shipment = access_shipment_by_id(actor, pk)
    form = ReceiveForm(request.POST, auto_id="id_receive_%s")
    if form.is_valid():
        try:
            services.shipment_receive(actor=actor, shipment=shipment, note=form.cleaned_data["note"])
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"Shipment {shipment.number} received.")
            return redirect("distribution:shipment_detail", pk=shipment.pk)
    return _shipment_page(request, shipment, receive_form=form)


def _packing_list_pdf() -> Any:
    # Imported when used: the PDF renderer pulls in the PDF library, which the other pages do not need.
    from hemaops.distribution.packing_pdf import packing_list_pdf as render_pdf

    return render_pdf


def _shipment_manifest() -> Any:
    from hemaops.distribution.manifest import shipment_manifest as build_manifest

    return build_manifest


@permission_page(VIEW_SHIPMENT)
def packing_list_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = access_shipment_by_id(page_actor(request), pk)
    render_pdf = _packing_list_pdf()
    response = HttpResponse(render_pdf(shipment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{shipment.number}-packing-list.pdf"'
    return response


@permission_page(VIEW_SHIPMENT)
def shipment_manifest(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = access_shipment_by_id(page_actor(request), pk)
    manifest = _shipment_manifest()(shipment)
    body = manifest if isinstance(manifest, str | bytes) else json.dumps(manifest, indent=2, default=str)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{shipment.number}-manifest.json"'
    return response


# --- shipped items ----------------------------------------------------------------------------


@require_POST
@permission_page(REPORT_DISPOSITION)
def item_disposition(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    item = access_item_by_id(actor, pk)
    form = DispositionForm(request.POST, auto_id=f"id_disposition_{item.pk}_%s")
    if form.is_valid():
        try:
            services.disposition_report(
                actor=actor,
                item=item,
                disposition=form.cleaned_data["disposition"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"Reported {item.unit.din} {form.cleaned_data['disposition']}.")
            return redirect("distribution:shipment_detail", pk=item.shipment_id)
    return _shipment_page(request, item.shipment, disposition_forms={item.pk: form})


@require_POST
@permission_page(RECORD_RETURN)
def item_return(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    item = access_item_by_id(actor, pk)
    form = ReturnForm(request.POST, auto_id=f"id_return_{item.pk}_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            unit_return = services.unit_return_record(
                actor=actor,
                item=item,
                returned_at=data["returned_at"],
                container_validated=data["container_validated"],
                lowest_c=data["lowest_c"],
                highest_c=data["highest_c"],
                seal_intact=data["seal_intact"],
                note=data["note"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            decision = "may be reissued" if unit_return.reissue else "may not be reissued"
            messages.success(request, f"Return of {item.unit.din} recorded: {decision}.")
            return redirect("distribution:shipment_detail", pk=item.shipment_id)
    return _shipment_page(request, item.shipment, return_forms={item.pk: form})


# --- standing orders ----------------------------------------------------------------------------


def _standing_page(
    request: HttpRequest, form: StandingOrderForm | None = None, formset: Any = None
) -> HttpResponse:
    actor = page_actor(request)
    can_add = actor.has_perm(ADD_STANDING_ORDER)
    return render(
        request,
        "distribution/standing_orders.html",
        {
            "standing_orders": selectors.standing_order_list(actor),
            "show_hospital": actor.hospital_id is None,
            "form": (form or StandingOrderForm(user=actor)) if can_add else None,
            "formset": (formset or line_formset(actor)) if can_add else None,
        },
    )


@permission_page(VIEW_STANDING_ORDER)
def standing_order_list(request: HttpRequest) -> HttpResponse:
    return _standing_page(request)


@require_POST
@permission_page(ADD_STANDING_ORDER)
def standing_order_new(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    form = StandingOrderForm(request.POST, user=actor)
    formset = line_formset(actor, request.POST)
    if form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        used = formset.used_forms()
        try:
            hospital_id = actor.hospital_id if actor.hospital_id is not None else data["hospital"].pk
            hospital = access_hospital_for_order(actor, hospital_id)
            standing = services.standing_order_create(
                actor=actor,
                hospital=hospital,
                name=data["name"],
                weekdays=data["weekdays"],
                lines=[line.line_input() for line in used],
                delivery=data["delivery"],
            )
        except DomainError as error:
            lines_error(formset, used, error, form)
        else:
            messages.success(request, f"Standing order {standing.name} created.")
            return redirect("distribution:standing_order_list")
    return _standing_page(request, form, formset)


# --- the hospital's report ------------------------------------------------------------------------


@permission_page(VIEW_ORDER)
def hospital_report(request: HttpRequest) -> HttpResponse:
    """A hospital user's own hospital; staff choose one."""
    actor = page_actor(request)
    form = ReportForm(request.GET or None)
    months = 12
    hospital: Hospital | None = None
    if actor.hospital_id is not None:
        hospital = actor.hospital
        if form.is_bound and form.is_valid():
            months = form.cleaned_data["months"]
        form = None
    elif form.is_bound and form.is_valid():
        hospital = form.cleaned_data["hospital"]
        months = form.cleaned_data["months"]
    if hospital is None and actor.hospital_id is not None:
        raise Http404("No hospital.")
    report = selectors.hospital_report(hospital, months) if hospital is not None else None
    chart = None
    if report is not None and report.rows:
        categories = [f"{row.month:%Y-%m} {row.product_class.replace('_', ' ')}" for row in report.rows]
        chart = stacked_bars(
            f"Units received by {hospital} and what became of them",
            categories,
            [
                Series(fate.replace("_", " "), [row.fates.get(fate, 0) for row in report.rows])
                for fate in selectors.FATES
            ],
        )
    return render(
        request,
        "distribution/hospital_report.html",
        {
            "form": form,
            "hospital": hospital,
            "report": report,
            "chart": chart,
            "fates": [fate.replace("_", " ") for fate in selectors.FATES],
        },
    )
