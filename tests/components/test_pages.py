"""The components pages: the worklist with collect, process and pool; a unit's chain with
the gate's refusals; label print, download and scan-back (a mismatch shown and kept); the
unit's moves and holds; the stock board and pick list; storage with temperature files;
the catalogue with its upload; the navigation; and who may see them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from hemaops.components import dashboard, inventory_services, label_services, manufacturing_services
from hemaops.components.labels import barcodes
from hemaops.components.models import Catalogue, LabelScan, Product, TemperatureReading, Unit
from hemaops.core import roles
from hemaops.core.registry import registry
from tests.components.conftest import local_catalogue_bytes, product, release

pytestmark = pytest.mark.django_db

WORKLIST = "/components/"


@pytest.fixture(autouse=True)
def _registered():
    dashboard.register()  # ComponentsConfig.ready registers it; adding twice is a no-op


def _unit_page(pk: int) -> str:
    return f"/components/units/{pk}/"


def _red_cells(components, whole_blood) -> Unit:
    red_cells, _, _ = manufacturing_services.unit_process(
        actor=components["technologist"],
        unit=whole_blood,
        products=[product("A0002"), product("A0007"), product("A0012")],
    )
    return red_cells


def test_the_worklist_shows_the_quarantined_unit_and_what_it_waits_for(client, components, whole_blood):
    client.force_login(components["technologist"])
    page = client.get(WORKLIST).content.decode()
    assert whole_blood.din in page
    assert "release" in page
    assert f'action="/components/units/{whole_blood.pk}/process/"' in page


def test_collect_records_the_units_of_a_donation(client, components, catalogue, collected_donation):
    client.force_login(components["technologist"])
    answer = client.post(
        "/components/collect/",
        {"din": collected_donation.din.din, "product": "A0001", "parts": 1, "volume_ml": 480},
    )
    assert answer.status_code == 302
    unit = Unit.objects.get(din=collected_donation.din.din)
    assert (unit.product.code, unit.volume_ml, unit.status) == ("A0001", 480, "quarantined")


def test_collect_refuses_a_product_of_another_procedure_on_its_field(
    client, components, catalogue, collected_donation
):
    client.force_login(components["technologist"])
    answer = client.post(
        "/components/collect/", {"din": collected_donation.din.din, "product": "A0014", "parts": 1}
    )
    assert answer.status_code == 200
    assert answer.context["collect_form"].errors["product"]
    assert not Unit.objects.exists()


def test_a_din_nobody_has_is_a_form_error_naming_the_din(client, components, catalogue):
    client.force_login(components["technologist"])
    answer = client.post("/components/collect/", {"din": "W000199999999", "product": "A0001", "parts": 1})
    assert answer.status_code == 200
    assert answer.context["collect_form"].errors["din"] == ["No donation has DIN W000199999999"]


def test_processing_makes_the_products_and_uses_up_the_parent(client, components, whole_blood):
    client.force_login(components["technologist"])
    answer = client.post(
        f"/components/units/{whole_blood.pk}/process/", {"products": ["A0002", "A0007"], "parts": 1}
    )
    assert answer.status_code == 302
    whole_blood.refresh_from_db()
    assert whole_blood.status == "used"
    assert set(Unit.objects.filter(din=whole_blood.din).values_list("product__code", flat=True)) == {
        "A0001",
        "A0002",
        "A0007",
    }


def test_processing_a_product_not_made_from_the_unit_is_refused(client, components, whole_blood):
    red_cells = _red_cells(components, whole_blood)
    client.force_login(components["technologist"])
    answer = client.post(f"/components/units/{red_cells.pk}/process/", {"products": ["A0007"], "parts": 1})
    assert answer.status_code == 200
    assert answer.context["process_form"].errors["products"]


def test_the_unit_page_shows_the_din_the_chain_and_why_it_is_not_available(client, components, whole_blood):
    red_cells = _red_cells(components, whole_blood)
    client.force_login(components["clerk"])
    page = client.get(_unit_page(red_cells.pk)).content.decode()
    assert red_cells.din in page
    assert whole_blood.product.description in page  # made from
    assert 'class="refusal"' in page
    assert "released" in page.lower()
    assert "label" in page.lower()


def test_make_available_through_the_page_refused_lists_the_refusal_and_changes_nothing(
    client, components, whole_blood
):
    red_cells = _red_cells(components, whole_blood)
    client.force_login(components["technologist"])
    answer = client.post(f"/components/units/{red_cells.pk}/available/")
    assert answer.status_code == 200
    assert answer.context["refusals"]
    red_cells.refresh_from_db()
    assert red_cells.status == "quarantined"


def test_print_download_verify_and_make_available(client, components, lab, whole_blood):
    red_cells = _red_cells(components, whole_blood)
    release(lab, whole_blood.sources.get().donation)
    client.force_login(components["technologist"])
    assert client.get(f"/components/units/{red_cells.pk}/label.pdf").status_code == 409  # not printed yet
    assert client.post(f"/components/units/{red_cells.pk}/label/").status_code == 302
    red_cells.refresh_from_db()
    assert red_cells.label_digest
    pdf = client.get(f"/components/units/{red_cells.pk}/label.pdf")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF")
    zpl = client.get(f"/components/units/{red_cells.pk}/label.zpl")
    assert zpl.status_code == 200
    assert zpl["Content-Type"].startswith("text/plain")
    assert "^XA" in zpl.content.decode()
    data = [b.data for b in barcodes(label_services.unit_label_content(red_cells))]
    answer = client.post(
        f"/components/units/{red_cells.pk}/verify/",
        {"din": data[0], "blood_group": data[1], "product_code": data[2], "expiry": data[3]},
    )
    assert answer.status_code == 302
    assert client.post(f"/components/units/{red_cells.pk}/available/").status_code == 302
    red_cells.refresh_from_db()
    assert red_cells.status == "available"


def test_a_download_is_refused_when_the_record_no_longer_matches_the_printed_label(
    client, components, lab, whole_blood
):
    red_cells = _red_cells(components, whole_blood)
    release(lab, whole_blood.sources.get().donation)
    label_services.unit_label_print(actor=components["technologist"], unit=red_cells)
    Unit.objects.filter(pk=red_cells.pk).update(label_digest="0" * 64)
    client.force_login(components["technologist"])
    assert client.get(f"/components/units/{red_cells.pk}/label.zpl").status_code == 409


def test_a_wrong_scan_shows_each_mismatch_and_leaves_the_unit_unverified(
    client, components, lab, whole_blood
):
    red_cells, plasma, _ = manufacturing_services.unit_process(
        actor=components["technologist"],
        unit=whole_blood,
        products=[product("A0002"), product("A0007"), product("A0012")],
    )
    release(lab, whole_blood.sources.get().donation)
    red = label_services.unit_label_print(actor=components["technologist"], unit=red_cells)
    other = label_services.unit_label_print(actor=components["technologist"], unit=plasma)
    right, wrong = [b.data for b in barcodes(red)], [b.data for b in barcodes(other)]
    client.force_login(components["technologist"])
    answer = client.post(
        f"/components/units/{red_cells.pk}/verify/",
        {"din": right[0], "blood_group": right[1], "product_code": wrong[2], "expiry": wrong[3]},
    )
    assert answer.status_code == 200
    assert answer.context["mismatches"]
    page = answer.content.decode()
    for message in answer.context["mismatches"]:
        assert escape(message) in page
    assert LabelScan.objects.filter(unit=red_cells, matched=False).count() == 1
    red_cells.refresh_from_db()
    assert red_cells.label_verified_at is None


def test_hold_and_lift_on_the_unit_page(client, components, whole_blood):
    client.force_login(components["quality"])
    assert (
        client.post(f"/components/units/{whole_blood.pk}/holds/", {"reason": "bag leak?"}).status_code == 302
    )
    hold = whole_blood.holds.get()
    page = client.get(_unit_page(whole_blood.pk)).content.decode()
    assert "bag leak?" in page
    answer = client.post(f"/components/holds/{hold.pk}/lift/", {"reason": ""})
    assert answer.status_code == 200  # the reason is required
    assert client.post(f"/components/holds/{hold.pk}/lift/", {"reason": "no leak"}).status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_at is not None


def test_discard_needs_a_reason_then_records_it(client, components, whole_blood):
    client.force_login(components["technologist"])
    answer = client.post(
        f"/components/units/{whole_blood.pk}/discard/", {"disposition": "discarded", "reason": ""}
    )
    assert answer.status_code == 200
    assert answer.context["discard_form"].errors["reason"]
    answer = client.post(
        f"/components/units/{whole_blood.pk}/discard/", {"disposition": "discarded", "reason": "clotted"}
    )
    assert answer.status_code == 302
    whole_blood.refresh_from_db()
    assert (whole_blood.status, whole_blood.disposition_reason) == ("discarded", "clotted")


def test_store_puts_the_unit_in_a_location(client, components, whole_blood, refrigerator):
    client.force_login(components["technologist"])
    answer = client.post(f"/components/units/{whole_blood.pk}/store/", {"location": refrigerator.pk})
    assert answer.status_code == 302
    whole_blood.refresh_from_db()
    assert whole_blood.location_id == refrigerator.pk


def test_the_stock_board_and_the_pick_list_show_an_available_unit(client, components, lab, whole_blood):
    red_cells = _red_cells(components, whole_blood)
    release(lab, whole_blood.sources.get().donation)
    content = label_services.unit_label_print(actor=components["technologist"], unit=red_cells)
    label_services.unit_label_verify(
        actor=components["technologist"], unit=red_cells, scans=[b.data for b in barcodes(content)]
    )
    inventory_services.unit_make_available(actor=components["technologist"], unit=red_cells)
    client.force_login(components["clerk"])
    board = client.get("/components/stock/")
    assert board.status_code == 200
    assert board.context["board"].total_available == 1
    assert "<svg" in board.content.decode()
    assert [row["product_code"] for row in board.context["rows"]] == ["A0002"]
    pick = client.get("/components/stock/pick/?product=A0002&abo=O&rhd=pos&count=4")
    assert [unit.pk for unit in pick.context["units"]] == [red_cells.pk]
    unknown = client.get("/components/stock/pick/?product=Z9999&abo=O&rhd=pos&count=4")
    assert unknown.context["form"].errors["product"]


def test_storage_pages_and_a_refused_temperature_file_lists_its_errors(client, components, refrigerator):
    client.force_login(components["technologist"])
    page = client.get("/components/storage/").content.decode()
    assert "Refrigerator 1" in page
    assert client.get(f"/components/storage/{refrigerator.pk}/").status_code == 200
    bad = SimpleUploadedFile(
        "logger.csv", b"recorded_at,temperature_c\nnot a time,abc\n", content_type="text/csv"
    )
    answer = client.post(f"/components/storage/{refrigerator.pk}/temperatures/", {"file": bad})
    assert answer.status_code == 200
    assert answer.context["errors"]
    assert "file-errors" in answer.content.decode()
    assert not TemperatureReading.objects.exists()
    assert client.get("/components/excursions/").status_code == 200


def test_the_catalogue_lists_products_and_a_bad_upload_lists_line_errors_and_saves_nothing(
    client, components, catalogue
):
    client.force_login(components["administrator"])
    page = client.get("/components/catalogue/").content.decode()
    assert "A0002" in page
    assert "RBC" in page
    bad = local_catalogue_bytes().replace(
        b"A0002,Red blood cells in AS-1 from whole blood,red_cells", b"A0002,,nonsense"
    )
    answer = client.post(
        "/components/catalogue/import/", {"file": SimpleUploadedFile("bad.csv", bad, content_type="text/csv")}
    )
    assert answer.status_code == 200
    errors = answer.context["errors"]
    assert errors
    assert all(error.line > 0 for error in errors)
    assert "file-errors" in answer.content.decode()
    assert Catalogue.objects.count() == 1
    assert Product.objects.get(code="A0002").description == "Red blood cells in AS-1 from whole blood"


def test_a_hospital_user_may_not_see_units(client, make_user, hospital, components, whole_blood):
    client.force_login(make_user(roles.HOSPITAL_USER, hospital_for_user=hospital))
    assert client.get(WORKLIST).status_code == 403
    assert client.get(_unit_page(whole_blood.pk)).status_code in {403, 404}
    assert client.post(f"/components/units/{whole_blood.pk}/holds/", {"reason": "x"}).status_code in {
        403,
        404,
    }
    assert not whole_blood.holds.exists()


def test_a_clerk_may_not_print_labels(client, components, whole_blood):
    client.force_login(components["clerk"])
    assert client.post(f"/components/units/{whole_blood.pk}/label/").status_code == 403
    whole_blood.refresh_from_db()
    assert not whole_blood.label_digest


def test_the_navigation_offers_components_to_its_staff():
    links = {link.url_name: link for link in registry.nav_links}
    assert roles.COMPONENT_TECHNOLOGIST in links["components:worklist"].roles
    assert roles.HOSPITAL_USER not in links["components:worklist"].roles


def test_pooling_refused_lists_why_on_the_members_field(client, components, whole_blood):
    _, _, platelets = manufacturing_services.unit_process(
        actor=components["technologist"],
        unit=whole_blood,
        products=[product("A0002"), product("A0007"), product("A0012")],
    )
    client.force_login(components["technologist"])
    answer = client.post(
        "/components/pool/", {"units": f"{platelets.din} {platelets.product_code}", "product": "A0013"}
    )
    assert answer.status_code == 200
    (error,) = answer.context["pool_form"].errors["units"]
    assert "4 to 6 units" in error
    platelets.refresh_from_db()
    assert platelets.status == "quarantined"
