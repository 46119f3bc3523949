"""The audit as a Dask job: NDJSON files in, one result per partition out, streamed back as they finish.

    read_text (partitions of ``blocksize`` bytes) → key_lines → groupby patient (task shuffle) → assess_groups

Why these pieces (dask.bag, as in the Dask tutorial's NDJSON examples):
- ``read_text(blocksize=...)`` splits big files into partitions of a fixed size, so a worker holds one
  partition, never a whole file or the population.
- ``groupby(..., shuffle="tasks")`` hash-partitions the ``(patient, line)`` pairs by patient id (Dask hashes
  with ``tokenize``, the same in every process), so each output partition holds the whole records of about
  ``population / partitions`` patients: memory per task follows the partition size. ``foldby`` is not used: its
  final combine gathers every group into one task, i.e. the population into one process.
- results are computed partition by partition with ``Client.compute`` and ``as_completed``, so the client holds
  one partition's rows at a time and can show progress.
- shared resources (``Medication``) are collected first and scattered once to every worker.

The same code runs on the embedded ``LocalCluster`` and on any cluster a ``--scheduler`` address names; with a
remote cluster the NDJSON folder must be on a file system the workers can read (as for any Dask file input).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import dask.bag as db
from distributed import Client, as_completed

from cds_hooks.decision import DEFAULT_CONFIG, DecisionConfig

from .partitions import assess_groups, collect_shared, group_key, key_lines

DEFAULT_BLOCKSIZE = 8 * 1024 * 1024     # bytes of NDJSON per input partition


class AuditInputError(Exception):
    """The NDJSON input cannot be read (no files, unreadable folder)."""


def run(client: Client, files: list[Path], *, config: DecisionConfig = DEFAULT_CONFIG,
        blocksize: int = DEFAULT_BLOCKSIZE, on_partition: Callable[[dict[str, Any]], None],
        on_start: Callable[[int], None] | None = None, shared_files: list[Path] | None = None) -> int:
    """Assess every patient of the NDJSON ``files`` on ``client``'s cluster.

    ``shared_files``: the files that may hold shared resources (default: all of them).

    ``on_partition`` receives each partition's ``{"rows": [...], "counts": {...}}`` as soon as it is done
    (in completion order); ``on_start`` the number of partitions. Returns the number of partitions.
    """
    if not files:
        raise AuditInputError("no NDJSON files to read")
    paths = [str(p) for p in files]
    shared: dict[str, str] = {}
    shared_paths = [str(p) for p in (files if shared_files is None else shared_files)]
    if shared_paths:
        found = client.compute(db.read_text(shared_paths, blocksize=blocksize).map_partitions(collect_shared))
        shared = dict(found.result())
    shared_arg: Any = client.scatter(shared, broadcast=True) if shared else {}

    lines = db.read_text(paths, blocksize=blocksize)
    grouped = lines.map_partitions(key_lines).groupby(group_key, shuffle="tasks")
    results = grouped.map_partitions(assess_groups, shared_arg, config)
    parts = results.to_delayed()
    if on_start is not None:
        on_start(len(parts))
    futures = client.compute(parts)
    for future in as_completed(futures):
        for part in future.result():
            on_partition(part)
        future.release()
    return len(parts)


def check_workers(client: Client) -> None:
    """Refuse a cluster whose workers run another knowledge version than this command (wrong answers)."""
    from cds_hooks.knowledge import KNOWLEDGE_VERSION

    versions = client.run(_knowledge_version)
    other = {worker: version for worker, version in versions.items() if version != KNOWLEDGE_VERSION}
    if other:
        raise AuditInputError(f"{len(other)} Dask worker(s) run knowledge version {sorted(set(other.values()))}, "
                              f"this command {KNOWLEDGE_VERSION}: install the same receptor-cds on the workers")


def _knowledge_version() -> str:
    try:
        from cds_hooks.knowledge import KNOWLEDGE_VERSION
    except ImportError:
        return "(receptor-cds not installed on the worker)"
    return KNOWLEDGE_VERSION


def worker_peak_rss(client: Client) -> dict[str, int]:
    """Peak resident memory of each worker process so far, in bytes (Linux ``ru_maxrss``)."""
    return client.run(_peak_rss)


def _peak_rss() -> int:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

