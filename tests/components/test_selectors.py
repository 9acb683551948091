"""The components read side: the stock board's bands and exclusions, the FEFO pick list,
the processing worklist, a unit's chain, and the query counts that keep them flat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hemaops.components import inventory_services, label_services, manufacturing_services, selectors
from hemaops.components.labels import barcodes
from hemaops.components.models import Unit
from hemaops.lab import services as lab_services
from tests.components.conftest import product, release
from tests.lab.conftest import another_donation  # noqa: F401 - fixture


def _separate(components, unit):
    return manufacturing_services.unit_process(
        actor=components["technologist"],
        unit=unit,
        products=[product(c) for c in ("A0002", "A0007", "A0012")],
    )


def _print(components, unit):
    return label_services.unit_label_print(actor=components["technologist"], unit=unit)


def _verify(components, unit, content):
    label_services.unit_label_verify(
        actor=components["technologist"], unit=unit, scans=[b.data for b in barcodes(content)]
    )


def _available(components, unit):
    _verify(components, unit, _print(components, unit))
    inventory_services.unit_make_available(actor=components["technologist"], unit=unit)
    unit.refresh_from_db()
    return unit


@pytest.fixture
def on_shelf(components, lab, whole_blood):
    """Red cells, plasma and platelets of a released O pos donation, all available."""
    units = _separate(components, whole_blood)
    release(lab, whole_blood.sources.get().donation)
    return [_available(components, unit) for unit in units]


def _cells(board):
    return {(c.product_code, c.abo, c.rhd, c.band): c.units for c in board.cells}


def test_the_board_counts_each_unit_in_its_product_group_and_band(on_shelf):
    # Half a day after the collection, whatever the hour of the run: just after midnight on the
    # day clocks go back, "now" would leave the red cells 43 days of elapsed time.
    board = selectors.stock_board(at=on_shelf[0].collected_at + timedelta(hours=12))
    assert _cells(board) == {
        ("A0002", "O", "pos", "15-42"): 1,
        ("A0007", "O", "pos", "43+"): 1,
        ("A0012", "O", "pos", "4-7"): 1,
    }
    assert board.total_available == 3
    assert board.quarantined_by_product == {}
    assert board.held_by_product == {}
    cell = next(c for c in board.cells if c.product_code == "A0002")
    assert cell.product_description
    assert cell.product_class


@pytest.mark.parametrize(
    ("before_expiry", "band"),
    [
        (timedelta(days=2) - timedelta(seconds=1), "0-1"),
        (timedelta(days=2), "2-3"),
        (timedelta(days=4) - timedelta(seconds=1), "2-3"),
        (timedelta(days=4), "4-7"),
        (timedelta(days=8) - timedelta(seconds=1), "4-7"),
        (timedelta(days=8), "8-14"),
        (timedelta(days=15) - timedelta(seconds=1), "8-14"),
        (timedelta(days=15), "15-42"),
        (timedelta(days=43) - timedelta(seconds=1), "15-42"),
        (timedelta(days=43), "43+"),
    ],
)
def test_bands_change_exactly_at_their_boundaries(on_shelf, before_expiry, band):
    red_cells = on_shelf[0]
    board = selectors.stock_board(at=red_cells.expires_at - before_expiry)
    assert ("A0002", "O", "pos", band) in _cells(board)


def test_an_expired_unit_is_off_the_board_and_the_pick_list(on_shelf):
    red_cells = on_shelf[0]
    at = red_cells.expires_at
    assert not any(c.product_code == "A0002" for c in selectors.stock_board(at=at).cells)
    assert selectors.pick_list(product="A0002", abo="O", rhd="pos", count=5, at=at) == []
    earlier = at - timedelta(seconds=1)
    assert selectors.pick_list(product="A0002", abo="O", rhd="pos", count=5, at=earlier) == [red_cells]


def test_held_units_are_counted_apart_not_on_the_board(components, lab, on_shelf):
    red_cells, _plasma, platelets = on_shelf
    hold = inventory_services.unit_hold_place(
        actor=components["technologist"], unit=platelets, reason="bag leak?"
    )
    board = selectors.stock_board(at=timezone.now())
    assert board.held_by_product == {"A0012": 1}
    assert board.total_available == 2
    assert selectors.pick_list(product="A0012", abo="O", rhd="pos", count=1, at=timezone.now()) == []
    inventory_services.unit_hold_lift(actor=components["technologist"], hold=hold, reason="no leak")
    lab_services.hold_place(
        actor=lab["technologist"], donation=red_cells.sources.get().donation, reason="look-back"
    )
    board = selectors.stock_board(at=timezone.now())
    assert board.held_by_product == {"A0002": 1, "A0007": 1, "A0012": 1}
    assert board.total_available == 0
    assert board.cells == []


def test_the_board_filters_by_site(on_shelf, site):
    assert selectors.stock_board(at=timezone.now(), site_ids=[site.pk]).total_available == 3
    assert selectors.stock_board(at=timezone.now(), site_ids=[site.pk + 999]).total_available == 0


def test_the_pick_list_is_first_expiry_first_out(components, lab, catalogue, whole_blood, another_donation):  # noqa: F811
    (second,) = manufacturing_services.units_collect(
        actor=components["technologist"], donation=another_donation, product=product("A0001"), volume_ml=500
    )
    release(lab, whole_blood.sources.get().donation)
    release(lab, another_donation)
    first_red, _, _ = _separate(components, whole_blood)
    second_red, _, _ = _separate(components, second)
    first_red, second_red = _available(components, first_red), _available(components, second_red)
    # The second unit expires first: it is picked first, whatever the order of making.
    Unit.objects.filter(pk=second_red.pk).update(expires_at=first_red.expires_at - timedelta(days=3))
    now = timezone.now()
    picked = selectors.pick_list(product="A0002", abo="O", rhd="pos", count=5, at=now)
    assert [u.pk for u in picked] == [second_red.pk, first_red.pk]
    assert [u.pk for u in selectors.pick_list(product="A0002", abo="O", rhd="pos", count=1, at=now)] == [
        second_red.pk
    ]
    assert selectors.pick_list(product="A0002", abo="O", rhd="neg", count=5, at=now) == []
    assert selectors.pick_list(product="A0002", abo="A", rhd="pos", count=5, at=now) == []


def test_the_worklist_says_what_each_quarantined_unit_waits_for(components, lab, whole_blood):
    red_cells, plasma, platelets = _separate(components, whole_blood)
    waits = {i.unit.pk: i.waits_for for i in selectors.processing_worklist()}
    assert waits == {u.pk: ["release", "label"] for u in (red_cells, plasma, platelets)}
    donation = whole_blood.sources.get().donation
    release(lab, donation)
    _print(components, plasma)
    _verify(components, platelets, _print(components, platelets))
    inventory_services.unit_hold_place(actor=components["technologist"], unit=platelets, reason="clumps")
    items = selectors.processing_worklist()
    waits = {i.unit.pk: i.waits_for for i in items}
    assert waits == {red_cells.pk: ["label"], plasma.pk: ["verification"], platelets.pk: ["hold"]}
    assert [i.unit.pk for i in items] == [
        u.pk for u in sorted((red_cells, plasma, platelets), key=lambda u: (u.expires_at, u.pk))
    ]
    assert len(selectors.processing_worklist(limit=1)) == 1


def test_the_chain_of_a_separated_unit_runs_from_donor_to_descendants(components, lab, whole_blood):
    red_cells, plasma, _ = _separate(components, whole_blood)
    donation = whole_blood.sources.get().donation
    release(lab, donation)
    chain = selectors.unit_chain(red_cells)
    assert [d.pk for d in chain.donations] == [donation.pk]
    assert chain.donations[0].donor == donation.donor
    assert set(chain.testings) == {donation.pk}
    assert set(chain.releases) == {donation.pk}
    assert [u.pk for u in chain.ancestors] == [whole_blood.pk]
    assert chain.descendants == []
    assert chain.events
    assert [r.code for r in chain.gate_refusals] == ["label_not_verified"]
    whole = selectors.unit_chain(whole_blood)
    assert whole.ancestors == []
    assert {u.pk for u in whole.descendants} == {red_cells.pk, plasma.pk, _.pk}
    assert whole.unit.status == "used"


def test_locations_show_units_on_hand(components, on_shelf, refrigerator):
    inventory_services.unit_store(actor=components["technologist"], unit=on_shelf[0], location=refrigerator)
    (row,) = selectors.locations_with_occupancy()
    assert (row.location, row.units_on_hand, row.last_reading, row.open_excursions) == (
        refrigerator,
        1,
        None,
        0,
    )
    assert selectors.excursions_pending() == []


def test_the_board_and_the_worklist_cost_a_fixed_number_of_queries(
    components, lab, whole_blood, django_assert_max_num_queries
):
    units = _separate(components, whole_blood)
    release(lab, whole_blood.sources.get().donation)
    _available(components, units[0])
    with django_assert_max_num_queries(3):
        selectors.stock_board(at=timezone.now())
    with django_assert_max_num_queries(1):
        items = selectors.processing_worklist()
        assert [str(i.unit.product) and i.unit.site.code for i in items]
