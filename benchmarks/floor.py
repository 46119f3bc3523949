"""The floor of the load benchmark: a Flask endpoint that reads the request body and answers constant JSON.

    python benchmarks/floor.py --port PORT --answer FILE

``FILE`` holds the product's own answer for the benchmark's record (same size, same bytes), served as it
is: no JSON work, no JWT, no decision. It runs on the same server stack, with the same settings, as
``receptor-cds serve`` (``app.cli``), so product/floor is the share of the stack's capacity the product
reaches. Loopback only; stopped by the benchmark with SIGTERM.
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def floor_app(answer: bytes):
    import flask

    app = flask.Flask("receptor-cds-floor")

    @app.post("/cds-services/receptor-assessment")
    def answer_constant() -> flask.Response:
        flask.request.get_data()       # the body is received and read, as the product must
        return flask.Response(answer, mimetype="application/json")

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--answer", type=Path, required=True)
    args = parser.parse_args(argv)
    from waitress import serve

    # receptor-cds serve's stack as of this writing: waitress with its --threads default.
    from app.cli import _build_parser
    threads = _build_parser().parse_args(["serve"]).threads
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    print(f"floor on http://127.0.0.1:{args.port}/ (waitress, {threads} threads)", flush=True)
    serve(floor_app(args.answer.read_bytes()), host="127.0.0.1", port=args.port, threads=threads,
          ident="receptor-cds-floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
