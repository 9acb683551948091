def register() -> None:
    """Filled in below once the selectors exist."""
