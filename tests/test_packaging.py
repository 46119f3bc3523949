"""What a user installs is what the product imports.

The first release crashed after ``pip install .``: a module imported at run time was declared only in the
``test`` extra, and CI installed the extra. These tests read the product's own imports and the project's
declared run-time dependencies, so the class of mistake fails here, before any install.
"""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_PACKAGES = ("app", "cds_hooks")


def _top_level_imports() -> dict[str, str]:
    """Top-level module name -> one file importing it, for every import in the product's packages."""
    found: dict[str, str] = {}
    for package in PRODUCT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _declared(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower().replace("_", "-") for req in requirements}


def test_every_third_party_import_is_a_runtime_dependency():
    """A module the product imports comes from a distribution listed in [project].dependencies, not an extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = _declared(project["dependencies"])
    distributions = importlib.metadata.packages_distributions()
    imports = _top_level_imports()
    third_party = {name: where for name, where in imports.items()
                   if name not in sys.stdlib_module_names and name not in PRODUCT_PACKAGES}
    assert third_party, "no third-party imports found: the scan is broken"
    missing = {}
    for name, where in sorted(third_party.items()):
        owners = {d.lower().replace("_", "-") for d in distributions.get(name, [])}
        if not owners & runtime:
            missing[name] = (where, sorted(owners) or ["not installed"])
    assert not missing, f"imported at run time but not a declared dependency: {missing}"


def test_the_wheel_ships_the_demo_fixtures():
    """setup.py maps fixtures/{cases,real,synthea} into the wheel; each must exist and hold JSON bundles."""
    source = (ROOT / "setup.py").read_text(encoding="utf-8")
    shipped = re.search(r"SHIPPED_FIXTURES = \(([^)]*)\)", source)
    assert shipped, "setup.py no longer names the shipped fixture folders"
    folders = re.findall(r'"([^"]+)"', shipped.group(1))
    assert set(folders) == {"cases", "real", "synthea"}
    for folder in folders:
        assert list((ROOT / "fixtures" / folder).glob("*.json")), f"fixtures/{folder} has no JSON"
