"""Load benchmark of the patient-view service against the floor of the same server stack (issue 9).

    python benchmarks/load.py [--duration SECONDS] [--quick]

In one run, on 127.0.0.1 only, stopping everything it started:

1. builds the realistic record (``benchmarks/record.py``: 278 resources, about 340 KB as prefetch);
2. starts the product exactly as a user does (``receptor-cds serve``, default options; real ES384 JWT
   verification against a trusted-issuers file) and the floor (``benchmarks/floor.py``: a Flask endpoint on
   the same server stack that reads the body and answers the product's own answer as constant bytes);
3. drives both with ``wrk`` (Debian package) at 1, 16 and 64 concurrent callers, alternating product and
   floor at each level; every product request carries a fresh pre-signed JWT (``benchmarks/hook.lua``
   reads the token list), so the replay cache and the signature check run as in production;
4. reads each server's CPU (utime + stime of its whole process tree) from ``/proc`` around each run;
5. times the no-prefetch fallback against sekmet (the same queries sent straight to sekmet, sequentially,
   are the FHIR server's own time);
6. measures in-process CPU per call (the whole request path through the Flask app, JWT included) for the
   record and for the 2,974-entry Synthea record, the slope per Observation, and the server's RSS after
   one 10,000-Observation call;
7. prints a table with the ratios and the issue's targets, and the machine's load average.

Figures on a shared machine are noisy: each is a median, and the load average is printed with them.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from benchmarks.record import PATIENT_ID, build_record, hook_request  # noqa: E402

PATH = "/cds-services/receptor-assessment"
ISS = "https://ehr.bench.test"
KID = "bench-1"
LUA = Path(__file__).resolve().parent / "hook.lua"
LARGE = ROOT / "fixtures" / "large" / "Emiko_Jones_6f867e8e.json"
TICKS = os.sysconf("SC_CLK_TCK")

# The "10,000-Observation" record: 9,995 receptor results + 5 Ki-67 fill the receptor key with exactly 10,000
# resources (serve's default cap per prefetch key), and the record holds 10,006 Observations in all.
BIG = 9995

TARGETS = {   # issue 9
    "cpu_ms_record": 8.0, "cpu_ms_synthea": 20.0, "p95_ms_16": 100.0, "share_16": 0.10,
    "fallback_ratio": 1.3, "rss_mb": 150.0, "slope_ms": 0.03,
}


# ---------------------------------------------------------------------- processes and /proc

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def process_tree(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and every live descendant (gunicorn workers included)."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat", "rb") as fh:
                fields = fh.read().decode().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])        # utime, stime (fields 14 and 15 of stat)
    return total / TICKS


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def free_port() -> int:
    from app.fhir_server import free_port as _free
    return _free()


def wait_listening(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before answering {url}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# ---------------------------------------------------------------------- tokens

_KEY: Any = None


def _init_signer(jwk: dict) -> None:
    global _KEY
    from joserfc.jwk import ECKey
    _KEY = ECKey.import_key(jwk)


def _sign(args: tuple[str, int]) -> list[str]:
    from joserfc import jwt
    audience, count = args
    now = int(time.time())
    return [jwt.encode({"alg": "ES384", "typ": "JWT", "kid": KID},
                       {"iss": ISS, "aud": audience, "iat": now, "exp": now + 900, "jti": secrets.token_hex(16)},
                       _KEY, algorithms=["ES384"]) for _ in range(count)]


class Tokens:
    """Fresh ES384 tokens, signed in two processes (signing is the EHR's cost, not ours: never timed)."""

    def __init__(self, key: Any) -> None:
        self.pool = ProcessPoolExecutor(2, initializer=_init_signer, initargs=(key.as_dict(private=True),))

    def sign(self, audience: str, count: int) -> list[str]:
        chunks = [(audience, count // 8 + 1)] * 8
        return [t for part in self.pool.map(_sign, chunks) for t in part][:count]

    def close(self) -> None:
        self.pool.shutdown()


# ---------------------------------------------------------------------- wrk

@dataclass
class Run:
    label: str
    connections: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    cpu_s: float
    ran_out: int

    @property
    def cpu_ms_per_call(self) -> float:
        return self.cpu_s / self.requests * 1000 if self.requests else float("nan")


def wrk(url: str, connections: int, duration: float, body_file: Path, token_file: Path, server_pid: int,
        label: str) -> Run:
    threads = 1 if connections == 1 else 2
    cpu0 = tree_cpu_seconds(server_pid)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration:.0f}s",
                          "--timeout", "30s", "-s", str(LUA), url, "--", str(body_file), str(token_file),
                          str(threads), PATH], capture_output=True, text=True, timeout=duration + 120)
    cpu = tree_cpu_seconds(server_pid) - cpu0
    line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    r = json.loads(line[len("RESULT "):])
    seconds = r["duration_us"] / 1e6
    return Run(label, connections, r["requests"], seconds, r["requests"] / seconds, r["p50_us"] / 1000,
               r["p95_us"] / 1000, r["p99_us"] / 1000, r["non200"] + r["socket_errors"], cpu, r["ran_out"])


