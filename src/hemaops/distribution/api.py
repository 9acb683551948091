"""API of the distribution context, mounted under /api/v1/distribution."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["distribution"])
