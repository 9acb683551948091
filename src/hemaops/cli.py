"""The ``hemaops`` command.

Our own subcommands are Django management commands in ``hemaops.core``; any other Django
command (``migrate``, ``shell``, ``dbshell`` …) passes straight through. ``init`` and
``demo`` create the key files before Django reads its settings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

COMMANDS: dict[str, str] = {
    "demo": "Set up a demo company with a user per role and serve it on 127.0.0.1 (--port N, --no-serve)",
    "serve": "Run the production web server: gunicorn, WhiteNoise (--port N, --host H, --workers N)",
    "init": "Create the keys and an empty, migrated database for a new installation",
    "migrate": "Apply database migrations (Django's migrate)",
    "shell": "Open a Python shell with the project loaded (Django's shell)",
    "createuser": "Create a user: createuser USERNAME --role ROLE [--hospital CODE]; password on stdin",
    "token": "API tokens for integrations: token create USERNAME [--name NAME] | token revoke PREFIX",
    "audit": "The audit trail: audit verify (exit 1 on tampering) | audit checkpoint",
    "rules": "Run validation cases through the rule engines: rules eligibility|din|expiry|compatible [FILE]",
    "catalogue_import": "Import a product catalogue version, whole or not at all: catalogue_import FILE",
    "temperatures_import": "Import a temperature logger's CSV: temperatures_import SITE LOCATION FILE",
    "units_record_outdates": "Record the outdates of expired units on hand (bookkeeping; use checks expiry)",
    "orders_from_standing": "Place the day's standing orders: orders_from_standing [--date YYYY-MM-DD]",
    "invoices_issue": "Issue the invoices due (past months, shipments): invoices_issue [--date YYYY-MM-DD]",
}

# The demo company is in California: its pages keep its time, not the server's UTC.
DEMO_TIME_ZONE = "America/Los_Angeles"


def _help() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: hemaops COMMAND [ARGS]", "", "Commands:"]
    lines += [f"  {name.ljust(width)}  {summary}" for name, summary in COMMANDS.items()]
    lines += [
        "",
        "Any other Django management command also works (hemaops help --commands lists them).",
        "Settings come from the environment: see .env.example (HEMAOPS_HOME, DATABASE_URL, ...).",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_help())  # noqa: T201
        return 0
    if args[0] in ("--version", "version"):
        from hemaops import __version__

        print(f"hemaops {__version__}")  # noqa: T201
        return 0
    if args[0] == "rules":
        # Pure rule engines: no settings, no keys, no database.
        from hemaops.rules_cli import main as rules_main

        return rules_main(args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hemaops.settings")
    from hemaops.keys import default_home, ensure_keys, missing_key_message

    if args[0] == "demo":
        os.environ.setdefault("HEMAOPS_TIME_ZONE", DEMO_TIME_ZONE)
    if args[0] in ("init", "demo"):
        for path in ensure_keys(default_home()):
            print(f"created {path}")  # noqa: T201
    elif args[0] == "serve" and (problem := missing_key_message(default_home())):
        # Checked before Django starts, which would otherwise fail on the empty key with
        # a message that does not say what to do.
        print(f"hemaops: configuration error: {problem}", file=sys.stderr)  # noqa: T201
        return 2
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["hemaops", *args])
    except ImproperlyConfigured as error:
        print(f"hemaops: configuration error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
