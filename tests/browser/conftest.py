"""Browser fixtures: one Debian chromium for the whole run, a fresh context per test.

Playwright never downloads a browser here: it drives ``/usr/bin/chromium`` (or
``HEMAOPS_CHROMIUM``), the one the test plugin checks for before it lets a
``@pytest.mark.browser`` test run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from hemaops.testing.plugin import CHROMIUM
from tests.conftest import PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Seconds are plenty for a page of a local server; a broken page fails fast instead of
# waiting out Playwright's 30 s default.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Playwright]:
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="session")
def browser(_playwright: Playwright) -> Iterator[Browser]:
    # launch() starts chromium with a fresh temporary user-data dir and removes it on close.
    chromium = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def sign_in(page: Page) -> Callable[[str, str], Page]:
    """sign_in(username, password=PASSWORD) through the real login form; lands on ``/``."""

    def submit(username: str, password: str = PASSWORD) -> Page:
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.get_by_role("button", name="Sign in").click()
        return page

    return submit


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """screenshot(page, name) → artifacts/screenshots/<name>.png, the whole page."""

    def save(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        return path

    return save
