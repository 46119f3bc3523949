"""``receptor-cds audit``: export (or read) the data, run the pipeline, write the worklist and the report.

    receptor-cds audit --fhir-base URL --out DIR [--group ID] [--since INSTANT] [--scheduler ADDRESS] [--workers N]
    receptor-cds audit --ndjson DIR --out DIR [--scheduler ADDRESS] [--workers N]

``audit(options)`` is the whole run and what the tests call (they may hand in a Dask client they share);
``add_arguments`` and ``main`` are the command line around it. Exit codes: 0 done, 1 the server or the data
failed us (the message says what), 2 bad arguments or configuration, 3 done but some patients could not be
assessed (their rows say so).
"""
from __future__ import annotations

import argparse
import logging
import os
import secrets
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from cds_hooks.bulk import (BackendCredentials, BackendServicesAuth, BackendServicesError, BulkExportClient,
                            BulkExportError, ExportLimits, Manifest, system_read_scope)
from cds_hooks.bulk.backend_services import ENV_SCOPE
from cds_hooks.decision import DEFAULT_CONFIG, DecisionConfig
from cds_hooks.fhir_client import FhirError, redact
from cds_hooks.knowledge import KNOWLEDGE_VERSION

from . import pipeline
from .export_folder import (ExportFolderError, install_delta, install_full, read_export_folder, server_errors)
from .outputs import WorklistWriter, loosely_shared, private_dir, write_private
from .report import Summary, render
from .scope import EXPORT_TYPES, SHARED_TYPES

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_INCOMPLETE = 0, 1, 2, 3


class AuditConfigError(Exception):
    """The options cannot work together, or the output folder cannot be used."""


@dataclass
class AuditOptions:
    out: Path
    fhir_base: str | None = None
    ndjson: Path | None = None
    group: str | None = None
    since: str | None = None
    scheduler: str | None = None
    workers: int | None = None
    today: date | None = None
    blocksize: int = pipeline.DEFAULT_BLOCKSIZE
    limits: ExportLimits = field(default_factory=ExportLimits)
    progress: bool | None = None          # None: bars only on a terminal


@dataclass
class AuditResult:
    summary: Summary
    files: list[Path]
    seconds: float              # the whole run
    assess_seconds: float       # the Dask job
    workers: int
    partitions: int
    export_time: str | None

    @property
    def patients(self) -> int:
        return int(self.summary.counts.get("patients", 0))


def _bar(progress: bool | None, **kwargs: Any) -> Any:
    from tqdm import tqdm
    disable = (not sys.stderr.isatty()) if progress is None else not progress
    return tqdm(file=sys.stderr, disable=disable, dynamic_ncols=True, **kwargs)


def _check(options: AuditOptions) -> None:
    if bool(options.fhir_base) == bool(options.ndjson):
        raise AuditConfigError("give exactly one of --fhir-base URL (export from a server) or --ndjson DIR "
                               "(an export already on disk)")
    if options.ndjson and (options.group or options.since):
        raise AuditConfigError("--group and --since are export parameters: use them with --fhir-base")
    if options.scheduler and options.workers:
        raise AuditConfigError("--workers sizes the embedded local cluster; an existing cluster (--scheduler) "
                               "has the workers it has")
    if options.workers is not None and options.workers < 1:
        raise AuditConfigError("--workers must be at least 1")
    if options.since:
        try:
            instant = datetime.fromisoformat(options.since)
        except ValueError:
            instant = None
        if instant is None or "T" not in options.since or instant.tzinfo is None:
            raise AuditConfigError(f"--since must be a FHIR instant with a time zone, such as 2026-01-31T00:00:00Z; "
                                   f"got {options.since!r}")


