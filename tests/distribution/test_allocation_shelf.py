"""The allocation shelf's first pages, read for every product and type in one LATERAL query on
PostgreSQL (``_Shelf.read_first_pages``), are exactly the pages the ORM query reads one at a
time (``_Shelf._read_page``): the same units, in the same order, locked, the same exhaustion."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hemaops.components import inventory_services
from hemaops.components.models import Product
from hemaops.components.rules.compatibility import Abo, BloodType
from hemaops.distribution import allocation_services
from hemaops.distribution.allocation_services import _Shelf

pytestmark = pytest.mark.postgres


def test_the_first_pages_read_at_once_are_the_pages_read_one_by_one(stock, components, monkeypatch):
    # A page is the lines' demand plus MIN_PAGE units: with MIN_PAGE 1, O positive (3 units
    # on the shelf, demand 1) fills its page of 2 and is not exhausted.
    monkeypatch.setattr(allocation_services, "MIN_PAGE", 1)
    o_pos = stock("A0002", abo="O", rhd="pos", count=3)
    held, free = stock("A0002", abo="O", rhd="neg", count=2)
    (other,) = stock("A0003", abo="A", count=1)
    inventory_services.unit_hold_place(actor=components["quality"], unit=held, reason="check the bag")
    product = Product.objects.get(code="A0002")
    demand = {
        (product.pk, BloodType(Abo.O, True)): 1,
        (product.pk, BloodType(Abo.O, False)): 2,
        (product.pk, BloodType(Abo.AB, False)): 1,  # none on the shelf
        (other.product_id, BloodType(Abo.A, True)): 1,
    }
    at = timezone.now()

    at_once = _Shelf(at, demand)
    at_once.read_first_pages()
    one_by_one = _Shelf(at, demand)
    for key in demand:
        one_by_one._read_page(key)

    assert at_once._units == one_by_one._units
    assert at_once._exhausted == one_by_one._exhausted
    first_expiring = sorted(o_pos, key=lambda unit: (unit.expires_at, unit.pk))[:2]
    assert [unit.pk for unit in at_once._units[(product.pk, BloodType(Abo.O, True))]] == [
        unit.pk for unit in first_expiring
    ]
    assert [unit.pk for unit in at_once._units[(product.pk, BloodType(Abo.O, False))]] == [free.pk]
    assert at_once._exhausted == {
        (product.pk, BloodType(Abo.O, False)),
        (product.pk, BloodType(Abo.AB, False)),
        (other.product_id, BloodType(Abo.A, True)),
    }
