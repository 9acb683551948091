"""``hemaops orders_from_standing [--date YYYY-MM-DD]``: place the day's orders of the active
standing orders (docs/jobs.md). Safe to re-run: a standing order yields one order a day."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hemaops.distribution.services import orders_from_standing


class Command(BaseCommand):
    help = "Place today's (or --date's) orders of the active standing orders and print them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--date", default=None, help="The day to order for (YYYY-MM-DD); default today.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = options["date"]
        try:
            on = date.fromisoformat(text) if text else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date: {text!r} is not a date (YYYY-MM-DD)") from None
        made = orders_from_standing(actor=None, on=on)
        for order in made:
            self.stdout.write(f"{order.number} {order.hospital.code} ({order.standing_order.name})")
        for standing, why in getattr(made, "skipped", []):
            self.stdout.write(f"skipped {standing}: {why}")
        self.stdout.write(f"{len(made)} order{'s' if len(made) != 1 else ''} placed for {on.isoformat()}")