# ---------------------------------------------------------------------- in-process figures

def _cpu_per_call(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.process_time()
        fn()
        times.append(time.process_time() - began)
    return statistics.median(times) * 1000


def in_process(workdir: Path, key: Any, issuers_path: Path, runs: int) -> dict[str, Any]:
    """CPU per call through the real Flask app (JWT verification included), the Synthea record, the slope."""
    from app import create_app
    from app.config import Settings
    from cds_hooks.decision import DecisionConfig, assess
    from cds_hooks.service.discovery import PREFETCH

    public = "http://127.0.0.1:1"
    settings = Settings.from_env({"RECEPTOR_CDS_PUBLIC_URL": public,
                                  "RECEPTOR_CDS_TRUSTED_ISSUERS": str(issuers_path),
                                  "RECEPTOR_CDS_DATABASE_URL": f"sqlite:///{workdir / 'inproc.sqlite'}",
                                  "RECEPTOR_CDS_STATE_DB": str(workdir / "inproc-state.sqlite"),
                                  "RECEPTOR_CDS_SECRET_KEY": secrets.token_hex(16)})
    client = create_app(settings).test_client()
    _init_signer(key.as_dict(private=True))
    tokens: list[str] = []

    def call(raw: bytes) -> None:
        if not tokens:
            tokens.extend(_sign((public + PATH, 200)))
        resp = client.post(PATH, data=raw, content_type="application/json",
                           headers={"Authorization": f"Bearer {tokens.pop()}"})
        if resp.status_code != 200:
            raise SystemExit(f"in-process call answered {resp.status_code}: {resp.get_data(as_text=True)[:300]}")

    def body(n: int) -> bytes:
        return json.dumps(hook_request(build_record(n), PREFETCH), separators=(",", ":")).encode()

    figures: dict[str, Any] = {}
    call(body(20))                                   # warm-up in this process: imports, lazy tables
    # As receptor-cds serve does before its workers start (app/cli.py): validators built, gc.freeze().
    import gc
    from cds_hooks.decision.intake import load_validators
    load_validators()
    gc.freeze()
    raw = body(200)
    from cds_hooks.decision.verdicts import VERDICTS
    VERDICTS.clear()
    began = time.process_time()
    call(raw)
    figures["cpu_ms_record_first"] = (time.process_time() - began) * 1000
    figures["cpu_ms_record"] = _cpu_per_call(lambda: call(raw), runs)

    # The whole Synthea record: assess() alone, and a hook call carrying every resource in its keys.
    synthea = json.loads(LARGE.read_text(encoding="utf-8"))
    resources = [e["resource"] for e in synthea["entry"]]
    config = DecisionConfig()
    began = time.process_time()
    assess(resources, config)
    figures["cpu_ms_synthea_assess_first"] = (time.process_time() - began) * 1000
    figures["cpu_ms_synthea_assess"] = _cpu_per_call(lambda: assess(resources, config), max(5, runs // 4))
    raw_synthea = json.dumps(synthea_request(synthea), separators=(",", ":")).encode()
    call(raw_synthea)
    figures["cpu_ms_synthea_hook"] = _cpu_per_call(lambda: call(raw_synthea), max(5, runs // 4))
    figures["synthea_entries"] = len(resources)

    # Slope per receptor Observation: CPU per call at 200, 2,000 and 10,000 of them (first call, then resent).
    from cds_hooks.decision.verdicts import VERDICTS
    points, first_points = [], []
    for n in (200, 2000, BIG):
        raw_n = body(n)
        VERDICTS.clear()                             # first sight: nothing remembered from earlier calls
        began = time.process_time()
        call(raw_n)
        first_points.append((n, (time.process_time() - began) * 1000))
        points.append((n, _cpu_per_call(lambda: call(raw_n), 3 if n >= BIG else 5)))
    figures["slope_points"] = points
    figures["slope_ms"] = _slope(points)
    figures["slope_ms_first"] = _slope(first_points)
    figures["slope_first_points"] = first_points
    return figures


def synthea_request(record: dict) -> dict:
    """The whole Synthea record as a patient-view request: each resource in the key of its type (every
    Observation in the receptor key, as from an EHR that ignores the code filter), references made
    relative (``Type/id``) as an EHR's FHIR API gives them."""
    text = json.dumps([e["resource"] for e in record["entry"]])
    for e in record["entry"]:
        r = e["resource"]
        text = text.replace(f'"{e["fullUrl"]}"', f'"{r["resourceType"]}/{r["id"]}"')
    resources = json.loads(text)
    patient = next(r for r in resources if r["resourceType"] == "Patient")

    def bundle(rtype: str) -> dict:
        found = [r for r in resources if r["resourceType"] == rtype]
        return {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                "entry": [{"resource": r, "search": {"mode": "match"}} for r in found]}

    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/bench", "patientId": patient["id"]},
            "prefetch": {"patient": patient, "receptorObservations": bundle("Observation"),
                         "conditions": bundle("Condition"), "medicationRequests": bundle("MedicationRequest"),
                         "stageObservations": bundle("None"), "contextObservations": bundle("None")}}


def _slope(points: list[tuple[int, float]]) -> float:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


# ---------------------------------------------------------------------- fallback against sekmet

def fallback(workdir: Path, product_url: str, tokens: Tokens, fhir: Any, rounds: int) -> dict[str, float]:
    """Median wall time of a no-prefetch call (the product fetches from sekmet) and of the same queries sent
    straight to sekmet, one after the other (the FHIR server's own time), interleaved."""
    from cds_hooks.service.discovery import PREFETCH
    from cds_hooks.service.prefetch import fill_template

    context = {"userId": "Practitioner/oncologist-9", "patientId": PATIENT_ID}
    queries = [fill_template(t, context) for t in PREFETCH.values()]
    body = json.dumps({"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "context": context,
                       "fhirServer": fhir.base_url}).encode()
    toks = tokens.sign(product_url + PATH, rounds + 2)
    direct = requests.Session()

    def straight() -> float:
        began = time.perf_counter()
        for q in queries:
            url = f"{fhir.base_url}/{q}"
            while url:
                resp = direct.get(url, headers={"Accept": "application/fhir+json"}, timeout=30)
                resp.raise_for_status()
                page = resp.json()
                url = next((l["url"] for l in page.get("link", []) if l.get("relation") == "next"), None)
        return time.perf_counter() - began

    def through_product(tok: str) -> float:
        began = time.perf_counter()
        resp = requests.post(product_url + PATH, data=body, timeout=60,
                             headers={"Content-Type": "application/json", "Authorization": f"Bearer {tok}"})
        elapsed = time.perf_counter() - began
        if resp.status_code != 200:
            raise SystemExit(f"fallback call answered {resp.status_code}: {resp.text[:300]}")
        return elapsed

    straight(), through_product(toks.pop())          # warm-up: connections, sekmet's caches
    ours, theirs = [], []
    for _ in range(rounds):
        theirs.append(straight())
        ours.append(through_product(toks.pop()))
    direct.close()
    return {"fallback_ms": statistics.median(ours) * 1000, "server_ms": statistics.median(theirs) * 1000,
            "queries": len(queries)}


# ---------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--levels", default="1,16,64", help="concurrent callers (default 1,16,64)")
    parser.add_argument("--runs", type=int, default=30, help="in-process calls per CPU figure (default 30)")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: load, fallback, inprocess")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None and "load" not in args.skip:
        raise SystemExit("wrk is not installed (Debian package 'wrk')")
    levels = [int(x) for x in args.levels.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    started = time.monotonic()
    from joserfc.jwk import ECKey, KeySet
    from app.fhir_server import SekmetServer
    from cds_hooks.service.discovery import PREFETCH

    key = ECKey.generate_key("P-384", parameters={"kid": KID, "alg": "ES384"}, private=True)
    tokens = Tokens(key)
    workdir = Path(tempfile.mkdtemp(prefix="receptor-bench-"))
    procs: list[subprocess.Popen] = []
    fhir = None
    print(f"load average at start: {load_average()} ({os.cpu_count()} cores)", flush=True)
    try:
        record = build_record()
        raw = json.dumps(hook_request(record, PREFETCH), separators=(",", ":")).encode()
        body_file = workdir / "body.json"
        body_file.write_bytes(raw)
        fhir = SekmetServer(workdir / "sekmet").start()
        fhir.load_bundle({"resourceType": "Bundle", "type": "collection",
                          "entry": [{"resource": r} for r in record]}, "benchmark record")
        issuers = workdir / "issuers.json"
        issuers.write_text(json.dumps({ISS: {"jwks": KeySet([key]).as_dict(private=False),
                                             "fhir_servers": [fhir.base_url], "cors_origins": []}}))
        port = free_port()
        product_url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "RECEPTOR_CDS_PUBLIC_URL": product_url, "RECEPTOR_CDS_TRUSTED_ISSUERS": str(issuers),
               "RECEPTOR_CDS_DATABASE_URL": f"sqlite:///{workdir / 'feedback.sqlite'}",
               "RECEPTOR_CDS_STATE_DB": str(workdir / "state.sqlite"),
               "RECEPTOR_CDS_SECRET_KEY": secrets.token_hex(16)}
        exe = str(Path(sys.executable).parent / "receptor-cds")
        product = subprocess.Popen([exe, "serve", "--port", str(port)], env=env, cwd=workdir,
                                   stdout=open(workdir / "serve.log", "ab"), stderr=subprocess.STDOUT,
                                   start_new_session=True)
        procs.append(product)
        wait_listening(product_url + "/cds-services", product)
        first = requests.post(product_url + PATH, data=raw, timeout=60,
                              headers={"Content-Type": "application/json",
                                       "Authorization": f"Bearer {tokens.sign(product_url + PATH, 1)[0]}"})
        if first.status_code != 200:
            raise SystemExit(f"product answered {first.status_code}: {first.text[:300]}")
        answer = workdir / "answer.json"
        answer.write_bytes(first.content)
        fport = free_port()
        floor_url = f"http://127.0.0.1:{fport}"
        floor = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parent / "floor.py"), "--port",
                                  str(fport), "--answer", str(answer)], cwd=workdir, start_new_session=True,
                                 stdout=open(workdir / "floor.log", "ab"), stderr=subprocess.STDOUT)
        procs.append(floor)
        wait_listening(floor_url + "/", floor)
        print(f"record: {len(record)} resources, request {len(raw) / 1024:.0f} KB, answer "
              f"{len(first.content) / 1024:.1f} KB, {len(first.json()['cards'])} cards", flush=True)

        runs: list[Run] = []
        if "load" not in skip:
            dummy = workdir / "floor-tokens.txt"
            dummy.write_text("\n".join(["x" * len(tokens.sign(product_url + PATH, 1)[0])] * 4) + "\n")
            # Calibration (also the warm-up): how fast the product answers, to sign enough tokens per run.
            calib = workdir / "calib.txt"
            calib.write_text("\n".join(tokens.sign(product_url + PATH, 3000)) + "\n")
            warm = wrk(product_url + PATH, 16, 3, body_file, calib, product.pid, "warm-up")
            wrk(floor_url + PATH, 16, 3, body_file, dummy, floor.pid, "warm-up")
            rate = max(warm.rps, 20.0)
            for c in levels:
                token_file = workdir / f"tokens-{c}.txt"
                need = int(rate * 1.8 * args.duration) + 200
                token_file.write_text("\n".join(tokens.sign(product_url + PATH, need)) + "\n")
                run = wrk(product_url + PATH, c, args.duration, body_file, token_file, product.pid, "product")
                if run.ran_out:
                    print(f"  (token list ran out at {c} callers; re-running with more)", flush=True)
                    rate = run.rps * 1.5
                    token_file.write_text("\n".join(tokens.sign(product_url + PATH, int(rate * 2.5 * args.duration)
                                                                + 200)) + "\n")
                    run = wrk(product_url + PATH, c, args.duration, body_file, token_file, product.pid, "product")
                rate = max(rate, run.rps)
                runs.append(run)
                runs.append(wrk(floor_url + PATH, c, args.duration, body_file, dummy, floor.pid, "floor"))
                print(f"  {c} callers done (load {load_average()})", flush=True)

        fb = fallback(workdir, product_url, tokens, fhir, 11) if "fallback" not in skip else None

        # RSS after one 10,000-Observation call, on the running server.
        big = json.dumps(hook_request(build_record(BIG), PREFETCH), separators=(",", ":")).encode()
        resp = requests.post(product_url + PATH, data=big, timeout=300,
                             headers={"Content-Type": "application/json",
                                      "Authorization": f"Bearer {tokens.sign(product_url + PATH, 1)[0]}"})
        time.sleep(1.0)                   # the answer is sent first; the server may tidy up after it
        rss = max(rss_mb(p) for p in process_tree(product.pid)) if resp.status_code == 200 else float("nan")
        if resp.status_code != 200:
            print(f"10,000-Observation call answered {resp.status_code}: {resp.text[:300]}", flush=True)
        for p in procs:
            stop(p)
        procs.clear()
        fhir.stop()
        inproc = in_process(workdir, key, issuers, args.runs) if "inprocess" not in skip else None
        report(runs, fb, rss, inproc, len(raw), time.monotonic() - started)
    finally:
        for p in procs:
            stop(p)
        if fhir is not None:
            fhir.stop()
        tokens.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(runs: list[Run], fb: dict | None, rss: float, inproc: dict | None, request_bytes: int,
           elapsed: float) -> None:
    print()
    print(f"Python {sys.version.split()[0]}; load average at the end: {load_average()}; run took {elapsed:.0f} s")
    if runs:
        print()
        print("| callers | server | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/call | errors | product/floor req/s |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for i in range(0, len(runs), 2):
            prod, floor = runs[i], runs[i + 1]
            for r in (prod, floor):
                share = f"{prod.rps / floor.rps:.1%}" if r is prod and floor.rps else ""
                print(f"| {r.connections} | {r.label} | {r.rps:.1f} | {r.p50_ms:.1f} | {r.p95_ms:.1f} | "
                      f"{r.p99_ms:.1f} | {r.cpu_ms_per_call:.2f} | {r.errors} | {share} |")
    print()
    print("| figure | measured | target | |")
    print("|---|---:|---:|---|")
    sixteen = [(runs[i], runs[i + 1]) for i in range(0, len(runs), 2) if runs[i].connections == 16]
    if inproc:
        print(f"| CPU per call, 200-Observation record (in-process, resent) | {inproc['cpu_ms_record']:.1f} ms | "
              f"<= {TARGETS['cpu_ms_record']:.0f} ms | {_mark(inproc['cpu_ms_record'] <= TARGETS['cpu_ms_record'])} |")
        print(f"| CPU of the first call with that record (first sight) | {inproc['cpu_ms_record_first']:.1f} ms | | |")
    if sixteen:
        prod, floor = sixteen[0]
        print(f"| server CPU per call at 16 callers (/proc) | {prod.cpu_ms_per_call:.1f} ms | | |")
        print(f"| p95 at 16 callers | {prod.p95_ms:.0f} ms | <= {TARGETS['p95_ms_16']:.0f} ms | "
              f"{_mark(prod.p95_ms <= TARGETS['p95_ms_16'])} |")
        share = prod.rps / floor.rps if floor.rps else 0.0
        print(f"| throughput at 16 callers, share of the floor | {share:.1%} | >= {TARGETS['share_16']:.0%} | "
              f"{_mark(share >= TARGETS['share_16'])} |")
    if inproc:
        print(f"| whole Synthea record ({inproc['synthea_entries']} entries), assess() CPU | "
              f"{inproc['cpu_ms_synthea_assess']:.1f} ms | <= {TARGETS['cpu_ms_synthea']:.0f} ms | "
              f"{_mark(inproc['cpu_ms_synthea_assess'] <= TARGETS['cpu_ms_synthea'])} |")
        print(f"| ... its first assess() (nothing cached) | {inproc['cpu_ms_synthea_assess_first']:.1f} ms | | |")
        print(f"| ... as a hook call, every resource prefetched | {inproc['cpu_ms_synthea_hook']:.1f} ms | | |")
    if fb:
        ratio = fb["fallback_ms"] / fb["server_ms"]
        print(f"| no-prefetch fallback vs sekmet's own time ({fb['queries']} queries) | {fb['fallback_ms']:.0f} / "
              f"{fb['server_ms']:.0f} ms = {ratio:.2f}x | <= {TARGETS['fallback_ratio']}x | "
              f"{_mark(ratio <= TARGETS['fallback_ratio'])} |")
    print(f"| server RSS after a 10,000-Observation call (largest process) | {rss:.0f} MB | "
          f"<= {TARGETS['rss_mb']:.0f} MB | {_mark(rss <= TARGETS['rss_mb'])} |")
    if inproc:
        pts = ", ".join(f"{n}: {ms:.0f}" for n, ms in inproc["slope_points"])
        first = ", ".join(f"{n}: {ms:.0f}" for n, ms in inproc["slope_first_points"])
        print(f"| slope per receptor Observation (resent; CPU ms at {pts}) | {inproc['slope_ms']:.3f} ms | "
              f"<= {TARGETS['slope_ms']} ms | {_mark(inproc['slope_ms'] <= TARGETS['slope_ms'])} |")
        print(f"| ... first sight of each record (CPU ms at {first}) | {inproc['slope_ms_first']:.3f} ms | | |")
    print(f"\nrequest body {request_bytes / 1024:.0f} KB")


if __name__ == "__main__":
    raise SystemExit(main())
