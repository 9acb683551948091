"""Pages of the components context: the processing worklist (collect, process, pool), a
unit's chain from donor to fate with its actions (label print and verification, the gate,
storage, holds, discard), the stock board and pick list, storage with temperature files and
excursions, and the product catalogue.

Each write is one service call; a refusal is shown on the field it names and the page
answers 200 with nothing changed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hemaops.components import (
    catalogue_services,
    inventory_services,
    label_services,
    manufacturing_services,
    selectors,
    storage_services,
)
from hemaops.components.access import (
    VIEW_UNIT,
    access_donation_by_din,
    access_excursion_by_id,
    access_hold_by_id,
    access_location_by_id,
    access_unit_by_code,
    access_unit_by_id,
)
from hemaops.components.errors import ComponentsConflictError
from hemaops.components.forms import (
    CollectForm,
    DiscardForm,
    ExcursionDecisionForm,
    FileForm,
    PickForm,
    PoolForm,
    ProcessForm,
    ReasonForm,
    StoreForm,
    VerifyForm,
)
from hemaops.components.labels import content_digest, label_pdf, label_zpl
from hemaops.components.models import Catalogue, Product, TemperatureReading, Unit
from hemaops.core.charts import Series, stacked_bars
from hemaops.core.errors import DomainError
from hemaops.core.pages import errors_of_rows_gone, field_message, form_error, page_actor, permission_page

READINGS_SHOWN = 200


def _process_form(unit: Unit, data: Any = None) -> ProcessForm:
    return ProcessForm(data, made_from=unit.product, auto_id=f"id_process_{unit.pk}_%s")


# --- the processing worklist ------------------------------------------------------------------


def _worklist_page(
    request: HttpRequest,
    *,
    collect_form: CollectForm | None = None,
    pool_form: PoolForm | None = None,
) -> HttpResponse:
    can_make = page_actor(request).has_perm(manufacturing_services.PERMISSION)
    rows = [
        {"item": item, "form": _process_form(item.unit) if can_make else None}
        for item in selectors.processing_worklist()
    ]
    return render(
        request,
        "components/worklist.html",
        {
            "rows": rows,
            "collect_form": (collect_form or CollectForm()) if can_make else None,
            "pool_form": (pool_form or PoolForm(auto_id="id_pool_%s")) if can_make else None,
        },
    )


@permission_page(VIEW_UNIT)
def worklist(request: HttpRequest) -> HttpResponse:
    return _worklist_page(request)


@require_POST
@permission_page(manufacturing_services.PERMISSION)
def units_collect(request: HttpRequest) -> HttpResponse:
    """The units a collection yields, from its DIN and a product its procedure collects."""
    actor = page_actor(request)
    form = CollectForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            donation = access_donation_by_din(actor, data["din"])
            units = manufacturing_services.units_collect(
                actor=actor,
                donation=donation,
                product=data["product"],
                parts=data["parts"],
                volume_ml=data["volume_ml"],
            )
        except DomainError as error:
            form_error(form, error, {"donation": "din"})
        else:
            messages.success(request, f"Collected: {', '.join(str(unit) for unit in units)}.")
            return redirect("components:worklist")
    return _worklist_page(request, collect_form=form)


@require_POST
@permission_page(manufacturing_services.PERMISSION)
def units_pool(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    form = PoolForm(request.POST, auto_id="id_pool_%s")
    if form.is_valid():
        try:
            members = [access_unit_by_code(actor, din, code) for din, code in form.cleaned_data["units"]]
            pool = manufacturing_services.units_pool(
                actor=actor, units=members, product=form.cleaned_data["product"]
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"Pooled into {pool}.")
            return redirect("components:unit_detail", pk=pool.pk)
    return _worklist_page(request, pool_form=form)


@require_POST
@permission_page(manufacturing_services.PERMISSION)
def unit_process(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    unit = access_unit_by_id(actor, pk)
    form = _process_form(unit, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = manufacturing_services.unit_process(
                actor=actor,
                unit=unit,
                products=list(data["products"]),
                parts=data["parts"],
                volume_ml=data["volume_ml"],
            )
        except DomainError as error:
            form_error(form, error, {"unit": "products", "occurred_at": "products"})
        else:
            messages.success(request, f"Made from {unit}: {', '.join(str(child) for child in made)}.")
            return redirect("components:worklist")
    return _detail(request, unit, process_form=form)


# --- a unit -------------------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    unit: Unit,
    *,
    refusals: list[str] | None = None,
    process_form: ProcessForm | None = None,
    store_form: StoreForm | None = None,
    hold_form: ReasonForm | None = None,
    discard_form: DiscardForm | None = None,
    quarantine_form: ReasonForm | None = None,
    lift_forms: dict[int, ReasonForm] | None = None,
) -> HttpResponse:
    unit.refresh_from_db()
    chain = selectors.unit_chain(unit)
    lift_forms = lift_forms or {}
    holds = [
        {
            "hold": hold,
            "form": (lift_forms.get(hold.pk) or ReasonForm(auto_id=f"id_lift_{hold.pk}_%s"))
            if hold.lifted_at is None
            else None,
        }
        for hold in chain.holds
    ]
    return render(
        request,
        "components/unit_detail.html",
        {
            "chain": chain,
            "unit": unit,
            "holds": holds,
            "refusals": refusals or [],
            "process_form": process_form or _process_form(unit),
            "store_form": store_form or StoreForm(auto_id="id_store_%s"),
            "hold_form": hold_form or ReasonForm(auto_id="id_hold_%s"),
            "discard_form": discard_form or DiscardForm(auto_id="id_discard_%s"),
            "quarantine_form": quarantine_form or ReasonForm(auto_id="id_quarantine_%s"),
            "label_current": _label_current(unit),
        },
    )


def _label_current(unit: Unit) -> bool:
    """The label printed still says what the record says (so it may be downloaded)."""
    if not unit.label_digest:
        return False
    try:
        return content_digest(label_services.unit_label_content(unit)) == unit.label_digest
    except DomainError:
        return False


@permission_page(VIEW_UNIT)
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, access_unit_by_id(page_actor(request), pk))


def _one_step(request: HttpRequest, unit: Unit, done: str, step: Any) -> HttpResponse:
    """A move with nothing to type: a refusal is listed at the top of the unit's page."""
    try:
        step()
    except DomainError as error:
        return _detail(request, unit, refusals=[field_message(error)])
    messages.success(request, done)
    return redirect("components:unit_detail", pk=unit.pk)


