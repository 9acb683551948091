"""Test support shipped with the package: the pytest plugin that chooses the database."""
