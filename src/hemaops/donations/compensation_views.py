"""Pages of paid donor programs: the collections programs with their basis and rates in
force; one program's history, its forms (basis, rate) and its collections by month, with the
volumes before and after a conversion to volunteer donors (chart and table)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from hemaops.core.charts import BarChart, Series, stacked_bars
from hemaops.core.errors import DomainError
from hemaops.core.pages import form_error, page_actor, permission_page
from hemaops.donations import compensation_selectors as selectors
from hemaops.donations import compensation_services as services
from hemaops.donations.compensation_forms import BasisForm, FiguresForm, RateForm
from hemaops.donations.compensation_selectors import ProgramFigures


@permission_page("donations.view_donor_compensation")
def program_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    programs = [
        {
            "program": program,
            "basis": services.basis_on(program, today),
            "rates": selectors.rates_in_force(program, today),
        }
        for program in selectors.collection_programs()
    ]
    return render(request, "donations/compensation_programs.html", {"programs": programs, "today": today})


def _range(form: FiguresForm) -> tuple[date, date]:
    asked = form.cleaned_data if form.is_valid() else {}
    end = asked.get("end") or timezone.localdate()
    start = asked.get("start") or selectors.figures_default_start(end)
    return start, end


def _chart(figures: ProgramFigures) -> BarChart:
    months = figures.months
    marker = None
    if figures.conversion_on is not None:
        marker = next(
            (i for i, m in enumerate(months) if m.month >= figures.conversion_on.replace(day=1)), None
        )
    return stacked_bars(
        f"Units collected by month, {figures.program.name}",
        [m.month.strftime("%b %y") for m in months],
        [
            Series("paid", [m.paid_units for m in months]),
            Series("volunteer", [m.volunteer_units for m in months]),
        ],
        marker_before=marker,
        marker_label=f"volunteer from {figures.conversion_on}" if figures.conversion_on else "",
    )


def _detail(
    request: HttpRequest,
    code: str,
    basis_form: BasisForm | None = None,
    rate_form: RateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    program = selectors.collection_program_get(code)
    figures_form = FiguresForm(request.GET or None)
    start, end = _range(figures_form)
    figures = selectors.program_figures(program, start, end)
    today = timezone.localdate()
    context = {
        "program": program,
        "basis": services.basis_on(program, today),
        "bases": selectors.basis_history(program),
        "rates": selectors.rate_history(program),
        "figures": figures,
        "figures_form": figures_form,
        "chart": _chart(figures),
        "basis_form": basis_form or BasisForm(),
        "rate_form": rate_form or RateForm(),
    }
    return render(request, "donations/compensation_program.html", context, status=status)


@permission_page("donations.view_donor_compensation")
def program_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _detail(request, code)


@require_POST
@permission_page("donations.manage_donor_compensation")
def program_basis_set(request: HttpRequest, code: str) -> HttpResponse:
    program = selectors.collection_program_get(code)
    form = BasisForm(request.POST)
    if form.is_valid():
        try:
            services.program_donor_basis_set(actor=page_actor(request), program=program, **form.cleaned_data)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                f"{program.name}: {form.cleaned_data['basis']} donors from "
                f"{form.cleaned_data['effective_from']}.",
            )
            return redirect("donations:compensation_program", code=code)
    return _detail(request, code, basis_form=form, status=400)


@require_POST
@permission_page("donations.manage_donor_compensation")
def program_rate_set(request: HttpRequest, code: str) -> HttpResponse:
    program = selectors.collection_program_get(code)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.compensation_rate_set(actor=page_actor(request), program=program, **form.cleaned_data)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, "Rate recorded.")
            return redirect("donations:compensation_program", code=code)
    return _detail(request, code, rate_form=form, status=400)
