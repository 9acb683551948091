"""Moves of a unit through its lifecycle, its holds, its storage and its fate (house style
§3 and §7: one transaction each, the unit row locked, the move checked against the table of
transitions, a history row and an audit event in the ``components`` stream).

The gate (``rules.lifecycle.gate_refusals``) is judged here at every move into available,
allocated or shipped — expiry included: **expiry is checked against ``expires_at`` at every
use**; ``units_record_outdates`` only records the outdates of units nobody used. The
database repeats the gate (migration 0002, PostgreSQL) and its label and expiry halves
(check constraints, every database).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from hemaops.components.errors import ComponentsConflictError, ComponentsError
from hemaops.components.models import StorageLocation, Unit, UnitEvent, UnitHold, UnitSource
from hemaops.components.rules import lifecycle
from hemaops.components.rules.lifecycle import Disposition, GateFacts, Status
from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record, audit_record_many
from hemaops.core.business_dates import business_time_resolve
from hemaops.core.models import User
from hemaops.lab.models import DonationHold, DonationRelease

STREAM = "components"
# FOR UPDATE OF the unit alone: a plain FOR UPDATE with select_related would lock the joined
# product and site rows too, so every move at a site would wait for every other — and two
# allocators locking the same site and products in different orders deadlocked
# (bench/allocation.py, four workers).
LOCK_UNIT_ONLY = ("self",)


def unit_locked(unit: Unit) -> Unit:
    return Unit.objects.select_for_update(of=LOCK_UNIT_ONLY).select_related("product", "site").get(pk=unit.pk)


def units_locked(units: Sequence[Unit]) -> list[Unit]:
    """Lock in pk order (house style: a fixed order, so two writers never deadlock)."""
    ids = sorted({unit.pk for unit in units})
    locked = list(
        Unit.objects.select_for_update(of=LOCK_UNIT_ONLY)
        .select_related("product", "site")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(locked) != len(ids):
        raise ComponentsError("units: a unit was not found", code="not_found", field="units")
    return locked


def label_verified(unit: Unit) -> bool:
    return bool(unit.label_digest) and unit.label_verified_digest == unit.label_digest


def unit_gate_facts(unit: Unit, at: datetime) -> GateFacts:
    donation_ids = list(unit.sources.values_list("donation_id", flat=True))
    released = DonationRelease.objects.filter(donation_id__in=donation_ids).count()
    return GateFacts(
        donations_released=bool(donation_ids) and released == len(donation_ids),
        donation_hold_active=DonationHold.objects.filter(
            donation_id__in=donation_ids, lifted_at__isnull=True
        ).exists(),
        unit_hold_active=unit.holds.filter(lifted_at__isnull=True).exists(),
        label_verified=label_verified(unit),
        expires_at=unit.expires_at,
        at=at,
    )


def unit_gate_refusals(unit: Unit, at: datetime | None = None) -> list[lifecycle.Refusal]:
    """Why ``unit`` may not become available now (for pages: the unit's own checklist)."""
    return lifecycle.gate_refusals(unit_gate_facts(unit, at or timezone.now()))


def history_row(
    unit: Unit,
    *,
    action: str,
    actor: User | None,
    at: datetime,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> UnitEvent:
    return UnitEvent.objects.create(
        unit=unit,
        action=action,
        from_status=from_status,
        to_status=to_status,
        occurred_at=at,
        actor=actor,
        reason=reason,
        data=data or {},
    )


def _save_guarded(unit: Unit, fields: list[str]) -> None:
    """Save under a savepoint: a refusal by the database (a concurrent hold got in first, or
    a rule the service missed) becomes a conflict the user can read."""
    try:
        with transaction.atomic():
            unit.save(update_fields=fields)
    except IntegrityError as error:
        raise ComponentsConflictError(
            f"unit {unit}: the database refused the move ({str(error).splitlines()[0]})",
            code="refused_by_database",
            field="unit",
        ) from error


def _move(
    actor: User | None,
    unit: Unit,
    new: Status,
    at: datetime,
    action: str,
    *,
    reason: str = "",
    disposition: Disposition | None = None,
    data: dict[str, Any] | None = None,
) -> PendingEvent:
    """Move a locked unit to ``new`` at ``at``: the transition, the gate, the history row."""
    old = Status(unit.status)
    refusal = lifecycle.transition_refusal(old, new)
    if refusal is not None:
        raise ComponentsConflictError(f"unit {unit}: {refusal.message}", code=refusal.code, field="unit")
    if at < unit.status_changed_at:
        raise ComponentsError(
            f"occurred_at: unit {unit} last moved at {unit.status_changed_at.isoformat(timespec='minutes')}; "
            "a move cannot be dated before it",
            code="before_last_move",
            field="occurred_at",
        )
    if new in lifecycle.GATED:
        refusals = lifecycle.gate_refusals(unit_gate_facts(unit, at))
        if refusals:
            raise ComponentsConflictError(
                f"unit {unit} cannot become {new.value}: " + "; ".join(r.message for r in refusals),
                code=refusals[0].code,
                field="unit",
            )
    unit.status = new.value
    unit.status_changed_at = at
    fields = ["status", "status_changed_at"]
    if disposition is not None:
        unit.disposition = disposition.value
        unit.disposition_reason = reason
        fields += ["disposition", "disposition_reason"]
    _save_guarded(unit, fields)
    history_row(
        unit,
        action=action,
        actor=actor,
        at=at,
        from_status=old.value,
        to_status=new.value,
        reason=reason,
        data=data,
    )
    return PendingEvent(
        f"components.unit.{action}",
        unit,
        {"old": {"status": old.value}, "new": {"status": new.value, **(data or {})}},
        reason,
        at,
    )


def _one_move(
    *,
    actor: User | None,
    permission: str,
    unit: Unit,
    new: Status,
    action: str,
    occurred_at: datetime | None,
    reason: str = "",
    disposition: Disposition | None = None,
    data: dict[str, Any] | None = None,
    only_from: frozenset[Status] | None = None,
) -> Unit:
    require_permission(actor, permission)
    locked = unit_locked(unit)
    # The time is read once the lock is held, so moves of one unit are dated in the order
    # they happened.
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    if only_from is not None and Status(locked.status) not in only_from:
        raise ComponentsConflictError(
            f"unit {locked} is {locked.status}: {action.replace('_', ' ')} applies to a "
            + " or ".join(sorted(s.value for s in only_from))
            + " unit",
            code="unit_final" if Status(locked.status) in lifecycle.FINAL else "transition_not_allowed",
            field="unit",
        )
    event = _move(
        actor,
        locked,
        new,
        when.occurred_at,
        action,
        reason=reason,
        disposition=disposition,
        data={**(data or {}), **when.audit_data()},
    )
    audit_record_many(stream=STREAM, actor=actor, events=[event])
    return locked


def _required(text: str, field: str, what: str) -> str:
    if not text.strip():
        raise ComponentsError(f"{field}: {what}", code="required", field=field)
    return text.strip()


@transaction.atomic
def unit_make_available(*, actor: User | None, unit: Unit, occurred_at: datetime | None = None) -> Unit:
    """Through the gate into available stock (from quarantine or after a return)."""
    return _one_move(
        actor=actor,
        permission="components.move_unit",
        unit=unit,
        new=Status.AVAILABLE,
        action="made_available",
        occurred_at=occurred_at,
        # An allocated unit goes back to stock by deallocation, which says why.
        only_from=frozenset({Status.QUARANTINED, Status.RETURNED}),
    )


@transaction.atomic
def unit_quarantine(
    *, actor: User | None, unit: Unit, reason: str, occurred_at: datetime | None = None
) -> Unit:
    return _one_move(
        actor=actor,
        permission="components.move_unit",
        unit=unit,
        new=Status.QUARANTINED,
        action="quarantined",
        occurred_at=occurred_at,
        reason=_required(reason, "reason", "say why the unit goes back to quarantine"),
    )


@transaction.atomic
def unit_allocate(
    *, actor: User | None, unit: Unit, reference: str, occurred_at: datetime | None = None
) -> Unit:
    """Set an available unit aside for an order (``reference``): the gate is judged again."""
    return _one_move(
        actor=actor,
        permission="components.allocate_unit",
        unit=unit,
        new=Status.ALLOCATED,
        action="allocated",
        occurred_at=occurred_at,
        data={"reference": _required(reference, "reference", "name the order the unit is allocated to")},
    )


# What a batch move reads of each unit: the gate's facts and the unit's name for messages.
_GATE_FIELDS = (
    "din",
    "product_code",
    "status",
    "status_changed_at",
    "expires_at",
    "label_digest",
    "label_verified_digest",
)


def units_locked_with_gate_facts(unit_ids: Collection[int], at: datetime) -> list[tuple[Unit, GateFacts]]:
    """Lock the units (pk order, the unit rows alone) and read the facts the gate judges for
    each — ``unit_gate_facts`` for many units in two queries, not four per unit (allocation).

    The donations' facts are read per source row, each an index probe: asked of the unit rows
    as EXISTS subqueries, PostgreSQL hashed the whole of ``UnitSource`` and the releases
    instead (400 ms a batch at 200,000 units, bench/allocation.py)."""
    ids = sorted(set(unit_ids))
    units = list(
        Unit.objects.select_for_update(of=LOCK_UNIT_ONLY)
        .filter(pk__in=ids)
        .only(*_GATE_FIELDS)
        .annotate(unit_held=Exists(UnitHold.objects.filter(unit=OuterRef("pk"), lifted_at__isnull=True)))
        .order_by("pk")
    )
    if len(units) != len(ids):
        raise ComponentsError("units: a unit was not found", code="not_found", field="units")
    sources: dict[int, list[tuple[bool, bool]]] = {pk: [] for pk in ids}
    for unit_id, released, held in (
        UnitSource.objects.filter(unit_id__in=ids)
        .annotate(
            released=Exists(DonationRelease.objects.filter(donation=OuterRef("donation"))),
            held=Exists(DonationHold.objects.filter(donation=OuterRef("donation"), lifted_at__isnull=True)),
        )
        .values_list("unit_id", "released", "held")
    ):
        sources[unit_id].append((released, held))
    return [
        (
            unit,
            GateFacts(
                donations_released=bool(sources[unit.pk])
                and all(released for released, _ in sources[unit.pk]),
                donation_hold_active=any(held for _, held in sources[unit.pk]),
                unit_hold_active=unit.unit_held,
                label_verified=label_verified(unit),
                expires_at=unit.expires_at,
                at=at,
            ),
        )
        for unit in units
    ]


@transaction.atomic
def units_allocate(
    *,
    actor: User | None,
    unit_ids: Collection[int],
    reference: str | Mapping[int, str],
    occurred_at: datetime | None = None,
) -> list[Unit]:
    """``unit_allocate`` for many units at once, all or none: two queries lock them and read
    the gate's facts, one update moves them, one insert writes their history rows, and one
    audit event records the move of every unit (ADR 0006). ``reference`` names the order for
    every unit, or per unit pk when the units go to several orders (the allocation run).
    Hospital orders move their units this way (bench/allocation.py); the rules are exactly the
    one-unit move's, and the database's triggers still judge every row."""
    require_permission(actor, "components.allocate_unit")
    references = {
        pk: _required(
            reference if isinstance(reference, str) else reference.get(pk, ""),
            "reference",
            "name the order the units are allocated to",
        )
        for pk in unit_ids
    }
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    at = when.occurred_at
    locked = units_locked_with_gate_facts(unit_ids, at)
    for unit, facts in locked:
        refusal = lifecycle.transition_refusal(Status(unit.status), Status.ALLOCATED)
        if refusal is not None:
            raise ComponentsConflictError(f"unit {unit}: {refusal.message}", code=refusal.code, field="unit")
        if at < unit.status_changed_at:
            raise ComponentsError(
                f"occurred_at: unit {unit} last moved at "
                f"{unit.status_changed_at.isoformat(timespec='minutes')}",
                code="before_last_move",
                field="occurred_at",
            )
        refusals = lifecycle.gate_refusals(facts)
        if refusals:
            raise ComponentsConflictError(
                f"unit {unit} cannot become allocated: " + "; ".join(r.message for r in refusals),
                code=refusals[0].code,
                field="unit",
            )
    units = [unit for unit, _ in locked]
    try:
        with transaction.atomic():
            Unit.objects.filter(pk__in=[unit.pk for unit in units]).update(
                status=Status.ALLOCATED.value, status_changed_at=at
            )
    except IntegrityError as error:
        raise ComponentsConflictError(
            f"units: the database refused the move ({str(error).splitlines()[0]})",
            code="refused_by_database",
            field="units",
        ) from error
    new = {"status": Status.ALLOCATED.value, **when.audit_data()}
    UnitEvent.objects.bulk_create(
        UnitEvent(
            unit_id=unit.pk,
            action="allocated",
            from_status=unit.status,
            to_status=Status.ALLOCATED.value,
            occurred_at=at,
            actor=actor,
            data={"reference": references[unit.pk], **when.audit_data()},
        )
        for unit in units
    )
    moved = [
        {
            "unit": unit.pk,
            "din": unit.din,
            "product_code": unit.product_code,
            "old": {"status": unit.status},
            "reference": references[unit.pk],
        }
        for unit in units
    ]
    audit_record(
        stream=STREAM,
        action="components.units.allocated",
        actor=actor,
        data={"new": new, "units": moved},
        occurred_at=at,
    )
    for unit in units:
        unit.status, unit.status_changed_at = Status.ALLOCATED.value, at
    return units


@transaction.atomic
def unit_deallocate(
    *, actor: User | None, unit: Unit, reason: str, occurred_at: datetime | None = None
) -> Unit:
    return _one_move(
        actor=actor,
        permission="components.allocate_unit",
        unit=unit,
        new=Status.AVAILABLE,
        action="deallocated",
        occurred_at=occurred_at,
        only_from=frozenset({Status.ALLOCATED}),
        reason=_required(reason, "reason", "say why the allocation is undone"),
    )


@transaction.atomic
def unit_ship(*, actor: User | None, unit: Unit, consignee: str, occurred_at: datetime | None = None) -> Unit:
    """Ship an allocated unit to ``consignee``: the gate, and so its expiry, once more."""
    return _one_move(
        actor=actor,
        permission="components.allocate_unit",
        unit=unit,
        new=Status.SHIPPED,
        action="shipped",
        occurred_at=occurred_at,
        data={"consignee": _required(consignee, "consignee", "name where the unit goes")},
    )


@transaction.atomic
def unit_return(*, actor: User | None, unit: Unit, reason: str, occurred_at: datetime | None = None) -> Unit:
    """A shipped unit comes back; it stays out of stock until made available through the gate."""
    return _one_move(
        actor=actor,
        permission="components.move_unit",
        unit=unit,
        new=Status.RETURNED,
        action="returned",
        occurred_at=occurred_at,
        reason=_required(reason, "reason", "say why the unit came back"),
    )


@transaction.atomic
def unit_dispose(
    *,
    actor: User | None,
    unit: Unit,
    disposition: Disposition | str,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> Unit:
    """Record a unit's fate: transfused (as the hospital reported), discarded with its reason,
    outdated (only once it has expired), recalled. Used in a modification is recorded by the
    manufacturing services."""
    try:
        fate = Disposition(disposition)
    except ValueError:
        raise ComponentsError(
            f"disposition: {disposition!r} is not one of {', '.join(d.value for d in Disposition)}",
            code="invalid_choice",
            field="disposition",
        ) from None
    if fate is Disposition.USED_IN_MODIFICATION:
        raise ComponentsError(
            "disposition: a modification records its parent's use itself",
            code="invalid_choice",
            field="disposition",
        )
    if fate in (Disposition.DISCARDED, Disposition.RECALLED):
        reason = _required(reason, "reason", "say why the unit is discarded")
    require_permission(actor, "components.move_unit")
    locked = unit_locked(unit)
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    refusal = lifecycle.disposition_refusal(Status(locked.status), fate)
    if refusal is not None:
        raise ComponentsConflictError(
            f"unit {locked}: {refusal.message}", code=refusal.code, field="disposition"
        )
    if fate is Disposition.OUTDATED and locked.expires_at > when.occurred_at:
        raise ComponentsConflictError(
            f"unit {locked} expires at {locked.expires_at.isoformat(timespec='minutes')}: not outdated yet",
            code="not_expired",
            field="disposition",
        )
    event = _move(
        actor,
        locked,
        lifecycle.DISPOSITION_STATUS[fate],
        when.occurred_at,
        fate.value,
        reason=reason,
        disposition=fate,
        data={"disposition": fate.value, **when.audit_data()},
    )
    audit_record_many(stream=STREAM, actor=actor, events=[event])
    return locked


@transaction.atomic
def units_record_outdates(*, actor: User | None, at: datetime | None = None) -> int:
    """Record as outdated every unit on hand whose expiry has passed. Not a control: every use
    checks expiry itself; this only keeps the books (how many units outdated, and when)."""
    require_permission(actor, "components.move_unit")
    now = at or timezone.now()
    expired = list(
        Unit.objects.select_for_update()
        .filter(status__in=[s.value for s in lifecycle.ON_HAND], expires_at__lte=now)
        .order_by("pk")
    )
    events = [
        _move(
            actor,
            unit,
            Status.DISCARDED,
            max(now, unit.status_changed_at),
            Disposition.OUTDATED.value,
            reason="expired",
            disposition=Disposition.OUTDATED,
        )
        for unit in expired
    ]
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return len(events)


def hold_place_locked(
    actor: User | None,
    unit: Unit,
    reason: str,
    at: datetime,
    *,
    kind: str = UnitHold.Kind.MANUAL,
    excursion: Any = None,
) -> tuple[UnitHold, PendingEvent]:
    hold = UnitHold.objects.create(
        unit=unit, kind=kind, excursion=excursion, reason=reason, placed_by=actor, placed_at=at
    )
    history_row(unit, action="held", actor=actor, at=at, reason=reason, data={"hold": hold.pk, "kind": kind})
    return hold, PendingEvent(
        "components.unit.held", unit, {"new": {"hold": hold.pk, "kind": kind}}, reason, at
    )


@transaction.atomic
def unit_hold_place(
    *, actor: User | None, unit: Unit, reason: str, occurred_at: datetime | None = None
) -> UnitHold:
    """Hold a unit: it stays where it is, but no move through the gate happens while a hold is
    active (a unit already shipped is followed by quality, not by the hold)."""
    require_permission(actor, "components.hold_unit")
    reason = _required(reason, "reason", "say why the unit is held")
    locked = unit_locked(unit)
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    if Status(locked.status) in lifecycle.FINAL:
        raise ComponentsConflictError(
            f"unit {locked} is {locked.status}: nothing to hold", code="unit_final", field="unit"
        )
    hold, event = hold_place_locked(actor, locked, reason, when.occurred_at)
    audit_record_many(stream=STREAM, actor=actor, events=[event])
    return hold


def hold_lift_locked(actor: User | None, hold: UnitHold, reason: str, at: datetime) -> PendingEvent:
    hold.lifted_by = actor
    hold.lifted_at = at
    hold.lift_reason = reason
    hold.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
    history_row(hold.unit, action="hold_lifted", actor=actor, at=at, reason=reason, data={"hold": hold.pk})
    return PendingEvent("components.unit.hold_lifted", hold.unit, {"new": {"hold": hold.pk}}, reason, at)


@transaction.atomic
def unit_hold_lift(*, actor: User | None, hold: UnitHold, reason: str) -> UnitHold:
    """Lift a hand-placed hold. A temperature hold is lifted by the excursion's decision."""
    require_permission(actor, "components.hold_unit")
    reason = _required(reason, "reason", "say why the hold is lifted")
    unit_locked(hold.unit)
    hold = UnitHold.objects.select_for_update().select_related("unit").get(pk=hold.pk)
    if hold.lifted_at is not None:
        raise ComponentsConflictError("hold: this hold is already lifted", code="hold_lifted", field="hold")
    if hold.kind != UnitHold.Kind.MANUAL:
        raise ComponentsConflictError(
            "hold: a temperature hold is lifted by the quality officer's decision on the excursion",
            code="hold_by_excursion",
            field="hold",
        )
    event = hold_lift_locked(actor, hold, reason, timezone.now())
    audit_record_many(stream=STREAM, actor=actor, events=[event])
    return hold


def _storage_refusal(unit: Unit, location: StorageLocation) -> str | None:
    product = unit.product
    if location.minimum_c < product.storage_min_c or location.maximum_c > product.storage_max_c:
        return (
            f"{product.description} is stored at {product.storage_min_c} to {product.storage_max_c} °C; "
            f"{location.name} keeps {location.minimum_c} to {location.maximum_c} °C"
        )
    return None


@transaction.atomic
def unit_store(
    *, actor: User | None, unit: Unit, location: StorageLocation, occurred_at: datetime | None = None
) -> Unit:
    """Put a unit in a storage location whose range lies inside the product's and which has room."""
    require_permission(actor, "components.move_unit")
    locked = unit_locked(unit)
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    location = StorageLocation.objects.select_for_update().get(pk=location.pk)
    if Status(locked.status) not in lifecycle.ON_HAND:
        raise ComponentsConflictError(
            f"unit {locked} is {locked.status}: not on hand", code="not_on_hand", field="unit"
        )
    if not location.is_active:
        raise ComponentsError(
            f"location: {location.name} is out of service", code="inactive", field="location"
        )
    if location.site_id != locked.site_id:
        raise ComponentsError(
            f"location: {location.name} is at another site; ship the unit there first",
            code="other_site",
            field="location",
        )
    refusal = _storage_refusal(locked, location)
    if refusal:
        raise ComponentsError(f"location: {refusal}", code="wrong_temperature", field="location")
    occupied = (
        Unit.objects.filter(location=location, status__in=[s.value for s in lifecycle.ON_HAND])
        .exclude(pk=locked.pk)
        .aggregate(n=Count("pk"))["n"]
    )
    if occupied >= location.capacity_units:
        raise ComponentsConflictError(
            f"location: {location.name} is full ({location.capacity_units} units)",
            code="location_full",
            field="location",
        )
    before = locked.location_id
    locked.location = location
    locked.save(update_fields=["location"])
    history_row(
        locked,
        action="stored",
        actor=actor,
        at=when.occurred_at,
        data={"location": location.pk, "from": before},
    )
    audit_record_many(
        stream=STREAM,
        actor=actor,
        events=[
            PendingEvent(
                "components.unit.stored",
                locked,
                {"old": {"location": before}, "new": {"location": location.pk, **when.audit_data()}},
                "",
                when.occurred_at,
            )
        ],
    )
    return locked
