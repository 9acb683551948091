"""Billing services on PostgreSQL: contracts and prices, charges and their revenue, invoices
per shipment and per month, credit notes, receipts — and what each refuses."""

from __future__ import annotations

import io
import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from hemaops.billing import services
from hemaops.billing.errors import BillingConflictError, BillingError
from hemaops.billing.models import Charge, Contract, Invoice, PriceEntry, Receipt, ReceiptApplication
from hemaops.billing.services import ApplicationInput, ChargeInput, PriceInput
from hemaops.core.errors import PermissionDeniedError
from hemaops.core.models import AuditEvent
from hemaops.finance.models import JournalEntry, JournalLine
from tests.lab.test_release_concurrency import Race, _stagger

MARCH = date(2026, 3, 1)
_sources = itertools.count(1)


def charge(contract, program, on, item="RBC", *, group="SHP-1", quantity=1, classification=None, source=None):
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
                source_id=source or str(next(_sources)),
                donor_classification=classification,
            )
        ],
    )
    return made


def balance(code: str, hospital=None) -> Decimal:
    """Debits less credits of an account, from the posted journal lines."""
    lines = JournalLine.objects.filter(account__code=code)
    if hospital is not None:
        lines = lines.filter(hospital=hospital)
    sums = lines.aggregate(d=Sum("debit"), c=Sum("credit"))
    return (sums["d"] or Decimal("0")) - (sums["c"] or Decimal("0"))


def monthly_invoice(contract, month, issued_on, actor=None):
    return services.invoice_issue(actor=actor, contract=contract, issued_on=issued_on, period_start=month)


# --- contracts ------------------------------------------------------------------------------------


def test_contract_create_saves_the_contract_its_prices_and_an_audit_event(contract):
    assert contract.hospital.code == "cedars"
    assert contract.invoicing == Contract.Invoicing.MONTHLY
    assert contract.terms_days == 30
    rbc = PriceEntry.objects.get(contract=contract, item_code="RBC", donor_classification="")
    assert rbc.unit_price == Decimal("215.00")
    assert rbc.effective_to is None
    assert PriceEntry.objects.filter(contract=contract, donor_classification="paid").count() == 1
    assert AuditEvent.objects.filter(stream="billing", action="contract.created").count() == 1


def _create(hospital, **overrides):
    arguments = {
        "actor": None,
        "hospital": hospital,
        "number": "C-NEW",
        "starts_on": date(2026, 1, 1),
        "prices": [PriceInput("RBC", "215.00", date(2026, 1, 1))],
    }
    arguments.update(overrides)
    return services.contract_create(**arguments)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"number": "C-CEDARS-1"}, "duplicate_number", "number"),
        ({"number": "  "}, "required", "number"),
        ({"terms_days": 181}, "invalid_terms", "terms_days"),
        ({"terms_days": -1}, "invalid_terms", "terms_days"),
        ({"invoicing": "weekly"}, "invalid_choice", "invoicing"),
        ({"ends_on": date(2025, 12, 31)}, "invalid_period", "ends_on"),
        ({"prices": [PriceInput("RBC", "abc", date(2026, 1, 1))]}, "invalid_price", "prices[0].unit_price"),
        ({"prices": [PriceInput("RBC", "1.005", date(2026, 1, 1))]}, "invalid_price", "prices[0].unit_price"),
        (
            {"prices": [PriceInput("RBC", "0", date(2026, 1, 1))]},
            "non_positive_price",
            "prices[0].unit_price",
        ),
        (
            {"prices": [PriceInput("RBC", "1.00", date(2026, 1, 1), donor_classification="cheap")]},
            "invalid_classification",
            "prices[0].donor_classification",
        ),
        (
            {
                "prices": [
                    PriceInput("RBC", "1.00", date(2026, 1, 1)),
                    PriceInput("FFP", "2.00", date(2026, 1, 1)),
                    PriceInput("RBC", "3.00", date(2026, 6, 1)),
                ]
            },
            "overlapping_prices",
            "prices[2].effective_from",
        ),
        (
            {"prices": [PriceInput("RBC", "1.00", date(2026, 2, 1), effective_to=date(2026, 2, 1))]},
            "empty_period",
            "prices[0].effective_to",
        ),
    ],
)
def test_contract_create_refuses_with_the_field_at_fault(contract, other_hospital, overrides, code, field):
    before = (Contract.objects.count(), PriceEntry.objects.count())
    with pytest.raises(BillingError) as refused:
        _create(other_hospital, **overrides)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert (Contract.objects.count(), PriceEntry.objects.count()) == before


