"""Start-up checks and the production server (gunicorn; WhiteNoise serves static files)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from hemaops.keys import missing_key_message


def check_ready_to_serve() -> None:
    """Refuse to start without keys or with an unmigrated database, in one clear line."""
    problem = missing_key_message(settings.HEMAOPS_HOME)
    if problem:
        raise ImproperlyConfigured(problem)
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise ImproperlyConfigured(
            f"the database has {len(pending)} unapplied migrations: run `hemaops migrate`"
        )


def run_gunicorn(*, host: str, port: int, workers: int, stdout: Any) -> None:
    from gunicorn.app.base import BaseApplication

    from hemaops.wsgi import application

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)

    class HemaopsServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 120)

        def load(self) -> Any:
            return application

    stdout.write(f"Hemaops serving on http://{host}:{port}/ (Ctrl-C to stop)")
    stdout.flush()
    HemaopsServer().run()
