"""What the lab's service modules share: the audit stream they write on and a donation
loaded with what testing reads (its DIN, donor, site and screening, and the day it belongs to).
Internal to the lab; callers use ``lab.services``.
"""

from __future__ import annotations

from datetime import date

from hemaops.donations.models import Donation

STREAM = "lab"


def _donation_day(donation: Donation) -> date:
    return donation.screening.screened_on


def _donation_loaded(donation: Donation) -> Donation:
    return Donation.objects.select_related("din", "donor", "site", "screening").get(pk=donation.pk)
