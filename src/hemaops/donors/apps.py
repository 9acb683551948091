from django.apps import AppConfig


class DonorsConfig(AppConfig):
    name = "hemaops.donors"
    label = "donors"
    verbose_name = "Donors and eligibility"

    def ready(self) -> None:
        from hemaops.donors import dashboard

        dashboard.register()
