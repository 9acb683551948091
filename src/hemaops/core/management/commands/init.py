from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the keys and an empty, migrated database for a new installation."

    def handle(self, *args: Any, **options: Any) -> None:
        # The key files were created by hemaops.cli before settings were read.
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            f"Ready: keys and database under {settings.HEMAOPS_HOME}. Next: "
            "hemaops createuser NAME --role administrator, then hemaops serve."
        )
