"""Pages of recruitment (see hemaops.donations.recruitment_views)."""

from django.urls import URLPattern, path

from hemaops.donations import recruitment_views

urlpatterns: list[URLPattern] = [
    path("recruitment/", recruitment_views.recruitment_list_page, name="recruitment_list"),
    path("recruitment.csv", recruitment_views.recruitment_csv, name="recruitment_csv"),
]
