"""Services of the donors context: the eligibility configuration and the donor registry
(registration with duplicate detection, changes, donor type history, consents, merging)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import PendingEvent, audit_record, audit_record_many, changes
from hemaops.core.business_dates import business_time_resolve
from hemaops.core.errors import ConflictError, DomainError
from hemaops.core.models import Program, User
from hemaops.donors import rules
from hemaops.donors.configuration import ConfigurationError, configuration_from_json
from hemaops.donors.models import (
    Donor,
    DonorConsent,
    DonorMarkerResult,
    DonorNumberCounter,
    DonorType,
    DonorTypePeriod,
    EligibilityConfiguration,
)

STREAM = "donors"


class DonorsError(DomainError):
    """Errors of the donors context."""


@transaction.atomic
def eligibility_configuration_set(
    *, actor: User | None, document: dict[str, Any], effective_from: date, reason: str
) -> EligibilityConfiguration:
    """A new version of the establishment's configuration from ``effective_from``. It is
    checked against the regulatory floors exactly as the validation command checks it."""
    require_permission(actor, "donors.set_eligibility_configuration")
    if not reason.strip():
        raise DonorsError("reason: say why the configuration changes", field="reason")
    try:
        configuration_from_json(document)
    except ConfigurationError as error:
        raise DonorsError(str(error), code="invalid_configuration", field="document") from None
    latest = EligibilityConfiguration.objects.select_for_update().order_by("-effective_from").first()
    if latest is not None and latest.effective_from >= effective_from:
        raise ConflictError(
            f"effective_from: a version already applies from {latest.effective_from}; a new one starts later",
            field="effective_from",
        )
    version = EligibilityConfiguration.objects.create(
        effective_from=effective_from,
        document=document,
        reason=reason,
        created_by=actor,
        created_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="donors.eligibility_configuration.set",
        actor=actor,
        target=version,
        data={"new": {"effective_from": effective_from, "document": document}},
        reason=reason,
    )
    return version


# --- donor registry ---------------------------------------------------------------------

DONOR_NUMBER_SEQUENCE = "donor_number"
OLDEST_DATE_OF_BIRTH = date(1900, 1, 1)
IDENTITY_FIELDS = (
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address_line",
    "city",
    "region",
    "postal_code",
    "country",
    "address_confirmed_on",
)


class DuplicateDonorError(DonorsError):
    """Registration found donors who may be the same person; the caller shows them and
    registers only when told ``not_a_duplicate``."""

    status = 409
    code = "possible_duplicate"

    def __init__(self, candidates: list[Donor]) -> None:
        numbers = ", ".join(donor.donor_number for donor in candidates)
        super().__init__(
            f"not_a_duplicate: {len(candidates)} registered donor(s) share the date of birth and have "
            f"a similar name ({numbers}); check them, then confirm this is not a duplicate",
            field="not_a_duplicate",
        )
        self.candidates = candidates


@dataclass(frozen=True)
class DonorDetails:
    """A donor's identity, contact and postal address, as registered or changed."""

    family_name: str
    given_name: str
    date_of_birth: date
    sex: str
    phone: str = ""
    email: str = ""
    address_line: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = "US"
    address_confirmed_on: date | None = None

    def cleaned(self, today: date) -> DonorDetails:
        """The details stripped of stray spaces, or a DonorsError naming the first bad field."""
        details = dataclasses.replace(
            self,
            family_name=self.family_name.strip(),
            given_name=self.given_name.strip(),
            sex=self.sex.strip().upper(),
            phone=self.phone.strip(),
            email=self.email.strip(),
            address_line=self.address_line.strip(),
            city=self.city.strip(),
            region=self.region.strip(),
            postal_code=self.postal_code.strip(),
            country=self.country.strip().upper(),
        )
        for name, label in (("family_name", "family name"), ("given_name", "given name")):
            if not getattr(details, name):
                raise DonorsError(f"{name}: the {label} is required", code="required", field=name)
        if details.date_of_birth > today:
            raise DonorsError(
                f"date_of_birth: {details.date_of_birth} is in the future",
                code="future_date_of_birth",
                field="date_of_birth",
            )
        if details.date_of_birth < OLDEST_DATE_OF_BIRTH:
            raise DonorsError(
                f"date_of_birth: {details.date_of_birth} is before {OLDEST_DATE_OF_BIRTH}; check the year",
                field="date_of_birth",
            )
        if details.sex not in Donor.Sex.values:
            raise DonorsError(
                f"sex: {details.sex!r} is not a recorded sex; use F or M "
                "(it selects the hemoglobin thresholds)",
                code="unknown_sex",
                field="sex",
            )
        if details.email:
            try:
                validate_email(details.email)
            except ValidationError:
                raise DonorsError(
                    f"email: {details.email!r} is not an email address", code="invalid_email", field="email"
                ) from None
        if len(details.country) != 2 or not details.country.isalpha():
            raise DonorsError(
                f"country: {details.country!r} is not a two-letter country code (ISO 3166-1, e.g. US)",
                field="country",
            )
        if details.address_confirmed_on is not None and details.address_confirmed_on > today:
            raise DonorsError(
                f"address_confirmed_on: {details.address_confirmed_on} is in the future",
                field="address_confirmed_on",
            )
        for name in IDENTITY_FIELDS:
            value = getattr(details, name)
            max_length = getattr(Donor._meta.get_field(name), "max_length", None)
            if isinstance(value, str) and max_length is not None and len(value) > max_length:
                raise DonorsError(f"{name}: at most {max_length} characters", field=name)
        return details


