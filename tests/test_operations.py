"""What an operator relies on: documented variables, start-up validation, health endpoints, request limits,
log hygiene. (The server-level behaviour, workers and slow clients, is in ``test_serve.py``.)"""
from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigError, Settings

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "receptor-cds")
HOOKS = ROOT / "fixtures" / "hooks"


def _variables_read_in_code() -> set[str]:
    found = set()
    for package in ("app", "cds_hooks"):
        for path in (ROOT / package).rglob("*.py"):
            # A full name (a trailing "_" is a prefix written in prose, e.g. RECEPTOR_CDS_BULK_*).
            found |= set(re.findall(r"RECEPTOR_CDS_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    return found


def test_every_variable_read_in_code_is_in_env_example_and_the_readme_table():
    """An operator finds every RECEPTOR_CDS_* variable the code reads in .env.example and the README's table."""
    variables = _variables_read_in_code()
    assert len(variables) >= 20, "the scan found too few variables: it is broken"
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    table = [line.strip() for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
             if line.strip().startswith("| `RECEPTOR_CDS_")]
    in_table = {re.match(r"\| `(RECEPTOR_CDS_[A-Z0-9_]+)`", line).group(1) for line in table}
    assert not sorted(v for v in variables if v not in example), "missing from .env.example"
    assert not sorted(variables - in_table), "missing from the README configuration table"


def test_license_file_matches_pyproject():
    """LICENSE is the Apache License 2.0 text that pyproject.toml declares."""
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def test_version():
    """receptor-cds --version names the installed version."""
    from importlib.metadata import version
    done = _cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"receptor-cds {version('receptor-cds')}"


@pytest.mark.parametrize("port, ok", [("0", False), ("1", True), ("65535", True), ("65536", False), ("x", False)])
def test_port_range_is_checked_before_anything_starts(port, ok):
    """--port accepts 1-65535; 0, 65536 and non-numbers stop with a message and exit 2."""
    from app.cli import _build_parser
    if ok:
        assert _build_parser().parse_args(["serve", "--port", port]).port == int(port)
    else:
        done = _cli("serve", "--port", port)
        assert done.returncode == 2 and "port" in done.stderr


@pytest.mark.parametrize("url", ["ftp://cds.example.org", "cds.example.org", "/cds", "https://cds.example.org?x=1",
                                 "https://cds.example.org:99999"])
def test_public_url_must_be_an_absolute_http_url(url):
    with pytest.raises(ConfigError, match="RECEPTOR_CDS_PUBLIC_URL"):
        Settings(public_url=url, trusted_issuers_path="x").validate()


def test_serve_refuses_a_public_url_that_is_not_http_with_exit_2(tmp_path):
    """The check runs in `serve` itself: exit 2 and a sentence naming the variable, before it listens."""
    done = _cli("serve", "--port", "1", env={"RECEPTOR_CDS_PUBLIC_URL": "cds.example.org",
                                             "RECEPTOR_CDS_STATE_DB": str(tmp_path / "s.sqlite")})
    assert done.returncode == 2 and "RECEPTOR_CDS_PUBLIC_URL must be an absolute http(s) URL" in done.stderr


def test_serve_with_redis_and_no_secret_key_stops_with_exit_2(tmp_path):
    """Several instances on Redis, each with a generated key, would lose each other's SMART sessions: `serve`
    refuses to start and says which variable to set."""
    done = _cli("serve", "--port", "1", env={"RECEPTOR_CDS_REDIS_URL": "redis://127.0.0.1:1/0",
                                             "RECEPTOR_CDS_SECRET_KEY": "",
                                             "RECEPTOR_CDS_STATE_DB": str(tmp_path / "s.sqlite")})
    assert done.returncode == 2 and "RECEPTOR_CDS_SECRET_KEY is not" in done.stderr


def test_database_driver_not_installed_names_the_package_to_add():
    """A URL whose driver is missing says which package to pip install (pymysql is not a dependency)."""
    with pytest.raises(ConfigError, match=r"pip install 'PyMySQL'"):
        Settings(database_url="mysql+pymysql://u@db/x", trusted_issuers_path="x").validate()
    with pytest.raises(ConfigError, match="does not know"):
        Settings(database_url="nosuchdb://x", trusted_issuers_path="x").validate()


def test_zero_trusted_issuers_is_a_loud_warning_not_an_error():
    """No trusted-issuers file: start-up goes on (the SMART app works) but warns that no EHR can call."""
    warnings = Settings().validate()
    assert any(w.startswith("NO TRUSTED ISSUERS") for w in warnings)
    assert not any("TRUSTED" in w for w in Settings(trusted_issuers_path="x").validate())


@pytest.fixture()
def app_client(tmp_path):
    def make(**overrides):
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'f.sqlite'}", state_db=str(tmp_path / "s.sqlite"),
                            cds_auth_disabled=True, **overrides)
        return create_app(settings).test_client()
    return make


