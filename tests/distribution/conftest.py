"""Fixtures of the distribution and billing tests: a ledger that takes revenue, a hospital's
contract pricing the local catalogue and the surcharges, the people who order, ship and bill,
and ``stock`` — real units made through every service from donor to shelf (released, labelled,
verified, available), so allocation meets the same gate production does."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from hemaops.billing import services as billing_services
from hemaops.billing.models import Contract
from hemaops.billing.rules import SURCHARGE_DELIVERY, SURCHARGE_IRRADIATION, SURCHARGE_STAT
from hemaops.components import inventory_services, label_services, manufacturing_services
from hemaops.components.labels import barcodes
from hemaops.components.models import Product, Unit
from hemaops.core import roles
from hemaops.core.models import Hospital
from hemaops.donors import services as donor_services
from hemaops.finance.services import account_create, account_mapping_set, fiscal_year_open
from hemaops.lab import services as lab_services
from tests.components.conftest import catalogue, components, release  # noqa: F401 - fixtures
from tests.donations.test_collection import collect, screen
from tests.lab.conftest import lab, panel, staff  # noqa: F401 - fixtures

#: The chart the postings need: receivables, cash, and revenue by product class.
CHART = [
    ("1000", "Cash", "asset", "cash_and_marketable_securities", ("system", "cash")),
    ("1100", "Unbilled receivables", "asset", "other_current_assets", ("system", "unbilled_receivables")),
    ("1110", "Billed receivables", "asset", "other_current_assets", ("system", "billed_receivables")),
    ("2000", "Accounts payable", "liability", "current_liabilities", ("system", "accounts_payable")),
    ("4000", "Revenue - red cells", "revenue", "", ("revenue", "red_cells")),
    ("4010", "Revenue - platelets", "revenue", "", ("revenue", "platelets")),
    ("4020", "Revenue - plasma", "revenue", "", ("revenue", "plasma")),
    ("4030", "Revenue - surcharges", "revenue", "", ("revenue", "product_surcharges")),
]

#: What the test contract charges, by billable item code (the local catalogue's and the
#: surcharges); paid-donor red cells are priced apart.
PRICES = {
    "WB": "180.00",
    "RBC": "215.00",
    "RBC-LR": "230.00",
    "RBC-IRR": "245.00",
    "RBC-LR-IRR": "260.00",
    "RBC-WASH": "310.00",
    "FFP": "60.00",
    "PF24": "55.00",
    "PLS-THAW": "65.00",
    "CRYO": "50.00",
    "CRYO-POOL": "260.00",
    "PLT-WBD": "90.00",
    "PLT-POOL": "480.00",
    "PLT-APH": "520.00",
    "PLT-APH-IRR": "545.00",
    "PLT-APH-VR": "560.00",
    "PLT-APH-DIV": "400.00",
    "PLS-APH": "70.00",
    "RBC-APH": "225.00",
    SURCHARGE_STAT: "75.00",
    SURCHARGE_DELIVERY: "40.00",
    SURCHARGE_IRRADIATION: "25.00",
}
PAID_RBC_PRICE = "200.00"
CONTRACT_START = date(2024, 1, 1)


@pytest.fixture
def ledger(company) -> None:
    """Accounts and mappings from 2024, fiscal years open from last year to next."""
    for code, name, kind, group, (mapping_kind, key) in CHART:
        account = account_create(actor=None, code=code, name=name, type=kind, group=group)
        account_mapping_set(
            actor=None, kind=mapping_kind, key=key, account=account, effective_from=date(2024, 1, 1)
        )
    this_year = timezone.now().year
    for year in (this_year - 1, this_year, this_year + 1):
        fiscal_year_open(actor=None, fiscal_year=year)


def contract_for(hospital: Hospital, number: str, **terms) -> Contract:
    prices = [
        billing_services.PriceInput(item_code=code, unit_price=Decimal(price), effective_from=CONTRACT_START)
        for code, price in PRICES.items()
    ]
    prices.append(
        billing_services.PriceInput(
            item_code="RBC",
            unit_price=Decimal(PAID_RBC_PRICE),
            effective_from=CONTRACT_START,
            donor_classification="paid",
        )
    )
    return billing_services.contract_create(
        actor=None, hospital=hospital, number=number, starts_on=CONTRACT_START, prices=prices, **terms
    )


@pytest.fixture
def contract(ledger, catalogue, hospital) -> Contract:  # noqa: F811
    """``hospital``'s contract: net 30, invoiced monthly, every item priced from 2024."""
    return contract_for(hospital, "C-CEDARS-1")


