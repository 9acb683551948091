"""Builders for the donor registry tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from hemaops.donors.services import DonorDetails


def details(**overrides: Any) -> DonorDetails:
    values: dict[str, Any] = {
        "family_name": "Alvarez",
        "given_name": "María",
        "date_of_birth": date(1986, 4, 12),
        "sex": "F",
        "phone": "(818) 555-0101",
        "email": "maria.alvarez@example.org",
        "address_line": "1200 Ventura Blvd",
        "city": "Sherman Oaks",
        "region": "CA",
        "postal_code": "91403",
        "address_confirmed_on": date(2025, 3, 1),
    }
    values.update(overrides)
    return DonorDetails(**values)
