from django.urls import path

from hemaops.donations import views

app_name = "donations"

urlpatterns = [
    path("din-stock/", views.din_stock_list, name="din_stock_list"),
    path("din-stock/receive/", views.din_stock_receive, name="din_stock_receive"),
    path("dins/scan/", views.din_scan, name="din_scan"),
    path("dins/generate/", views.din_generate, name="din_generate"),
]

# Collections: drives, slots, appointments.
from hemaops.donations import drive_views  # noqa: E402

urlpatterns += [
    path("drives/", drive_views.drive_calendar, name="drive_calendar"),
    path("drives/new/", drive_views.drive_create, name="drive_create"),
    path("drives/<int:drive_id>/", drive_views.drive_detail, name="drive_detail"),
    path("drives/<int:drive_id>/status/", drive_views.drive_status_change, name="drive_status_change"),
    path("drives/<int:drive_id>/slots/", drive_views.slot_create, name="slot_create"),
    path("drives/<int:drive_id>/walk-ins/", drive_views.appointment_walk_in, name="appointment_walk_in"),
    path("slots/<int:slot_id>/book/", drive_views.appointment_book, name="appointment_book"),
    path(
        "appointments/<int:appointment_id>/cancel/", drive_views.appointment_cancel, name="appointment_cancel"
    ),
    path(
        "appointments/<int:appointment_id>/check-in/",
        drive_views.appointment_check_in,
        name="appointment_check_in",
    ),
]

# Screening, overrides, donations and reactions (hemaops.donations.collection_views).
from hemaops.donations import collection_views  # noqa: E402

urlpatterns += [
    path("screenings/new/", collection_views.screening_new, name="screening_new"),
    path("screenings/<int:pk>/", collection_views.screening_detail, name="screening_detail"),
    path("screenings/<int:pk>/override/", collection_views.screening_override, name="screening_override"),
    path("screenings/<int:pk>/donation/", collection_views.donation_new, name="donation_new"),
    path("donations/<int:pk>/", collection_views.donation_detail, name="donation_detail"),
    path("donations/<int:pk>/reactions/new/", collection_views.reaction_new, name="reaction_new"),
]

# Recruitment lists, the director's and quality officer's work lists with fixed-site hours,
# and paid donor programs: each part keeps its pages in its own module.
from hemaops.donations import compensation_urls, oversight_urls, recruitment_urls  # noqa: E402

urlpatterns += recruitment_urls.urlpatterns + oversight_urls.urlpatterns + compensation_urls.urlpatterns
