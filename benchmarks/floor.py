"""The floor of the load benchmark: a Flask endpoint that reads the request body and answers constant JSON.

    python benchmarks/floor.py --port PORT --answer FILE

``FILE`` holds the product's own answer for the benchmark's record (same size, same bytes), served as it
is: no JSON work, no JWT, no decision. It runs on the same server stack, with the same default settings, as
``receptor-cds serve``: gunicorn with its default workers through ``app.serving`` where that module exists,
else waitress with serve's default thread count. product/floor is then the share of the stack's capacity the
product reaches. Loopback only; stopped by the benchmark with SIGTERM.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = (ROOT / "app" / "serving.py").exists()
if GUNICORN and __name__ == "__main__":
    # As in serve's server process: gevent patches the standard library before anything else is imported.
    from gevent import monkey
    monkey.patch_all()

import argparse  # noqa: E402
import signal  # noqa: E402

sys.path.insert(0, str(ROOT))


def floor_app(answer: bytes):
    import flask

    app = flask.Flask("receptor-cds-floor")

    @app.post("/cds-services/receptor-assessment")
    def answer_constant() -> flask.Response:
        flask.request.get_data()       # the body is received and read, as the product must
        return flask.Response(answer, mimetype="application/json")

    @app.get("/")
    def ready() -> str:
        return "floor"

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--answer", type=Path, required=True)
    args = parser.parse_args(argv)
    app = floor_app(args.answer.read_bytes())
    if GUNICORN:
        from app.serving import ServeOptions, serve_forever
        options = ServeOptions(host="127.0.0.1", port=args.port)     # serve's defaults otherwise
        print(f"floor on http://127.0.0.1:{args.port}/ (gunicorn, serve's default options)", flush=True)
        return serve_forever(app, options)
    from waitress import serve

    from app.cli import _build_parser
    threads = _build_parser().parse_args(["serve"]).threads
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    print(f"floor on http://127.0.0.1:{args.port}/ (waitress, {threads} threads)", flush=True)
    serve(app, host="127.0.0.1", port=args.port, threads=threads, ident="receptor-cds-floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
