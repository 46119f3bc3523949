"""``receptor-cds explain`` run as a real process against a real, token-protected FHIR server (sekmet)."""
from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from app.fhir_server import SekmetServer
from app.fixtures_loader import fixture_bundles
from tests.test_cli import run_cli

pytestmark = pytest.mark.fhir_server
PATIENT = "her2-ihc-3plus"


@pytest.fixture(scope="module")
def fhir(tmp_path_factory):
    token = secrets.token_urlsafe(24)
    with SekmetServer(tmp_path_factory.mktemp("explain-fhir"), bearer_tokens=(token,)) as server:
        bundle = next(b for name, b in fixture_bundles() if name.endswith(f"/{PATIENT}.json"))
        server.load_bundle(bundle, PATIENT)
        yield server


def test_explain_writes_a_self_contained_handout(fhir, tmp_path: Path):
    """The handout file: the patient's page with the stylesheet inlined (prints on its own), no token in it."""
    out = tmp_path / "handout.html"
    result = run_cli("explain", "--fhir-base", fhir.base_url, "--patient", PATIENT, "--out", str(out),
                     "--token-env", "EXPLAIN_TOKEN", env={"EXPLAIN_TOKEN": fhir.token})
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert 'data-statement="subtype.hr-pos-her2-pos"' in html and "Printed on" in html
    assert "<style>" in html and "@media print" in html and '<link rel="stylesheet"' not in html
    assert fhir.token not in html and fhir.token not in result.stdout + result.stderr


def test_explain_without_the_token_fails_clearly_and_writes_nothing(fhir, tmp_path: Path):
    """The server refuses (401): exit 1, the reason on stderr, no file."""
    out = tmp_path / "handout.html"
    result = run_cli("explain", "--fhir-base", fhir.base_url, "--patient", PATIENT, "--out", str(out))
    assert result.returncode == 1 and "refused access (HTTP 401)" in result.stderr
    assert not out.exists()


def test_explain_for_an_unknown_patient_writes_nothing(fhir, tmp_path: Path):
    """No Patient with that id: exit 1 and no handout (never a page about nobody)."""
    out = tmp_path / "handout.html"
    result = run_cli("explain", "--fhir-base", fhir.base_url, "--patient", "no-such-patient", "--out", str(out),
                     "--token-env", "EXPLAIN_TOKEN", env={"EXPLAIN_TOKEN": fhir.token})
    assert result.returncode == 1 and "no Patient with that id" in result.stderr
    assert not out.exists()


def test_explain_with_an_unset_token_variable_is_a_configuration_error(tmp_path: Path):
    """--token-env naming an empty variable: exit 2 before anything is contacted."""
    result = run_cli("explain", "--fhir-base", "http://127.0.0.1:9/fhir", "--patient", "x",
                     "--out", str(tmp_path / "h.html"), "--token-env", "NO_SUCH_VAR_EXPLAIN")
    assert result.returncode == 2 and "NO_SUCH_VAR_EXPLAIN" in result.stderr
