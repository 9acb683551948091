"""Recruitment lists: donors whom recruiters may call or write to come and give a procedure
on a day, with their contacts, filtered by blood group, donor type, last donation and
distance to a site (selector; house style §4).

A donor is listed when the eligibility engine, given only the donor's history, does not
defer them (``recruitment_rules``): the visit's screening still decides. Merged duplicate
records are never listed (their history counts for their survivor), nor donors who
withdrew their consent to be contacted for recruitment.

Histories are loaded in bulk, a fixed number of queries whatever the number of donors:
donors, current donor types, donations, deferrals, contact consents, the configuration.
"""

from __future__ import annotations

import csv
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from hemaops.core.audit import audit_record
from hemaops.core.models import Site, User
from hemaops.donations import geography
from hemaops.donations.drive_services import site_today
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import Donation, DonorDeferral, Drive
from hemaops.donations.recruitment_rules import eligible_since, history_case, judge_history
from hemaops.donations.services import DONATION_TYPE_OF_DONOR, jurisdiction_of
from hemaops.donors import rules
from hemaops.donors.configuration import procedure_label
from hemaops.donors.models import Donor, DonorConsent, DonorMarkerResult, DonorType, DonorTypePeriod
from hemaops.donors.selectors import eligibility_configuration_on

PROCEDURES: tuple[str, ...] = tuple(procedure.value for procedure in rules.Procedure)
ABO_GROUPS: tuple[str, ...] = tuple(Donor.AboGroup.values)
RHD_TYPES: tuple[str, ...] = tuple(Donor.RhD.values)
DONOR_TYPES: tuple[str, ...] = tuple(DonorType.values)
_RHD_SIGNS = {"pos": "RhD+", "neg": "RhD−"}  # as Donor.blood_group shows them


@dataclass(frozen=True)
class RecruitmentRow:
    donor_id: int
    donor_number: str
    family_name: str
    given_name: str
    abo: str
    rhd: str
    donor_type: str
    last_donation_on: date | None
    last_donation_procedure: str
    eligible_since: date | None
    phone: str
    email: str
    address_line: str
    city: str
    region: str
    postal_code: str
    country: str
    distance_km: float | None

    @property
    def donor_type_label(self) -> str:
        return DonorType(self.donor_type).label if self.donor_type in DONOR_TYPES else ""

    @property
    def blood_group(self) -> str:
        if not self.abo:
            return ""
        return f"{self.abo} {_RHD_SIGNS.get(self.rhd, '')}".strip()

    @property
    def last_donation_procedure_label(self) -> str:
        if not self.last_donation_procedure:
            return ""
        return procedure_label(rules.Procedure(self.last_donation_procedure))

    @property
    def address_text(self) -> str:
        parts = [self.address_line, self.city, f"{self.region} {self.postal_code}".strip()]
        return ", ".join(part for part in parts if part)


@dataclass(frozen=True)
class RecruitmentCounts:
    """How the list came to be, in the order the checks run. ``considered``: donors who
    are not merged and match the blood group, donor type and last-donation filters."""

    considered: int = 0
    not_yet_eligible: int = 0  # a temporary reason from the history (interval, age, deferral)
    deferred_indefinitely_or_permanently: int = 0
    contact_refused: int = 0  # contact consent withdrawn, none in force
    unknown_distance: int = 0  # no US ZIP code location, with a distance limit
    beyond_distance: int = 0
    listed: int = 0
    merged_records_skipped: int = 0  # merged duplicates, never listed themselves


@dataclass(frozen=True)
class RecruitmentList:
    on: date
    procedure: str
    rows: list[RecruitmentRow]
    counts: RecruitmentCounts
    near_site: Site | None = None
    within_km: float | None = None
    truncated: bool = False  # rows holds the first ``limit`` of ``counts.listed``

    @property
    def procedure_label(self) -> str:
        return procedure_label(rules.Procedure(self.procedure))


# --- input -------------------------------------------------------------------------------


def _choice(value: str | None, allowed: tuple[str, ...], field_name: str, what: str) -> str | None:
    if value is None or value == "":
        return None
    if value not in allowed:
        raise DonationsError(
            f"{field_name}: unknown {what} {value!r} (expected one of: {', '.join(allowed)})",
            code="unknown_code",
            field=field_name,
        )
    return value


