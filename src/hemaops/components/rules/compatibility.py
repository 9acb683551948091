"""ABO/RhD compatibility of a donor unit with a recipient, pure (house style §2): no Django,
no settings, no clock. The rules are domain-reference.md §4; each carries its source and tag.

§4 says of itself: "standard transfusion-medicine rules (AABB Technical Manual, not verified
verbatim) [U]; MSD Manual 'Compatible blood types' [S]; 21 CFR 606.121(c)(9) [P]". Where a
point is [U] this module takes the safe side and says so next to the rule:

- RhD-positive red cells (or whole blood) to an RhD-negative recipient are INCOMPATIBLE. §4.1
  allows them only "under documented emergency/medical-director policy" [U] — an override a
  person signs, not a compatibility result — so the engine never calls them compatible, and a
  female of childbearing potential gets a second reason of her own.
- Group A "universal" plasma (§4.2) is "policy, not a compatibility rule" [U]: A plasma to B
  or AB recipients stays INCOMPATIBLE.
- Low-titer group O whole blood (§4.3) depends on an institutional titer threshold [U]: not
  applied; whole blood stays ABO-identical.
- Platelets (§4.3) [U]: ABO-non-identical platelets are acceptable, so never INCOMPATIBLE, but
  every departure from "ABO-identical preferred" and every RhD-positive unit to an RhD-negative
  recipient is COMPATIBLE_WITH_WARNING.
- Cryoprecipitate (§4.3) [U]: all ABO groups acceptable; the case carries no age or volume, so
  ABO-incompatible cryo (donor plasma against the recipient's cells) is always
  COMPATIBLE_WITH_WARNING ("ABO-compatible preferred for neonates/large volumes"). RhD is not
  considered.

Blood types are written ``A+``, ``AB-``, ``O+`` …; ``A pos`` / ``A neg`` (any case for pos/neg,
one optional space) are accepted as well. The ABO letters must be upper case; a type without
RhD (``A``), an unknown group (``C+``) or ``ABO+`` is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class BloodTypeError(ValueError):
    """Text that is not a blood type, with a message a person can act on."""


class Abo(StrEnum):
    O = "O"  # noqa: E741 — the blood group is called O
    A = "A"
    B = "B"
    AB = "AB"

    @property
    def antigens(self) -> frozenset[str]:
        """The A/B antigens on the red cells."""
        return frozenset(self.value) - {"O"}

    @property
    def antibodies(self) -> frozenset[str]:
        """The naturally occurring anti-A/anti-B in the plasma: those against the antigens absent."""
        return frozenset({"A", "B"}) - self.antigens


_BLOOD_TYPE: Final = re.compile(r"^(AB|A|B|O)(?:([+-])|\s?(pos|neg))$", re.IGNORECASE)


@dataclass(frozen=True)
class BloodType:
    abo: Abo
    rhd_positive: bool

    def __str__(self) -> str:
        return f"{self.abo.value}{'+' if self.rhd_positive else '-'}"

    @classmethod
    def parse(cls, text: str) -> BloodType:
        match = _BLOOD_TYPE.match(text)
        if match is None or not match.group(1).isupper():
            raise BloodTypeError(
                f"{text!r} is not a blood type: expected O, A, B or AB followed by + or - (e.g. 'A+', 'O-')"
            )
        sign = match.group(2) or ("+" if match.group(3).lower() == "pos" else "-")
        return cls(abo=Abo(match.group(1)), rhd_positive=sign == "+")


ALL_BLOOD_TYPES: Final = tuple(BloodType(abo, rhd) for abo in Abo for rhd in (False, True))


class Component(StrEnum):
    RED_CELLS = "red_cells"
    PLASMA = "plasma"
    PLATELETS = "platelets"
    CRYO = "cryo"
    WHOLE_BLOOD = "whole_blood"


class Result(StrEnum):
    COMPATIBLE = "COMPATIBLE"
    INCOMPATIBLE = "INCOMPATIBLE"
    COMPATIBLE_WITH_WARNING = "COMPATIBLE_WITH_WARNING"


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    source: str
    blocking: bool  # True makes the result INCOMPATIBLE; False a warning


@dataclass(frozen=True)
class Compatibility:
    result: Result
    reasons: tuple[Reason, ...]


_SOURCE_RED_CELLS: Final = (
    "domain-reference.md §4.1 red cells table [U: AABB Technical Manual; S: MSD Manual]"
)
_SOURCE_RED_CELLS_RHD: Final = "domain-reference.md §4.1: Rh-negative recipients receive Rh-negative RBCs [U]"
_SOURCE_PLASMA: Final = "domain-reference.md §4.2 plasma table [U: AABB Technical Manual; S: MSD Manual]"
_SOURCE_WHOLE_BLOOD: Final = "domain-reference.md §4.3 whole blood: ABO-identical [U]"
_SOURCE_PLATELETS: Final = "domain-reference.md §4.3 platelets [U]"
_SOURCE_CRYO: Final = "domain-reference.md §4.3 cryoprecipitate [U]; Rh not considered (606.121(c)(9) [P])"


def red_cells_abo_compatible(recipient: Abo, donor: Abo) -> bool:
    """The donor's cells carry no antigen the recipient's plasma has antibodies to (§4.1)."""
    return not (donor.antigens & recipient.antibodies)


def plasma_abo_compatible(recipient: Abo, donor: Abo) -> bool:
    """The donor's plasma has no antibody to an antigen on the recipient's cells (§4.2)."""
    return not (donor.antibodies & recipient.antigens)


def _red_cell_rhd(
    recipient: BloodType, donor: BloodType, female_of_childbearing_potential: bool, what: str
) -> list[Reason]:
    # §4.1: "Rh-negative recipients receive Rh-negative RBCs"; RhD-positive only under documented
    # emergency/medical-director policy [U] — an override, so INCOMPATIBLE here (safe side).
    if recipient.rhd_positive or not donor.rhd_positive:
        return []
    reasons = [
        Reason(
            "rhd_positive_to_rhd_negative",
            f"RhD-positive {what} ({donor}) to an RhD-negative recipient ({recipient}): give RhD-negative "
            "units; RhD-positive only under a documented emergency/medical-director override",
            _SOURCE_RED_CELLS_RHD,
            blocking=True,
        )
    ]
    if female_of_childbearing_potential:
        # §4.1 / §4.3 emergency release: avoid especially in females of childbearing potential [U].
        reasons.append(
            Reason(
                "rhd_positive_to_female_of_childbearing_potential",
                f"RhD-positive {what} to an RhD-negative female of childbearing potential: "
                "risk of anti-D and hemolytic disease of the fetus and newborn; never by default",
                _SOURCE_RED_CELLS_RHD + "; priority to avoid in females of childbearing potential [U]",
                blocking=True,
            )
        )
    return reasons


def _red_cells(recipient: BloodType, donor: BloodType, female: bool) -> list[Reason]:
    reasons = []
    if not red_cells_abo_compatible(recipient.abo, donor.abo):
        reasons.append(
            Reason(
                "abo_incompatible",
                f"group {donor.abo} red cells carry antigens the group {recipient.abo} recipient has "
                f"antibodies to (group {recipient.abo} receives red cells of "
                f"{', '.join(a.value for a in Abo if red_cells_abo_compatible(recipient.abo, a))})",
                _SOURCE_RED_CELLS,
                blocking=True,
            )
        )
    return reasons + _red_cell_rhd(recipient, donor, female, "red cells")


def _plasma(recipient: BloodType, donor: BloodType) -> list[Reason]:
    # §4.2: the reverse of red cells; "RhD is not considered for plasma". Group A "universal"
    # plasma is policy, not a compatibility rule [U]: not applied.
    if plasma_abo_compatible(recipient.abo, donor.abo):
        return []
    return [
        Reason(
            "abo_incompatible",
            f"group {donor.abo} plasma has antibodies to the group {recipient.abo} recipient's red cells "
            f"(group {recipient.abo} receives plasma of "
            f"{', '.join(a.value for a in Abo if plasma_abo_compatible(recipient.abo, a))})",
            _SOURCE_PLASMA,
            blocking=True,
        )
    ]


def _whole_blood(recipient: BloodType, donor: BloodType, female: bool) -> list[Reason]:
    # §4.3: ABO-identical; low-titer group O whole blood needs an institutional titer threshold
    # [U] and is not applied. Whole blood is red cells too, so the §4.1 RhD rule applies.
    reasons = []
    if recipient.abo is not donor.abo:
        reasons.append(
            Reason(
                "abo_not_identical",
                f"whole blood must be ABO-identical: group {donor.abo} to a group {recipient.abo} recipient",
                _SOURCE_WHOLE_BLOOD,
                blocking=True,
            )
        )
    return reasons + _red_cell_rhd(recipient, donor, female, "whole blood")


def _platelets(recipient: BloodType, donor: BloodType, female: bool) -> list[Reason]:
    # §4.3 [U]: ABO-identical preferred; non-identical acceptable (a warning, never a refusal);
    # plasma-incompatible platelets risk hemolysis.
    reasons = []
    if not plasma_abo_compatible(recipient.abo, donor.abo):
        reasons.append(
            Reason(
                "platelets_plasma_incompatible",
                f"group {donor.abo} platelets carry plasma incompatible with a group {recipient.abo} "
                "recipient: risk of hemolysis; limit the volume, use low-titer or PAS/volume-reduced units",
                _SOURCE_PLATELETS,
                blocking=False,
            )
        )
    elif recipient.abo is not donor.abo:
        reasons.append(
            Reason(
                "abo_not_identical",
                f"group {donor.abo} platelets to a group {recipient.abo} recipient: acceptable, "
                "ABO-identical preferred",
                _SOURCE_PLATELETS,
                blocking=False,
            )
        )
    if donor.rhd_positive and not recipient.rhd_positive:
        reasons.append(
            Reason(
                "rhd_positive_to_rhd_negative",
                f"RhD-positive platelets ({donor}) to an RhD-negative recipient ({recipient}): "
                "prefer RhD-negative platelets, or give RhIG",
                _SOURCE_PLATELETS,
                blocking=False,
            )
        )
        if female:
            reasons.append(
                Reason(
                    "rhd_positive_to_female_of_childbearing_potential",
                    "RhD-positive platelets to an RhD-negative female of childbearing potential: "
                    "give RhD-negative platelets or RhIG after the transfusion",
                    _SOURCE_PLATELETS,
                    blocking=False,
                )
            )
    return reasons


def _cryo(recipient: BloodType, donor: BloodType) -> list[Reason]:
    # §4.3 [U]: all ABO groups acceptable; ABO-compatible preferred for neonates/large volumes.
    # The case carries neither, so plasma-incompatible cryo always warns. Rh not considered.
    if plasma_abo_compatible(recipient.abo, donor.abo):
        return []
    return [
        Reason(
            "cryo_plasma_incompatible",
            f"group {donor.abo} cryoprecipitate to a group {recipient.abo} recipient: acceptable, "
            "but ABO-compatible cryoprecipitate is preferred for neonates and large volumes",
            _SOURCE_CRYO,
            blocking=False,
        )
    ]


def compatibility(
    component: Component,
    recipient: BloodType,
    donor: BloodType,
    *,
    recipient_female_of_childbearing_potential: bool = False,
) -> Compatibility:
    """Whether a ``donor`` unit of ``component`` may go to ``recipient`` by ABO/RhD (§4).

    ABO/RhD only: crossmatch, antibody screen and electronic-crossmatch eligibility (21 CFR
    606.151, AABB Standards) are decided elsewhere."""
    female = recipient_female_of_childbearing_potential
    if component is Component.RED_CELLS:
        reasons = _red_cells(recipient, donor, female)
    elif component is Component.PLASMA:
        reasons = _plasma(recipient, donor)
    elif component is Component.WHOLE_BLOOD:
        reasons = _whole_blood(recipient, donor, female)
    elif component is Component.PLATELETS:
        reasons = _platelets(recipient, donor, female)
    else:
        reasons = _cryo(recipient, donor)
    if any(reason.blocking for reason in reasons):
        result = Result.INCOMPATIBLE
    elif reasons:
        result = Result.COMPATIBLE_WITH_WARNING
    else:
        result = Result.COMPATIBLE
    return Compatibility(result, tuple(reasons))
