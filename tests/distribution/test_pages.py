"""The distribution pages, for the clerk and for hospital users (the portal): placing an order
through the page, the fill worklist, allocation, a scan-verified shipment (a wrong unit refused
on the page), the packing list and manifest, receipt and dispositions, returns, standing orders,
the usage report — and another hospital's user getting a 404 with nothing changed."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from hemaops.distribution import selectors, services
from hemaops.distribution.models import Order, Shipment, ShipmentItem, StandingOrder, UnitReturn
from tests.distribution.conftest import label_scans

pytestmark = pytest.mark.django_db


def line_data(prefix: str = "lines", **line) -> dict:
    """A formset post with one line (three more left blank) of ``line``."""
    data = {
        f"{prefix}-TOTAL_FORMS": "4",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    values = {"product": "A0002", "abo": "O", "rhd": "pos", "quantity": "1", **line}
    data.update({f"{prefix}-0-{key}": value for key, value in values.items()})
    for index in (1, 2, 3):
        data.update(
            {f"{prefix}-{index}-abo": "O", f"{prefix}-{index}-rhd": "pos", f"{prefix}-{index}-quantity": "1"}
        )
    return data


def place(user, hospital, quantity: int = 1, product: str = "A0002") -> Order:
    return services.order_place(
        actor=user,
        hospital=hospital,
        lines=[services.LineInput(product_code=product, abo="O", rhd="pos", quantity=quantity)],
        needed_by=timezone.now() + timedelta(hours=6),
    )


def shipped(people, hospital, stock, count: int = 1) -> Shipment:
    """An order of ``count`` O pos red cells allocated, scanned and shipped."""
    units = stock("A0002", "O", "pos", count=count)
    order = place(people["hospital_user"], hospital, quantity=count)
    services.order_allocate(actor=people["clerk"], order=order)
    shipment = services.shipment_create(actor=people["clerk"], order=order)
    for unit in units:
        services.shipment_scan(actor=people["clerk"], shipment=shipment, scans=label_scans(unit))
    return services.shipment_ship(actor=people["clerk"], shipment=shipment)


@pytest.mark.smoke
def test_order_pages_render_for_the_clerk_and_the_hospital_user(login, people):
    for who in ("clerk", "hospital_user"):
        client = login(people[who])
        for name in ("order_list", "shipment_list", "order_new"):
            answer = client.get(reverse(f"distribution:{name}"))
            assert answer.status_code == 200, (who, name)
    clerk_page = login(people["clerk"]).get(reverse("distribution:order_new")).content.decode()
    assert 'name="hospital"' in clerk_page
    hospital_page = login(people["hospital_user"]).get(reverse("distribution:order_new")).content.decode()
    assert 'name="hospital"' not in hospital_page  # fixed to the user's own
    assert "allow_rh_positive" not in hospital_page  # only a medical director may allow it
    home = login(people["hospital_user"]).get("/").content.decode()
    assert reverse("distribution:hospital_report") in home
    assert reverse("distribution:standing_order_list") not in home
    assert reverse("distribution:standing_order_list") in login(people["clerk"]).get("/").content.decode()


def test_a_hospital_user_places_an_order_through_the_page_and_sees_it(
    login, people, contract, other_contract, hospital
):
    client = login(people["hospital_user"])
    data = {"priority": "stat", "note": "trauma bay", **line_data(quantity="2", antigens_negative="K E")}
    answer = client.post(reverse("distribution:order_new"), data)
    order = Order.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("distribution:order_detail", args=[order.pk])
    assert (order.hospital, order.priority, order.channel, order.note) == (
        hospital,
        "stat",
        "portal",
        "trauma bay",
    )
    (line,) = order.lines.all()
    assert (line.product.code, line.quantity, line.antigens_negative) == ("A0002", 2, ["K", "E"])
    listed = client.get(reverse("distribution:order_list")).content.decode()
    assert order.number in listed
    detail = client.get(reverse("distribution:order_detail", args=[order.pk])).content.decode()
    assert "Placed" in detail


def test_a_needed_by_time_is_the_hospitals_and_its_users_read_their_own_clock(
    login, people, other_contract, other_hospital, settings
):
    settings.TIME_ZONE = "America/Los_Angeles"  # the establishment's clock
    baltimore = ZoneInfo("America/New_York")
    needed = (timezone.now() + timedelta(days=2)).astimezone(baltimore)
    needed = needed.replace(hour=8, minute=0, second=0, microsecond=0)
    typed = {"priority": "routine", "needed_by": f"{needed:%Y-%m-%dT%H:%M}", **line_data()}

    # The Baltimore hospital's own user types 08:00, and its pages say 08:00 on its clock.
    portal = login(people["other_hospital_user"])
    assert portal.post(reverse("distribution:order_new"), {**typed, "note": "own"}).status_code == 302
    own = Order.objects.get(note="own")
    assert own.needed_by == needed
    page = portal.get(reverse("distribution:order_detail", args=[own.pk])).content.decode()
    assert f"{needed:%Y-%m-%d} 08:00" in page
    assert "Times are in America/New_York." in page

    # A clerk in Los Angeles ordering on its behalf types the hospital's 08:00 as well; the
    # clerk's pages show it as 05:00 on the establishment's clock.
    clerk = login(people["clerk"])
    answer = clerk.post(reverse("distribution:order_new"), {**typed, "hospital": "mercy", "note": "by clerk"})
    assert answer.status_code == 302
    on_behalf = Order.objects.get(note="by clerk")
    assert on_behalf.needed_by == needed
    page = clerk.get(reverse("distribution:order_detail", args=[on_behalf.pk])).content.decode()
    assert f"{needed:%Y-%m-%d} 05:00" in page
    assert "Times are in America/Los_Angeles." in page


def test_a_refused_line_is_shown_on_that_line_and_nothing_is_placed(login, people, contract):
    client = login(people["hospital_user"])
    answer = client.post(
        reverse("distribution:order_new"), {"priority": "routine", **line_data(quantity="0")}
    )
    assert answer.status_code == 200
    line_form = answer.context["formset"].forms[0]
    assert list(line_form.errors) == ["quantity"], answer.context["form"].errors
    assert "at least 1" in line_form.errors["quantity"][0]
    assert not Order.objects.exists()


def test_a_product_the_contract_does_not_price_is_refused_on_the_product_field(
    login, people, contract, hospital
):
    contract.prices.filter(item_code="RBC").delete()
    answer = login(people["clerk"]).post(
        reverse("distribution:order_new"), {"hospital": hospital.code, "priority": "routine", **line_data()}
    )
    assert answer.status_code == 200
    assert list(answer.context["formset"].forms[0].errors) == ["product"]
    assert not Order.objects.exists()


def test_the_fill_worklist_puts_stat_first_and_staff_see_every_hospital(
    login, people, contract, other_contract, hospital, other_hospital
):
    routine = place(people["hospital_user"], hospital)
    stat = services.order_place(
        actor=people["other_hospital_user"],
        hospital=other_hospital,
        lines=[services.LineInput(product_code="A0002", abo="O", rhd="pos", quantity=1)],
        priority=Order.Priority.STAT,
        needed_by=timezone.now() + timedelta(days=2),
    )
    answer = login(people["clerk"]).get(reverse("distribution:order_list"), {"status": "placed"})
    assert [order.pk for order in answer.context["orders"]] == [stat.pk, routine.pk]
    assert other_hospital.code in answer.content.decode()
    own = login(people["hospital_user"]).get(reverse("distribution:order_list"))
    assert [order.pk for order in own.context["orders"]] == [routine.pk]


def test_another_hospitals_user_gets_404_and_changes_nothing(
    login, people, contract, other_contract, hospital, stock
):
    shipment = shipped(people, hospital, stock)
    order = shipment.order
    item = shipment.items.get()
    client = login(people["other_hospital_user"])
    for url in (
        reverse("distribution:order_detail", args=[order.pk]),
        reverse("distribution:shipment_detail", args=[shipment.pk]),
        reverse("distribution:packing_list_pdf", args=[shipment.pk]),
        reverse("distribution:shipment_manifest", args=[shipment.pk]),
    ):
        assert client.get(url).status_code == 404, url
    posts = [
        (reverse("distribution:order_cancel", args=[order.pk]), {"reason": "not ours"}),
        (reverse("distribution:shipment_receive", args=[shipment.pk]), {"note": ""}),
        (reverse("distribution:item_disposition", args=[item.pk]), {"disposition": "wasted", "reason": "x"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    order.refresh_from_db()
    shipment.refresh_from_db()
    item.refresh_from_db()
    assert (order.status, shipment.status, item.hospital_disposition) == ("shipped", "shipped", "")
    assert client.get(reverse("distribution:order_list")).context["orders"].count() == 0


def test_the_clerk_runs_the_allocation_from_the_order_list(login, people, contract, hospital, stock):
    stock(count=1)
    order = place(people["hospital_user"], hospital)
    assert (
        "Allocate open orders"
        not in login(people["hospital_user"]).get(reverse("distribution:order_list")).content.decode()
    )
    client = login(people["clerk"])
    assert "Allocate open orders" in client.get(reverse("distribution:order_list")).content.decode()
    answer = client.post(reverse("distribution:orders_allocate"), follow=True)
    assert "Allocation run: 1 unit(s) to 1 order(s)." in answer.content.decode()
    order.refresh_from_db()
    assert order.status == "allocated"


def test_clerk_allocates_creates_a_shipment_scans_and_ships(login, people, contract, hospital, stock):
    wanted = stock("A0002", "O", "pos", count=1)[0]
    order = place(people["hospital_user"], hospital)
    client = login(people["clerk"])
    assert client.post(reverse("distribution:order_allocate", args=[order.pk])).status_code == 302
    order.refresh_from_db()
    assert order.status == "allocated"
    detail = client.get(reverse("distribution:order_detail", args=[order.pk])).content.decode()
    assert wanted.din in detail

    answer = client.post(reverse("distribution:shipment_create", args=[order.pk]))
    shipment = Shipment.objects.get(order=order)
    assert answer["Location"] == reverse("distribution:shipment_detail", args=[shipment.pk])
    page = client.get(answer["Location"]).content.decode()
    assert "not scanned" in page

    stranger = stock("A0002", "O", "pos", count=1)[0]
    scan_url = reverse("distribution:scan_unit", args=[shipment.pk])
    refused = client.post(scan_url, {"scans": "\n".join(label_scans(stranger))})
    assert refused.status_code == 200
    assert refused.context["scan_form"].errors
    assert 'role="alert"' in refused.content.decode()
    assert not ShipmentItem.objects.filter(shipment=shipment, scanned_at__isnull=False).exists()

    assert client.post(scan_url, {"scans": "\n".join(label_scans(wanted))}).status_code == 302
    assert ShipmentItem.objects.get(shipment=shipment).scanned_at is not None
    assert client.post(reverse("distribution:shipment_ship", args=[shipment.pk])).status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == "shipped"

    pdf = client.get(reverse("distribution:packing_list_pdf", args=[shipment.pk]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    manifest = client.get(reverse("distribution:shipment_manifest", args=[shipment.pk]))
    assert manifest["Content-Type"] == "application/json"
    assert wanted.din in json.dumps(json.loads(manifest.content))


def test_a_scan_through_htmx_redraws_only_the_pick_list_and_names_a_refusal(
    login, people, contract, hospital, stock
):
    units = stock("A0002", "O", "pos", count=2)
    order = place(people["hospital_user"], hospital)
    [allocation] = services.order_allocate(actor=people["clerk"], order=order).allocated
    [wanted] = [unit for unit in units if unit.pk == allocation.unit_id]
    [stranger] = [unit for unit in units if unit.pk != allocation.unit_id]
    shipment = services.shipment_create(actor=people["clerk"], order=order)
    client = login(people["clerk"])
    scan_url = reverse("distribution:scan_unit", args=[shipment.pk])

    refused = client.post(
        scan_url, {"scans": "\n".join(label_scans(stranger))}, headers={"HX-Request": "true"}
    )
    fragment = refused.content.decode()
    assert refused.status_code == 200
    assert fragment.lstrip().startswith('<div id="pick">')
    assert "<html" not in fragment
    assert stranger.din in str(refused.context["scan_form"].errors["scans"])
    assert "0 of 1 scanned" in fragment
    assert not ShipmentItem.objects.filter(scanned_at__isnull=False).exists()

    scanned = client.post(scan_url, {"scans": "\n".join(label_scans(wanted))}, headers={"HX-Request": "true"})
    fragment = scanned.content.decode()
    assert scanned.status_code == 200
    assert "<html" not in fragment
    assert "1 of 1 scanned" in fragment
    assert f"Scanned {wanted.din} {wanted.product_code}." in fragment
    assert ShipmentItem.objects.get(shipment=shipment).scanned_at is not None


def test_the_pages_show_times_in_the_establishments_time_zone(
    login, people, contract, hospital, stock, settings
):
    settings.TIME_ZONE = "America/Los_Angeles"  # HEMAOPS_TIME_ZONE, as the demo sets it
    shipment = shipped(people, hospital, stock)
    expires_at = shipment.items.get().unit.expires_at
    page = (
        login(people["clerk"])
        .get(reverse("distribution:shipment_detail", args=[shipment.pk]))
        .content.decode()
    )

    local = expires_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert f"{local:%H:%M}" == "23:59"  # the site's expiry convention
    assert f"{local:%Y-%m-%d %H:%M}" in page
    assert f"{expires_at.astimezone(UTC):%Y-%m-%d %H:%M}" not in page
    assert "Times are in America/Los_Angeles." in page


def test_a_shipment_not_fully_scanned_is_not_shipped_and_says_why(login, people, contract, hospital, stock):
    stock("A0002", "O", "pos", count=1)
    order = place(people["hospital_user"], hospital)
    services.order_allocate(actor=people["clerk"], order=order)
    shipment = services.shipment_create(actor=people["clerk"], order=order)
    answer = login(people["clerk"]).post(reverse("distribution:shipment_ship", args=[shipment.pk]))
    assert answer.status_code == 200
    assert answer.context["refusals"]
    shipment.refresh_from_db()
    assert shipment.status == "packing"


def test_the_hospital_user_receives_and_reports_a_disposition(login, people, contract, hospital, stock):
    shipment = shipped(people, hospital, stock)
    item = shipment.items.get()
    client = login(people["hospital_user"])
    page = client.get(reverse("distribution:shipment_detail", args=[shipment.pk])).content.decode()
    assert "Confirm receipt" in page
    assert "red cells, 1.0–10.0 °C" in page  # the box's classes as people read them
    assert (
        client.post(
            reverse("distribution:shipment_receive", args=[shipment.pk]), {"note": "cold"}
        ).status_code
        == 302
    )
    shipment.refresh_from_db()
    assert (shipment.status, shipment.received_note) == ("received", "cold")
    answer = client.post(
        reverse("distribution:item_disposition", args=[item.pk]), {"disposition": "transfused"}
    )
    assert answer.status_code == 302
    item.refresh_from_db()
    assert item.hospital_disposition == "transfused"
    report = client.get(reverse("distribution:hospital_report"))
    assert report.status_code == 200
    (row,) = report.context["report"].rows
    assert (row.received, row.fates) == (1, {"transfused": 1})
    assert "<svg" in report.content.decode()


def test_the_clerk_records_a_return_and_the_page_shows_the_decision(login, people, contract, hospital, stock):
    # Shipped and received ten minutes ago: the form takes whole minutes, and the return is dated
    # two minutes after shipping (neither before it nor in the future).
    with time_machine.travel(timezone.now() - timedelta(minutes=10)):
        shipment = shipped(people, hospital, stock)
        services.shipment_receive(actor=people["hospital_user"], shipment=shipment)
    item = shipment.items.get()
    client = login(people["clerk"])
    returned_at = timezone.localtime(shipment.shipped_at + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        reverse("distribution:item_return", args=[item.pk]),
        {"returned_at": returned_at, "seal_intact": "on", "note": "not used"},
    )
    assert answer.status_code == 302, [
        row["return_form"].errors for row in answer.context["rows"] if row["return_form"]
    ]
    unit_return = UnitReturn.objects.get(item=item)
    assert unit_return.reissue is False
    assert "container_not_validated" in unit_return.reasons
    page = client.get(reverse("distribution:shipment_detail", args=[shipment.pk])).content.decode()
    assert "not kept in a validated shipping container" in page
    assert unit_return.credit_note_number.startswith("CN-")
    assert f"Credit note {unit_return.credit_note_number}" in page


def test_the_clerk_creates_a_standing_order(login, people, contract, hospital):
    client = login(people["clerk"])
    data = {"hospital": hospital.code, "name": "Weekday red cells", "weekdays": ["1", "3"], "delivery": "on"}
    answer = client.post(reverse("distribution:standing_order_new"), {**data, **line_data(quantity="4")})
    assert answer.status_code == 302
    standing = StandingOrder.objects.get()
    assert (standing.hospital, standing.weekdays, standing.lines.get().quantity) == (hospital, [1, 3], 4)
    assert "Weekday red cells" in client.get(reverse("distribution:standing_order_list")).content.decode()


def test_the_staff_report_needs_a_chosen_hospital(login, people, hospital):
    client = login(people["clerk"])
    assert client.get(reverse("distribution:hospital_report")).context["report"] is None
    answer = client.get(reverse("distribution:hospital_report"), {"hospital": hospital.code, "months": "6"})
    assert answer.context["report"].hospital == hospital
    assert answer.context["report"].rows == []


def test_order_detail_loads_lines_allocations_and_units_in_four_queries(
    people, contract, hospital, stock, django_assert_num_queries
):
    stock("A0002", "O", "pos", count=2)
    order = place(people["hospital_user"], hospital, quantity=2)
    services.order_allocate(actor=people["clerk"], order=order)
    # The order with its hospital, contract and placer; its lines; their allocations with units;
    # its shipments — however many lines and units.
    with django_assert_num_queries(4):
        loaded = selectors.order_detail(order)
        dins = [
            a.unit.din + a.unit.product.code for line in loaded.lines.all() for a in line.allocations.all()
        ]
        assert len(list(loaded.shipments.all())) == 0
    assert len(dins) == 2
