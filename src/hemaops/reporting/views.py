"""The home dashboard: the panels every context registered for the user's roles."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from hemaops.core.registry import registry


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role_names = request.user.role_names()  # type: ignore[union-attr]
    panels = []
    for panel in registry.panels_for(role_names):
        context = panel.context(request)
        if context is not None:
            panels.append({"panel": panel, "html": render_to_string(panel.template, context, request)})
    return render(request, "reporting/home.html", {"panels": panels})