def _checked_distance(near_site: Site | None, within_km: float | None) -> geography.Point | None:
    if within_km is not None:
        if near_site is None:
            raise DonationsError(
                "within_km: choose a site or drive to measure the distance from",
                code="required",
                field="within_km",
            )
        if not within_km > 0:
            raise DonationsError(
                "within_km: the distance must be more than 0 km", code="invalid_value", field="within_km"
            )
    if near_site is None:
        return None
    origin = geography.postal_point(near_site.country, near_site.postal_code)
    if origin is None:
        raise DonationsError(
            f"near_site: {near_site.name} has no US ZIP code whose location is known "
            f"({near_site.country} {near_site.postal_code or 'no postal code'})",
            code="unknown_location",
            field="near_site",
        )
    return origin


# --- bulk loading ------------------------------------------------------------------------


def _of_these(donors: QuerySet[Donor]) -> Q:
    """Rows of these donors or of the duplicates merged into them."""
    ids = donors.values("pk")
    return Q(donor_id__in=ids) | Q(donor__merged_into_id__in=ids)


def _histories(donors: QuerySet[Donor]) -> dict[int, list[rules.PriorDonation]]:
    """Each donor's donations with those of its merged duplicates, each dated in its site's
    time zone, as screening's ``_donor_history`` does."""
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    histories: dict[int, list[rules.PriorDonation]] = defaultdict(list)
    rows = Donation.objects.filter(_of_these(donors)).values_list(
        "donor_id", "donor__merged_into_id", "started_at", "site__time_zone", "procedure"
    )
    for donor_id, survivor_id, started_at, zone_name, procedure in rows.iterator(chunk_size=5000):
        zone = zones.get(zone_name)
        if zone is None:
            zone = zones[zone_name] = zoneinfo.ZoneInfo(zone_name)
        day = started_at.astimezone(zone).date()
        histories[survivor_id or donor_id].append(rules.PriorDonation(day, rules.Procedure(procedure)))
    return histories


def _deferrals(donors: QuerySet[Donor]) -> dict[int, list[rules.RecordedDeferral]]:
    # The duplicates' deferrals are the survivor's too, as at screening.
    deferrals: dict[int, list[rules.RecordedDeferral]] = defaultdict(list)
    rows = DonorDeferral.objects.filter(_of_these(donors)).values_list(
        "donor_id", "donor__merged_into_id", "kind", "code", "until"
    )
    for donor_id, survivor_id, kind, code, until in rows:
        deferrals[survivor_id or donor_id].append(
            rules.RecordedDeferral(rules.DeferralKind(kind), code, until)
        )
    return deferrals


def _marker_histories(donors: QuerySet[Donor]) -> dict[int, list[rules.MarkerRecord]]:
    """Test results on record (written by the laboratory), as screening reads them."""
    markers: dict[int, list[rules.MarkerRecord]] = defaultdict(list)
    rows = (
        DonorMarkerResult.objects.filter(_of_these(donors))
        .order_by("tested_on", "pk")
        .values_list("donor_id", "donor__merged_into_id", "tested_on", "marker", "result")
    )
    for donor_id, survivor_id, tested_on, marker, result in rows:
        markers[survivor_id or donor_id].append(
            rules.MarkerRecord(tested_on, rules.Marker(marker), rules.MarkerResult(result))
        )
    return markers


def _current_types(donors: QuerySet[Donor]) -> dict[int, str]:
    periods = DonorTypePeriod.objects.filter(
        donor__in=donors.values("pk"), ended_on__isnull=True, merged_from__isnull=True
    ).values_list("donor_id", "donor_type")
    return dict(periods)


def _contact_refused(donors: QuerySet[Donor]) -> set[int]:
    """Donors whose own contact-for-recruitment consents are all withdrawn. A donor never
    asked is not a refusal (the consent records an opt-out, not a required opt-in)."""
    in_force: dict[int, bool] = {}
    rows = DonorConsent.objects.filter(
        donor__in=donors.values("pk"), kind=DonorConsent.Kind.CONTACT, merged_from__isnull=True
    ).values_list("donor_id", "withdrawn_on")
    for donor_id, withdrawn_on in rows:
        in_force[donor_id] = in_force.get(donor_id, False) or withdrawn_on is None
    return {donor_id for donor_id, any_in_force in in_force.items() if not any_in_force}