def test_contract_create_reports_every_price_problem_at_once(ledger, other_hospital):
    with pytest.raises(BillingError) as refused:
        _create(
            other_hospital,
            prices=[PriceInput("RBC", "abc", date(2026, 1, 1)), PriceInput("FFP", "-1", date(2026, 1, 1))],
        )
    assert refused.value.field == "prices[0].unit_price"
    assert "prices[1].unit_price" in refused.value.message


def test_a_hospital_cannot_have_two_contracts_in_force_on_one_day(contract, hospital):
    with pytest.raises(BillingConflictError) as refused:
        _create(hospital, starts_on=date(2026, 1, 1))
    assert (refused.value.code, refused.value.field) == ("overlapping_contract", "starts_on")
    # Before the first one starts, it may (ending the day before).
    earlier = _create(hospital, number="C-OLD", starts_on=date(2023, 1, 1), ends_on=date(2023, 12, 31))
    assert earlier.pk is not None


def test_contract_create_needs_manage_contract(ledger, other_hospital, people):
    with pytest.raises(PermissionDeniedError):
        _create(other_hospital, actor=people["clerk"])
    assert _create(other_hospital, actor=people["accountant"]).created_by == people["accountant"]


def test_contract_in_force_and_no_contract(contract, hospital, other_hospital):
    assert services.contract_in_force(hospital, date(2026, 5, 1)) == contract
    with pytest.raises(BillingError) as refused:
        services.contract_in_force(hospital, date(2023, 5, 1))
    assert (refused.value.code, refused.value.field) == ("no_contract", "hospital")
    with pytest.raises(BillingError):
        services.contract_in_force(other_hospital, date(2026, 5, 1))


# --- prices ---------------------------------------------------------------------------------------


def test_a_price_change_mid_month_applies_from_its_date_and_old_invoices_keep_theirs(contract, program):
    february = charge(contract, program, date(2026, 2, 10))
    old_invoice = monthly_invoice(contract, date(2026, 2, 1), date(2026, 3, 2))
    assert old_invoice.total == Decimal("215.00")

    (new,) = services.prices_add(
        actor=None, contract=contract, prices=[PriceInput("RBC", "230.00", date(2026, 3, 15))]
    )
    old = PriceEntry.objects.get(
        contract=contract, item_code="RBC", donor_classification="", effective_to__isnull=False
    )
    assert old.effective_to == date(2026, 3, 15)
    assert new.effective_to is None

    before = charge(contract, program, date(2026, 3, 14))
    after = charge(contract, program, date(2026, 3, 15))
    assert (before.unit_price, after.unit_price) == (Decimal("215.00"), Decimal("230.00"))
    march = monthly_invoice(contract, MARCH, date(2026, 4, 1))
    assert march.total == Decimal("445.00")
    old_invoice.refresh_from_db()
    february.refresh_from_db()
    assert (old_invoice.total, february.unit_price, february.amount) == (
        Decimal("215.00"),
        Decimal("215.00"),
        Decimal("215.00"),
    )
    # The paid donors' price is its own entry: untouched by the generic change.
    assert services.price_for(contract, "RBC", date(2026, 3, 20), "paid").unit_price == Decimal("200.00")


