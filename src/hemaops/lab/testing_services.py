"""The donation's testing record: ``testings_open`` opens it where missing with the panel of
the donation's day and the markers (and special tests) it needs, frozen then; ``_testing_locked``
takes its row lock, so that holds, lifts, releases and evaluations of one donation take turns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from hemaops.donations.models import Donation
from hemaops.donations.services import record_families
from hemaops.lab import rules
from hemaops.lab.errors import LabError
from hemaops.lab.models import DonationTesting, TestResult
from hemaops.lab.panel_services import _panels_by_day, _rules_panel
from hemaops.lab.service_support import _donation_day


def _t_cruzi_qualified(donations: Sequence[Donation]) -> set[int]:
    """The donations whose donor has a documented nonreactive T. cruzi result on an earlier
    donation (the once-per-donor qualification)."""
    families = record_families({donation.donor_id for donation in donations})
    member_of = {member: donor for donor, members in families.items() for member in members}
    earliest: dict[int, datetime] = {}
    rows = TestResult.objects.filter(
        donation__donor_id__in=list(member_of),
        marker=rules.Marker.T_CRUZI,
        stage=rules.Stage.INITIAL,
        reading=rules.Reading.NONREACTIVE,
    ).values_list("donation__donor_id", "donation__started_at")
    for donor_id, started_at in rows:
        person = member_of[donor_id]
        earliest[person] = min(started_at, earliest.get(person, started_at))
    return {
        donation.pk
        for donation in donations
        if donation.donor_id in earliest and earliest[donation.donor_id] < donation.started_at
    }


def testings_open(donations: Sequence[Donation]) -> dict[int, DonationTesting]:
    """The donations' testing records, opened where missing with the panel of each one's day
    and the markers it needs (frozen then: a later panel does not change what a donation
    needed). A few queries for a whole run, however many donations."""
    found = {t.donation_id: t for t in DonationTesting.objects.filter(donation__in=[d.pk for d in donations])}
    missing = [donation for donation in donations if donation.pk not in found]
    if not missing:
        return found
    panels = _panels_by_day(_donation_day(donation) for donation in missing)
    qualified = _t_cruzi_qualified(missing)
    now = timezone.now()
    opened = []
    for donation in missing:
        day = _donation_day(donation)
        panel = panels.get(day)
        if panel is None:
            raise LabError(
                f"panel: no test panel is in force on {day}, the day of {donation.din.din}",
                code="no_panel",
                field="panel",
            )
        required = rules.required_markers(
            _rules_panel(panel),
            procedure=donation.procedure,
            collection_state=donation.site.region,
            donor_qualified_for_t_cruzi=donation.pk in qualified,
        )
        special = rules.trali_tests_required(
            policy=panel.trali_policy, procedure=donation.procedure, donor_sex=donation.donor.sex
        )
        opened.append(
            DonationTesting(
                donation=donation,
                panel=panel,
                required_markers=sorted(m.value for m in required),
                required_special_tests=sorted(special),
                bacterial_control=panel.platelet_bacterial_control
                if donation.procedure == "platelets"
                else "",
                evaluated_at=now,
            )
        )
    # A concurrent opening of the same donation wins; the conflict is skipped, then read back.
    DonationTesting.objects.bulk_create(opened, batch_size=1000, ignore_conflicts=True)
    return {t.donation_id: t for t in DonationTesting.objects.filter(donation__in=[d.pk for d in donations])}


def testing_open(donation: Donation) -> DonationTesting:
    return testings_open([donation])[donation.pk]


def _testing_locked(donation: Donation) -> DonationTesting:
    """The donation's testing row, locked: holds, lifts, releases and evaluations of one
    donation take turns."""
    testing_open(donation)
    return DonationTesting.objects.select_for_update().get(donation=donation)
