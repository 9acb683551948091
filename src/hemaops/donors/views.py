"""Pages of the donor registry: search, registration (with duplicate candidates), the
donor's record, changes, donor type, consents and merging.

Each donor is loaded through ``access_donor_by_id``; each write is one service call.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hemaops.core.errors import DomainError, NotFoundError
from hemaops.core.pages import field_message, form_error, page_actor, permission_page
from hemaops.donors import selectors, services
from hemaops.donors.access import access_donor_by_id, access_donor_by_number, access_donor_consent_by_id
from hemaops.donors.forms import (
    ConsentGiveForm,
    ConsentWithdrawForm,
    DonorEditForm,
    DonorMergeForm,
    DonorRegisterForm,
    DonorSearchForm,
    DonorTypeChangeForm,
)
from hemaops.donors.models import Donor
from hemaops.donors.services import DonorDetails, DuplicateDonorError

PAGE_SIZE = 25


def _permissions(request: HttpRequest) -> dict[str, bool]:
    user = page_actor(request)
    return {
        "can_register": user.has_perm("donors.add_donor"),
        "can_change": user.has_perm("donors.change_donor"),
        "can_merge": user.has_perm("donors.merge_donor"),
    }


# --- search and record ------------------------------------------------------------------


@permission_page("donors.view_donor")
def donor_list(request: HttpRequest) -> HttpResponse:
    form = DonorSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.donor_list_search(query), PAGE_SIZE).get_page(request.GET.get("page"))
    current = selectors.donor_type_current_by_donor([donor.pk for donor in page])
    rows = [(donor, current.get(donor.pk)) for donor in page]
    context = {"form": form, "query": query, "page": page, "rows": rows, **_permissions(request)}
    template = "donors/donor_list.html"
    if request.headers.get("HX-Request"):
        template += "#results"
    return render(request, template, context)


@permission_page("donors.view_donor")
def donor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    donor = selectors.donor_get_detail(access_donor_by_id(page_actor(request), pk))
    periods = list(donor.type_periods.all())
    own_periods = [period for period in periods if period.merged_from_id is None]
    context = {
        "donor": donor,
        "periods": periods,
        "current_period": next((p for p in own_periods if p.ended_on is None), None),
        "consents": list(donor.consents.all()),
        "duplicates": list(donor.merged_duplicates.all()),
        "withdraw_form": ConsentWithdrawForm(initial={"withdrawn_on": timezone.localdate()}),
        **_permissions(request),
    }
    return render(request, "donors/donor_detail.html", context)


# --- registration and changes -----------------------------------------------------------


@permission_page("donors.add_donor")
def donor_register(request: HttpRequest) -> HttpResponse:
    form = DonorRegisterForm(request.POST or None)
    candidates: list[Donor] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            donor = services.donor_register(
                actor=page_actor(request),
                details=form.details(),
                donor_type=data["donor_type"],
                program=data["program"],
                not_a_duplicate=data["not_a_duplicate"],
            )
        except DuplicateDonorError as error:
            candidates = error.candidates
            form.add_error(
                "not_a_duplicate",
                "Donors with this date of birth and a similar name are registered (listed above). "
                "Open them; if this is a different person, tick the box and register again.",
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"Registered donor {donor.donor_number}.")
            return redirect("donors:donor_detail", pk=donor.pk)
    current = selectors.donor_type_current_by_donor([donor.pk for donor in candidates])
    return render(
        request,
        "donors/donor_register.html",
        {"form": form, "candidates": [(donor, current.get(donor.pk)) for donor in candidates]},
    )


def _details_initial(donor: Donor) -> dict[str, Any]:
    return {name: getattr(donor, name) for name in services.IDENTITY_FIELDS}


@permission_page("donors.change_donor")
def donor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    donor = access_donor_by_id(page_actor(request), pk)
    form = DonorEditForm(request.POST or None, initial=_details_initial(donor))
    if request.method == "POST" and form.is_valid():
        details: DonorDetails = form.details()
        try:
            services.donor_change(
                actor=page_actor(request), donor=donor, details=details, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"Saved the changes to {donor.donor_number}.")
            return redirect("donors:donor_detail", pk=donor.pk)
    return render(request, "donors/donor_edit.html", {"form": form, "donor": donor})


@permission_page("donors.change_donor")
def donor_type_change(request: HttpRequest, pk: int) -> HttpResponse:
    donor = access_donor_by_id(page_actor(request), pk)
    current = services.donor_type_current(donor)
    form = DonorTypeChangeForm(request.POST or None, initial={"effective_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            period = services.donor_type_change(
                actor=page_actor(request),
                donor=donor,
                donor_type=data["donor_type"],
                program=data["program"],
                effective_on=data["effective_on"],
                reason=data["reason"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            if current is not None and period.pk == current.pk:
                messages.info(request, f"{donor.donor_number} is already {period.get_donor_type_display()}.")
            else:
                messages.success(
                    request,
                    f"{donor.donor_number} is {period.get_donor_type_display()} from {period.started_on}.",
                )
            return redirect("donors:donor_detail", pk=donor.pk)
    return render(
        request, "donors/donor_type_change.html", {"form": form, "donor": donor, "current": current}
    )


@permission_page("donors.change_donor")
def consent_give(request: HttpRequest, pk: int) -> HttpResponse:
    donor = access_donor_by_id(page_actor(request), pk)
    form = ConsentGiveForm(request.POST or None, initial={"given_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.donor_consent_give(
                actor=page_actor(request),
                donor=donor,
                kind=form.cleaned_data["kind"],
                given_on=form.cleaned_data["given_on"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request, f"{consent.get_kind_display()} consent in force since {consent.given_on}."
            )
            return redirect("donors:donor_detail", pk=donor.pk)
    return render(request, "donors/consent_give.html", {"form": form, "donor": donor})


@require_POST
@permission_page("donors.change_donor")
def consent_withdraw(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    consent = access_donor_consent_by_id(page_actor(request), pk, consent_pk)
    form = ConsentWithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date of the withdrawal.")
        return redirect("donors:donor_detail", pk=pk)
    try:
        services.donor_consent_withdraw(
            actor=page_actor(request),
            consent=consent,
            withdrawn_on=form.cleaned_data["withdrawn_on"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        messages.error(request, field_message(error))
    else:
        messages.success(request, f"{consent.get_kind_display()} consent withdrawn.")
    return redirect("donors:donor_detail", pk=pk)


@permission_page("donors.merge_donor")
def donor_merge(request: HttpRequest, pk: int) -> HttpResponse:
    duplicate = access_donor_by_id(page_actor(request), pk)
    form = DonorMergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survivor = access_donor_by_number(page_actor(request), form.cleaned_data["survivor"])
        except NotFoundError:
            form.add_error("survivor", "No donor has this number.")
        else:
            try:
                services.donor_merge(
                    actor=page_actor(request),
                    duplicate=duplicate,
                    survivor=survivor,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, f"{duplicate.donor_number} merged into {survivor.donor_number}.")
                return redirect("donors:donor_detail", pk=survivor.pk)
    candidates = services.donor_duplicate_candidates(
        family_name=duplicate.family_name,
        given_name=duplicate.given_name,
        date_of_birth=duplicate.date_of_birth,
        exclude_id=duplicate.pk,
    )
    return render(
        request, "donors/donor_merge.html", {"form": form, "donor": duplicate, "candidates": candidates}
    )
