"""What an ISBT 128 unit label says: its four bar codes, its eye-readable text, the scan check.

Pure (house style §2): no Django, no database, no clock — every time is an argument, an
aware ``datetime`` in the facility's local zone (convention C1).

The bar code data comes from ``hemaops.isbt128`` (never re-encoded here), one bar code per
quadrant as ST-001 §8 lays a container label out (domain-reference §3):

==========  ============================  ==========================================
quadrant    bar code                      data (ST-001 data structure)
==========  ============================  ==========================================
upper left  Donation Identification No.   ``=αppppyynnnnnnff`` (001, §2.4.1)
upper right Blood Groups [ABO and RhD]    ``=%ggre`` (002, §2.4.2), default intended use
lower left  Product Code                  ``=<αooootds`` (003, §2.4.3)
lower right Expiration Date and Time      ``&>cyyjjjhhmm`` (005, §2.4.5)
==========  ============================  ==========================================

The scan check (:func:`scan_check`) is the verification a technologist does after printing:
every bar code on the label is scanned and compared with the record, so a label that was
printed for another unit, or misprinted, is caught before it is applied
(21 CFR 606.121(c)(13): the machine-readable label must carry the record's values).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, time
from typing import Final

from hemaops.isbt128.blood_group import (
    REFERENCE_CODES,
    BloodGroup,
    IntendedUse,
    RhD,
    format_blood_group,
    phenotype,
)
from hemaops.isbt128.dates import END_OF_DAY, DateStructure, IsbtDate, format_date
from hemaops.isbt128.din import FIN_FIRST_CHARACTERS, Din, parse_din
from hemaops.isbt128.errors import Isbt128Error
from hemaops.isbt128.product_code import (
    CollectionType,
    ProductCode,
    format_product_code,
    parse_product_code_content,
)

__all__ = [
    "BLOOD_GROUP",
    "DIN",
    "EXPIRY",
    "PRODUCT_CODE",
    "Barcode",
    "LabelContent",
    "LabelError",
    "LabelText",
    "ScanMismatch",
    "barcodes",
    "content_digest",
    "label_text",
    "scan_check",
]

#: Bar code names, as a technologist reads them in a scan-check message.
DIN: Final = "DIN"
BLOOD_GROUP: Final = "blood group"
PRODUCT_CODE: Final = "product code"
EXPIRY: Final = "expiry"

UPPER_LEFT: Final = "upper left"
UPPER_RIGHT: Final = "upper right"
LOWER_LEFT: Final = "lower left"
LOWER_RIGHT: Final = "lower right"

_ABO: Final = frozenset({"O", "A", "B", "AB"})
_RHD: Final = {"POS": RhD.POSITIVE, "NEG": RhD.NEGATIVE}
#: 21 CFR 606.121(c)(5): the donor classification statement, in the words of the regulation.
DONOR_STATEMENTS: Final = {"volunteer": "VOLUNTEER DONOR", "paid": "PAID DONOR"}
#: Collection types (ST-001 Table 7 [RT008]) that say the donor was a volunteer or was paid;
#: the printed statement must not contradict the product code.
_VOLUNTEER_TYPES: Final = frozenset(
    {
        CollectionType.VOLUNTEER_ALLOGENEIC,
        CollectionType.VOLUNTEER_RESEARCH,
        CollectionType.VOLUNTEER_SOURCE,
        CollectionType.VOLUNTEER_THERAPEUTIC,
        CollectionType.VOLUNTEER_DIRECTED_CROSSOVER,
    }
)
_PAID_TYPES: Final = frozenset(
    {
        CollectionType.PAID_ALLOGENEIC,
        CollectionType.PAID_RESEARCH,
        CollectionType.PAID_SOURCE,
        CollectionType.PAID_DIRECTED_CROSSOVER,
    }
)
# Month abbreviations are fixed English capitals (ST-001's "29 JAN 2018"), never the locale's.
_MONTHS: Final = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


class LabelError(ValueError):
    """Label content that must not be printed: a stable ``code``, a ``message`` a person can
    act on, and the ``field`` concerned (the same shape as ``Isbt128Error``)."""

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class LabelContent:
    """Everything printed on one unit label, checked on creation so a wrong label cannot be
    drawn (a ``LabelError`` names the field).

    ``expires_at`` and ``collected_at`` are aware datetimes in the facility's local zone;
    the label prints their local wall-clock values as given.
    """

    din: Din
    abo: str
    rhd: str
    product_code: str
    product_description: str
    expires_at: datetime
    label_shows_time: bool
    collected_at: datetime
    donor_classification: str
    special_testing: tuple[str, ...]
    storage: str
    facility_name: str
    facility_address: str
    license_number: str
    volume_ml: int | None

    def __post_init__(self) -> None:
        if self.abo not in _ABO:
            raise LabelError("invalid_abo", f"ABO {self.abo!r} is not O, A, B or AB", "abo")
        if self.rhd not in _RHD:
            raise LabelError("invalid_rhd", f"RhD {self.rhd!r} is not POS or NEG", "rhd")
        if self.donor_classification not in DONOR_STATEMENTS:
            raise LabelError(
                "invalid_donor_classification",
                f"donor classification {self.donor_classification!r} is not 'volunteer' or 'paid' "
                "(21 CFR 606.121(c)(5))",
                "donor_classification",
            )
        try:
            code = parse_product_code_content(self.product_code)
        except Isbt128Error as error:
            raise LabelError(error.code, f"product code: {error.message}", "product_code") from error
        _check_collection_type(code, self.donor_classification)
        for name, value in (("expires_at", self.expires_at), ("collected_at", self.collected_at)):
            if value.tzinfo is None or value.utcoffset() is None:
                raise LabelError(
                    "naive_datetime", f"{name} has no time zone: give the facility's local time", name
                )
        if self.expires_at <= self.collected_at:
            raise LabelError("expired_at_collection", "the expiry is not after the collection", "expires_at")
        # ST-001 §2.4.5 / convention C3: a label without the hour reads as 23:59 of its date.
        # Printing a date-only label for an expiry earlier in the day would extend the dating.
        if not self.label_shows_time and (self.expires_at.hour, self.expires_at.minute) != (23, 59):
            raise LabelError(
                "expiry_time_hidden",
                f"the unit expires at {self.expires_at:%H:%M} but a label without the hour reads as "
                "23:59: print the hour (21 CFR 606.121(c)(4)(i)) or date the unit to the end of the day",
                "label_shows_time",
            )
        if self.volume_ml is not None and self.volume_ml <= 0:
            raise LabelError("invalid_volume", f"volume {self.volume_ml} mL is not positive", "volume_ml")
        for name in ("product_description", "storage", "facility_name", "facility_address"):
            if not getattr(self, name).strip():
                raise LabelError("missing_text", f"{name.replace('_', ' ')} is empty", name)


def _check_collection_type(code: ProductCode, donor_classification: str) -> None:
    collection = code.collection_type
    contradicts = (donor_classification == "volunteer" and collection in _PAID_TYPES) or (
        donor_classification == "paid" and collection in _VOLUNTEER_TYPES
    )
    if collection is not None and contradicts:
        raise LabelError(
            "donor_classification_mismatch",
            f"the product code's collection type is '{collection.meaning}' but the donor is recorded "
            f"as {donor_classification}: the statement and the bar code would disagree",
            "donor_classification",
        )


@dataclass(frozen=True)
class Barcode:
    """One ISBT 128 bar code: ``data`` is what a scanner returns (data identifier included),
    ``text`` the eye-readable interpretation printed with it."""

    quadrant: str
    name: str
    data: str
    text: str


@dataclass(frozen=True)
class ScanMismatch:
    """A scan that does not verify the label; ``expected`` is ``None`` for a scan that is not
    one of the label's bar codes, ``scanned`` is ``None`` for a bar code that was not scanned."""

    name: str
    expected: str | None
    scanned: str | None
    message: str


