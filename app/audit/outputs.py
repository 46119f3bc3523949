"""Writing the audit's files: readable only by the user, and never half-written under their final names.

Each partition's rows (already sorted by patient) go to a part file in a private staging folder as they arrive;
``finish`` merges the part files into ``worklist.ndjson`` and ``worklist.csv`` sorted by patient id (a streaming
merge: the client never holds the population) and renames them into place; a run that fails leaves the
previous run's files as they were and no staging folder.
"""
from __future__ import annotations

import csv
import heapq
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from .rows import ROW_FIELDS

FILE_MODE = 0o600
DIR_MODE = 0o700
CSV_FIELDS: tuple[str, ...] = (*ROW_FIELDS, "error")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) if missing; return it."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


def loosely_shared(path: Path) -> bool:
    """True when group or others may read or enter the folder (worth a warning: the outputs name patients)."""
    return bool(path.stat().st_mode & 0o077)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file in the same folder, renamed), mode 0600."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _cell(value: Any) -> str:
    """A CSV cell: lists joined, and text a spreadsheet would run as a formula quoted with a leading apostrophe
    (a server-supplied ``meta.source`` could start with ``=``)."""
    if value is None:
        text = ""
    elif isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict) and {"code", "source", "count"} <= item.keys():
                parts.append(f"{item['code']} ({item['source']}): {item['count']}")
            else:
                parts.append(str(item))
        text = " | ".join(parts)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class WorklistWriter:
    """``add(rows)`` per partition, then ``finish()``; ``abort()`` (or leaving the ``with`` by an exception)
    removes everything it wrote."""

    def __init__(self, out: Path):
        self.out = out
        self.staging = Path(tempfile.mkdtemp(prefix=".worklist-", dir=out))
        os.chmod(self.staging, DIR_MODE)
        self.parts: list[Path] = []

    def __enter__(self) -> "WorklistWriter":
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None:
            self.abort()

    def add(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        path = self.staging / f"part-{len(self.parts):06d}.ndjson"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for row in sorted(rows, key=lambda r: r["patient"]):
                out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.parts.append(path)

    def _merged(self) -> Iterator[tuple[str, str]]:
        handles = [p.open(encoding="utf-8") for p in self.parts]
        try:
            streams = [((json.loads(line)["patient"], line) for line in handle) for handle in handles]
            yield from heapq.merge(*streams, key=lambda pair: pair[0])
        finally:
            for handle in handles:
                handle.close()

    def finish(self) -> tuple[Path, Path]:
        """Merge into ``worklist.ndjson`` and ``worklist.csv`` (sorted by patient) and move them into place."""
        ndjson_tmp = self.staging / "worklist.ndjson"
        csv_tmp = self.staging / "worklist.csv"
        with os.fdopen(os.open(ndjson_tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "w",
                       encoding="utf-8") as ndjson_out, \
                os.fdopen(os.open(csv_tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "w",
                          encoding="utf-8", newline="") as csv_out:
            writer = csv.writer(csv_out)
            writer.writerow(CSV_FIELDS)
            for _, line in self._merged():
                ndjson_out.write(line)
                row = json.loads(line)
                writer.writerow([_cell(row.get(name)) for name in CSV_FIELDS])
        targets = (self.out / "worklist.ndjson", self.out / "worklist.csv")
        os.replace(ndjson_tmp, targets[0])
        os.replace(csv_tmp, targets[1])
        self.abort()
        return targets

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

