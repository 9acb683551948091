"""Product Code, ISBT 128 Data Structure 003 ``=<αooootds``.

Source: ICCBBA ST-001 v6.2.2 §2.4.3 and Table 7 [RT008] (type of collection) —
domain-reference §3.4.

- ``αoooo`` is the Product Description Code (PDC). What a PDC *means* (class, modifier,
  attributes) is in ICCBBA's Product Description Code database, which is licensed and not
  shipped: this module checks structure only and never says what product a code is.
- ``tds`` depends on α:

  - E, F, H, S, P, X0 and YA–YZ: ``t`` is the collection type (Table 7) and ``ds`` the
    division code — ``d`` a capital letter (first-level division), ``s`` a lower-case letter
    (second-level) or ``0``; ``00`` = not divided; ``99`` = read Data Structure 032 Product
    Divisions (currently only S and P products);
  - M, N, R, T, V, W: ``tds`` is a three-digit division (pack) code, ``000`` = not divided
    (ST-001 §2.4.3 Figure 4, ``T1295003``);
  - X1–X9 (e.g. X5, in-vivo diagnostics): ``tds`` is reserved and ``000`` (ST-001 §2.4.3);
  - A–D (national or local codes): ``tds`` is defined with the national or local code, so
    only its characters are checked.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from enum import StrEnum

from hemaops.isbt128.errors import Isbt128Error

DATA_IDENTIFIER = "=<"
_PDC = re.compile(r"[A-Z][A-Z0-9]{4}")  # ST-001 §2.4.3: α {A–Z}; oooo {A–Z; 0–9}


class ProductCategory(StrEnum):
    """Type of product by the first character(s) of the PDC (ST-001 §2.4.3)."""

    BLOOD_COMPONENT = "blood_component"  # E, F
    MPHO_INN_USAN = "mpho_inn_usan"  # H: MPHO with INN and/or USAN names
    HUMAN_MILK = "human_milk"  # M0…
    TOPICAL = "topical"  # M9…: topical products of human origin
    ORGAN = "organ"  # N
    REGENERATED_TISSUE = "regenerated_tissue"  # P
    REPRODUCTIVE = "reproductive"  # R: reproductive tissue and cells
    CELLULAR_THERAPY = "cellular_therapy"  # S
    TISSUE = "tissue"  # T
    OCULAR = "ocular"  # V: ocular tissue
    FECAL_MICROBIOTA = "fecal_microbiota"  # W
    PLASMA_DERIVATIVE = "plasma_derivative"  # X0
    IN_VIVO_DIAGNOSTIC = "in_vivo_diagnostic"  # X5
    CLINICAL_TRIAL = "clinical_trial"  # YA–YZ
    NATIONAL_OR_LOCAL = "national_or_local"  # A–D


_BY_ALPHA = {
    "E": ProductCategory.BLOOD_COMPONENT,
    "F": ProductCategory.BLOOD_COMPONENT,
    "H": ProductCategory.MPHO_INN_USAN,
    "N": ProductCategory.ORGAN,
    "P": ProductCategory.REGENERATED_TISSUE,
    "R": ProductCategory.REPRODUCTIVE,
    "S": ProductCategory.CELLULAR_THERAPY,
    "T": ProductCategory.TISSUE,
    "V": ProductCategory.OCULAR,
    "W": ProductCategory.FECAL_MICROBIOTA,
    **dict.fromkeys("ABCD", ProductCategory.NATIONAL_OR_LOCAL),
}
_BY_TWO = {
    "M0": ProductCategory.HUMAN_MILK,
    "M9": ProductCategory.TOPICAL,
    "X0": ProductCategory.PLASMA_DERIVATIVE,
    "X5": ProductCategory.IN_VIVO_DIAGNOSTIC,
    **{f"Y{letter}": ProductCategory.CLINICAL_TRIAL for letter in string.ascii_uppercase},
}
_COLLECTION_AND_DIVISION = frozenset(
    {
        ProductCategory.BLOOD_COMPONENT,
        ProductCategory.MPHO_INN_USAN,
        ProductCategory.CELLULAR_THERAPY,
        ProductCategory.REGENERATED_TISSUE,
        ProductCategory.PLASMA_DERIVATIVE,
        ProductCategory.CLINICAL_TRIAL,
    }
)
_DIVISION_NUMBER = frozenset(
    {
        ProductCategory.HUMAN_MILK,
        ProductCategory.TOPICAL,
        ProductCategory.ORGAN,
        ProductCategory.REPRODUCTIVE,
        ProductCategory.TISSUE,
        ProductCategory.OCULAR,
        ProductCategory.FECAL_MICROBIOTA,
    }
)
#: ``99`` (divisions in Data Structure 032) is used "currently only [by] S and P products".
_DATA_STRUCTURE_032_USERS = frozenset({ProductCategory.CELLULAR_THERAPY, ProductCategory.REGENERATED_TISSUE})


class CollectionType(StrEnum):
    """ST-001 Table 7 [RT008]: the type of collection in the 6th position of the Product Code."""

    NOT_SPECIFIED = "0"
    VOLUNTEER_ALLOGENEIC = "V"
    VOLUNTEER_RESEARCH = "R"
    VOLUNTEER_SOURCE = "S"
    VOLUNTEER_THERAPEUTIC = "T"
    PAID_ALLOGENEIC = "P"
    PAID_RESEARCH = "r"
    PAID_SOURCE = "s"
    AUTOLOGOUS_CROSSOVER = "A"
    AUTOLOGOUS_ONLY = "1"
    AUTOLOGOUS_ONLY_BIOHAZARD = "X"
    VOLUNTEER_DIRECTED_CROSSOVER = "D"
    PAID_DIRECTED_CROSSOVER = "d"
    DIRECTED_RECIPIENT_ONLY = "2"
    DIRECTED_LIMITED_EXPOSURE = "L"
    MEDICAL_EXCEPTION = "E"
    SEE_SPECIAL_TESTING = "Q"
    DIRECTED_ONLY_BIOHAZARD = "3"
    DESIGNATED = "4"
    DEDICATED = "5"
    DESIGNATED_BIOHAZARD = "6"
    FAMILY_RESERVED = "F"
    REPLACEMENT = "C"
    ALLOGENEIC = "7"
    AUTOLOGOUS_WITH_ALLOGENEIC = "8"
    DIRECTED_DEDICATED_DESIGNATED_ONLY = "B"
    DIRECTED_DEDICATED_DESIGNATED_BIOHAZARDOUS = "H"
    DIRECTED_DEDICATED_DESIGNATED_CROSSOVER = "J"
    EMERGENCY_USE_ONLY = "G"

    @property
    def meaning(self) -> str:
        return COLLECTION_TYPE_MEANINGS[self]


#: Wording of the domain reference (§3.4); B, H and J, which it groups as "directed/dedicated/
#: designated variants", are worded as in ST-001 Table 7.
COLLECTION_TYPE_MEANINGS: dict[CollectionType, str] = {
    CollectionType.NOT_SPECIFIED: "not specified",
    CollectionType.VOLUNTEER_ALLOGENEIC: "volunteer allogeneic (default)",
    CollectionType.VOLUNTEER_RESEARCH: "volunteer research",
    CollectionType.VOLUNTEER_SOURCE: "volunteer source",
    CollectionType.VOLUNTEER_THERAPEUTIC: "volunteer therapeutic",
    CollectionType.PAID_ALLOGENEIC: "paid allogeneic",
    CollectionType.PAID_RESEARCH: "paid research",
    CollectionType.PAID_SOURCE: "paid source",
    CollectionType.AUTOLOGOUS_CROSSOVER: "autologous, eligible for crossover",
    CollectionType.AUTOLOGOUS_ONLY: "autologous use only",
    CollectionType.AUTOLOGOUS_ONLY_BIOHAZARD: "autologous only, biohazard",
    CollectionType.VOLUNTEER_DIRECTED_CROSSOVER: "volunteer directed, eligible for crossover",
    CollectionType.PAID_DIRECTED_CROSSOVER: "paid directed, eligible for crossover",
    CollectionType.DIRECTED_RECIPIENT_ONLY: "directed recipient only",
    CollectionType.DIRECTED_LIMITED_EXPOSURE: "directed, limited exposure",
    CollectionType.MEDICAL_EXCEPTION: "medical exception",
    CollectionType.SEE_SPECIAL_TESTING: "see special testing bar code",
    CollectionType.DIRECTED_ONLY_BIOHAZARD: "directed only, biohazard",
    CollectionType.DESIGNATED: "designated",
    CollectionType.DEDICATED: "dedicated",
    CollectionType.DESIGNATED_BIOHAZARD: "designated, biohazard",
    CollectionType.FAMILY_RESERVED: "family reserved",
    CollectionType.REPLACEMENT: "replacement",
    CollectionType.ALLOGENEIC: "allogeneic",
    CollectionType.AUTOLOGOUS_WITH_ALLOGENEIC: "autologous, containing allogeneic material",
    CollectionType.DIRECTED_DEDICATED_DESIGNATED_ONLY: "directed/dedicated/designated collection use only",
    CollectionType.DIRECTED_DEDICATED_DESIGNATED_BIOHAZARDOUS: (
        "directed/dedicated/designated collection, biohazardous"
    ),
    CollectionType.DIRECTED_DEDICATED_DESIGNATED_CROSSOVER: (
        "directed/dedicated/designated collection, eligible for crossover"
    ),
    CollectionType.EMERGENCY_USE_ONLY: "emergency use only",
}
_COLLECTION_TYPES = {member.value: member for member in CollectionType}
_DIVISION = re.compile(r"[A-Z][a-z0]")  # d: first-level A–Z; s: second-level a–z, or 0 (S12954A0)
_UPPER_OR_DIGIT = frozenset(string.ascii_uppercase + string.digits)  # d of a national/local code
_LOWER_OR_DIGIT = frozenset(string.ascii_lowercase + string.digits)  # s of a national/local code


def product_category(description_code: str) -> ProductCategory:
    """The type of product a Product Description Code belongs to (ST-001 §2.4.3)."""
    if not _PDC.fullmatch(description_code):
        raise Isbt128Error(
            "invalid_product_description_code",
            f"{description_code!r} is not a Product Description Code: a capital letter and four "
            "capital letters or digits",
            "product_description_code",
        )
    category = _BY_TWO.get(description_code[:2]) or _BY_ALPHA.get(description_code[0])
    if category is None:
        raise Isbt128Error(
            "unknown_product_category",
            f"no type of product starts {description_code[:2]!r} in ST-001 v6.2.2",
            "product_description_code",
        )
    return category


@dataclass(frozen=True)
class ProductCode:
    """A Product Code: the 5-character PDC and the 3 ``tds`` characters, checked on creation."""

    description_code: str
    tds: str

    def __post_init__(self) -> None:
        category = product_category(self.description_code)
        if len(self.tds) != 3:
            raise Isbt128Error("length", f"tds is 3 characters; got {len(self.tds)}", "input")
        t, ds = self.tds[0], self.tds[1:]
        if category in _COLLECTION_AND_DIVISION:
            if t not in _COLLECTION_TYPES:
                raise Isbt128Error(
                    "invalid_collection_type",
                    f"{t!r} is not a collection type (ST-001 Table 7)",
                    "collection_type",
                )
            if ds == "99" and category not in _DATA_STRUCTURE_032_USERS:
                raise Isbt128Error(
                    "invalid_division",
                    "division 99 (see Product Divisions, Data Structure 032) is only for cellular "
                    "therapy (S) and regenerated tissue (P) products",
                    "division",
                )
            if ds not in ("00", "99") and not _DIVISION.fullmatch(ds):
                raise Isbt128Error(
                    "invalid_division",
                    f"{ds!r} is not a division code: 00 (not divided), or a capital letter "
                    "followed by a lower-case letter or 0",
                    "division",
                )
        elif category in _DIVISION_NUMBER:
            if not (self.tds.isascii() and self.tds.isdigit()):
                raise Isbt128Error(
                    "invalid_division",
                    f"{self.tds!r} is not a three-digit division code (000 = not divided)",
                    "division",
                )
        elif category is ProductCategory.NATIONAL_OR_LOCAL:
            if not (t.isascii() and t.isalnum() and ds[0] in _UPPER_OR_DIGIT and ds[1] in _LOWER_OR_DIGIT):
                raise Isbt128Error(
                    "invalid_division", f"{self.tds!r} uses characters tds cannot hold", "division"
                )
        elif self.tds != "000":  # X1–X9: reserved for future use, 000
            raise Isbt128Error(
                "invalid_division",
                f"for {self.description_code[:2]} products tds is reserved and must be 000",
                "division",
            )

    @property
    def category(self) -> ProductCategory:
        return product_category(self.description_code)

    @property
    def collection_type(self) -> CollectionType | None:
        """The collection type, for products whose ``t`` carries one (else ``None``)."""
        if self.category not in _COLLECTION_AND_DIVISION:
            return None
        return _COLLECTION_TYPES[self.tds[0]]

    @property
    def division(self) -> str | None:
        """The division code: ``ds`` ("A0", "Ab", "99") or the three-digit code ("003");
        ``None`` when not divided, and for national/local codes, whose tds is locally defined."""
        category = self.category
        if category in _COLLECTION_AND_DIVISION:
            return None if self.tds[1:] == "00" else self.tds[1:]
        if category in _DIVISION_NUMBER:
            return None if self.tds == "000" else self.tds
        return None

    @property
    def divisions_in_product_divisions(self) -> bool:
        """``ds`` is ``99``: the divisions are in Data Structure 032 (``=,``)."""
        return self.category in _COLLECTION_AND_DIVISION and self.tds[1:] == "99"

    @property
    def data_content(self) -> str:
        return f"{self.description_code}{self.tds}"


def format_product_code(value: ProductCode) -> str:
    return f"{DATA_IDENTIFIER}{value.data_content}"


def parse_product_code(text: str) -> ProductCode:
    """Parse ``=<αooootds`` (data identifier included): identifier, length, content (ST-001 §2.2)."""
    value = text.strip()
    if not value.startswith(DATA_IDENTIFIER):
        raise Isbt128Error(
            "data_identifier", "not a Product Code bar code: its data starts with '=<'", "data_identifier"
        )
    return parse_product_code_content(value[len(DATA_IDENTIFIER) :])


def parse_product_code_content(content: str) -> ProductCode:
    """Parse the eight characters ``αooootds``."""
    if len(content) != 8:
        raise Isbt128Error(
            "length", f"Product Code data is 8 characters (αooootds); this has {len(content)}", "input"
        )
    return ProductCode(content[:5], content[5:])
