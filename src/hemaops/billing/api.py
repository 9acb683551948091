"""API of the billing context, mounted under /api/v1/billing."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["billing"])
