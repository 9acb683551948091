"""The one error type of the components context (house style §3)."""

from __future__ import annotations

from hemaops.components.file_errors import LineError
from hemaops.core.errors import DomainError


class ComponentsError(DomainError):
    """Errors of the catalogue, manufacturing, labels, inventory and storage."""


class ComponentsConflictError(ComponentsError):
    """A move the unit's state refuses (the gate, a transition, a full location): HTTP 409."""

    status = 409
    code = "conflict"


class FileRefusedError(ComponentsError):
    """A file refused whole (a catalogue, a logger's readings): every line error, for the
    page, the API and the command to list."""

    code = "invalid_file"

    def __init__(self, message: str, errors: list[LineError]) -> None:
        super().__init__(message, field="file")
        self.errors = errors
