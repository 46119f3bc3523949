"""Time and memory of ``assess()`` on a whole Synthea record and on a small curated case.

    python benchmarks/bench_assess.py [--runs N] [--small PATH] [--large PATH]

Prints, per input: entries, median and p95 wall time per call over N runs (after one warm-up call), and the
peak memory traced by ``tracemalloc`` during one separate call (tracing slows Python down, so it is never
mixed with the timed runs). Inputs are read once, before timing: parsing JSON is not part of ``assess()``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cds_hooks.decision import DecisionConfig, assess  # noqa: E402

LARGE = ROOT / "fixtures" / "large" / "Emiko_Jones_6f867e8e.json"


SMALL = ROOT / "fixtures" / "cases" / "her2-ihc-2plus-ish-positive.json"


def _default_small() -> Path:
    if SMALL.exists():
        return SMALL
    cases = sorted((ROOT / "fixtures" / "cases").glob("*.json"))
    if not cases:
        raise SystemExit("no curated case in fixtures/cases/; pass --small PATH")
    return cases[0]


def _resources(path: Path) -> tuple[list[dict], DecisionConfig]:
    data = json.loads(path.read_text(encoding="utf-8"))
    config = DecisionConfig()
    if data.get("resourceType") != "Bundle":          # a curated case file
        if data.get("today"):
            from datetime import date
            config = DecisionConfig(today=date.fromisoformat(data["today"]))
        data = data["bundle"]
    return [e["resource"] for e in data.get("entry", []) if isinstance(e, dict) and "resource" in e], config


def bench(path: Path, runs: int) -> dict:
    resources, config = _resources(path)
    assessment = assess(resources, config)           # warm-up (imports, caches)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        assess(resources, config)
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    assess(resources, config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    p95 = statistics.quantiles(times, n=20)[-1] if runs >= 2 else times[0]
    return {"input": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
            "entries": len(resources), "runs": runs, "median_ms": statistics.median(times) * 1000,
            "p95_ms": p95 * 1000, "peak_mib": peak / 2**20, "subtype": assessment.subtype}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--small", type=Path, default=None, help="a case file or Bundle (default: the HER2 IHC 2+ / ISH-positive case)")
    parser.add_argument("--large", type=Path, default=LARGE)
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}; {args.runs} timed runs per input")
    for path in (args.small or _default_small(), args.large):
        r = bench(path, args.runs)
        print(f"{r['input']}: {r['entries']} resources, subtype {r['subtype']}: "
              f"median {r['median_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms, peak traced memory {r['peak_mib']:.2f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
