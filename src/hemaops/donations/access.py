"""Gates through which pages and the API load screenings, overrides and donations (house
style §10): whoever may not view them gets the same 404 whether they exist or not."""

from __future__ import annotations

from hemaops.core.errors import NotFoundError
from hemaops.core.models import User
from hemaops.donations.models import AdverseReaction, Donation, Screening, ScreeningOverride
from hemaops.donations.selectors import reaction_list


def _may(user: User, permission: str) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm(permission)


def access_screening_by_id(user: User, screening_id: int) -> Screening:
    if not _may(user, "donations.view_screening"):
        raise NotFoundError("No such screening.")
    screening = (
        Screening.objects.select_related("donor", "site", "screened_by", "drive__program")
        .prefetch_related("overrides__director", "overrides__signature", "deferrals")
        .filter(pk=screening_id)
        .first()
    )
    if screening is None:
        raise NotFoundError("No such screening.")
    return screening


def access_screening_override_by_id(user: User, override_id: int) -> ScreeningOverride:
    if not _may(user, "donations.view_screening"):
        raise NotFoundError("No such override.")
    override = (
        ScreeningOverride.objects.select_related("screening__donor", "director", "signature")
        .filter(pk=override_id)
        .first()
    )
    if override is None:
        raise NotFoundError("No such override.")
    return override


def access_donation_by_id(user: User, donation_id: int) -> Donation:
    if not _may(user, "donations.view_donation"):
        raise NotFoundError("No such donation.")
    donation = (
        Donation.objects.select_related(
            "donor", "site", "din", "phlebotomist", "program", "screening__drive", "compensation_rate"
        )
        .prefetch_related("reactions")
        .filter(pk=donation_id)
        .first()
    )
    if donation is None:
        raise NotFoundError("No such donation.")
    return donation


def access_reaction_by_id(user: User, reaction_id: int) -> AdverseReaction:
    """The gate of an adverse reaction: 404 for whoever may not view reactions."""
    if not (user.is_authenticated and user.is_active and user.has_perm("donations.view_adversereaction")):
        raise NotFoundError("No such reaction.")
    reaction = reaction_list().select_related("reviewed_by").filter(pk=reaction_id).first()
    if reaction is None:
        raise NotFoundError("No such reaction.")
    return reaction
