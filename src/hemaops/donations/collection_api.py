"""Screening, overrides, donations and adverse reactions API (issue 5 items 3 and 5).

A screening answers with the decision and every reason, each saying whether and by whom it
may be overridden; an override of what is not overridable, and a collection the decision
does not allow, are refused with the code and the field. Signing needs an interactive
sign-in: an API token cannot override.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from hemaops.core.access import require_permission
from hemaops.core.authentication import authenticated_by, request_actor
from hemaops.core.errors import NotFoundError
from hemaops.core.models import User
from hemaops.core.signatures import signer_verify
from hemaops.donations import rules, selectors, services
from hemaops.donations.access import (
    access_donation_by_id,
    access_screening_by_id,
    access_screening_override_by_id,
)
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import AdverseReaction, Donation, Drive, Screening, ScreeningOverride
from hemaops.donors.access import access_donor_by_number

router = Router(tags=["screening and donation"])


class ScreeningIn(Schema):
    donor: str = Field(description="Donor number, e.g. D0000001")
    site: str = Field(description="Code of the collecting site")
    procedure: str = Field(description="whole_blood, double_red_cells, platelets, plasma or source_plasma")
    donation_type: str | None = Field(default=None, description="Defaults from the donor's type")
    vitals: dict[str, Any] = Field(description="The physical assessment, as the engine's vitals")
    answers: list[dict[str, Any]] = Field(
        default_factory=list, description="Health-history events: {code, date, hours?}"
    )
    screened_at: datetime | None = Field(default=None, description="Defaults to now; never in the future")
    drive: int | None = Field(
        default=None,
        description="Id of the mobile drive the donor came to; it must be held at the site that day",
    )


class ReasonOut(Schema):
    outcome: str
    code: str
    message: str
    source: str
    overridable_by: str | None
    overridable: bool
    overridden: bool
    ends_on: date | None


class OverrideOut(Schema):
    id: int
    reason_code: str
    justification: str
    director: str
    by_telephone: bool
    pending_signature: bool
    signed_at: datetime | None


class ScreeningOut(Schema):
    id: int
    donor: str
    site: str
    drive: int | None = Field(description="The mobile drive the donor came to; null at a fixed site")
    drive_host_organization: str | None
    screened_at: datetime
    screened_on: date
    procedure: str
    donation_type: str
    jurisdiction: str
    outcome: str
    eligible_on: date | None
    come_back: str
    collection_allowed: bool
    reasons: list[ReasonOut]
    overrides: list[OverrideOut]
    donation: int | None


class OverrideIn(Schema):
    reason_code: str
    justification: str
    password: str = Field(description="The director re-enters the password to sign")
    second_factor_code: str = ""


class TelephoneOverrideIn(Schema):
    reason_code: str
    justification: str
    director: str = Field(description="User name of the medical director who approved by telephone")


class SignIn(Schema):
    password: str
    second_factor_code: str = ""


class DonationIn(Schema):
    screening: int
    din: str = Field(description="The DIN label set scanned at the chair, or keyed with its check character")
    started_at: datetime
    ended_at: datetime
    volume_ml: int
    bag_lot: str
    outcome: str = Field(description="complete, short_draw or stopped")
    procedure: str | None = Field(default=None, description="Defaults to the screened procedure")


class ReactionOut(Schema):
    id: int
    donation: int
    din: str
    kind: str
    severity: str
    care_given: str
    occurred_at: datetime
    reportable: bool


class DonationOut(Schema):
    id: int
    screening: int
    donor: str
    site: str
    din: str
    procedure: str
    started_at: datetime
    ended_at: datetime
    volume_ml: int
    bag_lot: str
    phlebotomist: str
    outcome: str
    program: str = Field(description="Code of the program the unit was collected for")
    donor_classification: str = Field(description="paid or volunteer (21 CFR 606.121(c)(5))")
    label_statement: str = Field(description="What the label says: PAID DONOR or VOLUNTEER DONOR")
    collection_type: str = Field(
        description="ISBT 128 collection type (ST-001 Table 7): V, P, S, s, D, d or 1"
    )
    compensation_amount: str | None = Field(description="What the paid donor received; null for a volunteer")
    reactions: list[ReactionOut]


class ReactionIn(Schema):
    kind: str
    severity: str = Field(description="mild, moderate or severe (severe is always reportable)")
    care_given: str
    occurred_at: datetime | None = None
    reportable: bool = False


def _override_out(override: ScreeningOverride) -> OverrideOut:
    return OverrideOut(
        id=override.pk,
        reason_code=override.reason_code,
        justification=override.justification,
        director=override.director.get_username(),
        by_telephone=override.by_telephone,
        pending_signature=override.pending_signature,
        signed_at=override.signature.signed_at if override.signature else None,
    )


def screening_out(screening: Screening) -> ScreeningOut:
    overrides = list(screening.overrides.all())
    overridden = {override.reason_code for override in overrides}
    donation = Donation.objects.filter(screening=screening).values_list("pk", flat=True).first()
    return ScreeningOut(
        id=screening.pk,
        donor=screening.donor.donor_number,
        site=screening.site.code,
        drive=screening.drive_id,
        drive_host_organization=screening.drive.host_organization if screening.drive else None,
        screened_at=screening.screened_at,
        screened_on=screening.screened_on,
        procedure=screening.procedure,
        donation_type=screening.donation_type,
        jurisdiction=screening.jurisdiction,
        outcome=screening.outcome,
        eligible_on=screening.eligible_on,
        come_back=selectors.screening_come_back(screening),
        collection_allowed=screening.collection_allowed,
        reasons=[
            ReasonOut(
                **reason,
                overridable=reason["overridable_by"] is not None,
                overridden=reason["code"] in overridden,
            )
            for reason in screening.reasons
        ],
        overrides=[_override_out(override) for override in overrides],
        donation=donation,
    )


def _reaction_out(reaction: AdverseReaction) -> ReactionOut:
    return ReactionOut(
        id=reaction.pk,
        donation=reaction.donation_id,
        din=reaction.donation.din.din,
        kind=reaction.kind,
        severity=reaction.severity,
        care_given=reaction.care_given,
        occurred_at=reaction.occurred_at,
        reportable=reaction.reportable,
    )


def donation_out(donation: Donation) -> DonationOut:
    unit = rules.UnitClass(rules.Classification(donation.donor_classification), donation.collection_type)
    return DonationOut(
        id=donation.pk,
        screening=donation.screening_id,
        donor=donation.donor.donor_number,
        site=donation.site.code,
        din=donation.din.din,
        procedure=donation.procedure,
        started_at=donation.started_at,
        ended_at=donation.ended_at,
        volume_ml=donation.volume_ml,
        bag_lot=donation.bag_lot,
        phlebotomist=donation.phlebotomist.get_username(),
        outcome=donation.outcome,
        program=donation.program.code,
        donor_classification=donation.donor_classification,
        label_statement=unit.label_statement,
        collection_type=donation.collection_type,
        compensation_amount=str(donation.compensation_amount) if unit.paid else None,
        reactions=[_reaction_out(reaction) for reaction in donation.reactions.all()],
    )


@router.post("/screenings", response={201: ScreeningOut}, summary="Screen a donor: the eligibility decision")
def screening_create(request: HttpRequest, payload: ScreeningIn) -> Status:
    """Recorded with the decision of the configuration in force that day and every reason;
    a deferring decision puts its deferral on the donor's record. Impossible vitals, a
    future date or an unknown procedure: 400 naming the field."""
    actor = request_actor(request)
    require_permission(actor, "donations.add_screening")
    donor = access_donor_by_number(actor, payload.donor)
    drive = None
    if payload.drive is not None:
        drive = Drive.objects.select_related("site").filter(pk=payload.drive).first()
        if drive is None:
            raise DonationsError("drive: no such drive", code="unknown_drive", field="drive")
    screening = services.screening_record(
        actor=actor,
        donor=donor,
        site=selectors.collecting_site_get(payload.site),
        procedure=payload.procedure,
        vitals=payload.vitals,
        answers=payload.answers,
        donation_type=payload.donation_type,
        occurred_at=payload.screened_at,
        drive=drive,
    )
    return Status(201, screening_out(access_screening_by_id(actor, screening.pk)))


@router.get("/screenings/{screening_id}", response=ScreeningOut, summary="A screening and its decision")
def screening_detail(request: HttpRequest, screening_id: int) -> ScreeningOut:
    return screening_out(access_screening_by_id(request_actor(request), screening_id))


@router.post(
    "/screenings/{screening_id}/override",
    response={201: OverrideOut},
    summary="The medical director overrides an overridable reason and signs",
)
def screening_override(request: HttpRequest, screening_id: int, payload: OverrideIn) -> Status:
    """Only reasons whose ``overridable_by`` is set; a regulatory minimum or an
    infectious-disease deferral answers 400 ``not_overridable``."""
    actor = request_actor(request)
    require_permission(actor, services.OVERRIDE_PERMISSION)
    screening = access_screening_by_id(actor, screening_id)
    signer = signer_verify(
        actor=actor,
        password=payload.password,
        authenticated_by=authenticated_by(request),
        second_factor_code=payload.second_factor_code,
    )
    override = services.screening_override(
        actor=actor,
        signer=signer,
        screening=screening,
        reason_code=payload.reason_code,
        justification=payload.justification,
    )
    return Status(201, _override_out(override))


@router.post(
    "/screenings/{screening_id}/telephone-override",
    response={201: OverrideOut},
    summary="Record the medical director's override approved by telephone",
)
def screening_override_by_telephone(
    request: HttpRequest, screening_id: int, payload: TelephoneOverrideIn
) -> Status:
    actor = request_actor(request)
    require_permission(actor, "donations.add_screening")
    screening = access_screening_by_id(actor, screening_id)
    director = User.objects.filter(username=payload.director, is_active=True).first()
    if director is None:
        raise NotFoundError("director: no such user", code="unknown_director", field="director")
    override = services.screening_override_by_telephone(
        actor=actor,
        screening=screening,
        reason_code=payload.reason_code,
        justification=payload.justification,
        director=director,
    )
    return Status(201, _override_out(override))


@router.get(
    "/overrides/pending", response=list[OverrideOut], summary="Overrides approved by telephone, to sign"
)
def override_list_pending(request: HttpRequest) -> list[OverrideOut]:
    actor = request_actor(request)
    require_permission(actor, services.OVERRIDE_PERMISSION)
    return [_override_out(override) for override in selectors.override_list_pending(actor)]


@router.post(
    "/overrides/{override_id}/sign",
    response={201: OverrideOut},
    summary="The director signs an override approved by telephone",
)
def override_sign(request: HttpRequest, override_id: int, payload: SignIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, services.OVERRIDE_PERMISSION)
    override = access_screening_override_by_id(actor, override_id)
    signer = signer_verify(
        actor=actor,
        password=payload.password,
        authenticated_by=authenticated_by(request),
        second_factor_code=payload.second_factor_code,
    )
    signed = services.screening_override_sign(actor=actor, signer=signer, override=override)
    return Status(201, _override_out(signed))


@router.post("/donations", response={201: DonationOut}, summary="Record a donation under a scanned DIN")
def donation_create(request: HttpRequest, payload: DonationIn) -> Status:
    """Refused (400 ``donor_not_eligible``) unless the screening's decision allows this
    procedure that day, or every blocking reason is overridden; a DIN used before: 409."""
    actor = request_actor(request)
    require_permission(actor, "donations.add_donation")
    screening = access_screening_by_id(actor, payload.screening)
    donation = services.donation_record_scanned(
        actor=actor,
        screening=screening,
        raw_din=payload.din,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        volume_ml=payload.volume_ml,
        bag_lot=payload.bag_lot,
        outcome=payload.outcome,
        procedure=payload.procedure,
    )
    return Status(201, donation_out(access_donation_by_id(actor, donation.pk)))


@router.get("/donations/{donation_id}", response=DonationOut, summary="A donation and its reactions")
def donation_detail(request: HttpRequest, donation_id: int) -> DonationOut:
    return donation_out(access_donation_by_id(request_actor(request), donation_id))


@router.post(
    "/donations/{donation_id}/reactions", response={201: ReactionOut}, summary="Record an adverse reaction"
)
def reaction_create(request: HttpRequest, donation_id: int, payload: ReactionIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "donations.add_adversereaction")
    donation = access_donation_by_id(actor, donation_id)
    reaction = services.adverse_reaction_record(
        actor=actor,
        donation=donation,
        kind=payload.kind,
        severity=payload.severity,
        care_given=payload.care_given,
        occurred_at=payload.occurred_at,
        reportable=payload.reportable,
    )
    return Status(201, _reaction_out(reaction))


@router.get("/reactions", response=list[ReactionOut], summary="Adverse reactions, reportable first")
def reaction_list(request: HttpRequest, reportable: bool | None = None) -> list[ReactionOut]:
    require_permission(request_actor(request), "donations.view_adversereaction")
    return [_reaction_out(reaction) for reaction in selectors.reaction_list(reportable=reportable)]
