"""Fixtures of the components tests: the demo's local catalogue, the component staff, a
whole blood donation typed and released, and a storage location for each temperature."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources

import pytest

from hemaops.components import catalogue_services, manufacturing_services, storage_services
from hemaops.components.models import Product
from hemaops.core import roles
from hemaops.core.signatures import INTERACTIVE, signer_verify
from hemaops.lab import services as lab_services
from tests.conftest import PASSWORD
from tests.lab.conftest import (  # noqa: F401 - fixtures  # noqa: F401 - fixtures
    STANDARD,
    another_donation,
    donor,
    lab,
    panel,
    staff,
)
from tests.lab.conftest import donation as collected_donation  # noqa: F401 - fixture
from tests.lab.results import file_of, full_panel


def local_catalogue_bytes() -> bytes:
    return resources.files("hemaops.components").joinpath("data/local_catalogue.csv").read_bytes()


@pytest.fixture
def catalogue(db):
    return catalogue_services.catalogue_import(actor=None, filename="local.csv", data=local_catalogue_bytes())


def product(code: str) -> Product:
    return Product.objects.get(code=code)


@pytest.fixture
def components(make_user):
    return {
        "technologist": make_user(roles.COMPONENT_TECHNOLOGIST, username="ctech"),
        "clerk": make_user(roles.DISTRIBUTION_CLERK, username="clerk"),
        "quality": make_user(roles.QUALITY_OFFICER, username="quality"),
        "administrator": make_user(roles.ADMINISTRATOR, username="admin"),
    }


def release(lab, donation, *, abo="O", rhd="pos", name=None):  # noqa: F811
    """Type ``donation`` and release it as the lab supervisor signs it."""
    lab_services.results_import(
        actor=lab["technologist"],
        filename=name or f"{donation.din.din}.csv",
        data=file_of(full_panel(donation.din.din, abo=abo, rhd=rhd)),
    )
    supervisor = lab["supervisor"]
    signer = signer_verify(actor=supervisor, password=PASSWORD, authenticated_by=INTERACTIVE)
    lab_services.donations_release(actor=supervisor, signer=signer, donations=[donation])


@pytest.fixture
def whole_blood(catalogue, components, collected_donation):  # noqa: F811
    """The whole blood unit of a fresh collection, quarantined."""
    (unit,) = manufacturing_services.units_collect(
        actor=components["technologist"], donation=collected_donation, product=product("A0001"), volume_ml=500
    )
    return unit


@pytest.fixture
def refrigerator(site):
    return storage_services.location_create(
        actor=None,
        site=site,
        name="Refrigerator 1",
        kind="refrigerator",
        minimum_c=Decimal("1"),
        maximum_c=Decimal("6"),
        capacity_units=3,
    )
