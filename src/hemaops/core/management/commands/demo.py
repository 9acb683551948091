from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hemaops.core.audit import audit_checkpoint_record
from hemaops.core.demo import DEMO_PASSWORD, DemoLogins, demo_loaders
from hemaops.core.models import User
from hemaops.core.server import check_ready_to_serve, run_gunicorn


class Command(BaseCommand):
    help = "Set up a demo company with a user per role and serve it on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Load the demo data and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Preparing the demo database under {settings.HEMAOPS_HOME} ...")
        call_command("migrate", interactive=False, verbosity=0)
        if User.objects.filter(second_factor_exempt=False).exists():
            # The demo adds a user per role with a published password and no second factor.
            raise CommandError(
                "this database holds real users; the demo adds accounts with a published password. "
                "Run the demo with its own HEMAOPS_HOME (and no DATABASE_URL)."
            )
        logins = DemoLogins()
        for config, load in demo_loaders():
            self.stdout.write(f"  loading {config.label} demo data")
            load(logins)
        audit_checkpoint_record()
        width = max(len(row[0]) for row in logins.rows)
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for every user: {DEMO_PASSWORD}):")
        for username, role, note in logins.rows:
            self.stdout.write(f"  {username.ljust(width)}  {role:<24} {note}")
        self.stdout.write("")
        if options["no_serve"]:
            self.stdout.write(
                "Demo data ready. Start the server with: "
                f"HEMAOPS_TIME_ZONE={settings.TIME_ZONE} hemaops serve"
            )
            return
        check_ready_to_serve()
        run_gunicorn(host="127.0.0.1", port=options["port"], workers=2, stdout=self.stdout)