def donor_duplicate_candidates(
    *, family_name: str, given_name: str, date_of_birth: date, exclude_id: int | None = None
) -> list[Donor]:
    """Registered donors (not merged away) with the same date of birth and a similar name."""
    same_birthday = Donor.objects.filter(date_of_birth=date_of_birth, merged_into__isnull=True)
    if exclude_id is not None:
        same_birthday = same_birthday.exclude(pk=exclude_id)
    return [
        donor
        for donor in same_birthday.order_by("donor_number")
        if rules.names_match(family_name, given_name, donor.family_name, donor.given_name).similar
    ]


def _next_donor_number() -> str:
    """Draw the next number: the counter row is locked until the registration commits."""
    DonorNumberCounter.objects.bulk_create(
        [DonorNumberCounter(name=DONOR_NUMBER_SEQUENCE)], ignore_conflicts=True
    )
    counter = DonorNumberCounter.objects.select_for_update().get(name=DONOR_NUMBER_SEQUENCE)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return rules.donor_number_format(counter.last_value)


def _donor_type_checked(donor_type: str) -> str:
    if donor_type not in DonorType.values:
        raise DonorsError(
            f"donor_type: {donor_type!r} is not a donor type; use {', '.join(DonorType.values)}",
            code="unknown_donor_type",
            field="donor_type",
        )
    return donor_type


def _identity(donor: Donor) -> dict[str, Any]:
    return {name: getattr(donor, name) for name in IDENTITY_FIELDS}


@transaction.atomic
def donor_register(
    *,
    actor: User | None,
    details: DonorDetails,
    donor_type: str = DonorType.VOLUNTEER,
    program: Program | None = None,
    not_a_duplicate: bool = False,
    occurred_at: datetime | None = None,
) -> Donor:
    """Register a donor with a new donor number and a first donor type period from the
    day of registration. Refused with the candidates (``DuplicateDonorError``) when donors
    with the same date of birth and a similar name exist, unless ``not_a_duplicate``."""
    require_permission(actor, "donors.add_donor")
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    today = timezone.localdate(when.occurred_at)
    details = details.cleaned(today)
    _donor_type_checked(donor_type)
    candidates = donor_duplicate_candidates(
        family_name=details.family_name, given_name=details.given_name, date_of_birth=details.date_of_birth
    )
    if candidates and not not_a_duplicate:
        raise DuplicateDonorError(candidates)
    now = timezone.now()
    donor = Donor.objects.create(
        donor_number=_next_donor_number(), created_at=now, changed_at=now, **asdict(details)
    )
    period = DonorTypePeriod.objects.create(
        donor=donor, donor_type=donor_type, program=program, started_on=today, recorded_at=now
    )
    audit_record(
        stream=STREAM,
        action="donors.donor.registered",
        actor=actor,
        target=donor,
        data={
            "new": {
                "donor_number": donor.donor_number,
                **_identity(donor),
                "donor_type": period.donor_type,
                "program": program.code if program else None,
            },
            "duplicate_candidates": [candidate.donor_number for candidate in candidates],
            **when.audit_data(),
        },
        reason="confirmed not a duplicate" if candidates else "",
        occurred_at=when.occurred_at,
    )
    return donor


