"""Forms of the DIN label stock pages. Sites are chosen by code among active sites with a FIN."""

from __future__ import annotations

from typing import Any

from django import forms

from hemaops.donations import selectors


class _SiteForm(forms.Form):
    site = forms.ModelChoiceField(queryset=None, to_field_name="code", label="Site")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = selectors.collecting_sites()  # type: ignore[attr-defined]


class DinStockForm(_SiteForm):
    year = forms.CharField(label="Year", max_length=2, help_text="Two-digit year printed in the DINs.")
    first_sequence = forms.IntegerField(label="First sequence", min_value=0, max_value=999_999)
    last_sequence = forms.IntegerField(label="Last sequence", min_value=0, max_value=999_999)
    received_on = forms.DateField(label="Received on", widget=forms.DateInput(attrs={"type": "date"}))
    lot = forms.CharField(label="Lot", max_length=60, required=False)
    notes = forms.CharField(label="Notes", max_length=300, required=False)


class DinScanForm(_SiteForm):
    din = forms.CharField(
        label="DIN",
        max_length=40,
        help_text="Scan the bar code, or type the DIN, a space and the boxed check character.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class DinGenerateForm(_SiteForm):
    year = forms.CharField(label="Year", max_length=2)