def test_prices_add_refuses_an_overlap_and_saves_nothing(contract):
    with pytest.raises(BillingError) as refused:
        services.prices_add(
            actor=None,
            contract=contract,
            prices=[
                PriceInput("FFP", "61.00", date(2026, 1, 1)),
                PriceInput("RBC", "1.00", date(2023, 6, 1)),
            ],
        )
    assert (refused.value.code, refused.value.field) == ("overlapping_prices", "prices[1].effective_from")
    assert not PriceEntry.objects.filter(contract=contract, effective_to__isnull=False).exists()
    assert PriceEntry.objects.filter(contract=contract, item_code="FFP").count() == 1


def test_prices_add_needs_manage_contract(contract, people):
    with pytest.raises(PermissionDeniedError):
        services.prices_add(
            actor=people["clerk"], contract=contract, prices=[PriceInput("RBC", "1.00", date(2026, 6, 1))]
        )


def test_paid_and_volunteer_donor_prices(contract, program):
    paid = charge(contract, program, date(2026, 3, 3), classification="paid")
    volunteer = charge(contract, program, date(2026, 3, 3), classification="volunteer")
    generic = charge(contract, program, date(2026, 3, 3), "FFP", classification="paid")
    assert paid.unit_price == Decimal("200.00")
    assert volunteer.unit_price == Decimal("215.00")
    assert generic.unit_price == Decimal("60.00")  # no paid-donor plasma price: the generic one
    with pytest.raises(BillingError) as refused:
        services.price_for(contract, "RBC", date(2026, 3, 3), "bought")
    assert refused.value.code == "invalid_classification"


# --- charges --------------------------------------------------------------------------------------


def test_charges_record_posts_revenue_against_unbilled_receivables_once(contract, program, hospital):
    made = charge(contract, program, date(2026, 3, 5), quantity=2, source="77")
    assert (made.amount, made.hospital, made.group_key) == (Decimal("430.00"), hospital, "SHP-1")
    entry = JournalEntry.objects.get(
        source_type="billing.charge", source_id=str(made.pk), source_kind="revenue"
    )
    assert entry.entry_date == date(2026, 3, 5)
    lines = {line.account.code: line for line in entry.lines.select_related("account")}
    assert set(lines) == {"1100", "4000"}
    assert lines["1100"].debit == Decimal("430.00")
    assert lines["1100"].hospital == hospital
    assert lines["4000"].credit == Decimal("430.00")
    assert (lines["4000"].program, lines["4000"].hospital) == (program, hospital)

    again = charge(contract, program, date(2026, 3, 6), quantity=5, source="77")
    assert again.pk == made.pk
    assert again.quantity == 2
    assert Charge.objects.count() == 1
    assert JournalEntry.objects.filter(source_type="billing.charge").count() == 1
    assert balance("1100") == Decimal("430.00")


def test_an_item_the_contract_does_not_price_is_refused_and_nothing_is_saved(contract, program):
    with pytest.raises(BillingError) as refused:
        services.charges_record(
            actor=None,
            contract=contract,
            occurred_on=date(2026, 3, 5),
            group_key="SHP-9",
            charges=[
                ChargeInput("RBC", "red cells", 1, program, "red_cells", "distribution.shipmentitem", "1"),
                ChargeInput("GOLD", "gold", 1, program, "red_cells", "distribution.shipmentitem", "2"),
            ],
        )
    assert (refused.value.code, refused.value.field) == ("no_price", "charges[1].item_code")
    assert not Charge.objects.exists()
    assert not JournalEntry.objects.exists()


def test_a_charge_outside_the_contract_period_is_refused(contract, program):
    with pytest.raises(BillingError) as refused:
        charge(contract, program, date(2023, 12, 31))
    assert refused.value.field == "occurred_on"


# --- invoices -------------------------------------------------------------------------------------


