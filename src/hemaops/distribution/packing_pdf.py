"""The packing list of a shipment as an A4 PDF (reportlab, base-14 fonts only): what goes in
which box at which temperature, and the lines the packer and the receiver sign."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from hemaops.distribution.models import Shipment

_MARGIN = 18 * mm
_LINE = 5 * mm


def _range(low, high) -> str:
    if low is None and high is None:
        return "no limit"
    if low is None:
        return f"at or below {high} °C"
    if high is None:
        return f"at or above {low} °C"
    return f"{low} to {high} °C"


def packing_list_pdf(shipment: Shipment) -> bytes:
    hospital = shipment.hospital
    zone = ZoneInfo(hospital.time_zone)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    _width, height = A4
    y = height - _MARGIN

    def write(text: str, font: str = "Helvetica", size: int = 10) -> None:
        nonlocal y
        if y < _MARGIN + 3 * _LINE:  # a long shipment continues on the next page
            canvas.showPage()
            y = height - _MARGIN
        canvas.setFont(font, size)
        canvas.drawString(_MARGIN, y, text)
        y -= _LINE * (1.4 if size > 10 else 1)

    write(f"Packing list {shipment.number}", "Helvetica-Bold", 16)
    write(f"Order {shipment.order.number}")
    write(f"To: {hospital.name}")
    address = (hospital.address_line, hospital.city, hospital.region, hospital.postal_code, hospital.country)
    address_text = ", ".join(part for part in address if part)
    if address_text:
        write(address_text)
    shipped = (
        shipment.shipped_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if shipment.shipped_at else "—"
    )
    write(f"Shipped at: {shipped}")
    items = list(shipment.items.select_related("unit__product").order_by("pk"))
    for container in shipment.containers.order_by("number"):
        y -= _LINE / 2
        classes = container.product_class_names
        keep = _range(container.minimum_c, container.maximum_c)
        write(
            f"Container {container.number}: {classes} — keep {keep}",
            "Helvetica-Bold",
            11,
        )
        for item in (i for i in items if i.container_id == container.pk):
            unit = item.unit
            write(
                f"{unit.din}  {unit.product_code}  {unit.product.description}  {unit.abo} {unit.rhd.upper()}"
                f"  expires {unit.expires_at.astimezone(zone).strftime('%Y-%m-%d %H:%M')}",
                size=9,
            )
    y -= 2 * _LINE
    write("Packed by: ______________________________   Date/time: __________________")
    y -= _LINE
    write("Received by: ____________________________   Date/time: __________________")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
