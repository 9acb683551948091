"""Forms of the screening, override, donation and reaction pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from hemaops.donations.drive_selectors import drives_today
from hemaops.donations.forms import _SiteForm
from hemaops.donations.models import AdverseReaction, Donation, Drive
from hemaops.donations.models.collection import DONATION_TYPES, PROCEDURES

_NUMBER_VITALS = [
    ("weight_kg", "Weight (kg)"),
    ("temperature_c", "Temperature (°C)"),
    ("systolic_mm_hg", "Systolic (mm Hg)"),
    ("diastolic_mm_hg", "Diastolic (mm Hg)"),
    ("pulse_bpm", "Pulse (bpm)"),
    ("hemoglobin_g_dl", "Hemoglobin (g/dL)"),
    ("hematocrit_pct", "Hematocrit (%)"),
    ("platelet_count_k_per_ul", "Platelet count (×10³/µL)"),
    ("height_cm", "Height (cm)"),
]
_YES_NO = [("", "—"), ("yes", "Yes"), ("no", "No")]
_BOOLEAN_VITALS = [
    ("pulse_regular", "Pulse regular"),
    ("phlebotomy_site_ok", "Phlebotomy site acceptable"),
    ("injection_drug_signs", "Signs of injected drugs"),
]


if TYPE_CHECKING:
    _ModelChoice = forms.ModelChoiceField[Drive]
else:  # Django's form fields are not subscriptable at run time
    _ModelChoice = forms.ModelChoiceField


class _DriveChoice(_ModelChoice):
    def label_from_instance(self, obj: Drive) -> str:
        return f"{obj.host_organization} — {obj.site.name} ({obj.site.code}), {obj.program.name}"


class ScreeningForm(_SiteForm):
    donor = forms.CharField(label="Donor number", max_length=12)
    drive = _DriveChoice(
        queryset=Drive.objects.none(),
        required=False,
        label="Mobile drive",
        empty_label="None (screened at the site itself)",
        help_text="The drive the donor came to today; its units go to the drive's program.",
    )
    procedure = forms.ChoiceField(choices=PROCEDURES)
    donation_type = forms.ChoiceField(
        choices=[("", "From the donor's type"), *DONATION_TYPES], required=False
    )
    hemoglobin_sample = forms.ChoiceField(
        choices=[
            ("", "—"),
            ("fingerstick", "Fingerstick"),
            ("venous", "Venous"),
            ("noninvasive", "Non-invasive"),
        ],
        required=False,
    )
    answers = forms.CharField(
        label="Health-history events",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: code date [hours], e.g. malaria_area_return 2025-01-10",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["drive"].queryset = Drive.objects.filter(  # type: ignore[attr-defined]
            pk__in=[drive.pk for drive in drives_today()]
        ).select_related("site", "program")
        for name, label in _NUMBER_VITALS:
            self.fields[name] = forms.DecimalField(label=label, required=False)
        for name, label in _BOOLEAN_VITALS:
            self.fields[name] = forms.ChoiceField(label=label, choices=_YES_NO, required=False)
        self.fields["healthy_athlete"] = forms.BooleanField(label="Healthy athlete", required=False)

    def vitals(self) -> dict[str, Any]:
        data = self.cleaned_data
        vitals: dict[str, Any] = {
            name: float(data[name]) for name, _ in _NUMBER_VITALS if data[name] is not None
        }
        for name, _ in _BOOLEAN_VITALS:
            if data[name]:
                vitals[name] = data[name] == "yes"
        if data["healthy_athlete"]:
            vitals["healthy_athlete"] = True
        if data["hemoglobin_sample"]:
            vitals["hemoglobin_sample"] = data["hemoglobin_sample"]
        return vitals

    def answers_list(self) -> list[dict[str, Any]]:
        answers: list[dict[str, Any]] = []
        for line in self.cleaned_data["answers"].splitlines():
            parts = line.split()
            if not parts:
                continue
            entry: dict[str, Any] = {"code": parts[0], "date": parts[1] if len(parts) > 1 else None}
            if len(parts) > 2:
                try:
                    entry["hours"] = float(parts[2])
                except ValueError:
                    entry["hours"] = parts[2]
            answers.append(entry)
        return answers


class OverrideForm(forms.Form):
    reason_code = forms.CharField(widget=forms.HiddenInput)
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(widget=forms.PasswordInput, help_text="Re-enter your password to sign.")
    second_factor_code = forms.CharField(required=False, label="One-time code")


class DonationForm(forms.Form):
    din = forms.CharField(
        label="DIN",
        max_length=40,
        help_text="Scan the label set's bar code, or type the DIN, a space and the boxed check character.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    started_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ended_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    volume_ml = forms.IntegerField(label="Volume (mL)")
    bag_lot = forms.CharField(label="Bag lot", max_length=60)
    outcome = forms.ChoiceField(choices=Donation.Outcome.choices)


class ReactionForm(forms.Form):
    kind = forms.ChoiceField(choices=AdverseReaction.Kind.choices)
    severity = forms.ChoiceField(choices=AdverseReaction.Severity.choices)
    care_given = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    reportable = forms.BooleanField(required=False, help_text="Severe reactions are always reportable.")
