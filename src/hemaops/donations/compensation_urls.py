"""Pages of compensation (see hemaops.donations.compensation_views)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
