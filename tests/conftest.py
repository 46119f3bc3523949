"""Session-wide test infrastructure: real sekmet FHIR server processes on loopback.

Other test folders add their own conftest.py for their own fixtures; only the shared servers live here.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from app.fhir_server import SekmetServer, free_port  # noqa: F401  (free_port re-exported for tests)
from tests import property_budget  # noqa: F401  (registers and loads the Hypothesis profile: ci when CI is set)

SEKMET_FIXTURES = frozenset({"fhir_server", "secured_fhir_server", "dev_ehr"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs a sekmet process (directly or through another fixture) carries the ``fhir_server``
    marker, so ``-m "not fhir_server"`` selects exactly the tests that run in-process (the mutation run uses it:
    it forks one test process per mutant, and starting sekmet in each would cost seconds per mutant)."""
    for item in items:
        if SEKMET_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.fhir_server)


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SekmetServer]:
    """An open (no auth) sekmet server loaded with every project fixture (fixtures_loader.fixture_bundles)."""
    with SekmetServer(tmp_path_factory.mktemp("sekmet-open")) as server:
        server.load_fixtures()
        yield server


@pytest.fixture(scope="session")
def secured_fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SekmetServer]:
    """A sekmet server that requires a bearer token (``.token``) and also honours HS256 SMART access
    tokens signed with ``.smart_secret`` (mint them with ``.mint_access_token(scope, ...)``); loaded with
    every project fixture."""
    token = secrets.token_urlsafe(32)
    server = SekmetServer(tmp_path_factory.mktemp("sekmet-secured"), bearer_tokens=(token,),
                          smart_secret=secrets.token_urlsafe(48))
    with server:
        server.load_fixtures()
        yield server