def test_a_monthly_invoice_bills_the_month_and_moves_unbilled_to_billed(contract, program, people, hospital):
    first = charge(contract, program, date(2026, 3, 1))
    last = charge(contract, program, date(2026, 3, 31), "FFP", quantity=3)
    april = charge(contract, program, date(2026, 4, 1))
    invoice = monthly_invoice(contract, MARCH, date(2026, 4, 2), actor=people["accountant"])
    assert invoice.kind == Invoice.Kind.INVOICE
    assert invoice.number == f"INV-{invoice.pk:06d}"
    assert (invoice.total, invoice.due_on, invoice.period_start) == (
        Decimal("395.00"),
        date(2026, 5, 2),
        MARCH,
    )
    assert set(invoice.charges.all()) == {first, last}
    april.refresh_from_db()
    assert april.invoice is None
    assert balance("1110", hospital) == Decimal("395.00")
    assert balance("1100", hospital) == Decimal("215.00")
    assert services.invoice_open_amount(invoice) == Decimal("395.00")

    with pytest.raises(BillingError) as refused:
        monthly_invoice(contract, MARCH, date(2026, 4, 2))
    assert refused.value.code == "nothing_to_bill"


def test_a_per_shipment_invoice_bills_one_shipment(other_contract, program, other_hospital):
    one = charge(other_contract, program, date(2026, 3, 3), group="SHP-1")
    charge(other_contract, program, date(2026, 3, 3), "SUR-STAT", group="SHP-1")
    charge(other_contract, program, date(2026, 3, 4), group="SHP-2")
    invoice = services.invoice_issue(
        actor=None, contract=other_contract, issued_on=date(2026, 3, 3), group_key="SHP-1"
    )
    assert invoice.total == Decimal("290.00")
    assert invoice.hospital == other_hospital
    assert invoice.period_start is None
    assert one in invoice.charges.all()
    assert invoice.charges.count() == 2
    assert balance("1110") == Decimal("290.00")
    assert balance("1100") == Decimal("215.00")


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({}, "period_start"),
        ({"period_start": date(2026, 3, 2)}, "period_start"),
        ({"period_start": MARCH, "group_key": "SHP-1"}, "group_key"),
        ({"period_start": MARCH, "issued_on": date(2026, 3, 30)}, "issued_on"),
    ],
)
def test_invoice_issue_refuses_a_monthly_invoice_without_its_month_or_dated_too_early(
    contract, program, arguments, field
):
    charge(contract, program, date(2026, 3, 31))
    with pytest.raises(BillingError) as refused:
        services.invoice_issue(actor=None, contract=contract, **{"issued_on": date(2026, 4, 1), **arguments})
    assert refused.value.field == field
    assert not Invoice.objects.exists()


def test_invoice_issue_per_shipment_needs_the_shipment_and_a_permission(other_contract, program, people):
    charge(other_contract, program, date(2026, 3, 3))
    with pytest.raises(BillingError) as refused:
        services.invoice_issue(actor=None, contract=other_contract, issued_on=date(2026, 3, 3))
    assert refused.value.field == "group_key"
    with pytest.raises(PermissionDeniedError):
        services.invoice_issue(
            actor=people["clerk"], contract=other_contract, issued_on=date(2026, 3, 3), group_key="SHP-1"
        )
    assert not Invoice.objects.exists()


def test_invoices_issue_due_issues_past_months_and_shipments_once(contract, other_contract, program):
    charge(contract, program, date(2026, 2, 27))
    charge(contract, program, date(2026, 3, 2))
    current = charge(contract, program, date(2026, 4, 1))  # this month: not yet due
    charge(other_contract, program, date(2026, 4, 1), group="SHP-7")
    charge(other_contract, program, date(2026, 4, 1), group="SHP-8")
    issued = services.invoices_issue_due(actor=None, on=date(2026, 4, 3))
    assert sorted((i.contract.number, str(i.period_start), i.total) for i in issued) == [
        ("C-CEDARS-1", "2026-02-01", Decimal("215.00")),
        ("C-CEDARS-1", "2026-03-01", Decimal("215.00")),
        ("C-MERCY-1", "None", Decimal("215.00")),
        ("C-MERCY-1", "None", Decimal("215.00")),
    ]
    assert all(i.issued_on == date(2026, 4, 3) for i in issued)
    current.refresh_from_db()
    assert current.invoice is None
    assert services.invoices_issue_due(actor=None, on=date(2026, 4, 3)) == []


