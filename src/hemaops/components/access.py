"""Gates through which the components pages and API load units, donations, holds, storage
locations and excursions (house style §10): whoever may not view them gets the same 404
whether they exist or not."""

from __future__ import annotations

from hemaops.components.errors import ComponentsError
from hemaops.components.models import StorageLocation, TemperatureExcursion, Unit, UnitHold
from hemaops.core.errors import NotFoundError
from hemaops.core.models import User
from hemaops.donations.models import Donation
from hemaops.isbt128.din import Isbt128Error, parse_din

VIEW_UNIT = "components.view_unit"


def _may(user: User, permission: str) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm(permission)


def _units():
    return Unit.objects.select_related("product", "product__made_from", "site", "location")


def access_unit_by_id(user: User, unit_id: int) -> Unit:
    if not _may(user, VIEW_UNIT):
        raise NotFoundError("No such unit.")
    unit = _units().filter(pk=unit_id).first()
    if unit is None:
        raise NotFoundError("No such unit.")
    return unit


def din_text(raw: str, field: str = "din") -> str:
    """The 13-character DIN of a scanned, typed or eye-readable DIN; one that does not parse
    is refused naming ``field``."""
    try:
        return parse_din(raw.strip()).text
    except Isbt128Error as error:
        raise ComponentsError(f"{field}: {error.message}", code=error.code, field=field) from None


def access_unit_by_code(user: User, raw_din: str, product_code: str, field: str = "units") -> Unit:
    """A unit by its DIN and ISBT 128 product code (as a label reads)."""
    if not _may(user, VIEW_UNIT):
        raise NotFoundError("No such unit.")
    text = din_text(raw_din, field)
    code = (
        product_code.strip()
    )  # case matters: "VAa" is a second-level division, "s" a paid source collection
    unit = _units().filter(din=text, product_code=code).first()
    if unit is None:
        raise NotFoundError(f"{field}: no unit {text} {code}", code="unknown_unit", field=field)
    return unit


def access_donation_by_din(user: User, raw_din: str, field: str = "din") -> Donation:
    """The donation a collection's units are recorded for."""
    if not _may(user, VIEW_UNIT):
        raise NotFoundError("No such donation.")
    text = din_text(raw_din, field)
    donation = Donation.objects.select_related("din", "donor", "site").filter(din__din=text).first()
    if donation is None:
        raise NotFoundError(f"{field}: no donation has DIN {text}", code="unknown_din", field=field)
    return donation


def access_hold_by_id(user: User, hold_id: int) -> UnitHold:
    if not _may(user, "components.view_unithold"):
        raise NotFoundError("No such hold.")
    hold = UnitHold.objects.select_related("unit").filter(pk=hold_id).first()
    if hold is None:
        raise NotFoundError("No such hold.")
    return hold


def access_location_by_id(user: User, location_id: int) -> StorageLocation:
    if not _may(user, "components.view_storagelocation"):
        raise NotFoundError("No such storage location.")
    location = StorageLocation.objects.select_related("site").filter(pk=location_id).first()
    if location is None:
        raise NotFoundError("No such storage location.")
    return location


def access_excursion_by_id(user: User, excursion_id: int) -> TemperatureExcursion:
    if not _may(user, "components.view_temperatureexcursion"):
        raise NotFoundError("No such excursion.")
    excursion = TemperatureExcursion.objects.select_related("location__site").filter(pk=excursion_id).first()
    if excursion is None:
        raise NotFoundError("No such excursion.")
    return excursion
