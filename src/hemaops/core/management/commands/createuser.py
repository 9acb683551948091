from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hemaops.core import roles
from hemaops.core.errors import DomainError
from hemaops.core.models import Hospital
from hemaops.core.services import user_create


class Command(BaseCommand):
    help = "Create a user with a role; the password is read from standard input."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            choices=sorted(roles.ROLES),
            help="A role; repeat for several.",
        )
        parser.add_argument("--hospital", help="Hospital code (hospital users only).")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("password: give the password on standard input (one line)")
        hospital = None
        if options["hospital"]:
            hospital = Hospital.objects.filter(code=options["hospital"]).first()
            if hospital is None:
                raise CommandError(f"--hospital: no hospital has the code {options['hospital']!r}")
        try:
            user = user_create(
                actor=None,
                username=options["username"],
                password=password,
                role_names=options["role"],
                hospital=hospital,
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"created {user.username} ({', '.join(options['role'])})")
