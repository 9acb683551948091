"""Read side of DIN label stock."""

from __future__ import annotations

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from hemaops.core.models import Site, User
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import AdverseReaction, DinLabelStock, IssuedDin, Screening, ScreeningOverride
from hemaops.isbt128.din import Din


def din_stock_list() -> QuerySet[DinLabelStock]:
    """Every received range with its site and how many of its DINs were used (one query)."""
    used = (
        IssuedDin.objects.filter(stock=OuterRef("pk"))
        .order_by()
        .values("stock")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        DinLabelStock.objects.select_related("site", "received_by")
        .annotate(used_count=Coalesce(Subquery(used, output_field=IntegerField()), Value(0)))
        .annotate(size_count=F("last_sequence") - F("first_sequence") + 1)
        .order_by("facility", "-year", "first_sequence")
    )


def issued_din_list_recent(limit: int = 20) -> QuerySet[IssuedDin]:
    return IssuedDin.objects.select_related("site", "claimed_by").order_by("-claimed_at", "-pk")[:limit]


def issued_din_get(pk: int) -> IssuedDin | None:
    return IssuedDin.objects.select_related("site", "claimed_by").filter(pk=pk).first()


def issued_din_parts(issued: IssuedDin) -> Din:
    return Din(issued.facility, issued.year, f"{issued.sequence:06d}", issued.flags or None)


def collecting_sites() -> QuerySet[Site]:
    """Active sites with a FIN: where a DIN can be claimed or generated."""
    return Site.objects.filter(is_active=True).exclude(facility_identification_number="").order_by("code")


def collecting_site_get(code: str) -> Site:
    site = collecting_sites().filter(code=code).first()
    if site is None:
        raise DonationsError(f"site: no active site {code!r} with a FIN", code="unknown_site", field="site")
    return site


# --- screening, overrides, reactions ------------------------------------------------------


def screening_come_back(screening: Screening) -> str:
    """What the donor is told about coming back, from the stored decision."""
    outcome = screening.outcome
    if screening.collection_allowed or outcome in {"ELIGIBLE", "ELIGIBLE_ALT_PROCEDURE"}:
        return "Eligible today."
    if outcome == "INELIGIBLE_PERMANENT":
        return "Permanently deferred: the donor may not donate again."
    if outcome == "INELIGIBLE_INDEFINITE":
        return "Deferred indefinitely: the donor may not donate until requalified."
    if screening.eligible_on is not None:
        return f"Come back on or after {screening.eligible_on.isoformat()}."
    if outcome == "INELIGIBLE_TEMPORARY":
        return "Not today: re-assessed at the next visit."
    if outcome == "REQUIRES_PHYSICIAN":
        return "Not without the medical director's override of the physician-judged findings."
    return "The assessment is incomplete: complete or repeat the measurements and screen again."


def override_list_pending(director: User) -> QuerySet[ScreeningOverride]:
    """The overrides a director approved by telephone and has not signed yet."""
    return (
        ScreeningOverride.objects.filter(director=director, signature__isnull=True)
        .select_related("screening__donor", "director", "signature")
        .order_by("recorded_at", "pk")
    )


def reaction_list(*, reportable: bool | None = None) -> QuerySet[AdverseReaction]:
    reactions = AdverseReaction.objects.select_related("donation__din", "donation__donor")
    if reportable is not None:
        reactions = reactions.filter(reportable=reportable)
    return reactions.order_by("-reportable", "-occurred_at", "-pk")
