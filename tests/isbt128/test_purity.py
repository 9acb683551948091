"""The ISBT 128 library is pure Python (house style §2): no Django, no settings, no clock."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hemaops.isbt128

PACKAGE = Path(hemaops.isbt128.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", MODULES, ids=[path.name for path in MODULES])
def test_no_module_imports_django_or_another_hemaops_package(path):
    for name in _imported_modules(path):
        assert not name.startswith("django"), name
        assert not name.startswith("hemaops.") or name.startswith("hemaops.isbt128"), name


@pytest.mark.parametrize("path", MODULES, ids=[path.name for path in MODULES])
def test_no_module_reads_the_clock(path):
    source = path.read_text(encoding="utf-8")
    for call in ("now(", "today(", "utcnow(", "time.time("):
        assert call not in source, f"{path.name} calls {call}"


def test_importing_the_library_loads_no_django_module():
    modules = ", ".join(f"hemaops.isbt128.{path.stem}" for path in MODULES if path.stem != "__init__")
    code = (
        f"import sys, {modules}\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(loaded))\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=60, check=True
    )
    assert result.stdout.strip() == ""
