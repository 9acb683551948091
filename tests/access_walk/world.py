"""The walk's world: the company, places and people (``Cast``) and the records each route
starts from, built once per module by ``walk_build`` (tests/test_access_walk.py's ``walk``
fixture holds the transaction it is built in).

Each ``_<context>_world`` builder returns the values of the placeholders its routes name
(tests/access_walk/routes.py); a value given per role (a dict role → value) names that role's
own record, for routes whose allowed roles each consume one. The company, hospitals, program,
site and users are made by tests/conftest.py's builders, as its fixtures make them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from hemaops.billing import services as billing_services
from hemaops.billing.models import Charge, Contract
from hemaops.components import (
    catalogue_services,
    inventory_services,
    label_services,
    manufacturing_services,
    storage_services,
)
from hemaops.components.labels import barcodes
from hemaops.components.models import Product, TemperatureExcursion, Unit
from hemaops.core import roles
from hemaops.core.models import ApiToken, Hospital, User
from hemaops.core.services import api_token_create
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.distribution import services as distribution_services
from hemaops.distribution.models import Order, Shipment
from hemaops.donations import drive_services
from hemaops.donations import services as collection_services
from hemaops.donations.models import Donation, Screening
from hemaops.donations.services import din_stock_receive
from hemaops.donors import services as donor_services
from hemaops.donors.models import Donor
from hemaops.finance import services as finance_services
from hemaops.finance.models import Account, FiscalPeriod
from hemaops.finance.services import PostingLine
from hemaops.lab import services as lab_services
from hemaops.lab.models import DonorNotification
from tests.access_walk.routes import (
    ANONYMOUS,
    BILLING_WRITERS,
    COMPONENT_HOLDERS,
    COMPONENT_MOVERS,
    LAB_HOLDERS,
    LAB_PANEL,
    LAB_WORKERS,
    NOTIFIERS,
    ORDER_PLACERS,
    OTHER_HOSPITAL_USER,
    PRINCIPALS,
    RECEIVERS,
    WALK_DIN_STOCK,
    WALK_VITALS,
    free_whole_blood_din,
)
from tests.components.conftest import local_catalogue_bytes
from tests.conftest import PASSWORD, company_make, hospital_make, program_make, site_make, user_make
from tests.distribution.conftest import CHART as DISTRIBUTION_CHART
from tests.distribution.conftest import contract_for, label_scans, unit_available
from tests.donations.drive_factories import bus_make, drive_make, mobile_program_make, slot_make
from tests.lab.results import file_of, full_panel, line


class Cast:
    """The company, places and people of the walk, as tests/conftest.py's fixtures make them
    (``company``, ``program``, ``site``, ``hospital``, ``other_hospital``, ``make_user``)."""

    def __init__(self) -> None:
        self.company = company_make()
        self.hospital = hospital_make(self.company, "cedars", "Cedars Valley", "America/Los_Angeles")
        self.other_hospital = hospital_make(self.company, "mercy", "Mercy General", "America/New_York")
        self.program = program_make(self.company)
        self.site = site_make(self.company, self.program)
        self._users: dict[tuple[str, int | None], User] = {}

    def user(self, role: str, hospital_for_user: Hospital | None = None, username: str | None = None) -> User:
        """A user holding ``role``, made once (hospital users of ``hospital`` unless told)."""
        bound = (hospital_for_user or self.hospital) if role == roles.HOSPITAL_USER else None
        key = (username or role, bound.pk if bound else None)
        if key not in self._users:
            self._users[key] = user_make(
                role, bound, username or (role if bound in (None, self.hospital) else f"{role}_{bound.code}")
            )
        return self._users[key]

    def principal(self, principal: str) -> User:
        if principal == OTHER_HOSPITAL_USER:
            return self.user(roles.HOSPITAL_USER, hospital_for_user=self.other_hospital)
        return self.user(principal)


@dataclass(frozen=True)
class Walk:
    """The built world as the tests see it: the placeholders' values, and each principal's
    session and API token."""

    ids: dict[str, Any]  # placeholder → value, or principal → value for what each consumes
    sessions: dict[str, str]  # principal → the key of its session
    tokens: dict[str, str]  # principal → its API token, for what takes only a token
    built_at: datetime  # when the world was finished: the moment every route is walked at


def walk_build() -> Walk:
    """The cast and its users, then each context's records in the order they build on each
    other (a donor before its screenings, a donation before its lab results, released units
    before orders); then each principal's session and API token."""
    cast = Cast()
    users = {principal: cast.principal(principal) for principal in PRINCIPALS if principal != ANONYMOUS}
    ledger = _ledger_world(cast)
    _din_label_stock(cast)
    donors = _donor_world()
    collection = _collection_world(cast, donors["donor"])
    lab = _lab_world(cast, collection["donation"])
    ids = {
        "site": cast.site.pk,
        "program": cast.program.pk,
        "hospital": cast.hospital.pk,
        **ledger,
        **donors,
        **_drive_world(cast),
        **collection,
        **_oversight_world(cast, collection["donation"]),
        **lab,
        **_components_world(cast),
    }
    _trade_ledger()
    ids |= _billing_world(cast) | _trade_world(cast)
    built_at = timezone.now()
    return Walk(ids=ids, sessions=_sessions(users), tokens=_tokens(users, built_at), built_at=built_at)


