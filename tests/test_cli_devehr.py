"""The development EHR that ``receptor-cds demo`` runs (demo/test infrastructure), checked on its own.

Its behaviour towards the product must match what a real EHR / the CDS Hooks sandbox does
(standards-checklist 1E, 1I, 1K), or the demo would prove nothing.
"""
from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from app.demo import Demo
from app.devehr.cards import render_markdown, sort_cards
from app.devehr.prefetch import fetch_prefetch, resolve_template
from app.devehr.signing import EhrSigner, fhir_access_token

CONTEXT = {"patientId": "p-1", "userId": "PractitionerRole/r-9", "encounterId": None,
           "draftOrders": {"resourceType": "Bundle"}}


@pytest.mark.parametrize("template, expected", [
    ("Patient/{{context.patientId}}", "Patient/p-1"),
    ("Observation?patient={{context.patientId}}&code=http://loinc.org|85337-4,http://loinc.org|16112-5&_sort=-date",
     "Observation?patient=p-1&code=http://loinc.org|85337-4,http://loinc.org|16112-5&_sort=-date"),
    ("PractitionerRole/{{userPractitionerRoleId}}", "PractitionerRole/r-9"),
    ("Condition?patient={{ context.patientId }}&clinical-status=active", "Condition?patient=p-1&clinical-status=active"),
    ("Practitioner/{{userPractitionerId}}", None),            # the user is a PractitionerRole
    ("Encounter/{{context.encounterId}}", None),              # null context field: unresolved
    ("Bundle/{{context.draftOrders}}", None),                 # not a primitive: never a token
])
def test_prefetch_tokens_resolve_like_the_sandbox(template, expected):
    """Context and user tokens are substituted; a template with an unresolvable token is skipped."""
    assert resolve_template(template, CONTEXT) == expected


def test_prefetch_query_values_are_url_encoded():
    """A token value with reserved characters is encoded, not allowed to add parameters."""
    assert resolve_template("Observation?patient={{context.patientId}}", {"patientId": "a&b=c"}) == \
        "Observation?patient=a%26b%3Dc"


