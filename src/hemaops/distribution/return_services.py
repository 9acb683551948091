"""After shipping: a unit returned (reissued or discarded by the return policy, its charge
credited) and what the hospital reports became of a unit (transfused or wasted).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hemaops.billing import services as billing_services
from hemaops.billing.errors import BillingError
from hemaops.billing.models import Charge
from hemaops.components import inventory_services
from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.models import User
from hemaops.distribution import rules
from hemaops.distribution.errors import DistributionServiceError
from hemaops.distribution.models import Shipment, ShipmentItem, UnitReturn
from hemaops.distribution.service_support import (
    STREAM,
    _conflict,
    _error,
    _local_date,
    _own_hospital_only,
    _required,
)

DISPOSITIONS = ("transfused", "wasted")


# --- after shipping ---------------------------------------------------------------------------


def _item_locked(item: ShipmentItem) -> ShipmentItem:
    return (
        ShipmentItem.objects.select_for_update(of=("self", "shipment", "unit", "allocation"))
        .select_related("shipment__hospital", "unit__product", "allocation")
        .get(pk=item.pk)
    )


def _shipped_item(item: ShipmentItem) -> None:
    if item.shipment.status not in (Shipment.Status.SHIPPED, Shipment.Status.RECEIVED):
        raise _conflict(f"unit {item.unit.din} has not been shipped", "not_shipped", "item")
    if UnitReturn.objects.filter(item=item).exists():
        raise _conflict(f"unit {item.unit.din} was already returned", "returned", "item")


@transaction.atomic
def unit_return_record(
    *,
    actor: User | None,
    item: ShipmentItem,
    returned_at: datetime,
    container_validated: bool,
    lowest_c: Decimal | None,
    highest_c: Decimal | None,
    seal_intact: bool,
    note: str = "",
) -> UnitReturn:
    """A shipped unit comes back: reissued when the return policy allows, else discarded with
    the reasons; its charge is credited either way."""
    require_permission(actor, "distribution.record_return")
    item = _item_locked(item)
    _shipped_item(item)
    if item.hospital_disposition:
        raise _conflict(
            f"unit {item.unit.din} was reported {item.hospital_disposition}: it cannot be returned",
            "reported",
            "item",
        )
    if returned_at is None:
        raise _error("say when the unit came back", "required", "returned_at")
    if returned_at > timezone.now():
        raise _error(
            "the return is in the future: record it once the unit is back", "future_time", "returned_at"
        )
    try:
        decision = rules.return_decision(
            rules.ReturnFacts(
                product_class=item.unit.product.product_class,
                shipped_at=item.shipment.shipped_at or returned_at,  # a shipped item has its time
                returned_at=returned_at,
                container_validated=bool(container_validated),
                lowest_c=lowest_c,
                highest_c=highest_c,
                seal_intact=bool(seal_intact),
            )
        )
    except rules.DistributionError as error:
        raise _error(error.message, error.code, error.field) from None
    reasons_text = "; ".join(rules.RETURN_REASONS[code] for code in decision.reasons)
    # The units move when the return is recorded (back-dating a move needs its own permission);
    # ``returned_at`` is the fact the decision and the credit note go by.
    unit = inventory_services.unit_return(
        actor=actor,
        unit=item.unit,
        reason=f"returned from {item.shipment.hospital.name}",
    )
    if decision.reissue:
        unit = inventory_services.unit_make_available(actor=actor, unit=unit)
    else:
        unit = inventory_services.unit_dispose(
            actor=actor,
            unit=unit,
            disposition="discarded",
            reason=f"returned: {reasons_text}",
        )
    # The unit is out of this order: its allocation closes, so a reissued unit can be allocated again.
    item.allocation.released_at = returned_at
    item.allocation.released_reason = "returned"
    item.allocation.save(update_fields=["released_at", "released_reason"])
    charge = Charge.objects.filter(source_type="distribution.shipmentitem", source_id=str(item.pk)).first()
    credit_number = ""
    if charge is not None:
        try:
            credit = billing_services.charges_credit(
                actor=actor,
                charges=[charge],
                issued_on=_local_date(item.shipment.hospital, returned_at),
                reason=f"unit {item.unit.din} returned" + (f": {reasons_text}" if reasons_text else ""),
            )
        except BillingError as error:
            raise DistributionServiceError(error.message, code=error.code, field=error.field) from None
        credit_number = credit.number
    unit_return = UnitReturn.objects.create(
        item=item,
        returned_at=returned_at,
        container_validated=bool(container_validated),
        lowest_c=lowest_c,
        highest_c=highest_c,
        seal_intact=bool(seal_intact),
        reissue=decision.reissue,
        reasons=list(decision.reasons),
        note=(note or "").strip(),
        credit_note_number=credit_number,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="unit_returned",
        actor=actor,
        target=unit_return,
        occurred_at=returned_at,
        data={
            "shipment": item.shipment.number,
            "din": item.unit.din,
            "reissue": decision.reissue,
            "reasons": list(decision.reasons),
            "credit_note": credit_number,
        },
    )
    return unit_return


@transaction.atomic
def disposition_report(
    *,
    actor: User | None,
    item: ShipmentItem,
    disposition: str,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> ShipmentItem:
    """The hospital tells what became of a unit: transfused, or wasted (and why)."""
    _own_hospital_only(actor, item.shipment.hospital_id, "shipment item")
    require_permission(actor, "distribution.report_disposition")
    item = _item_locked(item)
    if disposition not in DISPOSITIONS:
        raise _error(f"report transfused or wasted, not {disposition!r}", "invalid_choice", "disposition")
    _shipped_item(item)
    if item.hospital_disposition:
        raise _conflict(
            f"unit {item.unit.din} was already reported {item.hospital_disposition}", "reported", "item"
        )
    now = occurred_at or timezone.now()
    # The hospital's report moves the unit as the system (actor None): hospital users hold no
    # components permission; what they may report was checked above.
    if disposition == "wasted":
        reason = _required(reason, "reason", "say why the unit was wasted")
        inventory_services.unit_dispose(
            actor=None,
            unit=item.unit,
            disposition="discarded",
            reason=f"hospital reported wasted: {reason}",
            occurred_at=now,
        )
    else:
        inventory_services.unit_dispose(actor=None, unit=item.unit, disposition="transfused", occurred_at=now)
    item.hospital_disposition = disposition
    item.hospital_disposition_reason = (reason or "").strip()
    item.reported_at = now
    item.save(update_fields=["hospital_disposition", "hospital_disposition_reason", "reported_at"])
    audit_record(
        stream=STREAM,
        action="disposition_reported",
        actor=actor,
        target=item,
        occurred_at=now,
        reason=item.hospital_disposition_reason,
        data={"shipment": item.shipment.number, "din": item.unit.din, "disposition": disposition},
    )
    return item
