"""Forms of the oversight pages: signing a telephone override, reviewing a reportable
reaction, setting a fixed site's hours on a weekday and adding a closure.

Several of one form sit on a page (one per row); their fields keep plain names, so that a
refusal lands on the named field, and each form gets its own ``auto_id`` so that labels and
ids stay unique on the page."""

from __future__ import annotations

from django import forms

from hemaops.donations.oversight_selectors import WEEKDAYS


class OverrideSignForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, help_text="Re-enter your password to sign.")
    second_factor_code = forms.CharField(
        required=False, label="One-time code", widget=forms.TextInput(attrs={"autocomplete": "one-time-code"})
    )


class ReactionReviewForm(forms.Form):
    note = forms.CharField(
        label="Review note",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was decided: reported to the FDA, investigated and closed, …",
    )


class OpeningHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label="Day", choices=[(str(day), name) for day, name in enumerate(WEEKDAYS)], coerce=int
    )
    opens = forms.TimeField(label="Opens (site time)", widget=forms.TimeInput(attrs={"type": "time"}))
    closes = forms.TimeField(label="Closes (site time)", widget=forms.TimeInput(attrs={"type": "time"}))


class SiteClosureForm(forms.Form):
    date = forms.DateField(label="Closed on", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="Reason", max_length=200)