def _sessions(users: dict[str, User]) -> dict[str, str]:
    """Each principal signed in once, with the world: signing in writes (the last login, the
    audit trail), and a walk that signed in before each request would have to digest the
    database once more per principal to tell those writes from the request's."""
    keys = {}
    for principal, user in users.items():
        browser = Client()
        browser.force_login(user)
        keys[principal] = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


def _tokens(users: dict[str, User], built_at: datetime) -> dict[str, str]:
    """An API token per principal, used last at ``built_at``: a token's use writes when it was
    last used at most once a minute, so during a route's walk (clocked from ``built_at``, see
    tests/test_access_walk.py's walk_clock) using it writes nothing."""
    tokens = {
        principal: api_token_create(actor=None, user=user, name="walk")[1]
        for principal, user in users.items()
    }
    ApiToken.objects.filter(user__in=users.values()).update(last_used_at=built_at)
    return tokens


def _ledger_world(cast: Cast) -> dict[str, int]:
    """Two accounts, fiscal year 2025, a posted and a pending manual entry, May closed."""
    for code, name, account_type, group in [
        ("2000", "Accounts payable", "liability", "current_liabilities"),
        ("6000", "General and administrative", "expense", ""),
    ]:
        finance_services.account_create(actor=None, code=code, name=name, type=account_type, group=group)
    finance_services.fiscal_year_open(actor=None, fiscal_year=2025)
    controller = cast.user(roles.CONTROLLER)
    lines = [PostingLine("6000", debit="100.00"), PostingLine("2000", credit="100.00")]
    posted = finance_services.journal_entry_submit(
        actor=controller, entry_date=date(2025, 1, 10), memo="Rent", lines=lines
    )
    pending = finance_services.journal_entry_submit(
        actor=cast.user(roles.ACCOUNTANT), entry_date=date(2025, 2, 10), memo="Rent", lines=lines
    )
    periods = {period.code: period for period in FiscalPeriod.objects.all()}
    signer = signer_verify(actor=controller, password=PASSWORD, authenticated_by=INTERACTIVE)
    finance_services.period_close(actor=controller, period=periods["2025-05"], signer=signer)
    return {
        "account": posted.lines.get(account__code="6000").account_id,
        "posted_entry": posted.pk,
        "pending_entry": pending.pk,
        "open_period": periods["2025-06"].pk,
        "closed_period": periods["2025-05"].pk,
    }


def _din_label_stock(cast: Cast) -> None:
    """The DIN routes scan from received label stock at the walk's site (FIN W0001)."""
    din_stock_receive(
        actor=None,
        site=cast.site,
        year="25",
        first_sequence=WALK_DIN_STOCK[0],
        last_sequence=WALK_DIN_STOCK[1],
        received_on=date(2025, 1, 6),
    )


