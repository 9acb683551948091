"""Two orders racing for the same units on PostgreSQL (DESIGN.md invariant 3): each unit ends
in exactly one open allocation, whichever order won it; the loser's line is short, not doubled.
Threads released together by a barrier, each on its own connection (the lab's ``Race``)."""

from __future__ import annotations

import pytest
from django.db.models import Count

from hemaops.distribution import services
from hemaops.distribution.models import Allocation
from hemaops.distribution.services import LineInput
from tests.lab.test_release_concurrency import Race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 3


def test_two_orders_racing_for_three_units(contract, people, hospital, stock):
    clerk = people["clerk"]
    for _ in range(ROUNDS):
        units = stock(abo="B", rhd="neg", count=3)
        orders = [
            services.order_place(
                actor=clerk,
                hospital=hospital,
                lines=[LineInput(product_code="A0002", abo="B", rhd="neg", quantity=3)],
            )
            for _ in range(2)
        ]
        race = Race(
            *(lambda order=order: services.order_allocate(actor=clerk, order=order) for order in orders)
        )
        race.run()
        assert not [o for o in race.outcomes if isinstance(o, Exception)], race.outcomes
        open_allocations = Allocation.objects.filter(unit__in=units, released_at__isnull=True)
        # Every unit allocated, each to exactly one order; together the orders got 3, not 6.
        assert sorted(open_allocations.values_list("unit_id", flat=True)) == sorted(u.pk for u in units)
        assert not open_allocations.values("unit").annotate(n=Count("pk")).filter(n__gt=1).exists()
        got = [len(outcome.allocated) for outcome in race.outcomes]
        assert sum(got) == 3
        shorts = [sum(outcome.short.values()) for outcome in race.outcomes]
        assert [g + s for g, s in zip(got, shorts, strict=True)] == [3, 3]
        # Earlier rounds' units stay allocated to their orders, so each round races for its own three.
    assert not Allocation.objects.values("unit").annotate(n=Count("pk")).filter(n__gt=1).exists()


def test_two_allocation_runs_racing_share_the_orders_and_never_a_unit(contract, people, hospital, stock):
    """Two runs at once (two schedulers, or a run beside a clerk): each order is allocated by
    one of them, each unit goes to one order, and together they allocate what the shelf has."""
    clerk = people["clerk"]
    units = stock(abo="A", rhd="neg", count=4)
    orders = [
        services.order_place(
            actor=clerk,
            hospital=hospital,
            lines=[LineInput(product_code="A0002", abo="A", rhd="neg", quantity=1)],
        )
        for _ in range(6)
    ]
    race = Race(*(lambda: services.orders_allocate(actor=clerk, batch_size=2) for _ in range(2)))
    race.run()
    assert not [o for o in race.outcomes if isinstance(o, Exception)], race.outcomes
    open_allocations = Allocation.objects.filter(line__order__in=orders, released_at__isnull=True)
    assert sorted(open_allocations.values_list("unit_id", flat=True)) == sorted(u.pk for u in units)
    assert not open_allocations.values("line__order").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert sum(outcome.units for outcome in race.outcomes) == 4
