"""SekmetServer: a real sekmet process that starts, serves, honours the configured auth and stops."""
from __future__ import annotations

import json
import os
import secrets

import pytest
import requests

from app.fhir_server import FhirServerError, SekmetServer, free_port
from app.fixtures_loader import FixtureLoadError

PATIENT = {"resourceType": "Patient", "id": "server-test-patient", "gender": "female"}


def _bundle(*resources: dict) -> dict:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def test_open_server_starts_serves_and_stops_without_orphans(tmp_path):
    """The process answers metadata, loads a bundle, and is gone after stop()."""
    server = SekmetServer(tmp_path / "open")
    with server:
        assert server.startup_seconds is not None
        pid = server.process.pid
        assert requests.get(f"{server.base_url}/metadata", timeout=5).status_code == 200
        server.load_bundle(_bundle(PATIENT))
        assert requests.get(f"{server.base_url}/Patient/server-test-patient", timeout=5).json()["id"] == PATIENT["id"]
    assert server.process is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    server.stop()  # idempotent


def test_settings_keep_simulator_and_traffic_log_off(tmp_path):
    """The generated settings disable the simulator and the traffic log, and bind loopback only."""
    with SekmetServer(tmp_path / "cfg") as server:
        text = (server.workdir / "settings.yaml").read_text()
    assert "enabled: false" in text and "log_inbound: false" in text and 'host: "127.0.0.1"' in text


def test_public_base_url_is_used_in_links_and_as_token_audience(tmp_path):
    """Links carry the public base; SMART tokens must name it as audience."""
    public = "http://127.0.0.1:1/ehr/fhir"
    with SekmetServer(tmp_path / "pub", smart_secret=secrets.token_urlsafe(40), public_base_url=public) as server:
        good = server.mint_access_token("system/*.rs")
        resp = requests.get(f"{server.base_url}/Patient?_count=1", timeout=5,
                            headers={"Authorization": f"Bearer {good}"})
        assert resp.status_code == 200
        links = resp.json()["link"]
        assert links and all(link["url"].startswith(public) for link in links)
        wrong_aud = server.mint_access_token("system/*.rs", aud=server.base_url)
        resp = requests.get(f"{server.base_url}/Patient", timeout=5, headers={"Authorization": f"Bearer {wrong_aud}"})
        assert resp.status_code == 401


def test_secured_server_requires_token_and_loads_with_it(secured_fhir_server):
    """Without a token 401; with the bearer token the loaded fixtures are readable."""
    base = secured_fhir_server.base_url
    assert requests.get(f"{base}/Patient", timeout=5).status_code == 401
    resp = requests.get(f"{base}/Patient", timeout=5, headers={"Authorization": f"Bearer {secured_fhir_server.token}"})
    assert resp.status_code == 200


def test_rejected_bundle_names_the_bundle_and_the_reason(tmp_path):
    """A transaction the server refuses raises FixtureLoadError with the bundle name and diagnostics."""
    bad = _bundle({"resourceType": "NotAResource", "id": "x"})
    with SekmetServer(tmp_path / "bad") as server, pytest.raises(FixtureLoadError) as err:
        server.load_bundle(bad, name="broken.json")
    assert "broken.json" in str(err.value) and "NotAResource" in str(err.value)


def test_load_fixtures_accepts_paths_of_case_files(tmp_path):
    """A case file path loads its 'bundle'."""
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"description": "d", "bundle": _bundle(PATIENT)}))
    with SekmetServer(tmp_path / "paths") as server:
        assert server.load_fixtures([case]) == [str(case)]
        assert requests.get(f"{server.base_url}/Patient/server-test-patient", timeout=5).status_code == 200


def test_start_failure_reports_log_tail(tmp_path):
    """If sekmet cannot bind its port, start() fails with a clear error quoting its log."""
    import socket
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(FhirServerError, match="exited|did not answer"):
            SekmetServer(tmp_path / "busy", port=port, startup_timeout=20).start()


def test_free_port_is_bindable():
    """free_port() returns a port that can be bound on loopback."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port()))


def test_smart_only_server_loads_with_a_minted_system_token(tmp_path):
    """With only a smart secret, loading uses a short-lived system token and reads need a scoped token."""
    with SekmetServer(tmp_path / "smart", smart_secret=secrets.token_urlsafe(40)) as server:
        server.load_bundle(_bundle(PATIENT))
        url = f"{server.base_url}/Patient/server-test-patient"
        assert requests.get(url, timeout=5).status_code == 401
        token = server.mint_access_token("patient/Patient.rs", patient=PATIENT["id"])
        assert requests.get(url, timeout=5, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_free_port_never_repeats_within_a_process():
    """Ports handed out earlier in this process are not handed out again (they may not be bound yet)."""
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