def _export(options: AuditOptions, environ: Mapping[str, str]) -> tuple[Path, Manifest]:
    """Run the Bulk export into OUT/export (a full one replaces it; ``--since`` adds a delta on top)."""
    assert options.fhir_base
    credentials = BackendCredentials.from_env(environ)
    auth = None
    if credentials is not None:
        auth = BackendServicesAuth(options.fhir_base, credentials, environ.get(ENV_SCOPE) or system_read_scope(EXPORT_TYPES),
                                   connect_timeout=options.limits.connect_timeout,
                                   read_timeout=min(options.limits.read_timeout, 30.0))
    client = BulkExportClient(options.fhir_base, auth, limits=options.limits)
    export_dir = options.out / "export"
    if options.since:
        try:
            previous = read_export_folder(export_dir)
        except ExportFolderError:
            raise AuditConfigError(f"--since lays the changes over the last full export, and {export_dir} holds "
                                   "none: run once without --since") from None
        if previous.group != options.group:
            raise AuditConfigError(f"the export in {export_dir} is of "
                                   f"{'Group ' + previous.group if previous.group else 'the whole server'}: an "
                                   "incremental run must ask for the same (--group)")
    staging = options.out / f".export-{secrets.token_hex(4)}"
    with ExitStack() as bars:
        waiting = bars.enter_context(_bar(options.progress, desc="export", total=None,
                                          bar_format="{desc}{postfix} [{elapsed}]"))
        downloading: list[Any] = []

        def on_progress(text: str, elapsed: float) -> None:
            waiting.set_postfix_str(text, refresh=True)

        def on_manifest(manifest: Manifest) -> None:
            counts = [f.count for f in manifest.output + manifest.error]
            total = sum(counts) if counts and all(c is not None for c in counts) else None
            waiting.set_postfix_str(f"complete, {len(manifest.output)} file(s)", refresh=True)
            downloading.append(bars.enter_context(_bar(options.progress, desc="download", total=total,
                                                       unit=" resources", unit_scale=True)))

        def on_bytes(size: int, lines: int) -> None:
            if downloading:
                downloading[0].update(lines)

        manifest = client.export(staging, EXPORT_TYPES, since=options.since, group=options.group,
                                 on_progress=on_progress, on_manifest=on_manifest, on_bytes=on_bytes)
    if options.since:
        install_delta(staging, export_dir)
    else:
        install_full(staging, export_dir)
    return export_dir, manifest


def _start_cluster(options: AuditOptions, stack: ExitStack) -> Any:
    from distributed import Client, LocalCluster

    if options.scheduler:
        try:
            return stack.enter_context(Client(options.scheduler, timeout="20s"))
        except (OSError, TimeoutError) as exc:
            raise AuditConfigError(f"cannot reach the Dask scheduler at {options.scheduler}: {exc}") from None
    # Spilled partitions hold patient data: they go to a private folder that is removed afterwards.
    scratch = tempfile.mkdtemp(prefix="receptor-cds-dask-")
    os.chmod(scratch, 0o700)
    stack.callback(shutil.rmtree, scratch, True)
    workers = options.workers or os.cpu_count() or 1
    cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address=None, silence_logs=logging.ERROR,
                                               local_directory=scratch))
    return stack.enter_context(Client(cluster))


