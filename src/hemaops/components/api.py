"""API of the components context, mounted under /api/v1/components: a unit with its chain,
collecting, processing and pooling, the label (print and scan-back), the unit's moves
(available, allocate, ship, return, dispose, store), holds, the stock board and pick list,
storage locations with temperature files and excursions, and the product catalogue.

Every POST records something and answers 201; errors are ``{"error": {"code", "message",
"field"}}`` with their 4xx status (hemaops.api), and a refused file adds ``errors``, every
line and field at fault."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, File, Router, Schema, Status, UploadedFile

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
from hemaops.components.errors import ComponentsError
from hemaops.components.labels import barcodes, content_digest
from hemaops.components.models import Product, Unit, UnitHold
from hemaops.core.access import require_permission
from hemaops.core.api_schemas import FileRefusedOut
from hemaops.core.authentication import request_actor
from hemaops.core.models import User

router = Router(tags=["components"])


def _name(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


# --- schemas ----------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    din: str
    product_code: str
    product: str = Field(description="The 5-character product description code")
    description: str
    status: str
    disposition: str
    abo: str
    rhd: str
    site: str
    location: int | None
    volume_ml: int | None
    collected_at: datetime
    expires_at: datetime
    label_printed: bool
    label_verified: bool


class RefusalOut(Schema):
    code: str
    message: str


class HoldOut(Schema):
    id: int
    unit: int
    kind: str
    reason: str
    placed_by: str | None
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str
    active: bool


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    occurred_at: datetime
    actor: str | None
    reason: str


class UnitDetailOut(UnitOut):
    donations: list[str] = Field(description="The DINs of the donations it is made from")
    ancestors: list[int]
    descendants: list[int]
    holds: list[HoldOut]
    events: list[EventOut]
    gate_refusals: list[RefusalOut] = Field(description="Why it may not become available now")


class CollectIn(Schema):
    product: str = Field(description="The product description code, collected by the donation's procedure")
    parts: int = 1
    volume_ml: int | None = None


class ProcessIn(Schema):
    products: list[str] = Field(description="Product description codes the catalogue makes from the unit")
    parts: int = 1
    volume_ml: int | None = None


class MemberIn(Schema):
    din: str
    product_code: str = Field(description="The member's ISBT 128 product code, e.g. A0012V00")


class PoolIn(Schema):
    units: list[MemberIn]
    product: str


class BarcodeOut(Schema):
    quadrant: str
    name: str
    data: str
    text: str


class LabelOut(Schema):
    unit: int
    digest: str
    barcodes: list[BarcodeOut]


class ScansIn(Schema):
    scans: list[str] = Field(description="What the scanner read from each bar code")


class ScanOut(Schema):
    id: int
    unit: int
    matched: bool
    label_digest: str
    scanned_at: datetime


class ReferenceIn(Schema):
    reference: str


class ConsigneeIn(Schema):
    consignee: str


class ReasonIn(Schema):
    reason: str


class DisposeIn(Schema):
    disposition: str = Field(description="transfused, outdated, discarded or recalled")
    reason: str = ""


class StoreIn(Schema):
    location: int


class StockCellOut(Schema):
    product_code: str
    product_description: str
    product_class: str
    abo: str
    rhd: str
    band: str
    units: int


class StockOut(Schema):
    at: datetime
    bands: list[str]
    cells: list[StockCellOut]
    quarantined_by_product: dict[str, int]
    held_by_product: dict[str, int]
    total_available: int


class LocationOut(Schema):
    id: int
    site: str
    name: str
    kind: str
    minimum_c: Decimal
    maximum_c: Decimal
    capacity_units: int
    units_on_hand: int
    last_reading_c: Decimal | None
    last_reading_at: datetime | None
    open_excursions: int


class TemperatureImportOut(Schema):
    id: int
    location: int
    filename: str
    sha256: str
    reading_count: int
    excursion_count: int
    imported_at: datetime


class DecisionIn(Schema):
    decision: str = Field(description="units_released or units_discarded")
    note: str


class ExcursionOut(Schema):
    id: int
    location: int
    started_at: datetime
    ended_at: datetime | None
    extreme_c: Decimal
    direction: str
    decision: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str


class ProductOut(Schema):
    code: str
    description: str
    product_class: str
    storage_min_c: Decimal
    storage_max_c: Decimal
    billable_item_code: str
    made_from: str | None
    process: str
    procedure: str
    catalogue: str
    is_active: bool


class CatalogueOut(Schema):
    id: int
    source: str
    version: str
    filename: str
    sha256: str
    product_count: int
    imported_at: datetime


# --- converters -------------------------------------------------------------------------------


def _unit_out(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "din": unit.din,
        "product_code": unit.product_code,
        "product": unit.product.code,
        "description": unit.product.description,
        "status": unit.status,
        "disposition": unit.disposition,
        "abo": unit.abo,
        "rhd": unit.rhd,
        "site": unit.site.code,
        "location": unit.location_id,
        "volume_ml": unit.volume_ml,
        "collected_at": unit.collected_at,
        "expires_at": unit.expires_at,
        "label_printed": bool(unit.label_digest),
        "label_verified": bool(unit.label_digest) and unit.label_verified_digest == unit.label_digest,
    }


def _hold_out(hold: UnitHold) -> HoldOut:
    return HoldOut(
        id=hold.pk,
        unit=hold.unit_id,
        kind=hold.kind,
        reason=hold.reason,
        placed_by=_name(hold.placed_by),
        placed_at=hold.placed_at,
        lifted_by=_name(hold.lifted_by),
        lifted_at=hold.lifted_at,
        lift_reason=hold.lift_reason,
        active=hold.lifted_at is None,
    )


def _detail_out(actor: User, unit_id: int) -> UnitDetailOut:
    unit = access_unit_by_id(actor, unit_id)
    chain = selectors.unit_chain(unit)
    return UnitDetailOut(
        **_unit_out(unit),
        donations=[donation.din.din for donation in chain.donations],
        ancestors=[parent.pk for parent in chain.ancestors],
        descendants=[child.pk for child in chain.descendants],
        holds=[_hold_out(hold) for hold in chain.holds],
        events=[
            EventOut(
                action=event.action,
                from_status=event.from_status,
                to_status=event.to_status,
                occurred_at=event.occurred_at,
                actor=_name(event.actor),
                reason=event.reason,
            )
            for event in chain.events
        ],
        gate_refusals=[RefusalOut(code=r.code, message=r.message) for r in chain.gate_refusals],
    )


def _units_out(actor: User, units: list[Unit]) -> list[UnitOut]:
    return [UnitOut(**_unit_out(access_unit_by_id(actor, unit.pk))) for unit in units]


def _product(code: str, field: str = "product") -> Product:
    product = Product.objects.filter(code=code.strip().upper()).first()
    if product is None:
        raise ComponentsError(f"{field}: no product has code {code}", code="unknown_product", field=field)
    return product


def _file_refused(error: Any) -> Status:
    return Status(
        400,
        {
            "error": {
                "code": error.code,
                "message": error.message,
                "field": "file",
                "errors": [{"line": e.line, "field": e.field, "message": e.message} for e in error.errors],
            }
        },
    )


def _required_file(file: UploadedFile | None, what: str) -> UploadedFile:
    if file is None:
        raise ComponentsError(
            f"file: send {what} as the multipart field 'file'", code="required", field="file"
        )
    return file


# --- units ------------------------------------------------------------------------------------


@router.post("/units/pool", response={201: UnitOut}, summary="Pool units under a new DIN")
def units_pool(request: HttpRequest, payload: PoolIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, manufacturing_services.PERMISSION)
    members = [access_unit_by_code(actor, member.din, member.product_code) for member in payload.units]
    pool = manufacturing_services.units_pool(actor=actor, units=members, product=_product(payload.product))
    return Status(201, _units_out(actor, [pool])[0])


@router.get("/units/{unit_id}", response=UnitDetailOut, summary="A unit with its chain")
def unit_detail(request: HttpRequest, unit_id: int) -> UnitDetailOut:
    """Its donations, parents and children, holds, history and why it may not become
    available now."""
    return _detail_out(request_actor(request), unit_id)


@router.post("/donations/{din}/units", response={201: list[UnitOut]}, summary="Record a collection's units")
def units_collect(request: HttpRequest, din: str, payload: CollectIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, manufacturing_services.PERMISSION)
    donation = access_donation_by_din(actor, din)
    units = manufacturing_services.units_collect(
        actor=actor,
        donation=donation,
        product=_product(payload.product),
        parts=payload.parts,
        volume_ml=payload.volume_ml,
    )
    return Status(201, _units_out(actor, units))


@router.post("/units/{unit_id}/process", response={201: list[UnitOut]}, summary="Make products from a unit")
def unit_process(request: HttpRequest, unit_id: int, payload: ProcessIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, manufacturing_services.PERMISSION)
    unit = access_unit_by_id(actor, unit_id)
    made = manufacturing_services.unit_process(
        actor=actor,
        unit=unit,
        products=[_product(code, "products") for code in payload.products],
        parts=payload.parts,
        volume_ml=payload.volume_ml,
    )
    return Status(201, _units_out(actor, made))


@router.post("/units/{unit_id}/label", response={201: LabelOut}, summary="Print the unit's label")
def label_print(request: HttpRequest, unit_id: int) -> Status:
    """Binds the unit to the label: answers the four bar codes' data and the digest the
    scan-back is checked against."""
    actor = request_actor(request)
    require_permission(actor, "components.label_unit")
    unit = access_unit_by_id(actor, unit_id)
    content = label_services.unit_label_print(actor=actor, unit=unit)
    return Status(
        201,
        LabelOut(
            unit=unit.pk,
            digest=content_digest(content),
            barcodes=[
                BarcodeOut(quadrant=b.quadrant, name=b.name, data=b.data, text=b.text)
                for b in barcodes(content)
            ],
        ),
    )


@router.post("/units/{unit_id}/label/verify", response={201: ScanOut}, summary="Scan the label back")
def label_verify(request: HttpRequest, unit_id: int, payload: ScansIn) -> Status:
    """A mismatch is kept on record and refused: 409 ``label_mismatch``, field ``scans``."""
    actor = request_actor(request)
    require_permission(actor, "components.label_unit")
    unit = access_unit_by_id(actor, unit_id)
    scan = label_services.unit_label_verify(actor=actor, unit=unit, scans=payload.scans)
    return Status(
        201,
        ScanOut(
            id=scan.pk,
            unit=unit.pk,
            matched=scan.matched,
            label_digest=scan.label_digest,
            scanned_at=scan.scanned_at,
        ),
    )


def _move(request: HttpRequest, unit_id: int, permission: str, step: Callable[[User, Unit], Any]) -> Status:
    actor = request_actor(request)
    require_permission(actor, permission)
    unit = access_unit_by_id(actor, unit_id)
    step(actor, unit)
    return Status(201, UnitOut(**_unit_out(access_unit_by_id(actor, unit_id))))


@router.post("/units/{unit_id}/available", response={201: UnitOut}, summary="Make a unit available")
def unit_available(request: HttpRequest, unit_id: int) -> Status:
    """Through the gate: refused (409) unless released, labelled and verified, unheld and in date."""
    return _move(
        request,
        unit_id,
        "components.move_unit",
        lambda actor, unit: inventory_services.unit_make_available(actor=actor, unit=unit),
    )


@router.post("/units/{unit_id}/allocate", response={201: UnitOut}, summary="Allocate a unit")
def unit_allocate(request: HttpRequest, unit_id: int, payload: ReferenceIn) -> Status:
    return _move(
        request,
        unit_id,
        "components.allocate_unit",
        lambda actor, unit: inventory_services.unit_allocate(
            actor=actor, unit=unit, reference=payload.reference
        ),
    )


@router.post("/units/{unit_id}/ship", response={201: UnitOut}, summary="Ship a unit")
def unit_ship(request: HttpRequest, unit_id: int, payload: ConsigneeIn) -> Status:
    return _move(
        request,
        unit_id,
        "components.allocate_unit",
        lambda actor, unit: inventory_services.unit_ship(actor=actor, unit=unit, consignee=payload.consignee),
    )


@router.post("/units/{unit_id}/return", response={201: UnitOut}, summary="Take a unit back")
def unit_return(request: HttpRequest, unit_id: int, payload: ReasonIn) -> Status:
    return _move(
        request,
        unit_id,
        "components.move_unit",
        lambda actor, unit: inventory_services.unit_return(actor=actor, unit=unit, reason=payload.reason),
    )


@router.post("/units/{unit_id}/dispose", response={201: UnitOut}, summary="Record a unit's fate")
def unit_dispose(request: HttpRequest, unit_id: int, payload: DisposeIn) -> Status:
    return _move(
        request,
        unit_id,
        "components.move_unit",
        lambda actor, unit: inventory_services.unit_dispose(
            actor=actor, unit=unit, disposition=payload.disposition, reason=payload.reason
        ),
    )


@router.post("/units/{unit_id}/store", response={201: UnitOut}, summary="Store a unit")
def unit_store(request: HttpRequest, unit_id: int, payload: StoreIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "components.move_unit")
    unit = access_unit_by_id(actor, unit_id)
    location = access_location_by_id(actor, payload.location)
    inventory_services.unit_store(actor=actor, unit=unit, location=location)
    return Status(201, UnitOut(**_unit_out(access_unit_by_id(actor, unit_id))))


@router.post("/units/{unit_id}/holds", response={201: HoldOut}, summary="Hold a unit")
def unit_hold(request: HttpRequest, unit_id: int, payload: ReasonIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "components.hold_unit")
    unit = access_unit_by_id(actor, unit_id)
    hold = inventory_services.unit_hold_place(actor=actor, unit=unit, reason=payload.reason)
    return Status(201, _hold_out(access_hold_by_id(actor, hold.pk)))


@router.post("/holds/{hold_id}/lift", response={201: HoldOut}, summary="Lift a unit's hold")
def hold_lift(request: HttpRequest, hold_id: int, payload: ReasonIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "components.hold_unit")
    hold = access_hold_by_id(actor, hold_id)
    inventory_services.unit_hold_lift(actor=actor, hold=hold, reason=payload.reason)
    return Status(201, _hold_out(access_hold_by_id(actor, hold_id)))


# --- stock ------------------------------------------------------------------------------------


@router.get("/stock", response=StockOut, summary="The stock board")
def stock(request: HttpRequest) -> StockOut:
    """Available units by product, ABO/RhD and days to expiry; quarantined and held per product."""
    require_permission(request_actor(request), VIEW_UNIT)
    board = selectors.stock_board(at=timezone.now())
    return StockOut(
        at=board.at,
        bands=list(selectors.BANDS),
        cells=[StockCellOut(**cell.__dict__) for cell in board.cells],
        quarantined_by_product=board.quarantined_by_product,
        held_by_product=board.held_by_product,
        total_available=board.total_available,
    )


@router.get("/stock/pick", response=list[UnitOut], summary="A pick list, first expiry first out")
def pick(request: HttpRequest, product: str, abo: str, rhd: str, count: int = 1) -> list[UnitOut]:
    require_permission(request_actor(request), VIEW_UNIT)
    if not 1 <= count <= 200:
        raise ComponentsError("count: 1 to 200", code="invalid", field="count")
    code = _product(product).code
    units = selectors.pick_list(product=code, abo=abo, rhd=rhd, count=count, at=timezone.now())
    return [UnitOut(**_unit_out(unit)) for unit in units]


# --- storage ----------------------------------------------------------------------------------


@router.get("/locations", response=list[LocationOut], summary="Storage locations with their occupancy")
def locations(request: HttpRequest) -> list[LocationOut]:
    require_permission(request_actor(request), "components.view_storagelocation")
    return [
        LocationOut(
            id=row.location.pk,
            site=row.location.site.code,
            name=row.location.name,
            kind=row.location.kind,
            minimum_c=row.location.minimum_c,
            maximum_c=row.location.maximum_c,
            capacity_units=row.location.capacity_units,
            units_on_hand=row.units_on_hand,
            last_reading_c=row.last_reading.temperature_c if row.last_reading else None,
            last_reading_at=row.last_reading.recorded_at if row.last_reading else None,
            open_excursions=row.open_excursions,
        )
        for row in selectors.locations_with_occupancy()
    ]


@router.post(
    "/locations/{location_id}/temperatures",
    response={201: TemperatureImportOut, 400: FileRefusedOut},
    summary="Import a temperature logger's file (multipart, field ``file``)",
)
def temperatures_import(
    request: HttpRequest, location_id: int, file: File[UploadedFile | None] = None
) -> Status:
    """Whole or not at all: a refused file answers 400 with ``errors``, every line and field."""
    actor = request_actor(request)
    require_permission(actor, "components.import_temperatures")
    location = access_location_by_id(actor, location_id)
    upload = _required_file(file, "the logger's CSV export")
    try:
        batch = storage_services.temperatures_import(
            actor=actor, location=location, filename=upload.name or "", data=upload.read()
        )
    except storage_services.TemperatureImportError as error:
        return _file_refused(error)
    return Status(
        201,
        TemperatureImportOut(
            id=batch.pk,
            location=location.pk,
            filename=batch.filename,
            sha256=batch.sha256,
            reading_count=batch.reading_count,
            excursion_count=batch.excursion_count,
            imported_at=batch.imported_at,
        ),
    )


@router.post(
    "/excursions/{excursion_id}/decision", response={201: ExcursionOut}, summary="Decide on an excursion"
)
def excursion_decide(request: HttpRequest, excursion_id: int, payload: DecisionIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "components.decide_excursion")
    excursion = access_excursion_by_id(actor, excursion_id)
    decided = storage_services.excursion_decide(
        actor=actor, excursion=excursion, decision=payload.decision, note=payload.note
    )
    return Status(
        201,
        ExcursionOut(
            id=decided.pk,
            location=decided.location_id,
            started_at=decided.started_at,
            ended_at=decided.ended_at,
            extreme_c=decided.extreme_c,
            direction=decided.direction,
            decision=decided.decision,
            decided_by=_name(decided.decided_by),
            decided_at=decided.decided_at,
            decision_note=decided.decision_note,
        ),
    )


# --- the catalogue ----------------------------------------------------------------------------


@router.get("/products", response=list[ProductOut], summary="The product catalogue")
def products(request: HttpRequest) -> list[ProductOut]:
    require_permission(request_actor(request), "components.view_product")
    return [
        ProductOut(
            code=p.code,
            description=p.description,
            product_class=p.product_class,
            storage_min_c=p.storage_min_c,
            storage_max_c=p.storage_max_c,
            billable_item_code=p.billable_item_code,
            made_from=p.made_from.code if p.made_from else None,
            process=p.process,
            procedure=p.procedure,
            catalogue=str(p.catalogue),
            is_active=p.is_active,
        )
        for p in Product.objects.select_related("made_from", "catalogue")
    ]


@router.post(
    "/catalogue",
    response={201: CatalogueOut, 400: FileRefusedOut},
    summary="Import a catalogue version (multipart, field ``file``)",
)
def catalogue_import(request: HttpRequest, file: File[UploadedFile | None] = None) -> Status:
    """Whole or not at all: a refused file answers 400 with ``errors`` and saves nothing; a
    version already imported: 409."""
    actor = request_actor(request)
    require_permission(actor, "components.import_catalogue")
    upload = _required_file(file, "the catalogue CSV")
    try:
        catalogue = catalogue_services.catalogue_import(
            actor=actor, filename=upload.name or "", data=upload.read()
        )
    except catalogue_services.CatalogueImportError as error:
        return _file_refused(error)
    return Status(
        201,
        CatalogueOut(
            id=catalogue.pk,
            source=catalogue.source,
            version=catalogue.version,
            filename=catalogue.filename,
            sha256=catalogue.sha256,
            product_count=catalogue.product_count,
            imported_at=catalogue.imported_at,
        ),
    )
