"""Pages of screening (with the live decision while the screener types, and the recorded
decision with its reasons), the director's override, donation entry and reaction entry.
Each write is one service call; the live decision evaluates without saving anything."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hemaops.core.errors import DomainError
from hemaops.core.models import User
from hemaops.core.pages import field_message, form_error, page_actor, permission_page
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.donations import rules, selectors, services
from hemaops.donations.access import access_donation_by_id, access_screening_by_id
from hemaops.donations.collection_forms import (
    DonationForm,
    OverrideForm,
    ReactionForm,
    ScreeningForm,
)
from hemaops.donations.drive_selectors import drives_today
from hemaops.donations.drive_services import site_today
from hemaops.donations.models import Donation, Screening
from hemaops.donations.models.collection import OUTCOMES
from hemaops.donors.access import access_donor_by_number

_OUTCOME_LABELS = dict(OUTCOMES)
# What the DIN parser and the label-stock check name, shown on the form's one DIN field.
_DIN_FIELDS = {"check_character": "din", "sequence": "din", "facility": "din", "flags": "din"}


def _screening_initial(request: HttpRequest) -> dict[str, Any]:
    """The day board's "Screen" link: ``?donor=D0000001&drive=7`` (the site follows the drive)."""
    initial: dict[str, Any] = {}
    if request.GET.get("donor"):
        initial["donor"] = request.GET["donor"].strip()[:12]
    drive_id = request.GET.get("drive", "")
    drive = next((drive for drive in drives_today() if str(drive.pk) == drive_id), None)
    if drive is not None:
        initial["drive"] = drive.pk
        initial["site"] = drive.site.code
    elif request.GET.get("site"):
        initial["site"] = request.GET["site"]
    return initial


def _screening_error(form: ScreeningForm, error: DomainError) -> None:
    field = (error.field or "").removeprefix("vitals.")
    if field in form.fields:
        form.add_error(field, field_message(error))
    else:
        form.add_error(None, error.message)


def _field_label(form: ScreeningForm, name: str) -> str:
    field = form.fields.get(name)
    return str(field.label or name) if field is not None else "Form"


def _live_decision(request: HttpRequest, form: ScreeningForm) -> HttpResponse:
    """The decision the engine would give with what is typed so far; nothing is saved."""
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        try:
            evaluated = services.screening_evaluate(
                donor=access_donor_by_number(page_actor(request), data["donor"]),
                site=data["site"],
                on=site_today(data["site"]),
                procedure=data["procedure"],
                donation_type=data["donation_type"] or None,
                vitals=form.vitals(),
                answers=form.answers_list(),
            )
        except DomainError as error:
            context["problem"] = error.message
        else:
            drive = data["drive"]
            if drive is not None and drive.site_id != data["site"].pk:
                context["drive_problem"] = (
                    f"Mobile drive: the drive of {drive.host_organization} is held at {drive.site.code}, "
                    f"not at {data['site'].code}; saving will be refused."
                )
            decision = evaluated.decision
            context["live"] = {
                "outcome": decision.outcome.value,
                "label": _OUTCOME_LABELS.get(decision.outcome.value, decision.outcome.value),
                "eligible_on": decision.eligible_on,
                "reasons": [services.reason_to_json(reason) for reason in decision.reasons],
            }
    else:
        context["problem"] = "; ".join(
            f"{_field_label(form, name)}: {' '.join(str(error) for error in errors)}"
            for name, errors in form.errors.items()
        )
    return render(request, "donations/screening_new.html#decision", context)


@permission_page("donations.add_screening")
def screening_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = ScreeningForm(initial=_screening_initial(request))
        return render(request, "donations/screening_new.html", {"form": form})
    form = ScreeningForm(request.POST)
    if request.headers.get("HX-Request"):
        return _live_decision(request, form)
    if form.is_valid():
        actor = page_actor(request)
        try:
            screening = services.screening_record(
                actor=actor,
                donor=access_donor_by_number(actor, form.cleaned_data["donor"]),
                site=form.cleaned_data["site"],
                procedure=form.cleaned_data["procedure"],
                donation_type=form.cleaned_data["donation_type"] or None,
                vitals=form.vitals(),
                answers=form.answers_list(),
                drive=form.cleaned_data["drive"],
            )
        except DomainError as error:
            _screening_error(form, error)
        else:
            return redirect("donations:screening_detail", pk=screening.pk)
    return render(request, "donations/screening_new.html", {"form": form})


