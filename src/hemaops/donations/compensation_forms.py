"""Forms of the paid donor program pages."""

from __future__ import annotations

from django import forms

from hemaops.donations.models.compensation import PROCEDURES

DATE = forms.DateInput(attrs={"type": "date"})


class BasisForm(forms.Form):
    basis = forms.ChoiceField(
        label="Donors", choices=[("paid", "Paid donors"), ("volunteer", "Volunteer donors")]
    )
    effective_from = forms.DateField(label="From", widget=DATE)
    reason = forms.CharField(label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RateForm(forms.Form):
    procedure = forms.ChoiceField(label="Procedure", choices=PROCEDURES)
    # A string, not a DecimalField: the finance money parser gives the one message for every
    # way in (two decimals at most, no floats).
    amount = forms.CharField(label="Amount paid to the donor (USD)", max_length=20)
    effective_from = forms.DateField(label="From", widget=DATE)
    effective_until = forms.DateField(label="Until (inclusive, optional)", required=False, widget=DATE)


class FiguresForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=DATE)
    end = forms.DateField(label="To", required=False, widget=DATE)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end is before the start.")
        elif start and end and (end - start).days > 3660:
            self.add_error("start", "Ask for ten years at most.")
        return data
