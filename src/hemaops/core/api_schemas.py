"""API schemas every context shares: a refused file with its line errors (the lab's
instrument files, the components' catalogue and temperature files)."""

from __future__ import annotations

from ninja import Schema


class FileErrorOut(Schema):
    line: int
    field: str
    message: str


class FileRefusedDetail(Schema):
    code: str
    message: str
    field: str
    errors: list[FileErrorOut]


class FileRefusedOut(Schema):
    error: FileRefusedDetail
