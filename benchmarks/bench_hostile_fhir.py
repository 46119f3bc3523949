"""What a hostile FHIR server costs one patient-view call, with the product's default limits (issue 8).

    python benchmarks/bench_hostile_fhir.py [drip] [bundle-60mb] [gzip-bomb] [drip-jwks]

Each scenario runs in its own Python process (so peak memory is that call's alone): the app is built with its
default settings, a loopback server plays the FHIR server (or the EHR's JWK Set endpoint), and one patient-view
call without prefetch is made through the Flask test client. Printed per scenario: the HTTP status, the wall
time of the call, and the growth of the process's peak resident memory (ru_maxrss) during the call.

- ``drip``: the receptor search answers with headers at once, then one body byte per second;
- ``bundle-60mb``: the receptor search answers with a 60 MB Bundle;
- ``gzip-bomb``: the receptor search answers with about 300 KB of gzip that decodes to 300 MB;
- ``drip-jwks``: the EHR's JWK Set endpoint answers one byte per second (the call waits on its key).
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = textwrap.dedent('''
    import json, resource, sys, tempfile, time, uuid
    sys.path.insert(0, {root!r})
    from tests.infra.hostile import HostileServer, drip, gzip_bomb, huge, json_reply
    from app import create_app
    from app.config import Settings

    scenario = {scenario!r}
    MB = 1024 * 1024
    with HostileServer() as server:
        base = server.url("/fhir")
        server.routes["/fhir/Patient/p1"] = json_reply({{"resourceType": "Patient", "id": "p1", "gender": "female"}})
        server.default = json_reply({{"resourceType": "Bundle", "type": "searchset", "entry": []}})
        receptors = {{"drip": lambda: drip({{"resourceType": "Bundle", "type": "searchset", "entry": []}}, interval=1.0),
                      "bundle-60mb": lambda: huge(60 * MB),
                      "gzip-bomb": lambda: gzip_bomb(300 * MB)}}.get(scenario)
        if receptors:
            server.routes["/fhir/Observation"] = receptors()
        issuers = {{"https://bench.test": {{"jwks_url": server.url("/jwks.json"), "fhir_servers": [base]}}}}
        if scenario == "drip-jwks":
            server.routes["/jwks.json"] = drip({{"keys": []}}, interval=1.0)
        path = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(issuers, path); path.close()
        auth_off = scenario != "drip-jwks"
        app = create_app(Settings(trusted_issuers_path=path.name, database_url="sqlite://",
                                  state_db=tempfile.mkdtemp() + "/state.sqlite",
                                  cds_auth_disabled=auth_off, public_url="http://bench.test"))
        client = app.test_client()
        headers = {{}}
        if not auth_off:
            from joserfc import jwt
            from joserfc.jwk import ECKey
            key = ECKey.generate_key("P-384", parameters={{"kid": "k1"}})
            now = int(time.time())
            token = jwt.encode({{"alg": "ES384", "typ": "JWT", "kid": "k1", "jku": server.url("/jwks.json")}},
                               {{"iss": "https://bench.test", "aud": "http://bench.test/cds-services/receptor-assessment",
                                "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}}, key, algorithms=["ES384"])
            headers["Authorization"] = "Bearer " + token
        body = {{"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "fhirServer": base,
                "context": {{"userId": "Practitioner/x", "patientId": "p1"}}}}
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.monotonic()
        response = client.post("/cds-services/receptor-assessment", json=body, headers=headers)
        elapsed = time.monotonic() - started
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        text = response.get_data(as_text=True)
        try:
            diagnostics = json.loads(text)["issue"][0]["diagnostics"]
        except Exception:
            diagnostics = ""
        print(json.dumps({{"status": response.status_code, "seconds": round(elapsed, 2), "rss_growth_mb": round(grown / 1024, 1),
                          "message": diagnostics[:160]}}))
''')

SCENARIOS = ("drip", "bundle-60mb", "gzip-bomb", "drip-jwks")


def main(argv: list[str]) -> int:
    chosen = argv or list(SCENARIOS)
    print(f"Python {sys.version.split()[0]}")
    for scenario in chosen:
        if scenario not in SCENARIOS:
            raise SystemExit(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
        done = subprocess.run([sys.executable, "-c", _CHILD.format(root=str(ROOT), scenario=scenario)],
                              capture_output=True, text=True, timeout=900)
        line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        if done.returncode != 0 or not line.startswith("{"):
            print(f"{scenario}: failed ({done.returncode}): {done.stderr.strip()[-400:]}")
            continue
        r = json.loads(line)
        print(f"{scenario}: HTTP {r['status']} after {r['seconds']} s, peak RSS +{r['rss_growth_mb']} MB"
              + (f" ({r['message']})" if r["message"] else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
