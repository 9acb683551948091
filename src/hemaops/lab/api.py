"""API of the laboratory, mounted under /api/v1/lab: result files and results typed by hand,
a donation's testing record, holds, the signed batch release, the worklists and the deferred
donor list. Every POST records something and answers 201; errors are
``{"error": {"code", "message", "field"}}`` with their 4xx status (hemaops.api), and a refused
result file adds ``errors``, every line and field at fault."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, File, Router, Schema, Status, UploadedFile

from hemaops.core.access import require_permission
from hemaops.core.api_schemas import FileRefusedOut
from hemaops.core.authentication import authenticated_by, request_actor
from hemaops.core.models import User
from hemaops.core.signatures import signer_verify
from hemaops.donations.models import Donation
from hemaops.lab import selectors, services
from hemaops.lab.access import (
    VIEW_TESTING,
    access_hold_by_id,
    access_result_by_id,
    access_testing_by_din,
    din_text,
)
from hemaops.lab.errors import LabError
from hemaops.lab.models import DonationHold, DonationTesting, ResultImport, TestResult

router = Router(tags=["laboratory"])


def _name(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


# --- schemas ----------------------------------------------------------------------------------


class ImportOut(Schema):
    id: int
    filename: str
    sha256: str
    rows: int
    instrument: str
    imported_by: str | None
    imported_at: datetime
    imported_before: bool = Field(description="The same file was imported before; nothing changed.")


class ResultIn(Schema):
    din: str = Field(description="The DIN scanned (=…), typed with its check character, or as 13 characters.")
    marker: str
    stage: str
    reading: str
    value: str = ""
    tested_at: datetime | None = None
    instrument: str = ""
    run_id: str = ""


class ResultOut(Schema):
    id: int
    din: str
    marker: str
    stage: str
    reading: str
    value: str
    tested_at: datetime
    instrument: str
    run_id: str
    source_import: int | None
    entered_by: str | None
    entered_at: datetime
    verified_by: str | None
    verified_at: datetime | None
    final: bool


class HoldIn(Schema):
    reason: str


class HoldOut(Schema):
    id: int
    din: str
    reason: str
    placed_by: str | None
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str
    active: bool


class ReleaseOut(Schema):
    din: str
    released_by: str
    released_at: datetime
    signature: int
    signed_by: str
    meaning: str


class TestingOut(Schema):
    status: str
    reasons: list[str]
    abo: str
    rhd: str
    antibody_screen: str
    required_markers: list[str]
    marked_for_discard: bool
    late_reactive: bool
    special_tests: dict[str, str] = Field(description="Special test → result (CMV, HbS, HLA, antigens)")
    bacterial_control: str = Field(description="Platelets: the bacterial risk control done")
    evaluated_at: datetime


class TestingDetailOut(Schema):
    din: str
    donation: int
    donor: str
    testing: TestingOut | None
    results: list[ResultOut]
    holds: list[HoldOut]
    release: ReleaseOut | None


class ReleaseIn(Schema):
    dins: list[str] = Field(description="The DINs released as one signed act.")
    password: str
    second_factor_code: str = ""
    reason: str = ""


class SignatureOut(Schema):
    signature: int
    meaning: str
    signed_by: str
    signed_at: datetime
    dins: list[str]


class QueueOut(Schema):
    din: str
    donation: int
    abo: str
    rhd: str
    antibody_screen: str
    evaluated_at: datetime


class NotificationOut(Schema):
    id: int
    donor: str
    din: str
    marker: str
    result: str
    due_on: date
    overdue: bool


class DeferredDonorOut(Schema):
    donor: str
    family_name: str
    given_name: str
    marker: str
    result: str
    tested_on: date
    din: str


def _import_out(batch: ResultImport, imported_before: bool) -> ImportOut:
    return ImportOut(
        id=batch.pk,
        filename=batch.filename,
        sha256=batch.sha256,
        rows=batch.rows,
        instrument=batch.instrument,
        imported_by=_name(batch.imported_by),
        imported_at=batch.imported_at,
        imported_before=imported_before,
    )


def _result_out(result: TestResult, din: str) -> ResultOut:
    return ResultOut(
        id=result.pk,
        din=din,
        marker=result.marker,
        stage=result.stage,
        reading=result.reading,
        value=result.value,
        tested_at=result.tested_at,
        instrument=result.instrument,
        run_id=result.run_id,
        source_import=result.source_import_id,
        entered_by=_name(result.entered_by),
        entered_at=result.entered_at,
        verified_by=_name(result.verified_by),
        verified_at=result.verified_at,
        final=result.final,
    )


def _hold_out(hold: DonationHold, din: str) -> HoldOut:
    return HoldOut(
        id=hold.pk,
        din=din,
        reason=hold.reason,
        placed_by=_name(hold.placed_by),
        placed_at=hold.placed_at,
        lifted_by=_name(hold.lifted_by),
        lifted_at=hold.lifted_at,
        lift_reason=hold.lift_reason,
        active=hold.lifted_at is None,
    )


def _testing_out(testing: DonationTesting) -> TestingOut:
    return TestingOut(
        status=testing.status,
        reasons=testing.reasons,
        abo=testing.abo,
        rhd=testing.rhd,
        antibody_screen=testing.antibody_screen,
        required_markers=testing.required_markers,
        marked_for_discard=testing.marked_for_discard,
        late_reactive=testing.late_reactive,
        special_tests={test: entry["result"] for test, entry in testing.special_tests.items()},
        bacterial_control=testing.bacterial_control,
        evaluated_at=testing.evaluated_at,
    )


def _detail_out(donation: Donation) -> TestingDetailOut:
    detail = selectors.donation_testing_detail(donation)
    din = donation.din.din
    release = detail.release
    return TestingDetailOut(
        din=din,
        donation=donation.pk,
        donor=donation.donor.donor_number,
        testing=_testing_out(detail.testing) if detail.testing else None,
        results=[_result_out(result, din) for result in detail.results],
        holds=[_hold_out(hold, din) for hold in detail.holds],
        release=ReleaseOut(
            din=din,
            released_by=release.released_by.get_username(),
            released_at=release.released_at,
            signature=release.signature_id,
            signed_by=release.signature.signer_full_name,
            meaning=release.signature.meaning,
        )
        if release
        else None,
    )


# --- results ----------------------------------------------------------------------------------


@router.post(
    "/results/import",
    response={201: ImportOut, 400: FileRefusedOut},
    summary="Import an instrument result file (multipart, field ``file``)",
)
def results_import(request: HttpRequest, file: File[UploadedFile | None] = None) -> Status:
    """Whole or not at all: a refused file answers 400 ``file_refused`` with ``errors``, every
    line and field at fault, and saves nothing. The same file again answers 201 with the first
    import and ``imported_before`` true; nothing changes."""
    actor = request_actor(request)
    require_permission(actor, "lab.import_results")
    if file is None:
        raise LabError(
            "file: send the instrument's CSV export as the multipart field 'file'",
            code="required",
            field="file",
        )
    started = timezone.now()
    try:
        batch = services.results_import(actor=actor, filename=file.name or "", data=file.read())
    except services.ResultFileRefusedError as error:
        return Status(
            400,
            {
                "error": {
                    "code": error.code,
                    "message": error.message,
                    "field": "file",
                    "errors": [
                        {"line": line, "field": field, "message": message}
                        for line, field, message in error.errors
                    ],
                }
            },
        )
    return Status(201, _import_out(batch, imported_before=batch.imported_at < started))


@router.post("/results", response={201: ResultOut}, summary="Enter a result by hand")
def result_enter(request: HttpRequest, payload: ResultIn) -> Status:
    """Counts once another person verifies it. Refused: a DIN that does not parse (400, field
    ``din``) or that no donation has (404, field ``din``); an unknown marker, stage or reading
    (400 ``unknown_code`` naming it); a marker not in the donation's panel (400 ``not_in_panel``)."""
    actor = request_actor(request)
    require_permission(actor, "lab.enter_result")
    donation = access_testing_by_din(actor, payload.din)
    result = services.result_enter(
        actor=actor,
        donation=donation,
        marker=payload.marker,
        stage=payload.stage,
        reading=payload.reading,
        value=payload.value,
        tested_at=payload.tested_at,
        instrument=payload.instrument,
        run_id=payload.run_id,
    )
    return Status(201, _result_out(access_result_by_id(actor, result.pk), donation.din.din))


