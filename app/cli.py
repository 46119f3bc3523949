"""The ``receptor-cds`` command: ``serve``, ``demo``, ``load-fixtures``, ``explain`` and ``audit``.

``serve`` is the production entry point (gunicorn with one gevent worker process per core, see
``app.serving``; configured only from environment variables, see ``app.config.Settings.from_env``); a
configuration it cannot use stops it before it listens, with a message saying what is wrong. ``demo`` is
the one-command local demo (``app.demo``).
``load-fixtures`` uploads the project's fixtures to any FHIR server as transaction bundles; a
bearer token is taken only from an environment variable, never from the command line (where it
would land in shell history and process listings). ``audit`` is the population audit (``app.audit``).
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from typing import Sequence

EXIT_CONFIG = 2     # bad configuration or arguments
EXIT_FAILED = 1     # a server refused or could not be reached


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a whole number, not {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, not {port}")
    return port


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("receptor-cds")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="receptor-cds",
                                     description="Receptor CDS: CDS Hooks service and SMART app for breast "
                                                 "cancer receptor status.")
    parser.add_argument("--version", action="version", version=f"receptor-cds {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the CDS Hooks service and SMART app (gunicorn, one gevent "
                                              "worker process per core), configured from RECEPTOR_CDS_* "
                                              "environment variables")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port to bind, 1-65535 (default 8000)")
    serve.add_argument("--workers", type=_positive, default=0,
                       help="worker processes (default: one per CPU core)")
    serve.add_argument("--worker-connections", type=_positive, default=1000,
                       help="most connections one worker holds at once; more wait in the listen backlog (default 1000)")
    serve.add_argument("--keepalive", type=_positive, default=5,
                       help="seconds an idle keep-alive connection is kept, and the deadline for a request's "
                            "headers to arrive (default 5)")
    serve.add_argument("--graceful-timeout", type=_positive, default=20,
                       help="seconds in-flight requests get to finish on SIGTERM (default 20)")
    serve.add_argument("--worker-class", choices=("gevent", "gthread"), default="gevent",
                       help="gevent (default; holds against slow clients) or gthread (see docs/deployment.md)")
    serve.add_argument("--threads", type=_positive, default=32, help="threads per worker, gthread only (default 32)")

    demo = commands.add_parser("demo", help="start a FHIR server with the fixtures, the product and a "
                                            "development EHR on loopback, and print the URL to open")
    demo.add_argument("--host", default="127.0.0.1", help="loopback only: 127.0.0.1 or localhost")
    demo.add_argument("--port", type=int, default=None, help="port of the development EHR (default: a free one)")

    load = commands.add_parser("load-fixtures", help="upload the project's fixtures to a FHIR server as "
                                                     "transaction bundles")
    load.add_argument("--fhir-base", required=True, help="FHIR base URL, e.g. https://example.org/fhir")
    load.add_argument("--token-env", metavar="VAR", default=None,
                      help="name of an environment variable holding a bearer token for the server")
    load.add_argument("--fixtures-dir", default=None,
                      help="fixtures folder with real/, synthea/ and cases/ (default: the project's fixtures/)")

    explain = commands.add_parser("explain", help="write one patient's receptor results in plain words as an "
                                                  "HTML handout that prints on two pages")
    explain.add_argument("--fhir-base", required=True, help="FHIR base URL, e.g. https://example.org/fhir")
    explain.add_argument("--patient", required=True, help="the Patient id on that server")
    explain.add_argument("--out", required=True, help="the HTML file to write")
    explain.add_argument("--token-env", metavar="VAR", default=None,
                         help="name of an environment variable holding a bearer token for the server")
    explain.add_argument("--language", default="en", help="language of the handout (message catalog; default en)")

    from app.audit.command import add_arguments as add_audit_arguments
    audit = commands.add_parser("audit", help="audit every breast-cancer patient of a FHIR server (Bulk Data "
                                              "$export) or of an NDJSON export, on Dask, into a worklist and "
                                              "a report")
    add_audit_arguments(audit)
    return parser


def _explain(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.patient.handout import HandoutError, build_handout

    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            print(f"receptor-cds explain: environment variable {args.token_env} is not set or empty", file=sys.stderr)
            return EXIT_CONFIG
    if not args.fhir_base.startswith(("http://", "https://")):
        print(f"receptor-cds explain: --fhir-base must be an http(s) URL, got {args.fhir_base!r}", file=sys.stderr)
        return EXIT_CONFIG
    out = Path(args.out)
    if not out.parent.is_dir():
        print(f"receptor-cds explain: the folder of --out does not exist: {out.parent}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        html = build_handout(args.fhir_base, args.patient, token, language=args.language)
    except HandoutError as exc:
        print(f"receptor-cds explain: {exc}", file=sys.stderr)
        return EXIT_FAILED
    out.write_text(html, encoding="utf-8")
    print(f"Wrote the handout to {out}")
    return 0


def _serve(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Set up the environment the server process needs, then become it (see ``app.serving``)."""
    from app.config import Settings
    from app.serving import exec_server, prepare_metrics_dir

    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"receptor-cds serve: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if settings.metrics_enabled:
        env["PROMETHEUS_MULTIPROC_DIR"] = prepare_metrics_dir(settings.metrics_dir)
        if "RCDS_SERVE_OWN_METRICS_DIR" in os.environ:
            env["RCDS_SERVE_OWN_METRICS_DIR"] = os.environ["RCDS_SERVE_OWN_METRICS_DIR"]
    exec_server(list(argv), env)
    return EXIT_FAILED   # not reached: exec replaces this process


