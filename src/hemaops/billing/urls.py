"""Pages of the billing context (see hemaops.billing.views)."""

from django.urls import URLPattern, path

from hemaops.billing import views

app_name = "billing"

urlpatterns: list[URLPattern] = [
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/new/", views.contract_new, name="contract_new"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/prices/", views.prices_add, name="prices_add"),
    path("contracts/<int:pk>/invoice/", views.invoice_issue, name="invoice_issue"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/issue/", views.invoices_issue, name="invoices_issue"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf", views.invoice_pdf, name="invoice_pdf"),
    path("charges/", views.charge_list, name="charge_list"),
    path("charges/<int:pk>/credit/", views.charge_credit, name="charge_credit"),
    path("receipts/", views.receipt_list, name="receipt_list"),
    path("receipts/new/", views.receipt_new, name="receipt_new"),
    path("aging/", views.aging_report, name="aging_report"),
]
