"""The one error type of the ISBT 128 library.

Pure Python on purpose (house style §2): ``hemaops.isbt128`` imports nothing from Django,
so it does not subclass ``hemaops.core.errors.DomainError``; a service that calls it turns an
``Isbt128Error`` into its own domain error, keeping ``code``, ``message`` and ``field``.
"""

from __future__ import annotations


class Isbt128Error(ValueError):
    """Text that is not a valid ISBT 128 data structure.

    ``code`` is stable (tests and callers match on it), ``message`` says what is wrong in
    words a person at a scanner can act on, ``field`` names the element concerned
    (``facility``, ``year``, ``sequence``, ``flags``, ``check_character``,
    ``data_identifier``, ``input`` …). A message never reveals an expected check character
    or expected flags: that would turn the check into a way of generating them.
    """

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"Isbt128Error(code={self.code!r}, message={self.message!r}, field={self.field!r})"
