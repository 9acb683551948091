"""Demo data of the donations context: one received range of pre-printed DIN label sets at the
Sherman Oaks Donor Center (FIN W0001) for this year, six months of collections and a coming
drive. Idempotent: a second run finds them and adds nothing."""

from __future__ import annotations

from django.utils import timezone

from hemaops.core.demo import DemoLogins
from hemaops.core.models import Site
from hemaops.donations.models import DinLabelStock
from hemaops.donations.services import din_stock_receive

DEMO_SITE = "sherman-oaks"
FIRST_SEQUENCE = 1
LAST_SEQUENCE = 5000


def _load_din_label_stock() -> None:
    site = Site.objects.filter(code=DEMO_SITE).exclude(facility_identification_number="").first()
    if site is None:
        return
    today = timezone.localdate()
    year = f"{today:%y}"
    if DinLabelStock.objects.filter(
        facility=site.facility_identification_number, year=year, first_sequence=FIRST_SEQUENCE
    ).exists():
        return
    din_stock_receive(
        actor=None,
        site=site,
        year=year,
        first_sequence=FIRST_SEQUENCE,
        last_sequence=LAST_SEQUENCE,
        received_on=today,
        lot="DEMO-LABELS-001",
        notes="Pre-printed whole blood label sets (demo)",
    )


def load(logins: DemoLogins) -> None:
    """The DIN label stock, then six months of collections with paid and volunteer donors
    (donations.collection_demo), then the coming drive and its appointments
    (donations.drive_demo)."""
    from hemaops.donations import collection_demo, drive_demo

    _load_din_label_stock()
    collection_demo.load()
    drive_demo.load()