def audit(options: AuditOptions, *, client: Any = None, environ: Mapping[str, str] | None = None) -> AuditResult:
    """The whole audit. ``client``: a ``distributed.Client`` to use instead of starting a cluster."""
    environ = os.environ if environ is None else environ
    _check(options)
    started = time.monotonic()
    out = private_dir(Path(options.out))
    options = replace(options, out=out)
    if loosely_shared(out):
        log.warning("%s can be read by other users; the audit's files (mode 0600) name patients", out)
    source = f"the FHIR server {redact(options.fhir_base)}" if options.fhir_base else f"the NDJSON folder {options.ndjson}"
    if options.fhir_base:
        folder, _ = _export(options, environ)
    else:
        assert options.ndjson is not None
        folder = Path(options.ndjson)
    export = read_export_folder(folder)
    shared = [p for p in export.files if export.types.get(p) in SHARED_TYPES or p not in export.types]
    config = DecisionConfig(today=options.today) if options.today else DEFAULT_CONFIG
    summary = Summary()
    with ExitStack() as stack:
        dask_client = client if client is not None else _start_cluster(options, stack)
        pipeline.check_workers(dask_client)
        workers = len(dask_client.scheduler_info().get("workers", {}))
        writer = stack.enter_context(WorklistWriter(out))
        bar = stack.enter_context(_bar(options.progress, desc="assessment", unit=" partitions"))

        def on_start(partitions: int) -> None:
            bar.reset(total=partitions)

        def on_partition(part: dict[str, Any]) -> None:
            writer.add(part["rows"])
            summary.add_partition(part)
            bar.set_postfix_str(f"{summary.counts.get('patients', 0)} patients", refresh=False)
            bar.update(1)

        began = time.monotonic()
        partitions = pipeline.run(dask_client, export.files, config=config, blocksize=options.blocksize,
                                  on_partition=on_partition, on_start=on_start, shared_files=shared)
        assess_seconds = time.monotonic() - began
        files = list(writer.finish())
    meta = {"knowledge_version": KNOWLEDGE_VERSION, "export_time": export.export_time, "source": source,
            "group": options.group, "since": options.since, "workers": workers, "elapsed": assess_seconds,
            "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "server_errors": server_errors(export.error_files)}
    report = out / "report.html"
    write_private(report, render(summary, meta))
    files.append(report)
    return AuditResult(summary, files, time.monotonic() - started, assess_seconds, workers, partitions,
                       export.export_time)


# ---------------------------------------------------------------------- command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("data (one of)")
    source.add_argument("--fhir-base", metavar="URL", help="FHIR server to export from with Bulk Data $export "
                        "(SMART Backend Services credentials from RECEPTOR_CDS_BULK_CLIENT_ID and "
                        "RECEPTOR_CDS_BULK_PRIVATE_KEY, or none for an open server)")
    source.add_argument("--ndjson", metavar="DIR", type=Path, help="an export already on disk (NDJSON files, "
                        "with or without a Bulk Data manifest.json)")
    parser.add_argument("--out", metavar="DIR", type=Path, required=True,
                        help="output folder: worklist.ndjson, worklist.csv, report.html (and export/ with --fhir-base)")
    parser.add_argument("--group", metavar="ID", help="export only the members of Group/ID")
    parser.add_argument("--since", metavar="INSTANT", help="export only what changed since INSTANT and lay it over "
                        "the previous export in --out (incremental run)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster "
                        "(tcp://host:8786) instead of an embedded local one")
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes of the embedded local cluster "
                        "(default: one per CPU core)")
    parser.add_argument("--today", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="the date the rules take as today (default: today)")
    parser.add_argument("--export-timeout", type=float, default=ExportLimits.export_timeout, metavar="SECONDS",
                        help="give up when the server has not finished the export after this long (default 3600)")
    parser.add_argument("--max-download-gb", type=float, default=ExportLimits.max_total_bytes / 1024**3,
                        metavar="GB", help="stop when the export's files exceed this size (default 100)")
    parser.add_argument("--partition-mb", type=float, default=pipeline.DEFAULT_BLOCKSIZE / 1024**2, metavar="MB",
                        help="NDJSON bytes per Dask partition; a worker's memory follows it (default 8)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def options_from_args(args: argparse.Namespace) -> AuditOptions:
    limits = replace(ExportLimits(), export_timeout=args.export_timeout,
                     max_total_bytes=int(args.max_download_gb * 1024**3))
    return AuditOptions(out=args.out, fhir_base=args.fhir_base, ndjson=args.ndjson, group=args.group,
                        since=args.since, scheduler=args.scheduler, workers=args.workers, today=args.today,
                        blocksize=max(64 * 1024, int(args.partition_mb * 1024**2)), limits=limits,
                        progress=False if args.no_progress else None)


def main(args: argparse.Namespace) -> int:
    """Run from parsed arguments; print the summary line or the error; return the exit code."""
    logging.getLogger("distributed").setLevel(logging.ERROR)
    try:
        result = audit(options_from_args(args))
    except AuditConfigError as exc:
        print(f"receptor-cds audit: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except BackendServicesError as exc:
        print(f"receptor-cds audit: authorization failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (BulkExportError, FhirError) as exc:
        print(f"receptor-cds audit: the export failed: {exc}. Nothing was written to {args.out}'s worklist or "
              "report (earlier results, if any, are unchanged).", file=sys.stderr)
        return EXIT_FAILED
    except (ExportFolderError, pipeline.AuditInputError) as exc:
        print(f"receptor-cds audit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    summary = result.summary
    rate = result.patients / result.assess_seconds if result.assess_seconds else 0.0
    print(f"Audited {result.patients} patients ({summary.audited} with breast cancer) in {result.assess_seconds:.1f} s: "
          f"{rate:.0f} patients/s on {result.workers} worker(s); whole run {result.seconds:.1f} s. "
          f"Wrote {', '.join(str(p) for p in result.files)}")
    if summary.not_assessed:
        print(f"receptor-cds audit: {len(summary.not_assessed)} patient(s) could not be assessed; their rows say so",
              file=sys.stderr)
        return EXIT_INCOMPLETE
    return EXIT_OK
