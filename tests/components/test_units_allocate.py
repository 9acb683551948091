"""Allocating many units at once (``inventory_services.units_allocate``, what order allocation
uses): the same gate as one unit at a time, all or none."""

from __future__ import annotations

import pytest

from hemaops.components import inventory_services
from hemaops.components.errors import ComponentsConflictError
from hemaops.components.models import Unit, UnitEvent
from hemaops.core.models import AuditEvent
from tests.distribution.conftest import catalogue, components, lab, panel, staff, stock  # noqa: F401


def test_a_batch_moves_every_unit_with_its_history_and_audit(stock, components):  # noqa: F811
    units = stock("A0002", count=3)
    audited = AuditEvent.objects.filter(action="components.unit.allocated").count()

    moved = inventory_services.units_allocate(actor=components["clerk"], units=units, reference="ORD-000001")

    assert sorted(u.pk for u in moved) == sorted(u.pk for u in units)
    assert set(Unit.objects.filter(pk__in=[u.pk for u in units]).values_list("status", flat=True)) == {
        "allocated"
    }
    assert UnitEvent.objects.filter(unit__in=units, action="allocated", to_status="allocated").count() == 3
    assert AuditEvent.objects.filter(action="components.unit.allocated").count() == audited + 3


def test_one_held_unit_refuses_the_whole_batch_and_nothing_moves(stock, components):  # noqa: F811
    free, held = stock("A0002", count=2)
    inventory_services.unit_hold_place(actor=components["quality"], unit=held, reason="check the bag")

    with pytest.raises(ComponentsConflictError) as refused:
        inventory_services.units_allocate(
            actor=components["clerk"], units=[free, held], reference="ORD-000002"
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
            actor=components["clerk"], units=[first, second], reference="ORD-000004"
        )

    second.refresh_from_db()
    assert second.status == "available"
