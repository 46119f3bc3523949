"""FHIR Bulk Data Access (``$export``) and SMART Backend Services: getting a population's data from a server.

- ``export.py``: ``BulkExportClient``: kick-off (system or Group level, ``_type``, ``_since``) with
  ``Prefer: respond-async``, status polling that honours ``Retry-After`` and shows ``X-Progress``, streaming the
  NDJSON files to disk with deadlines and size caps, and files that appear only once complete.
- ``backend_services.py``: ``BackendServicesAuth``: an access token by the OAuth client-credentials grant with a
  ``private_key_jwt`` client assertion (RS384 or ES384), renewed before it expires.

Why here, in the library, and not under ``app/``: like ``cds_hooks.fhir_client`` this is FHIR access that any
part may reuse (the population audit today; a service fetching with its own system credentials tomorrow), it
has no Flask, no command line and no knowledge of what the data is for, and it shares the FHIR client's error
types and URL redaction. The audit command (``app.audit``) uses it; nothing here imports ``app``.

May import: ``cds_hooks.fhir_client``, ``requests``, ``joserfc``, the standard library.
"""
from .backend_services import BackendCredentials, BackendServicesAuth, BackendServicesError, system_read_scope
from .export import BulkExportClient, BulkExportError, ExportLimits, Manifest, ManifestFile

__all__ = ["BackendCredentials", "BackendServicesAuth", "BackendServicesError", "BulkExportClient",
           "BulkExportError", "ExportLimits", "Manifest", "ManifestFile", "system_read_scope"]