@dataclass(frozen=True)
class LabelText:
    """The eye-readable text of a label, shared by the PDF and ZPL renderers (so the two
    print the same words) and bound into :func:`content_digest`."""

    din: str  # ST-001 §7.4.1: "A9999 21 123456"
    check_character: str  # ST-001 §7.5.1.1: printed in a box after the DIN
    flags: str | None  # printed rotated; None when there are none or they are 00 (need not print)
    facility_lines: tuple[str, ...]  # 606.121(c)(2): name, address, license number
    abo: str
    rh: str  # 606.121(c)(9): "Rh POSITIVE" / "Rh NEGATIVE"
    rh_negative: bool  # 606.121(d): Rh negative is printed white on black
    product_code: str
    product_description: str
    volume: str | None
    storage: str
    donor_statement: str  # 606.121(c)(5)
    special_testing: tuple[str, ...]
    expires: str  # "EXPIRES 31 DEC 2028" (606.121(c)(4))
    expires_time: str | None  # "HH:MM" when the dating is ≤ 72 h (606.121(c)(4)(i))
    collected: str  # "COLLECTED 10 JAN 2026" (610.50(c) date of manufacture)


def _day(moment: datetime) -> str:
    return f"{moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year}"


def _expiry(content: LabelContent) -> IsbtDate:
    """Data Structure 005 (ST-001 §2.4.5): the local date and time, floored to the minute
    (never later than the record); 2359 when the label does not show the hour."""
    local = content.expires_at
    at = time(local.hour, local.minute) if content.label_shows_time else END_OF_DAY
    return IsbtDate(DateStructure.EXPIRATION_DATE_AND_TIME, local.date(), at)


