"""Forms of the laboratory's pages. Each field is named as the service's field, so that a
refusal lands next to what was typed (``hemaops.core.pages.form_error``)."""

from __future__ import annotations

from django import forms

from hemaops.lab import rules

_MARKERS = [(marker.value, marker.value.replace("_", " ")) for marker in rules.Marker]
_STAGES = [(stage.value, stage.value) for stage in rules.Stage]
_READINGS = [(reading.value, reading.value) for reading in rules.Reading]


class ResultFileForm(forms.Form):
    file = forms.FileField(help_text="The instrument's CSV export (docs/lab-result-file.md).")


class DinFindForm(forms.Form):
    din = forms.CharField(
        label="DIN",
        max_length=40,
        help_text="Scan the sample's bar code, or type the DIN and the boxed check character.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class ResultEntryForm(forms.Form):
    din = forms.CharField(
        label="DIN",
        max_length=40,
        help_text="Scan the sample's bar code, or type the DIN and the boxed check character.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    marker = forms.ChoiceField(choices=_MARKERS)
    stage = forms.ChoiceField(choices=_STAGES)
    reading = forms.ChoiceField(choices=_READINGS)
    value = forms.CharField(
        max_length=20, required=False, help_text="ABO group (A, B, AB, O), RhD pos/neg, weak_d_pos/neg …"
    )
    instrument = forms.CharField(max_length=100, required=False)
    run_id = forms.CharField(label="Run", max_length=100, required=False)


class HoldForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="Why the donation is held.")


class HoldLiftForm(forms.Form):
    reason = forms.CharField(max_length=500, help_text="Why the hold is lifted.")


class SignForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, help_text="Re-enter your password to sign.")
    second_factor_code = forms.CharField(required=False, label="One-time code")


class ReleaseForm(SignForm):
    """The signature of a batch release; the page's checkboxes (``donations``, donation ids)
    are read by the view, and a refusal about them is shown on ``donations``."""

    donations = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    reason = forms.CharField(max_length=500, required=False, label="Note")

    field_order = ["donations", "reason", "password", "second_factor_code"]


class DiscrepancyForm(SignForm):
    abo = forms.ChoiceField(label="ABO", choices=[(group, group) for group in sorted(rules.ABO_GROUPS)])
    rhd = forms.ChoiceField(label="RhD", choices=[("pos", "pos"), ("neg", "neg")])
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="What the investigation found."
    )

    field_order = ["abo", "rhd", "reason", "password", "second_factor_code"]


class NotificationDoneForm(forms.Form):
    how = forms.CharField(max_length=200, help_text="Letter, telephone, counselling visit.")


class SpecialTestForm(forms.Form):
    test = forms.ChoiceField(
        choices=[
            ("cmv_antibody", "CMV antibody"),
            ("hemoglobin_s", "Hemoglobin S"),
            ("hla_antibody", "HLA antibodies (TRALI risk reduction)"),
            ("red_cell_antigens", "Red cell antigens"),
        ]
    )
    result = forms.CharField(
        max_length=200, help_text="negative or positive; antigens as typed, e.g. C+ c+ E- e+ K-"
    )


class BacterialControlForm(forms.Form):
    method = forms.ChoiceField(
        label="Bacterial risk control done",
        choices=[
            ("primary_culture", "Primary culture (5-day platelets)"),
            ("lvds", "Large-volume delayed sampling (7-day platelets)"),
            ("secondary_test", "Primary culture and a secondary test (7-day platelets)"),
            ("pathogen_reduction", "Pathogen reduction"),
        ],
    )
