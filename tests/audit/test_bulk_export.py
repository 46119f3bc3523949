"""The Bulk Data client against sekmet's real ``$export``: kick-off, polling, download, Group, ``_since``,
a failing and a too-slow export. Expectations come from the data loaded (the fixtures), never from our client."""
from __future__ import annotations

import json
import stat
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from app.audit.scope import EXPORT_TYPES
from app.fhir_server import SekmetServer
from app.fixtures_loader import fixture_bundles
from cds_hooks.bulk import BulkExportClient, BulkExportError, ExportLimits
from cds_hooks.fhir_client import FhirAuthError

pytestmark = pytest.mark.fhir_server

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "cases"


def _lines(folder: Path) -> list[dict]:
    manifest = json.loads((folder / "manifest.json").read_text())
    found = []
    for item in manifest["output"]:
        found += [json.loads(line) for line in (folder / item["url"]).read_text().splitlines()]
    return found


def _fixture_counts() -> Counter:
    """What was loaded, by type, for the exported types (straight from the fixture files)."""
    counts: Counter = Counter()
    for _, bundle in fixture_bundles():
        for entry in bundle["entry"]:
            if entry["resource"]["resourceType"] in EXPORT_TYPES:
                counts[entry["resource"]["resourceType"]] += 1
    return counts


def test_system_export_downloads_every_resource_of_the_types_the_core_reads(fixture_export: Path):
    """Kick-off, polling and download: the files hold exactly the fixtures' resources of the exported types."""
    resources = _lines(fixture_export)
    assert Counter(r["resourceType"] for r in resources) == _fixture_counts()
    manifest = json.loads((fixture_export / "manifest.json").read_text())
    assert manifest["transactionTime"] and manifest["output"]
    for item in manifest["output"]:
        path = fixture_export / item["url"]
        assert len(path.read_text().splitlines()) == item["count"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(fixture_export.stat().st_mode) == 0o700
    assert not list(fixture_export.glob("*.part"))


def test_polling_reports_progress_and_the_server_job_is_released(bulk_server: SekmetServer, tmp_path: Path):
    """While the export runs the status answers 202 with X-Progress (shown to us); after the download the
    client deletes the job, so its status URL is gone."""
    client = BulkExportClient(bulk_server.base_url)
    seen: list[str] = []
    status_url = client.kick_off(["Patient"])
    manifest = client.wait(status_url, on_progress=lambda text, elapsed: seen.append(text))
    assert seen, "sekmet keeps an export running for about a second: at least one 202 was expected"
    assert all(text in ("queued", "collecting", "writing", "in progress") for text in seen), seen
    client.download(manifest, tmp_path)
    client.delete(status_url)
    assert requests.get(status_url, timeout=5).status_code == 404


def test_group_export_holds_only_the_members(bulk_server: SekmetServer, tmp_path: Path):
    """Group/{id}/$export: only the two member patients' resources."""
    members = ["er-1pct", "her2-ihc-0-ultralow"]
    group = {"resourceType": "Group", "id": "audit-two", "type": "person", "actual": True,
             "member": [{"entity": {"reference": f"Patient/{m}"}} for m in members]}
    response = requests.put(f"{bulk_server.base_url}/Group/audit-two", json=group, timeout=10,
                            headers={"Content-Type": "application/fhir+json"})
    assert response.status_code in (200, 201), response.text[:300]
    BulkExportClient(bulk_server.base_url).export(tmp_path / "g", EXPORT_TYPES, group="audit-two")
    resources = _lines(tmp_path / "g")
    patients = {r["id"] for r in resources if r["resourceType"] == "Patient"}
    assert patients == set(members)
    expected = sum(1 for name in members for e in json.loads((CASES / f"{name}.json").read_text())["bundle"]["entry"]
                   if e["resource"]["resourceType"] in EXPORT_TYPES)
    assert len(resources) == expected


def test_since_exports_only_what_changed(tmp_path: Path):
    """_since: after one Observation is updated, an export since before the update holds just that one."""
    with SekmetServer(tmp_path / "sekmet") as server:
        server.load_fixtures([CASES / "er-1pct.json", CASES / "er-11pct.json"])
        time.sleep(1.1)                      # meta.lastUpdated may have one-second precision
        cut = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        time.sleep(1.1)
        obs = next(e["resource"] for e in json.loads((CASES / "er-11pct.json").read_text())["bundle"]["entry"]
                   if e["resource"]["id"] == "er-11pct-obs-3")          # the ER result, 11%
        obs["valueQuantity"]["value"] = 5
        assert requests.put(f"{server.base_url}/Observation/{obs['id']}", json=obs, timeout=10).status_code == 200
        BulkExportClient(server.base_url).export(tmp_path / "all", EXPORT_TYPES)
        BulkExportClient(server.base_url).export(tmp_path / "delta", EXPORT_TYPES, since=cut)
    everything, delta = _lines(tmp_path / "all"), _lines(tmp_path / "delta")
    assert len(everything) > 5
    assert [(r["resourceType"], r["id"]) for r in delta] == [("Observation", obs["id"])]
    assert delta[0]["valueQuantity"]["value"] == 5


def test_a_failing_export_is_a_clear_error_and_leaves_nothing(bulk_server: SekmetServer, tmp_path: Path):
    """sekmet's export job crashes on a Group whose member entity is not a Reference object: the status
    answers 500 with an OperationOutcome; the error says so, and no export folder is left behind."""
    broken = {"resourceType": "Group", "id": "audit-broken", "type": "person", "actual": True,
              "member": [{"entity": "Patient/er-1pct"}]}
    response = requests.put(f"{bulk_server.base_url}/Group/audit-broken", json=broken, timeout=10,
                            headers={"Content-Type": "application/fhir+json"})
    assert response.status_code in (200, 201), response.text[:300]
    with pytest.raises(BulkExportError) as failure:
        BulkExportClient(bulk_server.base_url).export(tmp_path / "x", EXPORT_TYPES, group="audit-broken")
    assert "the export failed on the server (HTTP 500)" in str(failure.value)
    assert "has no attribute" in str(failure.value)          # sekmet's own diagnostics, passed on
    assert not (tmp_path / "x").exists()


def test_a_slow_export_times_out_cancels_the_job_and_leaves_nothing(bulk_server: SekmetServer, tmp_path: Path):
    """An export that does not finish within the limit (sekmet takes about a second) stops with a clear
    error; the job is cancelled at the server and no folder is left."""
    client = BulkExportClient(bulk_server.base_url, limits=ExportLimits(export_timeout=0.3))
    deleted: list[str] = []
    original = client.delete
    client.delete = lambda url: (deleted.append(url), original(url))[1]      # type: ignore[method-assign]
    started = time.monotonic()
    with pytest.raises(BulkExportError, match=r"did not complete within 0.3 s"):
        client.export(tmp_path / "x", EXPORT_TYPES)
    assert time.monotonic() - started < 3
    assert not (tmp_path / "x").exists()
    assert len(deleted) == 1 and requests.get(deleted[0], timeout=5).status_code == 404


def test_a_secured_server_without_credentials_says_which_variables_to_set(backend_server: SekmetServer,
                                                                          tmp_path: Path):
    """401 at kick-off without credentials: the message names the two environment variables."""
    with pytest.raises(FhirAuthError, match="RECEPTOR_CDS_BULK_CLIENT_ID and RECEPTOR_CDS_BULK_PRIVATE_KEY"):
        BulkExportClient(backend_server.base_url).export(tmp_path / "x", EXPORT_TYPES)
    assert not (tmp_path / "x").exists()
