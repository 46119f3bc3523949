"""The house rule "no patient data and no tokens in logs at any level", checked on what the product writes.

One test, in this process, with the product's own log set-up (``configure_logging``, as ``serve``, ``demo`` and
every command use it) at DEBUG, and then the loggers that write URLs (urllib3, requests, werkzeug, authlib,
redis) lowered to DEBUG again by hand, as an operator's logging configuration or a library might. Through a
real HTTP server (werkzeug) it runs:

- a signed patient-view with a full prefetch whose Patient carries a name, identifiers and a birth date;
- a patient-view without prefetch against the development EHR's FHIR server (sekmet): the FHIR fallback reads
  the chart with the EHR's bearer token;
- a patient-view without prefetch against a FHIR server that fails the receptor search with an OperationOutcome
  whose diagnostics name the patient (upstream free text);
- a patient-view whose FHIR server refuses connections (urllib3 warns "Retrying ..." with the request path);
- a call with a forged JWT;
- a SMART EHR launch (authorization code; access, refresh and id tokens; client secret) and a second page load.

No patient id, resource id, name, birth date, identifier value, bearer token (CDS Hooks JWT, fhirAuthorization),
SMART token, authorization code, session cookie, secret, or upstream free text may reach the log. The same
records captured without the product's handler filter do hold patient ids (urllib3's request lines): the check
can fail, and the filter is what holds it.
"""
from __future__ import annotations

import copy
import io
import json
import logging
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Any, Iterable

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from app.monitoring.logs import PINNED_LOGGERS, configure_logging
from tests.infra.hostile import HostileServer, json_reply

from .conftest import SYM_SECRET, Browser
from .patients import CONVERSION_PATIENT_ID, conversion_bundle

pytestmark = pytest.mark.fhir_server

HOOKS = Path(__file__).resolve().parents[2] / "fixtures" / "hooks"
ISS = "https://ehr.log-privacy.test"
SECRET_KEY = secrets.token_urlsafe(32)
PATIENT = {"name": [{"use": "official", "family": "Quennell-Ardmore", "given": ["Philippa", "Rosalind"]}],
           "identifier": [{"system": "http://hospital.example/mrn", "value": "MRN-88301427"},
                          {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-41-7730"}],
           "birthDate": "1961-09-17"}
UPSTREAM_PATIENT_ID = "upstream-patient-5521"
UPSTREAM_WORDS = (f"Search refused for Philippa Quennell-Ardmore (MRN-88301427, born 1961-09-17, "
                  f"Patient/{UPSTREAM_PATIENT_ID}): consent-directive-QX7731 on file")


class Hidden:
    """What must not reach a log: label -> values."""

    def __init__(self) -> None:
        self.values: dict[str, set[str]] = {}

    def add(self, label: str, value: Any) -> None:
        if isinstance(value, str) and len(value) >= 3:
            self.values.setdefault(label, set()).add(value)

    def add_resources(self, resources: Iterable[dict]) -> None:
        for resource in resources:
            self.add("resource id", resource.get("id"))
            if resource.get("resourceType") == "Patient":
                self.add("Patient id", resource.get("id"))
                self.add("birth date", resource.get("birthDate"))
                for name in resource.get("name", []):
                    for part in [name.get("family"), *name.get("given", [])]:
                        self.add("patient name", part)
                for identifier in resource.get("identifier", []):
                    self.add("identifier value", identifier.get("value"))

    def found_in(self, text: str) -> list[str]:
        found = []
        for label, values in self.values.items():
            for value in values:
                # Whole words only (an id "er-1pct" is in "er-1pct-obs-5", but "Ada" is not in "Adapter").
                if re.search(r"(?<![A-Za-z0-9])" + re.escape(value) + r"(?![A-Za-z0-9])", text):
                    found.append(f"{label} {value!r}")
        return sorted(found)


def _prefetched(hook: dict) -> list[dict]:
    out = []
    for value in (hook.get("prefetch") or {}).values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            out += [e["resource"] for e in value.get("entry", []) if isinstance(e.get("resource"), dict)]
        elif isinstance(value, dict):
            out.append(value)
    return out


def _hook(name: str, fhir_server: str, token: str, patient_id: str | None = None) -> dict:
    hook = json.loads((HOOKS / name).read_text())
    hook["hookInstance"] = str(uuid.uuid4())
    hook["fhirServer"] = fhir_server
    hook["fhirAuthorization"] = {"access_token": token, "token_type": "Bearer", "expires_in": 300,
                                 "scope": "patient/*.read", "subject": "receptor-cds"}
    if patient_id:
        hook["context"]["patientId"] = patient_id
    patient = (hook.get("prefetch") or {}).get("patient")
    if isinstance(patient, dict):
        patient.update(copy.deepcopy(PATIENT))
    return hook


def _upstream(server: HostileServer) -> None:
    """A FHIR server that has the patient but fails the receptor search, naming the patient in its diagnostics."""
    patient = {"resourceType": "Patient", "id": UPSTREAM_PATIENT_ID, "gender": "female", **copy.deepcopy(PATIENT)}
    server.routes[f"/fhir/Patient/{UPSTREAM_PATIENT_ID}"] = json_reply(patient)
    server.routes["/fhir/Observation"] = json_reply({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "forbidden", "diagnostics": UPSTREAM_WORDS,
         "details": {"text": UPSTREAM_WORDS}}]}, status=400)
    server.default = json_reply({"resourceType": "Bundle", "type": "searchset", "entry": []})