def serve_process(argv: Sequence[str]) -> int:
    """The server process (``app.serving.BOOTSTRAP``): configuration checked, app built once, gunicorn runs."""
    from app import create_app
    from app.config import ConfigError, Settings
    from app.monitoring import configure_logging
    from app.serving import ServeOptions, serve_forever

    args = _build_parser().parse_args(list(argv))
    try:
        settings = Settings.from_env()
        warnings = settings.validate()
    except (ConfigError, ValueError) as exc:
        print(f"receptor-cds serve: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_format, settings.log_level)
    log = logging.getLogger("app.cli")
    for warning in warnings:
        log.warning("%s", warning)
    try:
        flask_app = create_app(settings)
    except (ValueError, OSError) as exc:   # trusted issuers, feedback database, state store, SMART settings
        print(f"receptor-cds serve: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    options = ServeOptions(host=args.host, port=args.port, workers=args.workers, worker_class=args.worker_class,
                           threads=args.threads, worker_connections=args.worker_connections,
                           keepalive=args.keepalive, graceful_timeout=args.graceful_timeout)
    # Before gunicorn forks the workers (the app is preloaded): build the R4B validators now, then move every
    # object alive into the collector's permanent generation. The workers' collections then never walk the
    # app's ~100,000 long-lived objects (about a quarter of a call's CPU, issue 9) and their pages stay shared.
    from cds_hooks.decision.intake import load_validators
    load_validators()
    gc.freeze()
    return serve_forever(flask_app, options)


def _demo(args: argparse.Namespace) -> int:
    from app.demo import run_demo
    from app.fhir_server import FhirServerError
    from app.fixtures_loader import FixtureLoadError

    try:
        return run_demo(args.host, args.port)
    except (FhirServerError, FixtureLoadError) as exc:
        print(f"receptor-cds demo: could not start: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _load_fixtures(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.fixtures_loader import FixtureLoadError, fixture_bundles, load_into

    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            print(f"receptor-cds load-fixtures: environment variable {args.token_env} is not set or empty",
                  file=sys.stderr)
            return EXIT_CONFIG
    if not args.fhir_base.startswith(("http://", "https://")):
        print(f"receptor-cds load-fixtures: --fhir-base must be an http(s) URL, got {args.fhir_base!r}",
              file=sys.stderr)
        return EXIT_CONFIG
    try:
        bundles = fixture_bundles(Path(args.fixtures_dir) if args.fixtures_dir else None)
        if not bundles:
            print("receptor-cds load-fixtures: no fixture bundles found", file=sys.stderr)
            return EXIT_CONFIG
        loaded = load_into(args.fhir_base, bundles, token=token)
    except FixtureLoadError as exc:
        print(f"receptor-cds load-fixtures: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Loaded {len(loaded)} fixture bundles into {args.fhir_base}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from app.audit.command import main as run_audit
    return run_audit(args)


def main(argv: Sequence[str] | None = None) -> int:
    from app.monitoring import configure_logging

    argv = list(sys.argv[1:] if argv is None else argv)
    args = _build_parser().parse_args(argv)
    # Every command logs as `serve` does: RECEPTOR_CDS_LOG_FORMAT and _LEVEL, the URL loggers pinned at WARNING.
    log_format = os.environ.get("RECEPTOR_CDS_LOG_FORMAT", "").strip().lower() or "text"
    log_level = os.environ.get("RECEPTOR_CDS_LOG_LEVEL", "").strip().upper() or "INFO"
    try:
        configure_logging(log_format, log_level)
    except ValueError as exc:
        print(f"receptor-cds {args.command}: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "serve":
        return _serve(args, argv)
    handler = {"demo": _demo, "load-fixtures": _load_fixtures, "explain": _explain,
               "audit": _audit}[args.command]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
