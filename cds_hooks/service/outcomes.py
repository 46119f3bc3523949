"""Errors the service answers with, as FHIR OperationOutcomes.

Every 4xx carries an OperationOutcome with a specific message (CH3 makes this a SHOULD;
doing it in 2.0 is harmless, checklist 1J.57) so an integrator can see what to fix
without reading our logs. 401s are the exception: no detail (CHBP §JWT).
"""
from __future__ import annotations

from typing import Any


def operation_outcome(message: str, *, code: str = "invalid", severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": message}],
    }


class ServiceError(Exception):
    """A request we refuse, with the HTTP status and the OperationOutcome issue code to send."""

    def __init__(self, status: int, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    def body(self) -> dict[str, Any]:
        return operation_outcome(self.message, code=self.code)
