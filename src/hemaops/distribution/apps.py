from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "hemaops.distribution"
    label = "distribution"
    verbose_name = "Distribution: hospital orders, allocation, shipments and returns"

    def ready(self) -> None:
        from hemaops.distribution import dashboard

        dashboard.register()
