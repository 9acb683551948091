"""Pages of the core context: health, the second sign-in step, reference data, audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection, models
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from hemaops.core import selectors, services
from hemaops.core.access import access_hospital_by_id, require_permission
from hemaops.core.errors import DomainError
from hemaops.core.forms import HospitalForm, ProgramForm, SecondFactorForm, SiteForm
from hemaops.core.models import Company, Hospital, Program, Site, User
from hemaops.core.second_factor import qr_code_svg


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return JsonResponse(
            {
                "status": "unavailable",
                "database": {
                    "vendor": connection.vendor,
                    "state": "unreachable",
                    "error": type(error).__name__,
                },
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "database": {"vendor": connection.vendor, "state": "ok"}})


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Ask for the TOTP code; enrol a device first when the user has none."""
    user: User = request.user  # type: ignore[assignment]
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = confirmed is None
    # An unconfirmed device lives in django-otp's own table until its first code proves it.
    device = (
        confirmed
        or TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "authenticator"})[0]
    )
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                services.user_second_factor_enrolled(actor=user, device_name=device.name)
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("code", "That code is not right, or has expired. Try the current one.")
    context = {
        "form": form,
        "enrolling": enrolling,
        "next": _safe_next(request),
        "qr_svg": qr_code_svg(device.config_url) if enrolling else "",
        "secret": device.bin_key.hex() if enrolling else "",
    }
    return render(request, "registration/second_factor.html", context)


# --- reference data ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReferencePage:
    """One kind of reference data and how its list and form pages show it."""

    model: type[models.Model]
    form: type[forms.ModelForm]
    title: str
    columns: tuple[tuple[str, str], ...]  # (attribute, heading)
    url_prefix: str


REFERENCE_PAGES = {
    "site": ReferencePage(
        Site,
        SiteForm,
        "Sites",
        (
            ("code", "Code"),
            ("name", "Name"),
            ("get_kind_display", "Kind"),
            ("time_zone", "Time zone"),
            ("facility_identification_number", "FIN"),
            ("is_active", "Active"),
        ),
        "site",
    ),
    "program": ReferencePage(
        Program,
        ProgramForm,
        "Programs",
        (
            ("code", "Code"),
            ("name", "Name"),
            ("get_segment_display", "Segment"),
            ("get_kind_display", "Kind"),
            ("region", "Region"),
            ("client_hospital", "Client hospital"),
        ),
        "program",
    ),
    "hospital": ReferencePage(
        Hospital,
        HospitalForm,
        "Hospitals",
        (
            ("code", "Code"),
            ("name", "Name"),
            ("city", "City"),
            ("region", "State"),
            ("is_active", "Active"),
        ),
        "hospital",
    ),
}

_LIST_QUERIES = {
    "site": selectors.site_list,
    "program": selectors.program_list,
    "hospital": selectors.hospital_list,
}


def _cells(row: models.Model, columns: tuple[tuple[str, str], ...]) -> list[Any]:
    cells = []
    for attribute, _heading in columns:
        value = getattr(row, attribute)
        cells.append(value() if callable(value) else value)
    return cells


@login_required
def reference_list(request: HttpRequest, kind: str) -> HttpResponse:
    page = REFERENCE_PAGES[kind]
    require_permission(request.user, "core.view_reference_data")  # type: ignore[arg-type]
    rows = [(row, _cells(row, page.columns)) for row in _LIST_QUERIES[kind]()]
    return render(
        request,
        "core/reference_list.html",
        {
            "page": page,
            "rows": rows,
            "can_edit": request.user.has_perm("core.manage_reference_data"),
            "edit_url_name": f"core:{kind}_edit",
            "create_url": reverse(f"core:{kind}_create"),
        },
    )


@login_required
def reference_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    page = REFERENCE_PAGES[kind]
    require_permission(request.user, "core.manage_reference_data")  # type: ignore[arg-type]
    instance = None
    if pk is not None:
        instance = page.model._default_manager.filter(pk=pk).first()
        if instance is None:
            raise Http404
    form = page.form(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        candidate = form.save(commit=False)
        if candidate.pk is None and hasattr(candidate, "company_id"):
            candidate.company = Company.objects.order_by("pk").first()
        try:
            services.reference_data_save(
                actor=request.user,  # type: ignore[arg-type]
                instance=candidate,
                reason=request.POST.get("reason", ""),
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect(f"core:{kind}_list")
    return render(request, "core/reference_form.html", {"page": page, "form": form, "instance": instance})


@login_required
def hospital_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        hospital = access_hospital_by_id(request.user, pk)  # type: ignore[arg-type]
    except DomainError:
        raise Http404 from None
    return render(request, "core/hospital_detail.html", {"hospital": selectors.hospital_get(hospital.pk)})


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "core.view_audit_trail")  # type: ignore[arg-type]
    return render(request, "core/audit_list.html", {"events": selectors.audit_event_list_recent(200)})
