"""Allocating many units at once (``inventory_services.units_allocate``, what order allocation
uses): the same gate as one unit at a time, all or none."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hemaops.components import inventory_services
from hemaops.components.errors import ComponentsConflictError
from hemaops.components.models import Unit, UnitEvent
from hemaops.core.models import AuditEvent
from hemaops.lab import services as lab_services
from tests.distribution.conftest import catalogue, components, lab, panel, staff, stock  # noqa: F401


def test_a_batch_moves_every_unit_with_its_history_and_one_audit_event_naming_each(stock, components):  # noqa: F811
    units = stock("A0002", count=3)
    references = {units[0].pk: "ORD-000001", units[1].pk: "ORD-000001", units[2].pk: "ORD-000009"}

    moved = inventory_services.units_allocate(
        actor=components["clerk"], unit_ids=[u.pk for u in units], reference=references
    )

    assert sorted(u.pk for u in moved) == sorted(u.pk for u in units)
    assert set(Unit.objects.filter(pk__in=[u.pk for u in units]).values_list("status", flat=True)) == {
        "allocated"
    }
    history = UnitEvent.objects.filter(unit__in=units, action="allocated", to_status="allocated")
    assert {(event.unit_id, event.from_status, event.data["reference"]) for event in history} == {
        (pk, "available", reference) for pk, reference in references.items()
    }
    event = AuditEvent.objects.get(action="components.units.allocated")
    assert event.actor_id == components["clerk"].pk
    assert event.data["new"] == {"status": "allocated"}
    assert sorted(
        (row["unit"], row["din"], row["old"]["status"], row["reference"]) for row in event.data["units"]
    ) == sorted((u.pk, u.din, "available", references[u.pk]) for u in units)


def test_one_held_unit_refuses_the_whole_batch_and_nothing_moves(stock, components):  # noqa: F811
    free, held = stock("A0002", count=2)
    inventory_services.unit_hold_place(actor=components["quality"], unit=held, reason="check the bag")

    with pytest.raises(ComponentsConflictError) as refused:
        inventory_services.units_allocate(
            actor=components["clerk"], unit_ids=[free.pk, held.pk], reference="ORD-000002"
        )

    assert str(held) in refused.value.message
    assert set(Unit.objects.filter(pk__in=[free.pk, held.pk]).values_list("status", flat=True)) == {
        "available"
    }
    assert not UnitEvent.objects.filter(unit__in=[free, held], action="allocated").exists()


def test_an_allocated_unit_is_not_allocated_again_in_a_batch(stock, components):  # noqa: F811
    first, second = stock("A0002", count=2)
    inventory_services.unit_allocate(actor=components["clerk"], unit=first, reference="ORD-000003")

    with pytest.raises(ComponentsConflictError):
        inventory_services.units_allocate(
            actor=components["clerk"], unit_ids=[first.pk, second.pk], reference="ORD-000004"
        )

    second.refresh_from_db()
    assert second.status == "available"
    assert not AuditEvent.objects.filter(action="components.units.allocated").exists()


def test_the_gate_facts_read_in_one_query_name_each_units_holds(stock, components, lab):  # noqa: F811
    plain, donation_held, unit_held = stock("A0002", count=3)
    lab_services.hold_place(
        actor=lab["technologist"], donation=donation_held.sources.get().donation, reason="look-back"
    )
    inventory_services.unit_hold_place(actor=components["quality"], unit=unit_held, reason="check the bag")
    at = timezone.now()

    facts = {
        unit.pk: fact
        for unit, fact in inventory_services.units_locked_with_gate_facts(
            [plain.pk, donation_held.pk, unit_held.pk], at
        )
    }

    for unit in (plain, donation_held, unit_held):
        assert facts[unit.pk] == inventory_services.unit_gate_facts(unit, at)
    assert (facts[plain.pk].donation_hold_active, facts[plain.pk].unit_hold_active) == (False, False)
    assert facts[donation_held.pk].donation_hold_active
    assert facts[unit_held.pk].unit_hold_active
    assert all(fact.donations_released and fact.label_verified for fact in facts.values())
