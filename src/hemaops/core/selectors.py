"""Read side of the core context."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from hemaops.core.models import AuditEvent, Hospital, Program, Site


def site_list() -> QuerySet[Site]:
    return Site.objects.select_related("company").order_by("code")


def program_list() -> QuerySet[Program]:
    return Program.objects.select_related("client_hospital").order_by("segment", "code")


def hospital_list() -> QuerySet[Hospital]:
    return Hospital.objects.annotate(location_count=Count("locations")).order_by("code")


def hospital_get(hospital_id: int) -> Hospital:
    return Hospital.objects.prefetch_related("identifiers", "locations").get(pk=hospital_id)


def audit_event_list_recent(limit: int = 50) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.order_by("-recorded_at", "-id")[:limit]


def reference_counts() -> dict[str, int]:
    return {
        "sites": Site.objects.filter(is_active=True).count(),
        "programs": Program.objects.count(),
        "hospitals": Hospital.objects.filter(is_active=True).count(),
    }
