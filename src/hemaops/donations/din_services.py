"""DIN label stock: receive pre-printed label sets, claim a scanned DIN at the chair,
generate a DIN on demand (house style §3: one transaction each, permission-checked,
audited in the ``donations`` stream).

A DIN is issued once: ``IssuedDin.din`` is unique, so of two concurrent claims of the same
DIN the database lets one commit and the other gets ``ConflictError``. Receipts and
generations of one FIN and year lock that FIN and year's ``DinSequence`` row, so generated
numbers never fall inside a received range and a range is never received over numbers
already generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.errors import ConflictError
from hemaops.core.models import Site, User
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import DinLabelStock, DinSequence, IssuedDin
from hemaops.donations.models.din_labels import MAX_SEQUENCE
from hemaops.donations.service_support import STREAM
from hemaops.isbt128.din import Din, Isbt128Error, parse_din


@dataclass(frozen=True)
class IssuedDinResult:
    """The issued row and the DIN as the ISBT 128 library reads it (parts, K, flags)."""

    issued: IssuedDin
    din: Din


def _site_facility(site: Site) -> str:
    if not site.facility_identification_number:
        raise DonationsError(
            f"site: {site.name} has no ISBT 128 FIN, so it cannot collect under a DIN",
            code="site_without_facility",
            field="site",
        )
    return site.facility_identification_number


def _year(year: str | int) -> str:
    text = f"{year:02d}" if isinstance(year, int) else str(year).strip()
    if len(text) != 2 or not text.isdigit():
        raise DonationsError(
            f"year: {year!r} is not the two-digit year of a DIN (for example 25)",
            code="invalid_year",
            field="year",
        )
    return text


def _sequence_row(facility: str, year: str) -> DinSequence:
    """The locked counter of ``facility`` and ``year``, created on first use."""
    DinSequence.objects.bulk_create([DinSequence(facility=facility, year=year)], ignore_conflicts=True)
    return DinSequence.objects.select_for_update().get(facility=facility, year=year)


def _stock_data(stock: DinLabelStock) -> dict[str, object]:
    return {
        "site": stock.site.code,
        "facility": stock.facility,
        "year": stock.year,
        "first_sequence": stock.first_sequence,
        "last_sequence": stock.last_sequence,
        "received_on": stock.received_on,
        "lot": stock.lot,
        "notes": stock.notes,
    }


@transaction.atomic
def din_stock_receive(
    *,
    actor: User | None,
    site: Site,
    year: str | int,
    first_sequence: int,
    last_sequence: int,
    received_on: date | None = None,
    lot: str = "",
    notes: str = "",
) -> DinLabelStock:
    """Register a range of pre-printed DIN label sets received for ``site``'s FIN."""
    require_permission(actor, "donations.receive_din_label_stock")
    facility = _site_facility(site)
    year_text = _year(year)
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise DonationsError(
            "received_on: label stock cannot be received in the future",
            code="future_date",
            field="received_on",
        )
    for name, value in (("first_sequence", first_sequence), ("last_sequence", last_sequence)):
        if not 0 <= value <= MAX_SEQUENCE:
            raise DonationsError(
                f"{name}: {value} is not a six-digit sequence number (0 to 999999)",
                code="invalid_sequence",
                field=name,
            )
    if first_sequence > last_sequence:
        raise DonationsError(
            "last_sequence: the range ends before it starts", code="invalid_range", field="last_sequence"
        )
    counter = _sequence_row(facility, year_text)  # serialises with generation for this FIN and year
    overlapping = (
        DinLabelStock.objects.filter(
            facility=facility,
            year=year_text,
            first_sequence__lte=last_sequence,
            last_sequence__gte=first_sequence,
        )
        .order_by("first_sequence")
        .first()
    )
    if overlapping is not None:
        raise ConflictError(
            f"first_sequence: this range overlaps label stock already received ({overlapping})",
            code="range_overlaps",
            field="first_sequence",
        )
    generated = IssuedDin.objects.filter(
        facility=facility, year=year_text, sequence__gte=first_sequence, sequence__lte=last_sequence
    ).first()
    if generated is not None or first_sequence <= counter.last_sequence <= last_sequence:
        raise ConflictError(
            "first_sequence: DINs in this range were already generated on demand "
            f"(up to {facility} {year_text} {counter.last_sequence:06d}); order labels from a later number",
            code="range_already_generated",
            field="first_sequence",
        )
    stock = DinLabelStock(
        site=site,
        facility=facility,
        year=year_text,
        first_sequence=first_sequence,
        last_sequence=last_sequence,
        received_on=received_on,
        lot=lot.strip(),
        notes=notes.strip(),
        received_by=actor,
        recorded_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            stock.save()
    except IntegrityError as error:  # the exclusion constraint, on PostgreSQL
        raise ConflictError(
            "first_sequence: this range overlaps label stock already received",
            code="range_overlaps",
            field="first_sequence",
        ) from error
    audit_record(
        stream=STREAM,
        action="donations.din_stock.received",
        actor=actor,
        target=stock,
        data={"old": {}, "new": _stock_data(stock)},
    )
    return stock


def _parse(raw: str) -> Din:
    """A scanned or keyed DIN: bar code data (flags verified by the library) or keyboard
    entry, which must carry its check character (ST-001 §7.5)."""
    try:
        din = parse_din(raw)
    except Isbt128Error as error:
        raise DonationsError(f"{error.field}: {error.message}", code=error.code, field=error.field) from error
    if din.flags is None and len(raw.replace(" ", "").strip()) != len(din.text) + 1:
        raise DonationsError(
            "check_character: type the DIN followed by a space and the boxed check character "
            "(A9999 21 123456 3), or scan the bar code",
            code="check_character_required",
            field="check_character",
        )
    return din


def _issue(
    *, actor: User | None, site: Site, din: Din, source: str, stock: DinLabelStock | None
) -> IssuedDin:
    issued = IssuedDin(
        din=din.text,
        facility=din.facility,
        year=din.year,
        sequence=int(din.sequence),
        flags=din.flags or "",
        source=source,
        stock=stock,
        site=site,
        claimed_by=actor,
        claimed_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            issued.save()
    except IntegrityError as error:
        raise _used_error(din) from error
    return issued


def _used_error(din: Din) -> ConflictError:
    return ConflictError(
        f"din: DIN {din.eye_readable} was already used; a DIN is never used twice — take a new label set",
        code="din_used",
        field="din",
    )


@transaction.atomic
def din_claim_scanned(*, actor: User | None, site: Site, raw: str) -> IssuedDinResult:
    """Claim the DIN of a pre-printed label set scanned (or keyed) at the chair at ``site``."""
    require_permission(actor, "donations.claim_din")
    facility = _site_facility(site)
    din = _parse(raw)
    if din.facility != facility:
        raise DonationsError(
            f"facility: a label set from another facility ({din.facility}); {site.name} collects "
            f"under {facility}",
            code="other_facility",
            field="facility",
        )
    stock = DinLabelStock.objects.filter(
        facility=din.facility,
        year=din.year,
        first_sequence__lte=int(din.sequence),
        last_sequence__gte=int(din.sequence),
    ).first()
    if stock is None:
        raise DonationsError(
            f"sequence: DIN {din.eye_readable} is not in any label stock received for {facility} "
            f"year {din.year}; register the stock first or check the label",
            code="not_received",
            field="sequence",
        )
    if IssuedDin.objects.filter(din=din.text).exists():
        raise _used_error(din)
    issued = _issue(actor=actor, site=site, din=din, source=IssuedDin.Source.SCANNED, stock=stock)
    audit_record(
        stream=STREAM,
        action="donations.din.claimed",
        actor=actor,
        target=issued,
        data={
            "old": {},
            "new": {"din": issued.din, "flags": issued.flags, "site": site.code, "stock": stock.pk},
        },
    )
    return IssuedDinResult(issued, din)


@transaction.atomic
def din_generate(*, actor: User | None, site: Site, year: str | int) -> IssuedDinResult:
    """Issue the next DIN of ``site``'s FIN and ``year`` for a site that prints its own labels.

    Numbers inside received pre-printed ranges are skipped, so the two never collide. The
    returned ``Din`` carries Type 3 flags (60 + its MOD 37-2 checksum) for the printed label.
    """
    require_permission(actor, "donations.generate_din")
    facility = _site_facility(site)
    year_text = _year(year)
    counter = _sequence_row(facility, year_text)
    ranges = list(
        DinLabelStock.objects.filter(
            facility=facility, year=year_text, last_sequence__gt=counter.last_sequence
        ).order_by("first_sequence")
    )
    candidate = counter.last_sequence + 1
    for stock in ranges:
        if stock.first_sequence <= candidate <= stock.last_sequence:
            candidate = stock.last_sequence + 1
    if candidate > MAX_SEQUENCE:
        raise ConflictError(
            f"year: every DIN sequence of {facility} year {year_text} is used",
            code="sequence_exhausted",
            field="year",
        )
    din = Din(facility, year_text, f"{candidate:06d}").with_check_flags()
    issued = _issue(actor=actor, site=site, din=din, source=IssuedDin.Source.GENERATED, stock=None)
    counter.last_sequence = candidate
    counter.save(update_fields=["last_sequence"])
    audit_record(
        stream=STREAM,
        action="donations.din.generated",
        actor=actor,
        target=issued,
        data={"old": {}, "new": {"din": issued.din, "flags": issued.flags, "site": site.code}},
    )
    return IssuedDinResult(issued, din)
