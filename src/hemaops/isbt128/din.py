"""The Donation Identification Number (DIN), ISBT 128 Data Structure 001.

Source: ICCBBA ST-001 v6.2.2 §2.4.1 (Data Structure 001), Table 3 [RT004] (flags), §7.4.1
(eye-readable DIN), §7.5 and Appendix A (check character K) — domain-reference §3.1–§3.3.

Bar code data ``=αppppyynnnnnnff``: the data identifier is ``=`` followed by α, the first
character of the Facility Identification Number; the 13-character DIN is ``αppppyynnnnnn``;
the two flag characters ``ff`` are not part of the DIN, nor is the check character K, which is
only printed (in a box) next to the eye-readable DIN for keyboard entry.

Three spellings are parsed:

- the DIN itself, 13 characters, with spaces allowed where the eye-readable text has them
  (``A9999 21 123456`` or ``A999921123456``);
- keyboard entry: that DIN, a space and its check character (``A9999 21 123456 3``); the
  check character is verified, and a message never reveals the expected one;
- scanned data: ``=`` + the 13-character DIN + 2 flag characters (``=A99992112345600``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from hemaops.isbt128.checksum import ALPHABET, check_character, is_valid_check_character, type_3_flags
from hemaops.isbt128.errors import Isbt128Error
from hemaops.isbt128.facility import is_facility_identification_number

__all__ = [
    "Din",
    "FlagMeaning",
    "FlagType",
    "Isbt128Error",
    "flag_meaning",
    "format_din",
    "parse_din",
]

DIN_LENGTH = 13
#: ST-001 §2.4.1: α, the first FIN character and the second character of the data identifier.
FIN_FIRST_CHARACTERS = frozenset("ABCDEFGHIJKLMNPQRSTUVWXYZ123456789")
#: ST-001 §2.4.1: the characters a flag may use, {0–9}, {A–H; J–N; P; R–Y}.
FLAG_CHARACTERS = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXY")
_DIGITS = frozenset("0123456789")

#: Second characters of the other ``=`` data identifiers (ST-001 §2.1, domain-reference §3.1),
#: so that a scan of the wrong bar code says which one it was.
_OTHER_STRUCTURES = {
    "%": "Blood Groups [ABO and RhD] (Data Structure 002)",
    "<": "a Product Code (Data Structure 003)",
    ">": "an Expiration Date (Data Structure 004)",
    "*": "a Collection Date (Data Structure 006)",
    "}": "a Production Date (Data Structure 008)",
    "\\": "Special Testing: Red Blood Cell Antigens (Data Structure 012)",
    ")": "a Container Manufacturer and Catalog Number (Data Structure 017)",
    ";": "a Donor Identification Number (Data Structure 019)",
    "'": "a Staff Member Identification Number (Data Structure 020)",
    "-": "a Manufacturer and Catalog Number (Data Structure 021)",
    "+": "a Compound Message (Data Structure 023)",
    "#": "a Patient Date of Birth (Data Structure 024)",
    "]": "an Expiration Month and Year (Data Structure 026)",
    "$": "a Product Consignment (Data Structure 028)",
    "(": "a Flexible Date and Time (Data Structure 031)",
    ",": "Product Divisions (Data Structure 032)",
    "/": "a Processor Product Identification Code (Data Structure 034)",
}

# Keyboard or eye-readable text: spaces only between facility, year and sequence (ST-001
# §7.4.1 prints ``A9999 21 123456``), and before an optional check character (§7.5.1.1).
_TYPED = re.compile(r"(?P<facility>\S{5}) *(?P<year>\S{2}) *(?P<sequence>\S{6})(?: +(?P<check>\S))?")


class FlagType(StrEnum):
    """The kinds of flag value in ST-001 Table 3 [RT004]."""

    TYPE_1 = "type_1"  # process control, defined by ICCBBA (00–13, 15–19)
    TYPE_2 = "type_2"  # process control, defined locally (20–59)
    TYPE_3 = "type_3"  # 60 + ISO/IEC 7064 MOD 37-2 checksum of the DIN (60–96)
    RESERVED = "reserved"  # 14, 97–99 and alphanumeric values: reserved for future assignment


# ST-001 Table 3 [RT004], the values ICCBBA defines.
_TYPE_1_MEANINGS = {
    "00": "flag not used (null value)",
    "01": "container 1 of a set",
    "02": "container 2 of a set",
    "03": "container 3 of a set",
    "04": "container 4 of a set",
    "05": "second (or repeated) demand-printed label",
    "06": "pilot tube label",
    "07": "test tube label",
    "08": "donor record label",
    "09": "sample tube for NAT testing",
    "10": "samples for bacterial testing",
    "11": "match with unit label",
    "12": "affixed partial label",
    "13": "attached label (used with an affixed partial label)",
    "15": "container 5 of a set",
    "16": "container 6 of a set",
    "17": "container 7 of a set",
    "18": "container 8 of a set",
    "19": "container 9 of a set",
}


@dataclass(frozen=True)
class FlagMeaning:
    flags: str
    type: FlagType
    meaning: str


def flag_meaning(flags: str) -> FlagMeaning:
    """What two flag characters mean (ST-001 §2.4.1 and Table 3 [RT004]).

    Raises ``invalid_flags`` for anything but two characters of {0–9, A–H, J–N, P, R–Y}.
    Does not check a Type 3 value against a DIN: ``Din`` does that.
    """
    if len(flags) != 2 or not set(flags) <= FLAG_CHARACTERS:
        raise Isbt128Error(
            "invalid_flags",
            f"flags {flags!r} are not two flag characters (digits, or capital letters A–H, J–N, P, R–Y)",
            "flags",
        )
    if flags in _TYPE_1_MEANINGS:
        return FlagMeaning(flags, FlagType.TYPE_1, _TYPE_1_MEANINGS[flags])
    if not set(flags) <= _DIGITS:
        return FlagMeaning(flags, FlagType.RESERVED, "alphanumeric flags: reserved for future assignment")
    value = int(flags)
    if 20 <= value <= 59:
        return FlagMeaning(
            flags,
            FlagType.TYPE_2,
            "locally defined: interpreted only by the facility (or group of facilities) that defined it",
        )
    if 60 <= value <= 96:
        return FlagMeaning(flags, FlagType.TYPE_3, "ISO/IEC 7064 MOD 37-2 check on the DIN (60 + checksum)")
    return FlagMeaning(flags, FlagType.RESERVED, "reserved for future assignment")  # 14, 97–99


def _check_facility(facility: str) -> None:
    # ST-001 §2.4.1: α {A–N; P–Z; 1–9}; pppp: first two {A–N; P–Z; 0–9}, last two {0–9}.
    if not is_facility_identification_number(facility):
        raise Isbt128Error(
            "invalid_facility",
            f"{facility!r} is not a Facility Identification Number: five characters, the first "
            "A–N, P–Z or 1–9, the next two A–N, P–Z or 0–9, the last two digits (no letter O; "
            "letters are capitals)",
            "facility",
        )


def _check_digits(value: str, length: int, code: str, field: str, name: str) -> None:
    if len(value) != length or not set(value) <= _DIGITS:
        raise Isbt128Error(code, f"the {name} {value!r} is not {length} digits", field)


@dataclass(frozen=True)
class Din:
    """A Donation Identification Number (ST-001 §2.4.1, Data Structure 001).

    ``year`` stays the two digits on the label: ST-001 defines it as the last two digits of
    the *nominal* year of assignment (which may overlap the calendar year by ±1 month) and
    gives no rule for the century, so no four-digit year is derived. ``sequence`` keeps its
    leading zeros. ``flags`` is ``None`` when the input carried none (typed entry); a
    constructed ``Din`` is always valid, including Type 3 flags that match the DIN.
    """

    facility: str
    year: str
    sequence: str
    flags: str | None = None

    def __post_init__(self) -> None:
        _check_facility(self.facility)
        _check_digits(self.year, 2, "invalid_year", "year", "year")
        _check_digits(self.sequence, 6, "invalid_sequence", "sequence", "sequence number")
        if self.flags is None:
            return
        meaning = flag_meaning(self.flags)
        if meaning.type is FlagType.RESERVED:
            raise Isbt128Error(
                "reserved_flags",
                f"flags {self.flags} are reserved for future assignment (ST-001 Table 3) "
                "and have no meaning yet",
                "flags",
            )
        # ST-001 Table 3: a Type 3 value is 60 + the MOD 37-2 checksum of the 13 characters.
        if meaning.type is FlagType.TYPE_3 and self.flags != type_3_flags(self.text):
            raise Isbt128Error(
                "flags_mismatch",
                f"flags {self.flags} are a Type 3 check but do not match this DIN: "
                "the DIN or the flags were misread",
                "flags",
            )

    @property
    def text(self) -> str:
        """The 13-character DIN, no spaces, no flags."""
        return f"{self.facility}{self.year}{self.sequence}"

    @property
    def check_character(self) -> str:
        """The keyboard-entry check character K (ST-001 §7.5, Appendix A)."""
        return check_character(self.text)

    @property
    def flag_meaning(self) -> FlagMeaning | None:
        return None if self.flags is None else flag_meaning(self.flags)

    @property
    def eye_readable(self) -> str:
        """The DIN as printed under the bar code, ``A9999 21 123456`` (ST-001 §7.4.1)."""
        return f"{self.facility} {self.year} {self.sequence}"

    @property
    def keyboard_entry(self) -> str:
        """The eye-readable DIN followed by a space and its check character."""
        return f"{self.eye_readable} {self.check_character}"

    @property
    def data_content(self) -> str:
        """The bar code data, ``=αppppyynnnnnnff``; flags ``00`` (not used) when there are none."""
        return f"={self.text}{self.flags or '00'}"

    def with_check_flags(self) -> Din:
        """This DIN carrying Type 3 flags (60 + its checksum)."""
        return replace(self, flags=type_3_flags(self.text))

    def __str__(self) -> str:
        return self.text


def format_din(din: Din) -> str:
    """The text ``parse_din`` reads back as ``din``: the bar code data when it has flags,
    else the 13-character DIN."""
    return din.data_content if din.flags is not None else din.text


def parse_din(text: str) -> Din:
    """Parse a DIN typed, read from a label, or scanned (see the module docstring).

    Leading and trailing white space is ignored (scanners often add a line end).
    """
    value = text.strip()
    if not value:
        raise Isbt128Error("empty", "no DIN was given", "input")
    if value[0] in "=&":
        return _parse_data_content(value)
    match = _TYPED.fullmatch(value)
    if match is None:
        raise _typed_shape_error(value)
    din = Din(match["facility"], match["year"], match["sequence"])
    check = match["check"]
    if check is not None:
        # ST-001 §7.5: K is one of 0–9, A–Z, * (Table 35).
        if check not in ALPHABET:
            raise Isbt128Error(
                "invalid_check_character",
                f"{check!r} cannot be a check character: it is a digit, a capital letter or '*'",
                "check_character",
            )
        if not is_valid_check_character(din.text, check):
            raise Isbt128Error(
                "check_character_mismatch",
                "the check character does not match the DIN: re-enter the DIN and the boxed character",
                "check_character",
            )
    return din


def _typed_shape_error(value: str) -> Isbt128Error:
    compact = value.replace(" ", "")
    if len(compact) == DIN_LENGTH:
        return Isbt128Error(
            "format",
            "spaces go only between the facility, year and sequence (A9999 21 123456)",
            "input",
        )
    hints = {
        DIN_LENGTH + 1: " (a check character goes after a space: A9999 21 123456 3)",
        DIN_LENGTH + 2: " (scanned data starts with '=')",
    }
    return Isbt128Error(
        "length",
        f"{len(compact)} characters without spaces; a DIN has 13 (A9999 21 123456)"
        + hints.get(len(compact), ""),
        "input",
    )


def _parse_data_content(value: str) -> Din:
    # ST-001 §2.2/§2.4.1: check the data identifier, then the length, then the content.
    if value[0] == "&" or len(value) < 2:
        raise Isbt128Error(
            "data_identifier",
            "not a DIN: DIN data starts with '=' and the first facility character",
            "data_identifier",
        )
    second = value[1]
    if second in _OTHER_STRUCTURES:
        raise Isbt128Error(
            "data_identifier", f"this is {_OTHER_STRUCTURES[second]}, not a DIN", "data_identifier"
        )
    if second not in FIN_FIRST_CHARACTERS:
        raise Isbt128Error(
            "data_identifier",
            f"'={second}' is not a DIN data identifier: after '=' comes the first facility "
            "character (A–N, P–Z or 1–9)",
            "data_identifier",
        )
    if len(value) != 1 + DIN_LENGTH + 2:
        raise Isbt128Error(
            "length",
            f"DIN data is '=' and 15 characters (13 of DIN, 2 of flags); this has {len(value) - 1}",
            "input",
        )
    return Din(value[1:6], value[6:8], value[8:14], value[14:16])
