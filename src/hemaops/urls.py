from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from hemaops.api import api
from hemaops.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", core_views.second_factor, name="second_factor"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("core/", include("hemaops.core.urls")),
    path("finance/", include("hemaops.finance.urls")),
    path("donors/", include("hemaops.donors.urls")),
    path("donations/", include("hemaops.donations.urls")),
    path("lab/", include("hemaops.lab.urls")),
    path("components/", include("hemaops.components.urls")),
    path("billing/", include("hemaops.billing.urls")),
    path("distribution/", include("hemaops.distribution.urls")),
    path("fhir/", include("hemaops.fhir.urls")),
    path("", include("hemaops.reporting.urls")),
]

handler404 = "hemaops.core.errors_views.not_found"
handler403 = "hemaops.core.errors_views.forbidden"
handler500 = "hemaops.core.errors_views.server_error"