@router.post("/results/{result_id}/verify", response={201: ResultOut}, summary="Verify another's result")
def result_verify(request: HttpRequest, result_id: int) -> Status:
    """Refused: one's own entry (400 ``same_person``), a result already final (400
    ``already_final``); both name the field ``result``."""
    actor = request_actor(request)
    require_permission(actor, "lab.verify_result")
    result = access_result_by_id(actor, result_id)
    verified = services.result_verify(actor=actor, result=result)
    return Status(201, _result_out(access_result_by_id(actor, verified.pk), result.donation.din.din))


# --- a donation's testing record, holds ----------------------------------------------------


@router.get("/donations/{din}", response=TestingDetailOut, summary="A donation's testing record")
def testing_detail(request: HttpRequest, din: str) -> TestingDetailOut:
    """Every result with who entered and verified it, the holds, the release and its signature."""
    return _detail_out(access_testing_by_din(request_actor(request), din))


@router.post("/donations/{din}/holds", response={201: HoldOut}, summary="Hold a donation")
def hold_place(request: HttpRequest, din: str, payload: HoldIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "lab.place_hold")
    donation = access_testing_by_din(actor, din)
    hold = services.hold_place(actor=actor, donation=donation, reason=payload.reason)
    return Status(201, _hold_out(hold, donation.din.din))


class SpecialTestIn(Schema):
    test: str = Field(description="cmv_antibody, hemoglobin_s, hla_antibody or red_cell_antigens")
    result: str = Field(description="negative or positive; red cell antigens as typed, e.g. 'C+ c+ E- e+ K-'")


