from django.apps import AppConfig


class ComponentsConfig(AppConfig):
    name = "hemaops.components"
    label = "components"
    verbose_name = "Components: manufacturing, labels, inventory and storage"

    def ready(self) -> None:
        from hemaops.components import dashboard

        dashboard.register()
