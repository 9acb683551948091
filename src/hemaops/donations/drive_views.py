"""Pages of collections: the drive calendar, the drive form, a drive's day board (slots,
appointments, results against its goal, and on the drive's day a "Screen" link for each
checked-in donor) and its actions (status, slot, book, cancel, check in, walk in). Each
action is one service call; a refusal comes back as a message on the day board, naming
what to fix."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hemaops.core.errors import DomainError, NotFoundError
from hemaops.core.pages import field_message, form_error, page_actor, permission_page
from hemaops.donations import drive_selectors as selectors
from hemaops.donations import drive_services as services
from hemaops.donations.drive_forms import DonorNumberForm, DriveForm, SlotForm, StatusForm
from hemaops.donations.drive_rules import DRIVE_TRANSITIONS, DriveStatus
from hemaops.donations.models import Drive
from hemaops.donors.access import access_donor_by_number
from hemaops.donors.models import Donor


def _board(drive_id: int) -> HttpResponse:
    return redirect("donations:drive_detail", drive_id=drive_id)


def _refused(request: HttpRequest, error: DomainError) -> None:
    field = f"{error.field.replace('_', ' ').capitalize()}: " if error.field else ""
    messages.error(request, f"{field}{field_message(error)}")


def _donor(request: HttpRequest, form: DonorNumberForm) -> Donor:
    try:
        return access_donor_by_number(page_actor(request), form.cleaned_data["donor"])
    except NotFoundError:
        raise DomainError("donor: no such donor number", code="unknown_donor", field="donor") from None


@permission_page("donations.view_drives")
def drive_calendar(request: HttpRequest) -> HttpResponse:
    try:
        year, month = selectors.month_parse(request.GET.get("month"))
    except DomainError as error:
        _refused(request, error)
        year, month = selectors.month_parse(None)
    previous = f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"
    following = f"{year + (month == 12)}-{month % 12 + 1:02d}"
    return render(
        request,
        "donations/drive_calendar.html",
        {
            "drives": selectors.drive_list_for_month(year, month),
            "month": f"{year}-{month:02d}",
            "previous": previous,
            "following": following,
        },
    )


@permission_page("donations.plan_drive")
def drive_create(request: HttpRequest) -> HttpResponse:
    form = DriveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drive = services.drive_create(
                actor=page_actor(request),
                host_organization=data["host_organization"],
                site=data["site"],
                place=data["place"],
                program=data["program"],
                day=data["date"],
                starts=data["starts"],
                ends=data["ends"],
                goals=form.goals(),
                staff=data["staff"],
                notes=data["notes"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, f"Drive {drive} planned.")
            return _board(drive.pk)
    return render(request, "donations/drive_form.html", {"form": form})


@permission_page("donations.view_drives")
def drive_detail(request: HttpRequest, drive_id: int) -> HttpResponse:
    drive = selectors.access_drive_by_id(page_actor(request), drive_id)
    return render(
        request,
        "donations/drive_detail.html",
        {
            "drive": drive,
            "slots": selectors.slot_list_for_drive(drive),
            "walk_ins": selectors.walk_in_list_for_drive(drive),
            "results": selectors.drive_results(drive),
            "next_statuses": sorted(DRIVE_TRANSITIONS[DriveStatus(drive.status)]),
            "slot_form": SlotForm(),
            "donor_form": DonorNumberForm(),
            # Checked-in donors are screened on the drive's day only: a screening records
            # the drive it was held at that day (services.screening_record).
            "screen_today": drive.status != Drive.Status.CANCELLED
            and drive.date == services.site_today(drive.site),
        },
    )


@require_POST
@permission_page("donations.plan_drive")
def drive_status_change(request: HttpRequest, drive_id: int) -> HttpResponse:
    drive = selectors.access_drive_by_id(page_actor(request), drive_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.drive_status_change(
                actor=page_actor(request),
                drive=drive,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            _refused(request, error)
        else:
            messages.success(request, f"Drive is now {form.cleaned_data['status']}.")
    else:
        messages.error(request, "Status: choose the drive's new status.")
    return _board(drive.pk)


@require_POST
@permission_page("donations.plan_drive")
def slot_create(request: HttpRequest, drive_id: int) -> HttpResponse:
    drive = selectors.access_drive_by_id(page_actor(request), drive_id)
    form = SlotForm(request.POST)
    if form.is_valid():
        try:
            services.slot_create(
                actor=page_actor(request),
                site=drive.site,
                day=drive.date,
                starts=form.cleaned_data["starts"],
                ends=form.cleaned_data["ends"],
                capacity=form.cleaned_data["capacity"],
                drive=drive,
            )
        except DomainError as error:
            _refused(request, error)
        else:
            messages.success(request, "Slot added.")
    else:
        messages.error(request, "Slot: give its start, end and capacity.")
    return _board(drive.pk)


@require_POST
@permission_page("donations.book_appointment")
def appointment_book(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = selectors.access_slot_by_id(page_actor(request), slot_id)
    form = DonorNumberForm(request.POST)
    if form.is_valid():
        try:
            appointment = services.appointment_book(
                actor=page_actor(request), slot=slot, donor=_donor(request, form)
            )
        except DomainError as error:
            _refused(request, error)
        else:
            messages.success(request, f"Donor {appointment.donor.donor_number} booked.")
    else:
        messages.error(request, "Donor: give the donor number.")
    return _board(slot.drive_id) if slot.drive_id else redirect("donations:drive_calendar")


@require_POST
@permission_page("donations.book_appointment")
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.access_appointment_by_id(page_actor(request), appointment_id)
    try:
        services.appointment_cancel(
            actor=page_actor(request), appointment=appointment, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, "Appointment cancelled.")
    return _board(appointment.drive_id) if appointment.drive_id else redirect("donations:drive_calendar")


@require_POST
@permission_page("donations.check_in_donor")
def appointment_check_in(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.access_appointment_by_id(page_actor(request), appointment_id)
    try:
        services.appointment_check_in(actor=page_actor(request), appointment=appointment)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, f"Donor {appointment.donor.donor_number} checked in.")
    return _board(appointment.drive_id) if appointment.drive_id else redirect("donations:drive_calendar")


@require_POST
@permission_page("donations.check_in_donor")
def appointment_walk_in(request: HttpRequest, drive_id: int) -> HttpResponse:
    drive = selectors.access_drive_by_id(page_actor(request), drive_id)
    form = DonorNumberForm(request.POST)
    if form.is_valid():
        try:
            appointment = services.appointment_walk_in(
                actor=page_actor(request), donor=_donor(request, form), drive=drive
            )
        except DomainError as error:
            _refused(request, error)
        else:
            messages.success(request, f"Walk-in {appointment.donor.donor_number} checked in.")
    else:
        messages.error(request, "Donor: give the donor number.")
    return _board(drive.pk)
