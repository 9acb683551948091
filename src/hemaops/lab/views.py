"""Pages of the laboratory: the home with its worklists, result files, results typed by hand
and verified by another person, a donation's testing record with its holds, the signed batch
release, the signed discrepancy resolution, notifications due and the deferred-donor list.

Each write is one service call; a refusal is shown on the field it names and the page answers
200 with nothing changed. A signature is verified (``signer_verify``) before the service's
transaction, so that a refused password stays recorded."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hemaops.core.errors import DomainError
from hemaops.core.pages import errors_of_rows_gone, field_message, form_error, page_actor, permission_page
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.donations.models import Donation
from hemaops.lab import selectors, services
from hemaops.lab.access import (
    VIEW_TESTING,
    access_hold_by_id,
    access_notification_by_id,
    access_result_by_id,
    access_testing_by_din,
    access_testing_by_donation_id,
)
from hemaops.lab.forms import (
    BacterialControlForm,
    DinFindForm,
    DiscrepancyForm,
    HoldForm,
    HoldLiftForm,
    NotificationDoneForm,
    ReleaseForm,
    ResultEntryForm,
    ResultFileForm,
    SpecialTestForm,
)

RELEASE = "lab.release_donation"


def _sign(request: HttpRequest, data: dict[str, Any]) -> Any:
    """Verify the signer outside any transaction (a refusal stays recorded)."""
    return signer_verify(
        actor=page_actor(request),
        password=data["password"],
        authenticated_by=INTERACTIVE,
        second_factor_code=data.get("second_factor_code", ""),
    )


def _signing_error(form: Any, error: DomainError) -> None:
    if error.code == "signature_locked":
        error.field = "password"  # signing is locked: shown where the password is typed
    form_error(form, error, {"signer": "password"})


# --- home -------------------------------------------------------------------------------------


@permission_page(VIEW_TESTING)
def home(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    context: dict[str, Any] = {
        "find_form": DinFindForm(),
        "to_verify": list(selectors.results_list_to_verify(actor))
        if actor.has_perm("lab.verify_result")
        else [],
        "own_unverified": list(selectors.results_list_own_unverified(actor)),
        "work_due": selectors.testing_list_work_due(),
        "pending": list(selectors.testing_list_pending()),
        "awaiting": list(selectors.donation_list_awaiting_results()[:200]),
        "discrepancies": list(selectors.testing_list_discrepancies()),
        "release_queue": list(selectors.testing_list_release_queue()),
        "holds": list(selectors.hold_list_active()),
        "late_reactive": list(selectors.testing_list_late_reactive()),
        "notifications": (
            selectors.notification_list_due() if actor.has_perm("lab.view_donornotification") else None
        ),
    }
    return render(request, "lab/home.html", context)


@permission_page(VIEW_TESTING)
def donation_find(request: HttpRequest) -> HttpResponse:
    """A DIN scanned or typed: to the donation's testing record."""
    form = DinFindForm(request.GET or None)
    if form.is_valid():
        try:
            donation = access_testing_by_din(page_actor(request), form.cleaned_data["din"])
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect("lab:testing_detail", pk=donation.pk)
    return render(request, "lab/donation_find.html", {"form": form})


# --- results ----------------------------------------------------------------------------------


