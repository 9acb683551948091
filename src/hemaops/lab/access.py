"""Gates through which the lab's pages and API load donations under test, results, holds
and notifications (house style §10): whoever may not view them gets the same 404 whether
they exist or not."""

from __future__ import annotations

from hemaops.core.errors import NotFoundError
from hemaops.core.models import User
from hemaops.donations.models import Donation
from hemaops.isbt128.din import Isbt128Error, parse_din
from hemaops.lab.errors import LabError
from hemaops.lab.models import DonationHold, DonorNotification, TestResult

VIEW_TESTING = "lab.view_donationtesting"


def _may(user: User, permission: str) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm(permission)


def access_testing_by_donation_id(user: User, donation_id: int) -> Donation:
    """The donation whose testing the lab reads (its ``DonationTesting`` may not exist yet:
    no result has arrived)."""
    if not _may(user, VIEW_TESTING):
        raise NotFoundError("No such donation.")
    donation = (
        Donation.objects.select_related("din", "donor", "site", "screening").filter(pk=donation_id).first()
    )
    if donation is None:
        raise NotFoundError("No such donation.")
    return donation


def din_text(raw: str, field: str = "din") -> str:
    """The 13-character DIN of a scanned, typed or eye-readable DIN; a DIN that does not
    parse is refused naming ``field``."""
    try:
        return parse_din(raw).text
    except Isbt128Error as error:
        raise LabError(f"{field}: {error.message}", code=error.code, field=field) from None


def access_testing_by_din(user: User, raw_din: str, field: str = "din") -> Donation:
    """As ``access_testing_by_donation_id``, from a DIN scanned or typed; a DIN that does not
    parse is a 400 naming ``field``, one no donation has is a 404 naming it."""
    if not _may(user, VIEW_TESTING):
        raise NotFoundError("No such donation.")
    text = din_text(raw_din, field)
    donation = (
        Donation.objects.select_related("din", "donor", "site", "screening").filter(din__din=text).first()
    )
    if donation is None:
        raise NotFoundError(f"{field}: no donation has DIN {text}", code="unknown_din", field=field)
    return donation


def access_result_by_id(user: User, result_id: int) -> TestResult:
    if not _may(user, "lab.view_testresult"):
        raise NotFoundError("No such result.")
    result = TestResult.objects.select_related("donation__din", "entered_by").filter(pk=result_id).first()
    if result is None:
        raise NotFoundError("No such result.")
    return result


def access_hold_by_id(user: User, hold_id: int) -> DonationHold:
    if not _may(user, "lab.view_donationhold"):
        raise NotFoundError("No such hold.")
    hold = DonationHold.objects.select_related("donation__din").filter(pk=hold_id).first()
    if hold is None:
        raise NotFoundError("No such hold.")
    return hold


def access_notification_by_id(user: User, notification_id: int) -> DonorNotification:
    if not _may(user, "lab.view_donornotification"):
        raise NotFoundError("No such notification.")
    notification = (
        DonorNotification.objects.select_related("donor", "donation__din").filter(pk=notification_id).first()
    )
    if notification is None:
        raise NotFoundError("No such notification.")
    return notification