def _locked(donor: Donor) -> Donor:
    return Donor.objects.select_for_update().get(pk=donor.pk)


def _refuse_if_merged(donor: Donor) -> None:
    if donor.merged_into_id is not None:
        raise DonorsError(
            f"donor: {donor.donor_number} was merged into another record; work on the survivor",
            code="donor_merged",
            field="donor",
        )


@transaction.atomic
def donor_change(
    *,
    actor: User | None,
    donor: Donor,
    details: DonorDetails,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> Donor:
    """Correct or update a donor's identity, contact or address; the audit row keeps what
    was there before."""
    require_permission(actor, "donors.change_donor")
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    donor = _locked(donor)
    _refuse_if_merged(donor)
    details = details.cleaned(timezone.localdate(when.occurred_at))
    before = _identity(donor)
    for name, value in asdict(details).items():
        setattr(donor, name, value)
    after = _identity(donor)
    if before == after:
        return donor
    donor.changed_at = timezone.now()
    donor.save(update_fields=[*IDENTITY_FIELDS, "changed_at"])
    audit_record(
        stream=STREAM,
        action="donors.donor.changed",
        actor=actor,
        target=donor,
        data={**changes(before, after), **when.audit_data()},
        reason=reason,
        occurred_at=when.occurred_at,
    )
    return donor


def donor_type_current(donor: Donor) -> DonorTypePeriod | None:
    return (
        DonorTypePeriod.objects.filter(donor=donor, ended_on__isnull=True, merged_from__isnull=True)
        .select_related("program")
        .first()
    )


@transaction.atomic
def donor_type_change(
    *,
    actor: User | None,
    donor: Donor,
    donor_type: str,
    program: Program | None = None,
    effective_on: date | None = None,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> DonorTypePeriod:
    """End the current donor type period on ``effective_on`` and open the next from that
    day (a paid donor who joins a volunteer program keeps both periods). A change to the
    type and program already in force changes nothing."""
    require_permission(actor, "donors.change_donor")
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    today = timezone.localdate(when.occurred_at)
    effective_on = effective_on or today
    donor = _locked(donor)
    _refuse_if_merged(donor)
    _donor_type_checked(donor_type)
    if effective_on > today:
        raise DonorsError(
            f"effective_on: {effective_on} is in the future; record a change when it happens",
            code="future_date",
            field="effective_on",
        )
    current = (
        DonorTypePeriod.objects.select_for_update()
        .filter(donor=donor, ended_on__isnull=True, merged_from__isnull=True)
        .first()
    )
    if current is not None:
        if current.donor_type == donor_type and current.program_id == (program.pk if program else None):
            return current
        if effective_on <= current.started_on:
            raise DonorsError(
                f"effective_on: the current period started on {current.started_on}; "
                "a change takes effect on a later day",
                code="before_current_period",
                field="effective_on",
            )
        current.ended_on = effective_on
        current.save(update_fields=["ended_on"])
    now = timezone.now()
    period = DonorTypePeriod.objects.create(
        donor=donor, donor_type=donor_type, program=program, started_on=effective_on, recorded_at=now
    )
    audit_record(
        stream=STREAM,
        action="donors.donor.type_changed",
        actor=actor,
        target=donor,
        data={
            "old": {
                "donor_type": current.donor_type if current else None,
                "program": current.program.code if current and current.program else None,
                "started_on": current.started_on if current else None,
            },
            "new": {
                "donor_type": donor_type,
                "program": program.code if program else None,
                "started_on": effective_on,
            },
            **when.audit_data(),
        },
        reason=reason,
        occurred_at=when.occurred_at,
    )
    return period


@transaction.atomic
def donor_blood_group_record(
    *, actor: User | None, donor: Donor, abo: str, rhd: str, recorded_on: date
) -> Donor:
    """Put a donor's confirmed ABO/RhD on record. Testing writes it (DESIGN.md: the lab context
    calls this once a donation's type is confirmed, issue 6); the demo loader, as the
    operator, writes the demo donors'. Pages and the API only read it."""
    donor_blood_groups_record(actor=actor, typed=[(donor, abo, rhd)], recorded_on=recorded_on)
    donor.refresh_from_db()
    return donor


@transaction.atomic
def donor_blood_groups_record(
    *, actor: User | None, typed: Sequence[tuple[Donor, str, str]], recorded_on: date
) -> int:
    """The confirmed ABO/RhD of many donors at once (a run of the laboratory): one lock of
    the rows, one audit batch. Returns how many records changed."""
    require_permission(actor, "donors.record_test_results")
    for _, abo, rhd in typed:
        if abo not in Donor.AboGroup.values:
            raise DonorsError(f"abo: unknown ABO group {abo!r}", code="unknown_code", field="abo")
        if rhd not in Donor.RhD.values:
            raise DonorsError(f"rhd: unknown RhD type {rhd!r} (pos or neg)", code="unknown_code", field="rhd")
    locked = {
        donor.pk: donor
        for donor in Donor.objects.select_for_update().filter(pk__in=[donor.pk for donor, _, _ in typed])
    }
    now = timezone.now()
    changed: list[Donor] = []
    events: list[PendingEvent] = []
    for donor, abo, rhd in typed:
        row = locked[donor.pk]
        _refuse_if_merged(row)
        if (row.abo_on_record, row.rhd_on_record) == (abo, rhd):
            continue
        old = {"abo": row.abo_on_record, "rhd": row.rhd_on_record}
        row.abo_on_record, row.rhd_on_record, row.blood_group_recorded_on = abo, rhd, recorded_on
        row.changed_at = now
        changed.append(row)
        events.append(
            PendingEvent(
                "donors.donor.blood_group_recorded",
                row,
                {"old": old, "new": {"abo": abo, "rhd": rhd, "recorded_on": recorded_on}},
            )
        )
    # One parameterised UPDATE per donor sent as a batch: Django's bulk_update builds a CASE
    # expression per field and donor in Python, the slowest part of a lab run's typing.
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Donor._meta.db_table} SET abo_on_record = %s, rhd_on_record = %s, "  # noqa: S608
            "blood_group_recorded_on = %s, changed_at = %s WHERE id = %s",
            [
                (d.abo_on_record, d.rhd_on_record, d.blood_group_recorded_on, d.changed_at, d.pk)
                for d in changed
            ],
        )
    audit_record_many(stream=STREAM, actor=actor, events=events)
    return len(changed)


