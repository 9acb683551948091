"""The unit label in ZPL II, for a 100 mm × 100 mm thermal label.

Same four quadrants, bar codes and words as the PDF (both read :func:`label_text` and
:func:`barcodes`), laid out in printer dots at the given resolution.

Code 128 field data (``^BC`` with mode N): in ZPL, ``>`` starts an *invocation code*
(Zebra ZPL II Programming Guide, ``^BC``, "Code 128 Invocation Characters"), so the ``>`` of
the expiry identifier ``&>`` is written ``>0`` (Code 128 value 30), ``^`` ``><`` and ``~``
``>=``; ``>:`` starts subset B and ``>5``/``>6`` switch to subset C and back, so runs of digits
are packed two to a symbol and each bar code fits its 50 mm quadrant at 0.25 mm modules.
Text fields are hex-escaped with ``^FH`` (``_5E`` for ``^``, ``_7E`` for ``~``, ``_5F`` for
``_``, UTF-8 bytes for anything outside printable ASCII under ``^CI28``), so no field data
can be read as a ZPL command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from hemaops.components.labels.content import (
    BLOOD_GROUP,
    DIN,
    EXPIRY,
    PRODUCT_CODE,
    LabelContent,
    LabelError,
    LabelText,
    barcodes,
    label_text,
)

__all__ = ["code128_field_data", "label_zpl"]

_LABEL_MM: Final = 100.0
_HALF_MM: Final = 50.0
_MARGIN_MM: Final = 2.5
_BAR_HEIGHT_MM: Final = 9.0
_NOMINAL_X_MM: Final = 0.25
_QUIET_MODULES: Final = 10  # ISO/IEC 15417: quiet zone ≥ 10 X each side
_POINT_MM: Final = 25.4 / 72
#: Code 128 subset B characters that ZPL reads as invocation codes, and how to write them.
_SUBSET_B_ESCAPES: Final = {">": ">0", "^": "><", "~": ">="}
_TEXT_ESCAPES: Final = frozenset("^~_")


def code128_field_data(data: str) -> tuple[str, int]:
    """``^FD`` content for ``^BC`` (mode N) encoding ``data``, and the symbol's width in
    modules (start, data, subset switches, check character and stop; quiet zones not included).

    Starts in subset B (``>:``); a run of digits goes to subset C (``>5`` … ``>6``) when that
    makes the symbol shorter: 4 or more digits at the end, 6 or more in the middle.
    """
    if not data or any(not 32 <= ord(character) <= 126 for character in data):
        raise LabelError("invalid_barcode_data", f"{data!r} is not printable ASCII", "barcode")
    parts = [">:"]
    symbols = 1  # start B
    index = 0
    while index < len(data):
        end = index
        while end < len(data) and data[end].isdigit():
            end += 1
        run = end - index
        at_end = end == len(data)
        if run >= (4 if at_end else 6):
            if run % 2:  # odd run: its first digit in subset B, the even rest in subset C
                parts.append(data[index])
                symbols += 1
                index += 1
            parts.append(">5" + data[index:end])
            symbols += 1 + (end - index) // 2
            if not at_end:
                parts.append(">6")
                symbols += 1
            index = end
            continue
        character = data[index]
        parts.append(_SUBSET_B_ESCAPES.get(character, character))
        symbols += 1
        index += 1
    return "".join(parts), (symbols + 1) * 11 + 13  # + check character; stop is 13 modules


def _escape_text(value: str) -> str:
    """``^FH`` hex escapes (indicator ``_``) for ``^``, ``~``, ``_`` and non-ASCII bytes."""
    out: list[str] = []
    for character in value:
        if character in _TEXT_ESCAPES or not 32 <= ord(character) <= 126:
            out.extend(f"_{byte:02X}" for byte in character.encode("utf-8"))
        else:
            out.append(character)
    return "".join(out)


@dataclass(frozen=True)
class _Line:
    text: str
    bold: bool
    size_pt: float
    gap_mm: float = 0.0
    one_line: bool = False  # shrink to the width instead of wrapping (a date must read as one)


class _Zpl:
    """Commands in dots; callers think in millimetres from the label's top-left corner."""

    def __init__(self, dpi: int) -> None:
        self.dots_per_mm = dpi / 25.4
        self.commands: list[str] = []

    def dots(self, millimetres: float) -> int:
        return round(millimetres * self.dots_per_mm)

    def barcode(self, left_mm: float, top_mm: float, width_mm: float, data: str, module: int) -> None:
        field, modules = code128_field_data(data)
        x = self.dots(left_mm + width_mm / 2) - modules * module // 2
        height = self.dots(_BAR_HEIGHT_MM)
        self.commands.append(f"^FO{x},{self.dots(top_mm)}^BY{module}^BCN,{height},N,N,N^FD{field}^FS")

    def text(
        self, left_mm: float, top_mm: float, width_mm: float, value: str, size_pt: float, *, bold: bool = True
    ) -> None:
        height = max(self.dots(size_pt * _POINT_MM), 10)
        width = height if bold else round(height * 0.9)
        self.commands.append(
            f"^FO{self.dots(left_mm)},{self.dots(top_mm)}^A0N,{height},{width}"
            f"^FB{self.dots(width_mm)},1,0,C,0^FH^FD{_escape_text(value)}^FS"
        )

    @staticmethod
    def fit(value: str, size_pt: float, width_mm: float) -> float:
        """The largest size (≤ ``size_pt``) at which ``value`` is one line ``width_mm`` wide."""
        wide = float(stringWidth(value, "Helvetica-Bold", size_pt)) * _POINT_MM
        return size_pt if wide <= width_mm else size_pt * width_mm / wide * 0.98

    def block(
        self,
        left_mm: float,
        top_mm: float,
        width_mm: float,
        bottom_mm: float,
        lines: Sequence[_Line],
        name: str,
    ) -> None:
        """Wrap and stack ``lines``, shrinking them together (to 60 %) until they fit; the line
        width is measured with Helvetica-Bold metrics, wider than ZPL font 0, so a wrapped line
        never overflows its field block."""
        lines = [
            replace(line, size_pt=self.fit(line.text, line.size_pt, width_mm)) if line.one_line else line
            for line in lines
        ]
        scale = 1.0
        while scale >= 0.6:
            wrapped = [
                (line, simpleSplit(line.text, "Helvetica-Bold", line.size_pt * scale, width_mm / _POINT_MM))
                for line in lines
            ]
            height = sum(
                (line.gap_mm + line.size_pt * _POINT_MM * 1.2 * len(p)) * scale for line, p in wrapped
            )
            if top_mm + height <= bottom_mm:
                break
            scale -= 0.05
        else:
            raise LabelError(
                "text_does_not_fit", f"the text of the {name} quadrant does not fit a 100 mm label", name
            )
        y = top_mm
        for line, parts in wrapped:
            y += line.gap_mm * scale
            for part in parts:
                self.text(left_mm, y, width_mm, part, line.size_pt * scale, bold=line.bold)
                y += line.size_pt * _POINT_MM * 1.2 * scale


