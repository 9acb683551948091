"""Pages of the billing context (see hemaops.billing.views)."""

from django.urls import URLPattern, path  # noqa: F401 - the pages add their paths

app_name = "billing"

urlpatterns: list[URLPattern] = []
