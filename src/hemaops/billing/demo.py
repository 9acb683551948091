"""Demo contracts: one for each demo hospital — Cedars Valley invoiced monthly, net 30; Mercy
General invoiced per shipment, net 45 — pricing every billable item of the local catalogue
and the STAT, delivery and irradiation surcharges at realistic US prices (paid-donor red cells
priced apart, below the volunteer price), and a price change of leukocyte-reduced red cells
effective the first of this month, so the price list shows an entry closed by a newer one.

Through the services, by the demo's accountant. Idempotent: a contract is found by its number
and the price change by its item and date, so a second run adds nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hemaops.billing import services
from hemaops.billing.models import Contract
from hemaops.billing.rules import SURCHARGE_DELIVERY, SURCHARGE_IRRADIATION, SURCHARGE_STAT
from hemaops.components.models import Product
from hemaops.core.demo import DemoLogins
from hemaops.core.models import Hospital, User

STARTS_ON = date(2025, 1, 1)
# Billable item code → (price, description). Blood center list prices to US hospitals, 2025.
PRICES: dict[str, tuple[str, str]] = {
    "WB": ("180.00", "Whole blood"),
    "RBC": ("215.00", "Red blood cells"),
    "RBC-LR": ("230.00", "Red blood cells, leukocytes reduced"),
    "RBC-IRR": ("250.00", "Red blood cells, irradiated"),
    "RBC-LR-IRR": ("265.00", "Red blood cells, leukocytes reduced, irradiated"),
    "RBC-WASH": ("320.00", "Red blood cells, washed"),
    "RBC-APH": ("235.00", "Apheresis red blood cells"),
    "FFP": ("60.00", "Fresh frozen plasma"),
    "PF24": ("55.00", "Plasma frozen within 24 hours"),
    "PLS-THAW": ("65.00", "Thawed plasma"),
    "PLS-APH": ("75.00", "Apheresis plasma"),
    "CRYO": ("50.00", "Cryoprecipitated AHF"),
    "CRYO-POOL": ("275.00", "Cryoprecipitated AHF, pooled"),
    "PLT-WBD": ("95.00", "Platelets from whole blood"),
    "PLT-POOL": ("490.00", "Platelets, pooled"),
    "PLT-APH": ("520.00", "Apheresis platelets"),
    "PLT-APH-IRR": ("550.00", "Apheresis platelets, irradiated"),
    "PLT-APH-VR": ("565.00", "Apheresis platelets, volume reduced"),
    "PLT-APH-DIV": ("410.00", "Apheresis platelets, divided"),
    SURCHARGE_STAT: ("75.00", "STAT order surcharge"),
    SURCHARGE_DELIVERY: ("45.00", "Delivery by the blood center"),
    SURCHARGE_IRRADIATION: ("30.00", "Irradiation surcharge, per unit"),
}
# Red cells from paid donors are not for transfusion under a volunteer label; priced apart.
PAID_DONOR_PRICES: dict[str, str] = {"RBC": "195.00", "RBC-LR": "210.00"}
# Mercy General negotiated 3 % off the list (a larger system, invoiced per shipment).
CONTRACTS = [  # hospital code, number, invoicing, terms in days, price factor
    ("cedars", "C-CEDARS-2025", Contract.Invoicing.MONTHLY, 30, Decimal("1.00")),
    ("mercy", "C-MERCY-2025", Contract.Invoicing.PER_SHIPMENT, 45, Decimal("0.97")),
]
# From the first of this month Cedars pays more for leukocyte-reduced red cells.
PRICE_CHANGE = ("C-CEDARS-2025", "RBC-LR", Decimal("238.00"))


def _price(amount: str, factor: Decimal) -> Decimal:
    return (Decimal(amount) * factor).quantize(Decimal("0.01"))


def _prices(factor: Decimal) -> list[services.PriceInput]:
    codes = set(Product.objects.values_list("billable_item_code", flat=True))
    missing = sorted(codes - set(PRICES))
    if missing:
        # A catalogue item the demo does not price would make its orders fail: say so here.
        raise ValueError(f"the billing demo has no price for {', '.join(missing)}")
    prices = [
        services.PriceInput(
            item_code=code, unit_price=_price(amount, factor), effective_from=STARTS_ON, description=text
        )
        for code, (amount, text) in PRICES.items()
    ]
    prices += [
        services.PriceInput(
            item_code=code,
            unit_price=_price(amount, factor),
            effective_from=STARTS_ON,
            donor_classification="paid",
            description=f"{PRICES[code][1]}, paid donor",
        )
        for code, amount in PAID_DONOR_PRICES.items()
    ]
    return prices


@transaction.atomic
def load(logins: DemoLogins) -> None:
    """Contracts for the core demo's hospitals. ``logins`` is untouched: the accountant and the
    hospital users come from the core demo."""
    accountant = User.objects.filter(username="accountant").first()
    for hospital_code, number, invoicing, terms_days, factor in CONTRACTS:
        hospital = Hospital.objects.filter(code=hospital_code).first()
        if hospital is None or Contract.objects.filter(number=number).exists():
            continue
        services.contract_create(
            actor=accountant,
            hospital=hospital,
            number=number,
            starts_on=STARTS_ON,
            terms_days=terms_days,
            invoicing=invoicing,
            prices=_prices(factor),
        )
    number, item_code, new_price = PRICE_CHANGE
    contract = Contract.objects.filter(number=number).first()
    first_of_month = timezone.localdate().replace(day=1)
    if (
        contract is not None
        and first_of_month > STARTS_ON
        and not contract.prices.filter(item_code=item_code, effective_from__gt=STARTS_ON).exists()
    ):
        services.prices_add(
            actor=accountant,
            contract=contract,
            prices=[
                services.PriceInput(
                    item_code=item_code,
                    unit_price=new_price,
                    effective_from=first_of_month,
                    description=PRICES[item_code][1],
                )
            ],
        )
