"""Forms of the billing pages. Fields are named as the services' fields, so that a refusal
lands next to what was typed (``hemaops.core.pages.form_error``); the views map the indexed
ones (``prices[0].unit_price``, ``applications[1].amount``) to their line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms

from hemaops.billing.models import Contract, Invoice
from hemaops.billing.rules import CLASSIFICATIONS, MAX_TERMS_DAYS
from hemaops.billing.services import ApplicationInput, PriceInput
from hemaops.core.models import Hospital

#: How many invoice lines the receipt form offers (more go through the API).
RECEIPT_LINES = 5

_DATE = forms.DateInput(attrs={"type": "date"})
_CLASSIFICATION_CHOICES = [("", "Both"), *((c, c.capitalize()) for c in CLASSIFICATIONS)]


def _hospital_field(**kwargs: object) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Hospital.objects.order_by("code"),
        to_field_name="code",
        **kwargs,  # type: ignore[arg-type]
    )


def _money_field(**kwargs: object) -> forms.DecimalField:
    return forms.DecimalField(max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class ContractForm(forms.Form):
    hospital = _hospital_field()
    number = forms.CharField(max_length=40)
    starts_on = forms.DateField(widget=_DATE)
    ends_on = forms.DateField(widget=_DATE, required=False, help_text="Last day in force; empty: open ended.")
    terms_days = forms.IntegerField(
        label="Terms (days)", min_value=0, max_value=MAX_TERMS_DAYS, initial=30, help_text="Net days."
    )
    invoicing = forms.ChoiceField(choices=Contract.Invoicing.choices, initial=Contract.Invoicing.MONTHLY)
    prices = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=(
            "One price a line, in force from the contract's start: item code, price, and "
            "optionally volunteer or paid (e.g. RBC 215.00, or RBC 200.00 paid)."
        ),
    )

    def clean(self) -> dict:
        data = super().clean()
        starts_on = data.get("starts_on")
        lines: list[PriceInput] = []
        for number, raw in enumerate((data.get("prices") or "").splitlines(), start=1):
            parts = raw.replace(",", " ").split()
            if not parts:
                continue
            if len(parts) not in (2, 3):
                self.add_error("prices", f"Line {number}: give the item code, the price and optionally paid.")
                continue
            try:
                price = Decimal(parts[1])
            except InvalidOperation:
                self.add_error("prices", f"Line {number}: {parts[1]!r} is not a price.")
                continue
            if starts_on is None:
                continue
            lines.append(
                PriceInput(
                    item_code=parts[0].upper(),
                    unit_price=price,
                    effective_from=starts_on,
                    donor_classification=parts[2].lower() if len(parts) == 3 else "",
                )
            )
        data["price_inputs"] = lines
        return data


class PriceForm(forms.Form):
    """One price list line to add; a price for an item already priced closes the old one."""

    item_code = forms.CharField(max_length=20)
    description = forms.CharField(max_length=120, required=False)
    unit_price = _money_field(label="Price")
    effective_from = forms.DateField(widget=_DATE)
    effective_to = forms.DateField(widget=_DATE, required=False, help_text="Exclusive; empty: open ended.")
    donor_classification = forms.ChoiceField(choices=_CLASSIFICATION_CHOICES, required=False)

    def price(self) -> PriceInput:
        data = self.cleaned_data
        return PriceInput(
            item_code=data["item_code"].strip().upper(),
            unit_price=data["unit_price"],
            effective_from=data["effective_from"],
            effective_to=data["effective_to"],
            donor_classification=data["donor_classification"] or "",
            description=data["description"],
        )


class InvoiceIssueForm(forms.Form):
    """Invoice a contract now: a month's charges (monthly) or a group's (per shipment)."""

    issued_on = forms.DateField(widget=_DATE)
    period_start = forms.DateField(
        widget=_DATE, required=False, help_text="Monthly contracts: the first day of the month to invoice."
    )
    group_key = forms.CharField(
        max_length=60, required=False, help_text="Per-shipment contracts: the group (shipment) to invoice."
    )


class RunForm(forms.Form):
    """Issue every invoice due on a day (the job the scheduler runs, by hand)."""

    on = forms.DateField(widget=_DATE, label="Due on")


class CreditForm(forms.Form):
    issued_on = forms.DateField(widget=_DATE)
    reason = forms.CharField(max_length=500)


class ReceiptForm(forms.Form):
    hospital = _hospital_field()
    reference = forms.CharField(max_length=60, help_text="The payment's reference (check, wire).")
    received_on = forms.DateField(widget=_DATE)
    amount = _money_field()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Optional lines: which invoice each part of the payment pays; none: oldest first.
        for line in range(1, RECEIPT_LINES + 1):
            self.fields[f"invoice_{line}"] = forms.CharField(
                label=f"Invoice {line}", max_length=20, required=False, help_text="e.g. INV-000012"
            )
            self.fields[f"amount_{line}"] = _money_field(label=f"Amount {line}", required=False)

    def clean(self) -> dict:
        data = super().clean()
        for line in range(1, RECEIPT_LINES + 1):
            number, amount = data.get(f"invoice_{line}"), data.get(f"amount_{line}")
            if number and amount is None and f"amount_{line}" not in self.errors:
                self.add_error(f"amount_{line}", "Give the amount this invoice is paid.")
            if amount is not None and not number:
                self.add_error(f"invoice_{line}", "Name the invoice this amount pays.")
        return data

    def applications(self) -> list[ApplicationInput]:
        data = self.cleaned_data
        return [
            ApplicationInput(invoice_number=data[f"invoice_{line}"].strip(), amount=data[f"amount_{line}"])
            for line in range(1, RECEIPT_LINES + 1)
            if data.get(f"invoice_{line}")
        ]

    def line_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"invoice_{line}"], self[f"amount_{line}"]) for line in range(1, RECEIPT_LINES + 1)]

    def head_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("hospital", "reference", "received_on", "amount")]


class InvoiceFilterForm(forms.Form):
    hospital = _hospital_field(required=False, empty_label="All")
    kind = forms.ChoiceField(choices=[("", "All"), *Invoice.Kind.choices], required=False)
    open_only = forms.BooleanField(required=False, label="Open only")

    def __init__(self, *args: object, hospital_bound: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if hospital_bound:
            # A hospital's user sees its own invoices only; the list of the others' names is
            # not theirs to read either (DESIGN.md invariant 6).
            del self.fields["hospital"]


class AsOfForm(forms.Form):
    as_of = forms.DateField(widget=_DATE, required=False, label="As of")

    def day(self, default: date) -> date:
        if self.is_valid() and self.cleaned_data["as_of"]:
            return self.cleaned_data["as_of"]
        return default
