"""Forms of the collections pages (drive form, slot, booking, walk-in, status)."""

from __future__ import annotations

from typing import Any

from django import forms

from hemaops.core.models import Program, Site, User
from hemaops.donations.models.drives import PROCEDURE_CHOICES

TIME = forms.TimeInput(attrs={"type": "time"})


class DriveForm(forms.Form):
    host_organization = forms.CharField(label="Host organization", max_length=200)
    site = forms.ModelChoiceField(queryset=None, to_field_name="code", label="Site or bus")
    place = forms.CharField(label="Place (address)", max_length=300)
    program = forms.ModelChoiceField(queryset=None, to_field_name="code", label="Program")
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    starts = forms.TimeField(label="Starts (site time)", widget=TIME)
    ends = forms.TimeField(label="Ends (site time)", widget=TIME)
    staff = forms.ModelMultipleChoiceField(queryset=None, to_field_name="username", required=False)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(  # type: ignore[attr-defined]
            is_active=True, kind__in=[Site.Kind.MOBILE_UNIT, Site.Kind.FIXED_COLLECTION]
        ).order_by("code")
        self.fields["program"].queryset = Program.objects.filter(  # type: ignore[attr-defined]
            kind=Program.Kind.MOBILE_COLLECTIONS
        ).order_by("code")
        self.fields["staff"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, hospital__isnull=True
        ).order_by("username")
        for code, label in PROCEDURE_CHOICES:
            self.fields[f"goal_{code}"] = forms.IntegerField(
                label=f"Goal: {label} (units)", min_value=0, required=False
            )

    def goals(self) -> dict[str, int]:
        return {
            code: self.cleaned_data[f"goal_{code}"]
            for code, _ in PROCEDURE_CHOICES
            if self.cleaned_data.get(f"goal_{code}")
        }


class SlotForm(forms.Form):
    starts = forms.TimeField(label="Starts", widget=TIME)
    ends = forms.TimeField(label="Ends", widget=TIME)
    capacity = forms.IntegerField(label="Capacity", initial=2)


class DonorNumberForm(forms.Form):
    donor = forms.CharField(label="Donor number", max_length=12)


class StatusForm(forms.Form):
    status = forms.CharField(max_length=20)
    reason = forms.CharField(max_length=300, required=False)
