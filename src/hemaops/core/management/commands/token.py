from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hemaops.core.errors import DomainError
from hemaops.core.models import ApiToken, User
from hemaops.core.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "API tokens for integrations: create (prints the token once) or revoke."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a token for USERNAME and print it")
        create.add_argument("username")
        create.add_argument("--name", default="integration")
        revoke = sub.add_parser("revoke", help="Revoke the token whose prefix is PREFIX")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                user = User.objects.filter(username=options["username"]).first()
                if user is None:
                    raise CommandError(f"username: no user {options['username']!r}")
                _token, raw = api_token_create(actor=None, user=user, name=options["name"])
                self.stdout.write(raw)
            else:
                matches = list(ApiToken.objects.filter(prefix__startswith=options["prefix"])[:2])
                if not matches:
                    raise CommandError(f"prefix: no token starts with {options['prefix']!r}")
                if len(matches) > 1:
                    raise CommandError(f"prefix: several tokens start with {options['prefix']!r}; give more")
                token = matches[0]
                api_token_revoke(actor=None, token=token, reason="revoked at the command line")
                self.stdout.write(f"revoked {token.prefix}")
        except DomainError as error:
            raise CommandError(error.message) from None
