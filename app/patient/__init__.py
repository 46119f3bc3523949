"""The patient page: the clinician's receptor assessment explained to the patient in plain words.

Holds the explanation builder (``explain``: Assessment in, statement ids out), the one renderer
(``render``, with the inline-SVG picture in ``picture`` and the gettext catalogs in ``locale/``),
the ``/patient`` blueprint for the patient-portal SMART launch (``views``) and the printed handout
behind ``receptor-cds explain`` (``handout``). May import ``app.config``, ``app.smart`` (the shared
SMART launch flow and FHIR reads) and ``cds_hooks``; nothing imports it but the app factory and the CLI.
"""
from __future__ import annotations

__all__ = ["create_patient_blueprint"]


def create_patient_blueprint(settings, state):  # type: ignore[no-untyped-def]
    """``state``: the shared state store holding the launch sessions (``cds_hooks.state``)."""
    from .views import build_blueprint
    return build_blueprint(settings, state)
