"""Manufacturing right after collection, before testing ends: every unit is born quarantined.

- ``units_collect``: the products a collection yields directly (whole blood; apheresis
  products with their divisions A0, B0 …).
- ``unit_process``: separation of whole blood into components and every modification
  (leukoreduction, irradiation, washing, thawing, volume reduction, splitting, freezing,
  deglycerolization): the catalogue says which product is made from which by which process;
  the rules say whether the process applies and how late it may be done.
- ``units_pool``: a pool under a new DIN, within the pooling policy.

Each child keeps its donations (``UnitSource``) and its parents (``UnitParentage``); the
parent's fate is recorded as used in a modification. Dating comes from the expiry engine
(``rules.dating``), capped at the parent's expiry except where the process makes a new
product (``rules.manufacturing.NEW_DATING``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from hemaops.components.errors import ComponentsConflictError, ComponentsError
from hemaops.components.inventory_services import (
    STREAM,
    _move,
    history_row,
    unit_locked,
    units_locked,
)
from hemaops.components.models import Product, Unit, UnitHold, UnitParentage, UnitSource
from hemaops.components.rules import dating, manufacturing
from hemaops.components.rules.lifecycle import Disposition, Status
from hemaops.components.rules.manufacturing import PoolMember, Process, ProductClass
from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record_many
from hemaops.core.business_dates import business_time_resolve
from hemaops.core.models import User
from hemaops.donations.din_services import din_generate
from hemaops.donations.models import Donation
from hemaops.lab.models import DonationHold, DonationTesting

PERMISSION = "components.manufacture_unit"


def _zone(unit_or_donation: Unit | Donation) -> ZoneInfo:
    return ZoneInfo(unit_or_donation.site.time_zone)


def _platelet_dating_days(donation_ids: Sequence[int]) -> int | None:
    """The shortest dating the bacterial risk control of the donations allows (a pool is as
    short as its shortest member); ``None`` when the lab has recorded none (5 days)."""
    controls = DonationTesting.objects.filter(donation_id__in=donation_ids).values_list(
        "bacterial_control", flat=True
    )
    days = [
        manufacturing.PLATELET_DATING_BY_CONTROL[c]
        for c in controls
        if c in manufacturing.PLATELET_DATING_BY_CONTROL
    ]
    if len(days) < len(donation_ids):
        return None
    return min(days) if days else None


def _expiry(
    product: Product,
    collected_at: datetime,
    events: list[dict[str, str]],
    donation_ids: Sequence[int],
    zone: ZoneInfo,
) -> dating.Expiry:
    made = dating.Product(product.dating_product)
    platelet_days = _platelet_dating_days(donation_ids) if made is dating.Product.PLATELETS else None
    try:
        return dating.expiry(
            product=made,
            anticoagulant=dating.Anticoagulant(product.anticoagulant),
            collected_at=collected_at,
            events=[
                dating.Event(dating.EventKind(e["kind"]), datetime.fromisoformat(e["at"])) for e in events
            ],
            platelet_dating_days=platelet_days,
            zone=zone,
        )
    except dating.DatingError as error:
        raise ComponentsError(
            f"product: {product.code}: {error.message}", code=error.code, field="product"
        ) from None


def _unit_create(
    *,
    actor: User | None,
    din: str,
    product: Product,
    collection_type: str,
    division: str,
    donor_classification: str,
    site_id: int,
    abo: str,
    rhd: str,
    collected_at: datetime,
    at: datetime,
    events: list[dict[str, str]],
    expiry: dating.Expiry,
    volume_ml: int | None,
    donation_ids: Sequence[int],
    parents: Sequence[tuple[Unit, Process]],
) -> tuple[Unit, PendingEvent]:
    code = f"{product.code}{collection_type}{division}"
    try:
        with transaction.atomic():
            unit = Unit.objects.create(
                din=din,
                product=product,
                product_code=code,
                collection_type=collection_type,
                donor_classification=donor_classification,
                site_id=site_id,
                location=None,
                volume_ml=volume_ml,
                abo=abo,
                rhd=rhd,
                status=Status.QUARANTINED.value,
                collected_at=collected_at,
                manufactured_at=expiry.manufactured_at,
                dating_events=events,
                expires_at=expiry.expires_at,
                label_shows_time=expiry.label_shows_time,
                status_changed_at=at,
                recorded_at=at,
            )
    except IntegrityError:
        raise ComponentsConflictError(
            f"product: unit {din} {code} already exists", code="unit_exists", field="product"
        ) from None
    UnitSource.objects.bulk_create([UnitSource(unit=unit, donation_id=pk) for pk in donation_ids])
    UnitParentage.objects.bulk_create(
        [UnitParentage(child=unit, parent=p, process=proc) for p, proc in parents]
    )
    data = {
        "din": din,
        "product_code": code,
        "expires_at": expiry.expires_at.isoformat(timespec="minutes"),
        "dating_rule": expiry.rule,
        "parents": [p.pk for p, _ in parents],
    }
    history_row(
        unit, action="manufactured", actor=actor, at=at, to_status=Status.QUARANTINED.value, data=data
    )
    return unit, PendingEvent("components.unit.manufactured", unit, {"new": data}, "", at)


@transaction.atomic
def units_collect(
    *,
    actor: User | None,
    donation: Donation,
    product: Product,
    parts: int = 1,
    volume_ml: int | None = None,
    occurred_at: datetime | None = None,
) -> list[Unit]:
    """The units a collection yields as collected: ``parts`` > 1 divides an apheresis
    collection into A0, B0 … (a double platelet or double red cell collection)."""
    require_permission(actor, PERMISSION)
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    donation = Donation.objects.select_for_update().select_related("din", "site").get(pk=donation.pk)
    if product.procedure != donation.procedure:
        raise ComponentsError(
            f"product: {product.description} is not collected by {donation.get_procedure_display().lower()}",
            code="wrong_procedure",
            field="product",
        )
    if donation.outcome != Donation.Outcome.COMPLETE:
        raise ComponentsError(
            f"donation: a {donation.get_outcome_display().lower()} collection yields no units",
            code="incomplete_donation",
            field="donation",
        )
    try:
        codes = manufacturing.divisions(parts)
    except ValueError as error:
        raise ComponentsError(f"parts: {error}", code="invalid", field="parts") from None
    zone = _zone(donation)
    expiry = _expiry(product, donation.started_at, [], [donation.pk], zone)
    created = [
        _unit_create(
            actor=actor,
            din=donation.din.din,
            product=product,
            collection_type=donation.collection_type,
            division=division,
            donor_classification=donation.donor_classification,
            site_id=donation.site_id,
            abo="",
            rhd="",
            collected_at=donation.started_at,
            at=when.occurred_at,
            events=[],
            expiry=expiry,
            volume_ml=volume_ml,
            donation_ids=[donation.pk],
            parents=[],
        )
        for division in codes
    ]
    audit_record_many(stream=STREAM, actor=actor, events=[event for _, event in created])
    return [unit for unit, _ in created]


def _refuse_unless_workable(unit: Unit, at: datetime, field: str = "unit") -> None:
    if Status(unit.status) not in {Status.QUARANTINED, Status.AVAILABLE}:
        raise ComponentsConflictError(
            f"{field}: unit {unit} is {unit.status}; only a unit on the shelf "
            "(quarantined or available) is processed",
            code="not_workable",
            field=field,
        )
    if unit.expires_at <= at:
        raise ComponentsConflictError(f"{field}: unit {unit} has expired", code="expired", field=field)
    if UnitHold.objects.filter(unit=unit, lifted_at__isnull=True).exists():
        raise ComponentsConflictError(f"{field}: unit {unit} is on hold", code="unit_on_hold", field=field)


def _consume(actor: User | None, parent: Unit, at: datetime, process: Process) -> PendingEvent:
    return _move(
        actor,
        parent,
        Status.USED,
        at,
        Disposition.USED_IN_MODIFICATION.value,
        reason=process.value.replace("_", " "),
        disposition=Disposition.USED_IN_MODIFICATION,
    )


@transaction.atomic
def unit_process(
    *,
    actor: User | None,
    unit: Unit,
    products: Sequence[Product],
    parts: int = 1,
    volume_ml: int | None = None,
    occurred_at: datetime | None = None,
) -> list[Unit]:
    """Make ``products`` from ``unit`` by the one process the catalogue names for them
    (whole blood into red cells, plasma and platelets is one separation; irradiation,
    washing … one product each; splitting ``parts`` parts of one product)."""
    require_permission(actor, PERMISSION)
    parent = unit_locked(unit)
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    at = when.occurred_at
    if not products:
        raise ComponentsError("products: name the products to make", code="required", field="products")
    wrong = [p for p in products if p.made_from_id != parent.product_id]
    if wrong:
        raise ComponentsError(
            f"products: {wrong[0].description} is not made from {parent.product.description}",
            code="not_made_from",
            field="products",
        )
    processes = {p.process for p in products}
    if len(processes) != 1:
        raise ComponentsError("products: one process at a time", code="mixed_processes", field="products")
    process = Process(processes.pop())
    refusal = manufacturing.process_refusal(
        process, ProductClass(parent.product.product_class), parent.product.description
    )
    if refusal is not None:
        raise ComponentsError(f"{refusal.field}: {refusal.message}", code=refusal.code, field=refusal.field)
    if parts != 1 and (process is not Process.SPLITTING or len(products) != 1):
        raise ComponentsError("parts: only a split of one product has parts", code="invalid", field="parts")
    _refuse_unless_workable(parent, at)
    if at < parent.status_changed_at:
        raise ComponentsError(
            "occurred_at: before the unit's last move", code="before_last_move", field="occurred_at"
        )
    donation_ids = list(parent.sources.values_list("donation_id", flat=True))
    zone = _zone(parent)
    event_kind = manufacturing.PROCESS_EVENT[process]
    events = list(parent.dating_events)
    if event_kind is not None:
        events.append({"kind": event_kind.value, "at": at.isoformat()})
    audit: list[PendingEvent] = []
    children: list[Unit] = []
    for product in products:
        if process is Process.SEPARATION:
            late = manufacturing.separation_refusal(
                dating.Product(product.dating_product), parent.collected_at, at
            )
            if late is not None:
                raise ComponentsError(f"{late.field}: {late.message}", code=late.code, field=late.field)
        expiry = _expiry(product, parent.collected_at, events, donation_ids, zone)
        if process not in manufacturing.NEW_DATING and expiry.expires_at > parent.expires_at:
            expiry = _capped(expiry, parent)
        try:
            division_codes = [
                manufacturing.child_division(parent.product_code[6:8], i, parts) for i in range(parts)
            ]
        except ValueError as error:
            raise ComponentsError(f"parts: {error}", code="invalid", field="parts") from None
        for division in division_codes:
            child, event = _unit_create(
                actor=actor,
                din=parent.din,
                product=product,
                collection_type=parent.collection_type,
                division=division,
                donor_classification=parent.donor_classification,
                site_id=parent.site_id,
                abo=parent.abo,
                rhd=parent.rhd,
                collected_at=parent.collected_at,
                at=at,
                events=events,
                expiry=expiry,
                volume_ml=volume_ml,
                donation_ids=donation_ids,
                parents=[(parent, process)],
            )
            children.append(child)
            audit.append(event)
    audit.append(_consume(actor, parent, at, process))
    audit_record_many(stream=STREAM, actor=actor, events=audit)
    return children


def _capped(expiry: dating.Expiry, parent: Unit) -> dating.Expiry:
    """C4: a derived product never outlives its parent."""
    zone = _zone(parent)
    capped_at = parent.expires_at.astimezone(zone)
    return dating.Expiry(
        expires_at=capped_at,
        label_shows_time=dating.label_shows_time(expiry.manufactured_at, capped_at),
        rule="capped_at_parent_expiry",
        source="C4 [U]; 21 CFR 610.50(a) [P]",
        manufactured_at=expiry.manufactured_at,
    )


@transaction.atomic
def units_pool(
    *, actor: User | None, units: Sequence[Unit], product: Product, occurred_at: datetime | None = None
) -> Unit:
    """Pool ``units`` into one ``product`` under a new DIN of the site (ISBT 128: a pool is
    a new product with its own DIN; its members stay traceable through its parentage)."""
    require_permission(actor, PERMISSION)
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    at = when.occurred_at
    if product.process != Process.POOLING:
        raise ComponentsError(
            f"product: {product.description} is not a pool", code="not_a_pool", field="product"
        )
    members = units_locked(units)
    if not members:
        raise ComponentsError("units: name the units to pool", code="required", field="units")
    for member in members:
        if member.product_id != product.made_from_id:
            raise ComponentsError(
                f"units: {member} is {member.product.description}, "
                f"not what {product.description} is pooled from",
                code="not_made_from",
                field="units",
            )
    held = set(
        UnitHold.objects.filter(unit__in=members, lifted_at__isnull=True).values_list("unit_id", flat=True)
    )
    refusals = manufacturing.pool_refusals(
        ProductClass(product.product_class),
        [
            PoolMember(
                unit=str(m),
                product_code=m.product_code[:5],
                blood_group=m.blood_group,
                on_hand=Status(m.status) in {Status.QUARANTINED, Status.AVAILABLE},
                held=m.pk in held,
                expires_at=m.expires_at,
            )
            for m in members
        ],
        at,
    )
    if refusals:
        raise ComponentsError(
            "units: the pool is not allowed: " + "; ".join(r.message for r in refusals),
            code=refusals[0].code,
            field="units",
        )
    donation_ids = sorted(
        set(UnitSource.objects.filter(unit__in=members).values_list("donation_id", flat=True))
    )
    if DonationHold.objects.filter(donation_id__in=donation_ids, lifted_at__isnull=True).exists():
        raise ComponentsConflictError(
            "units: a donation of the pool is on hold", code="donation_on_hold", field="units"
        )
    site = members[0].site
    issued = din_generate(actor=actor, site=site, year=at.astimezone(_zone(members[0])).year % 100)
    oldest = min(m.collected_at for m in members)
    # Frozen members (cryoprecipitate) are thawed to be pooled: the pool is dated from both.
    thawed = (
        [{"kind": dating.EventKind.THAWED.value, "at": at.isoformat()}]
        if members[0].product.storage_max_c < 0
        else []
    )
    events = [*thawed, {"kind": dating.EventKind.POOLED_OPEN.value, "at": at.isoformat()}]
    expiry = _expiry(product, oldest, events, donation_ids, _zone(members[0]))
    earliest_parent = min(members, key=lambda m: m.expires_at)
    if expiry.expires_at > earliest_parent.expires_at:
        expiry = _capped(expiry, earliest_parent)
    types = {m.collection_type for m in members}
    pool, event = _unit_create(
        actor=actor,
        din=issued.issued.din,
        product=product,
        collection_type=types.pop() if len(types) == 1 else "V",
        division="00",
        # 606.121(c)(5): a pool holding any paid donor's unit carries the paid-donor statement.
        donor_classification="paid"
        if any(m.donor_classification == "paid" for m in members)
        else "volunteer",
        site_id=site.pk,
        abo=members[0].abo,
        rhd=members[0].rhd,
        collected_at=oldest,
        at=at,
        events=events,
        expiry=expiry,
        volume_ml=None,
        donation_ids=donation_ids,
        parents=[(m, Process.POOLING) for m in members],
    )
    audit = [event, *[_consume(actor, m, at, Process.POOLING) for m in members]]
    audit_record_many(stream=STREAM, actor=actor, events=audit)
    return pool
