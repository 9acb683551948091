"""Pages of recruitment lists: the filter form with the list and its counts, and the same
list as a CSV file for calling or mail merge. Both read one selector
(``hemaops.donations.recruitment.recruitment_list``); a bad filter is shown on its field,
or answers 400 for the CSV."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hemaops.core.errors import DomainError
from hemaops.core.models import Site
from hemaops.core.pages import form_error, page_actor, permission_page
from hemaops.donations.models import Drive
from hemaops.donations.recruitment import (
    RecruitmentList,
    csv_filename,
    csv_write,
    default_day,
    recruitment_export_record,
    recruitment_list,
)
from hemaops.donors.configuration import procedure_label
from hemaops.donors.models import Donor, DonorType
from hemaops.donors.rules import Procedure

PERMISSION = "donations.view_recruitment_list"
PAGE_ROWS = 500  # the page shows this many; the CSV has them all
_ANY = [("", "Any")]
_DATE = forms.DateInput(attrs={"type": "date"})
_ISO_DATE = ["%Y-%m-%d"]  # what a date input sends; 01/12/2026 is ambiguous across the world


class RecruitmentFilterForm(forms.Form):
    on = forms.DateField(
        label="Eligible on",
        required=False,
        widget=_DATE,
        input_formats=_ISO_DATE,
        help_text="Defaults to the drive's day, else today in the site's time zone.",
    )
    procedure = forms.ChoiceField(
        label="Procedure",
        choices=[(procedure.value, procedure_label(procedure).capitalize()) for procedure in Procedure],
        initial=Procedure.WHOLE_BLOOD.value,
    )
    abo = forms.ChoiceField(label="ABO", choices=_ANY + Donor.AboGroup.choices, required=False)
    rhd = forms.ChoiceField(label="RhD", choices=_ANY + Donor.RhD.choices, required=False)
    donor_type = forms.ChoiceField(label="Donor type", choices=_ANY + DonorType.choices, required=False)
    last_donation_before = forms.DateField(
        label="Last donation before",
        required=False,
        widget=_DATE,
        input_formats=_ISO_DATE,
        help_text="Donors who have not given since (never-given donors included).",
    )
    drive = forms.ModelChoiceField(queryset=Drive.objects.none(), label="Distance from drive", required=False)
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(), to_field_name="code", label="or from site", required=False
    )
    within_km = forms.FloatField(label="Within (km)", required=False, min_value=0.1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["drive"].queryset = (  # type: ignore[attr-defined]
            Drive.objects.filter(
                date__gte=today - timedelta(days=1),
                status__in=[Drive.Status.PLANNED, Drive.Status.CONFIRMED],
            )
            .select_related("site")
            .order_by("date", "starts_at", "pk")
        )
        self.fields["site"].queryset = Site.objects.filter(  # type: ignore[attr-defined]
            is_active=True, kind__in=[Site.Kind.FIXED_COLLECTION, Site.Kind.MOBILE_UNIT]
        ).order_by("code")
        self.fields["drive"].label_from_instance = (  # type: ignore[attr-defined]
            lambda drive: f"{drive.date} {drive.host_organization} ({drive.site.name})"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("drive") and data.get("site"):
            self.add_error("site", "Choose a drive or a site, not both.")
        return data

    def near_site(self) -> Site | None:
        drive = self.cleaned_data.get("drive")
        return drive.site if drive is not None else self.cleaned_data.get("site")

    def day(self) -> date:
        return default_day(self.cleaned_data.get("on"), self.cleaned_data.get("drive"), self.near_site())


def _listing(form: RecruitmentFilterForm, limit: int | None) -> RecruitmentList | None:
    """The list for a valid form, or None with the selector's refusal put on its field."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return recruitment_list(
            on=form.day(),
            procedure=data["procedure"],
            abo=data["abo"] or None,
            rhd=data["rhd"] or None,
            donor_type=data["donor_type"] or None,
            last_donation_before=data["last_donation_before"],
            near_site=form.near_site(),
            within_km=data["within_km"],
            limit=limit,
        )
    except DomainError as error:
        form_error(form, error, {"near_site": "drive" if data.get("drive") else "site"})
        return None


@permission_page(PERMISSION)
def recruitment_list_page(request: HttpRequest) -> HttpResponse:
    submitted = bool(request.GET)
    form = RecruitmentFilterForm(request.GET if submitted else None)
    listing = _listing(form, PAGE_ROWS) if submitted else None
    return render(
        request,
        "donations/recruitment_list.html",
        {"form": form, "listing": listing, "query": request.GET.urlencode(), "page_rows": PAGE_ROWS},
    )


@permission_page(PERMISSION)
def recruitment_csv(request: HttpRequest) -> HttpResponse:
    form = RecruitmentFilterForm(request.GET)
    listing = _listing(form, None)
    if listing is None:
        lines = [
            f"{name}: {' '.join(str(error) for error in errors)}" for name, errors in form.errors.items()
        ]
        return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")
    recruitment_export_record(actor=page_actor(request), listing=listing, way="page")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(listing)}"'
    csv_write(listing, response)
    return response
