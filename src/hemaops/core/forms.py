from __future__ import annotations

from django import forms

from hemaops.core.models import Hospital, Program, Site


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = [
            "code",
            "name",
            "kind",
            "time_zone",
            "facility_identification_number",
            "collections_program",
            "address_line",
            "city",
            "region",
            "postal_code",
            "country",
            "is_active",
        ]


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = [
            "code",
            "name",
            "segment",
            "kind",
            "region",
            "client_hospital",
            "active_from",
            "active_until",
        ]
        widgets = {
            "active_from": forms.DateInput(attrs={"type": "date"}),
            "active_until": forms.DateInput(attrs={"type": "date"}),
        }


class HospitalForm(forms.ModelForm):
    class Meta:
        model = Hospital
        fields = [
            "code",
            "name",
            "time_zone",
            "address_line",
            "city",
            "region",
            "postal_code",
            "country",
            "is_active",
        ]


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="One-time code",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
