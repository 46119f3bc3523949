"""Sign-out and the idle timeout of the SMART app's sessions (issue 8: no logout, 8 hours fixed)."""
from __future__ import annotations

import re

from .patients import PLAIN_PATIENT_ID


def _launched_page(dev_ehr, product_app, browser, **settings):
    app = product_app(**settings)
    launch = dev_ehr.auth.create_launch(PLAIN_PATIENT_ID)
    page = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}")
    assert page.status_code == 200, page.text[:500]
    return app, page


def test_sign_out_ends_the_session_and_the_page_with_it(dev_ehr, product_app, browser):
    """The page's Sign out button ends the session server-side and clears the cookie: the page then answers
    'Session ended'. A sign-out form not from one of the session's pages ends nothing."""
    app, page = _launched_page(dev_ehr, product_app, browser)
    view = re.search(r'name="view" value="([^"]+)"', page.text).group(1)
    forged = browser.post(f"{app.base}/smart/logout", {"view": "another-sites-guess"})
    assert forged.status_code == 400
    assert browser.get(page.url).status_code == 200
    out = browser.post(f"{app.base}/smart/logout", {"view": view})
    assert out.status_code == 200 and "Signed out" in out.text
    assert "smart" in out.headers.get("Set-Cookie", "") and "Max-Age=0" in out.headers["Set-Cookie"]
    again = browser.get(page.url)
    assert again.status_code == 401 and "Session ended" in again.text
