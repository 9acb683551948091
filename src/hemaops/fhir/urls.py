"""The FHIR endpoints (see hemaops.fhir.views). Mounted at /fhir/, so paths have no leading
slash; ids are the primary keys (a Unit, an Order, a ShipmentItem)."""

from django.urls import URLPattern, path

from hemaops.fhir import views

app_name = "fhir"

urlpatterns: list[URLPattern] = [
    path("metadata", views.metadata, name="metadata"),
    path(
        "BiologicallyDerivedProduct", views.biologically_derived_products, name="biologicallyderivedproducts"
    ),
    path(
        "BiologicallyDerivedProduct/<str:unit_id>",
        views.biologically_derived_product,
        name="biologicallyderivedproduct",
    ),
    path("SupplyRequest", views.supply_requests, name="supplyrequests"),
    path("SupplyRequest/<str:order_id>", views.supply_request, name="supplyrequest"),
    path("SupplyDelivery", views.supply_deliveries, name="supplydeliveries"),
    path("SupplyDelivery/<str:item_id>", views.supply_delivery, name="supplydelivery"),
]
