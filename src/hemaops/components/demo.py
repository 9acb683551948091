"""Demo components: the local product catalogue; a refrigerator, a freezer and a platelet
agitator at each site that collected the demo donations; and the units of the lab demo's
released whole blood donations — collected, separated into red cells, plasma and platelets,
labelled and verified (typed donations), most made available and stored where their
temperature range fits. Some keep their label unverified, so the processing worklist has work;
the platelets of donations older than five days are out of date and stay quarantined. Each
location's logger has 48 hours of readings, one every 15 minutes up to now, imported as the
logger's file (``temperatures_import``): in range with a little noise and a bump each time the
door is opened — except one excursion, Sherman Oaks' platelet agitator running warm for 45
minutes a day ago, left pending for the quality officer to decide.

Through the services. The collection and separation are recorded at their times (just after
the donation: plasma is frozen within 8 hours), which needs the back-dating permission, so the
demo's operator (``actor=None``) records them; the component technologist labels, makes
available and stores; the technologist imports the loggers' files. Idempotent: the catalogue
and the locations are found again, a donation that already has units is skipped, and so is a
location that already has readings."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from zoneinfo import ZoneInfo

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
from hemaops.components.models import Catalogue, Product, StorageLocation, TemperatureReading, Unit
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
# The loggers: a reading every 15 minutes over the last 48 hours, ending at the last quarter
# hour. Per location: the set point, the noise (± tenths of a degree), and the door-opening
# bump — warm air into the refrigerator and the freezer, cooler room air into the agitator.
READING_INTERVAL = timedelta(minutes=15)
READING_SPAN = timedelta(hours=48)
LOGGERS = {  # name: set point °C, noise in tenths of °C, door-opening bump °C
    "Refrigerator 1": (Decimal("4.0"), 2, Decimal("1.2")),
    "Freezer 1": (Decimal("-30.0"), 8, Decimal("4.5")),
    "Platelet agitator 1": (Decimal("22.0"), 2, Decimal("-0.6")),
}
DOOR_OPENINGS = ((7, 30), (12, 0), (16, 15))  # local time: restocking, the midday and afternoon issues
# The one excursion: the platelet agitator at Sherman Oaks ran warm for three readings, 45
# minutes, a day before the end of its file (24.6, 25.1, 24.7 °C). A platelet agitator because
# an excursion holds the units that were stored there, and the distribution demo, which runs
# after this one, allocates and ships only red cells (A0002) and plasma (A0007): the demo's
# agitators hold no units (its platelets are out of date and stay quarantined), and platelets
# stored there later would be no unit distribution needs.
EXCURSION_LOCATION = ("sherman-oaks", "Platelet agitator 1")
EXCURSION_BEFORE_END = timedelta(hours=24)  # when its first out-of-range reading was taken
EXCURSION_READINGS = (Decimal("24.6"), Decimal("25.1"), Decimal("24.7"), Decimal("23.8"), Decimal("22.9"))


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


def _door(local: datetime) -> Decimal:
    """The share of a door-opening bump a reading taken at ``local`` shows: all of it at the
    opening's quarter hour, half a quarter of an hour later, none once the unit has recovered."""
    minutes = local.hour * 60 + local.minute
    for hour, minute in DOOR_OPENINGS:
        since = minutes - (hour * 60 + minute)
        if since == 0:
            return Decimal(1)
        if since == 15:
            return Decimal("0.5")
    return Decimal(0)


def _logger_file(location: StorageLocation, end: datetime) -> str:
    """The logger's CSV export for ``location`` (docs/component-files.md): its own column, then
    every reading of the 48 hours up to ``end`` in the site's local time with the UTC offset."""
    zone = ZoneInfo(location.site.time_zone)
    set_point, noise, bump = LOGGERS[location.name]
    # Fixed seed: the same location gets the same readings on every run.
    rng = random.Random(f"{location.site.code}/{location.name}")  # noqa: S311 - demo noise, not secrets
    excursion: dict[datetime, Decimal] = {}
    if (location.site.code, location.name) == EXCURSION_LOCATION:
        first = end - EXCURSION_BEFORE_END
        excursion = {first + n * READING_INTERVAL: value for n, value in enumerate(EXCURSION_READINGS)}
    lines = ["logger,recorded_at,temperature_c"]
    logger = f"DEMO-{location.site.code}-{location.kind}".upper()
    count = READING_SPAN // READING_INTERVAL
    for step in range(count + 1):
        at = end - (count - step) * READING_INTERVAL
        local = at.astimezone(zone)
        value = set_point + Decimal(rng.randint(-noise, noise)) / 10 + bump * _door(local)
        value = excursion.get(at, value)
        lines.append(f"{logger},{local.isoformat(timespec='seconds')},{value.quantize(Decimal('0.1'))}")
    return "\n".join(lines) + "\n"


def _readings(technologist: User | None, sites: list[Site]) -> None:
    """Each location's logger file, imported through the service as the technologist would."""
    now = timezone.now()
    end = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    read = set(TemperatureReading.objects.values_list("location_id", flat=True).distinct())
    locations = StorageLocation.objects.filter(site__in=sites, name__in=LOGGERS).select_related("site")
    for location in locations.exclude(pk__in=read).order_by("site__code", "pk"):
        filename = f"{location.site.code}-{location.name.lower().replace(' ', '-')}-{end:%Y%m%dT%H%MZ}.csv"
        storage_services.temperatures_import(
            actor=technologist,
            location=location,
            filename=filename,
            data=_logger_file(location, end).encode(),
        )


@transaction.atomic
def load(logins: DemoLogins) -> None:
    _catalogue()
    donations = list(
        Donation.objects.filter(release__isnull=False, procedure="whole_blood", outcome="complete")
        .select_related("din", "site")
        .order_by("started_at", "pk")
    )
    sites = sorted({d.site for d in donations}, key=lambda site: site.code)
    _locations(sites)
    technologist = User.objects.filter(username="component_technologist").first()
    products = [Product.objects.get(code=code) for code in SEPARATION]
    done = set(Donation.objects.filter(unit_sources__isnull=False).values_list("pk", flat=True))
    for number, donation in enumerate(donations):
        if donation.pk not in done:
            _units(technologist, donation, number, products)
    _readings(technologist, sites)