# --- credit notes ---------------------------------------------------------------------------------


def test_a_credit_note_on_an_invoiced_charge_reduces_billed_receivables_and_revenue(
    contract, program, people, hospital
):
    made = charge(contract, program, date(2026, 3, 3))
    charge(contract, program, date(2026, 3, 4))
    invoice = monthly_invoice(contract, MARCH, date(2026, 4, 1))
    note = services.charges_credit(
        actor=people["accountant"], charges=[made], issued_on=date(2026, 4, 10), reason="unit returned"
    )
    assert (note.kind, note.total, note.credits, note.due_on) == (
        Invoice.Kind.CREDIT_NOTE,
        Decimal("215.00"),
        invoice,
        None,
    )
    assert note.number.startswith("CN-")
    made.refresh_from_db()
    assert made.credit_note == note
    assert balance("1110", hospital) == Decimal("215.00")
    assert balance("1100", hospital) == Decimal("0.00")
    assert balance("4000") == Decimal("-215.00")  # revenue (a credit balance) of the one charge left
    entry = JournalEntry.objects.get(
        source_type="billing.charge", source_id=str(made.pk), source_kind="credit"
    )
    assert entry.entry_date == date(2026, 4, 10)
    assert services.invoice_open_amount(invoice) == Decimal("215.00")
    assert services.invoice_open_amount(note) == Decimal("0")


def test_a_credit_note_on_an_uninvoiced_charge_reduces_unbilled_and_it_is_never_invoiced(
    contract, program, people, hospital
):
    made = charge(contract, program, date(2026, 3, 3))
    note = services.charges_credit(
        actor=people["clerk"], charges=[made], issued_on=date(2026, 3, 5), reason="returned unused"
    )
    assert note.credits is None
    assert balance("1100", hospital) == Decimal("0.00")
    assert balance("4000") == Decimal("0.00")
    with pytest.raises(BillingError) as refused:
        monthly_invoice(contract, MARCH, date(2026, 4, 1))
    assert refused.value.code == "nothing_to_bill"


def test_charges_credit_refusals(contract, program, people):
    invoiced = charge(contract, program, date(2026, 3, 3))
    monthly_invoice(contract, MARCH, date(2026, 4, 1))
    loose = charge(contract, program, date(2026, 4, 3))
    on = date(2026, 4, 20)
    cases = [
        ({"charges": [], "reason": "x"}, "required", "charges"),
        ({"charges": [loose], "reason": " "}, "required", "reason"),
        ({"charges": [invoiced, loose], "reason": "x"}, "mixed_invoices", "charges"),
    ]
    for arguments, code, field in cases:
        with pytest.raises(BillingError) as refused:
            services.charges_credit(actor=None, issued_on=on, **arguments)
        assert (refused.value.code, refused.value.field) == (code, field)
    with pytest.raises(BillingError) as refused:
        services.charges_credit(actor=None, charges=[loose], issued_on=date(2026, 4, 2), reason="x")
    assert refused.value.field == "issued_on"
    with pytest.raises(BillingError) as refused:
        services.charges_credit(actor=None, charges=[invoiced], issued_on=date(2026, 3, 31), reason="x")
    assert (refused.value.code, refused.value.field) == ("issued_before_invoice", "issued_on")
    with pytest.raises(PermissionDeniedError):
        services.charges_credit(actor=people["hospital_user"], charges=[loose], issued_on=on, reason="x")
    assert not Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()

    services.charges_credit(actor=None, charges=[loose], issued_on=on, reason="damaged")
    with pytest.raises(BillingConflictError) as refused:
        services.charges_credit(actor=None, charges=[loose], issued_on=on, reason="again")
    assert refused.value.code == "already_credited"
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1


