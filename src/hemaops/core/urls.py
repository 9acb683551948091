from django.urls import path

from hemaops.core import views

app_name = "core"

urlpatterns = [
    path("sites/", views.reference_list, {"kind": "site"}, name="site_list"),
    path("sites/new/", views.reference_edit, {"kind": "site"}, name="site_create"),
    path("sites/<int:pk>/edit/", views.reference_edit, {"kind": "site"}, name="site_edit"),
    path("programs/", views.reference_list, {"kind": "program"}, name="program_list"),
    path("programs/new/", views.reference_edit, {"kind": "program"}, name="program_create"),
    path("programs/<int:pk>/edit/", views.reference_edit, {"kind": "program"}, name="program_edit"),
    path("hospitals/", views.reference_list, {"kind": "hospital"}, name="hospital_list"),
    path("hospitals/new/", views.reference_edit, {"kind": "hospital"}, name="hospital_create"),
    path("hospitals/<int:pk>/", views.hospital_detail, name="hospital_detail"),
    path("hospitals/<int:pk>/edit/", views.reference_edit, {"kind": "hospital"}, name="hospital_edit"),
    path("audit/", views.audit_list, name="audit_list"),
]
