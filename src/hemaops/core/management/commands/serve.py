from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hemaops.core.server import check_ready_to_serve, run_gunicorn


class Command(BaseCommand):
    help = "Run the production web server (gunicorn, static files by WhiteNoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        check_ready_to_serve()
        run_gunicorn(
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            stdout=self.stdout,
        )
