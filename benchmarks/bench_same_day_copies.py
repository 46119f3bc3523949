"""Time of ``assess()`` on n same-day copies of one ER result (the attack input of issue 8).

    python benchmarks/bench_same_day_copies.py [N ...]      (default: 2000 8000 25000)

Each input is the curated case ``conflicting-same-day-er`` (ER 'Positive' and ER 0 % on one day) with the
'Positive' Observation copied N times under new ids. Prints, per N, the wall time of one call and the
number of P18 alerts and evidence entries; linear work shows as time roughly proportional to N.
"""
from __future__ import annotations

import copy
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cds_hooks.decision import DecisionConfig, assess  # noqa: E402

CASE = ROOT / "fixtures" / "cases" / "conflicting-same-day-er.json"


def copies(n: int) -> list[dict]:
    case = json.loads(CASE.read_text(encoding="utf-8"))
    resources = [entry["resource"] for entry in case["bundle"]["entry"]]
    positive = next(r for r in resources if r["id"].endswith("obs-3"))
    return [*resources, *({**copy.deepcopy(positive), "id": f"copy-{i}"} for i in range(n))]


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [2000, 8000, 25000]
    config = DecisionConfig(today=date(2026, 11, 1))
    assess(copies(10), config)                               # warm-up (imports, caches)
    print(f"Python {sys.version.split()[0]}")
    for n in sizes:
        resources = copies(n)
        started = time.perf_counter()
        assessment = assess(resources, config)
        elapsed = time.perf_counter() - started
        p18 = [a for a in assessment.alerts if a.code == "P18"]
        print(f"{n} copies: {elapsed:.2f} s, {len(p18)} P18 alert(s), "
              f"{sum(len(a.evidence) for a in p18)} evidence entries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
