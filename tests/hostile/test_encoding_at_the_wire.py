"""Percent-encoding at the wire for every way the product reaches a FHIR server or writes a link (issue 8).

The SMART App Launcher's FHIR proxy collapses ``//`` in the request target, query included: a search value sent
literally (``code=http://loinc.org|85337-4``) reaches the server as ``http:/loinc.org|...`` and matches nothing.
tests/hostile/test_search_encoding.py proves the CDS service's own fallback. Here the same loopback proxy
(``tests.infra.hostile.relay`` with ``collapse_slashes``) stands in front of a real sekmet for the other ways in:

- the clinician's SMART app (EHR launch through the development EHR, whose FHIR proxy passes the query string on
  untouched, to the collapsing proxy, to sekmet);
- the patient page (portal launch, the same path);
- ``receptor-cds explain`` (a process, its ``--fhir-base`` being the collapsing proxy);
- ``receptor-cds audit`` (Bulk Data kick-off with ``_since``, then the status and file links the server gives,
  all through the proxy).

Each must find the receptor results (the subtype stated, not "cannot be stated"), every search it sent must carry
its values encoded (``http%3A%2F%2F``, no literal ``//`` or ``|`` after the ``?``), and every link the product
writes (the authorize redirect, the pages, the handout, the audit report, which today holds none) must be a URL
whose query holds no literal ``//``. The audit's links at stake are the ones it follows: the status and file
links the Bulk Data server gives.
"""
from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.audit.scope import EXPORT_TYPES
from app.fhir_server import SekmetServer
from cds_hooks.bulk import BulkExportClient
from app.fixtures_loader import fixture_bundles
from tests.infra.hostile import HostileServer, relay
from tests.smart.conftest import browser, client_key_pem, dev_ehr, product_app  # noqa: F401  (fixtures)
from tests.smart.patients import PLAIN_PATIENT_ID
from tests.test_cli import run_cli

pytestmark = pytest.mark.fhir_server

_HREF = re.compile(r'''(?:href|src|action)\s*=\s*["']([^"']*)["']''', re.IGNORECASE)


def _searches(proxy: HostileServer) -> list[str]:
    """The raw request targets of the searches the proxy received (those with a query)."""
    return [target for target, _ in proxy.requests if "?" in target]


def assert_searches_encoded(proxy: HostileServer, *, code_searches: bool = True) -> None:
    """Every query the proxy received has its values percent-encoded: no ``//`` and no ``|`` after the ``?``; the
    coded searches (``code=``) carry their systems as ``http%3A%2F%2F...%7C...``."""
    searches = _searches(proxy)
    assert searches, proxy.requests
    for target in searches:
        query = target.split("?", 1)[1]
        assert "//" not in query and "|" not in query and " " not in query, target
    if code_searches:
        coded = [t for t in searches if "code=" in t]
        assert coded and all(re.search(r"code=https?%3A%2F%2F[^&]*%7C", t) for t in coded), coded


def assert_links_encoded(page: str) -> int:
    """Every link a page holds (``href``, ``src``, ``action``) is one URL: no white space, and no literal ``//`` or
    ``|`` in its query (a value such as an ``iss`` or a coded search is percent-encoded). Returns how many."""
    links = [html.unescape(link) for link in _HREF.findall(page)]
    for link in links:
        assert not re.search(r"\s", link), link
        query = urlsplit(link).query
        assert "//" not in query and "|" not in query, link
    return len(links)


@pytest.fixture
def collapsing_ehr(dev_ehr):  # noqa: F811  (the fixture imported above)
    """The development EHR's FHIR proxy forwarding to sekmet through a ``//``-collapsing proxy."""
    upstream = urlsplit(dev_ehr.sekmet.base_url)
    with HostileServer() as proxy:
        proxy.default = relay(f"{upstream.scheme}://{upstream.netloc}", collapse_slashes=True)
        dev_ehr.upstream["url"] = proxy.origin + upstream.path
        try:
            yield proxy
        finally:
            dev_ehr.bring_fhir_up()


def _redirect_to_authorize(browser) -> str:  # noqa: F811
    hop = next(h for h in browser.hops if h.is_redirect and "/oauth/authorize" in h.headers["Location"])
    return hop.headers["Location"]


def _assert_authorize_encoded(location: str) -> None:
    """The authorize redirect carries aud and redirect_uri percent-encoded (never a literal ``//`` in its query)."""
    query = urlsplit(location).query
    assert "aud=http%3A%2F%2F127.0.0.1" in query and "redirect_uri=http%3A%2F%2F127.0.0.1" in query, location
    assert "//" not in query, location


def test_the_smart_launch_reads_through_a_proxy_that_collapses_double_slashes(dev_ehr, collapsing_ehr,  # noqa: F811
                                                                              product_app, browser):  # noqa: F811
    """EHR launch of the clinician's app: the page states the subtype (HR+/HER2+ for the plain patient), every
    search reached the proxy encoded, and the authorize redirect and the page's links are encoded."""
    app = product_app()
    launch = dev_ehr.auth.create_launch(PLAIN_PATIENT_ID)
    page = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}")
    assert page.status_code == 200, page.text[:500]
    assert 'id="receptor-subtype"' in page.text and "HR+/HER2+" in page.text, page.text[:2000]
    assert "cannot be stated" not in page.text
    assert_searches_encoded(collapsing_ehr)
    _assert_authorize_encoded(_redirect_to_authorize(browser))
    assert assert_links_encoded(page.text) > 0


