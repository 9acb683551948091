"""API of oversight: added to the donations router (hemaops.donations.api)."""

from ninja import Router

router = Router(tags=["oversight"])