def test_card_markdown_is_rendered_without_raw_html_or_script_links():
    """Card detail markdown: raw HTML shown as text, javascript: links dropped, GFM tables kept."""
    html = str(render_markdown("**ER 5%** <img src=x onerror=alert(1)> [x](javascript:alert(1)) "
                               "[guide](https://example.org)\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<strong>ER 5%</strong>" in html
    assert "<img" not in html and "&lt;img" in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.org">guide</a>' in html
    assert "<table>" in html


def test_cards_are_ordered_critical_warning_info():
    """As in the sandbox, the most severe cards come first."""
    cards = [{"indicator": "info"}, {"indicator": "critical"}, {"indicator": "warning"}]
    assert [c["indicator"] for c in sort_cards(cards)] == ["critical", "warning", "info"]


def test_cds_jwt_is_signed_like_the_sandbox():
    """ES384 with kid, jku and typ; iss, exact aud, exp = iat + 300, a fresh jti per call."""
    signer = EhrSigner("http://127.0.0.1:8100", "http://127.0.0.1:8100/.well-known/jwks.json")
    aud = "http://127.0.0.1:8200/cds-services/receptor-assessment"
    first, second = signer.cds_token(aud), signer.cds_token(aud)
    keys = KeySet.import_key_set(signer.jwks())
    token = jwt.decode(first, keys, algorithms=["ES384"])
    assert token.header == {"alg": "ES384", "typ": "JWT", "kid": signer.kid, "jku": signer.jwks_url}
    claims = token.claims
    assert claims["iss"] == "http://127.0.0.1:8100" and claims["aud"] == aud
    assert claims["exp"] - claims["iat"] == 300 and abs(claims["iat"] - time.time()) < 5
    assert claims["jti"] != jwt.decode(second, keys, algorithms=["ES384"]).claims["jti"]
    keys = signer.jwks()["keys"]
    assert keys and all("d" not in key for key in keys)   # public half only


@pytest.mark.fhir_server
def test_prefetch_fetches_reads_searches_and_omits_failures(secured_fhir_server):
    """Against a real FHIR server: a search gives a Bundle, a missing read gives null, a failure is omitted."""
    token = fhir_access_token(secured_fhir_server.smart_secret, secured_fhir_server.public_base_url,
                              scope="user/*.rs", client_id="test-ehr")
    templates = {"patient": "Patient/{{context.patientId}}",
                 "observations": "Observation?patient={{context.patientId}}&_count=5",
                 "broken": "NoSuchType?patient={{context.patientId}}",
                 "encounter": "Encounter/{{context.encounterId}}"}
    prefetch, outcome = fetch_prefetch(templates, {"patientId": "no-such-patient-h5"},
                                       secured_fhir_server.base_url, token)
    assert prefetch["patient"] is None and outcome["patient"] == "null"
    assert prefetch["observations"]["resourceType"] == "Bundle"
    assert "broken" not in prefetch and outcome["broken"].startswith("omitted: HTTP")
    assert "encounter" not in prefetch and outcome["encounter"] == "skipped: unresolved token"


@pytest.fixture(scope="module")
def demo():
    """The whole demo in-process: real sekmet, the product, the dev EHR, each on a loopback port."""
    running = Demo()
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.mark.fhir_server
def test_jwks_is_published_at_the_jku(demo):
    """The EHR serves the public key set its CDS JWTs point to."""
    keys = requests.get(f"{demo.urls.ehr}/.well-known/jwks.json", timeout=10).json()["keys"]
    assert keys and keys[0]["kty"] == "EC" and keys[0]["crv"] == "P-384" and "d" not in keys[0]


@pytest.mark.fhir_server
def test_patient_list_shows_fixture_patients_with_case_descriptions(demo):
    """Every loaded fixture Patient is listed; curated cases carry their one-line description."""
    from app.devehr.patients import case_descriptions
    from app.fixtures_loader import fixture_bundles
    page = requests.get(f"{demo.urls.ehr}/", timeout=30).text
    for _, bundle in fixture_bundles():
        for entry in bundle.get("entry", []):
            resource = entry.get("resource", {})
            if resource.get("resourceType") == "Patient" and resource.get("id"):
                assert f"/chart/{resource['id']}" in page
    for description in list(case_descriptions().values())[:5]:
        assert description.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in page


@pytest.mark.fhir_server
def test_open_chart_shows_cards_from_a_signed_patient_view(demo):
    """Opening Jenny M's chart: discovery, prefetch, a 200 patient-view with a subtype card and a SMART link."""
    page = requests.get(f"{demo.urls.ehr}/chart/cancer-patient-jenny-m", timeout=60).text
    assert "HTTP 200" in page
    assert 'data-topic="receptor-subtype"' in page
    assert 'class="smart-link"' in page
    assert re.search(r"<code>[a-z-]+</code>: fetched", page), "no prefetch key was fetched"
    assert "access_token" not in page


@pytest.mark.fhir_server
def test_launch_registers_context_and_opens_the_app_with_iss_and_launch(demo):
    """POST /launch creates a launch context with the appContext and redirects to the app's launch URL."""
    app_context = json.dumps({"patient": "cancer-patient-jenny-m", "focus": "receptor-subtype"})
    answer = requests.post(f"{demo.urls.ehr}/launch", data={"patient": "cancer-patient-jenny-m",
                                                            "launch_url": demo.urls.smart_launch,
                                                            "app_context": app_context},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 303
    target = urlsplit(answer.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == demo.urls.smart_launch
    query = parse_qs(target.query)
    assert query["iss"] == [demo.urls.ehr_fhir] and len(query["launch"][0]) >= 22


@pytest.mark.fhir_server
def test_launch_refuses_a_url_that_is_not_the_registered_app(demo):
    """A card link pointing elsewhere is not launched (no open redirect, no context handed out)."""
    answer = requests.post(f"{demo.urls.ehr}/launch", data={"patient": "cancer-patient-jenny-m",
                                                            "launch_url": "http://127.0.0.1:9/evil"},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 400


@pytest.mark.fhir_server
@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_draft_order_of_trastuzumab_for_her2_negative_is_flagged(demo, hook):
    """Drafting trastuzumab for HER2-negative Jenny M sends draftOrders and shows the conflict card."""
    page = requests.post(f"{demo.urls.ehr}/chart/cancer-patient-jenny-m/order",
                         data={"drug": "224905", "hook": hook}, timeout=60).text
    assert f"CDS Hooks: {hook}" in page and "HTTP 200" in page
    assert 'data-topic="anti-her2-for-her2-negative"' in page


@pytest.mark.fhir_server
def test_draft_order_outside_the_list_is_refused(demo):
    """Only the listed RxNorm codes can be drafted."""
    answer = requests.post(f"{demo.urls.ehr}/chart/cancer-patient-jenny-m/order",
                           data={"drug": "999999", "hook": "order-select"}, timeout=10)
    assert answer.status_code == 400


@pytest.mark.fhir_server
def test_dismissing_a_card_sends_overridden_feedback_and_hides_it(demo):
    """Dismiss posts feedback to the service (accepted with 2xx) and the card is no longer shown."""
    page = requests.get(f"{demo.urls.ehr}/chart/her2-ihc-2plus-no-ish", timeout=60).text
    action = re.search(r'action="(/exchange/[^"]+/card/([^"/]+)/overridden)"', page)
    assert action, "no dismissable card"
    card_uuid = action.group(2)
    answer = requests.post(demo.urls.ehr + action.group(1), data={"reason": ""}, timeout=30)
    assert answer.status_code == 200
    assert "Feedback sent: overridden." in answer.text
    assert f"/card/{card_uuid}/" not in answer.text


@pytest.mark.fhir_server
def test_taking_a_suggestion_sends_accepted_feedback(demo):
    """A suggestion button posts `accepted` feedback naming the suggestion; the service accepts it."""
    page = requests.get(f"{demo.urls.ehr}/chart/her2-ihc-2plus-no-ish", timeout=60).text
    form = re.search(r'action="(/exchange/[^"]+/card/[^"/]+/accepted)">\s*<input type="hidden" name="suggestion" '
                     r'value="([^"]+)">', page)
    assert form, "no suggestion button on the HER2 IHC 2+ card"
    answer = requests.post(demo.urls.ehr + form.group(1), data={"suggestion": form.group(2)}, timeout=30)
    assert answer.status_code == 200 and "Feedback sent: accepted." in answer.text
    refused = requests.post(demo.urls.ehr + form.group(1), data={"suggestion": "not-a-suggestion"}, timeout=30)
    assert refused.status_code == 400
