"""Pages of the components context (see hemaops.components.views)."""

from django.urls import URLPattern, path

from hemaops.components import views

app_name = "components"

urlpatterns: list[URLPattern] = []
