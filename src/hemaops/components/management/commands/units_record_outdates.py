"""``hemaops units_record_outdates``: record as outdated the units on hand whose expiry has
passed (docs/jobs.md). Bookkeeping only — every use checks expiry itself. Safe to re-run."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hemaops.components.inventory_services import units_record_outdates


class Command(BaseCommand):
    help = "Record the outdates of units on hand whose expiry has passed and print how many."

    def handle(self, *args: Any, **options: Any) -> None:
        recorded = units_record_outdates(actor=None)
        self.stdout.write(f"{recorded} unit{'s' if recorded != 1 else ''} recorded as outdated")
