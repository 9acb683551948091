"""The QR code an authenticator app scans to enrol (drawn by the qrcode library as SVG,
so the page needs no image service and nothing leaves the network)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg


def qr_code_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()
