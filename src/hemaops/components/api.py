"""The components API (django-ninja)."""

from ninja import Router

router = Router(tags=["components"])
