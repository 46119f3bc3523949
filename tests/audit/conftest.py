"""Shared pieces of the audit tests: one embedded Dask cluster per test session, real sekmet servers.

The Dask cluster is a real ``LocalCluster`` with two worker processes (what ``receptor-cds audit`` starts by
default on a 2-core machine), started once: cluster start-up is the slow part, and the pipeline's behaviour does
not depend on the cluster being fresh. The command-line tests start their own embedded cluster.
"""
from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from joserfc.jwk import ECKey, RSAKey

from app.fhir_server import SekmetServer
from cds_hooks.bulk import BulkExportClient
from cds_hooks.decision import DecisionConfig
from app.audit.scope import EXPORT_TYPES

TODAY = datetime.date(2026, 11, 1)
CONFIG = DecisionConfig(today=TODAY)
BACKEND_CLIENT_RS = "receptor-cds-audit-rs384"
BACKEND_CLIENT_ES = "receptor-cds-audit-es384"


@pytest.fixture(scope="session")
def dask_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from distributed import Client, LocalCluster

    scratch = tmp_path_factory.mktemp("dask-scratch")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR, local_directory=str(scratch)) as cluster, Client(cluster) as client:
        yield client


@pytest.fixture(scope="session")
def bulk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SekmetServer]:
    """An open sekmet loaded with every project fixture, for export and audit tests that only read."""
    with SekmetServer(tmp_path_factory.mktemp("sekmet-bulk")) as server:
        server.load_fixtures()
        yield server


@pytest.fixture(scope="session")
def fixture_export(bulk_server: SekmetServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One system-level export of ``bulk_server`` on disk (read-only for the tests that use it)."""
    folder = tmp_path_factory.mktemp("fixture-export") / "export"
    BulkExportClient(bulk_server.base_url).export(folder, EXPORT_TYPES)
    return folder


@pytest.fixture(scope="session")
def backend_keys() -> dict[str, RSAKey | ECKey]:
    rsa = RSAKey.generate_key(2048)
    ec = ECKey.generate_key("P-384")
    for key in (rsa, ec):
        key.ensure_kid()
    return {BACKEND_CLIENT_RS: rsa, BACKEND_CLIENT_ES: ec}


@pytest.fixture(scope="session")
def backend_server(tmp_path_factory: pytest.TempPathFactory, backend_keys) -> Iterator[SekmetServer]:
    """A sekmet that accepts only SMART tokens, with two Backend Services clients registered (RS384, ES384)
    allowed ``system/*.rs``, loaded with a few fixtures."""
    clients = []
    for client_id, key in backend_keys.items():
        public = key.as_dict(private=False)
        public.update({"kid": key.kid, "alg": "RS384" if isinstance(key, RSAKey) else "ES384", "use": "sig"})
        clients.append({"client_id": client_id, "jwks": {"keys": [public]}, "scopes": "system/*.rs"})
    server = SekmetServer(tmp_path_factory.mktemp("sekmet-backend"), smart_secret=secrets.token_urlsafe(48),
                          backend_clients=clients)
    with server:
        root = Path(__file__).resolve().parents[2] / "fixtures" / "cases"
        server.load_fixtures([root / "her2-ihc-0-ultralow.json", root / "pitfall-p14-ai-premenopausal.json"])
        yield server


def pem(key: RSAKey | ECKey) -> str:
    return key.as_pem(private=True).decode()


@pytest.fixture(scope="session")
def fixture_audit(fixture_export: Path, dask_client, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The audit of the fixture export (``--ndjson`` form) on the shared cluster; its output folder."""
    from app.audit.command import AuditOptions, audit

    out = tmp_path_factory.mktemp("audit-fixtures")
    audit(AuditOptions(out=out, ndjson=fixture_export, today=TODAY, progress=False), client=dask_client)
    return out