@transaction.atomic
def donor_marker_result_record(
    *, actor: User | None, donor: Donor, tested_on: date, marker: str, result: str, din: str
) -> DonorMarkerResult:
    """Put a test result that weighs on eligibility on the donor's record (the laboratory
    calls this for a reactive or confirmed positive result); screening then defers the donor
    by the engine's marker table. Recording the same result of the same DIN twice changes
    nothing."""
    require_permission(actor, "donors.record_test_results")
    try:
        rules.MARKER_RULES[(rules.Marker(marker), rules.MarkerResult(result))]
    except (ValueError, KeyError):
        raise DonorsError(
            f"marker: {marker} {result} is not in the eligibility engine's marker table",
            code="unknown_code",
            field="marker",
        ) from None
    existing = DonorMarkerResult.objects.filter(din=din, marker=marker, result=result).first()
    if existing is not None:
        return existing
    row = DonorMarkerResult.objects.create(
        donor=donor,
        tested_on=tested_on,
        marker=marker,
        result=result,
        din=din,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="donors.donor.marker_result_recorded",
        actor=actor,
        target=donor,
        data={"new": {"marker": marker, "result": result, "tested_on": tested_on, "din": din}},
    )
    return row


@transaction.atomic
def donor_types_convert_for_program(
    *,
    actor: User | None,
    program: Program,
    from_type: str,
    to_type: str,
    effective_on: date,
    reason: str,
) -> int:
    """Move every donor whose current period is ``from_type`` in ``program`` to ``to_type``
    from ``effective_on`` (a program converting from paid to volunteer donors); returns how
    many. Each donor keeps the earlier period on record, as with ``donor_type_change``."""
    require_permission(actor, "donors.convert_program_donors")
    _donor_type_checked(to_type)
    periods = list(
        DonorTypePeriod.objects.select_for_update()
        .filter(
            program=program,
            donor_type=from_type,
            ended_on__isnull=True,
            merged_from__isnull=True,
            started_on__lt=effective_on,
            donor__merged_into__isnull=True,
        )
        .select_related("donor")
        .order_by("pk")
    )
    now = timezone.now()
    for period in periods:
        period.ended_on = effective_on
        period.save(update_fields=["ended_on"])
        DonorTypePeriod.objects.create(
            donor=period.donor, donor_type=to_type, program=program, started_on=effective_on, recorded_at=now
        )
    audit_record_many(
        stream=STREAM,
        actor=actor,
        events=[
            PendingEvent(
                "donors.donor.type_changed",
                period.donor,
                {
                    "old": {
                        "donor_type": from_type,
                        "program": program.code,
                        "started_on": period.started_on,
                    },
                    "new": {"donor_type": to_type, "program": program.code, "started_on": effective_on},
                },
                reason=reason,
            )
            for period in periods
        ],
    )
    return len(periods)


