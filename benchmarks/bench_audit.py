"""Throughput and worker memory of the population audit on embedded Dask local clusters.

    python benchmarks/bench_audit.py [--sizes 10000 40000] [--workers 1 2] [--runs 3] [--partition-mb 8]

For each population size, a deterministic synthetic population (``benchmarks/population.py``, seed 1) is written
as NDJSON once (into a temporary folder, or ``--data DIR`` to keep it); for each worker count a fresh
``LocalCluster`` (one thread per worker process, as ``receptor-cds audit`` starts it) runs the whole audit
(``app.audit.command.audit``: read, shuffle by patient, assess, write the worklist and the report) ``--runs``
times. It prints, per size and worker count: the median time of the Dask job and patients per second (all
patients in the export, and per worker), the speed-up from the first worker count, and the peak resident memory
of each worker process over the runs (Linux ``ru_maxrss``) next to a worker's memory right after it imported
the decision core (before any data). Medians, because other processes share the machine; and, because wall time
on a busy machine says more about the neighbours than about the audit, the workers' own CPU time too (user +
system, all workers together): ``patients per worker CPU-second`` is what one worker would do with a core to itself.
"""
from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from app.audit import pipeline  # noqa: E402
from app.audit.command import AuditOptions, audit  # noqa: E402
from population import Population, write  # noqa: E402

TODAY = date(2026, 11, 1)
MIB = 1024 * 1024


def _rss_after_import() -> int:
    """Resident memory of this worker now (bytes), after importing the decision core and the card builder."""
    import cds_hooks.decision  # noqa: F401
    import cds_hooks.service.cards  # noqa: F401
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _cpu_seconds() -> float:
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench(folder: Path, workers: int, runs: int, blocksize: int) -> dict:
    from distributed import Client, LocalCluster

    scratch = tempfile.mkdtemp(prefix="bench-audit-dask-")
    out = Path(tempfile.mkdtemp(prefix="bench-audit-out-"))
    try:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR, local_directory=scratch) as cluster, Client(cluster) as client:
            baseline = client.run(_rss_after_import)
            times, cpu, patients, audited = [], [], 0, 0
            for _ in range(runs):
                before = sum(client.run(_cpu_seconds).values())
                result = audit(AuditOptions(out=out, ndjson=folder, today=TODAY, blocksize=blocksize, progress=False),
                               client=client)
                cpu.append(sum(client.run(_cpu_seconds).values()) - before)
                times.append(result.assess_seconds)
                patients, audited = result.patients, result.summary.audited
            peaks = pipeline.worker_peak_rss(client)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    median = statistics.median(times)
    return {"workers": workers, "patients": patients, "audited": audited, "times": times, "median": median,
            "rate": patients / median, "cpu_rate": patients / statistics.median(cpu), "peak_mib": sorted(v / MIB for v in peaks.values()),
            "baseline_mib": sorted(v / MIB for v in baseline.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 40_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--partition-mb", type=float, default=pipeline.DEFAULT_BLOCKSIZE / MIB)
    parser.add_argument("--data", type=Path, default=None, help="keep the generated populations here")
    args = parser.parse_args(argv)
    data = args.data or Path(tempfile.mkdtemp(prefix="bench-audit-data-"))
    blocksize = int(args.partition_mb * MIB)
    print(f"partition size {args.partition_mb:g} MiB, {args.runs} run(s) each, one thread per worker process")
    print(f"{'patients':>9} {'breast':>7} {'MB':>6} {'workers':>7} {'median s':>9} {'patients/s':>11} "
          f"{'per worker':>10} {'speed-up':>8} {'per CPU-s':>9} {'peak RSS/worker MiB':>20} {'after import MiB':>17}")
    try:
        for size in args.sizes:
            folder = data / f"population-{size}"
            if not (folder / "manifest.json").exists():
                started = time.monotonic()
                write(Population(size), folder)
                print(f"(generated {size} patients in {time.monotonic() - started:.0f} s)")
            megabytes = sum(p.stat().st_size for p in folder.glob("*.ndjson")) / 1e6
            first = None
            for workers in args.workers:
                r = bench(folder, workers, args.runs, blocksize)
                first = first or r
                speedup = r["rate"] / first["rate"]
                print(f"{r['patients']:>9} {r['audited']:>7} {megabytes:>6.0f} {workers:>7} {r['median']:>9.1f} "
                      f"{r['rate']:>11.0f} {r['rate'] / workers:>10.0f} {speedup:>8.2f} {r['cpu_rate']:>9.0f} "
                      f"{'/'.join(f'{m:.0f}' for m in r['peak_mib']):>20} "
                      f"{'/'.join(f'{m:.0f}' for m in r['baseline_mib']):>17}", flush=True)
    finally:
        if args.data is None:
            shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
