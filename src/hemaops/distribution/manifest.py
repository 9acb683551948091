"""The electronic manifest of a shipment: what the hospital's system receives with the boxes,
and a digest (SHA-256 of the canonical JSON, sorted keys) it can check the manifest against."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from hemaops.distribution.models import Shipment


def _celsius(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def shipment_manifest(shipment: Shipment) -> dict[str, Any]:
    """JSON-serialisable: numbers as text, times ISO 8601, temperatures as decimal strings."""
    containers = []
    items = shipment.items.select_related("unit__product", "container").order_by("container__number", "pk")
    by_container: dict[int | None, list[dict[str, Any]]] = {}
    for item in items:
        unit = item.unit
        by_container.setdefault(item.container_id, []).append(
            {
                "din": unit.din,
                "product_code": unit.product_code,
                "product": unit.product.description,
                "abo": unit.abo,
                "rhd": unit.rhd,
                "expires_at": unit.expires_at.isoformat(),
                "donor_classification": unit.donor_classification,
            }
        )
    for container in shipment.containers.order_by("number"):
        containers.append(
            {
                "number": container.number,
                "product_classes": list(container.product_classes),
                "minimum_c": _celsius(container.minimum_c),
                "maximum_c": _celsius(container.maximum_c),
                "units": by_container.get(container.pk, []),
            }
        )
    return {
        "shipment": shipment.number,
        "order": shipment.order.number,
        "hospital": shipment.hospital.code,
        "shipped_at": shipment.shipped_at.isoformat() if shipment.shipped_at else None,
        "containers": containers,
    }


def manifest_digest(manifest: dict[str, Any]) -> str:
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