class BacterialControlIn(Schema):
    method: str = Field(description="primary_culture, lvds, secondary_test or pathogen_reduction")


@router.post(
    "/donations/{din}/special-tests",
    response={201: TestingDetailOut},
    summary="Record a special test the products are ordered by",
)
def special_test_record(request: HttpRequest, din: str, payload: SpecialTestIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "lab.enter_result")
    donation = access_testing_by_din(actor, din)
    services.special_test_record(actor=actor, donation=donation, test=payload.test, result=payload.result)
    return Status(201, _detail_out(access_testing_by_din(actor, din)))


@router.post(
    "/donations/{din}/bacterial-control",
    response={201: TestingDetailOut},
    summary="Record the bacterial risk control done on a platelet donation",
)
def bacterial_control_record(request: HttpRequest, din: str, payload: BacterialControlIn) -> Status:
    actor = request_actor(request)
    require_permission(actor, "lab.enter_result")
    donation = access_testing_by_din(actor, din)
    services.bacterial_control_record(actor=actor, donation=donation, method=payload.method)
    return Status(201, _detail_out(access_testing_by_din(actor, din)))


@router.post("/holds/{hold_id}/lift", response={201: HoldOut}, summary="Lift a hold")
def hold_lift(request: HttpRequest, hold_id: int, payload: HoldIn) -> Status:
    """Refused: an empty reason (400, field ``reason``), a hold already lifted (400, field ``hold``)."""
    actor = request_actor(request)
    require_permission(actor, "lab.place_hold")
    hold = access_hold_by_id(actor, hold_id)
    lifted = services.hold_lift(actor=actor, hold=hold, reason=payload.reason)
    return Status(201, _hold_out(lifted, hold.donation.din.din))


# --- release ---------------------------------------------------------------------------------


@router.post("/releases", response={201: SignatureOut}, summary="Release donations as one signed act")
def donations_release(request: HttpRequest, payload: ReleaseIn) -> Status:
    """Signed with the password (and the one-time code where needed); an API token cannot
    sign (403). Refused whole (400 ``not_releasable``, field ``donations``) unless every DIN is
    acceptable, not held and not released; a DIN no donation has: 404, field ``dins``."""
    actor = request_actor(request)
    require_permission(actor, "lab.release_donation")
    if not payload.dins:
        raise LabError("dins: name the donations to release", code="required", field="dins")
    texts = [din_text(raw, "dins") for raw in payload.dins]
    donations = {d.din.din: d for d in Donation.objects.select_related("din").filter(din__din__in=texts)}
    unknown = [text for text in texts if text not in donations]
    if unknown:
        raise LabError(f"dins: no donation has DIN {', '.join(unknown)}", code="unknown_din", field="dins")
    # Outside the service's transaction, so that a refusal stays recorded (signatures.py).
    signer = signer_verify(
        actor=actor,
        password=payload.password,
        authenticated_by=authenticated_by(request),
        second_factor_code=payload.second_factor_code,
    )
    signature = services.donations_release(
        actor=actor, signer=signer, donations=[donations[text] for text in texts], reason=payload.reason
    )
    return Status(
        201,
        SignatureOut(
            signature=signature.pk,
            meaning=signature.meaning,
            signed_by=signature.signer_full_name,
            signed_at=signature.signed_at,
            dins=texts,
        ),
    )


# --- worklists --------------------------------------------------------------------------------


@router.get("/worklists/release-queue", response=list[QueueOut], summary="Donations ready for release")
def release_queue(request: HttpRequest) -> list[QueueOut]:
    require_permission(request_actor(request), VIEW_TESTING)
    return [
        QueueOut(
            din=testing.donation.din.din,
            donation=testing.donation_id,
            abo=testing.abo,
            rhd=testing.rhd,
            antibody_screen=testing.antibody_screen,
            evaluated_at=testing.evaluated_at,
        )
        for testing in selectors.testing_list_release_queue()
    ]


@router.get("/worklists/notifications", response=list[NotificationOut], summary="Donor notifications due")
def notifications_due(request: HttpRequest) -> list[NotificationOut]:
    require_permission(request_actor(request), "lab.view_donornotification")
    return [
        NotificationOut(
            id=due.notification.pk,
            donor=due.notification.donor.donor_number,
            din=due.notification.donation.din.din,
            marker=due.notification.marker,
            result=due.notification.result,
            due_on=due.notification.due_on,
            overdue=due.overdue,
        )
        for due in selectors.notification_list_due()
    ]


@router.get("/deferred-donors", response=list[DeferredDonorOut], summary="The cumulative deferred-donor list")
def deferred_donors(request: HttpRequest) -> list[DeferredDonorOut]:
    require_permission(request_actor(request), VIEW_TESTING)
    return [
        DeferredDonorOut(
            donor=row.donor.donor_number,
            family_name=row.donor.family_name,
            given_name=row.donor.given_name,
            marker=row.marker,
            result=row.result,
            tested_on=row.tested_on,
            din=row.din,
        )
        for row in selectors.deferred_donor_list()
    ]
