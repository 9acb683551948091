from hemaops.core.errors import DomainError


class FinanceError(DomainError):
    """Errors of the ledger."""
