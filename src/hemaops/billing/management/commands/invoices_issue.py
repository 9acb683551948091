"""``hemaops invoices_issue [--date YYYY-MM-DD]``: issue every invoice due on the date (today by
default) — each past month's of a monthly contract, each shipment's of a per-shipment one
(docs/jobs.md). Safe to re-run: what is billed is not billed again."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from hemaops.billing.services import invoices_issue_due
from hemaops.core.errors import DomainError


class Command(BaseCommand):
    help = "Issue the invoices due on a date (default today) and print each one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", dest="on", default="", help="the invoice date, YYYY-MM-DD (default: today)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text = (options["on"] or "").strip()
        try:
            on = date.fromisoformat(text) if text else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date: {text!r} is not a date (YYYY-MM-DD)") from None
        try:
            # The operator at the command line acts as actor=None (hemaops.core.access).
            issued = invoices_issue_due(actor=None, on=on)
        except DomainError as error:
            raise CommandError(error.message) from None
        for invoice in issued:
            self.stdout.write(f"{invoice.number}  {invoice.hospital.name}  {invoice.total:,.2f}")
        self.stdout.write(
            f"{len(issued)} invoice{'s' if len(issued) != 1 else ''} issued on {on.isoformat()}"
        )
