"""The product catalogue file: the products an establishment makes, as data.

Pure: no Django, no database, no clock (house style §2). The catalogue is data, never code
constants (domain-reference §3.4, "design consequence"): ISBT 128 Product Description Codes
and their descriptions are licensed by ICCBBA, so an establishment exports the codes it uses
from its licensed database (``source=iccbba``, codes ``E…``/``F…``, blood components) and adds
its own attributes; or it uses a local catalogue (``source=local``, codes ``A…``–``D…``, the
national/local range). The demo's local catalogue is ``data/local_catalogue.csv``; the
format, for the people who prepare the file: docs/component-files.md.

``parse_catalogue`` checks the whole file and raises :class:`CatalogueFileError` with every
error it found (line, field, reason); a file with any error yields no rows, so a half-read
catalogue can never be loaded.

Dating and anticoagulant values are the enums of ``hemaops.components.rules.dating``, so a
catalogue row always names a dating the expiry engine knows. The ``procedure`` values are the
collection procedures of ``hemaops.donations`` (``PROCEDURES`` of the Donation model); they are
repeated here because this module must not import Django, and a test keeps the two equal.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from hemaops.components.file_errors import ErrorList, FileParseError, LineError, decode_text
from hemaops.components.rules.dating import Anticoagulant, Product
from hemaops.components.rules.manufacturing import Process, ProductClass

__all__ = [
    "COLUMNS",
    "PROCEDURES",
    "PROCESSES",
    "PRODUCT_CLASSES",
    "SOURCES",
    "CatalogueFileError",
    "CatalogueRow",
    "LineError",
    "ParsedCatalogue",
    "parse_catalogue",
]

COLUMNS: Final = (
    "code",
    "description",
    "product_class",
    "dating_product",
    "anticoagulant",
    "storage_min_c",
    "storage_max_c",
    "billable_item_code",
    "made_from",
    "process",
    "procedure",
)
SOURCES: Final = ("iccbba", "local")
# The classes and processes the manufacturing rules know: one list, theirs.
PRODUCT_CLASSES: Final = tuple(value.value for value in ProductClass)
PROCESSES: Final = tuple(value.value for value in Process)
#: The collection procedures, spelled as hemaops.donations.models.collection.PROCEDURES.
PROCEDURES: Final = ("whole_blood", "double_red_cells", "platelets", "plasma", "source_plasma")

#: The first character of a code each source allows (domain-reference §3.4): ICCBBA blood
#: components are E and F; A–D are national/local codes that ICCBBA never assigns.
CODE_FIRST: Final = {"iccbba": "EF", "local": "ABCD"}
DESCRIPTION_MAX: Final = 120
BILLABLE_MAX: Final = 20
VERSION_MAX: Final = 40
#: Storage limits a row may name: −90 °C (ultra-low freezer) to 40 °C (above any storage).
STORAGE_LOWEST: Final = Decimal(-90)
STORAGE_HIGHEST: Final = Decimal(40)
#: A catalogue is a few hundred products; a file far larger is not a catalogue.
MAX_ROWS: Final = 10_000

#: The product class each dating product belongs to: a row whose dating is that of another
#: class (a red cell product dated as plasma) is a mistake in the file, not a choice.
CLASS_OF_DATING: Final[dict[Product, str]] = {
    Product.WHOLE_BLOOD: "whole_blood",
    Product.RED_CELLS: "red_cells",
    Product.RED_CELLS_FROZEN: "red_cells",
    Product.RED_CELLS_DEGLYCEROLIZED: "red_cells",
    Product.PLATELETS: "platelets",
    Product.PLATELETS_COLD_STORED: "platelets",
    Product.PLASMA_FFP: "plasma",
    Product.PLASMA_PF24: "plasma",
    Product.PLASMA: "plasma",
    Product.LIQUID_PLASMA: "plasma",
    Product.CRYO: "cryo",
}

_HEADER_EXAMPLE = "# hemaops product catalogue; source=local; version=2026.1"
_HEADER_TITLE = "hemaops product catalogue"
_CODE = re.compile(r"[A-Z][0-9]{4}")
_BILLABLE = re.compile(r"[A-Za-z0-9-]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_PRODUCTS: Final = {p.value: p for p in Product}
_ANTICOAGULANTS: Final = {a.value.lower(): a for a in Anticoagulant}


@dataclass(frozen=True)
class CatalogueRow:
    line: int  # 1-based line number in the file (the comment is line 1, the column header line 2)
    code: str  # Product Description Code, e.g. "A0003" or "E0685"
    description: str
    product_class: str  # one of PRODUCT_CLASSES
    dating_product: Product
    anticoagulant: Anticoagulant
    storage_min_c: Decimal
    storage_max_c: Decimal
    billable_item_code: str
    made_from: str  # "" or the code of the product this one is made from
    process: str  # "" when made_from is "", else one of PROCESSES
    procedure: str  # "" or one of PROCEDURES: the collection that makes this product directly


@dataclass(frozen=True)
class ParsedCatalogue:
    source: str  # "iccbba" or "local"
    version: str  # the licensed database version, or the local catalogue's own
    rows: tuple[CatalogueRow, ...]


class CatalogueFileError(FileParseError):
    """The catalogue file does not parse; ``errors`` lists every error (line, field, message)."""

    what = "product catalogue"


def parse_catalogue(data: bytes) -> ParsedCatalogue:
    """Read a product catalogue file (docs/component-files.md) and check all of it.

    Raises :class:`CatalogueFileError` with every error found; returns only a file with none.
    """
    text = decode_text(data)
    if isinstance(text, LineError):
        raise CatalogueFileError([text])
    return _Parser().parse(text)


def _choices(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


class _Parser:
    def __init__(self) -> None:
        self.errors = ErrorList()
        self.source = ""
        self.version = ""

    def parse(self, text: str) -> ParsedCatalogue:
        first, _, rest = text.partition("\n")
        self._comment(first.rstrip("\r"))
        rows = self._rows(rest)
        if not self.errors:
            self._links(rows)
        if self.errors:
            raise CatalogueFileError(self.errors.result())
        return ParsedCatalogue(self.source, self.version, tuple(rows))

    # --- line 1: the header comment ----------------------------------------------------

    def _comment(self, line: str) -> None:
        """Line 1 says where the codes come from, which decides the code range, and which
        version of the licensed database they were exported from (a code's meaning is only
        defined together with that version)."""
        add = self.errors.add
        expected = f"expected a first line such as {_HEADER_EXAMPLE!r}"
        parts = [part.strip() for part in line.lstrip("\ufeff").split(";")]
        if not parts[0].startswith("#") or parts[0].lstrip("#").strip().lower() != _HEADER_TITLE:
            add(1, "header", f"header: line 1 is not the catalogue's header comment ({expected})")
            return
        values: dict[str, str] = {}
        for part in parts[1:]:
            key, equals, value = (s.strip() for s in part.partition("="))
            if not equals or key.lower() not in ("source", "version"):
                add(1, "header", f"header: {part!r} is not source=… or version=… ({expected})")
            elif key.lower() in values:
                add(1, "header", f"header: {key.lower()} is given twice ({expected})")
            else:
                values[key.lower()] = value
        source = values.get("source")
        if source is None:
            add(1, "source", f"source: missing (expected source=iccbba or source=local; {expected})")
        elif source.lower() not in SOURCES:
            add(1, "source", f"source: {source!r} is not a source (expected one of: {_choices(SOURCES)})")
        else:
            self.source = source.lower()
        version = values.get("version")
        if not version:
            add(1, "version", f"version: missing (expected the catalogue's version, e.g. 7.81; {expected})")
        elif len(version) > VERSION_MAX:
            add(1, "version", f"version: {len(version)} characters (expected at most {VERSION_MAX})")
        else:
            self.version = version

    # --- line 2 on: the column header and the products ---------------------------------

    def _records(self, rest: str) -> Iterator[tuple[int, list[str]]]:
        """Each CSV record with the file line it starts on (a quoted value may span lines)."""
        reader = csv.reader(io.StringIO(rest, newline=""))
        previous = 0
        try:
            for fields in reader:
                line, previous = previous + 2, reader.line_num
                if any(field.strip() for field in fields):
                    yield line, fields
        except csv.Error as error:
            self.errors.add(
                previous + 2, "file", f"file: not readable as CSV after line {previous + 1}: {error}"
            )

    def _rows(self, rest: str) -> list[CatalogueRow]:
        rows: list[CatalogueRow] = []
        index: dict[str, int] | None = None
        width = 0
        count = 0
        last = 1
        for line, fields in self._records(rest):
            last = line
            if index is None:
                width = len(fields)
                index = self._header(line, fields)
                if index is None:
                    return rows
                continue
            count += 1
            if count > MAX_ROWS:
                self.errors.add(line, "file", f"file: more than {MAX_ROWS:,} products (line {line})")
                return rows
            if len(fields) != width:
                self.errors.add(
                    line,
                    "file",
                    f"file: this line has {len(fields)} fields and the column header {width} "
                    "(a missing or extra comma, or a value with a comma that is not in double quotes)",
                )
                continue
            row = self._row(line, {column: fields[i].strip() for column, i in index.items()})
            if row is not None:
                rows.append(row)
        if not width:
            self.errors.add(2, "header", f"header: no column header on line 2 (expected {','.join(COLUMNS)})")
        elif not count:
            self.errors.add(last, "file", "file: no products after the column header")
        return rows

    def _header(self, line: int, fields: list[str]) -> dict[str, int] | None:
        """The position of each column, or None when the header cannot be used."""
        names = [name.strip().lower() for name in fields]
        expected = f"expected the columns {','.join(COLUMNS)}, in any order"
        missing = [column for column in COLUMNS if column not in names]
        unknown = [name.strip() for name in fields if name.strip().lower() not in COLUMNS]
        repeated = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
        if not set(names) & set(COLUMNS):
            self.errors.add(line, "header", f"header: line {line} is not the column header ({expected})")
            return None
        for column in missing:
            self.errors.add(line, column, f"{column}: the column is missing ({expected})")
        if unknown:
            listed = _choices([repr(name) for name in unknown])
            self.errors.add(line, "header", f"header: unknown columns {listed} ({expected})")
        if repeated:
            self.errors.add(line, "header", f"header: columns given twice: {_choices(repeated)} ({expected})")
        if missing:
            return None
        # With unknown or repeated columns the file is refused, but its lines are still checked.
        return {column: names.index(column) for column in COLUMNS}

    def _row(self, line: int, raw: dict[str, str]) -> CatalogueRow | None:
        """Check one product line; the row when every field is right."""
        add = self.errors.add
        before = len(self.errors.listed) + self.errors.unlisted

        code = raw["code"]
        if not _CODE.fullmatch(code):
            what = "missing" if not code else f"{code!r} is not a code"
            add(line, "code", f"code: {what} (expected a capital letter and 4 digits, e.g. A0001)")
        elif self.source and code[0] not in CODE_FIRST[self.source]:
            allowed = "A, B, C or D (national/local codes)" if self.source == "local" else "E or F"
            add(
                line,
                "code",
                f"code: {code!r} in a source={self.source} catalogue must start with {allowed}",
            )

        description = raw["description"]
        if not description:
            add(line, "description", "description: missing (expected the product's name)")
        elif len(description) > DESCRIPTION_MAX:
            add(
                line,
                "description",
                f"description: {len(description)} characters (expected at most {DESCRIPTION_MAX})",
            )

        product_class = raw["product_class"].lower()
        if product_class not in PRODUCT_CLASSES:
            self._choice_error(line, "product_class", raw["product_class"], PRODUCT_CLASSES)

        dating = _PRODUCTS.get(raw["dating_product"].lower())
        if dating is None:
            self._choice_error(line, "dating_product", raw["dating_product"], tuple(_PRODUCTS))
        elif product_class in PRODUCT_CLASSES and CLASS_OF_DATING[dating] != product_class:
            add(
                line,
                "dating_product",
                f"dating_product: {dating} is a {CLASS_OF_DATING[dating]} dating, not one of "
                f"product_class {product_class}",
            )

        anticoagulant = _ANTICOAGULANTS.get(raw["anticoagulant"].lower())
        if anticoagulant is None:
            expected = tuple(a.value for a in Anticoagulant)
            self._choice_error(line, "anticoagulant", raw["anticoagulant"], expected)

        low = self._temperature(line, "storage_min_c", raw["storage_min_c"])
        high = self._temperature(line, "storage_max_c", raw["storage_max_c"])
        if low is not None and high is not None and not low < high:
            add(line, "storage_max_c", f"storage_max_c: {high} is not above storage_min_c {low}")

        billable = raw["billable_item_code"]
        if not billable:
            add(line, "billable_item_code", "billable_item_code: missing (expected e.g. RBC-LR)")
        elif len(billable) > BILLABLE_MAX or not _BILLABLE.fullmatch(billable):
            add(
                line,
                "billable_item_code",
                f"billable_item_code: {billable!r} (expected at most {BILLABLE_MAX} letters, digits "
                "and hyphens, e.g. RBC-LR)",
            )

        made_from, process, procedure = raw["made_from"], raw["process"].lower(), raw["procedure"].lower()
        if made_from and not _CODE.fullmatch(made_from):
            add(line, "made_from", f"made_from: {made_from!r} is not a code (expected a code of this file)")
        if not made_from and process:
            add(line, "process", f"process: {process!r} given, but made_from is blank (leave it blank)")
        elif made_from and process not in PROCESSES:
            self._choice_error(line, "process", raw["process"], PROCESSES)
        if procedure and procedure not in PROCEDURES:
            self._choice_error(line, "procedure", raw["procedure"], PROCEDURES)
        elif procedure and made_from:
            add(
                line,
                "procedure",
                f"procedure: {procedure!r} given, but the product is made from {made_from}: "
                "a product is either collected directly or made from another",
            )

        found = len(self.errors.listed) + self.errors.unlisted != before
        if found or dating is None or anticoagulant is None or low is None or high is None:
            return None
        return CatalogueRow(
            line,
            code,
            description,
            product_class,
            dating,
            anticoagulant,
            low,
            high,
            billable,
            made_from,
            process,
            procedure,
        )

    def _choice_error(self, line: int, column: str, value: str, expected: tuple[str, ...]) -> None:
        what = "missing" if not value else f"{value!r} is not a {column}"
        self.errors.add(line, column, f"{column}: {what} (expected one of: {_choices(expected)})")

    def _temperature(self, line: int, column: str, raw: str) -> Decimal | None:
        if not _DECIMAL.fullmatch(raw):
            what = "missing" if not raw else f"{raw!r} is not a number"
            self.errors.add(line, column, f"{column}: {what} (expected degrees Celsius, e.g. -18 or 1.5)")
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:  # pragma: no cover — the pattern admits only decimals
            self.errors.add(line, column, f"{column}: {raw!r} is not a number")
            return None
        if not STORAGE_LOWEST <= value <= STORAGE_HIGHEST:
            self.errors.add(
                line,
                column,
                f"{column}: {raw} °C is outside {STORAGE_LOWEST} to {STORAGE_HIGHEST} °C",
            )
            return None
        return value

    # --- the whole file: duplicates, made_from links and loops --------------------------

    def _links(self, rows: list[CatalogueRow]) -> None:
        """Codes are unique, each made_from names a product of this file, and no chain of
        made_from loops (a product cannot be made, however indirectly, from itself)."""
        add = self.errors.add
        first: dict[str, CatalogueRow] = {}
        for row in rows:
            seen = first.setdefault(row.code, row)
            if seen is not row:
                add(
                    row.line,
                    "code",
                    f"code: {row.code} is already on line {seen.line}; a code is listed once",
                )
        for row in rows:
            if row.made_from and row.made_from not in first:
                add(
                    row.line,
                    "made_from",
                    f"made_from: {row.made_from} is not a product of this file (expected one of its codes)",
                )
        reported: set[str] = set()
        for row in rows:
            if row.code in reported or first[row.code] is not row:
                continue  # walked already, or a duplicate (reported above)
            chain = [row.code]
            code = row.made_from
            while code in first and code not in chain and code not in reported:
                chain.append(code)
                code = first[code].made_from
            if code in chain:  # a loop, entered at ``code``
                loop = chain[chain.index(code) :]
                reported.update(loop)
                where = min(first[c].line for c in loop)
                shown = " → ".join([*loop, code])
                add(where, "made_from", f"made_from: the chain {shown} loops (a product made from itself)")
            reported.update(chain)
