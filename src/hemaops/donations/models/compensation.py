"""Paid donor programs (issue 5 item 6): whether a collections program pays its donors from
a date, and what it pays per procedure.

A program converts from paid to volunteer by a new ``ProgramDonorBasis`` row from the day of
the conversion; the earlier row stays, so the program's figures can be shown before and
after. Rates are dated too: a donation is compensated at the rate in force on its day.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from hemaops.core.models import Program

__all__ = ["CompensationRate", "ProgramDonorBasis"]

PROCEDURES = [
    ("whole_blood", "Whole blood"),
    ("double_red_cells", "Double red cells"),
    ("platelets", "Platelets (apheresis)"),
    ("plasma", "Plasma (apheresis)"),
    ("source_plasma", "Source plasma"),
]


class ProgramDonorBasis(models.Model):
    """From ``effective_from`` until the program's next row, the program's donors are
    paid or volunteer."""

    class Basis(models.TextChoices):
        PAID = "paid", "Paid donors"
        VOLUNTEER = "volunteer", "Volunteer donors"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="donor_bases")
    basis = models.CharField(max_length=10, choices=Basis.choices)
    effective_from = models.DateField()
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["program", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["program", "effective_from"], name="program_basis_one_per_day"),
            models.CheckConstraint(
                condition=Q(basis__in=["paid", "volunteer"]), name="program_basis_is_known"
            ),
        ]
        permissions = [
            ("manage_donor_compensation", "Can set a program's paid or volunteer basis and its rates"),
            ("view_donor_compensation", "Can see donor compensation and paid-program figures"),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.basis} from {self.effective_from}"


class CompensationRate(models.Model):
    """What a paid program pays a donor for one procedure, from ``effective_from`` through
    ``effective_until`` (inclusive; empty = until further notice)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="compensation_rates")
    procedure = models.CharField(max_length=20, choices=PROCEDURES)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["program", "procedure", "effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="compensation_rate_is_positive"),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True) | Q(effective_until__gte=F("effective_from")),
                name="compensation_rate_dates_in_order",
            ),
            models.UniqueConstraint(
                fields=["program", "procedure", "effective_from"], name="compensation_rate_one_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.procedure} {self.amount} from {self.effective_from}"
