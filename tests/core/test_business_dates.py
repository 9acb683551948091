from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from hemaops.core import roles
from hemaops.core.business_dates import business_time_resolve
from hemaops.core.errors import CoreError, PermissionDeniedError
from hemaops.core.models import AuditEvent, Site
from hemaops.core.rules import BusinessTime, classify_business_time
from hemaops.core.services import reference_data_save

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
TOLERANCE = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("occurred_at", "expected"),
    [
        (NOW, BusinessTime.CURRENT),
        (NOW - TOLERANCE, BusinessTime.CURRENT),
        (NOW + TOLERANCE, BusinessTime.CURRENT),
        (NOW - TOLERANCE - timedelta(microseconds=1), BusinessTime.PAST),
        (NOW + TOLERANCE + timedelta(microseconds=1), BusinessTime.FUTURE),
        (NOW - timedelta(days=400), BusinessTime.PAST),
    ],
)
def test_classify_business_time_at_each_boundary(occurred_at, expected):
    assert classify_business_time(occurred_at, NOW, TOLERANCE) is expected


def test_classify_business_time_refuses_naive_times():
    with pytest.raises(ValueError, match="timezone-aware"):
        classify_business_time(datetime(2026, 3, 2, 15, 0), NOW, TOLERANCE)  # noqa: DTZ001


@time_machine.travel(NOW, tick=False)
def test_absent_occurred_at_means_now(db):
    resolved = business_time_resolve(actor=None, occurred_at=None)
    assert resolved.occurred_at == NOW
    assert not resolved.backdated


@time_machine.travel(NOW, tick=False)
def test_back_dating_needs_the_permission_and_is_marked(make_user):
    yesterday = NOW - timedelta(days=1)
    with pytest.raises(PermissionDeniedError) as refusal:
        business_time_resolve(actor=make_user(roles.RECRUITER), occurred_at=yesterday)
    assert refusal.value.code == "backdating_not_permitted"
    assert refusal.value.field == "occurred_at"
    resolved = business_time_resolve(actor=make_user(roles.LAB_SUPERVISOR), occurred_at=yesterday)
    assert resolved.backdated
    assert resolved.occurred_at == yesterday


@time_machine.travel(NOW, tick=False)
def test_the_future_is_refused(make_user):
    with pytest.raises(CoreError) as refusal:
        business_time_resolve(actor=make_user(roles.ADMINISTRATOR), occurred_at=NOW + timedelta(hours=2))
    assert refusal.value.code == "future_time"


@time_machine.travel(NOW, tick=False)
def test_a_back_dated_change_is_audited_with_both_times(make_user, company):
    administrator = make_user(roles.ADMINISTRATOR)
    last_week = NOW - timedelta(days=7)
    site = reference_data_save(
        actor=administrator,
        instance=Site(
            company=company,
            code="late",
            name="Late entry",
            kind=Site.Kind.LABORATORY,
            time_zone="UTC",
        ),
        occurred_at=last_week,
        reason="paper record entered late",
    )
    event = AuditEvent.objects.get(target_type="core.site", target_id=str(site.pk))
    assert event.occurred_at == last_week
    assert event.recorded_at == NOW
    assert event.data["backdated"] is True
