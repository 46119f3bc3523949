"""Latency of a signed ``patient-view`` call to ``receptor-assessment`` with full prefetch (Flask test client).

    python benchmarks/bench_hook.py [--runs N]

Three requests: the sample hook ``fixtures/hooks/patient-view-full-prefetch.json``; the whole Synthea record
``fixtures/large/Emiko_Jones_6f867e8e.json`` split into the service's prefetch keys the way an EHR would
answer the discovery templates (codes filtered); and the same record with every Observation in one key (an
EHR that ignores the code filter). Each call carries a fresh ES384 JWT (signed before timing: signing is the
EHR's cost; verifying it is ours and is timed). Prints median and p95 over N runs after one warm-up call.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask  # noqa: E402
from joserfc import jwt  # noqa: E402
from joserfc.jwk import ECKey, KeySet  # noqa: E402

from app.config import Settings  # noqa: E402
from cds_hooks.decision import DecisionConfig  # noqa: E402
from cds_hooks.service import create_cds_blueprint  # noqa: E402
from cds_hooks.decision.reads import CORE_READS  # noqa: E402
from cds_hooks.state import SqliteStateStore  # noqa: E402

PUBLIC_URL = "https://cds.bench.test"
ISS = "https://ehr.bench.test"
PATH = "/cds-services/receptor-assessment"
LARGE = ROOT / "fixtures" / "large" / "Emiko_Jones_6f867e8e.json"
SAMPLE = ROOT / "fixtures" / "hooks" / "patient-view-full-prefetch.json"


def _searchset(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources]}


def _has_code(resource: dict, codes: tuple[tuple[str, str], ...]) -> bool:
    wanted = set(codes)
    return any((c.get("system"), c.get("code")) in wanted for c in (resource.get("code") or {}).get("coding") or [])


def _to_relative(record: dict) -> list[dict]:
    """Synthea references are urn:uuid; an EHR's FHIR API answers with Type/id references."""
    text = json.dumps([e["resource"] for e in record["entry"]])
    for e in record["entry"]:
        r = e["resource"]
        text = text.replace(f'"{e["fullUrl"]}"', f'"{r["resourceType"]}/{r["id"]}"')
    return json.loads(text)


def large_request(filtered: bool) -> dict:
    resources = _to_relative(json.loads(LARGE.read_text(encoding="utf-8")))
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    obs = [r for r in resources if r["resourceType"] == "Observation"]
    prefetch: dict = {"patient": patient}
    for read in CORE_READS:            # every key the discovery templates declare
        if read.instance:
            continue
        found = [r for r in resources if r["resourceType"] == read.resource_type]
        if read.resource_type == "Observation" and not filtered:
            found = obs if read.key == "receptorObservations" else []
        elif read.codes:
            found = [r for r in found if _has_code(r, read.codes)]
        prefetch[read.key] = _searchset(found)
    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/bench", "patientId": patient["id"]}, "prefetch": prefetch}


def build_client(workdir: Path, key: ECKey) -> flask.testing.FlaskClient:
    issuers = workdir / "issuers.json"
    issuers.write_text(json.dumps({ISS: {"jwks": KeySet([key]).as_dict(private=False), "fhir_servers": [],
                                         "cors_origins": []}}))
    settings = Settings(public_url=PUBLIC_URL, trusted_issuers_path=str(issuers),
                        database_url=f"sqlite:///{workdir / 'feedback.sqlite'}")
    app = flask.Flask("receptor-cds-bench")
    state = SqliteStateStore(workdir / "state.sqlite")
    app.register_blueprint(create_cds_blueprint(settings.service_settings(), state=state,
                                                decision_config=DecisionConfig(today=date(2026, 11, 1))))
    return app.test_client()


def token(key: ECKey) -> str:
    now = int(time.time())
    return jwt.encode({"alg": "ES384", "typ": "JWT", "kid": "bench-1"},
                      {"iss": ISS, "aud": PUBLIC_URL + PATH, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())},
                      key, algorithms=["ES384"])


def bench(client, key: ECKey, body: dict, runs: int) -> tuple[float, float, int, int]:
    data = json.dumps(body)
    tokens = [token(key) for _ in range(runs + 1)]
    times, cards = [], 0
    for i, tok in enumerate(tokens):
        started = time.perf_counter()
        resp = client.post(PATH, data=data, content_type="application/json", headers={"Authorization": f"Bearer {tok}"})
        elapsed = time.perf_counter() - started
        if resp.status_code != 200:
            raise SystemExit(f"service answered {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
        cards = len(resp.get_json()["cards"])
        if i:  # first call is the warm-up
            times.append(elapsed)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    return statistics.median(times) * 1000, p95 * 1000, cards, len(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    key = ECKey.generate_key("P-384", parameters={"kid": "bench-1", "alg": "ES384"})
    with tempfile.TemporaryDirectory() as tmp:
        client = build_client(Path(tmp), key)
        cases = [("sample hook (fixtures/hooks/patient-view-full-prefetch.json)", json.loads(SAMPLE.read_text())),
                 ("Emiko Jones whole record, prefetch filtered by code", large_request(filtered=True)),
                 ("Emiko Jones whole record, every Observation prefetched", large_request(filtered=False))]
        print(f"Python {sys.version.split()[0]}; {args.runs} timed calls per request")
        for label, body in cases:
            median, p95, cards, size = bench(client, key, body, args.runs)
            print(f"{label}: request {size / 1024:.0f} KiB, {cards} cards: median {median:.1f} ms, p95 {p95:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
