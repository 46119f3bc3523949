"""A FHIR Bulk Data Access client (``$export``): kick-off, status polling, streaming downloads.

The flow (Bulk Data Access IG, asynchronous request pattern):
1. kick-off: ``GET [base]/$export`` (system level) or ``[base]/Group/[id]/$export`` with ``_type``,
   ``_since``, ``_outputFormat=application/fhir+ndjson`` and ``Prefer: respond-async``; the server answers
   ``202 Accepted`` with the status URL in ``Content-Location``;
2. polling: ``202`` while running (``X-Progress`` is shown, ``Retry-After`` is honoured, capped by the
   export deadline), ``200`` with the manifest when done; ``429``/``503`` are waited out; any other status is
   the export's failure, reported with the server's OperationOutcome text;
3. download: every ``output`` (and ``error``) file, streamed to disk, then ``DELETE`` on the status URL so the
   server can drop the files.

The same time and size discipline as ``cds_hooks.fhir_client``: explicit connect/read timeouts on every
request, an overall deadline for the export and one for the downloads, caps on the bytes of one file, of all
files and of one NDJSON line; the access token goes only to the FHIR server's own origin (a status or file URL
elsewhere that needs it is refused, never sent the token); messages carry no token, query string or patient id.

Nothing half-written is ever presented as complete: a file is written as ``name.part`` and renamed only when
its stream ended cleanly, its last line is whole and its line count matches the manifest's ``count``; the
caller gets the folder only when every file made it (``export`` downloads into a staging folder and renames it).
"""
from __future__ import annotations

import email.utils
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from cds_hooks.fhir_client import FHIR_JSON, FhirAuthError, FhirError, redact

log = logging.getLogger(__name__)

NDJSON = "application/fhir+ndjson"
_CHUNK = 256 * 1024


class BulkExportError(FhirError):
    """The export could not be had: refused, failed on the server, too slow, too large, or cut off."""


class TokenSource(Protocol):
    def token(self) -> str: ...
    def invalidate(self) -> None: ...


@dataclass(frozen=True)
class ExportLimits:
    """Time and size limits of one export (seconds, bytes)."""

    connect_timeout: float = 3.05
    read_timeout: float = 30.0           # one socket read; a stalled stream fails after this
    export_timeout: float = 3600.0       # kick-off to manifest
    download_timeout: float = 4 * 3600.0
    min_poll: float = 0.5                # a Retry-After below this is raised to it
    max_poll: float = 120.0              # ... and one above this is lowered to it
    max_file_bytes: int = 10 * 1024**3
    max_total_bytes: int = 100 * 1024**3
    max_line_bytes: int = 16 * 1024**2


@dataclass(frozen=True)
class ManifestFile:
    type: str
    url: str
    count: int | None = None


@dataclass
class Manifest:
    """The completed export's manifest (``transactionTime`` is the point in time the data reflects)."""

    transaction_time: str
    request: str
    requires_access_token: bool
    output: list[ManifestFile] = field(default_factory=list)
    error: list[ManifestFile] = field(default_factory=list)

    @classmethod
    def parse(cls, body: Any) -> "Manifest":
        if not isinstance(body, dict):
            raise BulkExportError("the completed export's manifest is not a JSON object")
        when = body.get("transactionTime")
        if not isinstance(when, str) or not when:
            raise BulkExportError("the export manifest has no transactionTime")
        lists = {}
        for name in ("output", "error"):
            items = body.get(name, [])
            if not isinstance(items, list):
                raise BulkExportError(f"the export manifest's {name} is not a list")
            files = []
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("url"), str) or not item["url"]:
                    raise BulkExportError(f"an entry of the export manifest's {name} has no url")
                count = item.get("count")
                files.append(ManifestFile(str(item.get("type") or "?"), item["url"],
                                          count if isinstance(count, int) and count >= 0 else None))
            lists[name] = files
        return cls(when, str(body.get("request") or ""), bool(body.get("requiresAccessToken")),
                   lists["output"], lists["error"])

    def to_local(self, names: dict[str, str]) -> dict[str, Any]:
        """This manifest with file URLs replaced by the local file names (what is kept beside the files)."""
        def entries(files: list[ManifestFile]) -> list[dict[str, Any]]:
            return [{"type": f.type, "url": names[f.url], **({"count": f.count} if f.count is not None else {})}
                    for f in files if f.url in names]
        return {"transactionTime": self.transaction_time, "request": redact(self.request) if self.request else "",
                "requiresAccessToken": self.requires_access_token,
                "output": entries(self.output), "error": entries(self.error)}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _printable(text: object, limit: int = 200) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in str(text))[:limit].strip()


