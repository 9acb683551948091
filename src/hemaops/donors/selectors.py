"""Read side of the donors context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet

from hemaops.donors.configuration import Configuration, configuration_from_json
from hemaops.donors.models import Donor, DonorConsent, DonorTypePeriod, EligibilityConfiguration
from hemaops.donors.rules import DONOR_NUMBER_PREFIX, donor_number_format


def eligibility_configuration_on(day: date) -> Configuration:
    """The configuration in force on ``day``: the latest version starting on or before it,
    else the shipped defaults."""
    version = (
        EligibilityConfiguration.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    )
    return configuration_from_json(version.document if version is not None else {})


# --- donor registry ---------------------------------------------------------------------


def donor_list_search(query: str = "") -> QuerySet[Donor]:
    """Donors matching ``query``: a donor number (exact or its digits), a date of birth
    (YYYY-MM-DD), or names ("family", "family, given", "given family"). Merged duplicates
    are found too, so that a number on an old record still leads to the survivor."""
    donors = Donor.objects.select_related("merged_into").order_by("family_name", "given_name", "donor_number")
    text = " ".join(query.split())
    if not text:
        return donors
    try:
        born = date.fromisoformat(text)
    except ValueError:
        born = None
    if born is not None:
        return donors.filter(date_of_birth=born)
    if (text.upper().startswith(DONOR_NUMBER_PREFIX) and text[1:].isdigit()) or text.isdigit():
        digits = text.lstrip("dD")
        return donors.filter(donor_number=donor_number_format(int(digits))) if int(digits) else donors.none()
    words = [word for word in text.replace(",", " ").split() if word]
    condition = Q()
    for word in words:
        condition &= Q(family_name__icontains=word) | Q(given_name__icontains=word)
    return donors.filter(condition)


def donor_get_detail(donor: Donor) -> Donor:
    """The donor with its type history and consents loaded (one query each)."""
    return (
        Donor.objects.select_related("merged_into")
        .prefetch_related(
            Prefetch(
                "type_periods",
                queryset=DonorTypePeriod.objects.select_related("program", "merged_from").order_by(
                    "started_on", "pk"
                ),
            ),
            Prefetch(
                "consents",
                queryset=DonorConsent.objects.select_related("merged_from").order_by(
                    "kind", "given_on", "pk"
                ),
            ),
            "merged_duplicates",
        )
        .get(pk=donor.pk)
    )


def donor_type_current_by_donor(donor_ids: list[int]) -> dict[int, DonorTypePeriod]:
    """Each donor's current type period (its own, not one merged in), in one query."""
    periods = DonorTypePeriod.objects.filter(
        donor_id__in=donor_ids, ended_on__isnull=True, merged_from__isnull=True
    ).select_related("program")
    return {period.donor_id: period for period in periods}


@dataclass(frozen=True)
class RegistryCounts:
    donors: int
    registered_today: int
    merged: int
    address_unconfirmed: int


def registry_counts(today: date) -> RegistryCounts:
    active = Donor.objects.filter(merged_into__isnull=True)
    figures = active.aggregate(
        donors=Count("pk"),
        address_unconfirmed=Count("pk", filter=Q(address_confirmed_on__isnull=True)),
    )
    return RegistryCounts(
        donors=figures["donors"],
        registered_today=active.filter(created_at__date=today).count(),
        merged=Donor.objects.filter(merged_into__isnull=False).count(),
        address_unconfirmed=figures["address_unconfirmed"],
    )
