"""The layout of an export on disk, and how a new export or an incremental one takes its place.

    OUT/export/manifest.json             the full export's manifest (file URLs replaced by local names)
    OUT/export/Observation.1.ndjson ...  its files (mode 0600, folder 0700)
    OUT/export/delta-001/manifest.json   an incremental export (``--since``) on top of it, and its files
    OUT/export/delta-002/...

Why keep the export: an incremental run downloads only what changed since an instant, which is not a patient's
whole record; the audit needs the record, so the changes are laid over the last full export and every patient
is assessed on the merged data (the newest version of each resource wins, see ``partitions``). Deletions are not
carried by a ``_since`` export: a full run (without ``--since``) starts afresh.

A folder given with ``--ndjson`` may have a ``manifest.json`` (then only its ``output`` files are read) or not
(then every ``*.ndjson`` file in it is read).
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


class ExportFolderError(Exception):
    """The folder is not a usable export (missing, unreadable manifest, a file the manifest names is absent)."""


@dataclass
class ExportInput:
    """What the pipeline reads and what the report says about where it came from."""

    files: list[Path] = field(default_factory=list)
    error_files: list[Path] = field(default_factory=list)
    transaction_times: list[str] = field(default_factory=list)   # full export first, then each delta
    types: dict[Path, str] = field(default_factory=dict)         # file -> resource type, when a manifest says
    group: str | None = None                                      # the Group the full export was limited to

    @property
    def export_time(self) -> str | None:
        return self.transaction_times[-1] if self.transaction_times else None


def _manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportFolderError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ExportFolderError(f"{path} is not a Bulk Data manifest")
    return data


def _add(folder: Path, manifest: dict[str, Any], found: ExportInput) -> None:
    if isinstance(manifest.get("transactionTime"), str):
        found.transaction_times.append(manifest["transactionTime"])
    for kind, target in (("output", found.files), ("error", found.error_files)):
        for item in manifest.get(kind) or []:
            name = item.get("url") if isinstance(item, dict) else None
            if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
                raise ExportFolderError(f"{folder / MANIFEST} names a file outside its folder: {str(name)[:80]!r}")
            path = folder / name
            if not path.is_file():
                raise ExportFolderError(f"{path} is named in {MANIFEST} but missing: the export is incomplete")
            target.append(path)
            if isinstance(item.get("type"), str):
                found.types[path] = item["type"]


def read_export_folder(folder: Path) -> ExportInput:
    """The files to read: a manifest's outputs (and its deltas'), else every ``*.ndjson`` in the folder."""
    if not folder.is_dir():
        raise ExportFolderError(f"{folder} is not a folder")
    found = ExportInput()
    manifest = _manifest(folder)
    if manifest is None:
        found.files = sorted(p for p in folder.glob("*.ndjson") if p.is_file() and not p.name.endswith(".errors.ndjson"))
        found.error_files = sorted(p for p in folder.glob("*.errors.ndjson") if p.is_file())
    else:
        _add(folder, manifest, found)
        found.group = manifest.get("group") if isinstance(manifest.get("group"), str) else None
        for delta in sorted(p for p in folder.glob("delta-*") if p.is_dir()):
            delta_manifest = _manifest(delta)
            if delta_manifest is None:
                raise ExportFolderError(f"{delta} has no {MANIFEST}: an incremental export that did not finish")
            _add(delta, delta_manifest, found)
    if not found.files:
        raise ExportFolderError(f"no NDJSON files to read in {folder}")
    return found


def last_transaction_time(export: Path) -> str | None:
    """The transactionTime of the newest export (full or delta) in ``export``, if any."""
    try:
        return read_export_folder(export).export_time
    except ExportFolderError:
        return None


def install_full(staging: Path, export: Path) -> None:
    """Make a completed full export ``staging`` the one at ``export``, replacing any earlier one."""
    old = export.with_name(export.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if export.exists():
        os.replace(export, old)
    os.replace(staging, export)
    shutil.rmtree(old, ignore_errors=True)


def install_delta(staging: Path, export: Path) -> Path:
    """Add a completed incremental export on top of the full one; returns its folder."""
    numbers = [int(p.name.split("-", 1)[1]) for p in export.glob("delta-*") if p.name.split("-", 1)[1].isdigit()]
    target = export / f"delta-{max(numbers, default=0) + 1:03d}"
    os.replace(staging, target)
    return target


def server_errors(files: list[Path], limit: int = 20) -> tuple[int, list[str]]:
    """How many OperationOutcome issues the server reported in its error files, and the first few texts."""
    count, texts = 0, []
    for path in files:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    outcome = json.loads(line)
                except ValueError:
                    continue
                for issue in outcome.get("issue") or [] if isinstance(outcome, dict) else []:
                    count += 1
                    if len(texts) < limit and isinstance(issue, dict):
                        text = issue.get("diagnostics") or (issue.get("details") or {}).get("text") or issue.get("code")
                        texts.append("".join(ch if ch.isprintable() else " " for ch in str(text))[:200])
    return count, texts
