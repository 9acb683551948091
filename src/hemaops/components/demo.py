"""Demo components: the local product catalogue; a refrigerator, a freezer and a platelet
agitator at each site that collected the demo donations; and the units of the lab demo's
released whole blood donations — collected, separated into red cells, plasma and platelets,
labelled and verified (typed donations), most made available and stored where their
temperature range fits. Some keep their label unverified, so the processing worklist has work;
the platelets of donations older than five days are out of date and stay quarantined.

Through the services. The collection and separation are recorded at their times (just after
the donation: plasma is frozen within 8 hours), which needs the back-dating permission, so the
demo's operator (``actor=None``) records them; the component technologist labels, makes
available and stores. Idempotent: the catalogue and the locations are found again, and a
donation that already has units is skipped."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from importlib import resources

from django.db import transaction
from django.utils import timezone

from hemaops.components import (
    catalogue_services,
    inventory_services,
    label_services,
    manufacturing_services,
    storage_services,
)
from hemaops.components.labels import barcodes
from hemaops.components.models import Catalogue, Product, StorageLocation, Unit
from hemaops.components.rules.lifecycle import ON_HAND
from hemaops.core.demo import DemoLogins
from hemaops.core.models import Site, User
from hemaops.donations.models import Donation

SEPARATION = ("A0002", "A0007", "A0012")  # red cells AS-1, FFP, platelets from whole blood
LOCATIONS = [  # name, kind, minimum °C, maximum °C, capacity
    ("Refrigerator 1", StorageLocation.Kind.REFRIGERATOR, "1", "6", 200),
    ("Freezer 1", StorageLocation.Kind.FREEZER, "-40", "-18", 400),
    ("Platelet agitator 1", StorageLocation.Kind.PLATELET_AGITATOR, "20", "24", 60),
]


def _catalogue() -> None:
    if Catalogue.objects.filter(source=Catalogue.Source.LOCAL).exists():
        return
    data = resources.files("hemaops.components").joinpath("data/local_catalogue.csv").read_bytes()
    catalogue_services.catalogue_import(actor=None, filename="local_catalogue.csv", data=data)


def _locations(sites: list[Site]) -> None:
    for site in sites:
        existing = set(StorageLocation.objects.filter(site=site).values_list("name", flat=True))
        for name, kind, minimum, maximum, capacity in LOCATIONS:
            if name not in existing:
                storage_services.location_create(
                    actor=None,
                    site=site,
                    name=name,
                    kind=kind,
                    minimum_c=Decimal(minimum),
                    maximum_c=Decimal(maximum),
                    capacity_units=capacity,
                )


def _store(technologist: User | None, unit: Unit) -> None:
    """Into the first location of the unit's site whose range lies in the product's and has room."""
    product = unit.product
    for location in StorageLocation.objects.filter(site_id=unit.site_id, is_active=True).order_by("pk"):
        fits = product.storage_min_c <= location.minimum_c and location.maximum_c <= product.storage_max_c
        on_hand = location.units.filter(status__in=sorted(ON_HAND)).count()
        if fits and on_hand < location.capacity_units:
            inventory_services.unit_store(actor=technologist, unit=unit, location=location)
            return


def _units(technologist: User | None, donation: Donation, number: int, products: list[Product]) -> None:
    now = timezone.now()
    (whole_blood,) = manufacturing_services.units_collect(
        actor=None,
        donation=donation,
        product=Product.objects.get(code="A0001"),
        volume_ml=donation.volume_ml,
        occurred_at=donation.ended_at + timedelta(minutes=15),
    )
    components = manufacturing_services.unit_process(
        actor=None, unit=whole_blood, products=products, occurred_at=donation.ended_at + timedelta(hours=2)
    )
    for unit in components:
        if unit.expires_at <= now:
            continue  # out of date: it stays quarantined until the outdate is recorded
        content = label_services.unit_label_print(actor=technologist, unit=unit)
        if number % 4 == 3:
            continue  # printed, not yet scanned back: on the worklist for verification
        label_services.unit_label_verify(
            actor=technologist, unit=unit, scans=[b.data for b in barcodes(content)]
        )
        unit.refresh_from_db()
        if not inventory_services.unit_gate_refusals(unit):
            inventory_services.unit_make_available(actor=technologist, unit=unit)
        unit.refresh_from_db()
        _store(technologist, unit)


@transaction.atomic
def load(logins: DemoLogins) -> None:
    _catalogue()
    donations = list(
        Donation.objects.filter(release__isnull=False, procedure="whole_blood", outcome="complete")
        .select_related("din", "site")
        .order_by("started_at", "pk")
    )
    _locations(sorted({d.site for d in donations}, key=lambda site: site.code))
    technologist = User.objects.filter(username="component_technologist").first()
    products = [Product.objects.get(code=code) for code in SEPARATION]
    done = set(Donation.objects.filter(unit_sources__isnull=False).values_list("pk", flat=True))
    for number, donation in enumerate(donations):
        if donation.pk not in done:
            _units(technologist, donation, number, products)
