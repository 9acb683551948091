"""The unit label as a 100 mm × 100 mm PDF, drawn with reportlab.

Layout follows the ISBT 128 container label (ST-001 §8; IG-002 for the US): four 50 mm
quadrants, each led by its Code 128 bar code with the eye-readable text drawn below it —
reportlab's own human-readable line is off, because ST-001 §7.4 prints the interpretation
(eye-readable DIN with its boxed check character, large ABO, "EXPIRES …"), not the raw data.

Pure: no Django, no clock (``invariant=1`` keeps reportlab's creation date and document id
out of the file, so the same content gives the same bytes), no downloads (only the PDF base-14
fonts Helvetica and Helvetica-Bold, which every reader has).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.colors import black, white
from reportlab.lib.units import mm as _reportlab_mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from hemaops.components.labels.content import (
    BLOOD_GROUP,
    DIN,
    EXPIRY,
    PRODUCT_CODE,
    Barcode,
    LabelContent,
    LabelError,
    LabelText,
    barcodes,
    label_text,
)

__all__ = ["LABEL_SIZE_MM", "label_pdf"]

mm: Final[float] = float(_reportlab_mm)  # points per millimetre (reportlab is untyped)

LABEL_SIZE_MM: Final = 100.0
_HALF: Final = LABEL_SIZE_MM / 2 * mm
_MARGIN: Final = 2.5 * mm
#: Nominal X dimension 0.25 mm; narrower only when a bar code would not fit its quadrant.
_NOMINAL_X: Final = 0.25 * mm
#: ISO/IEC 15417 (Code 128): a quiet zone of at least 10 X on each side.
_QUIET_MODULES: Final = 10
_BAR_HEIGHT: Final = 9 * mm
_REGULAR: Final = "Helvetica"
_BOLD: Final = "Helvetica-Bold"
_MIN_SCALE: Final = 0.6


def _code128(data: str, x_dimension: float) -> Code128:
    return Code128(
        data,
        barWidth=x_dimension,
        barHeight=_BAR_HEIGHT,
        quiet=1,
        lquiet=_QUIET_MODULES * x_dimension,
        rquiet=_QUIET_MODULES * x_dimension,
        humanReadable=0,
    )


def _x_dimension(codes: Sequence[Barcode]) -> float:
    """One X dimension for all four bar codes (a uniform look, one scanner setting): the
    nominal 0.25 mm, or less so that the widest symbol and its quiet zones fit a quadrant."""
    available = _HALF - 2 * _MARGIN
    widest = max(float(Code128(code.data, barWidth=1, quiet=0).width) for code in codes)
    return min(_NOMINAL_X, available / (widest + 2 * _QUIET_MODULES))


@dataclass(frozen=True)
class _Line:
    text: str
    font: str
    size: float
    gap_before: float = 0.0  # extra space above, in points (scaled with the text)
    one_line: bool = False  # shrink to the width instead of wrapping (a date must read as one)


class _Quadrant:
    """A 50 mm × 50 mm cell: origin at its lower-left corner, a bar code at the top."""

    def __init__(self, canvas: Canvas, column: int, row: int) -> None:
        self.canvas = canvas
        self.left = column * _HALF + _MARGIN
        self.right = (column + 1) * _HALF - _MARGIN
        self.bottom = row * _HALF + _MARGIN
        self.top = (row + 1) * _HALF - _MARGIN
        self.width = self.right - self.left
        self.centre = (self.left + self.right) / 2

    def barcode(self, data: str, x_dimension: float) -> float:
        """Draw the bar code centred at the top; return the y just below its bars."""
        symbol = _code128(data, x_dimension)
        y = self.top - _BAR_HEIGHT
        symbol.drawOn(self.canvas, self.centre - float(symbol.width) / 2, y)
        return y

    def text_block(self, lines: Sequence[_Line], top: float, name: str) -> None:
        """Wrap and draw ``lines`` from ``top`` down, shrinking them together (to 60 %) until
        they fit above the quadrant's bottom margin: text never runs off or overlaps.
        A block that cannot fit is refused, since a label missing a statement is misbranded."""
        lines = [
            replace(line, size=_fit_size(line.text, line.font, line.size, self.width))
            if line.one_line
            else line
            for line in lines
        ]
        scale = 1.0
        while scale >= _MIN_SCALE:
            wrapped = [
                (line, simpleSplit(line.text, line.font, line.size * scale, self.width)) for line in lines
            ]
            height = sum((line.gap_before + line.size * 1.18 * len(parts)) * scale for line, parts in wrapped)
            if height <= top - self.bottom:
                break
            scale -= 0.05
        else:
            raise LabelError(
                "text_does_not_fit",
                f"the text of the {name} quadrant does not fit a 100 mm label: shorten it",
                name,
            )
        y = top
        for line, parts in wrapped:
            y -= line.gap_before * scale
            size = line.size * scale
            self.canvas.setFont(line.font, size)
            for part in parts:
                y -= size * 1.18
                self.canvas.drawCentredString(self.centre, y + size * 0.25, part)


def _fit_size(text: str, font: str, size: float, width: float) -> float:
    return min(size, 0.98 * size * width / max(float(stringWidth(text, font, size)), 1e-6))


def _upper_left(q: _Quadrant, text: LabelText, data: str, x_dimension: float) -> None:
    """DIN (ST-001 §7.4.1): eye-readable DIN, flags rotated 90°, check character K in a box
    (§7.5.1.1); then the collecting facility (21 CFR 606.121(c)(2))."""
    canvas = q.canvas
    below = q.barcode(data, x_dimension)
    size = 12.0
    flag_size = 6.0
    box = 4.6 * mm
    gap = 1.2 * mm

    def total(at: float) -> float:
        flags = (flag_size * (at / size) * 1.1 + gap) if text.flags else 0.0
        return float(stringWidth(text.din, _BOLD, at)) + gap + flags + box * at / size

    while total(size) > q.width and size > 7:
        size -= 0.5
    ratio = size / 12.0
    x = q.centre - total(size) / 2
    baseline = below - 5.0 * mm
    canvas.setFont(_BOLD, size)
    canvas.drawString(x, baseline, text.din)
    x += float(stringWidth(text.din, _BOLD, size)) + gap
    if text.flags:
        # ST-001 §7.4.1: flags printed rotated 90° beside the DIN.
        canvas.saveState()
        canvas.translate(x + flag_size * ratio, baseline - 0.5 * mm)
        canvas.rotate(90)
        canvas.setFont(_REGULAR, flag_size * ratio)
        canvas.drawString(0, 0, text.flags)
        canvas.restoreState()
        x += flag_size * ratio * 1.1 + gap
    side = box * ratio
    canvas.setLineWidth(0.8)
    canvas.rect(x, baseline - 1.0 * mm, side, side, stroke=1, fill=0)
    canvas.setFont(_BOLD, 10 * ratio)
    canvas.drawCentredString(x + side / 2, baseline - 1.0 * mm + side * 0.22, text.check_character)
    lines = [_Line(text.facility_lines[0], _BOLD, 7.5)]
    lines += [_Line(line, _REGULAR, 7.0, gap_before=1.0) for line in text.facility_lines[1:]]
    q.text_block(lines, baseline - 3.5 * mm, "upper left")


def _upper_right(q: _Quadrant, text: LabelText, data: str, x_dimension: float) -> None:
    """ABO in large type and the RhD statement; Rh negative white on black (606.121(d))."""
    canvas = q.canvas
    below = q.barcode(data, x_dimension)
    size = _fit_size(text.abo, _BOLD, 46, q.width)
    canvas.setFont(_BOLD, size)
    abo_baseline = below - 4 * mm - size * 0.72
    canvas.drawCentredString(q.centre, abo_baseline, text.abo)
    rh_size = _fit_size(text.rh, _BOLD, 15, q.width - 4 * mm)
    height = 8.5 * mm
    y = q.bottom + 1 * mm
    if text.rh_negative:
        canvas.setFillColor(black)
        canvas.rect(q.left, y, q.width, height, stroke=0, fill=1)
        canvas.setFillColor(white)
    canvas.setFont(_BOLD, rh_size)
    canvas.drawCentredString(q.centre, y + (height - rh_size * 0.72) / 2, text.rh)
    canvas.setFillColor(black)


def _lower_left(q: _Quadrant, text: LabelText, data: str, x_dimension: float) -> None:
    """Product code and the product's statements: description (606.121(c)(1)), volume,
    storage temperature (606.121(c)(6)), donor classification (606.121(c)(5)) and any special
    testing (ST-001 §2.4.10 in words)."""
    below = q.barcode(data, x_dimension)
    lines = [_Line(text.product_code, _REGULAR, 7.0)]
    lines.append(_Line(text.product_description, _BOLD, 8.5, gap_before=2.0))
    if text.volume:
        lines.append(_Line(text.volume, _REGULAR, 7.5, gap_before=1.5))
    lines.append(_Line(text.storage, _REGULAR, 7.5, gap_before=1.0))
    lines.append(_Line(text.donor_statement, _BOLD, 9.0, gap_before=2.0))
    lines += [_Line(statement, _REGULAR, 7.0, gap_before=1.0) for statement in text.special_testing]
    q.text_block(lines, below - 0.5 * mm, "lower left")


def _lower_right(q: _Quadrant, text: LabelText, data: str, x_dimension: float) -> None:
    """Expiry (606.121(c)(4)): day, month, year, and the hour when the dating is ≤ 72 h
    (606.121(c)(4)(i)); then the collection date (610.50(c))."""
    below = q.barcode(data, x_dimension)
    lines = [_Line(text.expires, _BOLD, 12.0, gap_before=4.0, one_line=True)]
    if text.expires_time:
        lines.append(_Line(text.expires_time, _BOLD, 16.0, gap_before=1.0))
    lines.append(_Line(text.collected, _REGULAR, 7.5, gap_before=5.0))
    q.text_block(lines, below - 0.5 * mm, "lower right")


def label_pdf(content: LabelContent) -> bytes:
    """A one-page 100 mm × 100 mm PDF of the unit label (see the module docstring)."""
    text = label_text(content)
    codes = {code.name: code for code in barcodes(content)}
    x_dimension = _x_dimension(list(codes.values()))
    buffer = io.BytesIO()
    side = LABEL_SIZE_MM * mm
    canvas = Canvas(buffer, pagesize=(side, side), invariant=1, pageCompression=1)
    canvas.setTitle(f"ISBT 128 label {text.din}")
    canvas.setAuthor(content.facility_name)
    canvas.setSubject(" ".join(code.data for code in codes.values()))
    # Quadrant dividers (hairlines, so they never read as bars).
    canvas.setStrokeGray(0.6)
    canvas.setLineWidth(0.3)
    canvas.line(_HALF, 1.5 * mm, _HALF, side - 1.5 * mm)
    canvas.line(1.5 * mm, _HALF, side - 1.5 * mm, _HALF)
    canvas.setStrokeColor(black)
    _upper_left(_Quadrant(canvas, 0, 1), text, codes[DIN].data, x_dimension)
    _upper_right(_Quadrant(canvas, 1, 1), text, codes[BLOOD_GROUP].data, x_dimension)
    _lower_left(_Quadrant(canvas, 0, 0), text, codes[PRODUCT_CODE].data, x_dimension)
    _lower_right(_Quadrant(canvas, 1, 0), text, codes[EXPIRY].data, x_dimension)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
