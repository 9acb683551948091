"""Where a postal code is, and how far apart two places are, for recruitment lists.

Points come from the ``zipcodes`` package, which ships the US ZIP code centroids in the
wheel: nothing is downloaded at run time and no address leaves the server. Only US 5-digit
ZIP codes (ZIP+4 accepted) are placed; any other country or format has no point.
"""

from __future__ import annotations

import functools
import math
import re

import zipcodes

Point = tuple[float, float]  # (latitude, longitude) in degrees

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius
_US_ZIP = re.compile(r"(\d{5})(?:-?\d{4})?")


def postal_point(country: str, postal_code: str) -> Point | None:
    """The centroid of a US ZIP code (``"91403"``, ``"91403-1234"``), else None."""
    if (country or "").strip().upper() != "US":
        return None
    match = _US_ZIP.fullmatch((postal_code or "").strip())
    if match is None:
        return None
    return _zip_point(match.group(1))


@functools.lru_cache(maxsize=50_000)
def _zip_point(zip5: str) -> Point | None:
    # About 42,000 US ZIP codes: the cache can hold them all, so a list of 20,000 donors
    # asks the package once per distinct ZIP code.
    found = zipcodes.matching(zip5)  # type: ignore[no-untyped-call]
    if not found:
        return None
    try:
        return float(found[0]["lat"]), float(found[0]["long"])
    except (KeyError, TypeError, ValueError):
        return None


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance by the haversine formula. Written here rather than taken from a
    package: it is four lines, and a sphere is accurate to about 0.5 %, far finer than a ZIP
    centroid stands for a donor's home."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))
