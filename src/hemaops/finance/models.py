"""The ledger: accounts, fiscal periods, journal entries and their lines, account mapping.

Posted entries are immutable and balanced — the database refuses otherwise (migration 0002).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from hemaops.core.models import Company, Hospital, Program, Signature, User
from hemaops.finance.rules import AccountType, EntryOrigin, EntryStatus, PeriodKind, PeriodStatus


def _choices(enum_type: type) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("_", " ").capitalize()) for member in enum_type]


class Account(models.Model):
    class Group(models.TextChoices):
        CASH_AND_MARKETABLE_SECURITIES = "cash_and_marketable_securities", "Cash and marketable securities"
        OTHER_CURRENT_ASSETS = "other_current_assets", "Other current assets"
        NON_CURRENT_ASSETS = "non_current_assets", "Non-current assets"
        CURRENT_LIABILITIES = "current_liabilities", "Current liabilities"
        LONG_TERM_LIABILITIES = "long_term_liabilities", "Long-term liabilities"
        EQUITY = "equity", "Equity"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="accounts")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=_choices(AccountType))
    group = models.CharField(
        max_length=40,
        choices=Group.choices,
        blank=True,
        help_text="Balance-sheet group (balance-sheet accounts).",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="account_code_unique"),
            models.CheckConstraint(
                condition=(Q(type__in=["asset", "liability", "equity"]) & ~Q(group=""))
                | (~Q(type__in=["asset", "liability", "equity"]) & Q(group="")),
                name="account_group_only_and_always_on_balance_sheet",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FiscalPeriod(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="fiscal_periods")
    code = models.CharField(max_length=10)
    kind = models.CharField(max_length=10, choices=_choices(PeriodKind))
    fiscal_year = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=10, choices=_choices(PeriodStatus), default=PeriodStatus.OPEN)

    class Meta:
        ordering = ["start_date", "-end_date"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="fiscal_period_code_unique"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="fiscal_period_in_order"
            ),
        ]
        permissions = [
            ("view_ledger", "Can read the ledger, trial balance and account activity"),
            ("submit_journal_entry", "Can submit manual journal entries"),
            ("post_journal_entry", "Can post and approve manual journal entries and reversals"),
            ("close_period", "Can close and reopen fiscal periods (signed)"),
            (
                "manage_ledger_setup",
                "Can set up accounts, account mapping, fiscal years and opening balances",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class PeriodStatusChange(models.Model):
    """History of a period's closes and reopenings, each signed."""

    period = models.ForeignKey(FiscalPeriod, on_delete=models.PROTECT, related_name="status_changes")
    old_status = models.CharField(max_length=10)
    new_status = models.CharField(max_length=10)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    signature = models.ForeignKey(Signature, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.period.code}: {self.old_status} → {self.new_status}"


class JournalEntry(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="journal_entries")
    entry_date = models.DateField()
    period = models.ForeignKey(FiscalPeriod, on_delete=models.PROTECT, related_name="entries")
    memo = models.CharField(max_length=300)
    origin = models.CharField(max_length=20, choices=_choices(EntryOrigin))
    status = models.CharField(max_length=20, choices=_choices(EntryStatus))
    # The operational document that caused the entry; the posting interface is idempotent on it.
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    source_kind = models.CharField(max_length=40, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["entry_date", "pk"]
        verbose_name_plural = "journal entries"
        constraints = [
            models.UniqueConstraint(
                fields=["company", "source_type", "source_id", "source_kind"],
                condition=~Q(source_type=""),
                name="journal_entry_one_per_source_document",
            ),
            models.CheckConstraint(
                condition=Q(status="posted", posted_at__isnull=False) | ~Q(status="posted"),
                name="journal_entry_posted_has_time",
            ),
            models.CheckConstraint(
                condition=Q(origin="operational", source_type__gt="") | ~Q(origin="operational"),
                name="journal_entry_operational_has_source",
            ),
        ]
        indexes = [models.Index(fields=["company", "entry_date"], name="journal_entry_date")]

    def __str__(self) -> str:
        return f"JE {self.pk} {self.entry_date} {self.memo}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    debit = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    memo = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="journal_line_one_positive_side",
            ),
        ]
        indexes = [models.Index(fields=["account", "entry"], name="journal_line_account")]

    def __str__(self) -> str:
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.account.code} {side}"


class AccountMapping(models.Model):
    """Configuration: which account a product class, procedure type, cost kind or system
    role uses, from a date. Operations name the key; the ledger picks the account."""

    class Kind(models.TextChoices):
        REVENUE = "revenue", "Revenue (product class or procedure type)"
        COST = "cost", "Cost (cost kind)"
        SYSTEM = "system", "System role (receivables, cash, payables, opening equity)"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="account_mappings")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=60)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="mappings")
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "key", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "key", "effective_from"], name="account_mapping_one_per_start"
            ),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True)
                | Q(effective_until__gte=models.F("effective_from")),
                name="account_mapping_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} → {self.account.code} from {self.effective_from}"
