"""What a unit offers an order line: its special attributes (``rules.ATTRIBUTES``) and the red
cell antigens it is typed negative for — loaded in bulk for a list of candidate units.

* irradiated / leukoreduced: a process along the product's ``made_from`` chain;
* cmv_negative / hemoglobin_s_negative: the donation's special tests (lab), negative;
* antigen negatives: parsed from the ``red_cell_antigens`` result (``"K- E- c+"`` → K, E).

A unit from several donations (a pool) offers a test-based attribute only when every
donation tested negative.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from hemaops.components.models import Product
from hemaops.lab.models import DonationTesting

_PROCESS_ATTRIBUTES = {"irradiation": "irradiated", "leukoreduction": "leukoreduced"}
_TEST_ATTRIBUTES = {"cmv_antibody": "cmv_negative", "hemoglobin_s": "hemoglobin_s_negative"}


@dataclass(frozen=True)
class UnitFacts:
    attributes: frozenset[str]
    antigens_negative: frozenset[str]


NO_FACTS = UnitFacts(frozenset(), frozenset())


def product_attributes() -> dict[int, frozenset[str]]:
    """Product pk → the process attributes of its ``made_from`` chain (the catalogue is small:
    one query)."""
    products = {p.pk: p for p in Product.objects.only("pk", "process", "made_from_id")}
    result: dict[int, frozenset[str]] = {}
    for pk in products:
        found: set[str] = set()
        seen: set[int] = set()
        current = products.get(pk)
        while current is not None and current.pk not in seen:  # a cycle would be a catalogue bug
            seen.add(current.pk)
            if current.process in _PROCESS_ATTRIBUTES:
                found.add(_PROCESS_ATTRIBUTES[current.process])
            current = products.get(current.made_from_id) if current.made_from_id else None
        result[pk] = frozenset(found)
    return result


def parse_antigens_negative(text: str | None) -> frozenset[str]:
    """``"K- E- c+"`` → ``{"K", "E"}``."""
    return frozenset(token[:-1] for token in (text or "").split() if len(token) > 1 and token.endswith("-"))


def _test_facts(special_tests: dict) -> tuple[set[str], frozenset[str]]:
    attributes = {
        attribute
        for test, attribute in _TEST_ATTRIBUTES.items()
        if ((special_tests or {}).get(test) or {}).get("result") == "negative"
    }
    antigens = parse_antigens_negative(((special_tests or {}).get("red_cell_antigens") or {}).get("result"))
    return attributes, antigens


class UnitOnShelf(Protocol):
    """What the facts need of a unit: a ``Unit``, or allocation's lighter row of one."""

    @property
    def pk(self) -> int: ...

    @property
    def product_id(self) -> int: ...


def units_facts(units: Iterable[UnitOnShelf]) -> dict[int, UnitFacts]:
    """Unit pk → its facts, for all ``units`` in two queries."""
    units = list(units)
    if not units:
        return {}
    by_product = product_attributes()
    rows = DonationTesting.objects.filter(donation__unit_sources__unit__in=[u.pk for u in units]).values_list(
        "donation__unit_sources__unit", "special_tests"
    )
    tests: dict[int, list[tuple[set[str], frozenset[str]]]] = {}
    for unit_id, special in rows:
        tests.setdefault(unit_id, []).append(_test_facts(special))
    result: dict[int, UnitFacts] = {}
    for unit in units:
        per_donation = tests.get(unit.pk, [])
        attributes = set(by_product.get(unit.product_id, frozenset()))
        antigens: frozenset[str] = frozenset()
        if per_donation:
            attributes |= set.intersection(*(a for a, _ in per_donation))
            antigens = frozenset.intersection(*(g for _, g in per_donation))
        if antigens:
            attributes.add("antigen_negative")
        result[unit.pk] = UnitFacts(frozenset(attributes), antigens)
    return result
