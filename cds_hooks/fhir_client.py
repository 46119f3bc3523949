"""The one FHIR R4 REST client used by the CDS Hooks service and the SMART app.

Why it exists rather than calling ``requests`` in place: every outbound FHIR call must follow the same
rules (standards checklist §1F item 34 and §3C items 12-15):

* pages are followed through ``Bundle.link[relation=next].url`` exactly as the server gave them
  (never built by us), relative links resolved against the base, capped at ``max_pages``;
* every hop (a ``next`` link, a redirect) must lie under the base URL, path included, with no dot segment
  (also percent-encoded once or twice) and no ``;`` path parameter; one that does not is *refused*
  (``FhirResponseError``) rather than followed, with or without the token, because silently dropping the
  remaining pages would lose data. The bearer token goes only to the base URL's origin;
* an absolute deadline on every exchange (``deadline``, or connect + read timeout per request without one),
  enforced while connecting, waiting and reading (``cds_hooks.outbound``), so a server that drips one byte a
  second cannot hold a hook call beyond its budget;
* caps on decoded bytes (per response and per client, i.e. per hook call; gzip bombs included) and on Bundle
  entries (per page and per client); a server over a cap gets ``FhirTooLarge`` naming the cap;
* errors are typed and their messages are short and free of tokens, query strings and bodies
  (query strings and bodies can carry patient data).

Only entries whose ``search.mode`` is absent or ``match`` are returned by ``search``/``follow_pages``:
``include`` entries are context the caller did not ask for by type, and ``outcome`` entries are
server warnings (checklist §3B item 10); the latter are kept on ``SearchResults.outcomes``.
"""
from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

import orjson
import requests
from urllib3.util.retry import Retry

from cds_hooks import metrics

from .outbound import DeadlineExceeded, ResponseTooLarge, UnsupportedEncoding, bounded_session

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
_TYPE_RE = re.compile(r"^[A-Z][A-Za-z]{1,63}$")
# FHIR R4 id datatype: [A-Za-z0-9\-\.]{1,64}
_ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_MAX_REDIRECTS = 3


class FhirError(Exception):
    """Base of every FHIR access failure; the message is safe to log (no token, no query, no body)."""


class FhirUnavailable(FhirError):
    """The server could not be reached in time: connection error, timeout, or time budget exhausted."""


class FhirAuthError(FhirError):
    """The server refused our credentials (401) or our permissions (403)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class FhirResponseError(FhirError):
    """The server answered, but not with what FHIR promises: other non-2xx, non-JSON, wrong resource type,
    an OperationOutcome instead of data, or a page link we refuse to follow."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class FhirTooLarge(FhirResponseError):
    """The server's answers passed a cap of this client (bytes or Bundle entries, per response or per call);
    the message names the cap."""


class InvalidFhirRequest(FhirError, ValueError):
    """A resource type or id that cannot be a FHIR type/id (e.g. an untrusted patient id with a slash);
    refused before anything is sent so it cannot steer the request to another path."""


class SearchResults(list):
    """A ``list`` of matched resources that also says whether paging was cut short.

    ``truncated`` is True when ``max_pages`` was reached while the server still offered a ``next`` page:
    callers should tell the user the picture may be incomplete rather than present it as whole.
    ``outcomes`` holds OperationOutcome resources the server sent as ``search.mode=outcome`` entries.
    """

    def __init__(self, items: Iterable[dict] = ()):
        super().__init__(items)
        self.truncated: bool = False
        self.pages: int = 0
        self.outcomes: list[dict] = []


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def redact(url: str) -> str:
    """What of a URL may appear in logs and error messages: no query string, fragment or userinfo,
    and no resource id (``/Patient/123`` becomes ``/Patient/{id}``): ids identify patients."""
    try:
        parts = urlsplit(url)
    except ValueError:          # e.g. "Invalid IPv6 URL": a link or fhirServer no client could use
        return "(unparseable URL)"
    segments = parts.path.split("/")
    for i in range(1, len(segments)):
        previous = segments[i - 1]
        if previous[:1].isupper() and previous.isalpha() and segments[i] and not segments[i].startswith(("$", "_")):
            segments[i] = "{id}"
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], "/".join(segments), "", ""))


_CODE = re.compile(r"[a-z-]{1,40}")


