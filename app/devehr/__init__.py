"""A small DEVELOPMENT EHR: demo and test infrastructure for Receptor CDS, never a production EHR.

It plays the EHR side of both standards against the real product on loopback: a patient list
read from a real FHIR server, charts that fire signed CDS Hooks calls with prefetch resolved the
way a real EHR does, and real SMART EHR launches through an authorization server built from
authlib's components (``auth_server.py``) in front of the real FHIR server (``fhir_proxy.py``).
``receptor-cds demo`` and the browser test run it; nothing in the product depends on it.
"""
from __future__ import annotations

from flask import Flask

from .settings import DevEhrConfig
from .signing import EhrSigner

__all__ = ["DevEhrConfig", "EhrSigner", "create_devehr_app"]


def create_devehr_app(config: DevEhrConfig) -> Flask:
    """The dev EHR as one Flask app: UI + JWKS, SMART authorization server, ``/fhir`` pass-through."""
    from .auth_server import AuthServerConfig, init_auth_server
    from .fhir_proxy import create_fhir_proxy_blueprint
    from .patients import list_patients
    from .signing import fhir_access_token
    from .views import create_devehr_blueprint

    signer = config.signer or EhrSigner(config.base_url.rstrip("/"), config.jwks_url)
    flask_app = Flask(__name__)

    def picker_patients() -> list[tuple[str, str]]:
        token = fhir_access_token(config.smart_secret, config.fhir_base, scope="user/Patient.rs", client_id="devehr")
        return [(row.id, row.name) for row in list_patients(config.fhir_upstream, token, {})]

    auth = init_auth_server(flask_app, AuthServerConfig(ehr_base_url=config.base_url, smart_secret=config.smart_secret,
                                                        clients=tuple(config.smart_clients),
                                                        patient_lister=picker_patients))
    flask_app.register_blueprint(create_fhir_proxy_blueprint(config.fhir_upstream))
    flask_app.register_blueprint(create_devehr_blueprint(
        config, signer, lambda patient, app_context, user=None: auth.create_launch(patient, app_context, user=user)))
    flask_app.extensions["devehr_signer"] = signer
    return flask_app
