"""Blood Groups [ABO and RhD], ISBT 128 Data Structure 002 ``=%ggre``.

Source: ICCBBA ST-001 v6.2.2 §2.4.2, Table 4 [RT005] (ABO/RhD and type of collection),
Table 5 [RT006] (special messages), Table 6 [RT007] (Rh, Kell and Mi^a/Mur phenotypes) —
domain-reference §3.5.

- ``gg``: ABO and RhD with an optional intended use (Table 4), or a special message (Table 5).
- ``r``: Rh (C, c, E, e), Kell or Mi^a/Mur phenotype (Table 6); ``0`` = no information.
- ``e``: reserved for future use, always ``0``.

The code tables ship as *data* and hold only what the domain reference gives (the default,
directed-only, emergency-only and autologous-only columns for the eight ABO/RhD groups, the
RhD-not-specified row's first two columns, and the special messages). ST-001 is licensed, so
the rest of Table 4 (further columns, Bombay/para-Bombay, pooled, A1/A2) and the C/c/E/e rows
of Table 6 are not typed in here: pass the licensed tables as ``codes`` and ``rh_phenotypes``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from hemaops.isbt128.errors import Isbt128Error

DATA_IDENTIFIER = "=%"
_GG_CHARACTERS = frozenset(string.ascii_letters + string.digits)  # ST-001 §2.4.2: {A–Z; a–z; 0–9}
_R_CHARACTERS = frozenset(string.ascii_uppercase + string.digits)  # {A–Z; 0–9}


class RhD(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    NOT_SPECIFIED = "not_specified"


class IntendedUse(StrEnum):
    """The columns of ST-001 Table 4 [RT005] (type of collection carried in ``gg``)."""

    DEFAULT = "default"  # intended use not specified
    DIRECTED_ONLY = "directed_only"  # directed (dedicated/designated) collection use only
    EMERGENCY_ONLY = "emergency_only"
    DIRECTED_BIOHAZARDOUS = "directed_biohazardous"
    DIRECTED_CROSSOVER = "directed_crossover"  # directed, eligible for crossover
    AUTOLOGOUS_CROSSOVER = "autologous_crossover"  # autologous, eligible for crossover
    AUTOLOGOUS_ONLY = "autologous_only"
    AUTOLOGOUS_BIOHAZARDOUS = "autologous_biohazardous"


@dataclass(frozen=True)
class BloodGroupCode:
    """The meaning of a ``gg`` value: a blood group with its intended use (Table 4), or a
    special message (Table 5), when ``abo`` and ``rhd`` are ``None``."""

    abo: str | None
    rhd: RhD | None
    intended_use: IntendedUse | None = None
    special_message: str | None = None


def _group_codes() -> dict[str, BloodGroupCode]:
    # domain-reference §3.5, from ST-001 Table 4 [RT005]:
    # group, RhD, then the default / directed only / emergency only / autologous only codes.
    rows: list[tuple[str, RhD, tuple[str | None, str | None, str | None, str | None]]] = [
        ("O", RhD.NEGATIVE, ("95", "91", "92", "97")),
        ("O", RhD.POSITIVE, ("51", "47", "48", "53")),
        ("A", RhD.NEGATIVE, ("06", "02", "03", "08")),
        ("A", RhD.POSITIVE, ("62", "58", "59", "64")),
        ("B", RhD.NEGATIVE, ("17", "13", "14", "19")),
        ("B", RhD.POSITIVE, ("73", "69", "70", "75")),
        ("AB", RhD.NEGATIVE, ("28", "24", "25", "30")),
        ("AB", RhD.POSITIVE, ("84", "80", "81", "86")),
        ("O", RhD.NOT_SPECIFIED, ("55", "P2", None, None)),
        ("A", RhD.NOT_SPECIFIED, ("66", "A2", None, None)),
        ("B", RhD.NOT_SPECIFIED, ("77", "B2", None, None)),
        ("AB", RhD.NOT_SPECIFIED, ("88", "C2", None, None)),
    ]
    uses = (
        IntendedUse.DEFAULT,
        IntendedUse.DIRECTED_ONLY,
        IntendedUse.EMERGENCY_ONLY,
        IntendedUse.AUTOLOGOUS_ONLY,
    )
    table: dict[str, BloodGroupCode] = {}
    for abo, rhd, codes in rows:
        for use, code in zip(uses, codes, strict=True):
            if code is not None:
                table[code] = BloodGroupCode(abo, rhd, use)
    # ST-001 Table 5 [RT006], special messages, as the domain reference gives them.
    messages = {
        "00": "no ABO or Rh information",
        "Ma": "autologous",
        "Mb": "biohazardous",
        "Md": "discard",
        "Mf": "for fractionation only",
        "Mq": "quarantine/hold",
        "Mr": "research only",
        "Mx": "not for transfusion based on test results",
    }
    messages |= {f"T{n}": f"tissue products only (special message T{n})" for n in range(1, 7)}
    for code, message in messages.items():
        table[code] = BloodGroupCode(None, None, None, message)
    return table


#: The ``gg`` codes the domain reference gives (a subset of ST-001 Tables 4 and 5).
REFERENCE_CODES: Mapping[str, BloodGroupCode] = MappingProxyType(_group_codes())


class Kell(StrEnum):
    NO_INFORMATION = "no_information"
    NEGATIVE = "negative"
    POSITIVE = "positive"


# ST-001 Table 6 [RT007] as the domain reference gives it: 0–9 and X = no Kell information;
# S, A–I, Y = K-negative; T, J–R, Z = K-positive; U, V = Mi^a/Mur; W = special testing.
_KELL = (
    dict.fromkeys("0123456789X", Kell.NO_INFORMATION)
    | dict.fromkeys("SABCDEFGHIY", Kell.NEGATIVE)
    | dict.fromkeys("TJKLMNOPQRZ", Kell.POSITIVE)
)

#: C/c/E/e phenotypes of ``r`` known from the domain reference: ``""`` = no C/c/E/e
#: information (0, S, T); F = C−, c+, E+, e−. Load RT007 for the other rows.
REFERENCE_RH_PHENOTYPES: Mapping[str, str] = MappingProxyType({"0": "", "S": "", "T": "", "F": "C-c+E+e-"})


@dataclass(frozen=True)
class Phenotype:
    """The ``r`` position (ST-001 Table 6 [RT007]).

    ``kell`` is ``None`` for U, V and W, which carry no Kell result. ``rh`` lists the C/c/E/e
    results (``"C-c+E+e-"``); ``""`` means the code says there is no C/c/E/e information, and
    ``None`` that the code's C/c/E/e meaning is not in the loaded table (or does not apply).
    ``mia_mur`` is the Mi^a/Mur result for U (negative, ``False``) and V (positive, ``True``).
    ``special_testing`` is true for W: a Special Testing bar code must be scanned.
    """

    code: str
    kell: Kell | None
    rh: str | None
    mia_mur: bool | None
    special_testing: bool


def phenotype(code: str, rh_phenotypes: Mapping[str, str] = REFERENCE_RH_PHENOTYPES) -> Phenotype:
    if len(code) != 1 or code not in _R_CHARACTERS:
        raise Isbt128Error(
            "invalid_phenotype",
            f"{code!r} is not a phenotype character (a digit or a capital letter)",
            "phenotype",
        )
    return Phenotype(
        code=code,
        kell=_KELL.get(code),
        rh=rh_phenotypes.get(code),
        mia_mur={"U": False, "V": True}.get(code),
        special_testing=code == "W",
    )


@dataclass(frozen=True)
class BloodGroup:
    """A parsed Data Structure 002; ``code`` is ``gg``, ``meaning`` its table entry."""

    code: str
    meaning: BloodGroupCode
    phenotype: Phenotype

    @property
    def abo(self) -> str | None:
        return self.meaning.abo

    @property
    def rhd(self) -> RhD | None:
        return self.meaning.rhd

    @property
    def data_content(self) -> str:
        return f"{self.code}{self.phenotype.code}0"


def format_blood_group(value: BloodGroup) -> str:
    return f"{DATA_IDENTIFIER}{value.data_content}"


def parse_blood_group(
    text: str,
    codes: Mapping[str, BloodGroupCode] = REFERENCE_CODES,
    rh_phenotypes: Mapping[str, str] = REFERENCE_RH_PHENOTYPES,
) -> BloodGroup:
    """Parse ``=%ggre`` (data identifier included), checking identifier, then length, then
    content (ST-001 §2.2)."""
    value = text.strip()
    if not value.startswith(DATA_IDENTIFIER):
        raise Isbt128Error(
            "data_identifier", "not a Blood Groups bar code: its data starts with '=%'", "data_identifier"
        )
    return parse_blood_group_content(value[len(DATA_IDENTIFIER) :], codes, rh_phenotypes)


def parse_blood_group_content(
    content: str,
    codes: Mapping[str, BloodGroupCode] = REFERENCE_CODES,
    rh_phenotypes: Mapping[str, str] = REFERENCE_RH_PHENOTYPES,
) -> BloodGroup:
    """Parse the four characters ``ggre``."""
    if len(content) != 4:
        raise Isbt128Error(
            "length", f"Blood Groups data is 4 characters (ggre); this has {len(content)}", "input"
        )
    gg, r, e = content[:2], content[2], content[3]
    if not set(gg) <= _GG_CHARACTERS:
        raise Isbt128Error("invalid_blood_group", f"{gg!r} is not a blood group code", "blood_group")
    meaning = codes.get(gg)
    if meaning is None:
        raise Isbt128Error(
            "unknown_blood_group",
            f"blood group code {gg!r} is not in the loaded table (the shipped table is the part of "
            "ST-001 Tables 4 and 5 the reference gives; load the licensed table for the rest)",
            "blood_group",
        )
    parsed = phenotype(r, rh_phenotypes)
    if e != "0":  # ST-001 §2.4.2: e is reserved for future use and always 0.
        raise Isbt128Error(
            "invalid_reserved", f"the reserved last character is {e!r}; it is always 0", "reserved"
        )
    return BloodGroup(gg, meaning, parsed)
