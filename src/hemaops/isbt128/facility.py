"""Facility Identification Number (FIN), the first five characters of a DIN.

Source: ICCBBA ST-001 v6.2.2, Data Structure 001 (domain-reference §3.2): the first
character is A–N, P–Z or 1–9 (no letter O, no zero); positions 2–3 are A–N, P–Z or 0–9;
positions 4–5 are digits.
"""

from __future__ import annotations

import re

_FIN = re.compile(r"[A-NP-Z1-9][A-NP-Z0-9]{2}[0-9]{2}")


def is_facility_identification_number(value: str) -> bool:
    return bool(_FIN.fullmatch(value))
