"""Pages of paid donor programs (hemaops.donations.compensation_views)."""

from django.urls import path

from hemaops.donations import compensation_views

urlpatterns = [
    path("programs/", compensation_views.program_list, name="compensation_programs"),
    path("programs/<slug:code>/", compensation_views.program_detail, name="compensation_program"),
    path("programs/<slug:code>/basis/", compensation_views.program_basis_set, name="compensation_basis_set"),
    path("programs/<slug:code>/rates/", compensation_views.program_rate_set, name="compensation_rate_set"),
]
