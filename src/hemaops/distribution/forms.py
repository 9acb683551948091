"""Forms of the distribution pages. Fields carry the services' field names, so a refusal lands
next to what was typed (``hemaops.core.pages.form_error``); an order's lines are a formset
whose forms take the services' ``lines[i].<field>`` errors."""

from __future__ import annotations

from typing import Any

from django import forms

from hemaops.components.models import Product
from hemaops.core.models import Hospital, User
from hemaops.distribution.models import ABO_CHOICES, RHD_CHOICES, Order
from hemaops.distribution.rules import ATTRIBUTES
from hemaops.distribution.services import LineInput

RH_PERMISSION = "distribution.authorize_rh_substitution"
DISPOSITION_CHOICES = [("transfused", "Transfused"), ("wasted", "Wasted")]
WEEKDAY_CHOICES = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun")]


def orderable_products() -> Any:
    """What may be ordered: the active catalogue's products (the service refuses one the
    hospital's contract does not price, on the line's product field)."""
    return Product.objects.filter(is_active=True).order_by("code")


class OrderForm(forms.Form):
    hospital = forms.ModelChoiceField(queryset=Hospital.objects.filter(is_active=True), to_field_name="code")
    priority = forms.ChoiceField(choices=Order.Priority.choices, initial=Order.Priority.ROUTINE)
    needed_by = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="The hospital's local time. Blank: as soon as the priority allows.",
    )
    delivery = forms.BooleanField(required=False, help_text="Delivered by the blood center (surcharge).")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user.hospital_id is not None:
            # A hospital user orders for its own hospital only: the field is not offered.
            del self.fields["hospital"]


class LineForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), to_field_name="code")
    # Initials are the selects' first options, so a blank row a browser posts counts as unchanged.
    abo = forms.ChoiceField(label="ABO", choices=ABO_CHOICES, initial=ABO_CHOICES[0][0])
    rhd = forms.ChoiceField(label="RhD", choices=RHD_CHOICES, initial=RHD_CHOICES[0][0])
    quantity = forms.IntegerField(initial=1)
    attributes = forms.MultipleChoiceField(
        required=False,
        choices=[(name, name.replace("_", " ")) for name in ATTRIBUTES],
        widget=forms.CheckboxSelectMultiple,
    )
    antigens_negative = forms.CharField(
        label="Antigen negative", required=False, help_text="Antigens separated by spaces, e.g. K E."
    )
    allow_rh_positive = forms.BooleanField(label="Allow RhD positive", required=False)

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = orderable_products()
        if user is None or not user.has_perm(RH_PERMISSION):
            # Only a medical director may let RhD-positive units fill an RhD-negative line.
            del self.fields["allow_rh_positive"]

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            product_code=data["product"].code,
            abo=data["abo"],
            rhd=data["rhd"],
            quantity=data["quantity"],
            attributes=tuple(data.get("attributes") or ()),
            antigens_negative=tuple(data.get("antigens_negative", "").replace(",", " ").split()),
            allow_rh_positive=bool(data.get("allow_rh_positive", False)),
        )


class BaseLineFormSet(forms.BaseFormSet):
    def used_forms(self) -> list[LineForm]:
        """The filled-in line forms, in order: the service's ``lines[i]`` is the i-th of them
        (rows left blank are skipped by the formset and are not lines)."""
        return [form for form in self.forms if form.cleaned_data]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=3, min_num=1, validate_min=True)


def line_formset(user: User, data: Any = None, prefix: str = "lines") -> BaseLineFormSet:
    return LineFormSet(data, prefix=prefix, form_kwargs={"user": user})


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class ScanForm(forms.Form):
    scans = forms.CharField(
        label="Scanned bar codes",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "autofocus": True}),
        help_text="Scan the unit's label: one bar code a line.",
    )

    def clean_scans(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["scans"].splitlines() if line.strip()]


class ReceiveForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DispositionForm(forms.Form):
    disposition = forms.ChoiceField(choices=DISPOSITION_CHOICES)
    reason = forms.CharField(required=False, help_text="Why it was wasted.")


class ReturnForm(forms.Form):
    returned_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    container_validated = forms.BooleanField(required=False)
    lowest_c = forms.DecimalField(label="Lowest °C", max_digits=4, decimal_places=1, required=False)
    highest_c = forms.DecimalField(label="Highest °C", max_digits=4, decimal_places=1, required=False)
    seal_intact = forms.BooleanField(required=False)
    note = forms.CharField(required=False)


class StandingOrderForm(forms.Form):
    hospital = forms.ModelChoiceField(queryset=Hospital.objects.filter(is_active=True), to_field_name="code")
    name = forms.CharField(max_length=100)
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAY_CHOICES, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    delivery = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user.hospital_id is not None:
            del self.fields["hospital"]


class ReportForm(forms.Form):
    hospital = forms.ModelChoiceField(queryset=Hospital.objects.filter(is_active=True), to_field_name="code")
    months = forms.IntegerField(min_value=1, max_value=36, initial=12)
