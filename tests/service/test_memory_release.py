"""After a very large hook call the worker gives its freed memory back (cds_hooks.service.memory, issue 9).

Resident memory itself is measured by the benchmark (benchmarks/load.py), never here; these tests check the
wiring: a body of at least TRIM_AFTER_BYTES is followed by one release once the answer has been sent, an
ordinary call by none, and the release itself works on this platform."""
from __future__ import annotations

import copy
import json
import sys

import pytest

from cds_hooks.service import blueprint, memory

from .conftest import hook_fixture


def test_release_runs_here():
    if not sys.platform.startswith("linux"):
        pytest.skip("malloc_trim is glibc's")
    assert memory._TRIM is not None
    assert memory.release_freed_memory() in (True, False)


def _padded(size: int) -> dict:
    body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
    entries = body["prefetch"]["conditions"].setdefault("entry", [])
    filler = "x" * 1000
    patient = body["context"]["patientId"]
    for n in range(size // len(filler) + 1):          # each entry carries more than the filler's bytes
        entries.append({"resource": {"resourceType": "Condition", "id": f"pad-{n}",
                                     "subject": {"reference": f"Patient/{patient}"}, "note": [{"text": filler}]}})
    assert len(json.dumps(body)) > size
    return body


@pytest.mark.parametrize("large", [False, True])
def test_a_large_call_is_followed_by_one_release(cds, monkeypatch, large):
    calls = []
    monkeypatch.setattr(blueprint, "release_freed_memory", lambda: calls.append(1) or True)
    body = _padded(memory.TRIM_AFTER_BYTES + 1000) if large else hook_fixture("patient-view-full-prefetch")
    response = cds.post("/cds-services/receptor-assessment", body)
    assert response.status_code == 200
    response.close()
    assert len(calls) == (1 if large else 0)
