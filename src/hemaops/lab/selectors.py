"""The laboratory's read side (house style §4): the worklists of the lab home, the deferred
donor list and one donation's testing record, each with its relations loaded so that a page
or an API answer costs a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from hemaops.core.models import User
from hemaops.donations.models import Donation
from hemaops.donors.models import DonorMarkerResult
from hemaops.lab import rules
from hemaops.lab.models import (
    DonationHold,
    DonationRelease,
    DonationTesting,
    DonorNotification,
    TestResult,
)

WORK_DUE = (rules.MarkerStatus.REPEAT_NEEDED.value, rules.MarkerStatus.RESOLUTION_NEEDED.value)


def _testing_rows() -> QuerySet[DonationTesting]:
    return DonationTesting.objects.select_related("donation__din", "donation__donor", "donation__site")


def results_list_to_verify(viewer: User) -> QuerySet[TestResult]:
    """Results typed by hand that nobody verified yet, except the viewer's own (a result is
    verified by another person)."""
    return (
        TestResult.objects.filter(source_import__isnull=True, verified_at__isnull=True)
        .exclude(entered_by=viewer)
        .select_related("donation__din", "entered_by")
        .order_by("entered_at", "pk")
    )


def results_list_own_unverified(viewer: User) -> QuerySet[TestResult]:
    """The viewer's own hand-entered results still waiting for another person."""
    return (
        TestResult.objects.filter(source_import__isnull=True, verified_at__isnull=True, entered_by=viewer)
        .select_related("donation__din")
        .order_by("entered_at", "pk")
    )


@dataclass(frozen=True)
class WorkDue:
    """A donation that owes repeats (initially reactive serology) or a NAT resolution."""

    testing: DonationTesting
    due: list[str] = field(default_factory=list)  # "anti_hcv repeat_needed", …


def testing_list_work_due() -> list[WorkDue]:
    """Pending donations whose reasons name a repeat or a resolution (the reasons are kept by
    the services from ``rules.evaluate``)."""
    rows = (
        _testing_rows()
        .filter(status=rules.TestingStatus.PENDING)
        .filter(Q(reasons__icontains=WORK_DUE[0]) | Q(reasons__icontains=WORK_DUE[1]))
        .order_by("pk")
    )
    return [
        WorkDue(testing, [reason for reason in testing.reasons if reason.endswith(WORK_DUE)])
        for testing in rows
    ]


def testing_list_pending() -> QuerySet[DonationTesting]:
    """Donations still missing results (their reasons say which)."""
    return _testing_rows().filter(status=rules.TestingStatus.PENDING).order_by("pk")


def donation_list_awaiting_results() -> QuerySet[Donation]:
    """Donations collected whose first result has not arrived: no testing record yet."""
    return (
        Donation.objects.filter(testing__isnull=True)
        .select_related("din", "site")
        .order_by("started_at", "pk")
    )


def testing_list_discrepancies() -> QuerySet[DonationTesting]:
    return _testing_rows().filter(status=rules.TestingStatus.DISCREPANCY).order_by("pk")


def testing_list_release_queue() -> QuerySet[DonationTesting]:
    """Acceptable, no active hold, not released: what the supervisor may release."""
    active_hold = DonationHold.objects.filter(donation=OuterRef("donation"), lifted_at__isnull=True)
    released = DonationRelease.objects.filter(donation=OuterRef("donation"))
    return (
        _testing_rows()
        .filter(status=rules.TestingStatus.ACCEPTABLE)
        .filter(~Exists(active_hold), ~Exists(released))
        .order_by("pk")
    )


def hold_list_active() -> QuerySet[DonationHold]:
    return (
        DonationHold.objects.filter(lifted_at__isnull=True)
        .select_related("donation__din", "placed_by")
        .order_by("placed_at", "pk")
    )


def testing_list_late_reactive() -> QuerySet[DonationTesting]:
    """Reactive results that arrived after release: the quality officer follows them."""
    return _testing_rows().filter(late_reactive=True).select_related("donation__release").order_by("pk")


@dataclass(frozen=True)
class NotificationDue:
    notification: DonorNotification
    overdue: bool


def notification_list_due(today: date | None = None) -> list[NotificationDue]:
    """Donors still to be told of a result (21 CFR 630.40), soonest due first."""
    day = today or timezone.localdate()
    rows = (
        DonorNotification.objects.filter(done_at__isnull=True)
        .select_related("donor", "donation__din")
        .order_by("due_on", "pk")
    )
    return [NotificationDue(row, row.due_on < day) for row in rows]


def deferred_donor_list() -> QuerySet[DonorMarkerResult]:
    """Every donor with a result on record that defers them: marker, result, date and DIN
    (21 CFR 606.160(e): the cumulative list of deferred donors, kept current)."""
    return DonorMarkerResult.objects.select_related("donor").order_by(
        "donor__donor_number", "tested_on", "pk"
    )


@dataclass(frozen=True)
class TestingDetail:
    __test__ = False  # not a pytest test class

    donation: Donation
    testing: DonationTesting | None
    results: list[TestResult]
    holds: list[DonationHold]
    release: DonationRelease | None
    notifications: list[DonorNotification]

    @property
    def active_holds(self) -> list[DonationHold]:
        return [hold for hold in self.holds if hold.lifted_at is None]


def donation_testing_detail(donation: Donation) -> TestingDetail:
    """The donation's testing record: every result with who entered and verified it, the
    holds, the release with its signature, the notifications owed to the donor."""
    testing = (
        DonationTesting.objects.select_related("panel", "discrepancy_signature")
        .filter(donation=donation)
        .first()
    )
    results = list(
        TestResult.objects.filter(donation=donation)
        .select_related("entered_by", "verified_by", "source_import", "pool")
        .order_by("marker", "tested_at", "pk")
    )
    holds = list(
        DonationHold.objects.filter(donation=donation)
        .select_related("placed_by", "lifted_by")
        .order_by("-placed_at", "-pk")
    )
    release = (
        DonationRelease.objects.select_related("signature", "released_by").filter(donation=donation).first()
    )
    notifications = list(DonorNotification.objects.filter(donation=donation).select_related("done_by"))
    return TestingDetail(donation, testing, results, holds, release, notifications)
