"""Every module can be the first one a program imports (no import cycles)."""
from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import app
import cds_hooks

MODULES = sorted(m.name for pkg in (app, cds_hooks)
                 for m in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + "."))


def test_modules_were_found():
    """The list below is not empty (the walk found the packages' modules)."""
    assert "cds_hooks.knowledge.sources" in MODULES and "app.smart.views" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_first_in_a_fresh_interpreter(module):
    """Importing this module alone, before anything else of ours, works."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
