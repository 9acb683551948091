"""Instrument files for the lab tests: a donation's full panel as CSV lines, with changes."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

HEADER = "din,marker,stage,reading,value,tested_at,instrument,run_id,pool_id"
SEROLOGY = ["anti_hiv_1_2", "hbsag", "anti_hbc", "anti_hcv", "anti_htlv", "syphilis", "t_cruzi"]
NAT = ["hiv_nat", "hbv_nat", "hcv_nat", "wnv_nat"]


def _at(moment: datetime | None) -> str:
    return (moment or timezone.now()).isoformat()


def line(din: str, marker: str, stage: str, reading: str, value: str = "", *, run: str = "R1", pool: str = "",
         at: datetime | None = None) -> str:  # fmt: skip
    return f"{din},{marker},{stage},{reading},{value},{_at(at)},PRISM,{run},{pool}"


def full_panel(
    din: str, *, abo: str = "O", rhd: str = "pos", skip: frozenset[str] = frozenset()
) -> list[str]:
    """Every required result of ``din``, nonreactive, typed ``abo`` ``rhd``, screen negative."""
    lines = [line(din, marker, "initial", "nonreactive") for marker in SEROLOGY if marker not in skip]
    lines += [line(din, marker, "individual", "nonreactive") for marker in NAT if marker not in skip]
    if "abo" not in skip:
        lines += [line(din, "abo", "forward", "positive", abo), line(din, "abo", "reverse", "positive", abo)]
    if "rhd" not in skip:
        lines.append(line(din, "rhd", "typing", "positive" if rhd == "pos" else "negative", rhd))
        if rhd == "neg":
            lines.append(line(din, "rhd", "typing", "negative", "weak_d_neg"))
    if "antibody_screen" not in skip:
        lines.append(line(din, "antibody_screen", "typing", "negative"))
    return lines


def file_of(lines: list[str]) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()
