"""``hemaops catalogue_import FILE``: import a product catalogue version (docs/component-files.md).
The file is imported whole or not at all; every line error is printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hemaops.components.catalogue_services import CatalogueImportError, catalogue_import
from hemaops.core.errors import DomainError


class Command(BaseCommand):
    help = "Import a product catalogue file (licensed ICCBBA extract or local codes), whole or not at all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the catalogue CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"file: cannot read {path}: {error.strerror}") from None
        try:
            # The operator at the command line acts as actor=None (hemaops.core.access).
            catalogue = catalogue_import(actor=None, filename=path.name, data=data)
        except CatalogueImportError as error:
            for line_error in error.errors:
                self.stderr.write(f"line {line_error.line}, {line_error.field}: {line_error.message}")
            raise CommandError(f"{path.name}: nothing imported ({len(error.errors)} errors)") from None
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"imported {catalogue}: {catalogue.product_count} products")
