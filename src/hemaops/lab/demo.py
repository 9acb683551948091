"""Demo testing of the demo donations: the standard panel; an instrument file with the full
panel of every donation older than two days (the last two days' are still pending); a few
stories the lab lives by — an anti-HBc initially reactive cleared by its duplicates, an anti-HCV
repeatedly reactive (the donation marked for discard, the donor deferred and to be told), an
ABO discrepancy waiting for the supervisor; and the lab supervisor's signed release of the
acceptable donations older than a week. Everything through the services, as the operator (the
release as the supervisor, who signs). Idempotent: a second run finds the panel and stops."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from hemaops.core.demo import DEMO_PASSWORD, DemoLogins
from hemaops.core.models import User
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.donations.models import Donation
from hemaops.lab import services
from hemaops.lab.models import DonationTesting, TestPanel

STANDARD_PANEL = [
    "anti_hiv_1_2", "hiv_nat", "hbsag", "anti_hbc", "hbv_nat", "anti_hcv", "hcv_nat", "anti_htlv", "syphilis",
    "wnv_nat", "t_cruzi", "abo", "rhd", "antibody_screen",
]  # fmt: skip
SEROLOGY = ["anti_hiv_1_2", "hbsag", "anti_hbc", "anti_hcv", "anti_htlv", "syphilis", "t_cruzi"]
NAT = ["hiv_nat", "hbv_nat", "hcv_nat", "wnv_nat"]
HEADER = "din,marker,stage,reading,value,tested_at,instrument,run_id,pool_id"


def _line(din: str, marker: str, stage: str, reading: str, value: str, at: datetime, run: str) -> str:
    return f"{din},{marker},{stage},{reading},{value},{at.isoformat()},DEMO-ANALYZER,{run},"


def _panel_lines(donation: Donation, number: int) -> list[str]:
    din, donor = donation.din.din, donation.donor
    at = donation.ended_at + timedelta(hours=20)
    run = f"RUN-{at:%Y%m%d}"
    lines = []
    for marker in SEROLOGY:
        if marker == "anti_hbc" and number == 7:  # initially reactive, both duplicates nonreactive
            lines += [
                _line(din, marker, "initial", "reactive", "", at, run),
                _line(din, marker, "repeat", "nonreactive", "", at + timedelta(hours=3), f"{run}-R1"),
                _line(
                    din, marker, "repeat", "nonreactive", "", at + timedelta(hours=3, minutes=1), f"{run}-R2"
                ),
            ]
        elif marker == "anti_hcv" and number == 23:  # repeatedly reactive: never used, donor deferred
            lines += [
                _line(din, marker, "initial", "reactive", "", at, run),
                _line(din, marker, "repeat", "reactive", "", at + timedelta(hours=3), f"{run}-R1"),
                _line(
                    din, marker, "repeat", "nonreactive", "", at + timedelta(hours=3, minutes=1), f"{run}-R2"
                ),
            ]
        else:
            lines.append(_line(din, marker, "initial", "nonreactive", "", at, run))
    lines += [_line(din, marker, "individual", "nonreactive", "", at, run) for marker in NAT]
    abo, rhd = donor.abo_on_record or "O", donor.rhd_on_record or "pos"
    typed = ("AB" if abo != "AB" else "A") if number == 41 else abo  # disagrees with the record
    lines += [
        _line(din, "abo", "forward", "positive", typed, at, run),
        _line(din, "abo", "reverse", "positive", typed, at, run),
        _line(din, "rhd", "typing", "positive" if rhd == "pos" else "negative", rhd, at, run),
    ]
    if rhd == "neg":
        lines.append(_line(din, "rhd", "typing", "negative", "weak_d_neg", at + timedelta(minutes=30), run))
    lines.append(_line(din, "antibody_screen", "typing", "negative", "", at, run))
    return lines


@transaction.atomic
def load(logins: DemoLogins) -> None:
    if TestPanel.objects.exists():
        return
    services.panel_set(
        actor=None, name="Standard donor panel", markers=STANDARD_PANEL, effective_from=date(2024, 1, 1)
    )
    now = timezone.now()
    tested = list(
        Donation.objects.filter(ended_at__lte=now - timedelta(days=2))
        .select_related("din", "donor")
        .order_by("started_at", "pk")
    )
    if not tested:
        return
    lines = [line for number, donation in enumerate(tested) for line in _panel_lines(donation, number)]
    technologist = User.objects.filter(username="lab_technologist").first()
    services.results_import(
        actor=technologist, filename="demo-analyzer-export.csv", data="\n".join([HEADER, *lines]).encode()
    )
    # TRALI risk reduction: the female donors' platelet and plasma donations wait for an HLA
    # antibody result; the demo's are negative.
    for testing in DonationTesting.objects.exclude(required_special_tests=[]).select_related("donation"):
        services.special_test_record(
            actor=technologist, donation=testing.donation, test="hla_antibody", result="negative"
        )
    supervisor = User.objects.filter(username="lab_supervisor").first()
    if supervisor is None:
        return
    week_ago = now - timedelta(days=7)
    releasable = [
        testing.donation
        for testing in DonationTesting.objects.filter(status="acceptable", donation__ended_at__lte=week_ago)
        .select_related("donation__din")
        .order_by("pk")
    ]
    if releasable:
        services.donations_release(
            actor=supervisor,
            signer=signer_verify(actor=supervisor, password=DEMO_PASSWORD, authenticated_by=INTERACTIVE),
            donations=releasable,
            reason="demo: released after review of the run",
        )
