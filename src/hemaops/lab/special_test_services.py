"""Attributes products are ordered by and the donor's notification:
``special_test_record`` (CMV antibody, hemoglobin S, HLA antibodies — which TRALI risk reduction
waits for — red cell antigens), ``bacterial_control_record`` (a platelet donation's bacterial
control, which decides the platelets' dating), ``notification_record_done`` (the donor was told).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record, audit_record_many
from hemaops.core.models import User
from hemaops.donations.models import Donation
from hemaops.lab import rules
from hemaops.lab.errors import LabError
from hemaops.lab.evaluation_services import _reevaluate
from hemaops.lab.models import DonationTesting, DonorNotification
from hemaops.lab.service_support import STREAM, _donation_loaded
from hemaops.lab.testing_services import _testing_locked


@transaction.atomic
def special_test_record(*, actor: User, donation: Donation, test: str, result: str) -> DonationTesting:
    """A special test products are ordered by (CMV antibody, hemoglobin S, HLA antibodies for
    TRALI risk reduction, red cell antigens), kept as an attribute of the donation."""
    require_permission(actor, "lab.enter_result")
    problem = rules.special_test_problem(test, result.strip())
    if problem is not None:
        field = "test" if test not in rules.SPECIAL_TESTS else "result"
        raise LabError(f"{field}: {problem}", code="invalid_special_test", field=field)
    donation = _donation_loaded(donation)
    testing = _testing_locked(donation)
    old = testing.special_tests.get(test)
    testing.special_tests = {
        **testing.special_tests,
        test: {"result": result.strip(), "by": actor.get_username(), "at": timezone.now().isoformat()},
    }
    testing.save(update_fields=["special_tests"])
    events = [
        PendingEvent(
            "lab.special_test.recorded",
            testing,
            {"old": {test: old}, "new": {test: result.strip()}, "din": donation.din.din},
        )
    ]
    _reevaluate(actor, [donation], events)  # release may have waited for it (TRALI)
    audit_record_many(stream=STREAM, actor=actor, events=events)
    testing.refresh_from_db()
    return testing


BACTERIAL_CONTROLS = ("primary_culture", "lvds", "secondary_test", "pathogen_reduction")


@transaction.atomic
def bacterial_control_record(*, actor: User, donation: Donation, method: str) -> DonationTesting:
    """What was done against bacterial contamination of a platelet donation (it decides the
    platelets' dating, 5 or 7 days, in the components context)."""
    require_permission(actor, "lab.enter_result")
    if method not in BACTERIAL_CONTROLS:
        raise LabError(
            f"method: unknown method {method!r} (expected one of: {', '.join(BACTERIAL_CONTROLS)})",
            code="unknown_code",
            field="method",
        )
    donation = _donation_loaded(donation)
    if donation.procedure != "platelets":
        raise LabError(
            f"donation: {donation.din.din} is not a platelet donation", code="not_platelets", field="donation"
        )
    testing = _testing_locked(donation)
    old = testing.bacterial_control
    testing.bacterial_control = method
    testing.save(update_fields=["bacterial_control"])
    audit_record(
        stream=STREAM,
        action="lab.bacterial_control.recorded",
        actor=actor,
        target=testing,
        data={"old": {"method": old}, "new": {"method": method}, "din": donation.din.din},
    )
    return testing


@transaction.atomic
def notification_record_done(*, actor: User, notification: DonorNotification, how: str) -> DonorNotification:
    require_permission(actor, "lab.notify_donor")
    if not how.strip():
        raise LabError("how: say how the donor was told", code="required", field="how")
    notification = DonorNotification.objects.select_for_update().get(pk=notification.pk)
    if notification.done_at is not None:
        raise LabError("notification: already recorded", code="already_done", field="notification")
    notification.done_at, notification.done_by, notification.how = timezone.now(), actor, how.strip()
    notification.save(update_fields=["done_at", "done_by", "how"])
    audit_record(
        stream=STREAM,
        action="lab.notification.done",
        actor=actor,
        target=notification,
        data={"new": {"how": notification.how}},
    )
    return notification