def _module(zpl: _Zpl, data: Sequence[str]) -> int:
    """One module width in dots for all four bar codes: the nominal 0.25 mm, or fewer dots
    so that the widest symbol and its quiet zones fit a quadrant."""
    available = zpl.dots(_HALF_MM - 2 * _MARGIN_MM)
    widest = max(code128_field_data(value)[1] for value in data)
    return max(1, min(round(_NOMINAL_X_MM * zpl.dots_per_mm), available // (widest + 2 * _QUIET_MODULES)))


def _upper_left(zpl: _Zpl, text: LabelText, data: str, module: int) -> None:
    """DIN, flags rotated, check character K boxed (ST-001 §7.4.1, §7.5.1.1); the facility."""
    left, width = _MARGIN_MM, _HALF_MM - 2 * _MARGIN_MM
    zpl.barcode(left, _MARGIN_MM, width, data, module)
    top = _MARGIN_MM + _BAR_HEIGHT_MM + 1.5
    box = 4.6
    box_left = left + width - box
    din_width = box_left - left - (4.0 if text.flags else 1.0)
    size = 12.0
    while simpleSplit(text.din, "Helvetica-Bold", size, din_width / _POINT_MM) != [text.din] and size > 7:
        size -= 0.5
    zpl.text(left, top, din_width, text.din, size)
    if text.flags:
        flag_height = zpl.dots(2.2)
        zpl.commands.append(
            f"^FO{zpl.dots(box_left - 3.0)},{zpl.dots(top)}^A0R,{flag_height},{flag_height}"
            f"^FH^FD{_escape_text(text.flags)}^FS"
        )
    zpl.commands.append(
        f"^FO{zpl.dots(box_left)},{zpl.dots(top - 0.3)}^GB{zpl.dots(box)},{zpl.dots(box)},2^FS"
    )
    zpl.text(box_left, top + 0.6, box, text.check_character, 10)
    lines = [_Line(text.facility_lines[0], True, 7.5, 0.0)]
    lines += [_Line(line, False, 7.0, 1.0 * _POINT_MM) for line in text.facility_lines[1:]]
    zpl.block(left, top + 7.0, width, _HALF_MM - _MARGIN_MM, lines, "upper left")


def _upper_right(zpl: _Zpl, text: LabelText, data: str, module: int) -> None:
    """Large ABO; Rh NEGATIVE reversed white on black (21 CFR 606.121(d))."""
    left, width = _HALF_MM + _MARGIN_MM, _HALF_MM - 2 * _MARGIN_MM
    zpl.barcode(left, _MARGIN_MM, width, data, module)
    zpl.text(left, _MARGIN_MM + _BAR_HEIGHT_MM + 3.0, width, text.abo, 46)
    box_top, box_height = _HALF_MM - _MARGIN_MM - 9.5, 8.5
    if text.rh_negative:
        thickness = zpl.dots(box_height)
        zpl.commands.append(
            f"^FO{zpl.dots(left)},{zpl.dots(box_top)}^GB{zpl.dots(width)},{thickness},{thickness}^FS"
        )
        zpl.commands.append(
            f"^FO{zpl.dots(left)},{zpl.dots(box_top + 2.0)}^A0N,{zpl.dots(5.3)},{zpl.dots(5.3)}"
            f"^FB{zpl.dots(width)},1,0,C,0^FR^FH^FD{_escape_text(text.rh)}^FS"
        )
    else:
        zpl.text(left, box_top + 2.0, width, text.rh, 15)


def _lower_left(zpl: _Zpl, text: LabelText, data: str, module: int) -> None:
    """Product code; description, volume, storage, donor classification, special testing."""
    left, width = _MARGIN_MM, _HALF_MM - 2 * _MARGIN_MM
    top = _HALF_MM + _MARGIN_MM
    zpl.barcode(left, top, width, data, module)
    lines = [_Line(text.product_code, False, 7.0)]
    lines.append(_Line(text.product_description, True, 8.5, 0.8))
    if text.volume:
        lines.append(_Line(text.volume, False, 7.5, 0.5))
    lines.append(_Line(text.storage, False, 7.5, 0.4))
    lines.append(_Line(text.donor_statement, True, 9.0, 0.8))
    lines += [_Line(statement, False, 7.0, 0.4) for statement in text.special_testing]
    zpl.block(left, top + _BAR_HEIGHT_MM + 0.8, width, _LABEL_MM - _MARGIN_MM, lines, "lower left")


def _lower_right(zpl: _Zpl, text: LabelText, data: str, module: int) -> None:
    """Expiry date, the hour when the dating is ≤ 72 h (606.121(c)(4)(i)), collection date."""
    left, width = _HALF_MM + _MARGIN_MM, _HALF_MM - 2 * _MARGIN_MM
    top = _HALF_MM + _MARGIN_MM
    zpl.barcode(left, top, width, data, module)
    lines = [_Line(text.expires, True, 12.0, 1.5, one_line=True)]
    if text.expires_time:
        lines.append(_Line(text.expires_time, True, 16.0, 0.4))
    lines.append(_Line(text.collected, False, 7.5, 1.8))
    zpl.block(left, top + _BAR_HEIGHT_MM + 0.8, width, _LABEL_MM - _MARGIN_MM, lines, "lower right")


def label_zpl(content: LabelContent, dpi: int = 203) -> str:
    """ZPL II for one 100 mm × 100 mm label at ``dpi`` (203, 300 or 600 for Zebra heads)."""
    if dpi < 150:
        raise LabelError("invalid_dpi", f"{dpi} dpi is too coarse for ISBT 128 bar codes", "dpi")
    text = label_text(content)
    codes = {code.name: code.data for code in barcodes(content)}
    zpl = _Zpl(dpi)
    side = zpl.dots(_LABEL_MM)
    module = _module(zpl, list(codes.values()))
    zpl.commands += ["^XA", "^CI28", f"^PW{side}", f"^LL{side}", "^LH0,0"]
    # Quadrant dividers: 1-dot-wide rules, well clear of the quiet zones' edges.
    zpl.commands.append(f"^FO{zpl.dots(_HALF_MM)},{zpl.dots(1.5)}^GB1,{side - 2 * zpl.dots(1.5)},1^FS")
    zpl.commands.append(f"^FO{zpl.dots(1.5)},{zpl.dots(_HALF_MM)}^GB{side - 2 * zpl.dots(1.5)},1,1^FS")
    _upper_left(zpl, text, codes[DIN], module)
    _upper_right(zpl, text, codes[BLOOD_GROUP], module)
    _lower_left(zpl, text, codes[PRODUCT_CODE], module)
    _lower_right(zpl, text, codes[EXPIRY], module)
    zpl.commands.append("^XZ")
    return "\n".join(zpl.commands) + "\n"