def test_healthz_and_readyz(app_client, tmp_path):
    """/healthz is always 200; /readyz is 200 with every check ok, and 503 naming the check that fails."""
    client = app_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert {k: v["ok"] for k, v in ready.get_json()["checks"].items()} == {
        "trusted_issuers": True, "feedback_database": True, "state_store": True, "session_key": True}
    (tmp_path / "s.sqlite").unlink()
    (tmp_path / "s.sqlite").mkdir()            # the state store's file is gone and cannot come back
    client.application.extensions["receptor_state"].close()
    broken = client.get("/readyz")
    assert broken.status_code == 503
    assert broken.get_json()["checks"]["state_store"]["ok"] is False
    assert broken.get_json()["checks"]["feedback_database"]["ok"] is True


def test_readyz_is_not_ready_without_trusted_issuers_when_auth_is_on(tmp_path):
    settings = Settings(database_url="sqlite://", state_db=str(tmp_path / "s.sqlite"))
    body = create_app(settings).test_client().get("/readyz")
    assert body.status_code == 503 and body.get_json()["checks"]["trusted_issuers"] == {"ok": False, "count": 0}


def test_metrics_endpoint_can_be_switched_off(app_client):
    assert app_client().get("/metrics").status_code == 200
    assert app_client(metrics_enabled=False).get("/metrics").status_code == 404


def _bundle(n: int) -> dict:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": {"resourceType": "Observation", "id": f"o{i}", "status": "final",
                                    "code": {"text": "x"}}} for i in range(n)]}


@pytest.mark.parametrize("entries, refused", [(4, False), (5, False), (6, True)])
def test_prefetch_key_resource_cap_at_the_limit(app_client, entries, refused):
    """With a cap of 5 resources per prefetch key: 4 and 5 are processed, 6 is a 413 OperationOutcome naming
    the key, the count and the limit's variable."""
    client = app_client(max_prefetch_resources=5)
    request = json.loads((HOOKS / "patient-view-full-prefetch.json").read_text())
    request["prefetch"]["receptorObservations"] = _bundle(entries)
    response = client.post("/cds-services/receptor-assessment", json=request)
    if refused:
        assert response.status_code == 413
        text = response.get_json()["issue"][0]["diagnostics"]
        assert "'receptorObservations' holds 6 resources; the limit is 5" in text
        assert "RECEPTOR_CDS_MAX_PREFETCH_RESOURCES" in text
    else:
        assert response.status_code == 200, response.get_data(as_text=True)[:300]


def test_url_loggers_stay_at_warning_even_at_debug(capsys):
    """urllib3 writes full request paths (patient ids) at DEBUG: pinned to WARNING whatever the root level."""
    from app.monitoring import configure_logging
    configure_logging("json", "DEBUG")
    try:
        assert logging.getLogger().isEnabledFor(logging.DEBUG)
        for name in ("urllib3", "urllib3.connectionpool", "requests", "authlib"):
            assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
    finally:
        configure_logging("text", "INFO")
