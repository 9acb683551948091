from django.apps import AppConfig


class LabConfig(AppConfig):
    name = "hemaops.lab"
    label = "lab"
    verbose_name = "Laboratory: testing and release of donations"

    def ready(self) -> None:
        from hemaops.lab import dashboard

        dashboard.register()