_DONOR_FIELDS = (
    "pk",
    "donor_number",
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "abo_on_record",
    "rhd_on_record",
    "phone",
    "email",
    "address_line",
    "city",
    "region",
    "postal_code",
    "country",
)


# --- the selector ------------------------------------------------------------------------


def recruitment_list(
    *,
    on: date,
    procedure: str,
    abo: str | None = None,
    rhd: str | None = None,
    donor_type: str | None = None,
    last_donation_before: date | None = None,
    near_site: Site | None = None,
    within_km: float | None = None,
    limit: int | None = None,
) -> RecruitmentList:
    """Donors eligible on ``on`` for ``procedure`` judged on their history, with contacts.

    ``last_donation_before``: donors who have not given since that date (donors who never
    gave included). ``near_site``: the distance from the site's ZIP code to the donor's is
    shown, nearest first; with ``within_km`` donors farther away, or whose ZIP code is not
    known, are left out and counted. ``limit`` keeps the first rows; the counts are of all.
    Raises ``DonationsError`` naming the field of a bad filter."""
    chosen = rules.Procedure(
        _choice(procedure, PROCEDURES, "procedure", "procedure") or _required("procedure")
    )
    abo = _choice(abo, ABO_GROUPS, "abo", "ABO group")
    rhd = _choice(rhd, RHD_TYPES, "rhd", "RhD type")
    donor_type = _choice(donor_type, DONOR_TYPES, "donor_type", "donor type")
    if limit is not None and limit < 1:
        raise DonationsError("limit: at least 1", code="invalid_value", field="limit")
    origin = _checked_distance(near_site, within_km)

    donors = Donor.objects.filter(merged_into__isnull=True)
    if abo:
        donors = donors.filter(abo_on_record=abo)
    if rhd:
        donors = donors.filter(rhd_on_record=rhd)
    if donor_type:
        donors = donors.filter(
            type_periods__donor_type=donor_type,
            type_periods__ended_on__isnull=True,
            type_periods__merged_from__isnull=True,
        )
    config = eligibility_configuration_on(on)
    histories = _histories(donors)
    deferrals = _deferrals(donors)
    markers = _marker_histories(donors)
    types = _current_types(donors)
    refused = _contact_refused(donors)
    site_jurisdiction = (
        jurisdiction_of(near_site.country, near_site.region) if near_site is not None else None
    )

    tally: dict[str, int] = defaultdict(int)
    rows: list[RecruitmentRow] = []
    for donor in donors.order_by("donor_number").values(*_DONOR_FIELDS).iterator(chunk_size=5000):
        donor_id = donor["pk"]
        history = tuple(histories.get(donor_id, ()))
        last = max(history, key=lambda prior: prior.date, default=None)
        if last_donation_before is not None and last is not None and last.date >= last_donation_before:
            continue
        tally["considered"] += 1
        current_type = types.get(donor_id, "")
        case = history_case(
            on=on,
            procedure=chosen,
            sex=rules.Sex(donor["sex"]),
            birth_date=donor["date_of_birth"],
            jurisdiction=site_jurisdiction or jurisdiction_of(donor["country"], donor["region"]),
            donation_type=rules.DonationType(DONATION_TYPE_OF_DONOR.get(current_type, "allogeneic")),
            history=history,
            deferrals=tuple(deferrals.get(donor_id, ())),
            marker_history=tuple(markers.get(donor_id, ())),
        )
        judged = judge_history(case, config)
        if not judged.listed:
            if judged.outcome is rules.Outcome.INELIGIBLE_TEMPORARY:
                tally["not_yet_eligible"] += 1
            else:
                tally["deferred_indefinitely_or_permanently"] += 1
            continue
        if donor_id in refused:
            tally["contact_refused"] += 1
            continue
        distance = None
        if origin is not None:
            point = geography.postal_point(donor["country"], donor["postal_code"])
            if point is not None:
                distance = round(geography.distance_km(origin, point), 1)
            if within_km is not None:
                if distance is None:
                    tally["unknown_distance"] += 1
                    continue
                if distance > within_km:
                    tally["beyond_distance"] += 1
                    continue
        rows.append(
            RecruitmentRow(
                donor_id=donor_id,
                donor_number=donor["donor_number"],
                family_name=donor["family_name"],
                given_name=donor["given_name"],
                abo=donor["abo_on_record"],
                rhd=donor["rhd_on_record"],
                donor_type=current_type,
                last_donation_on=last.date if last else None,
                last_donation_procedure=last.procedure.value if last else "",
                eligible_since=eligible_since(case, config),
                phone=donor["phone"],
                email=donor["email"],
                address_line=donor["address_line"],
                city=donor["city"],
                region=donor["region"],
                postal_code=donor["postal_code"],
                country=donor["country"],
                distance_km=distance,
            )
        )
    if origin is not None:
        rows.sort(key=lambda row: (row.distance_km is None, row.distance_km or 0.0))  # stable: by number
    listed = len(rows)
    counts = RecruitmentCounts(
        **tally,
        listed=listed,
        merged_records_skipped=Donor.objects.filter(merged_into__isnull=False).count(),
    )
    return RecruitmentList(
        on=on,
        procedure=chosen.value,
        rows=rows[:limit] if limit is not None else rows,
        counts=counts,
        near_site=near_site,
        within_km=within_km,
        truncated=limit is not None and listed > limit,
    )


