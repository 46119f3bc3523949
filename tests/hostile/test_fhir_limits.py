"""Every FHIR read ends by its deadline and holds at most a capped number of decoded bytes and entries (issue 8).

An attack run held a hook call 49 s with a FHIR server dripping one byte a second, took +234 MB for a 60 MB
Bundle and +262 MB for a 300 KB gzip bomb. These tests aim the same hostile servers (real loopback sockets) at
the FHIR client and at the service, with deadlines and caps set small for the test.
"""
from __future__ import annotations

import time
import tracemalloc
import uuid

import pytest

from cds_hooks.fhir_client import FhirClient, FhirTooLarge, FhirUnavailable
from tests.infra.hostile import HostileServer, bundle_of, drip, drip_headers, gzip_bomb, huge, json_reply

from .conftest import *  # noqa: F403  (fixtures)

MB = 1024 * 1024
SMALL = bundle_of(3)
ASSESS = "/cds-services/receptor-assessment"


def _client(server: HostileServer, **kw) -> FhirClient:
    return FhirClient(server.url("/fhir"), "secret-token", connect_timeout=1.0, read_timeout=5.0, **kw)


@pytest.mark.parametrize("behaviour", [
    drip(SMALL, interval=0.25),                                # the body, one byte every 0.25 s (~90 s)
    drip_headers(SMALL, interval=0.25, seconds=8.0),           # the headers, one byte every 0.25 s for 8 s
], ids=["body", "headers"])
def test_a_dripping_server_is_cut_off_at_the_deadline(behaviour):
    """No read waits longer than the read timeout, yet the call ends at its 1 s deadline, not when the server
    is done."""
    with HostileServer() as server:
        server.routes["/fhir/Observation"] = behaviour
        started = time.monotonic()
        with pytest.raises(FhirUnavailable, match="time budget"):
            with _client(server, deadline=time.monotonic() + 1.0) as client:
                client.search("Observation", {"patient": "p1"})
        elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"held {elapsed:.1f} s past a 1 s deadline"


def test_without_a_deadline_each_request_still_ends_after_connect_plus_read_timeout():
    """A client built without a deadline (each request on its own) is cut off after connect + read timeout."""
    with HostileServer() as server:
        server.routes["/fhir/Patient/p1"] = drip({"resourceType": "Patient", "id": "p1"}, interval=0.25)
        started = time.monotonic()
        with pytest.raises(FhirUnavailable):
            with FhirClient(server.url("/fhir"), connect_timeout=0.5, read_timeout=1.0) as client:
                client.read("Patient", "p1")
        assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "no-length"])
def test_a_huge_bundle_is_refused_at_the_cap_without_holding_it(declare_length):
    """A 20 MB Bundle against a 1 MB cap: refused naming the cap, and never held in memory (declared length:
    refused unread; undeclared: reading stops at the cap)."""
    with HostileServer() as server:
        server.routes["/fhir/Observation"] = huge(20 * MB, declare_length=declare_length)
        tracemalloc.start()
        try:
            with pytest.raises(FhirTooLarge, match="1 MB"):
                with _client(server, deadline=time.monotonic() + 20, max_response_bytes=MB) as client:
                    client.search("Observation", {"patient": "p1"})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * MB, f"peak traced memory {peak / MB:.1f} MB"


def test_a_gzip_bomb_never_decodes_past_the_cap():
    """A gzip body that decodes to 64 MB (about 64 KB on the wire) against a 1 MB cap: refused naming the cap,
    with decoding stopped there."""
    with HostileServer() as server:
        server.routes["/fhir/Observation"] = gzip_bomb(64 * MB)
        tracemalloc.start()
        try:
            with pytest.raises(FhirTooLarge, match="1 MB"):
                with _client(server, deadline=time.monotonic() + 20, max_response_bytes=MB) as client:
                    client.search("Observation", {"patient": "p1"})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * MB, f"peak traced memory {peak / MB:.1f} MB"


