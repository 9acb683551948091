"""ISO/IEC 7064 MOD 37-2, the keyboard-entry check character K and Type 3 DIN flags.

Source: ICCBBA ST-001 v6.2.2 §7.5 and Appendix A "Donation Identification Number Check
Character [K]"; value table Table 35 [RT035]; Type 3 flags Table 3 [RT004]
(domain-reference §3.3, §3.2).

- Values: ``0``–``9`` → 0–9, ``A``–``Z`` → 10–35, ``*`` → 36 (``*`` only ever appears as a
  check character, never in the data).
- Checksum: S = Σ v × 2ⁿ with n counted from the right end, rightmost character n = 1;
  c = (38 − S mod 37) mod 37. K is the character whose value is c.
- Type 3 flags: the two digits of 60 + c (60–96).
- Not defined on lower-case letters (ST-001 §7.5), so they are refused, not folded.
"""

from __future__ import annotations

from hemaops.isbt128.errors import Isbt128Error

#: Table 35 [RT035]: a character's position in this string is its value.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
MODULUS = 37
#: Type 3 flag values run from 60 (checksum 0) to 96 (checksum 36) (Table 3 [RT004]).
TYPE_3_FLAG_OFFSET = 60
_DATA_CHARACTERS = frozenset(ALPHABET[:-1])


def mod37_2(data: str) -> int:
    """The ISO/IEC 7064 MOD 37-2 checksum (0–36) of ``data`` (ST-001 Appendix A, steps 1–5).

    Computed by the recursive form p = ((p + v) × 2) mod 37, which equals Σ v × 2ⁿ mod 37.
    """
    if not data:
        raise Isbt128Error("empty", "there are no characters to compute a check character on", "input")
    remainder = 0
    for position, character in enumerate(data, start=1):
        if character not in _DATA_CHARACTERS:
            raise Isbt128Error(
                "invalid_character",
                f"character {position} ({character!r}) cannot carry a MOD 37-2 check character: "
                "only digits and capital letters A–Z can",
                "input",
            )
        remainder = ((remainder + ALPHABET.index(character)) * 2) % MODULUS
    return (MODULUS + 1 - remainder) % MODULUS


def check_character(data: str) -> str:
    """The keyboard-entry check character K of ``data`` (ST-001 Appendix A, step 6)."""
    return ALPHABET[mod37_2(data)]


def type_3_flags(data: str) -> str:
    """The Type 3 flag characters of a 13-character DIN: 60 + checksum (ST-001 Appendix A, step 7)."""
    return str(TYPE_3_FLAG_OFFSET + mod37_2(data))


def is_valid_check_character(data: str, check: str) -> bool:
    """Whether ``check`` is the check character of ``data``.

    Uses the ISO/IEC 7064 validation rule rather than recomputing K: Σ vᵢ × 2ⁿⁱ over the data
    and the check character (the check character at n = 0) ≡ 1 (mod 37).
    """
    if len(check) != 1 or check not in ALPHABET:
        return False
    total = ALPHABET.index(check)
    for exponent, character in enumerate(reversed(data), start=1):
        if character not in _DATA_CHARACTERS:
            return False
        total += ALPHABET.index(character) * pow(2, exponent, MODULUS)
    return bool(data) and total % MODULUS == 1
