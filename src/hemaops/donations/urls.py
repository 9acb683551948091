from django.urls import path

from hemaops.donations import views

app_name = "donations"

urlpatterns = [
    path("din-stock/", views.din_stock_list, name="din_stock_list"),
    path("din-stock/receive/", views.din_stock_receive, name="din_stock_receive"),
    path("dins/scan/", views.din_scan, name="din_scan"),
    path("dins/generate/", views.din_generate, name="din_generate"),
]
