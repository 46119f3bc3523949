"""The CDS Hooks 2.0 service: discovery, ``receptor-assessment`` (patient-view), ``receptor-order-select``
(order-select) and ``receptor-order-sign`` (order-sign), feedback, EHR JWT verification, CORS.

``create_cds_blueprint(settings, state=...)`` is the one entry point (``settings``: a ``ServiceSettings``;
``state``: the shared ``cds_hooks.state`` store holding the replay cache); ``app.create_app`` registers it.
"""
from .blueprint import create_cds_blueprint
from .issuers import TrustedIssuersError

__all__ = ["create_cds_blueprint", "TrustedIssuersError"]