@permission_page("lab.import_results")
def results_import(request: HttpRequest) -> HttpResponse:
    """A refused file lists every line and field at fault; nothing is saved. The same file a
    second time changes nothing and says when it was imported."""
    form = ResultFileForm(request.POST or None, request.FILES or None)
    errors: list[tuple[int, str, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        started = timezone.now()
        try:
            batch = services.results_import(
                actor=page_actor(request), filename=upload.name, data=upload.read()
            )
        except services.ResultFileRefusedError as error:
            errors = error.errors
            form.add_error("file", f"Refused: {len(errors)} error(s), listed below. Nothing was imported.")
        except DomainError as error:
            form_error(form, error)
        else:
            if batch.imported_at < started:
                when = timezone.localtime(batch.imported_at)
                messages.info(
                    request,
                    f"This file was imported before, on {when:%Y-%m-%d %H:%M} as {batch.filename} "
                    f"({batch.rows} results); nothing changed.",
                )
            else:
                messages.success(request, f"{batch.filename}: {batch.rows} results imported.")
            return redirect("lab:home")
    return render(request, "lab/results_import.html", {"form": form, "errors": errors})


@permission_page("lab.enter_result")
def result_enter(request: HttpRequest) -> HttpResponse:
    """A result typed by hand (DIN scanned or typed); it counts once another person verifies it."""
    form = ResultEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actor = page_actor(request)
        try:
            donation = access_testing_by_din(actor, data["din"])
            services.result_enter(
                actor=actor,
                donation=donation,
                marker=data["marker"],
                stage=data["stage"],
                reading=data["reading"],
                value=data["value"],
                instrument=data["instrument"],
                run_id=data["run_id"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                f"{data['marker']} {data['stage']} {data['reading']} entered for {donation.din.din}; "
                "another person verifies it.",
            )
            return redirect("lab:testing_detail", pk=donation.pk)
    return render(request, "lab/result_enter.html", {"form": form})


@require_POST
@permission_page("lab.verify_result")
def result_verify(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    result = access_result_by_id(actor, pk)
    try:
        services.result_verify(actor=actor, result=result)
    except DomainError as error:
        return _detail(request, result.donation, refusals=[field_message(error)])
    messages.success(request, f"{result.marker} {result.stage} of {result.donation.din.din} verified.")
    return redirect("lab:testing_detail", pk=result.donation_id)


# --- a donation's testing record, holds ----------------------------------------------------


def _detail(
    request: HttpRequest,
    donation: Donation,
    *,
    hold_form: HoldForm | None = None,
    special_form: SpecialTestForm | None = None,
    bacterial_form: BacterialControlForm | None = None,
    lift_forms: dict[int, HoldLiftForm] | None = None,
    refusals: list[str] | None = None,
) -> HttpResponse:
    actor = page_actor(request)
    detail = selectors.donation_testing_detail(donation)
    lift_forms = lift_forms or {}
    holds = [
        {
            "hold": hold,
            "form": (lift_forms.get(hold.pk) or HoldLiftForm(auto_id=f"id_lift_{hold.pk}_%s"))
            if hold.lifted_at is None
            else None,
        }
        for hold in detail.holds
    ]
    return render(
        request,
        "lab/testing_detail.html",
        {
            "detail": detail,
            "donation": donation,
            "holds": holds,
            "hold_form": hold_form or HoldForm(),
            "special_form": special_form or SpecialTestForm(),
            "bacterial_form": bacterial_form or BacterialControlForm(),
            "refusals": refusals or [],
            "viewer_id": actor.pk,
        },
    )


@permission_page(VIEW_TESTING)
def testing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, access_testing_by_donation_id(page_actor(request), pk))


@require_POST
@permission_page("lab.place_hold")
def hold_place(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    donation = access_testing_by_donation_id(actor, pk)
    form = HoldForm(request.POST)
    if form.is_valid():
        try:
            services.hold_place(actor=actor, donation=donation, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"{donation.din.din} is on hold.")
            return redirect("lab:testing_detail", pk=pk)
    return _detail(request, donation, hold_form=form)


@require_POST
@permission_page("lab.enter_result")
def special_test_record(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    donation = access_testing_by_donation_id(actor, pk)
    form = SpecialTestForm(request.POST)
    if form.is_valid():
        try:
            services.special_test_record(actor=actor, donation=donation, **form.cleaned_data)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['test']} recorded for {donation.din.din}.")
            return redirect("lab:testing_detail", pk=pk)
    return _detail(request, donation, special_form=form)


@require_POST
@permission_page("lab.enter_result")
def bacterial_control_record(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    donation = access_testing_by_donation_id(actor, pk)
    form = BacterialControlForm(request.POST)
    if form.is_valid():
        try:
            services.bacterial_control_record(
                actor=actor, donation=donation, method=form.cleaned_data["method"]
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"Bacterial risk control recorded for {donation.din.din}.")
            return redirect("lab:testing_detail", pk=pk)
    return _detail(request, donation, bacterial_form=form)


@require_POST
@permission_page("lab.place_hold")
def hold_lift(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    hold = access_hold_by_id(actor, pk)
    form = HoldLiftForm(request.POST, auto_id=f"id_lift_{pk}_%s")
    if form.is_valid():
        try:
            services.hold_lift(actor=actor, hold=hold, reason=form.cleaned_data["reason"])
        except DomainError as error:
            if error.field == "hold":
                return _detail(request, hold.donation, refusals=[field_message(error)])
            form_error(form, error)
        else:
            messages.success(request, f"Hold on {hold.donation.din.din} lifted.")
            return redirect("lab:testing_detail", pk=hold.donation_id)
    return _detail(request, hold.donation, lift_forms={pk: form})


# --- release and discrepancies ----------------------------------------------------------------


def _release_page(
    request: HttpRequest, form: ReleaseForm | None = None, checked: set[int] | None = None
) -> HttpResponse:
    can_release = page_actor(request).has_perm(RELEASE)
    return render(
        request,
        "lab/release_queue.html",
        {
            "queue": list(selectors.testing_list_release_queue()),
            "form": (form or ReleaseForm()) if can_release else None,
            "checked": checked or set(),
        },
    )


@permission_page(VIEW_TESTING)
def release_queue(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return release_sign(request)
    return _release_page(request)


@permission_page(RELEASE)
def release_sign(request: HttpRequest) -> HttpResponse:
    """The checked donations released as one signed act (meaning ``released``). A donation
    that left the queue meanwhile is refused by the service, naming its DIN, rather than
    silently dropped."""
    actor = page_actor(request)
    form = ReleaseForm(request.POST)
    ids = {int(value) for value in request.POST.getlist("donations") if value.isdigit()}
    donations = list(Donation.objects.select_related("din").filter(pk__in=ids).order_by("pk"))
    if form.is_valid():
        try:
            signer = _sign(request, form.cleaned_data)
            services.donations_release(
                actor=actor, signer=signer, donations=donations, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            _signing_error(form, error)
        else:
            messages.success(request, f"Released and signed: {', '.join(d.din.din for d in donations)}.")
            return redirect("lab:release_queue")
    return _release_page(request, form, ids)


@permission_page("lab.resolve_discrepancy")
def discrepancy_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    donation = access_testing_by_donation_id(actor, pk)
    form = DiscrepancyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signer = _sign(request, data)
            services.discrepancy_resolve(
                actor=actor,
                signer=signer,
                donation=donation,
                abo=data["abo"],
                rhd=data["rhd"],
                reason=data["reason"],
            )
        except DomainError as error:
            _signing_error(form, error)
        else:
            messages.success(request, f"Type of {donation.din.din} signed: {data['abo']} {data['rhd']}.")
            return redirect("lab:testing_detail", pk=pk)
    detail = selectors.donation_testing_detail(donation)
    return render(
        request, "lab/discrepancy_resolve.html", {"form": form, "detail": detail, "donation": donation}
    )


# --- notifications, deferred donors ---------------------------------------------------------


def _notifications_page(
    request: HttpRequest, bound: dict[int, NotificationDoneForm] | None = None
) -> HttpResponse:
    can_record = page_actor(request).has_perm("lab.notify_donor")
    rows = [
        {
            "due": due,
            "form": ((bound or {}).get(due.notification.pk) or _done_form(due.notification.pk))
            if can_record
            else None,
        }
        for due in selectors.notification_list_due()
    ]
    shown = {due["due"].notification.pk for due in rows}
    refusals = errors_of_rows_gone(bound, shown)
    return render(request, "lab/notifications.html", {"rows": rows, "refusals": refusals})


def _done_form(pk: int, data: Any = None) -> NotificationDoneForm:
    return NotificationDoneForm(data, auto_id=f"id_notification_{pk}_%s")


@permission_page("lab.view_donornotification")
def notification_list(request: HttpRequest) -> HttpResponse:
    return _notifications_page(request)


@require_POST
@permission_page("lab.notify_donor")
def notification_done(request: HttpRequest, pk: int) -> HttpResponse:
    actor = page_actor(request)
    notification = access_notification_by_id(actor, pk)
    form = _done_form(pk, request.POST)
    if form.is_valid():
        try:
            services.notification_record_done(
                actor=actor, notification=notification, how=form.cleaned_data["how"]
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"{notification.donor} told of {notification.marker}.")
            return redirect("lab:notification_list")
    return _notifications_page(request, {pk: form})


@permission_page(VIEW_TESTING)
def deferred_donor_list(request: HttpRequest) -> HttpResponse:
    return render(request, "lab/deferred_donors.html", {"rows": list(selectors.deferred_donor_list())})
