"""The DIN label stock pages."""

from __future__ import annotations

import pytest

from hemaops.core import roles
from hemaops.donations.models import DinLabelStock, IssuedDin
from hemaops.isbt128.din import Din

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_a_phlebotomist_scans_a_din_and_sees_its_parts(site, received_stock, make_user, login):
    client = login(make_user(roles.PHLEBOTOMIST))
    assert client.get("/donations/dins/scan/").status_code == 200
    raw = Din("W0001", "25", "000123").keyboard_entry
    answer = client.post("/donations/dins/scan/", {"site": "main", "din": raw}, follow=True)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "DIN W0001 25 000123" in page
    assert Din("W0001", "25", "000123").keyboard_entry in page
    assert IssuedDin.objects.get().din == "W000125000123"


def test_a_refused_scan_shows_why_on_the_page(site, received_stock, make_user, login):
    client = login(make_user(roles.PHLEBOTOMIST))
    raw = Din("W0002", "25", "000123", "01").data_content
    answer = client.post("/donations/dins/scan/", {"site": "main", "din": raw})
    assert answer.status_code == 200
    assert "A label set from another facility (W0002)" in answer.content.decode()
    assert not IssuedDin.objects.exists()


def test_generating_on_the_scan_page_shows_the_new_din(site, make_user, login):
    client = login(make_user(roles.COMPONENT_TECHNOLOGIST))
    answer = client.post(
        "/donations/dins/generate/", {"generate-site": "main", "generate-year": "26"}, follow=True
    )
    assert answer.status_code == 200
    assert "DIN W0001 26 000001" in answer.content.decode()
    assert Din("W0001", "26", "000001").with_check_flags().data_content in answer.content.decode()


def test_receiving_stock_through_the_form_lists_it(site, make_user, login):
    client = login(make_user(roles.ADMINISTRATOR))
    form = {
        "site": "main",
        "year": "25",
        "first_sequence": "1",
        "last_sequence": "500",
        "received_on": "2025-02-01",
    }
    answer = client.post("/donations/din-stock/receive/", form, follow=True)
    assert answer.status_code == 200
    assert "W0001 25 000500" in answer.content.decode()
    assert DinLabelStock.objects.get().last_sequence == 500


def test_an_overlapping_range_is_refused_on_the_form(site, received_stock, make_user, login):
    client = login(make_user(roles.ADMINISTRATOR))
    form = {
        "site": "main",
        "year": "25",
        "first_sequence": "150",
        "last_sequence": "300",
        "received_on": "2025-02-01",
    }
    answer = client.post("/donations/din-stock/receive/", form)
    assert answer.status_code == 200
    assert "This range overlaps label stock already received" in answer.content.decode()
    assert DinLabelStock.objects.count() == 1


def test_the_stock_list_loads_in_a_fixed_number_of_queries(
    site, received_stock, make_user, login, django_assert_max_num_queries
):
    client = login(make_user(roles.QUALITY_OFFICER))
    with django_assert_max_num_queries(12):
        answer = client.get("/donations/din-stock/")
    assert answer.status_code == 200
    assert "W0001 25 000100" in answer.content.decode()


def test_the_nav_link_is_shown_to_phlebotomists(site, make_user, login):
    client = login(make_user(roles.PHLEBOTOMIST))
    assert "DIN labels" in client.get("/donations/dins/scan/").content.decode()