@pytest.fixture
def other_contract(ledger, catalogue, other_hospital) -> Contract:  # noqa: F811
    return contract_for(other_hospital, "C-MERCY-1", invoicing=Contract.Invoicing.PER_SHIPMENT)


@pytest.fixture
def people(make_user, hospital, other_hospital) -> dict:
    return {
        "clerk": make_user(roles.DISTRIBUTION_CLERK, username="dclerk"),
        "hospital_user": make_user(roles.HOSPITAL_USER),
        "other_hospital_user": make_user(roles.HOSPITAL_USER, hospital_for_user=other_hospital),
        "accountant": make_user(roles.ACCOUNTANT),
        "controller": make_user(roles.CONTROLLER),
        "medical_director": make_user(roles.MEDICAL_DIRECTOR),
        "quality": make_user(roles.QUALITY_OFFICER, username="dquality"),
    }


#: How each stocked product is made from a whole blood collection: the separation's products,
#: then the modifications down to the one wanted.
_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "A0001": (),
    "A0002": (("A0002", "A0007", "A0012"),),
    "A0003": (("A0002", "A0007", "A0012"), ("A0003",)),
    "A0004": (("A0002", "A0007", "A0012"), ("A0004",)),
    "A0005": (("A0002", "A0007", "A0012"), ("A0003",), ("A0005",)),
    "A0007": (("A0002", "A0007", "A0012"),),
    "A0012": (("A0002", "A0007", "A0012"),),
}
_names = itertools.count(1)


@pytest.fixture
def stock(catalogue, components, lab, staff, site, panel) -> Callable[..., list[Unit]]:  # noqa: F811
    """stock(product_code="A0002", abo="O", rhd="pos", count=1, special={"cmv_antibody": "negative"})
    → ``count`` available units, each from its own donor's whole blood collection, typed and
    released by the lab, made down to the product, labelled, verified and made available.
    ``special`` records the lab's special tests on each donation (e.g. ``red_cell_antigens``:
    ``"K- E- c+"``)."""
    technologist = components["technologist"]
    products = {p.code: p for p in Product.objects.all()}

    def make(
        product_code: str = "A0002",
        abo: str = "O",
        rhd: str = "pos",
        count: int = 1,
        special: dict[str, str] | None = None,
    ) -> list[Unit]:
        if product_code not in _PATHS:
            raise ValueError(f"stock makes {', '.join(_PATHS)}, not {product_code}")
        made = []
        for _ in range(count):
            n = next(_names)
            donor = donor_services.donor_register(
                actor=None,
                details=donor_services.DonorDetails(
                    family_name=f"Stockdonor{n}", given_name="Ada", date_of_birth=date(1980, 1, 1), sex="M"
                ),
                not_a_duplicate=True,
            )
            donation = collect(staff, screen(staff, donor, site), site)
            release(lab, donation, abo=abo, rhd=rhd, name=f"stock-{n}.csv")
            for test, result in (special or {}).items():
                lab_services.special_test_record(
                    actor=lab["technologist"], donation=donation, test=test, result=result
                )
            (unit,) = manufacturing_services.units_collect(
                actor=technologist, donation=donation, product=products["A0001"], volume_ml=500
            )
            for step in _PATHS[product_code]:
                outputs = manufacturing_services.unit_process(
                    actor=technologist, unit=unit, products=[products[code] for code in step]
                )
                wanted = [u for u in outputs if u.product.code == product_code]
                unit = wanted[0] if wanted else next(u for u in outputs if u.product.code == step[0])
                if unit.product.code == product_code:
                    break
            made.append(unit_available(technologist, unit))
        return made

    return make


def unit_available(technologist, unit: Unit) -> Unit:
    content = label_services.unit_label_print(actor=technologist, unit=unit)
    label_services.unit_label_verify(actor=technologist, unit=unit, scans=[b.data for b in barcodes(content)])
    return inventory_services.unit_make_available(actor=technologist, unit=unit)


def label_scans(unit: Unit) -> list[str]:
    """What a scanner reads off the unit's label: the DIN and product code barcodes (and the rest)."""
    return [b.data for b in barcodes(label_services.unit_label_content(unit))]


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


def ids(units: Sequence[Unit]) -> list[int]:
    return [unit.pk for unit in units]
