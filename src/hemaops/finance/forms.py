"""Forms of the ledger pages. Amounts stay text here: the ledger's ``to_money`` is the one
place that decides what an amount is, and its message names the line and side."""

from __future__ import annotations

from typing import Any

from django import forms

LINE_ROWS = 6


class JournalEntryForm(forms.Form):
    entry_date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    memo = forms.CharField(label="Memo", max_length=300, help_text="What the entry is for.")


class JournalLineForm(forms.Form):
    """One row of a manual entry; a row left blank is ignored."""

    account = forms.ChoiceField(label="Account", required=False)
    program = forms.ChoiceField(label="Program", required=False)
    debit = forms.CharField(
        label="Debit",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00", "class": "num"}),
    )
    credit = forms.CharField(
        label="Credit",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00", "class": "num"}),
    )

    def __init__(
        self,
        *args: Any,
        account_choices: list[tuple[str, str]],
        program_choices: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "—"), *account_choices]
        self.fields["program"].choices = [("", "—"), *program_choices]

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(data.get(name) for name in ("account", "program", "debit", "credit"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("account") and any(data.get(name) for name in ("program", "debit", "credit")):
            self.add_error("account", "Choose an account for this line, or clear the line.")
        return data


def line_forms(
    data: Any, *, account_choices: list[tuple[str, str]], program_choices: list[tuple[str, str]]
) -> list[JournalLineForm]:
    """The fixed rows of the manual entry form, prefixed ``lines-0`` … ``lines-5``."""
    return [
        JournalLineForm(
            data,
            prefix=f"lines-{index}",
            account_choices=account_choices,
            program_choices=program_choices,
        )
        for index in range(LINE_ROWS)
    ]


class RejectForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500)


class ReverseForm(forms.Form):
    entry_date = forms.DateField(
        label="Date of the reversal",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="In an open period.",
    )
    reason = forms.CharField(label="Reason", max_length=250)


class PeriodSignForm(forms.Form):
    """Close or reopen a period: the signer re-enters the password (21 CFR 11.200(a)(1))."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    second_factor_code = forms.CharField(
        label="One-time code",
        required=False,
        max_length=10,
        help_text="From your authenticator app, when you have one.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    reason = forms.CharField(
        label="Reason", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
