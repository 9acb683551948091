"""Pages of oversight (see hemaops.donations.oversight_views)."""

from django.urls import URLPattern, path

from hemaops.donations import oversight_views

urlpatterns: list[URLPattern] = [
    path("overrides/pending/", oversight_views.override_pending_list, name="override_pending_list"),
    path("overrides/<int:pk>/sign/", oversight_views.override_pending_sign, name="override_pending_sign"),
    path("reactions/review/", oversight_views.reaction_review_list, name="reaction_review_list"),
    path("reactions/<int:pk>/review/", oversight_views.reaction_review, name="reaction_review"),
    path("sites/hours/", oversight_views.site_hours, name="site_hours"),
    path("sites/<slug:code>/hours/", oversight_views.site_hours_set, name="site_hours_set"),
    path("sites/<slug:code>/closures/", oversight_views.site_closure_add, name="site_closure_add"),
]