def _donor_world() -> dict[str, Any]:
    """A donor with a volunteer period from 2024 and a consent in force, and a duplicate."""
    donor = donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name="Walker", given_name="Wanda", date_of_birth=date(1980, 5, 5), sex="F"
        ),
    )
    assert donor.donor_number == "D0000001"  # the survivor the merge route names
    donor.type_periods.update(started_on=date(2024, 1, 1))
    consent = donor_services.donor_consent_give(actor=None, donor=donor, kind="donation")
    type(consent).objects.filter(pk=consent.pk).update(given_on=date(2024, 1, 1))
    duplicate = donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name="Walker", given_name="Wendy", date_of_birth=date(1980, 5, 5), sex="F"
        ),
        not_a_duplicate=True,
    )
    return {
        "donor": donor.pk,
        "donor_number": donor.donor_number,
        "duplicate": duplicate.pk,
        "consent": consent.pk,
    }


def _drive_world(cast: Cast) -> dict[str, Any]:
    """A drive a month ahead on a bus: a slot holding D0000001 (to check in) and D0000002
    (to cancel), and an empty slot (to book)."""
    drive = drive_make(bus_make(cast.company), mobile_program_make(cast.company))
    taken = slot_make(drive, capacity=3)
    donors = Donor.objects.order_by("donor_number")
    appointment = drive_services.appointment_book(actor=None, slot=taken, donor=donors[0])
    cancel = drive_services.appointment_book(actor=None, slot=taken, donor=donors[1])
    empty = slot_make(drive, starts=time(11, 0), ends=time(11, 30))
    return {
        "drive": drive.pk,
        "slot": empty.pk,
        "appointment": appointment.pk,
        "cancel_appointment": cancel.pk,
    }


def _collected(cast: Cast, screening: Screening) -> Donation:
    now = timezone.now()
    return collection_services.donation_record(
        actor=cast.user(roles.PHLEBOTOMIST),
        screening=screening,
        din=collection_services.din_generate(actor=None, site=cast.site, year="25").issued,
        started_at=now,
        ended_at=now,
        volume_ml=500,
        bag_lot="LOT",
        outcome="complete",
    )


def _collection_world(cast: Cast, donor_id: int) -> dict[str, int]:
    """Screenings of the walk's donor: one eligible, one collected (its donation), one with
    physician-judged findings (systolic, pulse), one with a telephone override to sign."""
    screener = cast.user(roles.SCREENER)
    donor = Donor.objects.get(pk=donor_id)

    def screen(**vitals: Any) -> Screening:
        return collection_services.screening_record(
            actor=screener,
            donor=donor,
            site=cast.site,
            procedure="whole_blood",
            vitals={**WALK_VITALS, **vitals},
        )

    eligible, collected = screen(), screen()
    physician = screen(systolic_mm_hg=185, pulse_bpm=105)
    phoned = screen(pulse_bpm=106)
    pending = collection_services.screening_override_by_telephone(
        actor=screener,
        screening=phoned,
        reason_code="pulse_out_of_range",
        justification="walk",
        director=cast.user(roles.MEDICAL_DIRECTOR),
    )
    return {
        "eligible_screening": eligible.pk,
        "physician_screening": physician.pk,
        "pending_override": pending.pk,
        "donation": _collected(cast, collected).pk,
    }


def _oversight_world(cast: Cast, donation_id: int) -> dict[str, int]:
    """A severe (so reportable) reaction on the walk's donation, not reviewed yet."""
    reaction = collection_services.adverse_reaction_record(
        actor=cast.user(roles.PHLEBOTOMIST),
        donation=Donation.objects.get(pk=donation_id),
        kind="vasovagal",
        severity="severe",
        care_given="walk",
    )
    return {"reportable_reaction": reaction.pk}