def test_the_patient_page_reads_through_a_proxy_that_collapses_double_slashes(dev_ehr, collapsing_ehr,  # noqa: F811
                                                                              product_app, browser):  # noqa: F811
    """Portal launch of the patient page: the page explains HR+/HER2+ from every read (no partial-data notice),
    every search reached the proxy encoded, and the authorize redirect and the page's links are encoded."""
    app = product_app()
    launch = dev_ehr.auth.create_launch(PLAIN_PATIENT_ID, user=f"Patient/{PLAIN_PATIENT_ID}")
    page = browser.get(f"{app.base}/patient/launch?iss={dev_ehr.fhir_base}&launch={launch}")
    assert page.status_code == 200, page.text[:500]
    assert 'data-statement="subtype.hr-pos-her2-pos"' in page.text and "notice.partial-data" not in page.text
    assert_searches_encoded(collapsing_ehr)
    _assert_authorize_encoded(_redirect_to_authorize(browser))
    assert assert_links_encoded(page.text) > 0


def test_explain_reads_through_a_proxy_that_collapses_double_slashes(fhir_server, tmp_path: Path):
    """``receptor-cds explain`` with the collapsing proxy as its FHIR base: the handout states HR+/HER2+ for the
    HER2 IHC 3+ case, every search it sent was encoded, and the handout's links are encoded."""
    upstream = urlsplit(fhir_server.base_url)
    out = tmp_path / "handout.html"
    with HostileServer() as proxy:
        proxy.default = relay(f"{upstream.scheme}://{upstream.netloc}", collapse_slashes=True)
        result = run_cli("explain", "--fhir-base", proxy.origin + upstream.path, "--patient", "her2-ihc-3plus",
                         "--out", str(out))
    assert result.returncode == 0, result.stderr
    handout = out.read_text(encoding="utf-8")
    assert 'data-statement="subtype.hr-pos-her2-pos"' in handout and "notice.partial-data" not in handout
    assert_searches_encoded(proxy)
    assert assert_links_encoded(handout) > 0


AUDITED = ("her2-ihc-3plus", "er-11pct")
SINCE = "2000-01-01T00:00:00+00:00"      # a literal '+' would reach the server as a space


def test_the_audit_exports_through_a_proxy_that_collapses_double_slashes(tmp_path: Path):
    """``receptor-cds audit`` against a Bulk Data server behind the collapsing proxy, the server writing its
    status and file links under the proxy: the kick-off's ``_outputFormat`` (``application/fhir+ndjson``) and
    ``_type`` arrive encoded, and so does an incremental kick-off's ``_since`` (``+00:00``; a literal ``+`` would
    reach the server as a space); the links are followed through the proxy, both patients are audited with their
    cases' subtypes, and the report's links are encoded."""
    cases = {name: json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "cases" / f"{name}.json")
                              .read_text()) for name in AUDITED}
    with HostileServer() as proxy:
        with SekmetServer(tmp_path / "sekmet", public_base_url=proxy.origin + "/fhir") as server:
            upstream = urlsplit(server.base_url)
            proxy.default = relay(f"{upstream.scheme}://{upstream.netloc}", collapse_slashes=True)
            for name, bundle in fixture_bundles():
                if Path(name).stem in AUDITED:
                    server.load_bundle(bundle, Path(name).stem)
            result = run_cli("audit", "--fhir-base", proxy.origin + upstream.path, "--out", str(tmp_path / "out"),
                             "--workers", "1", "--no-progress", "--today", cases["her2-ihc-3plus"]["today"])
            assert result.returncode == 0, result.stderr[-2000:]
            audited = list(proxy.requests)
            # An incremental audit (--since) needs a second full run of the command; its kick-off is the same
            # client's, so it is sent once here: the server accepts it (202) and gives a status link via the proxy.
            status = BulkExportClient(proxy.origin + upstream.path).kick_off(EXPORT_TYPES, since=SINCE)
    kick_off = next(t for t, _ in audited if "$export" in t)
    assert "_outputFormat=application%2Ffhir%2Bndjson" in kick_off and "_type=Patient%2C" in kick_off, kick_off
    assert_searches_encoded(proxy, code_searches=False)
    followed = [t for t, _ in audited if "$export" not in t]
    assert followed, audited      # the status and file links came back through the proxy
    since = next(t for t, _ in proxy.requests if "_since=" in t)
    assert "_since=2000-01-01T00%3A00%3A00%2B00%3A00" in since and status.startswith(proxy.origin), (since, status)
    rows = {row["patient"]: row for row in map(json.loads, (tmp_path / "out" / "worklist.ndjson").read_text()
                                               .splitlines())}
    for name, case in cases.items():
        assert rows[name]["subtype"] == case["expected"]["subtype"], rows[name]
    # The report is one self-contained page and today holds no link; any it gains must be encoded too.
    assert_links_encoded((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
