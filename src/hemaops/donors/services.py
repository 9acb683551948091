"""Services of the donors context."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from hemaops.core.access import require_permission
from hemaops.core.audit import audit_record
from hemaops.core.errors import ConflictError, DomainError
from hemaops.core.models import User
from hemaops.donors.configuration import ConfigurationError, configuration_from_json
from hemaops.donors.models import EligibilityConfiguration

STREAM = "donors"


class DonorsError(DomainError):
    """Errors of the donors context."""


@transaction.atomic
def eligibility_configuration_set(
    *, actor: User | None, document: dict[str, Any], effective_from: date, reason: str
) -> EligibilityConfiguration:
    """A new version of the establishment's configuration from ``effective_from``. It is
    checked against the regulatory floors exactly as the validation command checks it."""
    require_permission(actor, "donors.set_eligibility_configuration")
    if not reason.strip():
        raise DonorsError("reason: say why the configuration changes", field="reason")
    try:
        configuration_from_json(document)
    except ConfigurationError as error:
        raise DonorsError(str(error), code="invalid_configuration", field="document") from None
    latest = EligibilityConfiguration.objects.select_for_update().order_by("-effective_from").first()
    if latest is not None and latest.effective_from >= effective_from:
        raise ConflictError(
            f"effective_from: a version already applies from {latest.effective_from}; a new one starts later",
            field="effective_from",
        )
    version = EligibilityConfiguration.objects.create(
        effective_from=effective_from,
        document=document,
        reason=reason,
        created_by=actor,
        created_at=timezone.now(),
    )
    audit_record(
        stream=STREAM,
        action="donors.eligibility_configuration.set",
        actor=actor,
        target=version,
        data={"new": {"effective_from": effective_from, "document": document}},
        reason=reason,
    )
    return version
