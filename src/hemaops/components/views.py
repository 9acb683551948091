"""Pages of the components context."""