def _blood_group(content: LabelContent) -> BloodGroup:
    """Data Structure 002 (ST-001 §2.4.2): the Table 4 code for the default column ("intended
    use not specified"), ``r`` = ``0`` (no phenotype information), ``e`` = ``0`` (reserved)."""
    rhd = _RHD[content.rhd]
    for code, meaning in REFERENCE_CODES.items():
        if meaning.abo == content.abo and meaning.rhd is rhd and meaning.intended_use is IntendedUse.DEFAULT:
            return BloodGroup(code, meaning, phenotype("0"))
    raise LabelError("no_blood_group_code", f"no code for {content.abo} {content.rhd}", "abo")  # unreachable


def label_text(content: LabelContent) -> LabelText:
    """The words printed on the label (see :class:`LabelText` for the rule behind each)."""
    facility = [content.facility_name.strip(), content.facility_address.strip()]
    if content.license_number.strip():
        facility.append(f"US License {content.license_number.strip()}")
    negative = content.rhd == "NEG"
    flags = content.din.flags
    shows_time = content.label_shows_time
    return LabelText(
        din=content.din.eye_readable,
        check_character=content.din.check_character,
        flags=None if flags in (None, "00") else flags,
        facility_lines=tuple(facility),
        abo=content.abo,
        rh="Rh NEGATIVE" if negative else "Rh POSITIVE",
        rh_negative=negative,
        product_code=content.product_code,
        product_description=content.product_description.strip(),
        volume=None if content.volume_ml is None else f"{content.volume_ml} mL",
        storage=content.storage.strip(),
        donor_statement=DONOR_STATEMENTS[content.donor_classification],
        special_testing=tuple(s.strip() for s in content.special_testing if s.strip()),
        expires=f"EXPIRES {_day(content.expires_at)}",
        expires_time=f"{content.expires_at:%H:%M}" if shows_time else None,
        collected=f"COLLECTED {_day(content.collected_at)}",
    )


