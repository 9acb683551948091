"""The FHIR endpoints (see hemaops.fhir.views)."""

from django.urls import URLPattern, path  # noqa: F401 - the views add their paths

app_name = "fhir"

urlpatterns: list[URLPattern] = []