@transaction.atomic
def donor_consent_give(
    *,
    actor: User | None,
    donor: Donor,
    kind: str,
    given_on: date | None = None,
    occurred_at: datetime | None = None,
) -> DonorConsent:
    """Record a consent; a consent of that kind already in force is returned unchanged."""
    require_permission(actor, "donors.change_donor")
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    today = timezone.localdate(when.occurred_at)
    given_on = given_on or today
    donor = _locked(donor)
    _refuse_if_merged(donor)
    if kind not in DonorConsent.Kind.values:
        raise DonorsError(
            f"kind: {kind!r} is not a consent; use {', '.join(DonorConsent.Kind.values)}",
            code="unknown_consent",
            field="kind",
        )
    if given_on > today:
        raise DonorsError(f"given_on: {given_on} is in the future", code="future_date", field="given_on")
    in_force = DonorConsent.objects.filter(
        donor=donor, kind=kind, withdrawn_on__isnull=True, merged_from__isnull=True
    ).first()
    if in_force is not None:
        return in_force
    consent = DonorConsent.objects.create(
        donor=donor, kind=kind, given_on=given_on, recorded_at=timezone.now()
    )
    audit_record(
        stream=STREAM,
        action="donors.consent.given",
        actor=actor,
        target=consent,
        data={"new": {"donor": donor.donor_number, "kind": kind, "given_on": given_on}, **when.audit_data()},
        occurred_at=when.occurred_at,
    )
    return consent


