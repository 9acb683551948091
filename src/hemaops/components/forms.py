"""Forms of the components pages. Each field is named as the service's field, so that a
refusal lands next to what was typed (``hemaops.core.pages.form_error``)."""

from __future__ import annotations

from django import forms

from hemaops.components.models import Product, StorageLocation, TemperatureExcursion
from hemaops.components.rules.lifecycle import Disposition

_DIN_HELP = "Scan the bag's DIN bar code, or type the DIN and the boxed check character."


def _din_field(**attrs: object) -> forms.CharField:
    return forms.CharField(
        label="DIN",
        max_length=40,
        help_text=_DIN_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )


class CollectForm(forms.Form):
    """The units a collection yields: the DIN, then a product its procedure collects."""

    din = _din_field(autofocus=True)
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True, made_from__isnull=True).exclude(procedure=""),
        to_field_name="code",
        help_text="Collected by the donation's procedure.",
    )
    parts = forms.IntegerField(
        min_value=1, max_value=4, initial=1, help_text="2 or more divides it (A0, B0 …)."
    )
    volume_ml = forms.IntegerField(label="Volume (mL)", min_value=1, max_value=2000, required=False)


class ProcessForm(forms.Form):
    """What to make from one unit: the products the catalogue makes from its product."""

    products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(), to_field_name="code", widget=forms.CheckboxSelectMultiple
    )
    parts = forms.IntegerField(
        min_value=1, max_value=4, initial=1, help_text="Splitting only: how many parts."
    )
    volume_ml = forms.IntegerField(label="Volume (mL)", min_value=1, max_value=2000, required=False)

    def __init__(self, *args: object, made_from: Product | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["products"].queryset = Product.objects.filter(is_active=True, made_from=made_from)


class PoolForm(forms.Form):
    units = forms.CharField(
        label="Members",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One member a line: its DIN and its product code (e.g. =W000125000001 A0012V00).",
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True, process="pooling"),
        to_field_name="code",
        help_text="The pool product.",
    )

    def clean_units(self) -> list[tuple[str, str]]:
        members = []
        for number, raw in enumerate(self.cleaned_data["units"].splitlines(), start=1):
            parts = raw.replace(",", " ").split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(f"Line {number}: give the DIN and the product code.")
            members.append((parts[0], parts[1]))
        if not members:
            raise forms.ValidationError("Name the units to pool.")
        return members


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500)


class DiscardForm(forms.Form):
    disposition = forms.ChoiceField(
        choices=[
            (d.value, d.value.replace("_", " "))
            for d in Disposition
            if d is not Disposition.USED_IN_MODIFICATION
        ],
        initial=Disposition.DISCARDED.value,
    )
    reason = forms.CharField(max_length=500, required=False)


class StoreForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=StorageLocation.objects.filter(is_active=True).select_related("site")
    )


class VerifyForm(forms.Form):
    """One input a bar code: a scanner types its data and presses Enter."""

    din = forms.CharField(label="DIN bar code", max_length=60, required=False)
    blood_group = forms.CharField(label="Blood group bar code", max_length=60, required=False)
    product_code = forms.CharField(label="Product code bar code", max_length=60, required=False)
    expiry = forms.CharField(label="Expiry bar code", max_length=60, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for field in self.fields.values():
            field.widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["din"].widget.attrs["autofocus"] = True

    def scans(self) -> list[str]:
        return [self.cleaned_data.get(name, "") for name in ("din", "blood_group", "product_code", "expiry")]


class PickForm(forms.Form):
    product = forms.CharField(max_length=5)
    abo = forms.ChoiceField(label="ABO", choices=[(g, g) for g in ("O", "A", "B", "AB")])
    rhd = forms.ChoiceField(label="RhD", choices=[("pos", "pos"), ("neg", "neg")])
    count = forms.IntegerField(min_value=1, max_value=200, initial=1)


class FileForm(forms.Form):
    file = forms.FileField()


class ExcursionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (
                TemperatureExcursion.Decision.UNITS_RELEASED.value,
                TemperatureExcursion.Decision.UNITS_RELEASED.label,
            ),
            (
                TemperatureExcursion.Decision.UNITS_DISCARDED.value,
                TemperatureExcursion.Decision.UNITS_DISCARDED.label,
            ),
        ]
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="What the decision rests on.")
