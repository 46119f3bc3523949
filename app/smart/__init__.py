"""The SMART on FHIR app: EHR and standalone launch, and the patient's receptor page.

``create_smart_blueprint(settings, state)`` returns a Flask blueprint mounted at ``/smart``:

- ``/smart/launch``: EHR launch (``iss`` + ``launch``) or standalone launch (``iss`` only, or a
  list of allow-listed FHIR servers to start from);
- ``/smart/callback``: the registered ``redirect_uri`` (``{public_url}/smart/callback``);
- ``/smart/app/<view>``: the receptor page of one launch (``#<topic>`` focuses a section);
- ``/smart/.well-known/jwks.json``: the app's public keys for ``private_key_jwt``.
"""
from __future__ import annotations

from flask import Blueprint

from app.config import Settings
from cds_hooks.decision import DecisionConfig
from cds_hooks.state import StateStore

__all__ = ["create_smart_blueprint"]


def create_smart_blueprint(settings: Settings, state: StateStore, *,
                           decision_config: DecisionConfig | None = None) -> Blueprint:
    """``state`` holds the sessions, pending launches and refresh locks, shared by every worker and
    instance, so a callback or a page load may land on any of them."""
    from .views import build_blueprint
    return build_blueprint(settings, state, decision_config=decision_config)
