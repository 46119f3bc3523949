"""The patient page's SMART launches end to end: dev auth server + FHIR proxy + real sekmet + the product.

Same OAuth client as the clinician's app (same registration, PKCE, state, server-side tokens), a
patient-facing profile: patient-scoped reads of the types the core reads, ``openid fhirUser``, and
the signed-in user must be the Patient in context.
"""
from __future__ import annotations

import re

import pytest

from .conftest import query_of
from .patients import CONVERSION_PATIENT_ID, PLAIN_PATIENT_ID

pytestmark = pytest.mark.fhir_server


def _portal_launch(dev_ehr, app, browser, patient=PLAIN_PATIENT_ID, user=None, **kw):
    launch = dev_ehr.auth.create_launch(patient, user=user or f"Patient/{patient}")
    return browser.get(f"{app.base}/patient/launch?iss={dev_ehr.fhir_base}&launch={launch}", **kw)


def _authorize_query(browser) -> dict[str, str]:
    hop = next(h for h in browser.hops if h.is_redirect and "/oauth/authorize" in h.headers["Location"])
    return query_of(hop.headers["Location"])


def test_portal_launch_asks_for_patient_scopes_with_pkce(dev_ehr, product_app, browser):
    """The authorize request: launch, openid fhirUser, patient-scoped reads incl. Procedure and Specimen, S256."""
    app = product_app()
    resp = _portal_launch(dev_ehr, app, browser, follow=False)
    assert resp.status_code == 302
    q = query_of(resp.headers["Location"])
    assert q["redirect_uri"] == app.base + "/patient/callback"
    assert q["code_challenge_method"] == "S256" and len(q["state"]) >= 21 and q["aud"] == dev_ehr.fhir_base
    assert set(q["scope"].split()) == {
        "launch", "openid", "fhirUser", "online_access", "patient/Observation.rs", "patient/Condition.rs",
        "patient/MedicationRequest.rs", "patient/Procedure.rs", "patient/Specimen.rs", "patient/Patient.rs",
        "patient/MedicationStatement.rs", "patient/MedicationAdministration.rs", "patient/DiagnosticReport.rs"}


def test_portal_launch_shows_the_explanation_and_keeps_tokens_server_side(dev_ehr, product_app, browser):
    """A patient signed in to the portal sees their results in words; no token in a page, URL or cookie."""
    app = product_app()
    page = _portal_launch(dev_ehr, app, browser)
    assert page.status_code == 200, page.text[:400]
    assert "Bea Plain" in page.text and "Your breast cancer test results" in page.text
    assert 'data-statement="subtype.hr-pos-her2-pos"' in page.text
    assert "notice.partial-data" not in page.text        # Procedure and Specimen were read too
    assert "script-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    cookies = {c.name: c for c in browser.session.cookies}
    assert set(cookies) == {"receptor_patient_session"}
    assert cookies["receptor_patient_session"].path == "/patient"
    for hop in browser.hops:
        assert "eyJ" not in hop.text and "access_token" not in hop.headers.get("Location", "")
    css = browser.get(app.base + "/patient/static/patient.css")
    assert css.status_code == 200 and "@media print" in css.text


def test_clinician_signed_in_is_refused(dev_ehr, product_app, browser):
    """The portal page opened by a clinician's sign-in (fhirUser a Practitioner) is refused, not shown."""
    app = product_app()
    page = _portal_launch(dev_ehr, app, browser, user="Practitioner/dev-clinician")
    assert page.status_code == 403 and "This page is for patients" in page.text
    assert "Your breast cancer test results" not in page.text


def test_another_patients_sign_in_is_refused(dev_ehr, product_app, browser):
    """Signed in as one patient with another patient in context: nothing is shown."""
    app = product_app()
    page = _portal_launch(dev_ehr, app, browser, patient=PLAIN_PATIENT_ID, user=f"Patient/{CONVERSION_PATIENT_ID}")
    assert page.status_code == 403 and "does not match" in page.text


def test_standalone_patient_sign_in(dev_ehr, product_app, browser):
    """Standalone: launch/patient; the patient signs in at the EHR and sees their own page."""
    app = product_app()
    browser.get(f"{app.base}/patient/launch?iss={dev_ehr.fhir_base}")
    q = _authorize_query(browser)
    assert "launch/patient" in q["scope"].split() and "launch" not in q
    page = browser.post(dev_ehr.base + "/oauth/authorize",
                        {**q, "decision": "approve", "patient": CONVERSION_PATIENT_ID, "sign_in_as": "patient"})
    assert page.status_code == 200, page.text[:400]
    assert "Ada Conversion" in page.text
    # ER negative / PR positive at relapse (P1): the page asks for review and names no subtype.
    assert 'data-statement="review.intro"' in page.text and 'data-statement="subtype.' not in page.text


def test_launch_without_iss_says_where_to_start(product_app, browser):
    """No iss: a plain page that says to use the portal link, nothing sent anywhere."""
    app = product_app()
    page = browser.get(app.base + "/patient/launch")
    assert page.status_code == 400 and "patient portal" in page.text


def test_session_from_the_clinician_app_does_not_open_the_patient_page(dev_ehr, product_app, browser):
    """The two pages keep separate sessions: a clinician launch's view id is unknown to the patient page."""
    app = product_app()
    launch = dev_ehr.auth.create_launch(PLAIN_PATIENT_ID)
    browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}")
    view = next(h for h in browser.hops if "/smart/app/" in h.headers.get("Location", "")).headers["Location"]
    page = browser.get(app.base + "/patient/app/" + view.rsplit("/", 1)[1].split("#")[0])
    assert page.status_code == 401


def test_patient_signs_out_over_http(dev_ehr, product_app, browser):
    """The page's Sign out button posts to /patient/logout with the page's view: the session and its tokens end
    server-side (the page then answers 'Session ended'), the patient cookie is cleared, and the signed-out page
    says how to come back. A form naming a view that is not one of the session's pages ends nothing."""
    app = product_app()
    page = _portal_launch(dev_ehr, app, browser)
    assert page.status_code == 200, page.text[:400]
    form = re.search(r'<form class="sign-out" method="post" action="([^"]+)">\s*'
                     r'<input type="hidden" name="view" value="([^"]+)">', page.text)
    assert form and form.group(1) == "/patient/logout" and page.url.endswith(f"/patient/app/{form.group(2)}")
    forged = browser.post(f"{app.base}/patient/logout", {"view": "another-sites-guess"})
    assert forged.status_code == 400 and "Sign-out not confirmed" in forged.text
    assert browser.get(page.url).status_code == 200
    out = browser.post(f"{app.base}/patient/logout", {"view": form.group(2)})
    assert out.status_code == 200 and "You have signed out" in out.text
    cleared = out.headers.get("Set-Cookie", "")
    assert "receptor_patient_session=" in cleared and "Max-Age=0" in cleared and "Path=/patient" in cleared
    assert out.headers["Cache-Control"] == "no-store" and "script-src 'none'" in out.headers["Content-Security-Policy"]
    again = browser.get(page.url)
    assert again.status_code == 401 and "Session ended" in again.text
    assert "Your breast cancer test results" not in again.text

