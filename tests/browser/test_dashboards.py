"""The home dashboards in a real browser: every role signs in through the login form, sees
its role and its panels (or the honest empty state), and no link of its navigation leads to
an error page. Screenshots land in artifacts/screenshots/ for a human to look at."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.forms import AuthenticationForm
from playwright.sync_api import Page, expect

from hemaops.core import roles
from hemaops.core.models import User
from hemaops.core.registry import registry
from hemaops.donors.services import donor_register
from tests.donors.registry_builders import details

ERROR_HEADINGS = {"Not allowed", "Not found", "Something went wrong"}
EMPTY_STATE = "Nothing to show yet"

# What each reference-data page must list, given the reference_data fixture.
NAV_PAGE_ROWS = {
    "Sites": ["Main Donor Center"],
    "Programs": ["California fixed"],
    "Hospitals": ["Cedars Valley", "Mercy General"],
}


@pytest.fixture
def reference_data(company, site, program, hospital, other_hospital):
    """The company's reference rows and a registered donor, so dashboards and lists show
    real data (panels with nothing to show hide themselves)."""
    donor = donor_register(actor=None, details=details())
    return {"site": site, "program": program, "hospital": hospital, "other": other_hospital, "donor": donor}


def _expect_home(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("main h1")).to_contain_text("Good to see you")


@pytest.mark.browser
@pytest.mark.parametrize("role", list(roles.ROLES))
def test_each_role_signs_in_and_sees_its_dashboard(role, make_user, reference_data, sign_in, screenshot):
    page = sign_in(make_user(role).username)
    _expect_home(page)

    label = roles.ROLES[role]
    expect(page.locator("header .who .role").first).to_have_text(label)
    expect(page.locator("main p.muted").first).to_have_text(f"Signed in as {label}.")

    # With the reference data in place every panel offered to the role has something to
    # show; a role offered none gets the empty state, never a blank page.
    offered = [panel.title for panel in registry.panels_for(frozenset({role}))]
    panels = page.locator(".panels section.panel:not(.empty-state)")
    empty_state = page.locator(".panels section.empty-state")
    assert [title.strip() for title in panels.locator("h2").all_inner_texts()] == offered
    if offered:
        expect(empty_state).to_have_count(0)
    else:
        expect(empty_state).to_have_count(1)
        expect(empty_state.locator("h2")).to_have_text(EMPTY_STATE)
    if "Company reference data" in offered:
        figures = page.locator("#panel-corereference .figures")
        expect(figures).to_contain_text(re.compile(r"1\s+active sites?\b"))
        expect(figures).to_contain_text(re.compile(r"1\s+programs?\b"))
        expect(figures).to_contain_text(re.compile(r"2\s+hospital customers\b"))
    if role == roles.HOSPITAL_USER:
        own = reference_data["hospital"].name
        expect(page.locator("#panel-coreown_hospital")).to_contain_text(own)
        expect(page.locator("header .who")).to_contain_text(own)

    screenshot(page, f"dashboard-{role}")

    targets = page.locator("header nav a").evaluate_all(
        "links => links.map(a => [a.textContent.trim(), a.getAttribute('href')])"
    )
    assert targets[0] == ["Home", "/"]
    assert [text for text, _ in targets[1:]] == [link.label for link in registry.nav_for(frozenset({role}))]
    for text, href in targets:
        response = page.goto(href)
        assert response is not None
        assert response.ok, f"{role}: nav link {text!r} ({href}) answered {response.status}"
        heading = page.locator("main h1").first.inner_text().strip()
        assert heading, f"{role}: nav link {text!r} ({href}) shows no heading"
        assert heading not in ERROR_HEADINGS, f"{role}: {text!r} ({href}) shows {heading!r}"
        for row in NAV_PAGE_ROWS.get(text, []):
            expect(page.locator("main table tbody")).to_contain_text(row)


@pytest.mark.browser
def test_a_hospital_user_sees_only_its_own_hospital(make_user, reference_data, sign_in, screenshot):
    own, other = reference_data["hospital"], reference_data["other"]
    page = sign_in(make_user(roles.HOSPITAL_USER).username)
    _expect_home(page)

    response = page.goto(f"/core/hospitals/{other.pk}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("main h1")).to_have_text("Not found")
    expect(page.locator("body")).not_to_contain_text(other.name)
    screenshot(page, "hospital-other-not-found")

    response = page.goto(f"/core/hospitals/{own.pk}/")
    assert response is not None
    assert response.status == 200
    expect(page.locator("main h1")).to_contain_text(own.name)
    screenshot(page, "hospital-own")


@pytest.mark.browser
def test_a_wrong_password_shows_the_error_and_stays_on_the_login_page(make_user, sign_in, screenshot):
    user = make_user(roles.ACCOUNTANT)
    page = sign_in(user.username, "not-the-password")

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("main h1")).to_have_text("Sign in")
    username_label = User._meta.get_field(User.USERNAME_FIELD).verbose_name
    message = AuthenticationForm.error_messages["invalid_login"] % {"username": username_label}
    expect(page.get_by_role("alert")).to_have_text(message)
    expect(page.locator("#id_username")).to_have_value(user.username)
    expect(page.locator("header nav")).to_have_count(0)
    screenshot(page, "login-wrong-password")


@pytest.mark.browser
def test_sign_out_returns_to_the_login_page(make_user, sign_in):
    page = sign_in(make_user(roles.PROGRAM_MANAGER).username)
    _expect_home(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("main h1")).to_have_text("Sign in")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    page.goto("/")  # signed out for real: home sends us back to the form
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
