from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hemaops.core"
    label = "core"
    verbose_name = "Company, sites, programs, hospitals, users"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from hemaops.core import dashboard, database, roles

        connection_created.connect(database.on_connection_created)
        post_migrate.connect(roles.on_post_migrate, dispatch_uid="hemaops.roles_sync")
        dashboard.register()