@transaction.atomic
def donor_consent_withdraw(
    *,
    actor: User | None,
    consent: DonorConsent,
    withdrawn_on: date | None = None,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> DonorConsent:
    """Record the withdrawal of a consent; one already withdrawn is returned unchanged."""
    require_permission(actor, "donors.change_donor")
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    today = timezone.localdate(when.occurred_at)
    withdrawn_on = withdrawn_on or today
    _locked(consent.donor)
    consent = DonorConsent.objects.select_for_update().select_related("donor").get(pk=consent.pk)
    if consent.withdrawn_on is not None:
        return consent
    if withdrawn_on > today:
        raise DonorsError(
            f"withdrawn_on: {withdrawn_on} is in the future", code="future_date", field="withdrawn_on"
        )
    if withdrawn_on < consent.given_on:
        raise DonorsError(
            f"withdrawn_on: the consent was given on {consent.given_on}; a withdrawal comes after it",
            field="withdrawn_on",
        )
    consent.withdrawn_on = withdrawn_on
    consent.withdrawal_reason = reason.strip()
    consent.save(update_fields=["withdrawn_on", "withdrawal_reason"])
    audit_record(
        stream=STREAM,
        action="donors.consent.withdrawn",
        actor=actor,
        target=consent,
        data={
            "old": {"withdrawn_on": None},
            "new": {"donor": consent.donor.donor_number, "kind": consent.kind, "withdrawn_on": withdrawn_on},
            **when.audit_data(),
        },
        reason=reason,
        occurred_at=when.occurred_at,
    )
    return consent


@transaction.atomic
def donor_merge(
    *,
    actor: User | None,
    duplicate: Donor,
    survivor: Donor,
    reason: str,
    occurred_at: datetime | None = None,
) -> Donor:
    """Merge ``duplicate`` into ``survivor``: the duplicate is kept, marked ``merged_into``;
    its donor type periods and consents move to the survivor marked ``merged_from``, so
    both histories stay on record and the survivor's own current type and consents rule."""
    require_permission(actor, "donors.merge_donor")
    when = business_time_resolve(actor=actor, occurred_at=occurred_at)
    if not reason.strip():
        raise DonorsError("reason: say why these records are one donor", code="required", field="reason")
    if duplicate.pk == survivor.pk:
        raise DonorsError(
            "survivor: a donor cannot be merged into itself", code="same_donor", field="survivor"
        )
    # Both rows locked in primary-key order (house style §11).
    locked = {
        donor.pk: donor
        for donor in Donor.objects.select_for_update()
        .filter(pk__in=[duplicate.pk, survivor.pk])
        .order_by("pk")
    }
    duplicate, survivor = locked[duplicate.pk], locked[survivor.pk]
    _refuse_if_merged(duplicate)
    if survivor.merged_into_id is not None:
        raise DonorsError(
            f"survivor: {survivor.donor_number} was itself merged into another record; merge into that one",
            code="survivor_merged",
            field="survivor",
        )
    moved_periods = list(DonorTypePeriod.objects.select_for_update().filter(donor=duplicate).order_by("pk"))
    moved_consents = list(DonorConsent.objects.select_for_update().filter(donor=duplicate).order_by("pk"))
    for period in moved_periods:
        period.merged_from = period.merged_from or duplicate
    for consent in moved_consents:
        consent.merged_from = consent.merged_from or duplicate
    DonorTypePeriod.objects.bulk_update(moved_periods, ["merged_from"])
    DonorConsent.objects.bulk_update(moved_consents, ["merged_from"])
    DonorTypePeriod.objects.filter(pk__in=[p.pk for p in moved_periods]).update(donor=survivor)
    DonorConsent.objects.filter(pk__in=[c.pk for c in moved_consents]).update(donor=survivor)
    now = timezone.now()
    duplicate.merged_into = survivor
    duplicate.merged_at = now
    duplicate.merge_reason = reason.strip()
    duplicate.changed_at = now
    duplicate.save(update_fields=["merged_into", "merged_at", "merge_reason", "changed_at"])
    audit_record(
        stream=STREAM,
        action="donors.donor.merged",
        actor=actor,
        target=duplicate,
        data={
            "old": {"merged_into": None},
            "new": {"merged_into": survivor.donor_number},
            "duplicate": {"donor_number": duplicate.donor_number, **_identity(duplicate)},
            "survivor": {"donor_number": survivor.donor_number, **_identity(survivor)},
            "type_periods_moved": [period.pk for period in moved_periods],
            "consents_moved": [consent.pk for consent in moved_consents],
            **when.audit_data(),
        },
        reason=reason,
        occurred_at=when.occurred_at,
    )
    return survivor
