from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hemaops.core.audit import audit_checkpoint_record, audit_verify


class Command(BaseCommand):
    help = "The audit trail: verify every chain (exit 1 on tampering), or record checkpoints."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Walk every chain; name the first tampered row")
        sub.add_parser(
            "checkpoint",
            help="Record each stream's head (run it on a schedule; keep its output off this machine too)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "checkpoint":
            for checkpoint in audit_checkpoint_record():
                self.stdout.write(
                    f"{checkpoint.recorded_at.isoformat()} {checkpoint.stream} "
                    f"#{checkpoint.sequence} {checkpoint.event_mac}"
                )
            return
        result = audit_verify()
        if result.ok:
            self.stdout.write(
                f"audit trail intact: {result.events_checked} events in {len(result.streams)} "
                f"streams, {result.checkpoints_checked} checkpoints checked"
            )
            return
        for problem in result.problems:
            self.stderr.write(f"TAMPERED {problem.kind}: {problem.message}")
        self.stderr.write(f"{len(result.problems)} chain(s) broken; {result.events_checked} events checked")
        raise SystemExit(1)
