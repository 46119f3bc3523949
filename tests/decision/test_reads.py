"""Every resource the rules read reaches the rules (issue 13 §2).

The decision core declares what it reads once (``cds_hooks.decision.reads``). These tests fail when a
reader starts using a resource type, or a code table grows, without the declaration and everything
derived from it (prefetch templates, FHIR fallback, SMART scopes and searches, the access the dev EHR
grants, the README's scope list) following.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cds_hooks.decision import intake, reads
from cds_hooks.knowledge import codes

REPO = Path(__file__).resolve().parents[2]
DECISION = REPO / "cds_hooks" / "decision"


def _types_the_readers_ask_for() -> dict[str, set[str]]:
    """Resource types named in ``of_type(...)`` calls anywhere in the decision package, by file."""
    found: dict[str, set[str]] = {}
    for path in sorted(DECISION.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "of_type":
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.setdefault(arg.value, set()).add(path.name)
    return found


@pytest.mark.source_scan
def test_the_readers_use_no_undeclared_type():
    """A type read by any reader (``intake.of_type``) is declared, so something fetches it."""
    asked = _types_the_readers_ask_for()
    assert {"Observation", "Condition", "Procedure", "MedicationRequest", "Patient"} <= asked.keys()
    undeclared = {t: files for t, files in asked.items() if t not in reads.RESOURCE_TYPES}
    assert not undeclared, f"read but not declared in reads.py: {undeclared}"


@pytest.mark.source_scan
def test_every_searched_type_is_one_the_readers_use():
    """Nothing is fetched that no reader uses (least data: scopes and prefetch ask for no more)."""
    asked = _types_the_readers_ask_for()
    # Specimen and DiagnosticReport are read through references and panels (selection/assess), not of_type.
    used = set(asked) | {"Specimen", "DiagnosticReport"}
    assert set(reads.SEARCHED_TYPES) <= used, set(reads.SEARCHED_TYPES) - used


def test_intake_validates_exactly_the_declared_types():
    assert tuple(intake.VALIDATED_TYPES) == reads.RESOURCE_TYPES


def test_every_observation_code_the_readers_know_is_fetched():
    """An Observation code in the knowledge tables is in one of the Observation reads' code lists."""
    fetched = {pair for read in reads.reads_of_type("Observation") for pair in read.codes}
    missing = set(codes.OBSERVATION_CODES) - fetched
    assert not missing, f"known to the readers but never fetched: {sorted(missing)}"
    assert set(codes.KNOWN_WRONG_SYSTEM) <= fetched       # fetched so P17 can flag them


def test_oophorectomy_and_breast_procedures_are_fetched():
    """The Procedure read carries every bilateral oophorectomy code the menopause rule knows (b.5)."""
    (procedure,) = reads.reads_of_type("Procedure")
    assert set(codes.OOPHORECTOMY_CODES) <= set(procedure.codes)
    assert ("http://snomed.info/sct", "29827000") in procedure.codes
    assert set(codes.PROCEDURE_CODES) == set(procedure.codes)


def test_queries_stay_inside_the_prefetch_subset():
    """Type-level search by patient, token equality (system|code), _sort=-date and _count; one instance read."""
    allowed = {"patient", "code", "_sort", "_count"}
    instance = [r for r in reads.CORE_READS if r.instance]
    assert [r.query("X") for r in instance] == ["Patient/X"]
    for read in reads.CORE_READS:
        if read.instance:
            continue
        params = read.search_params("X")
        assert set(params) <= allowed, read.key
        assert params["patient"] == "X"
        for token in params.get("code", "").split(",") if "code" in params else []:
            assert re.fullmatch(r"[^|,]+\|[^|,]+", token), (read.key, token)
        assert params.get("_sort", "-date") == "-date"


def test_discovery_templates_are_the_declared_reads():
    from cds_hooks.service import discovery

    assert list(discovery.PREFETCH) == [r.key for r in reads.CORE_READS]
    for read in reads.CORE_READS:
        assert discovery.PREFETCH[read.key] == read.query("{{context.patientId}}")
    assert discovery.PREFETCH["procedures"].startswith("Procedure?patient={{context.patientId}}&code=")
    assert discovery.PREFETCH["specimens"].startswith("Specimen?patient={{context.patientId}}")
    for rtype in reads.SEARCHED_TYPES:
        assert f"patient/{rtype}.read" in discovery.USAGE


def test_smart_app_asks_for_and_reads_every_type():
    from app.smart import discovery as smart_discovery
    from app.smart import patient_data

    for suffix, caps in ((".rs", ["permission-v2"]), (".read", [])):
        scopes = smart_discovery.choose_scopes({"capabilities": caps}, "ehr")
        for rtype in reads.SEARCHED_TYPES:
            assert f"patient/{rtype}{suffix}" in scopes
    searched = {r.resource_type for r in patient_data._SEARCHES}
    assert searched == set(reads.SEARCHED_TYPES) - {"Patient"}     # the Patient is read by id
    assert {"Specimen", "Procedure"} <= searched


def test_dev_ehr_grants_the_service_every_type():
    from app.devehr.views import CDS_SCOPE

    for rtype in reads.SEARCHED_TYPES:
        assert f"patient/{rtype}.rs" in CDS_SCOPE.split()


def test_readme_scope_list_names_every_type():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    line = next(l for l in readme.splitlines() if l.startswith("| Scopes asked for"))
    for rtype in reads.SEARCHED_TYPES:
        assert f"patient/{rtype}.rs" in line, rtype


def test_registration_guide_names_every_type():
    guide = (REPO / "docs" / "registering-cds-hooks.md").read_text(encoding="utf-8")
    line = next(l for l in guide.splitlines() if l.startswith("| FHIR scopes"))
    for rtype in reads.SEARCHED_TYPES:
        assert f"patient/{rtype}.read" in line, rtype
