from __future__ import annotations

import json
from datetime import date

import pytest

from hemaops.core import roles
from hemaops.finance import services
from hemaops.finance.models import JournalEntry
from hemaops.finance.sources import SourceDocument

pytestmark = pytest.mark.django_db


def _post(client, body):
    return client.post(
        "/api/v1/finance/journal-entries", data=json.dumps(body), content_type="application/json"
    )


RENT = {
    "date": "2025-01-31",
    "memo": "January rent",
    "lines": [
        {"account": "6000", "debit": "4500.00"},
        {"account": "1000", "program": None, "credit": "4500.00", "debit": "0.00"},
    ],
}


def test_accounts_list_code_name_type_and_group(login, make_user, ledger):
    rows = login(make_user(roles.ACCOUNTANT)).get("/api/v1/finance/accounts").json()
    assert {
        "code": "1000",
        "name": "Cash",
        "type": "asset",
        "group": "cash_and_marketable_securities",
    } in rows
    assert {"code": "4000", "name": "Revenue - red cells", "type": "revenue", "group": ""} in rows


@pytest.mark.smoke
def test_a_controller_posts_an_entry_and_the_trial_balance_shows_it(
    login, make_user, ledger, program, hospital
):
    client = login(make_user(roles.CONTROLLER))
    services.revenue_recognize(
        source=SourceDocument("tests.shipment", "1", "revenue"),
        entry_date=date(2025, 2, 3),
        program=program,
        hospital=hospital,
        amount="1250.00",
        revenue_key="red_cells",
        memo="shipment",
    )
    response = _post(client, RENT)
    assert response.status_code == 201
    assert response.json()["status"] == "posted"
    assert response.json()["period"] == "2025-01"
    balance = client.get("/api/v1/finance/trial-balance?period=2025Q1").json()
    assert balance["balanced"] is True
    assert balance["total_debit"] == balance["total_credit"] == "5750.00"
    closing = {row["account"]: row["closing"] for row in balance["rows"]}
    assert closing == {"1000": "-4500.00", "1100": "1250.00", "4000": "-1250.00", "6000": "4500.00"}


def test_an_accountants_entry_waits_for_approval(login, make_user, ledger):
    response = _post(login(make_user(roles.ACCOUNTANT)), RENT)
    assert response.status_code == 201
    assert response.json()["status"] == "pending_approval"


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        (
            {"lines": [{"account": "6000", "debit": "10.00"}, {"account": "1000", "credit": "9.00"}]},
            400,
            "unbalanced",
            "lines",
        ),
        (
            {"lines": [{"account": "6000", "debit": "10.001"}, {"account": "1000", "credit": "10.001"}]},
            400,
            "invalid_amount",
            "lines.0.debit",
        ),
        (
            {"lines": [{"account": "7777", "debit": "10.00"}, {"account": "1000", "credit": "10.00"}]},
            400,
            "unknown_account",
            "lines.0.account",
        ),
        (
            {
                "lines": [
                    {"account": "4000", "program": "ca-fixed", "debit": "10.00"},
                    {"account": "1000", "credit": "10.00"},
                ]
            },
            400,
            "manual_entry_on_revenue",
            "lines.0.account",
        ),
        (
            {
                "lines": [
                    {"account": "6000", "program": "nowhere", "debit": "10.00"},
                    {"account": "1000", "credit": "10.00"},
                ]
            },
            400,
            "unknown_program",
            "lines.0.program",
        ),
        ({"date": "2030-01-01"}, 400, "no_period", "date"),
        ({"date": "not a date"}, 422, "invalid", "date"),
    ],
)
def test_bad_entries_get_a_clear_error_and_nothing_is_posted(
    login, make_user, ledger, program, change, status, code, field
):
    response = _post(login(make_user(roles.CONTROLLER)), {**RENT, **change})
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert not JournalEntry.objects.exists()


def test_a_bad_period_is_refused_naming_the_forms(login, make_user, ledger):
    response = login(make_user(roles.EXECUTIVE)).get("/api/v1/finance/trial-balance?period=2025Q9")
    assert response.status_code == 400
    assert "use 2025-03, 2025Q1 or FY2025" in response.json()["error"]["message"]


def test_a_token_acts_with_its_users_role_on_the_ledger(client, make_user, ledger):
    _token, raw = services_token(make_user(roles.CONTROLLER))
    response = client.post(
        "/api/v1/finance/journal-entries",
        data=json.dumps(RENT),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201


def services_token(user):
    from hemaops.core.services import api_token_create

    return api_token_create(actor=None, user=user, name="erp")
