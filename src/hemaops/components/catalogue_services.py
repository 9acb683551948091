"""The product catalogue: import a version (licensed ICCBBA extract or our local codes).

A version is imported whole or not at all, once (its source and version), by a user allowed
to change reference data. Products keep their rows across versions (units point at them);
the audit trail keeps every attribute a new version changed. Each row is checked against the
manufacturing rules too: a catalogue cannot declare a process that does not apply to its
input (irradiated plasma), so manufacturing never meets one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone

from hemaops.components.catalogue_file import CatalogueFileError, CatalogueRow, parse_catalogue
from hemaops.components.errors import ComponentsConflictError, FileRefusedError
from hemaops.components.file_errors import LineError
from hemaops.components.inventory_services import STREAM
from hemaops.components.models import Catalogue, Product
from hemaops.components.rules.manufacturing import Process, ProductClass, process_refusal
from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record_many
from hemaops.core.models import User

_ATTRIBUTES = (
    "description",
    "made_from",
    "product_class",
    "dating_product",
    "anticoagulant",
    "storage_min_c",
    "storage_max_c",
    "billable_item_code",
    "process",
    "procedure",
)


class CatalogueImportError(FileRefusedError):
    """A catalogue file refused, with every line error."""


def _process_errors(rows: tuple[CatalogueRow, ...]) -> list[LineError]:
    by_code = {row.code: row for row in rows}
    errors = []
    for row in rows:
        if not row.made_from:
            continue
        parent = by_code[row.made_from]
        refusal = process_refusal(
            Process(row.process), ProductClass(parent.product_class), parent.description
        )
        if refusal is not None:
            errors.append(LineError(row.line, "process", refusal.message))
    return errors


def _values(row: CatalogueRow) -> dict[str, Any]:
    return {
        "description": row.description,
        "product_class": row.product_class,
        "dating_product": row.dating_product.value,
        "anticoagulant": row.anticoagulant.value,
        "storage_min_c": row.storage_min_c,
        "storage_max_c": row.storage_max_c,
        "billable_item_code": row.billable_item_code,
        "process": row.process,
        "procedure": row.procedure,
    }


@transaction.atomic
def catalogue_import(*, actor: User | None, filename: str, data: bytes) -> Catalogue:
    require_permission(actor, "components.import_catalogue")
    try:
        parsed = parse_catalogue(data)
    except CatalogueFileError as error:
        raise CatalogueImportError(f"file: {filename} does not parse: {error}", error.errors) from None
    errors = _process_errors(parsed.rows)
    if errors:
        raise CatalogueImportError(
            f"file: {filename}: " + "; ".join(f"line {e.line}, {e.field}: {e.message}" for e in errors[:5]),
            errors,
        )
    if Catalogue.objects.filter(source=parsed.source, version=parsed.version).exists():
        raise ComponentsConflictError(
            f"file: {parsed.source} catalogue version {parsed.version} is already imported",
            code="already_imported",
            field="file",
        )
    now = timezone.now()
    catalogue = Catalogue.objects.create(
        source=parsed.source,
        version=parsed.version,
        filename=filename[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        product_count=len(parsed.rows),
        imported_by=actor,
        imported_at=now,
    )
    existing = {
        p.code: p for p in Product.objects.select_for_update().filter(code__in=[r.code for r in parsed.rows])
    }
    events: list[PendingEvent] = []
    products: dict[str, Product] = {}
    for row in _parents_first(parsed.rows):
        values = {**_values(row), "made_from": products[row.made_from] if row.made_from else None}
        product = existing.get(row.code)
        if product is None:
            product = Product.objects.create(code=row.code, catalogue=catalogue, **values)
            events.append(PendingEvent("components.product.created", product, {"new": _jsonable(values)}))
        else:
            old = {name: getattr(product, name) for name in _ATTRIBUTES}
            changed = {name for name in _ATTRIBUTES if old[name] != values[name]}
            for name, value in values.items():
                setattr(product, name, value)
            product.catalogue = catalogue
            product.is_active = True
            product.save()
            if changed:
                events.append(
                    PendingEvent(
                        "components.product.changed",
                        product,
                        {
                            "old": _jsonable({n: old[n] for n in changed}),
                            "new": _jsonable({n: values[n] for n in changed}),
                        },
                    )
                )
        products[row.code] = product
    events.append(
        PendingEvent(
            "components.catalogue.imported",
            catalogue,
            {"new": {"source": parsed.source, "version": parsed.version, "products": len(parsed.rows)}},
        )
    )
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return catalogue


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {name: str(value) if not isinstance(value, str) else value for name, value in values.items()}


def _parents_first(rows: tuple[CatalogueRow, ...]) -> list[CatalogueRow]:
    """The rows with every product after the one it is made from (the file has no loops:
    the parser refuses them)."""
    by_code = {row.code: row for row in rows}
    ordered: list[CatalogueRow] = []
    placed: set[str] = set()

    def place(row: CatalogueRow) -> None:
        if row.code in placed:
            return
        if row.made_from:
            place(by_code[row.made_from])
        placed.add(row.code)
        ordered.append(row)

    for row in rows:
        place(row)
    return ordered
