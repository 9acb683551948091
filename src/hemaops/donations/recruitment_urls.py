"""Pages of recruitment (see hemaops.donations.recruitment_views)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
