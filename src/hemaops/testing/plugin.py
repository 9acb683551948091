"""pytest plugin (loaded by ``-p hemaops.testing.plugin`` in pyproject.toml).

It runs before pytest-django reads the settings and chooses the database:

1. ``DATABASE_URL`` when set;
2. else PostgreSQL at 127.0.0.1:5432 (user ``postgres``) when it answers;
3. else SQLite, skipping the PostgreSQL-only tests (``@pytest.mark.postgres``) with one loud
   line saying how many and why — unless ``HEMAOPS_REQUIRE_POSTGRES=1``, when that fails.

Browser tests (``@pytest.mark.browser``) need Debian's chromium; without it they skip
loudly, unless ``HEMAOPS_REQUIRE_BROWSER=1``, when they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest

LOCAL_POSTGRES = ("127.0.0.1", 5432)
CHROMIUM = os.environ.get("HEMAOPS_CHROMIUM", "/usr/bin/chromium")
_state: dict[str, Any] = {
    "database": "",
    "why_sqlite": "",
    "skipped_postgres": 0,
    "skipped_browser": 0,
}


def _postgres_answers() -> bool:
    try:
        with socket.create_connection(LOCAL_POSTGRES, timeout=1):
            pass
    except OSError:
        return False
    try:
        import psycopg

        with psycopg.connect(
            host=LOCAL_POSTGRES[0],
            port=LOCAL_POSTGRES[1],
            user="postgres",
            dbname="postgres",
            connect_timeout=3,
        ):
            return True
    except Exception:
        return False


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _choose_database() -> None:
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        _state["database"] = "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"
        if _state["database"] == "sqlite":
            _state["why_sqlite"] = "DATABASE_URL names SQLite"
        return
    if _postgres_answers():
        # One database per run (pytest-django creates test_<name> and drops it after), so
        # that two runs on one machine never share or destroy each other's database.
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/hemaops_{os.getpid()}"
        _state["database"] = "postgresql"
        return
    _state["database"] = "sqlite"
    _state["why_sqlite"] = "DATABASE_URL is unset and no PostgreSQL answered at 127.0.0.1:5432"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    _choose_database()
    home = os.environ.setdefault("HEMAOPS_HOME", tempfile.mkdtemp(prefix="hemaops-test-"))
    (Path(home) / "static").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)
    os.environ.setdefault("HEMAOPS_AUDIT_KEY", "test-audit-key-" + "y" * 40)
    # Playwright's sync API runs an event loop in the test thread; Django's guard against
    # ORM calls inside an event loop would refuse the test's own database set-up.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config: Any) -> None:
    # SQLite's append-only triggers need leave to let the test fixtures empty the tables
    # between transactional tests (PostgreSQL flushes with TRUNCATE, which they ignore).
    from django.core.management.commands import flush

    from hemaops.core.database import audit_reset_allowed

    original = flush.Command.handle

    def handle(self: Any, *args: Any, **options: Any) -> Any:
        with audit_reset_allowed():
            return original(self, *args, **options)

    flush.Command.handle = handle


def is_postgres() -> bool:
    return _state["database"] == "postgresql"


def chromium_available() -> bool:
    return shutil.which(CHROMIUM) is not None or Path(CHROMIUM).is_file()


def pytest_report_header(config: Any) -> list[str]:
    if is_postgres():
        return ["hemaops: database PostgreSQL (the whole suite runs)"]
    return [f"hemaops: database SQLite ({_state['why_sqlite']})"]


@pytest.hookimpl(trylast=True)  # after -m / -k deselection, so only tests that run are counted
def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    require_postgres = _flag("HEMAOPS_REQUIRE_POSTGRES")
    require_browser = _flag("HEMAOPS_REQUIRE_BROWSER")
    have_browser = chromium_available()
    for item in items:
        if "postgres" in item.keywords and not is_postgres():
            if require_postgres:
                item.add_marker(pytest.mark.usefixtures("_hemaops_postgres_required"))
            else:
                _state["skipped_postgres"] += 1
                item.add_marker(pytest.mark.skip(reason=f"PostgreSQL-only: {_state['why_sqlite']}"))
        if "browser" in item.keywords and not have_browser:
            if require_browser:
                item.add_marker(pytest.mark.usefixtures("_hemaops_browser_required"))
            else:
                _state["skipped_browser"] += 1
                item.add_marker(pytest.mark.skip(reason=f"browser test: {CHROMIUM} is not installed"))


@pytest.fixture
def _hemaops_postgres_required() -> None:
    pytest.fail(f"HEMAOPS_REQUIRE_POSTGRES=1 but the tests run on SQLite: {_state['why_sqlite']}")


@pytest.fixture
def _hemaops_browser_required() -> None:
    pytest.fail(f"HEMAOPS_REQUIRE_BROWSER=1 but {CHROMIUM} is not installed (apt-get install chromium)")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    if _state["skipped_postgres"]:
        terminalreporter.write_line(
            f"!!! SKIPPED {_state['skipped_postgres']} PostgreSQL-only tests (database-enforced "
            f"invariants, concurrency): {_state['why_sqlite']}. Run with PostgreSQL to prove them.",
            red=True,
            bold=True,
        )
    if _state["skipped_browser"]:
        terminalreporter.write_line(
            f"!!! SKIPPED {_state['skipped_browser']} browser tests: {CHROMIUM} is not installed "
            "(apt-get install chromium).",
            red=True,
            bold=True,
        )