# --- receipts -------------------------------------------------------------------------------------


def _two_invoices(contract, program):
    charge(contract, program, date(2026, 2, 3))
    february = monthly_invoice(contract, date(2026, 2, 1), date(2026, 3, 1))
    charge(contract, program, date(2026, 3, 3), "FFP")
    march = monthly_invoice(contract, MARCH, date(2026, 4, 1))
    return february, march


def test_a_receipt_with_explicit_applications(contract, program, people, hospital):
    february, march = _two_invoices(contract, program)
    receipt = services.receipt_record(
        actor=people["accountant"],
        hospital=hospital,
        reference="WIRE-1",
        received_on=date(2026, 4, 5),
        amount="100.00",
        applications=[ApplicationInput(march.number, "60.00"), ApplicationInput(february.number, "40")],
    )
    assert receipt.amount == Decimal("100.00")
    assert services.invoice_open_amount(march) == Decimal("0.00")
    assert services.invoice_open_amount(february) == Decimal("175.00")
    assert balance("1000") == Decimal("100.00")
    assert balance("1110", hospital) == Decimal("175.00")


def test_a_receipt_without_applications_pays_the_oldest_due_first_and_keeps_the_rest_on_account(
    contract, program, hospital
):
    february, march = _two_invoices(contract, program)
    receipt = services.receipt_record(
        actor=None, hospital=hospital, reference="CHK-7", received_on=date(2026, 4, 5), amount="300.00"
    )
    applied = {a.invoice: a.amount for a in receipt.applications.all()}
    assert applied == {february: Decimal("215.00"), march: Decimal("60.00")}
    assert services.invoice_open_amount(february) == services.invoice_open_amount(march) == Decimal("0.00")
    assert balance("1110", hospital) == Decimal("-25.00")  # 25.00 on account


@pytest.mark.parametrize(
    ("amount", "applications", "code", "field"),
    [
        ("0", [], "invalid_amount", "amount"),
        ("12.345", [], "invalid_amount", "amount"),
        ("300.00", [("feb", "215.01")], "overpaid", "applications[0].amount"),
        ("100.00", [("feb", "60.00"), ("mar", "60.00")], "over_applied", "applications"),
        ("100.00", [("INV-999999", "1.00")], "not_found", "applications[0].invoice_number"),
        ("100.00", [("nonsense", "1.00")], "not_found", "applications[0].invoice_number"),
        ("100.00", [("feb", "-1")], "invalid_amount", "applications[0].amount"),
        ("100.00", [("feb", "1.00"), ("feb", "1.00")], "duplicate", "applications[1].invoice_number"),
    ],
)
def test_receipt_refusals(contract, program, hospital, amount, applications, code, field):
    february, march = _two_invoices(contract, program)
    numbers = {"feb": february.number, "mar": march.number}
    with pytest.raises(BillingError) as refused:
        services.receipt_record(
            actor=None,
            hospital=hospital,
            reference="R-1",
            received_on=date(2026, 4, 5),
            amount=amount,
            applications=[ApplicationInput(numbers.get(n, n), a) for n, a in applications],
        )
    assert (refused.value.code, refused.value.field) == (code, field)
    assert not Receipt.objects.exists()


def test_a_receipt_cannot_pay_another_hospitals_invoice(contract, other_contract, program, other_hospital):
    charge(contract, program, date(2026, 2, 3))
    cedars = monthly_invoice(contract, date(2026, 2, 1), date(2026, 3, 1))
    with pytest.raises(BillingError) as refused:
        services.receipt_record(
            actor=None,
            hospital=other_hospital,
            reference="R-1",
            received_on=date(2026, 4, 5),
            amount="10.00",
            applications=[ApplicationInput(cedars.number, "10.00")],
        )
    assert (refused.value.code, refused.value.field) == ("not_found", "applications[0].invoice_number")
    assert not Receipt.objects.exists()


