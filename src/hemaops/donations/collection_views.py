"""Pages of screening (with the decision and its reasons), the director's override,
donation entry and reaction entry. Each write is one service call."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hemaops.core.errors import DomainError
from hemaops.core.pages import field_message, form_error, page_actor, permission_page
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.donations import selectors, services
from hemaops.donations.access import access_donation_by_id, access_screening_by_id
from hemaops.donations.collection_forms import DonationForm, OverrideForm, ReactionForm, ScreeningForm
from hemaops.donations.models import Screening
from hemaops.donors.access import access_donor_by_number


@permission_page("donations.add_screening")
def screening_new(request: HttpRequest) -> HttpResponse:
    form = ScreeningForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
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
            )
        except DomainError as error:
            field = (error.field or "").removeprefix("vitals.")
            if field in form.fields:
                form.add_error(field, field_message(error))
            else:
                form.add_error(None, error.message)
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


@permission_page("donations.add_donation")
def donation_new(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    screening = access_screening_by_id(actor, pk)
    now = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
    form = DonationForm(
        request.POST or None, initial={"started_at": now, "ended_at": now, "outcome": "complete"}
    )
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
            form_error(form, error)
        else:
            messages.success(request, f"Donation {donation.din.din} recorded.")
            return redirect("donations:donation_detail", pk=donation.pk)
    return render(request, "donations/donation_new.html", {"form": form, "screening": screening})


@permission_page("donations.view_donation")
def donation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    donation = access_donation_by_id(page_actor(request), pk)
    return render(request, "donations/donation_detail.html", {"donation": donation})


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
