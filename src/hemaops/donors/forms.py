"""Forms of the donor pages. They parse input; the services decide what is valid and their
refusals are put on the field they name."""

from __future__ import annotations

from django import forms

from hemaops.core.models import Program
from hemaops.donors.models import Donor, DonorConsent, DonorType
from hemaops.donors.services import DonorDetails

DATE = forms.DateInput(attrs={"type": "date"})


class DonorSearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="Donor number, name (family, given) or date of birth (YYYY-MM-DD).",
    )


class DonorDetailsForm(forms.Form):
    family_name = forms.CharField(label="Family name", max_length=100)
    given_name = forms.CharField(label="Given name", max_length=100)
    date_of_birth = forms.DateField(label="Date of birth", widget=DATE)
    sex = forms.ChoiceField(label="Sex (for hemoglobin thresholds)", choices=[("", "—"), *Donor.Sex.choices])
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    email = forms.EmailField(label="Email", required=False)
    address_line = forms.CharField(label="Address", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100, required=False)
    region = forms.CharField(label="State", max_length=100, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    country = forms.CharField(label="Country", max_length=2, initial="US")
    address_confirmed_on = forms.DateField(
        label="Address confirmed on",
        required=False,
        widget=DATE,
        help_text="21 CFR 630.10(g): an address where the donor can be reached for 8 weeks after donation.",
    )

    def details(self) -> DonorDetails:
        data = self.cleaned_data
        return DonorDetails(**{name: data[name] for name in DonorDetailsForm.base_fields})


def _program_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="Program", queryset=Program.objects.order_by("code"), required=False, to_field_name="code"
    )


class DonorRegisterForm(DonorDetailsForm):
    donor_type = forms.ChoiceField(label="Donor type", choices=DonorType.choices, initial=DonorType.VOLUNTEER)
    program = _program_field()
    not_a_duplicate = forms.BooleanField(
        label="I checked the donors listed above: this is a different person",
        required=False,
    )


class DonorEditForm(DonorDetailsForm):
    reason = forms.CharField(label="Reason for the change", max_length=300, required=False)


class DonorTypeChangeForm(forms.Form):
    donor_type = forms.ChoiceField(label="New donor type", choices=DonorType.choices)
    program = _program_field()
    effective_on = forms.DateField(label="From", widget=DATE)
    reason = forms.CharField(label="Reason", max_length=300, required=False)


class ConsentGiveForm(forms.Form):
    kind = forms.ChoiceField(label="Consent", choices=DonorConsent.Kind.choices)
    given_on = forms.DateField(label="Given on", widget=DATE)


class ConsentWithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label="Withdrawn on", widget=DATE)
    reason = forms.CharField(label="Reason", max_length=300, required=False)


class DonorMergeForm(forms.Form):
    survivor = forms.CharField(
        label="Survivor's donor number",
        max_length=12,
        help_text="The record that stays; this one is marked as merged into it.",
    )
    reason = forms.CharField(label="Reason", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