def _lab_world(cast: Cast, donation_id: int) -> dict[str, Any]:
    """The lab's panel; the walk's donation acceptable (a full nonreactive panel); a donation
    in ABO discrepancy; a donation NAT reactive for HIV and HCV (two notifications due); and,
    for each role that may consume it, its own hand-entered result to verify (entered by a
    technologist who is not one of the walk's users), active hold and notification."""
    lab_services.panel_set(actor=None, name="Standard", effective_from=date(2024, 1, 1), markers=LAB_PANEL)
    screener = cast.user(roles.SCREENER)

    def donation_of(family_name: str, abo: str = "", procedure: str = "whole_blood") -> Donation:
        donor = donor_services.donor_register(
            actor=None,
            details=donor_services.DonorDetails(
                family_name=family_name, given_name="Lab", date_of_birth=date(1975, 2, 3), sex="M"
            ),
            not_a_duplicate=True,
        )
        if abo:
            type(donor).objects.filter(pk=donor.pk).update(abo_on_record=abo, rhd_on_record="pos")
        screening = collection_services.screening_record(
            actor=screener,
            donor=donor,
            site=cast.site,
            procedure=procedure,
            vitals={**WALK_VITALS, "platelet_count_k_per_ul": 250},
        )
        return _collected(cast, screening)

    accepted = Donation.objects.select_related("din").get(pk=donation_id)
    discrepant = donation_of("Typer", abo="A")
    reactive = donation_of("Reactor")
    pending = donation_of("Waiter")
    platelets = donation_of("Plateau", procedure="platelets")
    dr = reactive.din.din
    technologist = cast.user(roles.LAB_TECHNOLOGIST, username="walk_technologist")
    lab_services.results_import(
        actor=technologist,
        filename="walk.csv",
        data=file_of(
            [
                *full_panel(accepted.din.din),
                *full_panel(discrepant.din.din, abo="B"),
                *full_panel(dr, skip=frozenset({"hiv_nat", "hcv_nat", "wnv_nat"})),
                line(dr, "hiv_nat", "individual", "reactive"),
                line(dr, "hcv_nat", "individual", "reactive"),
                *full_panel(pending.din.din, skip=frozenset({"wnv_nat"})),
            ]
        ),
    )
    results = {
        role: lab_services.result_enter(
            actor=technologist, donation=pending, marker="wnv_nat", stage="individual", reading="nonreactive"
        ).pk
        for role in LAB_WORKERS
    }
    holds = {
        role: lab_services.hold_place(actor=technologist, donation=pending, reason="walk").pk
        for role in LAB_HOLDERS
    }
    notifications = dict(
        zip(
            sorted(NOTIFIERS),
            DonorNotification.objects.filter(donation=reactive).order_by("pk").values_list("pk", flat=True),
            strict=True,
        )
    )
    return {
        "lab_donation": accepted.pk,
        "lab_din": accepted.din.din,
        "discrepancy_donation": discrepant.pk,
        "platelet_donation": platelets.pk,
        "platelet_din": platelets.din.din,
        "unverified_result": results,
        "active_hold": holds,
        "notification": notifications,
    }


def _whole_blood(cast: Cast, name: str, release: bool = True) -> Unit:
    """The whole blood unit of a new donor's collection, typed O pos and released (unless
    told), quarantined."""
    donor = donor_services.donor_register(
        actor=None,
        details=donor_services.DonorDetails(
            family_name=name, given_name="Unit", date_of_birth=date(1970, 3, 4), sex="F"
        ),
        not_a_duplicate=True,
    )
    screening = collection_services.screening_record(
        actor=cast.user(roles.SCREENER),
        donor=donor,
        site=cast.site,
        procedure="whole_blood",
        vitals=WALK_VITALS,
    )
    donation = _collected(cast, screening)
    if release:
        lab_services.results_import(
            actor=cast.user(roles.LAB_TECHNOLOGIST, username="walk_component_lab"),
            filename=f"{name}.csv",
            data=file_of(full_panel(donation.din.din)),
        )
        supervisor = cast.user(roles.LAB_SUPERVISOR)
        signer = signer_verify(actor=supervisor, password=PASSWORD, authenticated_by=INTERACTIVE)
        lab_services.donations_release(actor=supervisor, signer=signer, donations=[donation])
    (unit,) = manufacturing_services.units_collect(
        actor=_component_technologist(cast),
        donation=donation,
        product=Product.objects.get(code="A0001"),
        volume_ml=500,
    )
    return unit


def _component_technologist(cast: Cast) -> User:
    return cast.user(roles.COMPONENT_TECHNOLOGIST, username="walk_component_technologist")


def _separated(cast: Cast, name: str) -> list[Unit]:
    """Red cells (A0002), plasma (A0007) and platelets (A0012) of a released whole blood unit."""
    return manufacturing_services.unit_process(
        actor=_component_technologist(cast),
        unit=_whole_blood(cast, name),
        products=list(Product.objects.filter(code__in=["A0002", "A0007", "A0012"]).order_by("code")),
    )


