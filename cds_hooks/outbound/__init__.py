"""Outbound HTTP with limits: every read the product makes of someone else's server (a FHIR server, an EHR's
JWK Set, SMART discovery and token endpoints) ends by an absolute deadline and holds at most a capped number of
decoded bytes, whatever the server does (drips one byte a second, sends 60 MB, or a gzip bomb).

Holds ``bounded_session``/``BoundedAdapter`` and their errors. May import only ``requests`` and ``urllib3``;
everything in the product that reads over HTTP imports from here, never the other way round.
"""
from .bounded import (BoundedAdapter, DeadlineExceeded, OutboundLimitError, ResponseTooLarge, UnsupportedEncoding,
                      bounded_session)

__all__ = ["BoundedAdapter", "DeadlineExceeded", "OutboundLimitError", "ResponseTooLarge", "UnsupportedEncoding",
           "bounded_session"]
