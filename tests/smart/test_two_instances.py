"""A SMART launch across two instances of the product behind a round-robin proxy.

The launch starts on one instance, the EHR's redirect back (the callback) lands on the other, and the page
load on the first again: with a shared Redis state store it completes; with two separate embedded stores
(what a single machine's default gives two machines) the callback finds no launch. The proxy's record shows
the steps really went to different instances.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from app import create_app
from app.config import Settings
from app.devehr.auth_server import ClientRegistration

from ..infra.loopback import listening_socket
from ..state.proxy import RoundRobinProxy
from ..state.servers import RedisServer
from .conftest import SYM_SECRET, Browser, ServedApp
from .patients import CONVERSION_PATIENT_ID

pytestmark = pytest.mark.fhir_server


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    try:
        yield server
    finally:
        server.stop()


def _two_instances(dev_ehr, tmp_path: Path, client: str, redis_url: str | None):
    proxy = RoundRobinProxy([])
    dev_ehr.auth.register_client(ClientRegistration(client, (f"{proxy.base}/smart/callback",),
                                                    client_secret=SYM_SECRET))
    served = []
    key = secrets.token_urlsafe(32)        # both instances seal sessions under the same key
    for i in range(2):
        settings = Settings(public_url=proxy.base, smart_client_id=client, smart_client_secret=SYM_SECRET,
                            smart_allowed_issuers=(dev_ehr.fhir_base,), smart_cookie_secure=False,
                            database_url=f"sqlite:///{tmp_path / f'feedback-{i}.sqlite'}",
                            state_db=str(tmp_path / f"state-{i}.sqlite"), redis_url=redis_url, secret_key=key)
        served.append(ServedApp(create_app(settings), listening_socket()))
    proxy.backends = [("127.0.0.1", s.port) for s in served]
    return proxy, served


def _launch(dev_ehr, proxy: RoundRobinProxy):
    browser = Browser()
    browser.session.headers["Connection"] = "close"     # one connection per request: the proxy alternates
    launch = dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID)
    first = len(proxy.routed)
    page = browser.get(f"{proxy.base}/smart/launch?iss={dev_ehr.fhir_base}&launch={launch}")
    to_us = [h for h in browser.hops if h.url.startswith(proxy.base)]
    return page, [h.url.split("?")[0].replace(proxy.base, "") for h in to_us], proxy.routed[first:]


def test_callback_on_the_other_instance_completes_with_shared_redis(dev_ehr, tmp_path, redis_server):
    """launch on instance A, callback on B, page on A: the receptor page renders."""
    proxy, served = _two_instances(dev_ehr, tmp_path, "receptor-two-redis", redis_server.url)
    try:
        page, paths, routed = _launch(dev_ehr, proxy)
    finally:
        proxy.stop()
        for s in served:
            s.stop()
    assert paths[:2] == ["/smart/launch", "/smart/callback"] and paths[2].startswith("/smart/app/")
    assert routed[0] != routed[1] and routed[1] != routed[2], routed
    assert page.status_code == 200, page.text[:500]
    assert 'id="receptor-subtype"' in page.text


def test_without_a_shared_store_the_callback_on_the_other_instance_finds_no_launch(dev_ehr, tmp_path):
    """The control: two instances, each with its own embedded store, cannot complete the same launch."""
    proxy, served = _two_instances(dev_ehr, tmp_path, "receptor-two-local", None)
    try:
        page, paths, routed = _launch(dev_ehr, proxy)
    finally:
        proxy.stop()
        for s in served:
            s.stop()
    assert paths == ["/smart/launch", "/smart/callback"] and routed[0] != routed[1]
    assert page.status_code == 400 and "No launch in progress" in page.text
