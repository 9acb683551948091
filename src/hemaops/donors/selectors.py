"""Read side of the donors context."""

from __future__ import annotations

from datetime import date

from hemaops.donors.configuration import Configuration, configuration_from_json
from hemaops.donors.models import EligibilityConfiguration


def eligibility_configuration_on(day: date) -> Configuration:
    """The configuration in force on ``day``: the latest version starting on or before it,
    else the shipped defaults."""
    version = (
        EligibilityConfiguration.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    )
    return configuration_from_json(version.document if version is not None else {})
