"""Line errors shared by the component file parsers (catalogue_file, temperature_file).

Pure: no Django, no database, no clock. A file is checked whole and refused whole: the
parsers collect every error they find — the line, the field and the reason — so that the
person who prepared the file can correct it in one pass instead of one error at a time
(the same approach as ``hemaops.lab.result_file``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["FILE_LINE", "MAX_ERRORS", "ErrorList", "FileParseError", "LineError", "decode_text"]

#: Errors listed in full; past this, one last "file" error says how many more there are.
MAX_ERRORS: Final = 1_000
#: The line of an error about the file as a whole (the error cap).
FILE_LINE: Final = 0
#: How many errors ``str()`` of a :class:`FileParseError` shows (a log line or a message box).
SHOWN_IN_MESSAGE: Final = 5


@dataclass(frozen=True, slots=True)
class LineError:
    line: int  # 1-based line number in the file; 0 for the file as a whole (the error cap)
    field: str  # the column at fault, or "file" / "header"
    message: str  # what is wrong and what was expected


class ErrorList:
    """The first MAX_ERRORS errors, and a count of the rest: a file of a million bad lines must
    not produce a million-line answer."""

    def __init__(self) -> None:
        self.listed: list[LineError] = []
        self.unlisted = 0

    def __bool__(self) -> bool:
        return bool(self.listed)

    def add(self, line: int, field: str, message: str) -> None:
        if len(self.listed) < MAX_ERRORS:
            self.listed.append(LineError(line, field, message))
        else:
            self.unlisted += 1

    def result(self) -> list[LineError]:
        if not self.unlisted:
            return list(self.listed)
        more = LineError(
            FILE_LINE,
            "file",
            f"file: {self.unlisted:,} more errors are not listed (only the first {MAX_ERRORS:,} are); "
            "correct these and check the file again",
        )
        return [*self.listed, more]


class FileParseError(ValueError):
    """A file that does not parse: ``errors`` holds every error found, in line order of finding.

    ``str()`` shows the first few so that a log line stays readable; the full list is on
    ``errors`` for the page or report that shows them all.
    """

    what = "file"

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        shown = "; ".join(f"line {e.line}: {e.message}" for e in errors[:SHOWN_IN_MESSAGE])
        rest = len(errors) - SHOWN_IN_MESSAGE
        more = f" (and {rest} more)" if rest > 0 else ""
        super().__init__(f"{self.what}: {len(errors)} error(s): {shown}{more}")


def decode_text(data: bytes) -> str | LineError:
    """The file as text, or the error that says why it is not UTF-8.

    A byte order mark is accepted and dropped (spreadsheet programs write one). A NUL
    character means UTF-16 or a binary file: refused, since reading it would produce
    nonsense values rather than a clear error.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = (
            f"file: not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); export the file as UTF-8"
        )
        return LineError(line, "file", message)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        message = f"file: a NUL character on line {line}: not UTF-8 text (UTF-16?); export the file as UTF-8"
        return LineError(line, "file", message)
    return text
