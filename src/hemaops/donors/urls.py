from django.urls import path

from hemaops.donors import views

app_name = "donors"

urlpatterns = [
    path("", views.donor_list, name="donor_list"),
    path("new/", views.donor_register, name="donor_register"),
    path("<int:pk>/", views.donor_detail, name="donor_detail"),
    path("<int:pk>/edit/", views.donor_edit, name="donor_edit"),
    path("<int:pk>/type/", views.donor_type_change, name="donor_type_change"),
    path("<int:pk>/consents/new/", views.consent_give, name="consent_give"),
    path("<int:pk>/consents/<int:consent_pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("<int:pk>/merge/", views.donor_merge, name="donor_merge"),
]
