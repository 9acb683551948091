"""``hemaops temperatures_import SITE LOCATION FILE``: import a temperature logger's CSV for a
storage location (docs/component-files.md). Excursions hold the units stored there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hemaops.components.models import StorageLocation
from hemaops.components.storage_services import TemperatureImportError, temperatures_import
from hemaops.core.errors import DomainError


class Command(BaseCommand):
    help = "Import a temperature logger's CSV for a storage location, whole or not at all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("site", help="the site's code")
        parser.add_argument("location", help="the storage location's name at that site")
        parser.add_argument("file", type=Path, help="the logger's CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        location = StorageLocation.objects.filter(
            site__code=options["site"], name=options["location"]
        ).first()
        if location is None:
            raise CommandError(f"location: {options['site']} has no storage location {options['location']!r}")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"file: cannot read {path}: {error.strerror}") from None
        try:
            imported = temperatures_import(actor=None, location=location, filename=path.name, data=data)
        except TemperatureImportError as error:
            for line_error in error.errors:
                self.stderr.write(f"line {line_error.line}, {line_error.field}: {line_error.message}")
            raise CommandError(f"{path.name}: nothing imported") from None
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"{imported.reading_count} readings imported for {location}; "
            f"{imported.excursion_count} excursion{'s' if imported.excursion_count != 1 else ''}"
        )
