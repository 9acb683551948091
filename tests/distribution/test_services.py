"""Distribution services (issue 8): orders and their refusals, allocation (FEFO, substitution,
special requirements, units the gate refuses), shipping with scans and charges, receipt,
returns with credit notes, what hospitals report, standing orders."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from hemaops.billing.models import Charge, Invoice
from hemaops.components import inventory_services
from hemaops.components.models import Unit
from hemaops.core.errors import NotFoundError, PermissionDeniedError
from hemaops.distribution import allocation_services, services
from hemaops.distribution.errors import DistributionConflictError, DistributionServiceError
from hemaops.distribution.models import Allocation, Order, Shipment, StandingOrder, UnitReturn
from hemaops.distribution.services import LineInput
from hemaops.finance.models import JournalLine
from tests.distribution.conftest import label_scans

pytestmark = pytest.mark.django_db


def line(product_code="A0002", abo="O", rhd="pos", quantity=1, **kwargs) -> LineInput:
    return LineInput(product_code=product_code, abo=abo, rhd=rhd, quantity=quantity, **kwargs)


def place(people, hospital, *lines, **kwargs) -> Order:
    return services.order_place(actor=people["clerk"], hospital=hospital, lines=list(lines), **kwargs)


def allocated_units(order: Order) -> list[int]:
    return list(
        Allocation.objects.filter(line__order=order, released_at__isnull=True)
        .order_by("pk")
        .values_list("unit_id", flat=True)
    )


def refused(error, code, field) -> None:
    assert (error.value.code, error.value.field) == (code, field), error.value.message


# --- placing orders --------------------------------------------------------------------------


def test_order_placed_with_defaults(contract, people, hospital):
    before = timezone.now()
    order = services.order_place(
        actor=people["hospital_user"], hospital=hospital, lines=[line(quantity=2, antigens_negative=["K"])]
    )
    assert order.channel == "portal"
    assert order.contract == contract
    assert order.status == "placed"
    assert timedelta(hours=23) < order.needed_by - before <= timedelta(hours=24, seconds=5)
    (saved,) = order.lines.all()
    assert saved.attributes == ["antigen_negative"]
    assert saved.antigens_negative == ["K"]
    staff_order = place(people, hospital, line(), priority="stat")
    assert staff_order.channel == "staff"
    assert staff_order.needed_by - staff_order.placed_at == timedelta(hours=4)


@pytest.mark.parametrize(
    ("lines", "code", "field"),
    [
        ([], "required", "lines"),
        ([line(product_code="ZZZZZ")], "unknown_product", "lines[0].product_code"),
        ([line(), line(quantity=0)], "invalid_quantity", "lines[1].quantity"),
        ([line(abo="C")], "invalid_choice", "lines[0].abo"),
        ([line(rhd="+")], "invalid_choice", "lines[0].rhd"),
        ([line(attributes=["blessed"])], "unknown_attribute", "lines[0].attributes"),
        ([line(antigens_negative=["Q"])], "unknown_antigen", "lines[0].antigens_negative"),
    ],
)
def test_bad_lines_refused_and_nothing_saved(contract, people, hospital, lines, code, field):
    with pytest.raises(DistributionServiceError) as error:
        place(people, hospital, *lines)
    refused(error, code, field)
    assert not Order.objects.exists()


def test_product_the_contract_does_not_price_is_refused(contract, people, hospital):
    contract.prices.filter(item_code="FFP").delete()
    with pytest.raises(DistributionServiceError, match="does not price") as error:
        place(people, hospital, line(), line(product_code="A0007", abo="A"))
    refused(error, "not_priced", "lines[1].product_code")
    assert not Order.objects.exists()


def test_other_hospital_and_no_contract_refused(contract, people, hospital, other_hospital):
    with pytest.raises(NotFoundError):
        services.order_place(actor=people["hospital_user"], hospital=other_hospital, lines=[line()])
    with pytest.raises(DistributionServiceError) as error:  # mercy has no contract here
        place(people, other_hospital, line())
    refused(error, "no_contract", "hospital")
    assert not Order.objects.exists()


def test_rh_substitution_needs_the_medical_directors_permission(contract, people, hospital):
    with pytest.raises(PermissionDeniedError) as error:
        place(people, hospital, line(rhd="neg", allow_rh_positive=True))
    assert error.value.field == "lines[0].allow_rh_positive"
    assert not Order.objects.exists()


# --- allocation ------------------------------------------------------------------------------


def test_fefo_and_substitution_for_o_negative_and_a_positive(contract, people, hospital, stock):
    o_neg = stock(abo="O", rhd="neg", count=2)
    Unit.objects.filter(pk=o_neg[1].pk).update(expires_at=o_neg[0].expires_at - timedelta(hours=1))
    (o_pos,) = stock(abo="O", rhd="pos")
    (a_pos,) = stock(abo="A", rhd="pos")
    order = place(
        people, hospital, line(abo="O", rhd="neg", quantity=3), line(abo="A", rhd="pos", quantity=2)
    )
    result = services.order_allocate(actor=people["clerk"], order=order)
    lines = list(order.lines.all())
    # O neg line: O neg only (earliest expiry first), never O pos without a director's order.
    assert [a.unit_id for a in result.allocated if a.line_id == lines[0].pk] == [o_neg[1].pk, o_neg[0].pk]
    # A pos line: A pos first, then O pos.
    assert [a.unit_id for a in result.allocated if a.line_id == lines[1].pk] == [a_pos.pk, o_pos.pk]
    assert result.short == {lines[0].pk: 1}
    order.refresh_from_db()
    assert order.status == "partially_allocated"
    assert Unit.objects.get(pk=a_pos.pk).status == "allocated"


def test_special_requirements_pick_only_qualifying_units(contract, people, hospital, stock):
    (plain,) = stock(abo="O", rhd="pos")
    (cmv_neg,) = stock(abo="O", rhd="pos", special={"cmv_antibody": "negative"})
    (k_neg,) = stock(abo="O", rhd="pos", special={"red_cell_antigens": "K- E+"})
    order = place(
        people,
        hospital,
        line(quantity=2, attributes=["cmv_negative"]),
        line(quantity=1, antigens_negative=["K"]),
    )
    result = services.order_allocate(actor=people["clerk"], order=order)
    cmv_line, k_line = order.lines.all()
    assert {a.unit_id: a.line_id for a in result.allocated} == {cmv_neg.pk: cmv_line.pk, k_neg.pk: k_line.pk}
    assert result.short == {cmv_line.pk: 1}
    assert Unit.objects.get(pk=plain.pk).status == "available"


def test_held_quarantined_and_discarded_units_never_allocated(contract, people, hospital, stock, components):
    held, quarantined, discarded, good = stock(count=4)
    technologist = components["technologist"]
    inventory_services.unit_hold_place(actor=technologist, unit=held, reason="check the bag")
    inventory_services.unit_quarantine(actor=technologist, unit=quarantined, reason="look again")
    inventory_services.unit_dispose(
        actor=technologist, unit=discarded, disposition="discarded", reason="leak"
    )
    order = place(people, hospital, line(quantity=4))
    result = services.order_allocate(actor=people["clerk"], order=order)
    assert [a.unit_id for a in result.allocated] == [good.pk]
    assert list(result.short.values()) == [3]


def test_release_and_cancel_put_units_back(contract, people, hospital, stock):
    units = stock(count=2)
    order = place(people, hospital, line(quantity=2))
    result = services.order_allocate(actor=people["clerk"], order=order)
    with pytest.raises(DistributionServiceError) as error:
        services.allocation_release(actor=people["clerk"], allocation=result.allocated[0], reason=" ")
    refused(error, "required", "reason")
    services.allocation_release(actor=people["clerk"], allocation=result.allocated[0], reason="wrong bag")
    order.refresh_from_db()
    assert order.status == "partially_allocated"
    services.order_cancel(actor=people["clerk"], order=order, reason="patient discharged")
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert set(Unit.objects.filter(pk__in=[u.pk for u in units]).values_list("status", flat=True)) == {
        "available"
    }
    assert allocated_units(order) == []


def test_the_allocation_run_serves_stat_first_and_never_gives_a_unit_twice(contract, people, hospital, stock):
    soonest, middle, latest = stock(count=3)
    Unit.objects.filter(pk=soonest.pk).update(expires_at=middle.expires_at - timedelta(hours=2))
    Unit.objects.filter(pk=latest.pk).update(expires_at=middle.expires_at + timedelta(hours=2))
    routine = place(people, hospital, line(quantity=1))
    stat = place(people, hospital, line(quantity=1), priority="stat")
    big = place(people, hospital, line(quantity=2))
    seen = []

    run = services.orders_allocate(
        actor=people["clerk"], batch_size=2, progress=lambda done, total: seen.append((done, total))
    )

    assert allocated_units(stat) == [soonest.pk]  # the most urgent order gets the first to expire
    assert allocated_units(routine) == [middle.pk]
    assert allocated_units(big) == [latest.pk]
    assert (run.orders, run.lines, run.units, run.short_lines, run.batches) == (3, 3, 3, 1, 2)
    assert seen == [(2, 3), (3, 3)]
    assert [Order.objects.get(pk=o.pk).status for o in (stat, routine, big)] == [
        "allocated",
        "allocated",
        "partially_allocated",
    ]
    # A second run only tries what is still short, and the shelf is empty: nothing moves.
    again = services.orders_allocate(actor=people["clerk"])
    assert (again.orders, again.units, again.short_lines) == (1, 0, 1)
    assert Allocation.objects.filter(released_at__isnull=True).count() == 3
    with pytest.raises(PermissionDeniedError):
        services.orders_allocate(actor=people["hospital_user"])


def test_lines_of_one_batch_share_the_shelf_and_read_past_its_first_page(
    contract, people, hospital, stock, monkeypatch
):
    monkeypatch.setattr(allocation_services, "MIN_PAGE", 1)  # pages of 2, then 4: several reads
    plain = stock(count=3)
    (cmv_negative,) = stock(special={"cmv_antibody": "negative"})
    Unit.objects.filter(pk=cmv_negative.pk).update(expires_at=plain[-1].expires_at + timedelta(days=1))
    order = place(people, hospital, line(quantity=2), line(quantity=1, attributes=["cmv_negative"]))

    result = services.order_allocate(actor=people["clerk"], order=order)

    plain_line, cmv_line = order.lines.order_by("pk")
    assert [a.unit_id for a in result.allocated if a.line_id == plain_line.pk] == [plain[0].pk, plain[1].pk]
    assert [a.unit_id for a in result.allocated if a.line_id == cmv_line.pk] == [cmv_negative.pk]
    assert result.short == {}


def test_orders_allocate_command_shows_progress_and_refuses_a_bad_batch(contract, people, hospital, stock):
    stock(count=1)
    order = place(people, hospital, line(quantity=1))
    with pytest.raises(CommandError, match="--batch"):
        call_command("orders_allocate", "--batch", "0")
    out = io.StringIO()
    call_command("orders_allocate", stdout=out)
    assert "1/1 orders" in out.getvalue()
    assert "1 order allocated: 1 unit on 1 line, 0 lines still short" in out.getvalue()
    assert Order.objects.get(pk=order.pk).status == "allocated"


# --- shipping --------------------------------------------------------------------------------


def shipped_order(people, hospital, stock, **kwargs):
    units = stock(count=2)
    order = place(people, hospital, line(quantity=2), **kwargs)
    services.order_allocate(actor=people["clerk"], order=order)
    shipment = services.shipment_create(actor=people["clerk"], order=order)
    for unit in units:
        services.shipment_scan(actor=people["clerk"], shipment=shipment, scans=label_scans(unit))
    return order, services.shipment_ship(actor=people["clerk"], shipment=shipment), units


def test_shipping_happy_path(contract, people, hospital, stock):
    order, shipment, units = shipped_order(people, hospital, stock, priority="stat", delivery=True)
    assert shipment.status == "shipped"
    (box,) = shipment.containers.all()
    assert (box.product_classes, box.minimum_c, box.maximum_c) == (["red_cells"], Decimal(1), Decimal(10))
    assert set(Unit.objects.filter(pk__in=[u.pk for u in units]).values_list("status", flat=True)) == {
        "shipped"
    }
    order.refresh_from_db()
    assert order.status == "shipped"
    charges = Charge.objects.filter(contract=contract)
    assert sorted(c.item_code for c in charges) == ["RBC", "RBC", "SUR-DELIVERY", "SUR-STAT"]
    assert sum(c.amount for c in charges) == Decimal("215.00") * 2 + Decimal("75.00") + Decimal("40.00")
    assert JournalLine.objects.filter(account__code="4000").exists()
    assert JournalLine.objects.filter(account__code="4030").exists()


def test_wrong_unit_and_unscanned_refused(contract, people, hospital, stock):
    units = stock(count=2)
    (stranger,) = stock()
    order = place(people, hospital, line(quantity=2))
    services.order_allocate(actor=people["clerk"], order=order)
    shipment = services.shipment_create(actor=people["clerk"], order=order)
    with pytest.raises(DistributionConflictError, match=stranger.din) as error:
        services.shipment_scan(actor=people["clerk"], shipment=shipment, scans=label_scans(stranger))
    refused(error, "wrong_unit", "scans")
    services.shipment_scan(actor=people["clerk"], shipment=shipment, scans=label_scans(units[0]))
    services.shipment_scan(actor=people["clerk"], shipment=shipment, scans=label_scans(units[0]))  # harmless
    with pytest.raises(DistributionConflictError, match=units[1].din) as error:
        services.shipment_ship(actor=people["clerk"], shipment=shipment)
    assert error.value.code == "not_scanned"
    assert Shipment.objects.get(pk=shipment.pk).status == "packing"
    assert not Charge.objects.exists()


def test_expired_unit_never_shipped(contract, people, hospital, stock):
    (unit,) = stock()
    order = place(people, hospital, line())
    services.order_allocate(actor=people["clerk"], order=order)
    shipment = services.shipment_create(actor=people["clerk"], order=order)
    services.shipment_scan(actor=people["clerk"], shipment=shipment, scans=label_scans(unit))
    with (
        time_machine.travel(unit.expires_at + timedelta(minutes=1)),
        pytest.raises(DistributionConflictError, match=unit.din),
    ):
        services.shipment_ship(actor=people["clerk"], shipment=shipment)
    assert Unit.objects.get(pk=unit.pk).status == "allocated"
    assert Shipment.objects.get(pk=shipment.pk).status == "packing"
    assert not Charge.objects.exists()


def test_receipt_by_own_hospital_only(contract, people, hospital, stock):
    _, shipment, _ = shipped_order(people, hospital, stock)
    with pytest.raises(NotFoundError):
        services.shipment_receive(actor=people["other_hospital_user"], shipment=shipment)
    received = services.shipment_receive(actor=people["hospital_user"], shipment=shipment, note="all cold")
    assert (received.status, received.received_by) == ("received", people["hospital_user"])


# --- after shipping --------------------------------------------------------------------------


def test_return_within_limits_reissued_and_credited(contract, people, hospital, stock):
    _, shipment, units = shipped_order(people, hospital, stock)
    item = shipment.items.get(unit=units[0])
    returned = services.unit_return_record(
        actor=people["clerk"],
        item=item,
        returned_at=timezone.now(),
        container_validated=True,
        lowest_c=Decimal("2.0"),
        highest_c=Decimal("6.0"),
        seal_intact=True,
    )
    assert returned.reissue
    assert returned.reasons == []
    assert Unit.objects.get(pk=units[0].pk).status == "available"
    credit = Invoice.objects.get(kind="credit_note")
    assert returned.credit_note_number == credit.number
    with pytest.raises(DistributionConflictError):
        services.unit_return_record(
            actor=people["clerk"],
            item=item,
            returned_at=shipment.shipped_at + timedelta(hours=3),
            container_validated=True,
            lowest_c=Decimal("2.0"),
            highest_c=Decimal("6.0"),
            seal_intact=True,
        )


def test_return_out_of_limits_discarded_and_credited(contract, people, hospital, stock):
    _, shipment, units = shipped_order(people, hospital, stock)
    item = shipment.items.get(unit=units[1])
    with pytest.raises(DistributionServiceError) as error:
        services.unit_return_record(
            actor=people["clerk"],
            item=item,
            returned_at=shipment.shipped_at - timedelta(hours=1),
            container_validated=True,
            lowest_c=None,
            highest_c=None,
            seal_intact=True,
        )
    assert error.value.field == "returned_at"
    returned = services.unit_return_record(
        actor=people["clerk"],
        item=item,
        returned_at=timezone.now(),
        container_validated=False,
        lowest_c=Decimal("2.0"),
        highest_c=Decimal("14.0"),
        seal_intact=True,
    )
    assert not returned.reissue
    assert returned.reasons == ["container_not_validated", "above_range"]
    unit = Unit.objects.get(pk=units[1].pk)
    assert (unit.status, unit.disposition) == ("discarded", "discarded")
    assert "warmer" in unit.disposition_reason
    assert returned.credit_note_number.startswith("CN-")


def test_dispositions_flow_to_the_unit(contract, people, hospital, stock):
    _, shipment, units = shipped_order(people, hospital, stock)
    first, second = (shipment.items.get(unit=u) for u in units)
    with pytest.raises(DistributionServiceError) as error:
        services.disposition_report(actor=people["hospital_user"], item=first, disposition="lost")
    refused(error, "invalid_choice", "disposition")
    with pytest.raises(NotFoundError):
        services.disposition_report(actor=people["other_hospital_user"], item=first, disposition="transfused")
    services.disposition_report(actor=people["hospital_user"], item=first, disposition="transfused")
    services.disposition_report(
        actor=people["hospital_user"], item=second, disposition="wasted", reason="dropped"
    )
    assert Unit.objects.get(pk=units[0].pk).status == "used"
    wasted = Unit.objects.get(pk=units[1].pk)
    assert wasted.disposition_reason == "hospital reported wasted: dropped"
    with pytest.raises(DistributionConflictError):
        services.disposition_report(actor=people["hospital_user"], item=first, disposition="transfused")
    with pytest.raises(DistributionConflictError):  # a transfused unit cannot come back
        services.unit_return_record(
            actor=people["clerk"],
            item=first,
            returned_at=shipment.shipped_at + timedelta(hours=1),
            container_validated=True,
            lowest_c=Decimal("2.0"),
            highest_c=Decimal("6.0"),
            seal_intact=True,
        )
    assert not UnitReturn.objects.exists()


# --- standing orders -------------------------------------------------------------------------


def test_standing_orders_make_daily_orders_once(contract, people, hospital, other_hospital):
    monday = date(2026, 11, 23)
    standing = services.standing_order_create(
        actor=people["clerk"], hospital=hospital, name="Daily O+", weekdays=[1, 3], lines=[line(quantity=4)]
    )
    with pytest.raises(DistributionServiceError) as error:
        services.standing_order_create(
            actor=people["clerk"], hospital=hospital, name="None", weekdays=[], lines=[line()]
        )
    refused(error, "required", "weekdays")
    # A standing order of a hospital whose contract is gone is skipped, the others go ahead.
    orphan = StandingOrder.objects.create(
        hospital=other_hospital, name="Orphan", weekdays=[1], created_at=timezone.now()
    )
    orphan.lines.create(product=standing.lines.get().product, abo="O", rhd="pos", quantity=1)
    made = services.orders_from_standing(actor=None, on=monday)
    (order,) = made
    assert (order.standing_order, order.for_date, order.channel) == (standing, monday, "standing")
    assert order.needed_by == datetime(2026, 11, 23, 16, tzinfo=UTC)  # 08:00 in Los Angeles
    assert [s for s, _ in made.skipped] == [orphan]
    assert services.orders_from_standing(actor=None, on=monday) == []
    assert services.orders_from_standing(actor=None, on=monday + timedelta(days=1)) == []
    assert Order.objects.count() == 1


def test_orders_from_standing_command(contract, people, hospital):
    services.standing_order_create(
        actor=people["clerk"], hospital=hospital, name="Mondays", weekdays=[1], lines=[line(quantity=2)]
    )
    with pytest.raises(CommandError, match="--date"):
        call_command("orders_from_standing", "--date", "23/11/2026")
    out = io.StringIO()
    call_command("orders_from_standing", "--date", "2026-11-23", stdout=out)
    (order,) = Order.objects.all()
    assert order.number in out.getvalue()
    assert "1 order placed for 2026-11-23" in out.getvalue()
