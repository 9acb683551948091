"""``hemaops appointments_sweep_no_shows``: mark booked appointments whose slot has ended as
no-shows (docs/jobs.md). Safe to re-run: a second run finds nothing booked in ended slots."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from hemaops.donations.drive_services import appointment_no_show_sweep


class Command(BaseCommand):
    help = "Mark booked appointments of ended slots as no-shows and print how many were marked."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            metavar="ISO_DATETIME",
            help="Sweep as of this past moment (with its UTC offset); defaults to now",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options["now"]:
            now = parse_datetime(options["now"])
            if now is None or now.tzinfo is None:
                raise CommandError("--now: give an ISO date and time with its offset, e.g. 2025-03-01T18:00Z")
            if now > timezone.now():
                # Slots not yet ended would be swept: donors still to come marked as no-shows.
                raise CommandError("--now: must not be in the future")
        # The operator at the command line acts as actor=None (hemaops.core.access).
        marked = appointment_no_show_sweep(actor=None, now=now)
        self.stdout.write(f"{marked} appointment{'s' if marked != 1 else ''} marked as no-show")
