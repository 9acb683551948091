"""The Django admin, for reference data only. Every save goes through the same audited
service as the pages; nothing is deleted (rows are made inactive instead)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from hemaops.core.errors import DomainError
from hemaops.core.models import (
    Company,
    Hospital,
    HospitalIdentifier,
    HospitalLocation,
    Program,
    Site,
)
from hemaops.core.services import reference_data_save


class AuditedReferenceAdmin(admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            reference_data_save(actor=request.user, instance=obj, reason="changed in the admin")  # type: ignore[arg-type]
        except DomainError as error:
            # The admin validated the form already; a refusal here is a race or a rule the
            # form does not know. Say so instead of failing with a server error.
            messages.error(request, error.message)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Company)
class CompanyAdmin(AuditedReferenceAdmin):
    list_display = ["legal_name", "fiscal_year_start_month"]


@admin.register(Site)
class SiteAdmin(AuditedReferenceAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "time_zone",
        "facility_identification_number",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]


@admin.register(Program)
class ProgramAdmin(AuditedReferenceAdmin):
    list_display = ["code", "name", "segment", "kind", "region", "client_hospital", "active_from"]
    list_filter = ["segment", "kind"]


@admin.register(Hospital)
class HospitalAdmin(AuditedReferenceAdmin):
    list_display = ["code", "name", "city", "region", "is_active"]


@admin.register(HospitalIdentifier)
class HospitalIdentifierAdmin(AuditedReferenceAdmin):
    list_display = ["hospital", "system", "value"]


@admin.register(HospitalLocation)
class HospitalLocationAdmin(AuditedReferenceAdmin):
    list_display = ["hospital", "kind", "name", "is_active"]
