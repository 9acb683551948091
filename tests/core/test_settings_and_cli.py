"""Settings fail loudly; the command line does what its help says."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hemaops.cli import COMMANDS
from hemaops.core import roles
from hemaops.core.models import Site
from hemaops.env import env_bool, env_int, env_list, env_path, env_time_zone

HEMAOPS = [sys.executable, "-m", "hemaops"]


def _environment(home: Path, **extra: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SECRET_KEY", "HEMAOPS_AUDIT_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(HEMAOPS_HOME=str(home), **extra)
    return environment


@pytest.mark.parametrize(
    ("reader", "raw", "message"),
    [
        (
            lambda env: env_bool("HEMAOPS_DEBUG", environ=env),
            "maybe",
            "HEMAOPS_DEBUG must be one of",
        ),
        (
            lambda env: env_int("HEMAOPS_X", 5, minimum=1, environ=env),
            "five",
            "HEMAOPS_X must be a whole number",
        ),
        (
            lambda env: env_int("HEMAOPS_X", 5, minimum=1, environ=env),
            "0",
            "HEMAOPS_X must be at least 1",
        ),
        (
            lambda env: env_list("HEMAOPS_X", ["a"], environ=env),
            " , ",
            "HEMAOPS_X must list at least one",
        ),
        (
            lambda env: env_time_zone("HEMAOPS_X", "UTC", environ=env),
            "Pacific",
            "HEMAOPS_X must be an IANA time zone such as America/Los_Angeles; got 'Pacific'",
        ),
        (
            lambda env: env_time_zone("HEMAOPS_X", "UTC", environ=env),
            "../etc/passwd",
            "HEMAOPS_X must be an IANA time zone",
        ),
    ],
)
def test_a_bad_setting_names_the_variable_and_the_reason(reader, raw, message):
    name = "HEMAOPS_DEBUG" if "DEBUG" in message else "HEMAOPS_X"
    with pytest.raises(ImproperlyConfigured, match=message):
        reader({name: raw})


def test_an_empty_value_means_the_default():
    assert env_bool(
        "HEMAOPS_REQUIRE_SECOND_FACTOR", default=True, environ={"HEMAOPS_REQUIRE_SECOND_FACTOR": ""}
    )
    assert env_int("HEMAOPS_X", 5, environ={"HEMAOPS_X": " "}) == 5
    assert env_time_zone("HEMAOPS_X", "UTC", environ={"HEMAOPS_X": ""}) == "UTC"
    assert env_time_zone("HEMAOPS_X", "UTC", environ={"HEMAOPS_X": " Asia/Tokyo "}) == "Asia/Tokyo"


def test_a_bad_log_level_stops_start_up_with_one_line(tmp_path):
    result = subprocess.run(
        [*HEMAOPS, "audit", "verify"],
        capture_output=True,
        text=True,
        env=_environment(tmp_path, HEMAOPS_LOG_LEVEL="LOUD"),
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "hemaops: configuration error: HEMAOPS_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, "
        "CRITICAL; got 'LOUD'"
    ]


def test_a_home_that_is_a_file_is_refused(tmp_path):
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ImproperlyConfigured, match="HEMAOPS_HOME must be a directory"):
        env_path("HEMAOPS_HOME", Path("var"), environ={"HEMAOPS_HOME": str(afile)})


def test_help_lists_every_command_with_one_line():
    output = subprocess.run([*HEMAOPS, "--help"], capture_output=True, text=True, check=True).stdout
    for name, summary in COMMANDS.items():
        assert f"  {name}" in output
        assert summary in output


def test_a_bad_database_url_stops_start_up_with_one_line(tmp_path):
    result = subprocess.run(
        [*HEMAOPS, "audit", "verify"],
        capture_output=True,
        text=True,
        env=_environment(tmp_path, DATABASE_URL="mysql://nobody@nowhere/db"),
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "hemaops: configuration error: DATABASE_URL must name a postgres:// or sqlite:// database"
    ]


def test_serve_refuses_to_start_without_keys(tmp_path):
    result = subprocess.run(
        [*HEMAOPS, "serve"], capture_output=True, text=True, env=_environment(tmp_path), timeout=60
    )
    assert result.returncode == 2
    assert "SECRET_KEY is not set" in result.stderr
    assert "hemaops init" in result.stderr


def test_init_creates_private_keys_and_a_migrated_database(tmp_path):
    result = subprocess.run(
        [*HEMAOPS, "init"],
        capture_output=True,
        text=True,
        env=_environment(tmp_path),
        timeout=120,
        check=True,
    )
    assert "Ready" in result.stdout
    for name in ("secret_key", "audit_key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "hemaops.sqlite3").is_file()
    verify = subprocess.run(
        [*HEMAOPS, "audit", "verify"],
        capture_output=True,
        text=True,
        env=_environment(tmp_path),
        check=True,
    )
    assert "audit trail intact: 0 events" in verify.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.smoke
def test_demo_serves_healthz_on_a_fresh_home_and_a_second_run_duplicates_nothing(tmp_path):
    port = _free_port()
    environment = _environment(tmp_path)
    started = time.monotonic()
    server = subprocess.Popen(
        [*HEMAOPS, "demo", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = None
        while time.monotonic() - started < 120 and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    body = answer.read().decode()
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.5)
        assert body is not None, "the demo did not answer /healthz within two minutes"
        assert '"status": "ok"' in body
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/hemaops/htmx.min.js", timeout=5
        ) as asset:
            assert asset.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as login:
            assert "Times are in America/Los_Angeles." in login.read().decode()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "administrator" in output
    assert "hemaops-demo" in output

    def counts() -> str:
        script = (
            "import django; django.setup(); "
            "from hemaops.core.models import Site, Program, Hospital, User, AuditEvent; "
            "print([m.objects.count() for m in (Site, Program, Hospital, User, AuditEvent)])"
        )
        return subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**environment, "DJANGO_SETTINGS_MODULE": "hemaops.settings"},
        ).stdout

    first = counts()
    subprocess.run(
        [*HEMAOPS, "demo", "--no-serve"],
        env=environment,
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert counts() == first


@pytest.mark.django_db
def test_the_demo_refuses_a_database_with_real_users(make_user):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    real = make_user(roles.ADMINISTRATOR)
    real.second_factor_exempt = False
    real.save(update_fields=["second_factor_exempt"])
    with pytest.raises(CommandError, match="holds real users"):
        call_command("demo", "--no-serve")
    assert not Site.objects.exists()
