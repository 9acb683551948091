from django.apps import AppConfig


class DonationsConfig(AppConfig):
    name = "hemaops.donations"
    label = "donations"
    verbose_name = "Drives, screening, DIN label stock, donations"

    def ready(self) -> None:
        from hemaops.donations import dashboard, oversight_nav, recruitment_nav

        dashboard.register()
        oversight_nav.register()
        recruitment_nav.register()
