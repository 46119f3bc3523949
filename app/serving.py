"""Production serving for ``receptor-cds serve``: gunicorn with gevent workers, one per core by default.

Why gunicorn + gevent (measured, see docs/deployment.md and benchmarks/bench_slow_clients.py):

- One worker *process* per core: the decision core is CPU-bound Python, so only processes use every core.
- gevent workers, not sync or gthread: a connection costs a greenlet, not a thread, so idle or slow-header
  (slowloris) connections cannot occupy every worker; and gunicorn's gevent worker reads each request's
  line and headers under a deadline (the keep-alive timeout, ``--keepalive``), so a client that dribbles
  its headers is cut off after a few seconds. gthread reads headers in a pool thread with no deadline, so
  as many slow clients as threads starve it; a sync worker is starved by one slow client per process.
- Bounded: at most ``--worker-connections`` connections per worker; beyond that new connections wait in
  the listen backlog. Short keep-alive. Graceful shutdown on SIGTERM: stop accepting, finish in-flight
  requests (up to ``--graceful-timeout`` seconds), exit 0.

gevent must patch the standard library before anything imports ``ssl``/``socket`` users (requests,
urllib3, redis). The ``receptor-cds`` command has already imported them when it parses its arguments, so
``serve`` checks the configuration, then replaces itself (``exec``, same PID) with a fresh interpreter whose
first statement is the patch (``BOOTSTRAP``) and which then runs :func:`serve_forever`.

Metrics in several worker processes: prometheus-client's multiprocess mode. Each worker writes its
samples to files in a directory (``RECEPTOR_CDS_METRICS_DIR``, else a temporary folder removed at exit),
``/metrics`` adds them up; the variable ``PROMETHEUS_MULTIPROC_DIR`` must be set before prometheus-client
is first imported, which is why it is set before the ``exec``.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from typing import Any, Callable

# The first statement of the server process (see the module docstring); argv[1:] are the serve options.
# It enters the command's own ``serve_process`` (app.cli), which builds the app and calls serve_forever here:
# serving is the layer below the command and never imports it.
BOOTSTRAP = ("from gevent import monkey; monkey.patch_all(); import sys; from app.cli import serve_process; "
             "sys.exit(serve_process(sys.argv[1:]))")
OWN_METRICS_DIR_ENV = "RCDS_SERVE_OWN_METRICS_DIR"   # set when serve made the folder itself


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 0                    # 0: one per core
    worker_class: str = "gevent"        # "gevent" (default) or "gthread" (for comparison; see docs)
    threads: int = 32                   # gthread only
    worker_connections: int = 1000      # per worker; further connections wait in the backlog
    keepalive: int = 5              # seconds: idle keep-alive, and (gevent) the deadline for a request's headers
    graceful_timeout: int = 20      # seconds to finish in-flight requests on SIGTERM
    timeout: int = 60               # seconds a silent worker is allowed before it is restarted
    backlog: int = 2048

    def gunicorn_config(self) -> dict[str, Any]:
        return {
            "bind": [f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"],
            "workers": self.workers or default_workers(),
            "worker_class": self.worker_class,
            "threads": self.threads,
            "worker_connections": self.worker_connections,
            "keepalive": self.keepalive,
            "graceful_timeout": self.graceful_timeout,
            "timeout": self.timeout,
            "backlog": self.backlog,
            "preload_app": True,            # configuration errors surface once, before any worker starts
            "proc_name": "receptor-cds",
            "accesslog": None,              # our own request log (app.monitoring) carries no patient data
            "errorlog": "-",
            "loglevel": "info",
            "control_socket_disable": True,  # no writable control socket in the user's home folder
            # Header limits: gunicorn's defaults, written out so they are visible.
            "limit_request_line": 8190,
            "limit_request_fields": 100,
            "limit_request_field_size": 8190,
        }


def prepare_metrics_dir(configured: str | None) -> str:
    """The multiprocess metrics folder, emptied (samples of an earlier run would be added to this one's)."""
    if configured:
        os.makedirs(configured, exist_ok=True)
        for name in os.listdir(configured):
            if name.endswith(".db"):
                os.remove(os.path.join(configured, name))
        return configured
    path = tempfile.mkdtemp(prefix="receptor-cds-metrics-")
    os.environ[OWN_METRICS_DIR_ENV] = path
    return path


def exec_server(argv: list[str], env: dict[str, str]) -> None:
    """Replace this process with the server process (same PID: signals from a process manager reach it)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-c", BOOTSTRAP, *argv], env)


def serve_forever(flask_app: Any, options: ServeOptions, on_exit: Callable[[], None] | None = None) -> int:
    """Run gunicorn's arbiter with ``flask_app`` (already built: preloaded) until it is told to stop."""
    from gunicorn.app.base import BaseApplication

    config = options.gunicorn_config()

    def child_exit(_server: Any, worker: Any) -> None:
        # prometheus-client multiprocess mode: a dead worker's live gauges must not be reported.
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess
            multiprocess.mark_process_dead(worker.pid)

    def when_ready(_server: Any) -> None:
        print(f"Serving Receptor CDS on http://{options.host}:{options.port}/ with {config['workers']} "
              f"{options.worker_class} worker(s) (discovery at /cds-services)", flush=True)

    def on_exit_hook(_server: Any) -> None:
        own = os.environ.get(OWN_METRICS_DIR_ENV)
        if own:
            shutil.rmtree(own, ignore_errors=True)
        if on_exit:
            on_exit()

    from gunicorn import glogging

    class _RootLogger(glogging.Logger):
        """gunicorn's messages go through the process's own handler (text or JSON, app.monitoring.logs)."""

        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for logger in (self.error_log, self.access_log):
                for handler in list(logger.handlers):
                    logger.removeHandler(handler)
                logger.propagate = True

    class _Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in {**config, "logger_class": _RootLogger, "child_exit": child_exit, "when_ready": when_ready,
                               "on_exit": on_exit_hook}.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return flask_app

    _Application().run()     # gunicorn exits the process itself on errors (e.g. the port is taken)
    return 0
