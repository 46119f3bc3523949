"""Launch rules that need no EHR: scope choice, granted-scope parsing, issuer allowlist, discovery, chart."""
from __future__ import annotations

import pytest
from flask import Flask, jsonify

from tests.infra.loopback import listening_socket
from app.smart import discovery
from app.smart.chart import build_chart
from app.smart.errors import SmartError
from cds_hooks.decision.model import ClinicalEvent, ReceptorResult

from .conftest import ServedApp

V2_AND_OIDC = {"capabilities": ["permission-v2", "permission-v1", "sso-openid-connect", "permission-online",
                                "permission-offline"]}


# Every type the decision core reads (written out here, not taken from the declaration under test).
# Observation first and Patient last, as the scope list is ordered.
CORE_TYPES = ("Observation", "Condition", "MedicationRequest", "MedicationStatement",
              "MedicationAdministration", "Specimen", "Procedure", "DiagnosticReport", "Patient")


def _patient_scopes(suffix: str) -> list[str]:
    return [f"patient/{t}{suffix}" for t in CORE_TYPES]


@pytest.mark.parametrize("meta, mode, expected", [
    (V2_AND_OIDC, "ehr", ["launch", "openid", "fhirUser", *_patient_scopes(".rs"), "online_access"]),
    (V2_AND_OIDC, "standalone", ["launch/patient", "openid", "fhirUser", *_patient_scopes(".rs"), "offline_access"]),
    ({"capabilities": ["permission-v1"]}, "ehr", ["launch", *_patient_scopes(".read")]),
    ({}, "standalone", ["launch/patient", *_patient_scopes(".read")]),
    # An EHR that offers only offline access (the SMART App Launcher does): an EHR launch asks for no refresh
    # scope rather than a token that outlives the EHR session (issue 8).
    ({"capabilities": ["permission-v2", "permission-offline"]}, "ehr", ["launch", *_patient_scopes(".rs")]),
    ({"capabilities": ["permission-v2", "permission-offline"]}, "standalone",
     ["launch/patient", *_patient_scopes(".rs"), "offline_access"]),
])
def test_scopes_are_least_and_never_mixed(meta, mode, expected):
    """v2 when advertised else v1; openid only with sso-openid-connect; one refresh scope only if offered."""
    assert discovery.choose_scopes(meta, mode) == expected


@pytest.mark.parametrize("scope, types", [
    ("patient/Observation.rs patient/Patient.read", {"Observation", "Patient"}),
    ("patient/Condition.cruds user/MedicationRequest.*", {"Condition", "MedicationRequest"}),
    ("patient/Observation.c launch openid", set()),
    ("patient/Observation.rs?category=laboratory", {"Observation"}),
])
def test_granted_scopes_parse_v1_and_v2(scope, types):
    """Granted scopes in either syntax give the readable resource types."""
    assert discovery.granted_types(scope) == types


@pytest.mark.parametrize("iss, allowed", [
    ("https://ehr.example.org/fhir", True),
    ("https://ehr.example.org/fhir/", True),
    ("https://ehr.example.org/fhir2", False),
    ("https://ehr.example.org.evil.test/fhir", False),
    ("https://ehr.example.org", False),
])
def test_issuer_allowlist_is_exact(iss, allowed):
    """Only the configured FHIR base (trailing slash aside) may launch the app."""
    assert discovery.issuer_allowed(iss, ("https://ehr.example.org/fhir",)) is allowed


@pytest.fixture
def relative_metadata_server():
    app = Flask("relative-metadata")
    meta = {"authorization_endpoint": "../auth/authorize", "token_endpoint": "auth/token",
            "capabilities": ["launch-ehr"], "code_challenge_methods_supported": ["S256"]}
    state = {"meta": meta}
    app.add_url_rule("/r4/.well-known/smart-configuration", "m", lambda: jsonify(state["meta"]))
    served = ServedApp(app, listening_socket())
    yield served.base + "/r4", state
    served.stop()


def test_discovery_resolves_relative_endpoints(relative_metadata_server):
    """Relative endpoint URLs are resolved against the FHIR base (with its trailing slash)."""
    base, _ = relative_metadata_server
    meta = discovery.discover(base, timeout=(2, 5))
    root = base.rsplit("/", 1)[0]
    assert meta["authorization_endpoint"] == root + "/auth/authorize"
    assert meta["token_endpoint"] == base + "/auth/token"