def _components_world(cast: Cast) -> dict[str, Any]:
    """The local catalogue; five whole blood donations typed O pos and released, each
    separated into red cells (A0002), plasma (A0007) and platelets (A0012), brought to the
    states the components routes start from (two plasmas made into cryoprecipitate to
    pool); a whole blood unit not processed; a refrigerator with one excursion pending."""
    catalogue_services.catalogue_import(actor=None, filename="local.csv", data=local_catalogue_bytes())
    technologist = _component_technologist(cast)
    clerk = cast.user(roles.DISTRIBUTION_CLERK, username="walk_clerk")
    lines = [_separated(cast, name) for name in ("Comp", "Compton", "Compass", "Compote", "Comparo")]
    (r1, p1, l1), (r2, p2, l2), (r3, p3, l3), (r4, p4, l4), (r5, p5, l5) = lines

    def verified(unit: Unit) -> Unit:
        content = label_services.unit_label_print(actor=technologist, unit=unit)
        label_services.unit_label_verify(
            actor=technologist, unit=unit, scans=[b.data for b in barcodes(content)]
        )
        return unit

    def available(unit: Unit) -> Unit:
        return inventory_services.unit_make_available(actor=technologist, unit=verified(unit))

    for unit in (r1, r2, r3):
        verified(unit)
    label_services.unit_label_print(actor=technologist, unit=p1)
    for unit in (p2, l3):
        available(unit)
    inventory_services.unit_allocate(actor=clerk, unit=available(l4), reference="walk")
    cryoprecipitate = Product.objects.get(code="A0010")
    for plasma in (p3, p4):  # cryoprecipitate to pool, its group on its printed label
        (cryo,) = manufacturing_services.unit_process(
            actor=technologist, unit=plasma, products=[cryoprecipitate]
        )
        label_services.unit_label_print(actor=technologist, unit=cryo)
    for unit in (l1, l2):
        inventory_services.unit_allocate(actor=clerk, unit=available(unit), reference="walk")
        inventory_services.unit_ship(actor=clerk, unit=unit, consignee="walk")
    holds = {
        role: inventory_services.unit_hold_place(actor=technologist, unit=unit, reason="walk").pk
        for role, unit in zip(sorted(COMPONENT_HOLDERS), (r5, p5, l5), strict=True)
    }
    loose = _whole_blood(cast, "Compline", release=False)
    location = storage_services.location_create(
        actor=None,
        site=cast.site,
        name="Walk refrigerator",
        kind="refrigerator",
        minimum_c=Decimal("1"),
        maximum_c=Decimal("6"),
        capacity_units=20,
    )
    storage_services.temperatures_import(
        actor=None,
        location=location,
        filename="excursion.csv",
        data=b"recorded_at,temperature_c\n2025-01-10T10:00:00Z,4.0\n2025-01-10T10:10:00Z,9.5\n"
        b"2025-01-10T10:20:00Z,4.0\n",
    )
    excursion = TemperatureExcursion.objects.get(location=location)
    movers, holders = sorted(COMPONENT_MOVERS), sorted(COMPONENT_HOLDERS)
    return {
        "comp_unit": r4.pk,
        "comp_printed": p1.pk,
        "comp_whole_blood": loose.pk,
        "comp_free_din": free_whole_blood_din(),
        "comp_location": location.pk,
        "comp_excursion": excursion.pk,
        "comp_ready": dict(zip(holders, (r1.pk, r2.pk, r3.pk), strict=True)),
        "comp_available": dict(zip(movers, (p2.pk, l3.pk), strict=True)),
        "comp_allocated": {roles.DISTRIBUTION_CLERK: l4.pk},
        "comp_shipped": dict(zip(movers, (l1.pk, l2.pk), strict=True)),
        "comp_hold": holds,
    }


def _trade_ledger() -> None:
    """The accounts and mappings billing posts to (tests/distribution/conftest.py's chart,
    beside the finance routes' accounts), fiscal years open from last year to next."""
    for code, name, kind, group, (mapping_kind, key) in DISTRIBUTION_CHART:
        account = Account.objects.filter(code=code).first() or finance_services.account_create(
            actor=None, code=code, name=name, type=kind, group=group
        )
        finance_services.account_mapping_set(
            actor=None, kind=mapping_kind, key=key, account=account, effective_from=date(2024, 1, 1)
        )
    this_year = timezone.localdate().year
    for year in (this_year - 1, this_year, this_year + 1):
        finance_services.fiscal_year_open(actor=None, fiscal_year=year)


