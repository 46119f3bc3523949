"""Two ``receptor-cds serve`` instances behind a round-robin proxy, sharing a real Redis (state) and a real
PostgreSQL (feedback), as a deployment of several instances runs.

- A token accepted by one instance is refused when replayed to the other (the replay cache is shared).
- 32 concurrent feedback writers, through the proxy to both instances, lose nothing and duplicate nothing.

(The SMART launch whose callback lands on the other instance is in ``tests/smart/test_two_instances.py``,
beside the development EHR it needs.)
"""
from __future__ import annotations

import json
import secrets
import threading
import urllib.request
import uuid
from typing import Iterator

import pytest
from joserfc.jwk import ECKey

from tests.test_serve import Served

from .proxy import RoundRobinProxy

pytestmark = pytest.mark.fhir_server   # starts real server processes


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, redis_server, postgres_server) -> Iterator[tuple[RoundRobinProxy, list[Served]]]:
    """proxy -> [instance 0, instance 1]; one worker each, Redis state, PostgreSQL feedback."""
    key = ECKey.generate_key("P-384", parameters={"kid": "k1", "alg": "ES384"}, private=True)
    instances: list[Served] = []
    proxy = RoundRobinProxy([])
    env = {"RECEPTOR_CDS_REDIS_URL": redis_server.url, "RECEPTOR_CDS_DATABASE_URL": postgres_server.url(),
           "RECEPTOR_CDS_SECRET_KEY": secrets.token_urlsafe(32)}    # one key for every instance of a store
    try:
        for i in range(2):   # started side by side, then waited for
            instances.append(Served(tmp_path_factory.mktemp(f"instance{i}"), workers=1, public_url=proxy.base,
                                    key=key, env=env, wait=False))
        for served in instances:
            served.wait_ready()
        proxy.backends = [("127.0.0.1", s.port) for s in instances]
        yield proxy, instances
    finally:
        proxy.stop()
        for served in instances:
            served.terminate()
        for served in instances:
            served.wait_stopped()


def test_a_token_replayed_to_the_other_instance_is_refused(cluster):
    """The same signed discovery call twice through the proxy: the first instance answers 200, the other
    refuses the replay with 401, and the proxy shows the two calls went to different instances."""
    proxy, (one, _) = cluster
    token = one.token("/cds-services")
    first_route = len(proxy.routed)
    first = one._open(urllib.request.Request(
        proxy.base + "/cds-services", headers={"Authorization": f"Bearer {token}"}), 10)
    again = one._open(urllib.request.Request(
        proxy.base + "/cds-services", headers={"Authorization": f"Bearer {token}"}), 10)
    assert first[0] == 200
    assert again[0] == 401
    assert json.loads(again[1])["resourceType"] == "OperationOutcome"
    assert proxy.routed[first_route] != proxy.routed[first_route + 1], proxy.routed
    # A fresh token is still accepted by that other instance: the refusal was the replay, nothing else.
    fresh = one._open(urllib.request.Request(
        proxy.base + "/cds-services", headers={"Authorization": f"Bearer {one.token('/cds-services')}"}), 10)
    assert fresh[0] == 200


def test_32_concurrent_feedback_writers_across_two_instances_lose_and_duplicate_nothing(cluster, postgres_server):
    """32 writers at once, half landing on each instance: each sends 3 outcomes of its own and the same 2
    outcomes as every other writer (an EHR resending). PostgreSQL ends with exactly 32 x 3 + 2 rows."""
    from sqlalchemy import create_engine, text

    proxy, (one, _) = cluster
    path = "/cds-services/receptor-assessment/feedback"
    shared = [{"card": str(uuid.uuid4()), "outcome": "accepted", "outcomeTimestamp": "2026-11-28T10:00:00Z",
               "acceptedSuggestions": [{"id": str(uuid.uuid4())}]},
              {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-11-28T10:00:01Z",
               "overrideReason": {"reason": {"system": "http://example.org/reasons", "code": "not-relevant",
                                             "display": "Not relevant"}}}]
    own = {w: [{"card": str(uuid.uuid4()), "outcome": "accepted", "outcomeTimestamp": f"2026-11-28T11:00:{s:02d}Z",
                "acceptedSuggestions": [{"id": str(uuid.uuid4())}]} for s in range(3)] for w in range(32)}
    cards = {f["card"] for f in shared} | {f["card"] for items in own.values() for f in items}
    start = threading.Barrier(32)
    statuses: list[int] = []
    first_route = len(proxy.routed)

    def writer(w: int) -> None:
        token = one.token(path)
        start.wait(timeout=30)
        status, _ = one.post(path, {"feedback": own[w] + shared}, {"Authorization": f"Bearer {token}"}, timeout=60)
        statuses.append(status)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert statuses == [200] * 32
    routed = proxy.routed[first_route:]
    assert routed.count(0) == routed.count(1) == 16
    engine = create_engine(postgres_server.url())
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT card_uuid, outcome, outcome_timestamp FROM cds_feedback")).all()
    engine.dispose()
    ours = [r for r in rows if r.card_uuid in cards]
    assert len(ours) == 32 * 3 + 2
    assert len(set(ours)) == len(ours)
    assert {r.card_uuid for r in ours} == cards
