"""Test panels: ``panel_set`` (the markers every donation collected from a date is tested
for, never below the regulatory minimum of 21 CFR 610.40(a)) and the panel in force on a day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.models import User
from hemaops.lab import rules
from hemaops.lab.errors import LabError
from hemaops.lab.models import TestPanel
from hemaops.lab.service_support import STREAM


@transaction.atomic
def panel_set(
    *,
    actor: User | None,
    name: str,
    markers: Iterable[str],
    effective_from: date,
    code: str = "standard",
    t_cruzi_once_per_donor: bool = True,
    babesia_states: Iterable[str] = rules.BABESIA_STATES,
    platelet_bacterial_control: str = "primary_culture",
    trali_policy: str = "hla_antibody_testing",
) -> TestPanel:
    """The markers every donation collected from ``effective_from`` is tested for."""
    require_permission(actor, "lab.manage_test_panel")
    chosen: list[str] = []
    for marker in markers:
        try:
            chosen.append(rules.Marker(marker).value)
        except ValueError:
            raise LabError(
                f"markers: unknown marker {marker!r}", code="unknown_code", field="markers"
            ) from None
    missing = sorted(m.value for m in REGULATORY_MINIMUM - {rules.Marker(m) for m in chosen})
    if missing:
        raise LabError(
            f"markers: a panel tests every donation for {', '.join(missing)} too (21 CFR 610.40(a))",
            code="below_regulatory_minimum",
            field="markers",
        )
    if TestPanel.objects.filter(effective_from=effective_from).exists():
        raise LabError(
            f"effective_from: a panel already starts on {effective_from}",
            code="duplicate",
            field="effective_from",
        )
    panel = TestPanel.objects.create(
        code=code,
        name=name.strip() or code,
        markers=sorted(set(chosen)),
        t_cruzi_once_per_donor=t_cruzi_once_per_donor,
        babesia_states=sorted({state.upper() for state in babesia_states}),
        platelet_bacterial_control=platelet_bacterial_control,
        trali_policy=trali_policy,
        effective_from=effective_from,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="lab.panel.set",
        actor=actor,
        target=panel,
        data={"new": {"markers": panel.markers, "effective_from": effective_from}},
    )
    return panel


# Every donation, 610.40(a)(1)–(2) and the typing of 640.5 (Babesia is added by state).
REGULATORY_MINIMUM = frozenset(
    {
        rules.Marker.ANTI_HIV_1_2,
        rules.Marker.HIV_NAT,
        rules.Marker.HBSAG,
        rules.Marker.ANTI_HBC,
        rules.Marker.HBV_NAT,
        rules.Marker.ANTI_HCV,
        rules.Marker.HCV_NAT,
        rules.Marker.ANTI_HTLV,
        rules.Marker.SYPHILIS,
        rules.Marker.WNV_NAT,
        rules.Marker.T_CRUZI,
        rules.Marker.ABO,
        rules.Marker.RHD,
        rules.Marker.ANTIBODY_SCREEN,
    }
)


def _panels_by_day(days: Iterable[date]) -> dict[date, TestPanel]:
    """The panel in force on each day (one query for a whole run)."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    panels = list(TestPanel.objects.filter(effective_from__lte=wanted[-1]).order_by("effective_from"))
    in_force: dict[date, TestPanel] = {}
    for day in wanted:
        current = [panel for panel in panels if panel.effective_from <= day]
        if current:
            in_force[day] = current[-1]
    return in_force


def _rules_panel(panel: TestPanel) -> rules.Panel:
    return rules.Panel(
        markers=frozenset(rules.Marker(m) for m in panel.markers),
        t_cruzi_once_per_donor=panel.t_cruzi_once_per_donor,
        babesia_states=frozenset(panel.babesia_states),
    )
