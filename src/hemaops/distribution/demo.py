"""Demo hospital business, from the units the components demo made available: a standing
order; orders from both demo hospitals — routine ones placed in the portal by their blood bank
staff, a STAT one placed by the distribution clerk on the phone, one asking for CMV-negative red
cells and AB plasma for an AB negative patient (substituted) — allocated; three shipped, each
unit scanned with its label's barcodes; one received by Cedars Valley, which reports a unit
transfused and sends one back in a validated container (reissued, credited); then the invoices
due (Mercy General per shipment, Cedars Valley's month to date) and Mercy's payment of its
invoice, so the invoice list and the aging report have content.

Through the services: the portal users place and confirm what a hospital does, the clerk
allocates, packs, ships and records the return, the accountant invoices and records the
receipt. Stock is what the components demo left, so an order may come up short (its page shows
the shortfall) and only allocated units ship. Idempotent: each demo order is found by its note
and skipped with everything that followed it; the standing order by its name; invoices are
issued only for what is unbilled; the receipt by its reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hemaops.billing import services as billing_services
from hemaops.billing.models import Charge, Contract, Invoice, Receipt
from hemaops.components.label_services import unit_label_content
from hemaops.components.labels import barcodes
from hemaops.core.demo import DemoLogins
from hemaops.core.models import Hospital, User
from hemaops.distribution import services
from hemaops.distribution.models import Order, Shipment, ShipmentItem, StandingOrder
from hemaops.distribution.services import LineInput

STANDING_ORDER = "Weekday red cells and plasma"
RECEIPT_REFERENCE = "ACH-MERCY-DEMO-0001"


@dataclass(frozen=True)
class DemoOrder:
    hospital: str
    note: str  # how a second run finds the order
    lines: tuple[LineInput, ...]
    by_portal: bool = True  # placed by the hospital's user; else by the clerk on its behalf
    priority: str = Order.Priority.ROUTINE
    delivery: bool = False
    ship: bool = False
    receive: bool = False  # the hospital confirms receipt, reports one unit transfused, returns one


ORDERS = (
    DemoOrder(
        "cedars",
        "demo: weekly top-up of the Cedars Valley blood bank",
        (LineInput("A0002", "A", "pos", 3), LineInput("A0007", "O", "pos", 2)),
        delivery=True,
        ship=True,
        receive=True,
    ),
    DemoOrder(
        "cedars",
        "demo: STAT — massive transfusion protocol activated in the emergency department",
        (LineInput("A0007", "A", "pos", 2),),
        by_portal=False,
        priority=Order.Priority.STAT,
        delivery=True,
        ship=True,
    ),
    DemoOrder(
        "mercy",
        "demo: routine order for the oncology floor",
        (LineInput("A0007", "O", "pos", 2), LineInput("A0002", "AB", "pos", 1)),
        ship=True,
    ),
    DemoOrder(
        "mercy",
        "demo: CMV-negative red cells for a transplant patient; AB plasma for an AB negative patient",
        (
            LineInput("A0002", "A", "pos", 1, attributes=("cmv_negative",)),
            LineInput("A0007", "AB", "neg", 1),
        ),
    ),
)


def _scans(unit) -> list[str]:  # type: ignore[no-untyped-def]
    """What the packer's scanner reads off the unit's label."""
    return [barcode.data for barcode in barcodes(unit_label_content(unit))]


def _ship(clerk: User, order: Order) -> Shipment | None:
    order.refresh_from_db()
    if not order.lines.filter(allocations__released_at__isnull=True).exists():
        return None  # nothing on the shelf for it: the order waits
    shipment = services.shipment_create(actor=clerk, order=order)
    for item in shipment.items.select_related("unit__product").order_by("pk"):
        services.shipment_scan(actor=clerk, shipment=shipment, scans=_scans(item.unit))
    return services.shipment_ship(actor=clerk, shipment=shipment)


def _received(hospital_user: User, clerk: User, shipment: Shipment) -> None:
    services.shipment_receive(
        actor=hospital_user, shipment=shipment, note="demo: cooler sealed, 4 °C on arrival"
    )
    red_cells = list(
        ShipmentItem.objects.filter(shipment=shipment, unit__product__product_class="red_cells").order_by(
            "pk"
        )
    )
    if red_cells:
        services.disposition_report(actor=hospital_user, item=red_cells[0], disposition="transfused")
    if len(red_cells) > 1:
        # The surgery was cancelled; the unit came back the same day in the validated cooler.
        services.unit_return_record(
            actor=clerk,
            item=red_cells[1],
            returned_at=timezone.now(),
            container_validated=True,
            lowest_c=Decimal("3.0"),
            highest_c=Decimal("5.0"),
            seal_intact=True,
            note="demo: surgery cancelled, returned unopened",
        )


def _billing_day(**charges: object) -> date:
    """Today, or a later day one of ``charges`` already bears: a shipment is dated on its
    hospital's day, which for the Baltimore hospital is tomorrow from 9 pm in California. The
    demo bills what it shipped, as of that day, rather than leave the hospital without an invoice."""
    today: date = timezone.localdate()
    latest: date | None = Charge.objects.filter(**charges).aggregate(latest=Max("occurred_on"))["latest"]
    return max(today, latest) if latest is not None else today


def _invoices(accountant: User | None) -> None:
    billing_services.invoices_issue_due(actor=accountant, on=_billing_day())  # per shipment; earlier months
    month = timezone.localdate().replace(day=1)
    monthly = Contract.objects.filter(invoicing=Contract.Invoicing.MONTHLY).order_by("pk")
    for contract in monthly:
        # The demo invoices this month to date, so the monthly contract has an invoice too.
        if Charge.objects.filter(
            contract=contract, invoice__isnull=True, credit_note__isnull=True, occurred_on__gte=month
        ).exists():
            billing_services.invoice_issue(
                actor=accountant,
                contract=contract,
                issued_on=_billing_day(contract=contract),
                period_start=month,
            )


def _receipt(accountant: User | None) -> None:
    if Receipt.objects.filter(reference=RECEIPT_REFERENCE).exists():
        return
    invoice = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, hospital__code="mercy").order_by("pk").first()
    if invoice is None:
        return
    billing_services.receipt_record(
        actor=accountant,
        hospital=invoice.hospital,
        reference=RECEIPT_REFERENCE,
        received_on=_billing_day(hospital=invoice.hospital),
        amount=invoice.total,
        applications=[billing_services.ApplicationInput(invoice_number=invoice.number, amount=invoice.total)],
    )


@transaction.atomic
def load(logins: DemoLogins) -> None:
    """Orders through to receipts for the core demo's hospitals. ``logins`` is untouched: the
    clerk, the accountant and the hospital users come from the core demo."""
    hospitals = {h.code: h for h in Hospital.objects.filter(code__in=["cedars", "mercy"])}
    users = {u.username: u for u in User.objects.filter(username__in=["distribution_clerk", "accountant"])}
    clerk, accountant = users.get("distribution_clerk"), users.get("accountant")
    if (
        clerk is None
        or not hospitals
        or not Contract.objects.filter(hospital__in=hospitals.values()).exists()
    ):
        return  # the core and billing demos did not run: nothing to order against
    cedars = hospitals.get("cedars")
    if cedars is not None and not StandingOrder.objects.filter(hospital=cedars, name=STANDING_ORDER).exists():
        services.standing_order_create(
            actor=clerk,
            hospital=cedars,
            name=STANDING_ORDER,
            weekdays=[1, 2, 3, 4, 5],
            lines=[LineInput("A0002", "O", "pos", 4), LineInput("A0007", "A", "pos", 2)],
            delivery=True,
        )
    for demo in ORDERS:
        hospital = hospitals.get(demo.hospital)
        if hospital is None or Order.objects.filter(hospital=hospital, note=demo.note).exists():
            continue
        portal_user = User.objects.filter(hospital=hospital, is_active=True).order_by("pk").first()
        placed_by = portal_user if demo.by_portal and portal_user is not None else clerk
        order = services.order_place(
            actor=placed_by,
            hospital=hospital,
            lines=demo.lines,
            priority=demo.priority,
            delivery=demo.delivery,
            note=demo.note,
            channel=Order.Channel.PORTAL if placed_by is portal_user else Order.Channel.STAFF,
        )
        services.order_allocate(actor=clerk, order=order)
        shipment = _ship(clerk, order) if demo.ship else None
        if shipment is not None and demo.receive:
            _received(portal_user or clerk, clerk, shipment)
    _invoices(accountant)
    _receipt(accountant)