def _required(field_name: str) -> str:
    raise DonationsError(f"{field_name}: required", code="required", field=field_name)


def csv_filename(listing: RecruitmentList) -> str:
    """``recruitment-platelets-2026-12-01.csv``."""
    return f"recruitment-{listing.procedure.replace('_', '-')}-{listing.on.isoformat()}.csv"


CSV_HEADER = (
    "donor_number",
    "family_name",
    "given_name",
    "abo",
    "rhd",
    "donor_type",
    "last_donation_on",
    "last_donation_procedure",
    "eligible_since",
    "phone",
    "email",
    "address_line",
    "city",
    "region",
    "postal_code",
    "country",
    "distance_km",
)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PHONE_CHARACTERS = frozenset("0123456789 +-().")


def _spreadsheet_safe(name: str, text: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP "CSV injection"): text typed at
    registration that starts with = + - @ gets a leading apostrophe. A phone number made of
    phone characters only ("+1 818 555 0100") is left as it is."""
    if not text.startswith(_FORMULA_STARTS):
        return text
    if name == "phone" and set(text) <= _PHONE_CHARACTERS:
        return text
    return f"'{text}"


def csv_write(listing: RecruitmentList, out: Any) -> None:
    """The list as CSV, a header row then one row per donor, into the text stream ``out``."""
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_values(row) for row in listing.rows)


def default_day(on: date | None, drive: Drive | None, site: Site | None) -> date:
    """The day a list is for when none is given: the drive's, else today at the site (in
    its time zone), else today."""
    if on is not None:
        return on
    if drive is not None:
        return drive.date
    return site_today(site) if site is not None else timezone.localdate()


def csv_values(row: RecruitmentRow) -> list[str]:
    """One row of the CSV, in ``CSV_HEADER``'s order; dates ISO 8601, empty for none."""
    values: list[str] = []
    for name in CSV_HEADER:
        value = getattr(row, name)
        if value is None:
            values.append("")
        elif isinstance(value, date | datetime):
            values.append(value.isoformat())
        elif isinstance(value, float):
            values.append(f"{value:.1f}")
        else:
            values.append(_spreadsheet_safe(name, str(value)))
    return values


# --- export ------------------------------------------------------------------------------


def recruitment_export_record(*, actor: User, listing: RecruitmentList, way: str) -> None:
    """Audit a download of donors' contact details (a CSV leaves the system with personal
    data): who took which list, how many donors, from the page or the API."""
    audit_record(
        stream="donations",
        action="donations.recruitment.exported",
        actor=actor,
        target=None,
        data={
            "way": way,
            "on": listing.on,
            "procedure": listing.procedure,
            "near_site": listing.near_site.code if listing.near_site else None,
            "within_km": listing.within_km,
            "donors": len(listing.rows),
        },
    )