def test_a_small_gzip_answer_is_read_as_usual():
    """Compression itself is fine: a gzip-encoded Bundle under the cap is decoded and read."""
    import gzip
    import json
    data = gzip.compress(json.dumps(bundle_of(5)).encode())

    def behave(handler):
        handler.send_response(200)
        for name, value in (("Content-Type", "application/fhir+json"), ("Content-Encoding", "gzip"),
                            ("Content-Length", str(len(data))), ("Connection", "close")):
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
    with HostileServer() as server:
        server.routes["/fhir/Observation"] = behave
        with _client(server, deadline=time.monotonic() + 5, max_response_bytes=MB) as client:
            assert len(client.search("Observation", {"patient": "p1"})) == 5


def test_bytes_of_all_answers_of_a_call_are_capped_together():
    """Two 600 KB answers under a 1 MB cap per call: the first is read, the second refused naming the call cap."""
    with HostileServer() as server:
        server.routes["/fhir/Observation"] = json_reply(bundle_of(60, text_size=10_000))
        with _client(server, deadline=time.monotonic() + 10, max_response_bytes=MB, max_call_bytes=MB) as client:
            assert len(client.search("Observation", {"patient": "p1"})) == 60
            with pytest.raises(FhirTooLarge, match="all answers of this call"):
                client.search("Observation", {"patient": "p1"})


def test_entries_are_capped_per_answer_and_per_call():
    """A page of 50 entries over a cap of 40 per answer is refused; pages of 30 pass until 70 per call is passed."""
    with HostileServer() as server:
        server.routes["/fhir/Observation"] = json_reply(bundle_of(50))
        server.routes["/fhir/Condition"] = json_reply(bundle_of(30))
        with _client(server, deadline=time.monotonic() + 10, max_entries_per_response=40,
                     max_entries_per_call=70) as client:
            with pytest.raises(FhirTooLarge, match="50 entries, more than the cap of 40"):
                client.search("Observation", {"patient": "p1"})
            client.search("Condition", {"patient": "p1"})
            client.search("Condition", {"patient": "p1"})
            with pytest.raises(FhirTooLarge, match="cap of 70 entries"):
                client.search("Condition", {"patient": "p1"})


# ---- through the service: a 412 or a data-gap card naming the limit, promptly ---------------------------------

def _patient_view(base: str) -> dict:
    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "fhirServer": base,
            "context": {"userId": "Practitioner/p1", "patientId": "p1"}}


def _hostile_chart(receptors) -> HostileServer:
    server = HostileServer()
    server.routes["/fhir/Patient/p1"] = json_reply({"resourceType": "Patient", "id": "p1", "gender": "female"})
    server.routes["/fhir/Observation"] = receptors
    server.default = json_reply({"resourceType": "Bundle", "type": "searchset", "entry": []})
    return server


def test_a_dripping_fhir_server_gives_a_prompt_412_naming_the_time_budget(make_cds):
    """The receptor search drips: the hook call answers 412 (receptor data could not be had) about 1 s after
    the start, its message saying the server did not answer within the time budget."""
    with _hostile_chart(drip(SMALL, interval=0.25)) as server:
        client = make_cds([server.url("/fhir")], fhir_total_budget=1.0)
        started = time.monotonic()
        response = client.post(ASSESS, _patient_view(server.url("/fhir")))
        elapsed = time.monotonic() - started
    assert response.status_code == 412
    assert "in time" in response.get_json()["issue"][0]["diagnostics"]
    assert elapsed < 3.0, f"the call took {elapsed:.1f} s with a 1 s budget"


def test_a_gzip_bomb_from_the_fhir_server_gives_a_412_naming_the_cap(make_cds):
    """A gzip bomb as the receptor search answer: 412 whose message names the cap that stopped it."""
    with _hostile_chart(gzip_bomb(64 * MB)) as server:
        client = make_cds([server.url("/fhir")], fhir_max_response_bytes=MB)
        response = client.post(ASSESS, _patient_view(server.url("/fhir")))
    assert response.status_code == 412
    assert "cap of 1 MB" in response.get_json()["issue"][0]["diagnostics"]
