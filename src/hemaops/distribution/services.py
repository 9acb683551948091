"""Services of distribution (issue 8): orders (portal, staff, FHIR, standing), allocation,
shipping with a scan-verified pick list, receipt, returns and what hospitals report.

Every function is one transaction, permission-checked, audited on the ``distribution`` stream.
Units move only through the components' inventory services (the gate is theirs); charges and
revenue only through billing's services. The decisions are the pure rules'
(``distribution.rules``: substitution, FEFO picking, containers, returns).

This module only gathers the services for their callers; each action lives in its own module:
orders in ``order_services``, allocation in ``allocation_services``, shipments in
``shipment_services``, returns and reported dispositions in ``return_services``, and what they
share in ``service_support``.
"""

from __future__ import annotations

from hemaops.distribution.allocation_services import (
    AllocationResult,
    AllocationRun,
    allocation_release,
    order_allocate,
    orders_allocate,
)
from hemaops.distribution.order_services import (
    LineInput,
    order_cancel,
    order_place,
    orders_from_standing,
    standing_order_create,
)
from hemaops.distribution.return_services import disposition_report, unit_return_record
from hemaops.distribution.shipment_services import (
    shipment_create,
    shipment_receive,
    shipment_scan,
    shipment_ship,
)

__all__ = [
    "AllocationResult",
    "AllocationRun",
    "LineInput",
    "allocation_release",
    "disposition_report",
    "order_allocate",
    "order_cancel",
    "order_place",
    "orders_allocate",
    "orders_from_standing",
    "shipment_create",
    "shipment_receive",
    "shipment_scan",
    "shipment_ship",
    "standing_order_create",
    "unit_return_record",
]
