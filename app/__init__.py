"""Receptor CDS web application: the CDS Hooks service and the SMART on FHIR app in one Flask app."""
from __future__ import annotations

from flask import Flask, Response

from cds_hooks.decision import DecisionConfig

from .config import Settings


def create_app(settings: Settings | None = None, *, decision_config: DecisionConfig | None = None) -> Flask:
    """Application factory (the Flask tutorial's shape): configuration in, app out.

    ``decision_config`` (tests only: e.g. a pinned ``today``) reaches the CDS service and the SMART page;
    the default is the decision core's defaults with today's date."""
    settings = settings or Settings.from_env()
    flask_app = Flask(__name__)
    flask_app.config["RECEPTOR_SETTINGS"] = settings
    flask_app.config["SECRET_KEY"] = settings.secret_key

    from cds_hooks.service import create_cds_blueprint
    flask_app.register_blueprint(create_cds_blueprint(settings, decision_config=decision_config))

    from .smart import create_smart_blueprint
    flask_app.register_blueprint(create_smart_blueprint(settings, decision_config=decision_config))

    from .patient import create_patient_blueprint
    flask_app.register_blueprint(create_patient_blueprint(settings))

    @flask_app.get("/favicon.ico")
    def _favicon():
        # Browsers ask for it on every page load; no icon is shipped, so answer "no content" (cached for a day)
        # rather than a 404 on every page.
        return Response(status=204, headers={"Cache-Control": "public, max-age=86400"})

    @flask_app.after_request
    def _baseline_headers(resp):
        # Answers outside the SMART pages (CDS Hooks JSON, a 404 at the root, /favicon.ico) get a
        # locked-down baseline; the SMART blueprint sets its own, stricter-where-needed policy.
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        return resp

    return flask_app
