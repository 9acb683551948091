from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "hemaops.finance"
    label = "finance"
    verbose_name = "Ledger, periods, receivables"

    def ready(self) -> None:
        from hemaops.finance import dashboard

        dashboard.register()
