"""``hemaops orders_allocate [--batch N]``: allocate every open order, STAT first (docs/jobs.md).
Safe to re-run and to run beside clerks: an allocated order is not touched again, and an order
someone else is allocating is skipped, not waited for."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from hemaops.distribution.allocation_services import RUN_BATCH, orders_allocate


class Command(BaseCommand):
    help = "Allocate units to every open order (STAT first, then by when needed), showing progress."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--batch", type=int, default=RUN_BATCH, help=f"Orders per transaction (default {RUN_BATCH})."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError(f"--batch: {options['batch']} is not a number of orders (at least 1)")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"{done}/{total} orders")

        run = orders_allocate(actor=None, batch_size=options["batch"], progress=progress)
        self.stdout.write(
            f"{run.orders} order{pluralize(run.orders)} allocated: {run.units} unit{pluralize(run.units)} "
            f"on {run.lines} line{pluralize(run.lines)}, {run.short_lines} line{pluralize(run.short_lines)} "
            "still short"
        )