def barcodes(content: LabelContent) -> tuple[Barcode, ...]:
    """The four quadrant bar codes, upper left, upper right, lower left, lower right."""
    text = label_text(content)
    expiry = _expiry(content)
    expiry_text = text.expires[len("EXPIRES ") :] + (f" {text.expires_time}" if text.expires_time else "")
    return (
        Barcode(UPPER_LEFT, DIN, content.din.data_content, text.din),
        Barcode(UPPER_RIGHT, BLOOD_GROUP, format_blood_group(_blood_group(content)), f"{text.abo} {text.rh}"),
        Barcode(
            LOWER_LEFT,
            PRODUCT_CODE,
            format_product_code(parse_product_code_content(content.product_code)),
            content.product_code,
        ),
        Barcode(LOWER_RIGHT, EXPIRY, format_date(expiry), expiry_text),
    )


def content_digest(content: LabelContent) -> str:
    """SHA-256 (hex) of the bar code data and every printed statement, so a scan verification
    can be recorded against exactly what was printed: a change to any bar code or any printed
    word gives another digest. Canonical JSON (sorted keys, fixed separators) keeps it stable
    across runs and Python versions."""
    payload = {
        "format": "hemaops-isbt128-label/1",
        "barcodes": [[b.quadrant, b.name, b.data, b.text] for b in barcodes(content)],
        "text": asdict(label_text(content)),
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _identify(scan: str) -> str | None:
    """Which of the label's bar codes a scan is, by its data identifier (ST-001 §2.1, §2.2:
    the identifier is checked before anything else)."""
    if scan.startswith("=%"):
        return BLOOD_GROUP
    if scan.startswith("=<"):
        return PRODUCT_CODE
    if scan.startswith(("&>", "=>")):  # 005, or a date-only 004 where a 005 was printed
        return EXPIRY
    if len(scan) >= 2 and scan[0] == "=" and scan[1] in FIN_FIRST_CHARACTERS:
        return DIN
    return None


def _wrong_din(expected: Din, scanned: str) -> str:
    try:
        other = parse_din(scanned)
    except Isbt128Error as error:
        return f"it is not a valid DIN ({error.message}): rescan, or reprint the label"
    if other.text != expected.text:
        return (
            f"that is unit {other.eye_readable}, not {expected.eye_readable}: this label belongs to "
            "another unit — do not apply it"
        )
    return "the flag characters differ: reprint the label from the record"


def scan_check(content: LabelContent, scans: Sequence[str]) -> list[ScanMismatch]:
    """Compare a label's scans with the record; ``[]`` means the label is verified.

    Every scan must be one of the label's four bar codes (by data identifier) and equal the
    record's data for it; every one of the four must have been scanned. Surrounding white
    space (a scanner's line end) is ignored and blank scans are skipped.
    """
    expected = {barcode.name: barcode for barcode in barcodes(content)}
    mismatches: list[ScanMismatch] = []
    seen: set[str] = set()
    for raw in scans:
        scan = raw.strip()
        if not scan:
            continue
        name = _identify(scan)
        if name is None:
            mismatches.append(
                ScanMismatch(
                    "unknown",
                    None,
                    scan,
                    f"scanned {scan!r}, which is not one of this label's bar codes (DIN, blood group, "
                    "product code, expiry): scan the four bar codes of the label",
                )
            )
            continue
        seen.add(name)
        barcode = expected[name]
        if scan == barcode.data:
            continue
        message = f"{name} scanned {scan} but the record says {barcode.data}"
        if name == DIN:
            message += f": {_wrong_din(content.din, scan)}"
        elif name == EXPIRY and scan.startswith("=>"):
            message += ": the label carries a date-only expiry (004); it must carry date and time (005)"
        else:
            message += ": do not apply this label; reprint it from the record"
        mismatches.append(ScanMismatch(name, barcode.data, scan, message))
    for barcode in expected.values():
        if barcode.name not in seen:
            mismatches.append(
                ScanMismatch(
                    barcode.name,
                    barcode.data,
                    None,
                    f"the {barcode.name} bar code ({barcode.quadrant}) was not scanned: scan it, or "
                    "reprint the label if it does not read",
                )
            )
    return mismatches
