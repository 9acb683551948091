"""ISBT 128 dates: Data Structures 004–009.

Source: ICCBBA ST-001 v6.2.2 §2.4.4–§2.4.9 (domain-reference §3.6); convention C3
(domain-reference §8).

| # | structure | data |
|---|---|---|
| 004 | Expiration Date | ``=>cyyjjj`` |
| 005 | Expiration Date and Time | ``&>cyyjjjhhmm`` |
| 006 | Collection Date | ``=*cyyjjj`` |
| 007 | Collection Date and Time | ``&*cyyjjjhhmm`` |
| 008 | Production Date | ``=}cyyjjj`` |
| 009 | Production Date and Time | ``&}cyyjjjhhmm`` |

``c`` is the century, ``yy`` the year in the century, ``jjj`` the ordinal day of the year
(001–365, 366 in a leap year), ``hh`` 00–23 and ``mm`` 00–59: a day runs from 0000 to 2359.

Century: ST-001 does not spell out the mapping of ``c``; its example label encodes 29 January
2018 as ``0180292359``, so ``c = 0`` is 2000–2099. Other digits are refused
(``unsupported_century``) rather than guessed.

Times are local wall-clock times of the facility (convention C1); the time zone is a
parameter, never read from settings or the clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import Enum

from hemaops.isbt128.errors import Isbt128Error

#: ST-001 §2.4.5 and convention C3: when no time is given, a date-based expiry ends at 23:59.
END_OF_DAY = time(23, 59)
_CENTURY_BASE = {"0": 2000}  # by ST-001's example label (0180292359 = 29 JAN 2018 23:59)


class DateStructure(Enum):
    """The date data structures: (number, data identifier, has a time)."""

    EXPIRATION_DATE = ("004", "=>", False)
    EXPIRATION_DATE_AND_TIME = ("005", "&>", True)
    COLLECTION_DATE = ("006", "=*", False)
    COLLECTION_DATE_AND_TIME = ("007", "&*", True)
    PRODUCTION_DATE = ("008", "=}", False)
    PRODUCTION_DATE_AND_TIME = ("009", "&}", True)

    def __init__(self, number: str, identifier: str, has_time: bool) -> None:
        self.number = number
        self.identifier = identifier
        self.has_time = has_time

    @property
    def content_length(self) -> int:
        return 10 if self.has_time else 6

    @property
    def is_expiration(self) -> bool:
        return self in (DateStructure.EXPIRATION_DATE, DateStructure.EXPIRATION_DATE_AND_TIME)


_BY_IDENTIFIER = {structure.identifier: structure for structure in DateStructure}


@dataclass(frozen=True)
class IsbtDate:
    """A parsed date data structure. ``time`` is set exactly when the structure has one."""

    structure: DateStructure
    date: date
    time: time | None = None

    def __post_init__(self) -> None:
        if (self.time is not None) != self.structure.has_time:
            raise Isbt128Error(
                "invalid_time",
                f"Data Structure {self.structure.number} "
                + ("needs a time" if self.structure.has_time else "carries no time"),
                "time",
            )
        if not 2000 <= self.date.year <= 2099:
            raise Isbt128Error(
                "unsupported_century", "only the years 2000–2099 (century digit 0) are supported", "date"
            )
        if self.time is not None and (self.time.second or self.time.microsecond or self.time.tzinfo):
            raise Isbt128Error("invalid_time", "ISBT 128 times are whole minutes, local time", "time")

    @property
    def data_content(self) -> str:
        day = self.date.timetuple().tm_yday
        content = f"0{self.date.year % 100:02d}{day:03d}"
        if self.time is not None:
            content += f"{self.time.hour:02d}{self.time.minute:02d}"
        return content


def format_date(value: IsbtDate) -> str:
    return f"{value.structure.identifier}{value.data_content}"


def parse_date(text: str) -> IsbtDate:
    """Parse a date data structure, identifier included (``=>018029``, ``&>0180292359`` …):
    identifier first, then length, then content (ST-001 §2.2)."""
    value = text.strip()
    structure = _BY_IDENTIFIER.get(value[:2])
    if structure is None:
        raise Isbt128Error(
            "data_identifier",
            f"{value[:2]!r} is not the data identifier of a date (=> &> =* &* =}} &}})",
            "data_identifier",
        )
    return parse_date_content(value[2:], structure)


def parse_date_content(content: str, structure: DateStructure) -> IsbtDate:
    """Parse ``cyyjjj`` or ``cyyjjjhhmm`` for the given structure."""
    if len(content) != structure.content_length:
        shape = "cyyjjjhhmm" if structure.has_time else "cyyjjj"
        raise Isbt128Error(
            "length",
            f"Data Structure {structure.number} holds {structure.content_length} digits ({shape}); "
            f"this has {len(content)}",
            "input",
        )
    if not (content.isascii() and content.isdigit()):
        raise Isbt128Error("invalid_date", f"{content!r} is not all digits", "date")
    century = content[0]
    if century not in _CENTURY_BASE:
        raise Isbt128Error(
            "unsupported_century",
            f"century digit {century} is not supported: ST-001 shows only 0 (2000–2099)",
            "date",
        )
    year = _CENTURY_BASE[century] + int(content[1:3])
    day = int(content[3:6])
    last_day = 366 if calendar.isleap(year) else 365
    if not 1 <= day <= last_day:
        raise Isbt128Error(
            "invalid_date", f"day {content[3:6]} of {year} does not exist (001–{last_day})", "date"
        )
    on = date(year, 1, 1) + timedelta(days=day - 1)
    at: time | None = None
    if structure.has_time:
        hour, minute = int(content[6:8]), int(content[8:10])
        if hour > 23 or minute > 59:
            raise Isbt128Error("invalid_time", f"{content[6:10]} is not a time of day (0000–2359)", "time")
        at = time(hour, minute)
    return IsbtDate(structure, on, at)


def expires_at(value: IsbtDate, tz: tzinfo) -> datetime:
    """The moment an expiry date (004) or date and time (005) passes, in the facility's
    time zone ``tz``. A date without a time ends at 23:59 (ST-001 §2.4.5; convention C3)."""
    if not value.structure.is_expiration:
        raise Isbt128Error(
            "not_an_expiry", f"Data Structure {value.structure.number} is not an expiration date", "input"
        )
    return datetime.combine(value.date, value.time or END_OF_DAY, tzinfo=tz)