class _Capture:
    """The product's handler (configure_logging at DEBUG, writing to a buffer), then the URL loggers lowered to
    DEBUG; beside it, an unfiltered handler on the same records. Restores the process's logging afterwards."""

    def __enter__(self) -> "_Capture":
        root = logging.getLogger()
        self._saved = (list(root.handlers), root.level,
                       {n: logging.getLogger(n).level for n in PINNED_LOGGERS})
        self.product = io.StringIO()
        configure_logging("text", "DEBUG", stream=self.product)
        for name in PINNED_LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
        self.raw = io.StringIO()
        self._raw_handler = logging.StreamHandler(self.raw)
        self._raw_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.handlers.insert(0, self._raw_handler)      # sees each record before the product's filter does
        return self

    def __exit__(self, *exc: Any) -> None:
        root = logging.getLogger()
        handlers, level, pinned = self._saved
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, value in pinned.items():
            logging.getLogger(name).setLevel(value)


def test_no_patient_data_token_or_upstream_text_reaches_the_log(dev_ehr, product_app, tmp_path, monkeypatch):
    hidden = Hidden()
    hidden.add("SMART client secret", SYM_SECRET)
    hidden.add("secret key", SECRET_KEY)
    hidden.add("upstream text", UPSTREAM_WORDS)
    hidden.add("upstream text", "consent-directive-QX7731")
    hidden.add("Patient id", UPSTREAM_PATIENT_ID)
    hidden.add_resources(e["resource"] for e in conversion_bundle()["entry"])
    hidden.add_resources([{"resourceType": "Patient", **PATIENT}])
    issued: list[dict] = []
    create_token_response = dev_ehr.auth.server.create_token_response

    def recording(*args: Any, **kwargs: Any):
        response = create_token_response(*args, **kwargs)
        issued.append(json.loads(response.get_data()))
        return response

    monkeypatch.setattr(dev_ehr.auth.server, "create_token_response", recording)
    signing = ECKey.generate_key("P-384", parameters={"kid": "k1", "alg": "ES384"}, private=True)
    refused = f"http://127.0.0.1:{dev_ehr.refused_port}/fhir"

    with HostileServer() as upstream, _Capture() as capture:
        _upstream(upstream)
        issuers = tmp_path / "issuers.json"
        issuers.write_text(json.dumps({ISS: {"jwks": {"keys": [signing.as_dict(private=False)]},
                                             "fhir_servers": [upstream.url("/fhir"), dev_ehr.sekmet.base_url,
                                                              refused],
                                             "cors_origins": []}}))
        app = product_app(trusted_issuers_path=str(issuers), secret_key=SECRET_KEY)

        def call(service: str, hook: dict, key: ECKey = signing) -> requests.Response:
            path = f"/cds-services/{service}"
            now = int(time.time())
            token = jwt.encode({"alg": "ES384", "typ": "JWT", "kid": "k1"},
                               {"iss": ISS, "aud": app.base + path, "iat": now, "exp": now + 300,
                                "jti": str(uuid.uuid4())}, key, algorithms=["ES384"])
            hidden.add("CDS Hooks JWT", token)
            hidden.add("CDS Hooks JWT signature", token.split(".")[2])
            hidden.add("fhirAuthorization token", hook["fhirAuthorization"]["access_token"])
            hidden.add("Patient id", hook["context"].get("patientId"))
            hidden.add_resources(_prefetched(hook))
            return requests.post(app.base + path, json=hook, timeout=30, headers={"Authorization": f"Bearer {token}"})

        prefetch = call("receptor-assessment", _hook("patient-view-full-prefetch.json", upstream.url("/fhir"),
                                                     "ehr-access-" + secrets.token_urlsafe(24)))
        assert prefetch.status_code == 200, prefetch.text[:500]
        sekmet_token = dev_ehr.sekmet.mint_access_token("patient/*.rs", patient=CONVERSION_PATIENT_ID)
        fallback = call("receptor-assessment", _hook("patient-view-no-prefetch.json", dev_ehr.sekmet.base_url,
                                                     sekmet_token, CONVERSION_PATIENT_ID))
        assert fallback.status_code == 200 and fallback.json()["cards"], fallback.text[:500]
        failing = call("receptor-assessment", _hook("patient-view-no-prefetch.json", upstream.url("/fhir"),
                                                    "ehr-access-" + secrets.token_urlsafe(24), UPSTREAM_PATIENT_ID))
        assert failing.status_code == 412 and "forbidden" in failing.text and "Quennell" not in failing.text
        down = call("receptor-assessment", _hook("patient-view-no-prefetch.json", refused,
                                                 "ehr-access-" + secrets.token_urlsafe(24), UPSTREAM_PATIENT_ID))
        assert down.status_code < 500, down.text[:500]
        forged_key = ECKey.generate_key("P-384", parameters={"kid": "k1", "alg": "ES384"}, private=True)
        forged = call("receptor-assessment", _hook("patient-view-full-prefetch.json", upstream.url("/fhir"),
                                                   "ehr-access-" + secrets.token_urlsafe(24)), key=forged_key)
        assert forged.status_code == 401

        browser = Browser()
        launch = dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID)
        page = browser.get(f"{app.base}/smart/launch?iss={dev_ehr.fhir_base}&launch={launch}")
        assert page.status_code == 200 and 'id="receptor-subtype"' in page.text, page.text[:500]
        assert browser.get(page.url).status_code == 200            # the page again (its record read back)
        callback = next(h for h in browser.hops if "/smart/callback" in h.url)
        hidden.add("authorization code", re.search(r"[?&]code=([^&]+)", callback.url).group(1))
        hidden.add("SMART session cookie", browser.session.cookies.get("receptor_smart_session"))
        hidden.add("launch id", launch)

    for token in issued:
        for field in ("access_token", "refresh_token", "id_token"):
            hidden.add(f"SMART {field}", token.get(field))
    assert {"SMART access_token", "SMART refresh_token", "SMART id_token"} <= set(hidden.values), issued
    logged, raw = capture.product.getvalue(), capture.raw.getvalue()
    # The capture is real: DEBUG lines of our own code, the upstream failure and urllib3's retry warning are in
    # it; and the URL loggers really wrote patient ids at DEBUG, which only the product's filter kept out.
    assert re.search(r"DEBUG cds_hooks\.\S+ \[", logged), logged[:2000]
    assert "OperationOutcome from" in logged and "error/forbidden" in logged
    assert "WARNING urllib3.connectionpool" in logged and "not logged: may hold URLs" in logged
    assert "DEBUG urllib3.connectionpool" in raw and "Patient id" in " ".join(hidden.found_in(raw))
    assert len(hidden.values["resource id"]) >= 10 and len(hidden.values["patient name"]) >= 4
    assert not hidden.found_in(logged), hidden.found_in(logged)