@require_POST
@permission_page("components.label_unit")
def label_print(request: HttpRequest, pk: int) -> HttpResponse:
    """Records the print (binds the unit to the label's digest); the page then offers the
    PDF and ZPL, rendered from that same content."""
    actor = page_actor(request)
    unit = access_unit_by_id(actor, pk)
    return _one_step(
        request,
        unit,
        f"Label of {unit} recorded as printed: download it below, then scan it back.",
        lambda: label_services.unit_label_print(actor=actor, unit=unit),
    )


def _printed_content(request: HttpRequest, pk: int) -> Any:
    unit = access_unit_by_id(page_actor(request), pk)
    if not unit.label_digest:
        raise ComponentsConflictError(
            f"unit {unit}: print the label first", code="label_not_printed", field="unit"
        )
    content = label_services.unit_label_content(unit)
    if content_digest(content) != unit.label_digest:
        raise ComponentsConflictError(
            f"unit {unit}: the record changed since the label was printed; print it again",
            code="label_outdated",
            field="unit",
        )
    return unit, content


def _download_refused(error: DomainError) -> HttpResponse:
    return HttpResponse(field_message(error), status=error.status, content_type="text/plain; charset=utf-8")


@permission_page("components.label_unit")
def label_download_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        unit, content = _printed_content(request, pk)
    except ComponentsConflictError as error:
        return _download_refused(error)
    response = HttpResponse(label_pdf(content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{unit.din}-{unit.product_code}.pdf"'
    return response


@permission_page("components.label_unit")
def label_download_zpl(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        unit, content = _printed_content(request, pk)
    except ComponentsConflictError as error:
        return _download_refused(error)
    response = HttpResponse(label_zpl(content), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{unit.din}-{unit.product_code}.zpl"'
    return response


@permission_page("components.label_unit")
def label_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Scan each of the label's four bar codes back; a mismatch is kept on record and shown."""
    actor = page_actor(request)
    unit = access_unit_by_id(actor, pk)
    form = VerifyForm(request.POST or None)
    mismatches: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            label_services.unit_label_verify(actor=actor, unit=unit, scans=form.scans())
        except ComponentsConflictError as error:
            if error.code != "label_mismatch":
                form_error(form, error)
            else:
                scan = unit.label_scans.order_by("-scanned_at", "-pk").first()
                mismatches = [m["message"] for m in scan.mismatches] if scan else [field_message(error)]
                form.add_error(None, "The label does not match the record; it is not verified.")
        except DomainError as error:
            form_error(form, error, {"scans": "din"})
        else:
            messages.success(request, f"Label of {unit} verified.")
            return redirect("components:unit_detail", pk=pk)
    return render(
        request, "components/label_verify.html", {"unit": unit, "form": form, "mismatches": mismatches}
    )


@require_POST
@permission_page("components.move_unit")
def unit_available(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    unit = access_unit_by_id(actor, pk)
    return _one_step(
        request,
        unit,
        f"{unit} is available.",
        lambda: inventory_services.unit_make_available(actor=actor, unit=unit),
    )


@require_POST
@permission_page("components.move_unit")
def unit_store(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    unit = access_unit_by_id(actor, pk)
    form = StoreForm(request.POST, auto_id="id_store_%s")
    if form.is_valid():
        try:
            inventory_services.unit_store(actor=actor, unit=unit, location=form.cleaned_data["location"])
        except DomainError as error:
            form_error(form, error, {"unit": "location"})
        else:
            messages.success(request, f"{unit} stored in {form.cleaned_data['location']}.")
            return redirect("components:unit_detail", pk=pk)
    return _detail(request, unit, store_form=form)


@require_POST
@permission_page("components.hold_unit")
def unit_hold(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    unit = access_unit_by_id(actor, pk)
    form = ReasonForm(request.POST, auto_id="id_hold_%s")
    if form.is_valid():
        try:
            inventory_services.unit_hold_place(actor=actor, unit=unit, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"{unit} is on hold.")
            return redirect("components:unit_detail", pk=pk)
    return _detail(request, unit, hold_form=form)


@require_POST
@permission_page("components.hold_unit")
def hold_lift(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    hold = access_hold_by_id(actor, pk)
    unit = access_unit_by_id(actor, hold.unit_id)
    form = ReasonForm(request.POST, auto_id=f"id_lift_{pk}_%s")
    if form.is_valid():
        try:
            inventory_services.unit_hold_lift(actor=actor, hold=hold, reason=form.cleaned_data["reason"])
        except DomainError as error:
            if error.field not in form.fields:
                return _detail(request, unit, refusals=[field_message(error)])
            form_error(form, error)
        else:
            messages.success(request, f"Hold on {unit} lifted.")
            return redirect("components:unit_detail", pk=unit.pk)
    return _detail(request, unit, lift_forms={pk: form})


@require_POST
@permission_page("components.move_unit")
def unit_discard(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    unit = access_unit_by_id(actor, pk)
    form = DiscardForm(request.POST, auto_id="id_discard_%s")
    if form.is_valid():
        try:
            inventory_services.unit_dispose(
                actor=actor,
                unit=unit,
                disposition=form.cleaned_data["disposition"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form_error(form, error, {"unit": "disposition"})
        else:
            messages.success(request, f"{unit}: {form.cleaned_data['disposition'].replace('_', ' ')}.")
            return redirect("components:unit_detail", pk=pk)
    return _detail(request, unit, discard_form=form)


@require_POST
@permission_page("components.move_unit")
def unit_quarantine(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    unit = access_unit_by_id(actor, pk)
    form = ReasonForm(request.POST, auto_id="id_quarantine_%s")
    if form.is_valid():
        try:
            inventory_services.unit_quarantine(actor=actor, unit=unit, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"{unit} is quarantined.")
            return redirect("components:unit_detail", pk=pk)
    return _detail(request, unit, quarantine_form=form)


# --- stock ------------------------------------------------------------------------------------


def stock_rows(board: selectors.StockBoard) -> tuple[list[dict[str, Any]], Any]:
    """The board as rows product × ABO/RhD with a count per band, and its chart."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    per_product: dict[str, dict[str, int]] = {}
    for cell in board.cells:
        key = (cell.product_code, cell.abo, cell.rhd)
        row = rows.setdefault(
            key,
            {
                "product_code": cell.product_code,
                "description": cell.product_description,
                "abo": cell.abo,
                "rhd": cell.rhd,
                "bands": dict.fromkeys(selectors.BANDS, 0),
                "total": 0,
            },
        )
        row["bands"][cell.band] += cell.units
        row["total"] += cell.units
        bands = per_product.setdefault(cell.product_code, dict.fromkeys(selectors.BANDS, 0))
        bands[cell.band] += cell.units
    for row in rows.values():
        row["counts"] = [row["bands"][band] for band in selectors.BANDS]
    products = sorted(per_product)
    chart = stacked_bars(
        "Available units by product and days to expiry",
        products,
        [Series(f"{band} days", [per_product[code][band] for code in products]) for band in selectors.BANDS],
    )
    return [rows[key] for key in sorted(rows)], chart


@permission_page(VIEW_UNIT)
def stock_board(request: HttpRequest) -> HttpResponse:
    board = selectors.stock_board(at=timezone.now())
    rows, chart = stock_rows(board)
    codes = sorted(set(board.quarantined_by_product) | set(board.held_by_product))
    return render(
        request,
        "components/stock.html",
        {
            "board": board,
            "bands": selectors.BANDS,
            "rows": rows,
            "chart": chart,
            "waiting": [
                (code, board.quarantined_by_product.get(code, 0), board.held_by_product.get(code, 0))
                for code in codes
            ],
            "pick_form": PickForm(),
        },
    )


@permission_page(VIEW_UNIT)
def pick_list(request: HttpRequest) -> HttpResponse:
    form = PickForm(request.GET or None)
    units: list[Unit] | None = None
    if form.is_valid():
        data = form.cleaned_data
        if not Product.objects.filter(code=data["product"]).exists():
            form.add_error("product", f"No product has code {data['product']}.")
        else:
            units = selectors.pick_list(
                product=data["product"],
                abo=data["abo"],
                rhd=data["rhd"],
                count=data["count"],
                at=timezone.now(),
            )
    return render(request, "components/pick_list.html", {"form": form, "units": units})


# --- storage ------------------------------------------------------------------------------------


@permission_page("components.view_storagelocation")
def storage(request: HttpRequest) -> HttpResponse:
    return render(request, "components/storage.html", {"rows": selectors.locations_with_occupancy()})


def _location_page(
    request: HttpRequest, location: Any, form: FileForm | None = None, errors: list[Any] | None = None
) -> HttpResponse:
    readings = list(
        TemperatureReading.objects.filter(location=location).order_by("-recorded_at")[:READINGS_SHOWN]
    )
    return render(
        request,
        "components/location_detail.html",
        {
            "location": location,
            "readings": readings,
            "excursions": list(location.excursions.order_by("-started_at")[:50]),
            "imports": list(location.imports.select_related("imported_by")[:20]),
            "form": form or FileForm(),
            "errors": errors or [],
        },
    )


@permission_page("components.view_storagelocation")
def location_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _location_page(request, access_location_by_id(page_actor(request), pk))


@require_POST
@permission_page("components.import_temperatures")
def temperatures_import(request: HttpRequest, pk: int) -> HttpResponse:
    """A refused file lists every line and field at fault; nothing is saved."""
    actor = page_actor(request)
    location = access_location_by_id(actor, pk)
    form = FileForm(request.POST, request.FILES)
    errors: list[Any] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = storage_services.temperatures_import(
                actor=actor, location=location, filename=upload.name, data=upload.read()
            )
        except storage_services.TemperatureImportError as error:
            errors = list(error.errors)
            form.add_error("file", f"Refused: {len(errors)} error(s), listed below. Nothing was imported.")
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                f"{batch.filename}: {batch.reading_count} readings imported, "
                f"{batch.excursion_count} excursion(s).",
            )
            return redirect("components:location_detail", pk=pk)
    return _location_page(request, location, form, errors)


def _excursions_page(
    request: HttpRequest, bound: dict[int, ExcursionDecisionForm] | None = None
) -> HttpResponse:
    can_decide = page_actor(request).has_perm("components.decide_excursion")
    rows = [
        {
            "excursion": excursion,
            "form": ((bound or {}).get(excursion.pk) or _decision_form(excursion.pk)) if can_decide else None,
        }
        for excursion in selectors.excursions_pending()
    ]
    shown = {row["excursion"].pk for row in rows}
    refusals = errors_of_rows_gone(bound, shown)
    return render(request, "components/excursions.html", {"rows": rows, "refusals": refusals})


def _decision_form(pk: int, data: Any = None) -> ExcursionDecisionForm:
    return ExcursionDecisionForm(data, auto_id=f"id_excursion_{pk}_%s")


@permission_page("components.view_temperatureexcursion")
def excursions(request: HttpRequest) -> HttpResponse:
    return _excursions_page(request)


@require_POST
@permission_page("components.decide_excursion")
def excursion_decide(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    excursion = access_excursion_by_id(actor, pk)
    form = _decision_form(pk, request.POST)
    if form.is_valid():
        try:
            storage_services.excursion_decide(
                actor=actor,
                excursion=excursion,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            form_error(form, error, {"excursion": "decision"})
        else:
            messages.success(request, f"Excursion at {excursion.location} decided.")
            return redirect("components:excursions")
    return _excursions_page(request, {pk: form})


# --- the catalogue ------------------------------------------------------------------------------


def _catalogue_page(
    request: HttpRequest, form: FileForm | None = None, errors: list[Any] | None = None
) -> HttpResponse:
    can_import = page_actor(request).has_perm("components.import_catalogue")
    return render(
        request,
        "components/catalogue.html",
        {
            "products": list(Product.objects.select_related("made_from", "catalogue")),
            "catalogues": list(Catalogue.objects.select_related("imported_by")),
            "form": (form or FileForm()) if can_import else None,
            "errors": errors or [],
        },
    )


@permission_page("components.view_product")
def catalogue(request: HttpRequest) -> HttpResponse:
    return _catalogue_page(request)


@require_POST
@permission_page("components.import_catalogue")
def catalogue_import(request: HttpRequest) -> HttpResponse:
    """Whole or not at all: a refused file lists every line and field at fault."""
    form = FileForm(request.POST, request.FILES)
    errors: list[Any] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imported = catalogue_services.catalogue_import(
                actor=page_actor(request), filename=upload.name, data=upload.read()
            )
        except catalogue_services.CatalogueImportError as error:
            errors = list(error.errors)
            form.add_error("file", f"Refused: {len(errors)} error(s), listed below. Nothing was imported.")
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"{imported}: {imported.product_count} products imported.")
            return redirect("components:catalogue")
    return _catalogue_page(request, form, errors)
