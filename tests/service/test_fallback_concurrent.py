"""The no-prefetch fallback asks the FHIR server for every key at once (issue 9), under the call's one budget.

Told by the order of events, never by timing: the scripted server holds each search until all of them have
arrived (a barrier); a client asking one after the other never gets there and the barrier breaks. The answer
is assembled in template order whatever order the replies come in, and the byte cap for the whole call still
holds when the reads run side by side.
"""
from __future__ import annotations

import threading
import time
import uuid

from cds_hooks.service.hook_request import HookRequest
from cds_hooks.service.prefetch import gather
from tests.infra.hostile import HostileServer, huge, json_reply

KEYS = {"first": "Observation?patient={{context.patientId}}&code=http://loinc.org|85337-4",
        "second": "Condition?patient={{context.patientId}}",
        "third": "MedicationRequest?patient={{context.patientId}}",
        "fourth": "Specimen?patient={{context.patientId}}"}
TYPES = {"first": "Observation", "second": "Condition", "third": "MedicationRequest", "fourth": "Specimen"}


def _request(server: HostileServer) -> HookRequest:
    return HookRequest(hook="patient-view", hook_instance=str(uuid.uuid4()), context={"patientId": "p1"},
                       patient_id="p1", prefetch=None, fhir_server=server.url("/fhir"), access_token="secret-token")


def _searchset(rtype: str, n: int) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": rtype, "id": f"{rtype.lower()}-{i}", "subject": {"reference": "Patient/p1"}},
         "search": {"mode": "match"}} for i in range(n)]}


def _held_until_all_arrive(barrier: threading.Barrier, reply, delay: float = 0.0):
    def behave(handler) -> None:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        time.sleep(delay)
        reply(handler)
    return behave


def _gather(server: HostileServer, required: tuple[str, ...] = ("first",), **caps):
    return gather(_request(server), KEYS, required, fhir_server=server.url("/fhir"), connect_timeout=1.0,
                  read_timeout=10.0, budget_seconds=15.0, max_pages=5, caps=caps or None)


def test_every_key_is_asked_for_at_once_and_the_answer_keeps_template_order():
    barrier = threading.Barrier(len(KEYS), timeout=8)
    with HostileServer() as server:
        # Replies come back in reverse template order: the first key's answer is the last to be sent.
        for i, (key, rtype) in enumerate(TYPES.items()):
            server.routes[f"/fhir/{rtype}"] = _held_until_all_arrive(
                barrier, json_reply(_searchset(rtype, 2 + i)), delay=0.3 * (len(KEYS) - i))
        data = _gather(server)
    assert not barrier.broken, "the searches were not in flight together"
    assert data.fetched_keys == list(KEYS)
    assert [r["resourceType"] for r in data.resources] == [t for i, t in enumerate(TYPES.values()) for _ in range(2 + i)]
    assert [data.searched[k][1] for k in KEYS] == [2, 3, 4, 5]
    assert data.gaps == []


def test_the_call_byte_cap_holds_across_reads_running_together():
    """Four answers of 400 KB read side by side against a 1 MB cap for the whole call: those read in full add up
    to no more than the cap, and the others are gaps naming the call's cap."""
    barrier = threading.Barrier(len(KEYS), timeout=8)
    size = 400 * 1024
    with HostileServer() as server:
        for rtype in TYPES.values():
            server.routes[f"/fhir/{rtype}"] = _held_until_all_arrive(barrier, huge(size, declare_length=False))
        data = _gather(server, (), max_response_bytes=1024 * 1024, max_call_bytes=1024 * 1024)
    read_in_full = [k for k in KEYS if k in data.fetched_keys]
    assert len(read_in_full) * size <= 1024 * 1024
    gaps = {g.key: g.reason for g in data.gaps}
    assert set(gaps) == set(KEYS) - set(read_in_full) and gaps
    assert all("cap" in reason for reason in gaps.values()), gaps
