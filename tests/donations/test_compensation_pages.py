"""Paid donor programs through pages and API: who sees and sets them, the chart and the
before-and-after table, bad input on its field."""

from __future__ import annotations

import json
from datetime import timedelta

from hemaops.core import roles
from hemaops.donations import compensation_services
from hemaops.donations.models import CompensationRate, ProgramDonorBasis
from tests.donations.paid_programs import backdating, donor_make, give, paid_since


def _post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_program_manager_sees_the_programs_and_a_phlebotomist_does_not(login, make_user, program, manager):
    response = login(manager).get("/donations/programs/")
    assert response.status_code == 200
    assert program.name in response.content.decode()
    assert login(make_user(roles.PHLEBOTOMIST)).get("/donations/programs/").status_code == 403


def test_the_program_page_sets_a_rate_and_the_basis(login, program, manager, business_day):
    client = login(manager)
    response = client.post(
        f"/donations/programs/{program.code}/basis/",
        {
            "basis": "paid",
            "effective_from": paid_since(business_day).isoformat(),
            "reason": "platelet donors paid",
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/donations/programs/{program.code}/rates/",
        {"procedure": "platelets", "amount": "50.00", "effective_from": paid_since(business_day).isoformat()},
    )
    assert response.status_code == 302
    assert ProgramDonorBasis.objects.get(program=program).basis == "paid"
    assert CompensationRate.objects.get(program=program).amount == 50
    page = client.get(f"/donations/programs/{program.code}/").content.decode()
    assert "Platelets (apheresis)" in page
    assert "$50.00" in page
    assert "<strong>paid</strong>" in page


def test_a_bad_amount_is_shown_on_its_field_and_nothing_is_saved(login, program, manager, business_day):
    response = login(manager).post(
        f"/donations/programs/{program.code}/rates/",
        {"procedure": "platelets", "amount": "50.005", "effective_from": business_day.isoformat()},
    )
    assert response.status_code == 400
    form = response.context["rate_form"]
    assert "more than two decimal places" in form.errors["amount"][0]
    assert not CompensationRate.objects.exists()


def test_the_figures_page_draws_the_chart_and_the_before_and_after_table(
    login, staff, site, program, manager, ledger, business_day
):
    backdating(staff["screener"], staff["phlebotomist"])
    compensation_services.program_donor_basis_set(
        actor=manager, program=program, basis="paid", effective_from=paid_since(business_day)
    )
    compensation_services.compensation_rate_set(
        actor=manager,
        program=program,
        procedure="whole_blood",
        amount="30.00",
        effective_from=paid_since(business_day),
    )
    give(staff, donor_make("Early"), site, days_ago=8)
    compensation_services.program_donor_basis_set(
        actor=manager, program=program, basis="volunteer", effective_from=business_day - timedelta(days=2)
    )
    give(staff, donor_make("Later"), site)

    page = login(manager).get(f"/donations/programs/{program.code}/").content.decode()

    assert "<svg" in page
    assert "1 paid" in page
    assert "1 volunteer" in page
    assert f"volunteer from {business_day - timedelta(days=2)}" in page
    assert "Before and after the conversion" in page


def test_api_reads_and_sets_rates_and_names_bad_fields(login, make_user, program, manager, business_day):
    client = login(manager)
    created = _post(
        client,
        f"/api/v1/donations/programs/{program.code}/rates",
        {"procedure": "whole_blood", "amount": "25.00", "effective_from": business_day.isoformat()},
    )
    assert created.status_code == 201
    assert created.json()["rates"][0]["amount"] == "25.00"

    refused = _post(
        client,
        f"/api/v1/donations/programs/{program.code}/rates",
        {"procedure": "granulocytes", "amount": "25.00", "effective_from": business_day.isoformat()},
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "procedure"

    assert client.get(f"/api/v1/donations/programs/{program.code}/compensation").json()["basis_today"] == (
        "volunteer"
    )
    figures = client.get(f"/api/v1/donations/programs/{program.code}/figures").json()
    assert figures["total_units"] == 0
    assert len(figures["months"]) == 12

    unknown = client.get("/api/v1/donations/programs/nope/compensation")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["field"] == "program"

    phlebotomist = login(make_user(roles.PHLEBOTOMIST))
    assert phlebotomist.get(f"/api/v1/donations/programs/{program.code}/compensation").status_code == 403
