"""Labels: print a unit's ISBT 128 label from its record, and verify it by scanning each
barcode back (issue 7 item 5).

The label's content comes from the records only — the unit (DIN, product code, expiry), the
lab's confirmed typing (ABO/RhD, the resolved type where a discrepancy was signed), its
special tests and the donation's paid/volunteer statement (21 CFR 606.121(c)(5)). Printing
binds the unit to the digest of that content; verification scans every barcode back and must
match it barcode by barcode before the unit may pass the gate. A mismatch is refused and
kept (``LabelScan`` and the audit trail), so the quality officer sees every wrong label.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from hemaops.components.errors import ComponentsConflictError, ComponentsError
from hemaops.components.inventory_services import STREAM, history_row, label_verified, unit_locked
from hemaops.components.labels import (
    LabelContent,
    LabelError,
    ScanMismatch,
    barcodes,
    content_digest,
    scan_check,
)
from hemaops.components.models import LabelScan, Unit
from hemaops.components.rules import lifecycle
from hemaops.components.rules.lifecycle import Status
from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.models import User
from hemaops.isbt128.din import Din
from hemaops.lab.models import DonationTesting

#: Special tests as the label states them (AABB/IG-002 practice: a statement per attribute
#: the product is ordered by) [U wording]; only negative results are statements of value.
_SPECIAL_TEST_STATEMENTS: Final = {
    "cmv_antibody": "CMV antibody negative",
    "hemoglobin_s": "Hemoglobin S negative",
    "hla_antibody": "HLA antibody negative",
}


def special_testing_statements(special_tests: dict[str, Any]) -> tuple[str, ...]:
    statements = [
        text
        for test, text in _SPECIAL_TEST_STATEMENTS.items()
        if (special_tests.get(test) or {}).get("result") == "negative"
    ]
    antigens = (special_tests.get("red_cell_antigens") or {}).get("result")
    if antigens:
        statements.append(f"Red cell antigens: {antigens}")
    return tuple(statements)


def _typing(unit: Unit) -> tuple[str, str, dict[str, Any]]:
    """ABO, RhD (POS/NEG) and special tests: the unit's own group for a pool, else the lab's
    confirmed typing of its donation."""
    testings = list(DonationTesting.objects.filter(donation__unit_sources__unit=unit))
    if len(testings) == 1:
        testing = testings[0]
        abo = testing.discrepancy_resolved_abo or testing.abo
        rhd = testing.discrepancy_resolved_rhd or testing.rhd
        if abo and rhd:
            return abo, rhd.upper(), testing.special_tests
    elif unit.abo and unit.rhd:
        return unit.abo, unit.rhd.upper(), {}
    raise ComponentsConflictError(
        f"unit {unit}: the donation's ABO/RhD is not typed yet; the label waits for the lab",
        code="not_typed",
        field="unit",
    )


def unit_label_content(unit: Unit) -> LabelContent:
    """What the unit's label says, from its records. A record the label rules refuse (a
    date-only expiry that is not 23:59) is a components error naming the unit."""
    try:
        return _label_content(unit)
    except LabelError as error:
        raise ComponentsConflictError(
            f"unit {unit}: {error.message}", code=error.code, field="unit"
        ) from None


def _label_content(unit: Unit) -> LabelContent:
    typed_abo, typed_rhd, special = _typing(unit)
    zone = ZoneInfo(unit.site.time_zone)
    product = unit.product
    return LabelContent(
        din=Din(unit.din[:5], unit.din[5:7], unit.din[7:13]).with_check_flags(),
        abo=typed_abo,
        rhd=typed_rhd,
        product_code=unit.product_code,
        product_description=product.description,
        expires_at=unit.expires_at.astimezone(zone),
        label_shows_time=unit.label_shows_time,
        collected_at=unit.collected_at.astimezone(zone),
        donor_classification=unit.donor_classification,
        special_testing=special_testing_statements(special),
        storage=f"Store at {product.storage_min_c:g} to {product.storage_max_c:g} °C"
        if product.storage_min_c > -50
        else f"Store at or below {product.storage_max_c:g} °C",
        facility_name=unit.site.company.legal_name,
        facility_address=f"{unit.site.name}, {unit.site.address_text}".strip(", "),
        license_number=unit.site.company.us_license_number,
        volume_ml=unit.volume_ml,
    )


@transaction.atomic
def unit_label_print(*, actor: User | None, unit: Unit) -> LabelContent:
    """Bind the unit to the label about to be printed. Printing the same content again (a
    spoiled label) keeps its verification; a label that says something new must be verified
    again, and so cannot be printed for a unit already past the gate."""
    require_permission(actor, "components.label_unit")
    locked = unit_locked(unit)
    if Status(locked.status) in lifecycle.FINAL or locked.status == Status.SHIPPED:
        raise ComponentsConflictError(
            f"unit {locked} is {locked.status}: no label to print", code="not_on_hand", field="unit"
        )
    content = unit_label_content(locked)
    digest = content_digest(content)
    if digest != locked.label_digest and Status(locked.status) in lifecycle.GATED:
        raise ComponentsConflictError(
            f"unit {locked} is {locked.status} under its verified label; quarantine it before relabelling",
            code="relabel_needs_quarantine",
            field="unit",
        )
    now = timezone.now()
    old = locked.label_digest
    locked.abo, locked.rhd = content.abo, content.rhd.lower()
    locked.label_digest = digest
    locked.label_printed_at = now
    locked.save(update_fields=["abo", "rhd", "label_digest", "label_printed_at"])
    history_row(locked, action="label_printed", actor=actor, at=now, data={"digest": digest})
    audit_record(
        stream=STREAM,
        action="components.unit.label_printed",
        actor=actor,
        target=locked,
        data={
            "old": {"digest": old},
            "new": {"digest": digest, "barcodes": [b.data for b in barcodes(content)]},
        },
        occurred_at=now,
    )
    return content


def _mismatch_data(mismatches: Sequence[ScanMismatch]) -> list[dict[str, Any]]:
    return [
        {"name": m.name, "expected": m.expected, "scanned": m.scanned, "message": m.message}
        for m in mismatches
    ]


@transaction.atomic
def _scan_record(actor: User | None, unit: Unit, scans: Sequence[str], at: datetime) -> LabelScan:
    locked = unit_locked(unit)
    if not locked.label_digest:
        raise ComponentsConflictError(
            f"unit {locked}: no label has been printed", code="no_label", field="unit"
        )
    content = unit_label_content(locked)
    digest = content_digest(content)
    mismatches = list(scan_check(content, scans))
    if digest != locked.label_digest:
        mismatches.insert(
            0,
            ScanMismatch(
                name="label",
                expected=locked.label_digest,
                scanned=digest,
                message="the record changed since the label was printed: print it again",
            ),
        )
    scan = LabelScan.objects.create(
        unit=locked,
        label_digest=locked.label_digest,
        scans=list(scans),
        matched=not mismatches,
        mismatches=_mismatch_data(mismatches),
        scanned_by=actor,
        scanned_at=at,
    )
    if scan.matched and not label_verified(locked):
        locked.label_verified_digest = locked.label_digest
        locked.label_verified_at = at
        locked.save(update_fields=["label_verified_digest", "label_verified_at"])
    action = "label_verified" if scan.matched else "label_mismatch"
    history_row(
        locked, action=action, actor=actor, at=at, data={"scan": scan.pk, "mismatches": scan.mismatches}
    )
    audit_record(
        stream=STREAM,
        action=f"components.unit.{action}",
        actor=actor,
        target=locked,
        data={"new": {"scans": list(scans), "mismatches": scan.mismatches}},
        occurred_at=at,
    )
    return scan


def unit_label_verify(*, actor: User | None, unit: Unit, scans: Sequence[str]) -> LabelScan:
    """Compare every scanned barcode with the record. A match verifies the label; a mismatch
    is kept on record (its own committed transaction: a refusal must not vanish with a
    rollback) and then refused with what did not match."""
    require_permission(actor, "components.label_unit")
    cleaned = [scan.strip() for scan in scans if scan.strip()]
    if not cleaned:
        raise ComponentsError("scans: scan the label's barcodes", code="required", field="scans")
    scan = _scan_record(actor, unit, cleaned, timezone.now())
    if not scan.matched:
        raise ComponentsConflictError(
            "scans: the label does not match the record: " + "; ".join(m["message"] for m in scan.mismatches),
            code="label_mismatch",
            field="scans",
        )
    return scan
