"""Pages of the components context (see hemaops.components.views)."""

from django.urls import URLPattern, path

from hemaops.components import views

app_name = "components"

urlpatterns: list[URLPattern] = [
    path("", views.worklist, name="worklist"),
    path("collect/", views.units_collect, name="units_collect"),
    path("pool/", views.units_pool, name="units_pool"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/process/", views.unit_process, name="unit_process"),
    path("units/<int:pk>/label/", views.label_print, name="label_print"),
    path("units/<int:pk>/label.pdf", views.label_download_pdf, name="label_pdf"),
    path("units/<int:pk>/label.zpl", views.label_download_zpl, name="label_zpl"),
    path("units/<int:pk>/verify/", views.label_verify, name="label_verify"),
    path("units/<int:pk>/available/", views.unit_available, name="unit_available"),
    path("units/<int:pk>/store/", views.unit_store, name="unit_store"),
    path("units/<int:pk>/holds/", views.unit_hold, name="unit_hold"),
    path("units/<int:pk>/discard/", views.unit_discard, name="unit_discard"),
    path("units/<int:pk>/quarantine/", views.unit_quarantine, name="unit_quarantine"),
    path("holds/<int:pk>/lift/", views.hold_lift, name="hold_lift"),
    path("stock/", views.stock_board, name="stock_board"),
    path("stock/pick/", views.pick_list, name="pick_list"),
    path("storage/", views.storage, name="storage"),
    path("storage/<int:pk>/", views.location_detail, name="location_detail"),
    path("storage/<int:pk>/temperatures/", views.temperatures_import, name="temperatures_import"),
    path("excursions/", views.excursions, name="excursions"),
    path("excursions/<int:pk>/decide/", views.excursion_decide, name="excursion_decide"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/import/", views.catalogue_import, name="catalogue_import"),
]
