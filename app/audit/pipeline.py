"""The audit as a Dask job: NDJSON files in, one result per partition out, streamed back as they finish.

    read_text (partitions of ``blocksize`` bytes) → key_lines → (patient, line) frame → P2P shuffle on patient
    → assess_frame

Why these pieces:
- ``dask.bag.read_text(blocksize=...)`` (as in the Dask tutorial's NDJSON examples) splits big files into
  partitions of a fixed size, so a task holds one partition, never a whole file.
- grouping by patient is a hash-partitioning shuffle: ``DataFrame.shuffle(on="patient",
  shuffle_method="p2p")``, Dask's peer-to-peer shuffle, which moves the pieces between workers through bounded
  buffers spilled to the workers' local disk. Each output partition then holds the whole records of about
  ``population / partitions`` patients, and no worker ever holds the population: measured, a worker's peak
  memory stays the same from 10,000 to 40,000 patients. (The bag's own task shuffle and ``foldby`` were tried
  first and rejected: the task shuffle keeps every split piece in memory until the last output partition has
  started, i.e. the population, and ``foldby`` combines all groups in one task.)
- results are computed partition by partition with ``Client.compute`` and ``as_completed``, so the client holds
  one partition's rows at a time and can show progress.
- shared resources (``Medication``) are collected first and scattered once to every worker.

The same code runs on the embedded ``LocalCluster`` and on any cluster a ``--scheduler`` address names; with a
remote cluster the NDJSON folder must be on a file system the workers can read (as for any Dask file input).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import dask
import dask.bag as db
from distributed import Client, as_completed

from cds_hooks.decision import DEFAULT_CONFIG, DecisionConfig

from .partitions import assess_frame, collect_shared, key_lines

DEFAULT_BLOCKSIZE = 8 * 1024 * 1024     # bytes of NDJSON per input partition
_FRAME = {"patient": "string", "line": "string"}


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
    shared_arg: Any = {}
    if shared:
        # One object on every worker (scattering the dict itself would make one future per Medication).
        [shared_arg] = client.scatter([shared], broadcast=True)

    lines = db.read_text(paths, blocksize=blocksize)
    frame = lines.map_partitions(key_lines).to_dataframe(meta=_FRAME)
    shuffled = frame.shuffle(on="patient", npartitions=lines.npartitions, shuffle_method="p2p")
    parts = [dask.delayed(assess_frame)(part, shared_arg, config) for part in shuffled.to_delayed()]
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

