"""DIN label stock API: register received stock, list it, claim a scanned DIN, generate one.

Errors are ``{"error": {"code", "message", "field"}}`` with their 4xx status (hemaops.api).
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from hemaops.core.access import require_permission
from hemaops.core.authentication import request_actor
from hemaops.donations import selectors, services
from hemaops.donations.models import DinLabelStock
from hemaops.donations.services import IssuedDinResult

router = Router(tags=["donations"])


class DinStockIn(Schema):
    site: str = Field(description="Code of the site receiving the labels; its FIN is the DINs' facility")
    year: str = Field(description="Two-digit nominal year printed in the DINs, e.g. 25")
    first_sequence: int = Field(ge=0, le=999_999)
    last_sequence: int = Field(ge=0, le=999_999)
    received_on: date | None = Field(default=None, description="Defaults to today")
    lot: str = ""
    notes: str = ""


class DinStockOut(Schema):
    id: int
    site: str
    facility: str
    year: str
    first_sequence: int
    last_sequence: int
    first_din: str
    last_din: str
    received_on: date
    lot: str
    notes: str
    used: int


class DinScanIn(Schema):
    site: str = Field(description="Code of the collecting site")
    din: str = Field(
        description="Scanned bar code data (=W00012512345600) or keyboard entry with its check "
        "character (W0001 25 123456 K)"
    )


class DinGenerateIn(Schema):
    site: str = Field(description="Code of the site printing its own labels")
    year: str = Field(description="Two-digit nominal year, e.g. 25")


class DinOut(Schema):
    id: int
    din: str
    facility: str
    year: str
    sequence: str
    check_character: str
    flags: str | None
    flag_meaning: str | None
    eye_readable: str
    keyboard_entry: str
    data_content: str
    source: str
    site: str
    claimed_at: datetime


def _stock_out(stock: DinLabelStock, used: int) -> DinStockOut:
    return DinStockOut(
        id=stock.pk,
        site=stock.site.code,
        facility=stock.facility,
        year=stock.year,
        first_sequence=stock.first_sequence,
        last_sequence=stock.last_sequence,
        first_din=f"{stock.facility}{stock.year}{stock.first_sequence:06d}",
        last_din=f"{stock.facility}{stock.year}{stock.last_sequence:06d}",
        received_on=stock.received_on,
        lot=stock.lot,
        notes=stock.notes,
        used=used,
    )


def din_out(result: IssuedDinResult) -> DinOut:
    din, issued = result.din, result.issued
    meaning = din.flag_meaning
    return DinOut(
        id=issued.pk,
        din=din.text,
        facility=din.facility,
        year=din.year,
        sequence=din.sequence,
        check_character=din.check_character,
        flags=din.flags,
        flag_meaning=meaning.meaning if meaning else None,
        eye_readable=din.eye_readable,
        keyboard_entry=din.keyboard_entry,
        data_content=din.data_content,
        source=issued.source,
        site=issued.site.code,
        claimed_at=issued.claimed_at,
    )


@router.get("/din-stock", response=list[DinStockOut], summary="Received DIN label stock")
def din_stock_list(request: HttpRequest) -> list[DinStockOut]:
    require_permission(request_actor(request), "donations.view_din_label_stock")
    return [_stock_out(stock, stock.used_count) for stock in selectors.din_stock_list()]


@router.post("/din-stock", response={201: DinStockOut}, summary="Register received DIN label stock")
def din_stock_receive(request: HttpRequest, payload: DinStockIn) -> Status:
    """Refused (409) when the range overlaps stock already received for the FIN and year,
    or numbers already generated on demand."""
    require_permission(request_actor(request), "donations.receive_din_label_stock")
    stock = services.din_stock_receive(
        actor=request_actor(request),
        site=selectors.collecting_site_get(payload.site),
        year=payload.year,
        first_sequence=payload.first_sequence,
        last_sequence=payload.last_sequence,
        received_on=payload.received_on,
        lot=payload.lot,
        notes=payload.notes,
    )
    return Status(201, _stock_out(stock, 0))


@router.post("/dins/scan", response={201: DinOut}, summary="Claim a scanned DIN label set at the chair")
def din_scan(request: HttpRequest, payload: DinScanIn) -> Status:
    """Refused: a wrong check character or flags (400), a label set from another facility
    (400), a DIN outside received stock (400), a DIN already used (409)."""
    require_permission(request_actor(request), "donations.claim_din")
    site = selectors.collecting_site_get(payload.site)
    return Status(
        201, din_out(services.din_claim_scanned(actor=request_actor(request), site=site, raw=payload.din))
    )


@router.post("/dins/generate", response={201: DinOut}, summary="Generate the next DIN on demand")
def din_generate(request: HttpRequest, payload: DinGenerateIn) -> Status:
    """The next number of the site's FIN and year, skipping received pre-printed ranges;
    with its check character and Type 3 flags."""
    require_permission(request_actor(request), "donations.generate_din")
    site = selectors.collecting_site_get(payload.site)
    return Status(
        201, din_out(services.din_generate(actor=request_actor(request), site=site, year=payload.year))
    )


# Collections (drives, slots, appointments) keep their operations in their own module.
from hemaops.donations.drive_api import router as drive_router  # noqa: E402

router.add_router("", drive_router)

# Screening, overrides, donations and reactions keep their operations in their own module.
from hemaops.donations.collection_api import router as collection_router  # noqa: E402

router.add_router("", collection_router)

# Recruitment lists, oversight (pending signatures, reportable reactions, fixed-site hours)
# and paid donor programs.
from hemaops.donations.compensation_api import router as compensation_router  # noqa: E402
from hemaops.donations.oversight_api import router as oversight_router  # noqa: E402
from hemaops.donations.recruitment_api import router as recruitment_router  # noqa: E402

router.add_router("", recruitment_router)
router.add_router("", oversight_router)
router.add_router("", compensation_router)
