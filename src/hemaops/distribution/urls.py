"""Pages of the distribution context (see hemaops.distribution.views)."""

from django.urls import URLPattern, path

from hemaops.distribution import views

app_name = "distribution"

urlpatterns: list[URLPattern] = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/allocate/", views.orders_allocate, name="orders_allocate"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/allocate/", views.order_allocate, name="order_allocate"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/shipments/", views.shipment_create, name="shipment_create"),
    path("shipments/", views.shipment_list, name="shipment_list"),
    path("shipments/<int:pk>/", views.shipment_detail, name="shipment_detail"),
    path("shipments/<int:pk>/scan/", views.scan_unit, name="scan_unit"),
    path("shipments/<int:pk>/ship/", views.shipment_ship, name="shipment_ship"),
    path("shipments/<int:pk>/receive/", views.shipment_receive, name="shipment_receive"),
    path("shipments/<int:pk>/packing-list.pdf", views.packing_list_pdf, name="packing_list_pdf"),
    path("shipments/<int:pk>/manifest.json", views.shipment_manifest, name="shipment_manifest"),
    path("items/<int:pk>/disposition/", views.item_disposition, name="item_disposition"),
    path("items/<int:pk>/return/", views.item_return, name="item_return"),
    path("standing-orders/", views.standing_order_list, name="standing_order_list"),
    path("standing-orders/new/", views.standing_order_new, name="standing_order_new"),
    path("reports/", views.hospital_report, name="hospital_report"),
]
