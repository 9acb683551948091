"""The billing API: contracts with prices, invoices (issued for a contract, the daily run, the
PDF), credit notes, unbilled charges, receipts matched to invoices (named or oldest first;
overpayment and unknown invoices refused with the field), the aging report; money as strings;
a hospital's users read their own and get 404 for another hospital's, changing nothing."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from hemaops.billing.models import Contract, Invoice, PriceEntry, Receipt, ReceiptApplication
from tests.billing.test_pages import charge, invoices  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

API = "/api/v1/billing"


def _post(client, path, payload):
    return client.post(f"{API}{path}", data=json.dumps(payload), content_type="application/json")


# --- contracts ----------------------------------------------------------------------------------


def test_post_contracts_creates_a_contract_with_prices_as_strings(client, people, ledger, hospital):
    client.force_login(people["accountant"])
    answer = _post(
        client,
        "/contracts",
        {
            "hospital": "cedars",
            "number": "C-API-1",
            "starts_on": "2026-01-01",
            "terms_days": 45,
            "prices": [
                {"item_code": "RBC", "unit_price": "215.00", "effective_from": "2026-01-01"},
                {
                    "item_code": "RBC",
                    "unit_price": "200.00",
                    "effective_from": "2026-01-01",
                    "donor_classification": "paid",
                },
            ],
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["number"], body["hospital"], body["terms_days"], body["invoicing"]) == (
        "C-API-1",
        "cedars",
        45,
        "monthly",
    )
    assert sorted((p["donor_classification"], p["unit_price"], p["state"]) for p in body["prices"]) == [
        ("", "215.00", "current"),
        ("paid", "200.00", "current"),
    ]
    assert client.get(f"{API}/contracts/{body['id']}").json()["prices"] == body["prices"]


def test_a_contract_with_a_bad_price_is_refused_naming_the_price(client, people, ledger, hospital):
    client.force_login(people["accountant"])
    answer = _post(
        client,
        "/contracts",
        {
            "hospital": "cedars",
            "number": "C-API-2",
            "starts_on": "2026-01-01",
            "prices": [
                {"item_code": "RBC", "unit_price": "215.00", "effective_from": "2026-01-01"},
                {"item_code": "FFP", "unit_price": "-1.00", "effective_from": "2026-01-01"},
            ],
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "prices[1].unit_price"
    assert not Contract.objects.filter(number="C-API-2").exists()


def test_a_contract_for_an_unknown_hospital_is_refused_naming_the_hospital(client, people, ledger):
    client.force_login(people["accountant"])
    answer = _post(client, "/contracts", {"hospital": "nowhere", "number": "C-X", "starts_on": "2026-01-01"})
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "hospital"


def test_posting_a_price_closes_the_one_before_it(client, people, contract):
    client.force_login(people["accountant"])
    answer = _post(
        client,
        f"/contracts/{contract.pk}/prices",
        {"prices": [{"item_code": "FFP", "unit_price": "65.00", "effective_from": "2026-07-01"}]},
    )
    assert answer.status_code == 201, answer.content
    ffp = [
        (p["unit_price"], p["effective_from"], p["effective_to"])
        for p in answer.json()["prices"]
        if p["item_code"] == "FFP"
    ]
    assert ffp == [("60.00", "2024-01-01", "2026-07-01"), ("65.00", "2026-07-01", None)]


def test_a_hospital_user_lists_its_own_contract_and_not_another(client, people, contract, other_contract):
    client.force_login(people["hospital_user"])
    assert [c["number"] for c in client.get(f"{API}/contracts").json()] == ["C-CEDARS-1"]
    assert client.get(f"{API}/contracts/{other_contract.pk}").status_code == 404
    before = PriceEntry.objects.count()
    price = {"prices": [{"item_code": "RBC", "unit_price": "1.00", "effective_from": "2026-07-01"}]}
    assert _post(client, f"/contracts/{other_contract.pk}/prices", price).status_code == 404
    assert _post(client, f"/contracts/{contract.pk}/prices", price).status_code == 403
    assert PriceEntry.objects.count() == before


# --- invoices -----------------------------------------------------------------------------------


def test_post_invoices_issues_a_contracts_month(client, people, contract, program):
    charge(contract, program, date(2026, 3, 10), "RBC")
    charge(contract, program, date(2026, 3, 11), "FFP", quantity=3)
    client.force_login(people["accountant"])
    answer = _post(
        client,
        "/invoices",
        {"contract_id": contract.pk, "issued_on": "2026-04-01", "period_start": "2026-03-01"},
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["kind"], body["total"], body["open_amount"], body["due_on"], body["hospital"]) == (
        "invoice",
        "395.00",
        "395.00",
        "2026-05-01",
        "cedars",
    )
    detail = client.get(f"{API}/invoices/{body['id']}").json()
    assert [(line["item_code"], line["quantity"], line["amount"]) for line in detail["lines"]] == [
        ("RBC", 1, "215.00"),
        ("FFP", 3, "180.00"),
    ]


def test_a_per_shipment_contract_needs_its_group(client, people, other_contract, program):
    charge(other_contract, program, date(2026, 3, 10), "RBC", group="SHP-3")
    client.force_login(people["accountant"])
    answer = _post(client, "/invoices", {"contract_id": other_contract.pk, "issued_on": "2026-04-01"})
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "group_key"
    assert not Invoice.objects.exists()


def test_the_run_issues_what_is_due_and_a_rerun_issues_nothing(
    client, people, contract, other_contract, program
):
    charge(contract, program, date(2026, 3, 10), "RBC")
    charge(other_contract, program, date(2026, 3, 12), "PLT-APH", group="SHP-7")
    client.force_login(people["accountant"])
    first = _post(client, "/invoices/run", {"on": "2026-04-01"})
    assert first.status_code == 201
    assert sorted((i["hospital"], i["total"]) for i in first.json()) == [
        ("cedars", "215.00"),
        ("mercy", "520.00"),
    ]
    again = _post(client, "/invoices/run", {"on": "2026-04-01"})
    assert (again.status_code, again.json()) == (201, [])


def test_invoices_are_scoped_to_the_hospital_and_filtered_open(client, people, invoices):  # noqa: F811
    client.force_login(people["hospital_user"])
    listed = client.get(f"{API}/invoices").json()
    assert [i["number"] for i in listed] == [invoices["may"].number, invoices["march"].number]
    assert client.get(f"{API}/invoices/{invoices['mercy'].pk}").status_code == 404
    assert client.get(f"{API}/invoices/{invoices['mercy'].pk}/pdf").status_code == 404
    client.force_login(people["accountant"])
    _post(
        client,
        "/receipts",
        {"hospital": "cedars", "reference": "W-1", "received_on": "2026-06-02", "amount": "215.00"},
    )
    open_ones = client.get(f"{API}/invoices?open=true").json()
    assert sorted((i["number"], i["open_amount"], i["status"]) for i in open_ones) == sorted(
        [(invoices["may"].number, "120.00", "overdue"), (invoices["mercy"].number, "520.00", "overdue")]
    )


def test_the_invoice_pdf_is_served_to_its_hospital(client, people, invoices):  # noqa: F811
    client.force_login(people["hospital_user"])
    answer = client.get(f"{API}/invoices/{invoices['march'].pk}/pdf")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")


# --- credit notes and charges -------------------------------------------------------------------


def test_a_credit_note_credits_the_charges_named(client, people, contract, program):
    first = charge(contract, program, date(2026, 6, 2), "RBC")
    second = charge(contract, program, date(2026, 6, 3), "FFP")
    client.force_login(people["accountant"])
    unbilled = client.get(f"{API}/charges?unbilled=true").json()
    assert [c["id"] for c in unbilled] == [first.pk, second.pk]
    answer = _post(
        client, "/credit-notes", {"charge_ids": [first.pk], "issued_on": "2026-06-04", "reason": "Bag leaked"}
    )
    assert answer.status_code == 201, answer.content
    assert (answer.json()["kind"], answer.json()["total"], answer.json()["reason"]) == (
        "credit_note",
        "215.00",
        "Bag leaked",
    )
    assert [c["id"] for c in client.get(f"{API}/charges?unbilled=true").json()] == [second.pk]


def test_a_credit_note_for_an_unknown_charge_names_the_field(client, people, contract):
    client.force_login(people["accountant"])
    answer = _post(client, "/credit-notes", {"charge_ids": [99999], "issued_on": "2026-06-04", "reason": "x"})
    assert answer.status_code == 404
    assert answer.json()["error"]["field"] == "charge_ids"
    assert not Invoice.objects.exists()


# --- receipts -----------------------------------------------------------------------------------


def test_a_receipt_is_applied_to_the_invoices_it_names(client, people, invoices):  # noqa: F811
    client.force_login(people["accountant"])
    answer = _post(
        client,
        "/receipts",
        {
            "hospital": "cedars",
            "reference": "WIRE-1",
            "received_on": "2026-06-10",
            "amount": "150.00",
            "applications": [{"invoice": invoices["may"].number, "amount": "100.00"}],
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["amount"], body["applied"], body["unapplied"]) == ("150.00", "100.00", "50.00")
    assert body["applications"] == [{"invoice": invoices["may"].number, "amount": "100.00"}]
    assert client.get(f"{API}/invoices/{invoices['may'].pk}").json()["open_amount"] == "20.00"


def test_a_receipt_without_applications_pays_the_oldest_invoices_first(client, people, invoices):  # noqa: F811
    client.force_login(people["accountant"])
    answer = _post(
        client,
        "/receipts",
        {"hospital": "cedars", "reference": "CHK-9", "received_on": "2026-06-10", "amount": "250.00"},
    )
    assert answer.status_code == 201
    assert answer.json()["applications"] == [
        {"invoice": invoices["march"].number, "amount": "215.00"},
        {"invoice": invoices["may"].number, "amount": "35.00"},
    ]


def test_overpaying_an_invoice_is_a_conflict_naming_the_application(client, people, invoices):  # noqa: F811
    client.force_login(people["accountant"])
    answer = _post(
        client,
        "/receipts",
        {
            "hospital": "cedars",
            "reference": "WIRE-2",
            "received_on": "2026-06-10",
            "amount": "300.00",
            "applications": [{"invoice": invoices["march"].number, "amount": "300.00"}],
        },
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "overpaid"
    assert answer.json()["error"]["field"] == "applications[0].amount"
    assert not Receipt.objects.exists()
    assert not ReceiptApplication.objects.exists()


@pytest.mark.parametrize("number", ["INV-999999", "NOT-A-NUMBER", "mercy"])
def test_an_unknown_invoice_is_refused_naming_the_application(client, people, invoices, number):  # noqa: F811
    # "mercy": another hospital's invoice is as unknown as one that was never issued.
    named = invoices["mercy"].number if number == "mercy" else number
    client.force_login(people["accountant"])
    answer = _post(
        client,
        "/receipts",
        {
            "hospital": "cedars",
            "reference": "WIRE-3",
            "received_on": "2026-06-10",
            "amount": "10.00",
            "applications": [{"invoice": named, "amount": "10.00"}],
        },
    )
    assert answer.status_code in (400, 404)
    assert answer.json()["error"]["field"] == "applications[0].invoice_number"
    assert not Receipt.objects.exists()


def test_money_given_as_a_number_is_refused_naming_the_field(client, people, invoices):  # noqa: F811
    client.force_login(people["accountant"])
    answer = _post(
        client,
        "/receipts",
        {"hospital": "cedars", "reference": "W-F", "received_on": "2026-06-10", "amount": 10.1},
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "amount"
    assert not Receipt.objects.exists()


def test_a_hospital_user_may_not_record_a_receipt_and_reads_only_its_own(client, people, invoices):  # noqa: F811
    client.force_login(people["accountant"])
    _post(
        client,
        "/receipts",
        {"hospital": "mercy", "reference": "M-1", "received_on": "2026-06-10", "amount": "5.00"},
    )
    client.force_login(people["hospital_user"])
    answer = _post(
        client,
        "/receipts",
        {"hospital": "cedars", "reference": "W-4", "received_on": "2026-06-10", "amount": "5.00"},
    )
    assert answer.status_code == 403
    assert list(Receipt.objects.values_list("reference", flat=True)) == ["M-1"]
    assert client.get(f"{API}/receipts").json() == []


# --- aging --------------------------------------------------------------------------------------


def test_the_aging_report_by_hospital_with_totals(client, people, invoices):  # noqa: F811
    client.force_login(people["accountant"])
    body = client.get(f"{API}/aging?as_of=2026-06-15").json()
    assert body["buckets"] == ["current", "1-30", "31-60", "61-90", "90+"]
    assert [(row["hospital"], row["buckets"], row["total"]) for row in body["rows"]] == [
        (
            "cedars",
            {"current": "120.00", "1-30": "0.00", "31-60": "215.00", "61-90": "0.00", "90+": "0.00"},
            "335.00",
        ),
        (
            "mercy",
            {"current": "0.00", "1-30": "0.00", "31-60": "0.00", "61-90": "0.00", "90+": "520.00"},
            "520.00",
        ),
    ]
    assert body["totals"]["total"] == "855.00"
    client.force_login(people["hospital_user"])
    assert [row["hospital"] for row in client.get(f"{API}/aging?as_of=2026-06-15").json()["rows"]] == [
        "cedars"
    ]


def test_amounts_are_decimal_strings_never_floats(client, people, invoices):  # noqa: F811
    client.force_login(people["accountant"])
    listed = client.get(f"{API}/invoices").json()
    assert all(isinstance(i["total"], str) and Decimal(i["total"]) > 0 for i in listed)


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 401), ("clerk", 404), ("other_hospital_user", 404), ("hospital_user", 200), ("accountant", 200)],
)
def test_who_may_read_an_invoice_and_its_pdf(client, people, invoices, who, expected):  # noqa: F811
    # The clerk sees contracts (to take orders) but not invoices: the same 404 as for nothing.
    if who is not None:
        client.force_login(people[who])
    march = invoices["march"].pk
    assert client.get(f"{API}/invoices/{march}").status_code == expected
    assert client.get(f"{API}/invoices/{march}/pdf").status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 401), ("clerk", 403), ("other_hospital_user", 404), ("hospital_user", 403), ("accountant", 201)],
)
def test_who_may_invoice_a_contract(client, people, contract, program, who, expected):
    charge(contract, program, date(2026, 3, 10), "RBC")
    if who is not None:
        client.force_login(people[who])
    answer = _post(
        client,
        "/invoices",
        {"contract_id": contract.pk, "issued_on": "2026-04-01", "period_start": "2026-03-01"},
    )
    assert answer.status_code == expected
    assert Invoice.objects.count() == (1 if expected == 201 else 0)