def outcome_issue_codes(body: Any) -> list[str]:
    """The ``issue.code`` values of an OperationOutcome (a fixed FHIR code list, safe to show anyone)."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return []
    issues = body.get("issue") if isinstance(body.get("issue"), list) else []
    codes = [i.get("code") for i in issues if isinstance(i, dict)]
    return list(dict.fromkeys(c for c in codes if isinstance(c, str) and _CODE.fullmatch(c)))


def _issue_kinds(issues: list[Any]) -> str:
    """``severity/code`` of each issue, from FHIR's fixed code lists only (anything else is shown as ``?``)."""
    def fixed(value: Any) -> str:
        return value if isinstance(value, str) and _CODE.fullmatch(value) else "?"
    return ", ".join(f"{fixed(i.get('severity'))}/{fixed(i.get('code'))}" for i in issues if isinstance(i, dict))


def _has_text(issue: Any) -> bool:
    if not isinstance(issue, dict):
        return False
    details = issue.get("details")
    return bool(issue.get("diagnostics") or (isinstance(details, dict) and details.get("text")))


def outcome_summary(body: Any, where: str, status: int | None = None) -> str | None:
    """What of an upstream OperationOutcome may reach our caller: its issue codes only (issue 8). None when
    ``body`` is not an OperationOutcome.

    The log gets the HTTP status, the resource type asked for (in ``where``, a redacted URL) and each issue's
    severity and code, never the upstream server's own words (``diagnostics``, ``details.text``): free text can
    name the patient, and the house rule is no patient data in logs at any level. Masking names out of free
    text cannot be done reliably, so the text is not logged at all."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return None
    issues = body.get("issue") if isinstance(body.get("issue"), list) else []   # a non-list "issue" is read as none
    has_text = any(_has_text(i) for i in issues)
    log.warning("OperationOutcome from %s%s: %d issue(s) %s%s", where,
                f" (HTTP {status})" if status is not None else "", len(issues), _issue_kinds(issues) or "-",
                " (its text is not logged)" if has_text else "")
    codes = outcome_issue_codes(body)
    return f"OperationOutcome issue code {', '.join(codes)}" if codes else "OperationOutcome without an issue code"


def normalised_port(parts) -> int | None:
    """The port of split URL ``parts``, the scheme's default filled in; None when the port is not a number."""
    try:
        port = parts.port
    except ValueError:
        return None
    if port is None:
        port = {"https": 443, "http": 80}.get(parts.scheme.lower())
    return port


def _path_segments(path: str) -> list[str] | None:
    """The segments of a URL path, or None if it could climb out of a prefix once a client, proxy or server
    normalises it: ``.``/``..`` (also percent-encoded, or encoded twice as ``%252e``: urllib3 and most servers
    resolve them), empty interior segments, encoded slashes or backslashes, ``;`` path parameters. A trailing
    slash is allowed."""
    segments = path.split("/")[1:] if path.startswith("/") else ([path] if path else [])
    if segments and segments[-1] == "":
        segments = segments[:-1]
    for segment in segments:
        decoded = segment
        for _ in range(4):      # decode until stable: '%252e' is '%2e' is '.' once a proxy and a server decode
            previous, decoded = decoded, unquote(decoded)
            if decoded == previous:
                break
        else:
            return None         # still changing after four rounds: nobody encodes a path like that in good faith
        # ';' starts a path parameter, which some servers strip before resolving ('..;' climbs on Tomcat).
        if not segment or decoded in (".", "..") or any(c in decoded for c in "/\\;"):
            return None
    return segments


def fhir_server_matches(prefix: str, url: str) -> bool:
    """True if ``url`` is ``prefix`` or below it, comparing scheme, host, port and path segments.

    Segment-wise so that ``https://ehr/fhir`` does not admit ``https://ehr/fhir-evil``; no
    userinfo, query, fragment or dot segment allowed in ``url`` (they are how SSRF payloads hide a
    host or climb out of the allowed path, e.g. ``https://ehr/fhir/../admin``).
    """
    if not isinstance(url, str) or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return False   # urlsplit silently strips these, the HTTP client may not: compare what is sent
    try:
        p, u = urlsplit(prefix), urlsplit(url)
        normalised_port(u)
    except ValueError:  # "Invalid IPv6 URL" and the like: nothing that cannot be parsed is on an allowlist
        return False
    if u.username is not None or u.password is not None or "@" in u.netloc or u.query or u.fragment:
        return False
    if (p.scheme.lower(), (p.hostname or "").lower(), normalised_port(p)) != (
        u.scheme.lower(), (u.hostname or "").lower(), normalised_port(u)
    ) or normalised_port(u) is None or not u.hostname:
        return False
    p_segments, u_segments = _path_segments(p.path), _path_segments(u.path)
    if p_segments is None or u_segments is None:
        return False
    return u_segments[: len(p_segments)] == p_segments


