"""The hostile-world tests (issue 8) reuse the CDS service fixtures (signed client, trusted issuers, JWKS)."""
from tests.service.conftest import (  # noqa: F401  (pytest finds fixtures by name in this module)
    cds, epic_key, jwks_server, make_cds, make_settings, sandbox_key, signer,
)
