"""Donor tables. Today: the establishment's eligibility configuration, kept as data with the
date from which each version applies (the donor registry arrives with the donors issue)."""

from __future__ import annotations

from django.db import models

from hemaops.core.models import User


class EligibilityConfiguration(models.Model):
    """One version of the establishment's eligibility configuration (a JSON document in the
    format of ``hemaops rules eligibility --config``). Versions are never edited: a change is
    a new version from a later date, so every past decision can be judged again by the
    configuration it was made under."""

    effective_from = models.DateField(unique=True)
    document = models.JSONField()
    reason = models.TextField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-effective_from"]
        permissions = [
            ("set_eligibility_configuration", "Can set the establishment's eligibility configuration"),
        ]

    def __str__(self) -> str:
        return f"eligibility configuration from {self.effective_from}"