def test_discovery_refuses_a_server_without_s256(relative_metadata_server):
    """An EHR that does not advertise PKCE S256 is not used."""
    base, state = relative_metadata_server
    state["meta"] = {**state["meta"], "code_challenge_methods_supported": ["plain"]}
    with pytest.raises(SmartError) as err:
        discovery.discover(base, timeout=(2, 5))
    assert "PKCE" in err.value.title


def _result(analyte, when, status, specimen, **kw) -> ReceptorResult:
    return ReceptorResult(resource=f"Observation/{analyte}-{when}", analyte=analyte, code="x|y", effective=when,
                          fhir_status="final", provisional=False, specimen=specimen, status=status, **kw)


def test_chart_shows_her2_conversion_and_escapes_labels():
    """HER2 IHC 3+ on the primary and 0 on the metastasis reads as a change at relapse; labels are escaped."""
    history = [_result("HER2-IHC", "2020-01-05", "positive", "primary", ihc_score="3+"),
               _result("HER2-IHC", "2024-02-01", "negative", "metastasis", ihc_score="0")]
    events = [ClinicalEvent(kind="recurrence", date="2023-12-01", label="<b>Recurrence</b>")]
    chart = build_chart(history, events)
    assert chart.conversions == ["HER2 IHC: 3+ before the relapse (2020-01-05), 0 after (2024-02-01)"]
    assert "<b>" not in chart.svg and "&lt;b&gt;Recurrence&lt;/b&gt;" in chart.svg
    assert chart.svg.count('class="mk ') == 2


def test_chart_without_dates_says_so():
    """Undated results still reach the table; the chart says there is nothing to plot."""
    chart = build_chart([_result("ER", None, "positive", "unknown", percent=80.0)], [])
    assert "No dated receptor results" in chart.svg and len(chart.rows) == 1


def test_chart_event_labels_close_in_time_do_not_overprint():
    """A diagnosis and a stage on the same day get their labels on two rows, not on top of each other."""
    import re
    history = [_result("ER", "2018-03-10", "positive", "primary", percent=80.0)]
    events = [ClinicalEvent(kind="diagnosis", date="2018-03-16", label="Breast cancer diagnosed"),
              ClinicalEvent(kind="stage", date="2018-03-16", label="Stage IIB"),
              ClinicalEvent(kind="disease-status", date="2018-11-01", label="Disease status: improved")]
    chart = build_chart(history, events)
    labels = re.findall(r'<text class="event-label" x="[^"]+" y="([^"]+)"[^>]*>([^<]+)</text>', str(chart.svg))
    rows = {text: y for y, text in labels}
    assert rows["Diagnosis"] != rows["Stage"]
    assert "Disease status" in rows and "Progression" not in rows


def test_chart_puts_a_result_without_percentage_on_its_own_row():
    """ER 'positive' with no % is a hollow mark on the 'no %' row, never drawn as if it were 100 % (or 0 %)."""
    import re
    history = [_result("ER", "2018-03-10", "positive", "primary", qualitative="positive"),
               _result("ER", "2020-03-10", "positive", "primary", percent=100.0)]
    svg = str(build_chart(history, []).svg)
    marks = re.findall(r'<circle class="mk ([^"]+)" cx="[^"]+" cy="([^"]+)"', svg)
    (hollow_css, hollow_y), (full_css, full_y) = marks
    assert "hollow" in hollow_css and "hollow" not in full_css
    assert float(hollow_y) > float(full_y) + 50                  # far below the 100 % line
    assert ">no %</text>" in svg and "no percentage recorded" in svg


def test_chart_scale_keeps_the_er_low_band_readable():
    """On the ER/PR scale 1-10 % (ER low positive) spans a visible band, and 5 % is clearly above 0 %."""
    from app.smart.chart import LOW_BAND, _pct_y
    assert LOW_BAND == (1.0, 10.0)
    assert _pct_y(0, 0) - _pct_y(0, 5) >= 10                     # pixels between 0 % and 5 %
    assert _pct_y(0, 1) > _pct_y(0, 10) > _pct_y(0, 50) > _pct_y(0, 100)