class FhirClient:
    """A client bound to one FHIR server (``base_url``), optionally with a bearer token.

    ``deadline`` is a ``time.monotonic()`` value: the total time budget of all calls made through this
    client. Every exchange ends by it (connecting, waiting for headers, reading the body: a server trickling
    bytes is cut off at the deadline); when nothing remains ``FhirUnavailable`` is raised without sending.
    Without a deadline each request gets ``connect_timeout + read_timeout`` in all.

    Caps (defaults fit a whole Synthea record with room to spare): ``max_response_bytes`` decoded bytes per
    answer, ``max_call_bytes`` for all answers through this client, ``max_entries_per_response`` entries per
    Bundle page and ``max_entries_per_call`` for all pages through this client. Past one: ``FhirTooLarge``.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        deadline: float | None = None,
        max_pages: int = 20,
        max_response_bytes: int = 16 * 1024 * 1024,
        max_call_bytes: int = 32 * 1024 * 1024,
        max_entries_per_response: int = 10_000,
        max_entries_per_call: int = 20_000,
        session: requests.Session | None = None,
    ):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidFhirRequest(f"FHIR base URL must be an absolute http(s) URL, got {redact(base_url)!r}")
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.max_pages = max(1, int(max_pages))
        self.max_entries_per_response = max_entries_per_response
        self.max_entries_per_call = max_entries_per_call
        self.entries_read = 0
        self._origin = _origin(self.base_url)
        self._own_session = session is None
        # Retries only for connection set-up failures on idempotent methods; never a POST, never a read.
        retry = Retry(total=1, connect=1, read=0, status=0, other=0, redirect=0,
                      allowed_methods=frozenset({"GET", "HEAD"}), raise_on_status=False)
        self.session = bounded_session(
            max_response_bytes=max_response_bytes, max_total_bytes=max_call_bytes, deadline=deadline,
            request_seconds=None if deadline is not None else connect_timeout + read_timeout,
            what="FHIR server", session=session, pool_connections=4, pool_maxsize=16, max_retries=retry)

    def __repr__(self) -> str:  # never shows the token
        return f"FhirClient({self.base_url!r}, token={'set' if self._token else None})"

    def __enter__(self) -> "FhirClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    # ------------------------------------------------------------------ public API

    def read(self, resource_type: str, resource_id: str) -> dict | None:
        """``GET {base}/{type}/{id}``; None when the server says 404 Not Found or 410 Gone."""
        self._check_type(resource_type)
        if not isinstance(resource_id, str) or not _ID_RE.match(resource_id):
            raise InvalidFhirRequest(f"not a valid FHIR id for {resource_type}")
        body = self._request(f"{self.base_url}/{resource_type}/{resource_id}", missing_ok=True)
        if body is None:
            return None
        if body.get("resourceType") != resource_type:
            raise FhirResponseError(
                f"read {resource_type}/{resource_id} returned {body.get('resourceType')!r}, not {resource_type}")
        return body

    def search(self, resource_type: str, params: Mapping[str, Any] | str | None = None) -> SearchResults:
        """``GET {base}/{type}?params``, then every ``next`` page; returns the ``match`` entries.

        ``params`` is a dict (a list value repeats the parameter, e.g. ``{"date": ["ge2024", "lt2025"]}``)
        or a query string as a CDS Hooks prefetch template writes it (``code=http://loinc.org|85337-4``).
        Either way every name and value goes out percent-encoded, as an HTTP library's params encoding does
        (``http%3A%2F%2Floinc.org%7C85337-4``): servers decode before parsing, so the meaning is unchanged,
        while a literal ``//`` in the request target is collapsed by some proxies (the SMART App Launcher's),
        after which the server matches nothing.
        """
        self._check_type(resource_type)
        if isinstance(params, str):
            query = urlencode(parse_qsl(params.lstrip("?"), keep_blank_values=True))
        else:
            query = urlencode(dict(params or {}), doseq=True)
        url = f"{self.base_url}/{resource_type}" + (f"?{query}" if query else "")
        first = self._request(url)
        return self._collect(first, url, first_fetched=True)

    def follow_pages(self, bundle: dict) -> SearchResults:
        """Resources of a searchset Bundle already in hand (e.g. a paginated CDS Hooks prefetch) plus those
        of its ``next`` pages, with the same rules as ``search`` (checklist §1E item 22, §3C item 15)."""
        return self._collect(bundle, self.base_url, first_fetched=False)

    def get(self, url: str) -> dict:
        """GET an absolute or base-relative URL on this server and return its JSON resource."""
        body = self._request(self._resolve(url))
        assert body is not None
        return body

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _check_type(resource_type: str) -> None:
        if not isinstance(resource_type, str) or not _TYPE_RE.match(resource_type):
            raise InvalidFhirRequest(f"not a FHIR resource type: {str(resource_type)[:40]!r}")

    def _resolve(self, url: str) -> str:
        """Resolve a relative URL against the base (R4H paging links may be relative) and refuse other
        origins: the token must not leave the server it was issued for, and dropping pages loses data."""
        try:
            absolute = urljoin(self.base_url + "/", url)
            origin = _origin(absolute)
        except ValueError:
            raise FhirResponseError("refusing to follow a link that cannot be parsed as a URL") from None
        if origin != self._origin:
            raise FhirResponseError(
                f"refusing to follow {redact(absolute)}: it is not on the FHIR server's origin "
                f"{redact(self.base_url)} (the access token may only be sent there)")
        parts = urlsplit(absolute)
        if not fhir_server_matches(self.base_url, urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))):
            # Same origin is not enough: every hop must stay under the allowlisted base, path included, and may
            # not hide a climb out of it (dot segments, also encoded twice; ';' path parameters). Issue 8.
            raise FhirResponseError(
                f"refusing to follow {redact(absolute)}: it is not under the FHIR server's base "
                f"{redact(self.base_url)} (or its path could climb out of it)")
        return absolute

    def _collect(self, bundle: Any, url: str, *, first_fetched: bool) -> SearchResults:
        results = SearchResults()
        seen: set[str] = set()
        page = bundle
        while True:
            if not isinstance(page, dict) or page.get("resourceType") != "Bundle":
                kind = page.get("resourceType") if isinstance(page, dict) else type(page).__name__
                raise FhirResponseError(f"expected a Bundle from {redact(url)}, got {kind!r}")
            results.pages += 1
            entries = page.get("entry") if isinstance(page.get("entry"), list) else []
            if first_fetched or page is not bundle:   # not a prefetched first page (it came in the request body)
                self._count_entries(len(entries), url)
            for entry in entries:
                if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                    continue
                search = entry.get("search")
                mode = search.get("mode") if isinstance(search, dict) else None
                if mode in (None, "match"):
                    results.append(entry["resource"])
                elif mode == "outcome":
                    results.outcomes.append(entry["resource"])
            links = page.get("link") if isinstance(page.get("link"), list) else []
            next_url = next((link["url"] for link in links if isinstance(link, dict)
                             and link.get("relation") == "next" and isinstance(link.get("url"), str) and link["url"]),
                            None)
            if not next_url:
                return results
            if results.pages >= self.max_pages:
                results.truncated = True
                log.warning("FHIR paging stopped after %d pages at %s (max_pages); results are incomplete",
                            results.pages, redact(self.base_url))
                return results
            url = self._resolve(next_url)
            if url in seen:
                raise FhirResponseError(f"paging loop: the server's next link repeats {redact(url)}")
            seen.add(url)
            page = self._request(url)

    def _count_entries(self, count: int, url: str) -> None:
        if count > self.max_entries_per_response:
            raise FhirTooLarge(f"the FHIR server's answer for {redact(url)} holds {count} entries, more than the cap "
                               f"of {self.max_entries_per_response} entries for one answer")
        self.entries_read += count
        if self.entries_read > self.max_entries_per_call:
            raise FhirTooLarge(f"the FHIR server's answers hold more than the cap of {self.max_entries_per_call} "
                               f"entries for all answers of this call together (at {redact(url)})")

    def _timeouts(self) -> tuple[float, float]:
        if self.deadline is None:
            return self.connect_timeout, self.read_timeout
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise FhirUnavailable("FHIR time budget exhausted before the request could be sent")
        return min(self.connect_timeout, remaining), min(self.read_timeout, remaining)

    def _request(self, url: str, *, missing_ok: bool = False) -> dict | None:
        with metrics.fhir_fetch():      # latency and failures, by outcome only (no URL, no id)
            return self._request_timed(url, missing_ok=missing_ok)

    def _request_timed(self, url: str, *, missing_ok: bool) -> dict | None:
        for _ in range(_MAX_REDIRECTS + 1):
            headers = {"Accept": FHIR_JSON}
            # Same-origin check again here: it is the one place a header is attached.
            if self._token and _origin(url) == self._origin:
                headers["Authorization"] = f"Bearer {self._token}"
            timeout = self._timeouts()
            log.debug("FHIR GET %s", redact(url))
            try:
                resp = self.session.get(url, headers=headers, timeout=timeout, allow_redirects=False)
            except ResponseTooLarge as exc:
                raise FhirTooLarge(f"{exc} ({redact(url)})") from None
            except DeadlineExceeded:
                raise FhirUnavailable(f"FHIR server did not finish answering within the time budget: "
                                      f"{redact(url)}") from None
            except UnsupportedEncoding as exc:
                raise FhirResponseError(f"{exc} ({redact(url)})") from None
            except requests.Timeout:
                raise FhirUnavailable(f"FHIR server timed out: {redact(url)}") from None
            except requests.ConnectionError:
                raise FhirUnavailable(f"FHIR server unreachable: {redact(url)}") from None
            except requests.RequestException as exc:
                raise FhirUnavailable(f"FHIR request failed ({type(exc).__name__}): {redact(url)}") from None
            if resp.is_redirect:
                url = self._resolve(resp.headers.get("Location", ""))
                resp.close()
                continue
            return self._interpret(resp, url, missing_ok)
        raise FhirResponseError(f"too many redirects from {redact(url)}")

    def _interpret(self, resp: requests.Response, url: str, missing_ok: bool) -> dict | None:
        status = resp.status_code
        try:
            body = orjson.loads(resp.content)     # FHIR JSON is UTF-8; orjson reads a page several times faster
        except orjson.JSONDecodeError:
            try:
                body = resp.json()                # another encoding the server declared, or not JSON at all
            except ValueError:
                body = None
        where = redact(url)
        if status in (401, 403):
            detail = outcome_summary(body, where, status)
            raise FhirAuthError(f"FHIR server answered {status} for {where}" + (f": {detail}" if detail else ""),
                                status)
        if missing_ok and status in (404, 410):
            return None
        if not 200 <= status < 300:
            detail = outcome_summary(body, where, status)
            raise FhirResponseError(f"FHIR server answered {status} for {where}" + (f": {detail}" if detail else ""),
                                    status)
        if not isinstance(body, dict) or "resourceType" not in body:
            ctype = resp.headers.get("Content-Type", "?").split(";")[0]
            raise FhirResponseError(f"FHIR server sent a non-FHIR-JSON body ({ctype}) for {where}", status)
        if body.get("resourceType") == "OperationOutcome":
            raise FhirResponseError(f"FHIR server sent an OperationOutcome for {where}: "
                                    f"{outcome_summary(body, where, status)}", status)
        return body


# ---------------------------------------------------------------------- client-side ordering

_DATE_PATHS = (
    ("effectiveDateTime",), ("effectiveInstant",), ("effectivePeriod", "start"), ("effectivePeriod", "end"),
    ("issued",), ("onsetDateTime",), ("onsetPeriod", "start"), ("recordedDate",), ("authoredOn",),
    ("occurrenceDateTime",), ("performedDateTime",), ("performedPeriod", "start"), ("effectiveDate",),
)


def _parse_fhir_date(value: Any) -> datetime | None:
    """FHIR date/dateTime/instant at any precision ("2020", "2020-05", "2020-05-01T10:00:00+02:00") as an
    aware UTC datetime; a partial date stands for its first moment, a zone-less time is taken as UTC."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    for fmt, length in (("%Y", 4), ("%Y-%m", 7), ("%Y-%m-%d", 10)):
        if len(text) == length:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
            except ValueError:
                return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def effective_date(resource: Mapping[str, Any]) -> datetime | None:
    """The clinically relevant date of a resource (``effective[x]`` first, then ``issued``, onset,
    recorded, authored...), or None when it has none that parses."""
    for path in _DATE_PATHS:
        node: Any = resource
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        parsed = _parse_fhir_date(node)
        if parsed is not None:
            return parsed
    return None


def sort_by_effective_desc(resources: Iterable[dict]) -> list[dict]:
    """Newest first by ``effective_date``; undated resources last, in their original order.

    For servers that ignore ``_sort=-date`` (unsupported parameters are normally ignored: checklist §3A
    item 6), so "latest result" logic never depends on the server's ordering.
    """
    items = list(resources)
    dated = [(effective_date(r), i, r) for i, r in enumerate(items)]
    with_date = sorted((d for d in dated if d[0] is not None), key=lambda d: (-d[0].timestamp(), d[1]))
    without = [d for d in dated if d[0] is None]
    return [r for _, _, r in with_date] + [r for _, _, r in without]