def _month_start(months_ago: int) -> date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_ago
    return date(index // 12, index % 12 + 1, 1)


def _billing_world(cast: Cast) -> dict[str, Any]:
    """Both hospitals' contracts pricing the catalogue (the other hospital's user orders for its
    own); on the walk hospital's (monthly): three months ago invoiced, two months ago a charge
    per role that may credit one, last month and this month one more each (the oldest unbilled
    months are what the invoicing routes bill, one per role). This month's charge is the world's
    own: the shipments' charges fall in last month when the walk starts just after midnight on
    the first."""
    contract = contract_for(cast.hospital, "C-CEDARS-1")
    contract_for(cast.other_hospital, "C-MERCY-1", invoicing=Contract.Invoicing.PER_SHIPMENT)
    numbers = itertools.count(1)

    def charge(month: date) -> Charge:
        n = next(numbers)
        (made,) = billing_services.charges_record(
            actor=None,
            contract=contract,
            occurred_on=month,
            group_key=f"walk-{month:%Y-%m}",
            charges=[
                billing_services.ChargeInput(
                    item_code="RBC",
                    description=f"Walk red cells {n}",
                    quantity=1,
                    program=cast.program,
                    revenue_key="red_cells",
                    source_type="walk.delivery",
                    source_id=str(n),
                )
            ],
        )
        return made

    charge(_month_start(3))
    invoice = billing_services.invoice_issue(
        actor=None, contract=contract, issued_on=timezone.localdate(), period_start=_month_start(3)
    )
    credits = {role: charge(_month_start(2)).pk for role in sorted(BILLING_WRITERS)}
    charge(_month_start(1))
    charge(_month_start(0))
    return {"contract": contract.pk, "invoice": invoice.pk, "charge": credits}


def _available_red_cells(cast: Cast, name: str) -> Unit:
    red_cells = _separated(cast, name)[0]
    return unit_available(_component_technologist(cast), red_cells)


def _trade_world(cast: Cast) -> dict[str, Any]:
    """Orders of the walk hospital for one O pos red cell unit each, in every state a route
    starts from, and the units to fill them; built half an hour ago, so that a return may be
    dated after its shipment left (the page takes whole minutes)."""
    clerk, hospital_user = cast.user(roles.DISTRIBUTION_CLERK), cast.user(roles.HOSPITAL_USER)
    with time_machine.travel(timezone.now() - timedelta(minutes=30), tick=True):
        for n in range(6):  # one per order allocated below, and one for the allocation routes
            _available_red_cells(cast, f"Trade{n}")

        def placed() -> Order:
            return distribution_services.order_place(
                actor=hospital_user,
                hospital=cast.hospital,
                lines=[distribution_services.LineInput(product_code="A0002", abo="O", rhd="pos", quantity=1)],
                needed_by=timezone.now() + timedelta(hours=6),
            )

        def allocated() -> Order:
            order = placed()
            distribution_services.order_allocate(actor=clerk, order=order)
            return order

        def packing() -> Shipment:
            return distribution_services.shipment_create(actor=clerk, order=allocated())

        def scanned() -> Shipment:
            shipment = packing()
            for item in shipment.items.select_related("unit"):
                distribution_services.shipment_scan(
                    actor=clerk, shipment=shipment, scans=label_scans(item.unit)
                )
            return shipment

        shipped = {
            role: distribution_services.shipment_ship(actor=clerk, shipment=scanned())
            for role in sorted(RECEIVERS)
        }
        items = {role: shipment.items.get() for role, shipment in shipped.items()}
        ready, being_packed, waiting = scanned(), packing(), allocated()
        to_allocate = placed()
    first = items[roles.DISTRIBUTION_CLERK]
    return {
        "order": first.shipment.order_id,
        "shipment": first.shipment_id,
        "shipped_shipment": {role: shipment.pk for role, shipment in shipped.items()},
        "item": {role: item.pk for role, item in items.items()},
        "return_item": first.pk,
        "shipped_unit": first.unit_id,
        "scanned_shipment": ready.pk,
        "packing_shipment": being_packed.pk,
        "allocated_order": waiting.pk,
        "allocate_order": to_allocate.pk,
        "cancel_order": {role: placed().pk for role in sorted(ORDER_PLACERS)},
    }
