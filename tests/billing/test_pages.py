"""The billing pages: contracts with their price lists (create, add a price that closes the old
one), invoices and credit notes (issue, the PDF), unbilled charges and their credit, receipts
(named lines and oldest first), the aging report; the same pages for a hospital's users,
narrowed to their hospital (another hospital's answers 404 and nothing changes)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hemaops.billing import dashboard, services
from hemaops.billing.models import Charge, Contract, Invoice, PriceEntry, Receipt, ReceiptApplication
from hemaops.billing.services import ChargeInput
from hemaops.core import roles
from hemaops.core.registry import registry
from hemaops.finance.sources import source_link

pytestmark = pytest.mark.django_db

_sources = itertools.count(1)

#: The day the aging figures are read on.
AS_OF = date(2026, 6, 15)


def charge(contract, program, on, item="RBC", *, group="SHP-1", quantity=1) -> Charge:
    """A charge recorded as distribution records one when it ships (priced by the contract)."""
    (made,) = services.charges_record(
        actor=None,
        contract=contract,
        occurred_on=on,
        group_key=group,
        charges=[
            ChargeInput(
                item_code=item,
                description=f"{item} unit",
                quantity=quantity,
                program=program,
                revenue_key="red_cells",
                source_type="distribution.shipmentitem",
                source_id=f"page-{next(_sources)}",
            )
        ],
    )
    return made


@pytest.fixture
def invoices(contract, other_contract, program) -> dict[str, Invoice]:
    """Cedars: March (215.00, due 2026-05-01) and May (2 × 60.00, due 2026-07-01), monthly;
    Mercy: one shipment (520.00, due 2026-02-09), per shipment. Net 30 all."""
    charge(contract, program, date(2026, 3, 10), "RBC")
    charge(contract, program, date(2026, 5, 5), "FFP", quantity=2)
    charge(other_contract, program, date(2026, 1, 10), "PLT-APH", group="SHP-9")
    issue = services.invoice_issue
    return {
        "march": issue(
            actor=None, contract=contract, issued_on=date(2026, 4, 1), period_start=date(2026, 3, 1)
        ),
        "may": issue(
            actor=None, contract=contract, issued_on=date(2026, 6, 1), period_start=date(2026, 5, 1)
        ),
        "mercy": issue(actor=None, contract=other_contract, issued_on=date(2026, 1, 10), group_key="SHP-9"),
    }


def _nothing_changed() -> tuple[int, ...]:
    return (
        Contract.objects.count(),
        PriceEntry.objects.count(),
        Invoice.objects.count(),
        Charge.objects.filter(invoice__isnull=True, credit_note__isnull=True).count(),
        Receipt.objects.count(),
    )


# --- rendering and navigation -------------------------------------------------------------------


@pytest.mark.smoke
def test_an_accountant_opens_the_billing_pages_before_anything_is_billed(client, make_user):
    client.force_login(make_user(roles.ACCOUNTANT))
    contracts = client.get("/billing/contracts/")
    assert contracts.status_code == 200
    assert "No contract." in contracts.content.decode()
    for path in ("/billing/invoices/", "/billing/charges/", "/billing/receipts/", "/billing/contracts/new/"):
        assert client.get(path).status_code == 200, path
    assert 'name="invoice_1"' in client.get("/billing/receipts/new/").content.decode()
    assert "Nothing is open." in client.get("/billing/aging/").content.decode()


@pytest.mark.parametrize("who", ["accountant", "hospital_user"])
@pytest.mark.parametrize(
    "path",
    ["/billing/contracts/", "/billing/invoices/", "/billing/receipts/", "/billing/aging/?as_of=2026-06-15"],
)
def test_the_read_pages_render_for_accountants_and_hospital_users(client, people, invoices, who, path):
    services.receipt_record(
        actor=None,
        hospital=invoices["march"].hospital,
        reference="W-1",
        received_on=date(2026, 6, 2),
        amount="9.00",
    )
    client.force_login(people[who])
    answer = client.get(path)
    assert answer.status_code == 200
    assert "cedars" in answer.content.decode() or "C-CEDARS-1" in answer.content.decode()


def test_the_navigation_says_billing_to_accountants_and_invoices_to_hospital_users():
    dashboard.register()  # BillingConfig.ready registers it; adding twice is a no-op
    assert [
        link.label for link in registry.nav_for(frozenset({roles.ACCOUNTANT})) if "billing" in link.url_name
    ] == ["Billing"]
    assert [
        link.label
        for link in registry.nav_for(frozenset({roles.HOSPITAL_USER}))
        if "billing" in link.url_name
    ] == ["Invoices"]


# --- a hospital's users see their own ------------------------------------------------------------


def test_a_hospital_user_sees_only_its_own_invoices(client, people, invoices):
    client.force_login(people["hospital_user"])
    page = client.get("/billing/invoices/").content.decode()
    assert invoices["march"].number in page
    assert invoices["may"].number in page
    assert invoices["mercy"].number not in page
    assert "Mercy" not in page  # not even in the hospital filter


@pytest.mark.parametrize(
    "path",
    ["/billing/invoices/{mercy}/", "/billing/invoices/{mercy}/pdf", "/billing/contracts/{other}/"],
)
def test_another_hospitals_invoice_pdf_and_contract_are_not_found(
    client, people, invoices, other_contract, path
):
    client.force_login(people["hospital_user"])
    answer = client.get(path.format(mercy=invoices["mercy"].pk, other=other_contract.pk))
    assert answer.status_code == 404


def test_a_hospital_user_reads_its_contract_without_the_forms(client, people, contract):
    client.force_login(people["hospital_user"])
    answer = client.get(f"/billing/contracts/{contract.pk}/")
    assert answer.status_code == 200
    assert answer.context["price_form"] is None
    assert answer.context["issue_form"] is None
    assert "Add a price" not in answer.content.decode()


def test_a_hospital_users_posts_change_nothing(client, people, invoices, contract, other_contract, program):
    unbilled = charge(contract, program, date(2026, 6, 2), "RBC")
    before = _nothing_changed()
    client.force_login(people["hospital_user"])
    price = {"item_code": "RBC", "unit_price": "1.00", "effective_from": "2026-07-01"}
    answers = [
        client.post(f"/billing/contracts/{contract.pk}/prices/", price),
        client.post(f"/billing/contracts/{other_contract.pk}/prices/", price),
        client.post(f"/billing/contracts/{contract.pk}/invoice/", {"issued_on": "2026-07-01"}),
        client.post("/billing/invoices/issue/", {"on": "2026-07-01"}),
        client.post(f"/billing/charges/{unbilled.pk}/credit/", {"issued_on": "2026-07-01", "reason": "x"}),
        client.post(
            "/billing/receipts/new/",
            {"hospital": "cedars", "reference": "W-1", "received_on": "2026-07-01", "amount": "10.00"},
        ),
        client.post(
            "/billing/contracts/new/",
            {
                "hospital": "cedars",
                "number": "C-X",
                "starts_on": "2026-01-01",
                "terms_days": 30,
                "invoicing": "monthly",
            },
        ),
    ]
    assert [answer.status_code for answer in answers] == [403] * len(answers)
    assert _nothing_changed() == before


# --- contracts and prices -----------------------------------------------------------------------


def test_an_accountant_creates_a_contract_with_its_prices(client, people, ledger, hospital):
    client.force_login(people["accountant"])
    answer = client.post(
        "/billing/contracts/new/",
        {
            "hospital": "cedars",
            "number": "C-CEDARS-9",
            "starts_on": "2026-01-01",
            "terms_days": 45,
            "invoicing": "per_shipment",
            "prices": "RBC 215.00\nRBC 200.00 paid\nFFP, 60.00",
        },
    )
    contract = Contract.objects.get(number="C-CEDARS-9")
    assert answer.status_code == 302
    assert answer["Location"] == f"/billing/contracts/{contract.pk}/"
    assert (contract.hospital, contract.terms_days, contract.invoicing) == (hospital, 45, "per_shipment")
    assert sorted(contract.prices.values_list("item_code", "donor_classification", "unit_price")) == [
        ("FFP", "", Decimal("60.00")),
        ("RBC", "", Decimal("215.00")),
        ("RBC", "paid", Decimal("200.00")),
    ]
    page = client.get(answer["Location"]).content.decode()
    assert "215.00" in page
    assert "current" in page


def test_a_refused_price_line_is_shown_on_the_prices_field_and_nothing_is_saved(
    client, people, ledger, hospital
):
    client.force_login(people["accountant"])
    answer = client.post(
        "/billing/contracts/new/",
        {
            "hospital": "cedars",
            "number": "C-CEDARS-9",
            "starts_on": "2026-01-01",
            "terms_days": 30,
            "invoicing": "monthly",
            "prices": "RBC 215.00\nFFP 60.005",
        },
    )
    assert answer.status_code == 200
    (error,) = answer.context["form"].errors["prices"]
    assert error.startswith("Line 2:")
    assert "more than two decimal places" in error
    assert not Contract.objects.filter(number="C-CEDARS-9").exists()


def test_a_new_price_closes_the_old_one_and_both_are_listed(client, people, contract):
    client.force_login(people["accountant"])
    answer = client.post(
        f"/billing/contracts/{contract.pk}/prices/",
        {
            "item_code": "rbc",
            "unit_price": "225.00",
            "effective_from": "2026-07-01",
            "donor_classification": "",
        },
    )
    assert answer.status_code == 302
    old, new = PriceEntry.objects.filter(
        contract=contract, item_code="RBC", donor_classification=""
    ).order_by("effective_from")
    assert (old.unit_price, old.effective_to) == (Decimal("215.00"), date(2026, 7, 1))
    assert (new.unit_price, new.effective_from, new.effective_to) == (
        Decimal("225.00"),
        date(2026, 7, 1),
        None,
    )
    detail = client.get(f"/billing/contracts/{contract.pk}/").context["detail"]
    (group,) = [g for g in detail.prices if (g.item_code, g.donor_classification) == ("RBC", "")]
    assert [row.entry.unit_price for row in group.rows] == [Decimal("215.00"), Decimal("225.00")]


def test_a_refused_price_is_shown_on_its_field(client, people, contract):
    client.force_login(people["accountant"])
    before = PriceEntry.objects.count()
    answer = client.post(
        f"/billing/contracts/{contract.pk}/prices/",
        {"item_code": "RBC", "unit_price": "0.00", "effective_from": "2026-07-01"},
    )
    assert answer.status_code == 200
    assert answer.context["price_form"].errors["unit_price"]
    assert PriceEntry.objects.count() == before


# --- invoices -----------------------------------------------------------------------------------


def test_an_accountant_invoices_a_month_from_the_contract_page(client, people, contract, program):
    march = charge(contract, program, date(2026, 3, 10), "RBC")
    client.force_login(people["accountant"])
    answer = client.post(
        f"/billing/contracts/{contract.pk}/invoice/",
        {"issued_on": "2026-04-01", "period_start": "2026-03-01"},
    )
    invoice = Invoice.objects.get(kind="invoice")
    assert answer.status_code == 302
    assert answer["Location"] == f"/billing/invoices/{invoice.pk}/"
    march.refresh_from_db()
    assert march.invoice == invoice
    assert (invoice.total, invoice.due_on) == (Decimal("215.00"), date(2026, 5, 1))
    detail = client.get(answer["Location"])
    assert detail.context["detail"].open_amount == Decimal("215.00")
    assert detail.context["detail"].status == "overdue"


def test_a_month_with_nothing_to_bill_is_refused_on_the_page(client, people, contract):
    client.force_login(people["accountant"])
    answer = client.post(
        f"/billing/contracts/{contract.pk}/invoice/",
        {"issued_on": "2026-04-01", "period_start": "2026-03-01"},
    )
    assert answer.status_code == 200
    assert "nothing unbilled" in str(answer.context["issue_form"].non_field_errors())
    assert not Invoice.objects.exists()


def test_the_run_issues_every_invoice_due(client, people, contract, other_contract, program):
    charge(contract, program, date(2026, 3, 10), "RBC")
    charge(other_contract, program, date(2026, 3, 12), "PLT-APH", group="SHP-7")
    client.force_login(people["accountant"])
    answer = client.post("/billing/invoices/issue/", {"on": "2026-04-01"})
    assert answer.status_code == 302
    assert sorted(Invoice.objects.values_list("hospital__code", "total")) == [
        ("cedars", Decimal("215.00")),
        ("mercy", Decimal("520.00")),
    ]
    assert not Charge.objects.filter(invoice__isnull=True).exists()


def test_the_invoice_list_filters_open_invoices_of_a_hospital(client, people, invoices):
    services.receipt_record(
        actor=None,
        hospital=invoices["march"].hospital,
        reference="W-1",
        received_on=date(2026, 6, 2),
        amount="215.00",
        applications=[services.ApplicationInput(invoices["march"].number, "215.00")],
    )
    client.force_login(people["accountant"])
    rows = client.get("/billing/invoices/?hospital=cedars&open_only=on").context["rows"]
    assert [(invoice.number, invoice.open_amount, status) for invoice, status in rows] == [
        (invoices["may"].number, Decimal("120.00"), "overdue")
    ]
    everything = client.get("/billing/invoices/").context["rows"]
    assert {invoice.number: status for invoice, status in everything}[invoices["march"].number] == "paid"


def test_the_invoice_pdf_downloads_under_its_number(client, people, invoices):
    client.force_login(people["hospital_user"])
    answer = client.get(f"/billing/invoices/{invoices['march'].pk}/pdf")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"] == f'attachment; filename="{invoices["march"].number}.pdf"'
    assert answer.content.startswith(b"%PDF")


# --- charges ------------------------------------------------------------------------------------


def test_unbilled_charges_are_listed_and_one_is_credited_with_a_reason(client, people, contract, program):
    unbilled = charge(contract, program, date(2026, 6, 2), "RBC")
    client.force_login(people["accountant"])
    assert [row["charge"] for row in client.get("/billing/charges/").context["rows"]] == [unbilled]
    refused = client.post(
        f"/billing/charges/{unbilled.pk}/credit/", {"issued_on": "2026-06-03", "reason": ""}
    )
    assert refused.status_code == 200
    assert not Invoice.objects.exists()
    answer = client.post(
        f"/billing/charges/{unbilled.pk}/credit/", {"issued_on": "2026-06-03", "reason": "Broken bag"}
    )
    note = Invoice.objects.get(kind="credit_note")
    assert answer["Location"] == f"/billing/invoices/{note.pk}/"
    assert (note.total, note.reason) == (Decimal("215.00"), "Broken bag")
    assert client.get(answer["Location"]).context["detail"].lines == [unbilled]
    assert client.get("/billing/charges/").context["rows"] == []


# --- receipts -----------------------------------------------------------------------------------


def test_a_receipt_pays_the_invoice_its_line_names(client, people, invoices):
    client.force_login(people["accountant"])
    answer = client.post(
        "/billing/receipts/new/",
        {
            "hospital": "cedars",
            "reference": "WIRE-77",
            "received_on": "2026-06-10",
            "amount": "150.00",
            "invoice_1": invoices["may"].number,
            "amount_1": "100.00",
        },
    )
    assert answer.status_code == 302
    receipt = Receipt.objects.get(reference="WIRE-77")
    assert list(receipt.applications.values_list("invoice", "amount")) == [
        (invoices["may"].pk, Decimal("100.00"))
    ]
    listed = client.get("/billing/receipts/").context["receipts"]
    assert [(r.reference, r.applied, r.unapplied) for r in listed] == [
        ("WIRE-77", Decimal("100.00"), Decimal("50.00"))
    ]


def test_a_receipt_without_lines_pays_the_oldest_invoice_first(client, people, invoices):
    client.force_login(people["accountant"])
    client.post(
        "/billing/receipts/new/",
        {"hospital": "cedars", "reference": "CHK-1", "received_on": "2026-06-10", "amount": "250.00"},
    )
    assert sorted(ReceiptApplication.objects.values_list("invoice", "amount")) == sorted(
        [(invoices["march"].pk, Decimal("215.00")), (invoices["may"].pk, Decimal("35.00"))]
    )


def test_paying_more_than_an_invoice_owes_is_shown_on_that_line(client, people, invoices):
    client.force_login(people["accountant"])
    answer = client.post(
        "/billing/receipts/new/",
        {
            "hospital": "cedars",
            "reference": "WIRE-78",
            "received_on": "2026-06-10",
            "amount": "500.00",
            "invoice_1": invoices["march"].number,
            "amount_1": "100.00",
            "invoice_2": invoices["may"].number,
            "amount_2": "300.00",
        },
    )
    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert "open amount" in errors["amount_2"][0]
    assert "amount_1" not in errors
    assert not Receipt.objects.exists()


def test_a_receipt_naming_another_hospitals_invoice_is_refused_on_its_line(client, people, invoices):
    client.force_login(people["accountant"])
    answer = client.post(
        "/billing/receipts/new/",
        {
            "hospital": "cedars",
            "reference": "WIRE-79",
            "received_on": "2026-06-10",
            "amount": "100.00",
            "invoice_1": invoices["mercy"].number,
            "amount_1": "100.00",
        },
    )
    assert answer.status_code == 200
    assert answer.context["form"].errors["invoice_1"]
    assert not Receipt.objects.exists()


# --- aging --------------------------------------------------------------------------------------


def test_the_aging_report_puts_each_open_amount_in_its_bucket_with_totals_and_a_chart(
    client, people, invoices
):
    client.force_login(people["accountant"])
    answer = client.get("/billing/aging/?as_of=2026-06-15")
    report = answer.context["report"]
    assert [(row.hospital, row.amounts) for row in report.rows] == [
        (
            "cedars",
            {
                "current": Decimal("120.00"),  # May's, due 2026-07-01
                "1-30": Decimal("0.00"),
                "31-60": Decimal("215.00"),  # March's, due 2026-05-01: 45 days past
                "61-90": Decimal("0.00"),
                "90+": Decimal("0.00"),
            },
        ),
        (
            "mercy",
            {
                "current": Decimal("0.00"),
                "1-30": Decimal("0.00"),
                "31-60": Decimal("0.00"),
                "61-90": Decimal("0.00"),
                "90+": Decimal("520.00"),  # due 2026-02-09: 126 days past
            },
        ),
    ]
    assert report.totals.total == Decimal("855.00")
    page = answer.content.decode()
    assert "<svg" in page
    assert "855.00" in page


def test_a_receipt_after_the_day_asked_about_does_not_reduce_its_aging(client, people, invoices):
    services.receipt_record(
        actor=None,
        hospital=invoices["march"].hospital,
        reference="W-2",
        received_on=date(2026, 6, 20),
        amount="215.00",
        applications=[services.ApplicationInput(invoices["march"].number, "215.00")],
    )
    client.force_login(people["accountant"])
    before = client.get("/billing/aging/?as_of=2026-06-15").context["report"]
    after = client.get("/billing/aging/?as_of=2026-06-30").context["report"]
    assert before.rows[0].amounts["31-60"] == Decimal("215.00")
    assert after.rows[0].amounts["31-60"] == Decimal("0.00")


def test_a_hospital_user_sees_only_its_own_aging_row(client, people, invoices):
    client.force_login(people["other_hospital_user"])
    report = client.get("/billing/aging/?as_of=2026-06-15").context["report"]
    assert [row.hospital for row in report.rows] == ["mercy"]
    assert report.totals.total == Decimal("520.00")


def test_the_invoice_list_reads_open_amounts_in_one_query_however_many_invoices(
    client, people, invoices, contract, program, django_assert_num_queries
):
    client.force_login(people["accountant"])
    with CaptureQueriesContext(connection) as three:
        client.get("/billing/invoices/")
    for month in (7, 8, 9):
        charge(contract, program, date(2026, month, 3), "RBC")
        services.invoice_issue(
            actor=None, contract=contract, issued_on=date(2026, month, 28), period_start=date(2026, month, 1)
        )
    with django_assert_num_queries(len(three.captured_queries)):
        rows = client.get("/billing/invoices/").context["rows"]
    assert len(rows) == 6


def test_the_ledger_links_postings_to_their_billing_documents(invoices, contract, program):
    unbilled = charge(contract, program, date(2026, 6, 2), "RBC")
    billed = invoices["march"].charges.get()
    assert source_link("billing.invoice", str(invoices["march"].pk)) == (
        f"Invoice {invoices['march'].pk}",
        f"/billing/invoices/{invoices['march'].pk}/",
    )
    assert source_link("billing.charge", str(billed.pk))[1] == f"/billing/invoices/{invoices['march'].pk}/"
    assert source_link("billing.charge", str(unbilled.pk))[1] == f"/billing/charges/#charge-{unbilled.pk}"
    assert source_link("billing.receipt", "7")[1] == "/billing/receipts/#receipt-7"


def test_the_contract_page_shows_what_invoicing_now_would_bill(client, people, other_contract, program):
    charge(other_contract, program, date(2026, 6, 2), "RBC", group="SHP-4")
    charge(other_contract, program, date(2026, 6, 2), "FFP", group="SHP-4")
    client.force_login(people["accountant"])
    unbilled = client.get(f"/billing/contracts/{other_contract.pk}/").context["unbilled"]
    assert [(g["group_key"], g["charges"], g["amount"]) for g in unbilled] == [
        ("SHP-4", 2, Decimal("275.00"))
    ]
    answer = client.post(f"/billing/contracts/{other_contract.pk}/invoice/", {"issued_on": "2026-06-03"})
    assert answer.context["issue_form"].errors["group_key"]
    answer = client.post(
        f"/billing/contracts/{other_contract.pk}/invoice/", {"issued_on": "2026-06-03", "group_key": "SHP-4"}
    )
    assert answer.status_code == 302
    assert Invoice.objects.get().total == Decimal("275.00")