def _outcome_text(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return ""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    texts = []
    for issue in body.get("issue") or []:
        if isinstance(issue, dict):
            text = issue.get("diagnostics") or (issue.get("details") or {}).get("text") or issue.get("code")
            if text:
                texts.append(_printable(text, 400))
    return "; ".join(texts)[:400]


def retry_after_seconds(value: str | None, default: float) -> float:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; ``default`` when absent or unreadable."""
    if not value:
        return default
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


class BulkExportClient:
    """One FHIR server's ``$export``. ``auth`` is None for an open server, else a token source
    (``BackendServicesAuth``) asked for a token before each request and told when one was refused."""

    def __init__(self, base_url: str, auth: TokenSource | None = None, *, limits: ExportLimits = ExportLimits(),
                 session: requests.Session | None = None):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BulkExportError(f"the FHIR base URL must be an absolute http(s) URL, got {redact(base_url)!r}")
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.limits = limits
        self._origin = _origin(self.base_url)
        if session is None:
            session = requests.Session()
            retry = Retry(total=1, connect=1, read=0, status=0, other=0, redirect=0,
                          allowed_methods=frozenset({"GET", "HEAD", "DELETE"}), raise_on_status=False)
            adapter = HTTPAdapter(max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.session = session

    # ------------------------------------------------------------------ requests

    def _headers(self, url: str, accept: str, with_token: bool = True) -> dict[str, str]:
        headers = {"Accept": accept}
        if with_token and self.auth is not None and _origin(url) == self._origin:
            headers["Authorization"] = f"Bearer {self.auth.token()}"
        return headers

    def _timeout(self, deadline: float | None) -> tuple[float, float]:
        if deadline is None:
            return self.limits.connect_timeout, self.limits.read_timeout
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BulkExportError("the export's time limit ran out")
        return min(self.limits.connect_timeout, remaining), min(self.limits.read_timeout, remaining)

    def _send(self, method: str, url: str, *, accept: str = FHIR_JSON, deadline: float | None = None,
              stream: bool = False, with_token: bool = True, extra: dict[str, str] | None = None) -> requests.Response:
        """One request; a 401 with a token gets one retry with a fresh token."""
        for attempt in (1, 2):
            headers = self._headers(url, accept, with_token)
            headers.update(extra or {})
            try:
                resp = self.session.request(method, url, headers=headers, timeout=self._timeout(deadline),
                                            stream=stream, allow_redirects=False)
            except requests.Timeout:
                raise BulkExportError(f"the FHIR server did not answer in time: {method} {redact(url)}") from None
            except requests.RequestException as exc:
                raise BulkExportError(f"the FHIR server could not be reached ({type(exc).__name__}): "
                                      f"{method} {redact(url)}") from None
            if resp.status_code == 401 and "Authorization" in headers and attempt == 1:
                resp.close()
                self.auth.invalidate()            # type: ignore[union-attr]
                continue
            if resp.status_code in (401, 403):
                detail = _outcome_text(resp)
                resp.close()
                if self.auth is None:
                    hint = (" (no credentials were configured: set RECEPTOR_CDS_BULK_CLIENT_ID and "
                            "RECEPTOR_CDS_BULK_PRIVATE_KEY)")
                elif resp.status_code == 403:
                    hint = " (the token's scopes were not enough: RECEPTOR_CDS_BULK_SCOPE asks for others)"
                else:
                    hint = ""
                raise FhirAuthError(f"the FHIR server answered {resp.status_code} to {method} {redact(url)}"
                                    + (f": {detail}" if detail else "") + hint, resp.status_code)
            return resp
        raise AssertionError("unreachable")

    def _same_origin(self, url: str, what: str) -> str:
        absolute = urljoin(self.base_url + "/", url)
        if _origin(absolute) != self._origin:
            raise BulkExportError(f"refusing the {what} {redact(absolute)}: it is not on the FHIR server's origin "
                                  f"{redact(self.base_url)} (the access token may only be sent there)")
        return absolute

    # ------------------------------------------------------------------ kick-off and status

    def kick_off(self, types: Iterable[str] = (), *, since: str | None = None, group: str | None = None) -> str:
        """Start an export; returns the absolute status URL."""
        if group is not None:
            if not group or "/" in group or "?" in group or "#" in group:
                raise BulkExportError("the Group id must be a plain FHIR id")
            url = f"{self.base_url}/Group/{group}/$export"
        else:
            url = f"{self.base_url}/$export"
        params = {"_outputFormat": NDJSON}
        types = list(types)
        if types:
            params["_type"] = ",".join(types)
        if since:
            params["_since"] = since
        resp = self._send("GET", f"{url}?{urlencode(params)}", extra={"Prefer": "respond-async"})
        with resp:
            where = f"the {'Group' if group else 'system'}-level $export of {redact(self.base_url)}"
            if resp.status_code != 202:
                detail = _outcome_text(resp)
                raise BulkExportError(f"{where} was refused (HTTP {resp.status_code})" + (f": {detail}" if detail else ""))
            location = resp.headers.get("Content-Location")
            if not location:
                raise BulkExportError(f"{where} answered 202 without a Content-Location (status URL)")
        if self.auth is not None:
            return self._same_origin(location, "status URL")
        return urljoin(self.base_url + "/", location)

    def wait(self, status_url: str, *, on_progress: Callable[[str, float], None] | None = None,
             deadline: float | None = None, sleep: Callable[[float], None] = time.sleep) -> Manifest:
        """Poll until the export completes; ``on_progress(x_progress_text, elapsed_seconds)`` between polls."""
        started = time.monotonic()
        deadline = deadline if deadline is not None else started + self.limits.export_timeout
        delay = self.limits.min_poll
        while True:
            if time.monotonic() >= deadline:
                raise BulkExportError(f"the export did not complete within {self.limits.export_timeout:g} s")
            resp = self._send("GET", status_url, deadline=deadline)
            with resp:
                status = resp.status_code
                if status == 200:
                    try:
                        return Manifest.parse(resp.json())
                    except ValueError:
                        raise BulkExportError("the completed export's manifest is not JSON") from None
                if status in (202, 429, 503):
                    progress = _printable(resp.headers.get("X-Progress") or
                                          ("in progress" if status == 202 else f"server busy (HTTP {status})"), 60)
                    # No Retry-After: back off gently (x1.5), as the IG asks of clients.
                    fallback = min(self.limits.max_poll, delay * 1.5)
                    delay = retry_after_seconds(resp.headers.get("Retry-After"), fallback)
                    delay = min(max(delay, self.limits.min_poll), self.limits.max_poll)
                elif status == 404:
                    raise BulkExportError("the export's status URL answered 404: the server no longer knows this export")
                else:
                    detail = _outcome_text(resp)
                    raise BulkExportError(f"the export failed on the server (HTTP {status})"
                                          + (f": {detail}" if detail else ""))
            if on_progress is not None:
                on_progress(progress, time.monotonic() - started)
            sleep(max(0.0, min(delay, deadline - time.monotonic())))

    def delete(self, status_url: str) -> None:
        """Cancel a running export or release a finished one's files (best effort: failures are logged)."""
        try:
            resp = self._send("DELETE", status_url)
            resp.close()
        except FhirError as exc:
            log.warning("could not delete the export at the server: %s", exc)

    # ------------------------------------------------------------------ downloads

    def download(self, manifest: Manifest, folder: Path, *, on_bytes: Callable[[int, int], None] | None = None,
                 deadline: float | None = None) -> dict[str, str]:
        """Download every output and error file into ``folder``; returns {server URL: local file name}.

        ``on_bytes(bytes, lines)`` is called as data arrives. Raises ``BulkExportError`` on the first file
        that cannot be had whole; files already complete stay, the failed one's ``.part`` is removed.
        """
        deadline = deadline if deadline is not None else time.monotonic() + self.limits.download_timeout
        names: dict[str, str] = {}
        seen: dict[str, int] = {}
        total = [0]
        for kind, files in (("output", manifest.output), ("error", manifest.error)):
            for item in files:
                base = "".join(ch for ch in item.type if ch.isalnum()) or "Unknown"
                seen[base] = seen.get(base, 0) + 1
                name = f"{base}.{seen[base]}.ndjson" if kind == "output" else f"{base}.{seen[base]}.errors.ndjson"
                self._download_one(item, folder / name, manifest.requires_access_token, deadline, total, on_bytes)
                names[item.url] = name
        return names

    def _download_one(self, item: ManifestFile, path: Path, needs_token: bool, deadline: float, total: list[int],
                      on_bytes: Callable[[int, int], None] | None) -> None:
        url = urljoin(self.base_url + "/", item.url)
        if urlsplit(url).scheme not in ("http", "https"):
            raise BulkExportError(f"the manifest names a {item.type} file that is not an http(s) URL")
        if needs_token:
            url = self._same_origin(url, f"{item.type} file URL")
        what = f"the {item.type} file {redact(url)}"
        partial = path.with_name(path.name + ".part")
        lines = 0
        size = 0
        line_bytes = 0                      # bytes since the last newline
        try:
            resp = self._send("GET", url, accept=NDJSON, deadline=deadline, stream=True, with_token=needs_token)
            with resp:
                if resp.status_code != 200:
                    detail = _outcome_text(resp)
                    raise BulkExportError(f"{what} could not be downloaded (HTTP {resp.status_code})"
                                          + (f": {detail}" if detail else ""))
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as out:
                    for chunk in resp.iter_content(_CHUNK):
                        if time.monotonic() > deadline:
                            raise BulkExportError(f"{what}: the downloads did not finish within "
                                                  f"{self.limits.download_timeout:g} s")
                        size += len(chunk)
                        total[0] += len(chunk)
                        if size > self.limits.max_file_bytes:
                            raise BulkExportError(f"{what} is larger than {self.limits.max_file_bytes} bytes "
                                                  "(the per-file cap); not read further")
                        if total[0] > self.limits.max_total_bytes:
                            raise BulkExportError(f"the export is larger than {self.limits.max_total_bytes} bytes "
                                                  f"(the total cap); stopped at {what}")
                        newlines = chunk.count(b"\n")
                        if newlines:
                            first = chunk.index(b"\n")
                            longest = max(line_bytes + first, _longest_inner_line(chunk))
                            line_bytes = len(chunk) - chunk.rindex(b"\n") - 1
                            longest = max(longest, line_bytes)
                        else:
                            longest = line_bytes = line_bytes + len(chunk)
                        if longest > self.limits.max_line_bytes:
                            raise BulkExportError(f"{what} has a line longer than {self.limits.max_line_bytes} bytes "
                                                  "(one resource per line is expected); not read further")
                        lines += newlines
                        out.write(chunk)
                        if on_bytes is not None:
                            on_bytes(len(chunk), newlines)
            if line_bytes:                                   # a last line without its newline: whole JSON?
                lines += 1
                last = _last_line(partial)
                try:
                    json.loads(last)
                except ValueError:
                    raise BulkExportError(f"{what} ends in the middle of a resource (the download was cut off)") from None
            if item.count is not None and item.count != lines:
                raise BulkExportError(f"{what} holds {lines} resources, the manifest says {item.count}: "
                                      "the file is incomplete")
            os.replace(partial, path)
        except requests.RequestException as exc:
            raise BulkExportError(f"{what} was cut off during download ({type(exc).__name__})") from None
        finally:
            if partial.exists():
                partial.unlink()

    # ------------------------------------------------------------------ the whole flow

    def export(self, folder: Path, types: Iterable[str] = (), *, since: str | None = None, group: str | None = None,
               on_progress: Callable[[str, float], None] | None = None,
               on_manifest: Callable[[Manifest], None] | None = None,
               on_bytes: Callable[[int, int], None] | None = None) -> Manifest:
        """Kick off, wait, download into ``folder`` (created, mode 0700; must not exist) with a local
        ``manifest.json`` (file names instead of URLs, plus ``group``, ``since`` and ``types`` as asked), release
        the server's files. On any failure the export is cancelled at the server
        and ``folder`` is removed, so a folder that exists is always a complete export."""
        folder = Path(folder)
        types = list(types)
        folder.mkdir(mode=0o700, parents=False, exist_ok=False)
        status_url = None
        try:
            status_url = self.kick_off(types, since=since, group=group)
            manifest = self.wait(status_url, on_progress=on_progress)
            if on_manifest is not None:
                on_manifest(manifest)
            names = self.download(manifest, folder, on_bytes=on_bytes)
            # Beside the server's manifest, what was asked for (an incremental run must ask the same).
            local = {**manifest.to_local(names), "group": group, "since": since, "types": list(types)}
            fd = os.open(folder / "manifest.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(local, out, indent=2)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            if status_url is not None:
                self.delete(status_url)
            raise
        self.delete(status_url)
        return manifest


def _longest_inner_line(chunk: bytes) -> int:
    """Length of the longest line that starts and ends inside ``chunk``."""
    longest = 0
    start = chunk.find(b"\n") + 1
    while True:
        end = chunk.find(b"\n", start)
        if end < 0:
            return longest
        longest = max(longest, end - start)
        start = end + 1


def _last_line(path: Path) -> bytes:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        step = min(end, 64 * 1024)
        data = b""
        while step:
            handle.seek(end - len(data) - step)
            data = handle.read(step) + data
            if b"\n" in data or len(data) >= end:
                break
            step = min(64 * 1024, end - len(data))
        return data.rsplit(b"\n", 1)[-1]
