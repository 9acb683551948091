"""Pages of the laboratory (see hemaops.lab.views)."""

from django.urls import URLPattern, path

from hemaops.lab import views

app_name = "lab"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("donations/find/", views.donation_find, name="donation_find"),
    path("donations/<int:pk>/", views.testing_detail, name="testing_detail"),
    path("donations/<int:pk>/holds/", views.hold_place, name="hold_place"),
    path("donations/<int:pk>/discrepancy/", views.discrepancy_resolve, name="discrepancy_resolve"),
    path("donations/<int:pk>/special-tests/", views.special_test_record, name="special_test_record"),
    path(
        "donations/<int:pk>/bacterial-control/",
        views.bacterial_control_record,
        name="bacterial_control_record",
    ),
    path("holds/<int:pk>/lift/", views.hold_lift, name="hold_lift"),
    path("results/import/", views.results_import, name="results_import"),
    path("results/new/", views.result_enter, name="result_enter"),
    path("results/<int:pk>/verify/", views.result_verify, name="result_verify"),
    path("releases/", views.release_queue, name="release_queue"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/done/", views.notification_done, name="notification_done"),
    path("deferred-donors/", views.deferred_donor_list, name="deferred_donor_list"),
]
