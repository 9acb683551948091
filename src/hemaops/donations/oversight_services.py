"""Oversight: the quality officer's review of reportable adverse reactions (house style §3:
one transaction, permission-checked, the row locked, audited in the ``donations`` stream).
The read side is in ``oversight_selectors``, the gate of a reaction in ``access``."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.errors import ConflictError
from hemaops.core.models import User
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import AdverseReaction

STREAM = "donations"
REVIEW_PERMISSION = "donations.review_adversereaction"


# --- the review of a reportable reaction ---------------------------------------------------


@transaction.atomic
def adverse_reaction_review(*, actor: User | None, reaction: AdverseReaction, note: str) -> AdverseReaction:
    """The quality officer records what was decided about a reportable reaction (reported to
    the FDA, investigated and closed …). A reaction is reviewed once; a second review is
    refused (409) and changes nothing."""
    require_permission(actor, REVIEW_PERMISSION)
    text = note.strip()
    if not text:
        raise DonationsError("note: say what was decided about the reaction", code="required", field="note")
    locked = (
        AdverseReaction.objects.select_for_update(of=("self",))
        .select_related("donation__din", "reviewed_by")
        .get(pk=reaction.pk)
    )
    if not locked.reportable:
        raise DonationsError(
            "reaction: only reportable reactions are reviewed", code="not_reportable", field="reaction"
        )
    if locked.reviewed_at is not None:
        reviewer = locked.reviewed_by.get_username() if locked.reviewed_by else "the operator"
        raise ConflictError(
            f"reviewed_at: the reaction was already reviewed by {reviewer} on "
            f"{locked.reviewed_at:%Y-%m-%d %H:%M} UTC",
            code="already_reviewed",
            field="reviewed_at",
        )
    locked.reviewed_by = actor
    locked.reviewed_at = timezone.now()
    locked.review_note = text
    locked.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        stream=STREAM,
        action="donations.reaction.reviewed",
        actor=actor,
        target=locked,
        data={
            "old": {"reviewed_by": None, "reviewed_at": None, "review_note": ""},
            "new": {
                "din": locked.donation.din.din,
                "reviewed_by": actor.get_username() if actor else None,
                "reviewed_at": locked.reviewed_at,
                "review_note": text,
            },
        },
        reason=text,
    )
    return locked
