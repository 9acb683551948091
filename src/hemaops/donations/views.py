"""Pages of DIN label stock: the stock list, the receive form, and the chair's scan page
(which also generates DINs for sites that print their own).

Views are not atomic: each write is one service call, its own transaction.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from hemaops.core.errors import DomainError
from hemaops.core.pages import field_message, form_error, page_actor, permission_page
from hemaops.donations import selectors, services
from hemaops.donations.forms import DinGenerateForm, DinScanForm, DinStockForm


@permission_page("donations.view_din_label_stock")
def din_stock_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "donations/din_stock_list.html",
        {"stocks": selectors.din_stock_list(), "issued": selectors.issued_din_list_recent()},
    )


@permission_page("donations.receive_din_label_stock")
def din_stock_receive(request: HttpRequest) -> HttpResponse:
    form = DinStockForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stock = services.din_stock_receive(
                actor=page_actor(request),
                site=data["site"],
                year=data["year"],
                first_sequence=data["first_sequence"],
                last_sequence=data["last_sequence"],
                received_on=data["received_on"],
                lot=data["lot"],
                notes=data["notes"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"Label stock {stock} received.")
            return redirect("donations:din_stock_list")
    return render(request, "donations/din_stock_receive.html", {"form": form})


def _scan_page(
    request: HttpRequest, scan_form: DinScanForm, generate_form: DinGenerateForm | None = None
) -> HttpResponse:
    actor = page_actor(request)
    result = None
    if request.GET.get("issued", "").isdigit():
        issued = selectors.issued_din_get(int(request.GET["issued"]))
        if issued is not None:
            result = {"issued": issued, "din": selectors.issued_din_parts(issued)}
    can_generate = actor.has_perm("donations.generate_din")
    if generate_form is None and can_generate:
        generate_form = DinGenerateForm(initial={"year": f"{timezone.localdate():%y}"}, prefix="generate")
    return render(
        request,
        "donations/din_scan.html",
        {"form": scan_form, "generate_form": generate_form if can_generate else None, "result": result},
    )


def _show_issued(pk: int) -> HttpResponse:
    return redirect(f"{reverse('donations:din_scan')}?issued={pk}")


@permission_page("donations.claim_din")
def din_scan(request: HttpRequest) -> HttpResponse:
    form = DinScanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.din_claim_scanned(
                actor=page_actor(request), site=form.cleaned_data["site"], raw=form.cleaned_data["din"]
            )
        except DomainError as error:
            # Every refusal names why; the DIN parts the library read are not claimed.
            form.add_error("din", field_message(error))
        else:
            messages.success(request, f"DIN {result.din.eye_readable} claimed.")
            return _show_issued(result.issued.pk)
    return _scan_page(request, form)


@require_POST
@permission_page("donations.generate_din")
def din_generate(request: HttpRequest) -> HttpResponse:
    form = DinGenerateForm(request.POST, prefix="generate")
    if form.is_valid():
        try:
            result = services.din_generate(
                actor=page_actor(request), site=form.cleaned_data["site"], year=form.cleaned_data["year"]
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"DIN {result.din.eye_readable} generated.")
            return _show_issued(result.issued.pk)
    return _scan_page(request, DinScanForm(), form)
