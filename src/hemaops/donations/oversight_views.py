"""Pages of oversight: the medical director's telephone approvals to sign, the quality
officer's reportable reactions to review, and fixed sites' opening hours and closures.

Each write is one service call; a refusal is shown on the field it names, on the row's own
form, and the page answers 200 with nothing changed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hemaops.core.errors import DomainError
from hemaops.core.pages import form_error, page_actor, permission_page
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.donations import drive_services, oversight_selectors, oversight_services, selectors, services
from hemaops.donations.access import access_reaction_by_id, access_screening_override_by_id
from hemaops.donations.oversight_forms import (
    OpeningHoursForm,
    OverrideSignForm,
    ReactionReviewForm,
    SiteClosureForm,
)


def _refusals_without_a_row(bound: dict[int, Any] | None, rows: list[dict[str, Any]]) -> list[str]:
    """The errors of a bound form whose row shows no form (gone from the list, or already
    done), to show above the list."""
    shown = {id(row["form"]) for row in rows}
    return [
        error
        for form in (bound or {}).values()
        if id(form) not in shown
        for errors in form.errors.values()
        for error in errors
    ]


# --- the medical director's telephone approvals ---------------------------------------------


def _override_sign_form(pk: int, data: Any = None) -> OverrideSignForm:
    return OverrideSignForm(data, auto_id=f"id_override_{pk}_%s")


def _pending_page(request: HttpRequest, bound: dict[int, OverrideSignForm] | None = None) -> HttpResponse:
    overrides = selectors.override_list_pending(page_actor(request)).select_related(
        "recorded_by", "screening__site"
    )
    rows = []
    for override in overrides:
        reason: dict[str, Any] = next(
            (r for r in override.screening.reasons if r.get("code") == override.reason_code), {}
        )
        rows.append(
            {
                "override": override,
                "reason_message": reason.get("message", ""),
                "form": (bound or {}).get(override.pk) or _override_sign_form(override.pk),
            }
        )
    # A refusal about an override no longer on the list (signed meanwhile, another director's)
    # is shown above the list.
    refusals = _refusals_without_a_row(bound, rows)
    return render(request, "donations/oversight_overrides.html", {"rows": rows, "refusals": refusals})


@permission_page(services.OVERRIDE_PERMISSION)
def override_pending_list(request: HttpRequest) -> HttpResponse:
    return _pending_page(request)


@require_POST
@permission_page(services.OVERRIDE_PERMISSION)
def override_pending_sign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    override = access_screening_override_by_id(actor, pk)
    form = _override_sign_form(pk, request.POST)
    if form.is_valid():
        try:
            # Outside any transaction, so that a refusal stays recorded (signatures.py).
            signer = signer_verify(
                actor=actor,
                password=form.cleaned_data["password"],
                authenticated_by=INTERACTIVE,
                second_factor_code=form.cleaned_data["second_factor_code"],
            )
            services.screening_override_sign(actor=actor, signer=signer, override=override)
        except DomainError as error:
            if error.code == "signature_locked":
                error.field = "password"  # signing is locked: shown where the password is typed
            form_error(form, error)
        else:
            messages.success(
                request, f"Override of {override.reason_code} for {override.screening.donor} signed."
            )
            return redirect("donations:override_pending_list")
    return _pending_page(request, {pk: form})


# --- the quality officer's reportable reactions ---------------------------------------------


def _review_form(pk: int, data: Any = None) -> ReactionReviewForm:
    return ReactionReviewForm(data, auto_id=f"id_reaction_{pk}_%s")


def _reactions_page(request: HttpRequest, bound: dict[int, ReactionReviewForm] | None = None) -> HttpResponse:
    can_review = page_actor(request).has_perm(oversight_services.REVIEW_PERMISSION)
    rows = [
        {
            "reaction": reaction,
            "form": (
                ((bound or {}).get(reaction.pk) or _review_form(reaction.pk))
                if can_review and reaction.reviewed_at is None
                else None
            ),
        }
        for reaction in oversight_selectors.reaction_list_for_review()
    ]
    return render(
        request,
        "donations/oversight_reactions.html",
        {"rows": rows, "can_review": can_review, "refusals": _refusals_without_a_row(bound, rows)},
    )


@permission_page("donations.view_adversereaction")
def reaction_review_list(request: HttpRequest) -> HttpResponse:
    return _reactions_page(request)


@require_POST
@permission_page(oversight_services.REVIEW_PERMISSION)
def reaction_review(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    reaction = access_reaction_by_id(actor, pk)
    form = _review_form(pk, request.POST)
    if form.is_valid():
        try:
            oversight_services.adverse_reaction_review(
                actor=actor, reaction=reaction, note=form.cleaned_data["note"]
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"Reaction on {reaction.donation.din.din} reviewed.")
            return redirect("donations:reaction_review_list")
    return _reactions_page(request, {pk: form})


# --- fixed-site hours -----------------------------------------------------------------------


def _hours_page(request: HttpRequest, code: str = "", form: Any = None) -> HttpResponse:
    can_plan = page_actor(request).has_perm("donations.plan_drive")
    sites = []
    for entry in oversight_selectors.site_hours_list():
        bound = form if entry.site.code == code else None
        sites.append(
            {
                "entry": entry,
                "hours_form": bound
                if isinstance(bound, OpeningHoursForm)
                else OpeningHoursForm(auto_id=f"id_{entry.site.code}_hours_%s"),
                "closure_form": bound
                if isinstance(bound, SiteClosureForm)
                else SiteClosureForm(auto_id=f"id_{entry.site.code}_closure_%s"),
            }
        )
    return render(request, "donations/site_hours.html", {"sites": sites, "can_plan": can_plan})


@permission_page("donations.view_drives")
def site_hours(request: HttpRequest) -> HttpResponse:
    return _hours_page(request)


@require_POST
@permission_page("donations.plan_drive")
def site_hours_set(request: HttpRequest, code: str) -> HttpResponse:
    site = oversight_selectors.site_get_by_code(code)
    form = OpeningHoursForm(request.POST, auto_id=f"id_{code}_hours_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            drive_services.site_opening_hours_set(
                actor=page_actor(request),
                site=site,
                weekday=data["weekday"],
                opens=data["opens"],
                closes=data["closes"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            day = oversight_selectors.WEEKDAYS[data["weekday"]]
            messages.success(
                request, f"{site.name}: open {day} {data['opens']:%H:%M}–{data['closes']:%H:%M}."
            )
            return redirect("donations:site_hours")
    return _hours_page(request, code, form)


@require_POST
@permission_page("donations.plan_drive")
def site_closure_add(request: HttpRequest, code: str) -> HttpResponse:
    site = oversight_selectors.site_get_by_code(code)
    form = SiteClosureForm(request.POST, auto_id=f"id_{code}_closure_%s")
    if form.is_valid():
        try:
            closure = drive_services.site_closure_add(
                actor=page_actor(request),
                site=site,
                day=form.cleaned_data["date"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"{site.name}: closed on {closure.date:%Y-%m-%d}.")
            return redirect("donations:site_hours")
    return _hours_page(request, code, form)
