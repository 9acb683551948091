"""The components demo: each storage location has its logger's last 48 hours, read every 15
minutes and imported as a file; one excursion — on Sherman Oaks' platelet agitator, whose
platelets the distribution demo does not draw on — waits for the quality officer; and a second
load imports nothing again."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from django.db.models import F, Q
from django.utils import timezone

from hemaops.cli import DEMO_TIME_ZONE
from hemaops.components import demo as components_demo
from hemaops.components.models import StorageLocation, TemperatureImport, TemperatureReading, UnitHold
from hemaops.components.selectors import excursions_pending
from hemaops.core.demo import DemoLogins, demo_loaders


def _load_demos_through_components() -> None:
    """The contexts' demos in INSTALLED_APPS order (the ``demo`` command's loop), up to and
    including this one: billing and distribution come after and are not needed here."""
    for config, load in demo_loaders():
        load(DemoLogins())
        if config.name == "hemaops.components":
            return


@pytest.fixture
def demo(db, settings):
    settings.TIME_ZONE = DEMO_TIME_ZONE  # as `hemaops demo` runs
    started = timezone.now()
    _load_demos_through_components()
    return started


def test_every_location_has_48_hours_of_readings_and_one_excursion_waits_for_review(demo):
    # One test: the demos up to components take a while to load, so they are loaded once here.
    _every_location_has_its_loggers_last_48_hours(started=demo)
    _one_excursion_on_sherman_oaks_platelet_agitator_is_pending()
    imports = TemperatureImport.objects.count()

    components_demo.load(DemoLogins())

    assert TemperatureImport.objects.count() == imports


def _every_location_has_its_loggers_last_48_hours(started: datetime) -> None:
    locations = list(StorageLocation.objects.select_related("site").order_by("site__code", "name"))
    assert [(loc.site.code, loc.name) for loc in locations] == [
        (site, name)
        for site in ("mobile-1", "sherman-oaks")
        for name in ("Freezer 1", "Platelet agitator 1", "Refrigerator 1")
    ]
    for location in locations:
        readings = list(location.readings.order_by("recorded_at"))
        assert len(readings) == 48 * 4 + 1  # every 15 minutes, both ends
        first, last = readings[0].recorded_at, readings[-1].recorded_at
        assert last - first == timedelta(hours=48)
        assert started - timedelta(minutes=15) < last <= timezone.now()
        assert {b.recorded_at - a.recorded_at for a, b in pairwise(readings)} == {timedelta(minutes=15)}
        assert location.imports.count() == 1
        # Noise, and the door openings: a refrigerator warms by more than a degree.
        values = [r.temperature_c for r in readings]
        assert len(set(values)) > 1
        if location.kind == StorageLocation.Kind.REFRIGERATOR:
            assert max(values) - min(values) > Decimal(1)


def _one_excursion_on_sherman_oaks_platelet_agitator_is_pending() -> None:
    (excursion,) = excursions_pending()

    assert (excursion.location.site.code, excursion.location.name) == ("sherman-oaks", "Platelet agitator 1")
    assert (excursion.direction, excursion.extreme_c) == ("above", Decimal("25.1"))
    assert excursion.ended_at - excursion.started_at == timedelta(minutes=45)
    # Its three readings above 24 °C are the only ones out of any location's range.
    outside = TemperatureReading.objects.filter(
        Q(temperature_c__lt=F("location__minimum_c")) | Q(temperature_c__gt=F("location__maximum_c"))
    )
    assert sorted(outside.values_list("location_id", "temperature_c")) == [
        (excursion.location_id, Decimal(value)) for value in ("24.6", "24.7", "25.1")
    ]
    # Whatever it holds is platelets, which no demo order asks for.
    held = UnitHold.objects.filter(excursion=excursion)
    assert not held.exclude(unit__product__product_class="platelets").exists()
