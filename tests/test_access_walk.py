"""Every page and API route, walked as anonymous, as each role and as a user of another
hospital (house style §10). Each denial must change nothing.

This module holds the tests, how a request is made and judged, and the fixtures that wire the
world to pytest. What they walk lives in tests/access_walk/:

- routes.py: the table (``ROUTES``: method, path, roles allowed, URL name, body), the role sets
  per context, ``PUBLIC_URL_NAMES``, ``KNOWN_BROKEN`` and the ``PRINCIPALS`` walked;
- world.py: ``Cast`` (company, hospitals, site, program, users, made by tests/conftest.py's
  builders) and the builders of the records each route starts from (``walk_build``);
- fingerprint.py: the digest of every table that a denial must leave unchanged.

Later issues add their routes to ROUTES (and the records they need to the world);
``test_every_route_is_in_the_table`` fails until they do.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from hemaops.api import api
from hemaops.core import roles
from hemaops.core.models import Site
from tests.access_walk.fingerprint import changed_tables, fingerprint
from tests.access_walk.routes import (
    ANONYMOUS,
    KNOWN_BROKEN,
    OTHER_HOSPITAL_USER,
    PRINCIPALS,
    PUBLIC_URL_NAMES,
    ROUTES,
    Route,
)
from tests.access_walk.world import Walk, walk_build


def _page_url_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" or (entry.namespace or "").startswith("api-"):
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _page_url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_route_is_in_the_table():
    listed = {route.name for route in ROUTES}
    pages = _page_url_names() - PUBLIC_URL_NAMES
    assert pages - listed == set(), "pages missing from ROUTES"
    operations = {
        f"api:{method.upper()} {path}"
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    }
    assert operations - listed == set(), "API operations missing from ROUTES"


# --- the walk's world: built once per module ---------------------------------------------------
#
# Building the worlds takes seconds; walking a route takes a fraction of that. So the world is
# built once, inside an outer transaction the module fixture holds open, and every test keeps
# pytest-django's own transaction, which nests as a savepoint: what one route's requests did
# (or a test that failed half-way) is rolled back before the next route, which meets the same
# fresh world. The outer transaction is rolled back when the module ends.

# tests/conftest.py's autouse ``settings`` fixture is function-scoped; the module's users are
# made before any test, with the same fast hasher.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def walk(django_db_setup, django_db_blocker) -> Iterator[Walk]:
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
            built = walk_build()
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def walk_clock(walk: Walk) -> Iterator[None]:
    """Each route is walked at the moment the world was finished, as if it had just been built.
    The database's clock stopped when the module's transaction began (PostgreSQL's now() is the
    transaction's start), and the unit gate refuses a move dated more than five minutes after
    it: walked at the real time, the routes that move units would fail once the module had run
    for five minutes."""
    with time_machine.travel(walk.built_at, tick=True):
        yield


@pytest.mark.django_db
def test_the_fingerprint_sees_a_changed_row_and_a_new_one(walk):
    site = Site.objects.get(pk=walk.ids["site"])
    before = fingerprint()
    Site.objects.filter(pk=site.pk).update(name="Renamed without a service")
    changed = fingerprint()
    Site.objects.filter(pk=site.pk).update(name=site.name)
    assert changed != before
    assert fingerprint() == before
    Site.objects.create(
        company=site.company, code="new", name="New", kind=Site.Kind.LABORATORY, time_zone="UTC"
    )
    assert changed_tables(before, fingerprint()) == [Site._meta.db_table]


def _sign_in(principal: str, route: Route, client, walk: Walk) -> dict[str, str]:
    """Give the client ``principal``'s session (none for anonymous; no cookie of the one before);
    the headers its request carries: the API token, where the route takes only that."""
    client.cookies.clear()
    if principal == ANONYMOUS:
        return {}
    client.cookies[settings.SESSION_COOKIE_NAME] = walk.sessions[principal]
    return {"HTTP_AUTHORIZATION": f"Bearer {walk.tokens[principal]}"} if route.needs_token else {}


def _expect_allowed(route: Route, principal: str) -> bool:
    if principal == OTHER_HOSPITAL_USER:
        return roles.HOSPITAL_USER in route.allowed and not route.hospital_scoped
    return principal in route.allowed


_request_numbers = itertools.count(1)


def _answer(route: Route, client, path: str, headers: dict[str, str]):
    if route.method == "GET":
        return client.get(path, **headers)
    data = route.data(next(_request_numbers)) if callable(route.data) else route.data
    if route.is_api and not any(hasattr(value, "read") for value in data.values()):
        content_type = "application/fhir+json" if route.is_fhir else "application/json"
        return client.post(path, data=json.dumps(data), content_type=content_type, **headers)
    return client.post(path, data=data, **headers)  # pages, and API uploads (multipart)


def _found(response) -> int:
    """How many records a FHIR search found."""
    return int(json.loads(response.content)["total"])


def _verdict(route: Route, principal: str, response) -> str | None:
    """None when the answer is right for this principal, else what is wrong."""
    if _expect_allowed(route, principal):
        expected = {"GET": {200}, "POST": {201} if route.is_api else {302}}[route.method]
        if response.status_code not in expected:
            return f"allowed but answered {response.status_code}: {response.content[:300]!r}"
        if route.search and not _found(response):
            return "allowed but found nothing"
        return None
    if principal == ANONYMOUS:
        if route.is_api:
            return None if response.status_code == 401 else f"anonymous API got {response.status_code}"
        if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
            return None
        return f"anonymous page got {response.status_code}"
    if route.search and response.status_code == 200:
        found = _found(response)
        return None if found == 0 else f"denied, yet found {found}"
    if response.status_code in route.refusals:
        return None
    return f"denied but answered {response.status_code}: {response.content[:300]!r}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [
        pytest.param(route, marks=pytest.mark.xfail(reason=KNOWN_BROKEN[route.name], strict=True))
        if route.name in KNOWN_BROKEN
        else route
        for route in ROUTES
    ],
    ids=lambda r: f"{r.method} {r.path}",
)
def test_route_answers_each_principal_and_denials_change_nothing(route, client, walk, walk_clock):
    # One test per route walks every principal in turn (the world is the module's, each
    # route's changes rolled back with its test); all failures are collected so one run shows
    # the whole picture.
    failures = []
    before = fingerprint()
    for principal in PRINCIPALS:
        # A placeholder given per role names that role's own object (a result to verify, a
        # hold to lift, a notification to record): each allowed role consumes its own.
        values = {
            key: (value.get(principal, next(iter(value.values()))) if isinstance(value, dict) else value)
            for key, value in walk.ids.items()
        }
        path = route.path.format(**values)
        response = _answer(route, client, path, _sign_in(principal, route, client, walk))
        # Signing in writes nothing (see world._sessions): what changed since the last answer is this one's.
        after = fingerprint()
        problem = _verdict(route, principal, response)
        if problem is None and not _expect_allowed(route, principal):
            changed = changed_tables(before, after)
            if changed:
                problem = f"denied, yet the database changed: {', '.join(changed)}"
        if problem:
            failures.append(f"{principal}: {problem}")
        before = after
    assert failures == []
