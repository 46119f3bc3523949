"""``receptor-cds audit`` as a real process, both forms, each starting its own embedded Dask LocalCluster;
and its refusals, which come before any cluster is started."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from app.fixtures_loader import fixture_bundles
from tests.browser.demo_process import CLI

from .conftest import BACKEND_CLIENT_ES, TODAY, pem

pytestmark = pytest.mark.fhir_server


def run_audit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, "audit", *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, **(env or {})))


def test_both_forms_of_the_command_on_an_embedded_cluster(bulk_server, tmp_path: Path):
    """--fhir-base exports and audits; --ndjson on the export it kept gives the same worklist. The summary line
    gives patients, time and patients per second."""
    first = run_audit("--fhir-base", bulk_server.base_url, "--out", str(tmp_path / "a"), "--workers", "1",
                      "--today", TODAY.isoformat())
    assert first.returncode == 0, first.stderr[-2000:]
    patients = sum(1 for _, bundle in fixture_bundles() for entry in bundle["entry"]
                   if entry["resource"]["resourceType"] == "Patient")
    assert f"Audited {patients} patients ({patients} with breast cancer) in " in first.stdout
    assert "patients/s on 1 worker(s)" in first.stdout
    second = run_audit("--ndjson", str(tmp_path / "a" / "export"), "--out", str(tmp_path / "b"), "--workers", "1",
                       "--today", TODAY.isoformat(), "--no-progress")
    assert second.returncode == 0, second.stderr[-2000:]
    assert (tmp_path / "a" / "worklist.ndjson").read_text() == (tmp_path / "b" / "worklist.ndjson").read_text()
    assert "Traceback" not in first.stderr + second.stderr


def test_backend_services_credentials_from_the_environment(backend_server, backend_keys, tmp_path: Path):
    """The command reads RECEPTOR_CDS_BULK_*; neither the key nor a token appears in its output."""
    key = pem(backend_keys[BACKEND_CLIENT_ES])
    result = run_audit("--fhir-base", backend_server.base_url, "--out", str(tmp_path), "--workers", "1",
                       env={"RECEPTOR_CDS_BULK_CLIENT_ID": BACKEND_CLIENT_ES, "RECEPTOR_CDS_BULK_PRIVATE_KEY": key,
                            "RECEPTOR_CDS_BULK_SCOPE": "system/*.rs"})
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [json.loads(line) for line in (tmp_path / "worklist.ndjson").read_text().splitlines()]
    assert [r["patient"] for r in rows] == ["her2-ihc-0-ultralow", "pitfall-p14-ai-premenopausal"]
    output = result.stdout + result.stderr
    assert "PRIVATE KEY" not in output and "eyJ" not in output


@pytest.mark.parametrize("args, code, message", [
    (["--out", "{out}"], 2, "give exactly one of --fhir-base URL"),
    (["--ndjson", "{out}", "--fhir-base", "http://127.0.0.1:9/fhir", "--out", "{out}"], 2, "give exactly one"),
    (["--ndjson", "{out}", "--group", "g", "--out", "{out}"], 2, "--group and --since are export parameters"),
    (["--fhir-base", "http://127.0.0.1:9/fhir", "--scheduler", "tcp://127.0.0.1:9", "--workers", "2", "--out", "{out}"],
     2, "--workers sizes the embedded local cluster"),
    (["--fhir-base", "http://127.0.0.1:9/fhir", "--since", "yesterday", "--out", "{out}"], 2, "--since must be"),
    (["--fhir-base", "http://127.0.0.1:9/fhir", "--out", "{out}"], 1, "the FHIR server could not be reached"),
    (["--ndjson", "{out}/nothing-here", "--out", "{out}"], 1, "is not a folder"),
])
def test_refusals_are_one_clear_line(args, code, message, tmp_path: Path):
    result = run_audit(*[a.replace("{out}", str(tmp_path)) for a in args])
    assert result.returncode == code, (result.returncode, result.stderr[-1000:])
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "worklist.ndjson").exists()


def test_credentials_half_configured_are_refused(tmp_path: Path):
    result = run_audit("--fhir-base", "http://127.0.0.1:9/fhir", "--out", str(tmp_path),
                       env={"RECEPTOR_CDS_BULK_CLIENT_ID": "someone"})
    assert result.returncode == 1
    assert "RECEPTOR_CDS_BULK_PRIVATE_KEY is not set" in result.stderr