def test_a_receipt_reference_is_recorded_once_per_hospital(
    contract, program, hospital, other_hospital, people
):
    services.receipt_record(
        actor=None, hospital=hospital, reference="R-1", received_on=date(2026, 4, 5), amount="5"
    )
    with pytest.raises(BillingConflictError) as refused:
        services.receipt_record(
            actor=None, hospital=hospital, reference=" R-1 ", received_on=date(2026, 4, 6), amount="6"
        )
    assert (refused.value.code, refused.value.field, refused.value.status) == (
        "duplicate_receipt",
        "reference",
        409,
    )
    services.receipt_record(
        actor=None, hospital=other_hospital, reference="R-1", received_on=date(2026, 4, 5), amount="5"
    )
    with pytest.raises(PermissionDeniedError):
        services.receipt_record(
            actor=people["clerk"],
            hospital=hospital,
            reference="R-2",
            received_on=date(2026, 4, 5),
            amount="5",
        )
    assert Receipt.objects.count() == 2


# --- concurrency ----------------------------------------------------------------------------------

RACES = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_invoice_runs_never_bill_one_charge_twice(contract, program, people):
    for trial in range(RACES):
        month = date(2026, 1 + trial, 1)
        for day in (2, 9, 20):
            charge(contract, program, month + timedelta(days=day))
        race = Race(
            *[
                lambda m=month: monthly_invoice(contract, m, date(2026, 6, 1), actor=people["accountant"])
                for _ in range(2)
            ],
            stagger=_stagger(trial),
        ).run()
        invoices = [o for o in race.outcomes if isinstance(o, Invoice)]
        refusals = [o for o in race.outcomes if isinstance(o, BillingError)]
        assert len(invoices) == 1, race.outcomes
        assert [r.code for r in refusals] == ["nothing_to_bill"]
        assert invoices[0].total == Decimal("645.00")
        assert Charge.objects.filter(occurred_on__month=month.month, invoice=invoices[0]).count() == 3
    assert Invoice.objects.count() == RACES
    assert balance("1110") == Decimal("645.00") * RACES


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_receipts_cannot_overpay_one_invoice(contract, program, people, hospital):
    for trial in range(RACES):
        month = date(2026, 1 + trial, 1)
        charge(contract, program, month + timedelta(days=3))
        invoice = monthly_invoice(contract, month, date(2026, 6, 1))
        race = Race(
            *[
                lambda n=n, i=invoice, t=trial: services.receipt_record(
                    actor=people["accountant"],
                    hospital=hospital,
                    reference=f"R-{t}-{n}",
                    received_on=date(2026, 6, 2),
                    amount="150.00",
                    applications=[ApplicationInput(i.number, "150.00")],
                )
                for n in range(2)
            ],
            stagger=_stagger(trial),
        ).run()
        receipts = [o for o in race.outcomes if isinstance(o, Receipt)]
        refusals = [o for o in race.outcomes if isinstance(o, BillingError)]
        assert len(receipts) == 1, race.outcomes
        assert [r.code for r in refusals] == ["overpaid"]
        assert services.invoice_open_amount(invoice) == Decimal("65.00")
        assert ReceiptApplication.objects.filter(invoice=invoice).count() == 1


# --- the command ----------------------------------------------------------------------------------


def test_the_invoices_issue_command_prints_each_invoice_and_a_count(contract, program):
    charge(contract, program, date(2026, 3, 3))
    out = io.StringIO()
    call_command("invoices_issue", "--date", "2026-04-02", stdout=out)
    invoice = Invoice.objects.get()
    assert out.getvalue().splitlines() == [
        f"{invoice.number}  Cedars Valley  215.00",
        "1 invoice issued on 2026-04-02",
    ]
    out = io.StringIO()
    call_command("invoices_issue", "--date", "2026-04-02", stdout=out)
    assert out.getvalue().splitlines() == ["0 invoices issued on 2026-04-02"]


def test_the_invoices_issue_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="--date"):
        call_command("invoices_issue", "--date", "2026-02-30")
