from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "hemaops.billing"
    label = "billing"
    verbose_name = "Billing: contracts, prices, charges, invoices, credit notes and receipts"

    def ready(self) -> None:
        from hemaops.billing import dashboard

        dashboard.register()