def test_chart_marks_relapse_and_the_time_after_it():
    """A metastasis is a relapse line with the time after it shaded; a diagnosis stays a plain event line."""
    history = [_result("ER", "2019-01-01", "positive", "primary", percent=90.0),
               _result("ER", "2023-06-15", "negative", "metastasis", percent=0.0)]
    events = [ClinicalEvent(kind="diagnosis", date="2019-01-05", label="Diagnosed"),
              ClinicalEvent(kind="metastasis", date="2023-06-01", label="Liver metastasis")]
    chart = build_chart(history, events)
    svg = str(chart.svg)
    assert svg.count('class="after-relapse"') == 3 and 'class="event-label relapse"' in svg
    assert '2019-01-01</text>' in svg and '2023-06-15</text>' in svg       # first and last dates on the axis
    order = [(t.date, "event" if t.event else t.result.analyte) for t in chart.timeline]
    assert order == [("2019-01-01", "ER"), ("2019-01-05", "event"), ("2023-06-01", "event"), ("2023-06-15", "ER")]


def test_conversion_dates_are_days_even_for_date_times():
    """A dateTime with seconds and offset (as Synthea writes it) reads as its day in the conversion line."""
    history = [_result("ER", "2019-03-10T09:00:20.139339+00:00", "positive", "primary", percent=80.0),
               _result("ER", "2023-06-15T10:00:00+02:00", "negative", "metastasis", percent=0.0)]
    events = [ClinicalEvent(kind="recurrence", date="2023-06-01", label="Recurrence")]
    assert build_chart(history, events).conversions == [
        "ER: positive before the relapse (2019-03-10), negative after (2023-06-15)"]


@pytest.mark.parametrize("overrides, complaint", [
    ({"smart_cookie_samesite": "sometimes"}, "Lax, Strict or None"),
    ({"smart_cookie_samesite": "None", "smart_cookie_secure": False}, "Secure"),
    ({"smart_client_auth": "client_secret_post"}, "client_secret_basic or private_key_jwt"),
    ({"smart_frame_ancestors": ("https://ehr.example.org; script-src *",)}, "origins"),
])
def test_unusable_smart_settings_stop_the_app_at_start(overrides, complaint):
    """Cookie, client-auth and framing settings that could only fail later are refused when the app is built."""
    from app import create_app
    from app.config import Settings
    with pytest.raises(ValueError, match=complaint):
        create_app(Settings(database_url="sqlite://", **overrides))


def test_usable_smart_settings_are_accepted():
    """Lower-case SameSite values and wildcard subdomain origins are fine."""
    from app import create_app
    from app.config import Settings
    create_app(Settings(database_url="sqlite://", smart_cookie_samesite="none", smart_cookie_secure=True,
                        smart_frame_ancestors=("https://*.ehr.example.org", "http://127.0.0.1:8080")))


def test_her2_ihc_without_a_score_is_still_charted():
    """A HER2 IHC result with only 'negative' (no 0/1+/2+/3+) is drawn on the status row, labelled as unscored."""
    chart = build_chart([_result("HER2-IHC", "1998-10-21", "negative", "unknown", qualitative="negative")], [])
    assert str(chart.svg).count('class="mk ') == 1 and "IHC negative (no score)" in str(chart.svg)


def test_hsts_only_when_the_app_is_served_over_https():
    """Strict-Transport-Security is sent by an https deployment and not by a plain-http loopback demo."""
    from app import create_app
    from app.config import Settings
    for url, expected in (("https://cds.example.org", True), ("http://127.0.0.1:8000", False)):
        client = create_app(Settings(database_url="sqlite://", public_url=url)).test_client()
        resp = client.get("/smart/launch")
        assert ("Strict-Transport-Security" in resp.headers) is expected


def test_standalone_launch_needs_the_capability(relative_metadata_server):
    """A server that advertises only launch-ehr gets a clear page for a standalone launch, not a redirect."""
    from app import create_app
    from app.config import Settings
    base, _ = relative_metadata_server
    app = create_app(Settings(database_url="sqlite://", smart_allowed_issuers=(base,), smart_client_id="c",
                              smart_client_secret="s"))
    resp = app.test_client().get(f"/smart/launch?iss={base}")
    assert resp.status_code == 400 and b"Standalone launch not supported" in resp.data
