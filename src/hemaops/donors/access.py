"""Gates through which pages and the API load donors (house style §10). A donor record is
personal data: whoever may not view donors gets the same 404 whether it exists or not."""

from __future__ import annotations

from hemaops.core.errors import NotFoundError
from hemaops.core.models import User
from hemaops.donors.models import Donor, DonorConsent


def _may_view_donors(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("donors.view_donor")


def access_donor_by_id(user: User, donor_id: int) -> Donor:
    if not _may_view_donors(user):
        raise NotFoundError("No such donor.")
    donor = Donor.objects.select_related("merged_into").filter(pk=donor_id).first()
    if donor is None:
        raise NotFoundError("No such donor.")
    return donor


def access_donor_by_number(user: User, donor_number: str) -> Donor:
    if not _may_view_donors(user):
        raise NotFoundError("No such donor.")
    donor = Donor.objects.filter(donor_number=donor_number.strip().upper()).only("pk").first()
    if donor is None:
        raise NotFoundError("No such donor.")
    return access_donor_by_id(user, donor.pk)


def access_donor_consent_by_id(user: User, donor_id: int, consent_id: int) -> DonorConsent:
    donor = access_donor_by_id(user, donor_id)
    consent = DonorConsent.objects.select_related("donor").filter(pk=consent_id, donor=donor).first()
    if consent is None:
        raise NotFoundError("No such consent.")
    return consent
