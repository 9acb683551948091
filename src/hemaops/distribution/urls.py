"""Pages of the distribution context (see hemaops.distribution.views)."""

from django.urls import URLPattern, path  # noqa: F401 - the pages add their paths

app_name = "distribution"

urlpatterns: list[URLPattern] = []