def _detail(
    request: HttpRequest, screening: Screening, override_form: OverrideForm | None = None
) -> HttpResponse:
    overrides = {override.reason_code: override for override in screening.overrides.all()}
    return render(
        request,
        "donations/screening_detail.html",
        {
            "screening": screening,
            "reasons": [
                {**reason, "override": overrides.get(reason["code"])} for reason in screening.reasons
            ],
            "come_back": selectors.screening_come_back(screening),
            "can_override": page_actor(request).has_perm(services.OVERRIDE_PERMISSION),
            "can_collect": page_actor(request).has_perm("donations.add_donation"),
            "override_form": override_form,
            "donation": getattr(screening, "donation", None),
        },
    )


@permission_page("donations.view_screening")
def screening_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, access_screening_by_id(page_actor(request), pk))


@require_POST
@permission_page(services.OVERRIDE_PERMISSION)
def screening_override(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    screening = access_screening_by_id(actor, pk)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            # Outside any transaction, so that a refusal stays recorded (signatures.py).
            signer = signer_verify(
                actor=actor,
                password=form.cleaned_data["password"],
                authenticated_by=INTERACTIVE,
                second_factor_code=form.cleaned_data["second_factor_code"],
            )
            services.screening_override(
                actor=actor,
                signer=signer,
                screening=screening,
                reason_code=form.cleaned_data["reason_code"],
                justification=form.cleaned_data["justification"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, "Override signed.")
            return redirect("donations:screening_detail", pk=pk)
    return _detail(request, access_screening_by_id(actor, pk), form)


def _refusal(screening: Screening) -> dict[str, Any] | None:
    """Why the screening's decision does not allow collection, and when the donor may come
    back; ``None`` when it does (or every blocking reason is overridden)."""
    if screening.collection_allowed:
        return None
    overridden = {override.reason_code for override in screening.overrides.all()}
    return {
        "outcome": screening.get_outcome_display(),
        "reasons": [r for r in services.blocking_reasons(screening) if r["code"] not in overridden],
        "come_back": selectors.screening_come_back(screening),
    }


@permission_page("donations.add_donation")
def donation_new(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    screening = access_screening_by_id(actor, pk)
    # The phlebotomist reads and types times on the site's clock, wherever the server runs.
    with timezone.override(zoneinfo.ZoneInfo(screening.site.time_zone)):
        return _donation_form(request, actor, screening)


def _donation_form(request: HttpRequest, actor: User, screening: Screening) -> HttpResponse:
    now = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
    form = DonationForm(
        request.POST or None, initial={"started_at": now, "ended_at": now, "outcome": "complete"}
    )
    for name in ("started_at", "ended_at"):
        form.fields[name].help_text = f"Site time ({screening.site.time_zone})."
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            donation = services.donation_record_scanned(
                actor=actor,
                screening=screening,
                raw_din=data["din"],
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                volume_ml=data["volume_ml"],
                bag_lot=data["bag_lot"],
                outcome=data["outcome"],
            )
        except DomainError as error:
            form_error(form, error, _DIN_FIELDS)
        else:
            messages.success(request, f"Donation {donation.din.din} recorded.")
            return redirect("donations:donation_detail", pk=donation.pk)
    return render(
        request,
        "donations/donation_new.html",
        {
            "form": form,
            "screening": screening,
            "refusal": _refusal(screening),
            "donation": Donation.objects.filter(screening=screening).select_related("din").first(),
        },
    )


@permission_page("donations.view_donation")
def donation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    donation = access_donation_by_id(page_actor(request), pk)
    unit = rules.UnitClass(rules.Classification(donation.donor_classification), donation.collection_type)
    return render(
        request,
        "donations/donation_detail.html",
        {
            "donation": donation,
            "unit": unit,
            "collection_type": rules.COLLECTION_TYPE_NAMES.get(donation.collection_type, ""),
            "drive": donation.screening.drive,
        },
    )


@permission_page("donations.add_adversereaction")
def reaction_new(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    donation = access_donation_by_id(actor, pk)
    form = ReactionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.adverse_reaction_record(actor=actor, donation=donation, **form.cleaned_data)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, "Reaction recorded.")
            return redirect("donations:donation_detail", pk=pk)
    return render(request, "donations/reaction_new.html", {"form": form, "donation": donation})
