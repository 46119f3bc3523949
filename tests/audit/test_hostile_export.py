"""The Bulk Data client against a scripted hostile server: cut-off and lying downloads, oversized lines and
files, odd waits, URLs on another origin. In each failure nothing is left that could pass for a complete export."""
from __future__ import annotations

import email.utils
import json
import time
from pathlib import Path

import pytest

from cds_hooks.bulk import BulkExportClient, BulkExportError, ExportLimits
from cds_hooks.bulk.export import retry_after_seconds

from .hostile_bulk import File, HostileBulkServer, Status

PATIENT = json.dumps({"resourceType": "Patient", "id": "p1"}).encode()
OBS = json.dumps({"resourceType": "Observation", "id": "o1", "status": "final",
                  "code": {"text": "x"}, "subject": {"reference": "Patient/p1"}}).encode()


class StaticToken:
    """A token source with a fixed token (the server here checks none; we check where it is sent)."""

    def __init__(self) -> None:
        self.invalidated = 0

    def token(self) -> str:
        return "secret-token-value"

    def invalidate(self) -> None:
        self.invalidated += 1


@pytest.fixture
def server():
    with HostileBulkServer() as srv:
        yield srv


def _complete(server: HostileBulkServer, files: dict[str, int | None], requires_token: bool = False) -> None:
    server.statuses = [Status(200, body=server.manifest(files, requires_token))]


def test_a_download_cut_off_mid_file_is_an_error_and_leaves_no_folder(server, tmp_path: Path):
    """Content-Length promised, connection closed half way: error naming the file; the job is released."""
    body = PATIENT + b"\n" + OBS + b"\n"
    server.files = {"Patient.ndjson": File(PATIENT + b"\n"), "Observation.ndjson": File(body, cut_after=len(body) // 2)}
    _complete(server, {"Patient.ndjson": 1, "Observation.ndjson": 2})
    with pytest.raises(BulkExportError, match=r"the Observation file .* (was cut off|ends in the middle)"):
        BulkExportClient(server.base_url).export(tmp_path / "x", ["Patient", "Observation"])
    assert not (tmp_path / "x").exists()
    assert ("DELETE", "/fhir/status", None) in server.requests


def test_a_body_ended_by_closing_the_connection_mid_resource_is_caught(server, tmp_path: Path):
    """No Content-Length, and the stream stops inside the last resource: the last line is not JSON."""
    server.files = {"Observation.ndjson": File(PATIENT + b"\n" + OBS[:40], length=False)}
    _complete(server, {"Observation.ndjson": None})
    with pytest.raises(BulkExportError, match="ends in the middle of a resource"):
        BulkExportClient(server.base_url).export(tmp_path / "x", ["Observation"])
    assert not (tmp_path / "x").exists()


def test_a_last_line_without_newline_but_whole_is_accepted(server, tmp_path: Path):
    server.files = {"Observation.ndjson": File(PATIENT + b"\n" + OBS, length=False)}
    _complete(server, {"Observation.ndjson": 2})
    BulkExportClient(server.base_url).export(tmp_path / "x", ["Observation"])
    assert (tmp_path / "x" / "Observation.1.ndjson").read_bytes() == PATIENT + b"\n" + OBS


def test_a_file_with_fewer_resources_than_the_manifest_says_is_incomplete(server, tmp_path: Path):
    server.files = {"Observation.ndjson": File(OBS + b"\n" + OBS + b"\n")}
    _complete(server, {"Observation.ndjson": 3})
    with pytest.raises(BulkExportError, match="holds 2 resources, the manifest says 3"):
        BulkExportClient(server.base_url).export(tmp_path / "x", ["Observation"])
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("cap, size, message", [
    ("max_line_bytes", 1000, "has a line longer than 1000 bytes"),
    ("max_file_bytes", 5000, "is larger than 5000 bytes"),
    ("max_total_bytes", 5000, "the export is larger than 5000 bytes"),
])
def test_size_caps_stop_the_download(server, tmp_path: Path, cap: str, size: int, message: str):
    """One line of 2,000 bytes in a 10,000-byte file: each cap stops it at its own limit."""
    long_line = json.dumps({"resourceType": "Observation", "id": "big", "note": [{"text": "x" * 2000}]}).encode()
    body = (OBS + b"\n") * (8000 // (len(OBS) + 1)) + long_line + b"\n"
    server.files = {"Observation.ndjson": File(body)}
    _complete(server, {"Observation.ndjson": None})
    limits = ExportLimits(**{cap: size})
    with pytest.raises(BulkExportError, match=message):
        BulkExportClient(server.base_url, limits=limits).export(tmp_path / "x", ["Observation"])
    assert not (tmp_path / "x").exists()


def test_polling_honours_retry_after_and_shows_sanitised_progress(server, tmp_path: Path):
    """Retry-After in seconds and as an HTTP date are waited out (capped by the limits); without it the client
    backs off; 429 is waited out too; X-Progress reaches the callback without control characters."""
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.statuses = [
        Status(202, {"Retry-After": "7", "X-Progress": "collecting \x1b[31m42%"}),
        Status(202, {"Retry-After": soon}),
        Status(202, {}),
        Status(429, {"Retry-After": "2"}),
        Status(202, {"Retry-After": "100000"}),
        Status(200, body=server.manifest({"Patient.ndjson": 1})),
    ]
    server.files = {"Patient.ndjson": File(PATIENT + b"\n")}
    slept: list[float] = []
    progress: list[str] = []
    client = BulkExportClient(server.base_url, limits=ExportLimits(max_poll=60))
    manifest = client.wait(client.kick_off(["Patient"]), on_progress=lambda text, _: progress.append(text),
                           sleep=slept.append)
    assert manifest.output[0].count == 1
    assert slept[0] == 7
    assert 25 < slept[1] <= 30
    assert 0.5 <= slept[2] <= 60                       # backing off without a Retry-After
    assert slept[3] == 2
    assert slept[4] == 60                              # capped
    assert progress[0] == "collecting  [31m42%" and "\x1b" not in "".join(progress)
    assert progress[3] == "server busy (HTTP 429)"


def test_retry_after_forms():
    assert retry_after_seconds("5", 1.0) == 5
    assert retry_after_seconds(None, 1.5) == 1.5
    assert retry_after_seconds("soon", 1.5) == 1.5
    assert retry_after_seconds(email.utils.formatdate(time.time() - 60, usegmt=True), 1.0) == 0


def test_a_status_url_on_another_origin_is_refused_when_a_token_would_go_there(server, tmp_path: Path):
    with HostileBulkServer() as other:
        server.status_location = f"{other.base_url}/status"
        with pytest.raises(BulkExportError, match="refusing the status URL .* not on the FHIR server's origin"):
            BulkExportClient(server.base_url, StaticToken()).export(tmp_path / "x", ["Patient"])
        assert other.requests == []


def test_files_that_need_the_token_on_another_origin_are_refused_and_never_get_it(server, tmp_path: Path):
    with HostileBulkServer() as other:
        other.files = {"Patient.ndjson": File(PATIENT + b"\n")}
        manifest = other.manifest({"Patient.ndjson": 1}, requires_token=True)
        server.statuses = [Status(200, body=manifest)]
        with pytest.raises(BulkExportError, match="refusing the Patient file URL"):
            BulkExportClient(server.base_url, StaticToken()).export(tmp_path / "x", ["Patient"])
        assert other.requests == []
    assert all(auth in (None, "Bearer secret-token-value") for _, _, auth in server.requests)
    assert not (tmp_path / "x").exists()


def test_files_on_another_origin_without_token_are_fetched_without_it(server, tmp_path: Path):
    """requiresAccessToken false (e.g. pre-signed storage URLs): fetched, and our token is not sent there."""
    with HostileBulkServer() as other:
        other.files = {"Patient.ndjson": File(PATIENT + b"\n")}
        server.statuses = [Status(200, body=other.manifest({"Patient.ndjson": 1}))]
        BulkExportClient(server.base_url, StaticToken()).export(tmp_path / "x", ["Patient"])
        assert [auth for _, _, auth in other.requests] == [None]
    assert (tmp_path / "x" / "Patient.1.ndjson").read_bytes() == PATIENT + b"\n"


@pytest.mark.parametrize("status, message", [
    (Status(200, {"Content-Type": "text/html"}, b"<html>done</html>"), "manifest is not JSON"),
    (Status(200, body={"output": []}), "manifest has no transactionTime"),
    (Status(200, body={"transactionTime": "2026", "output": [{"type": "Patient"}]}), "has no url"),
    (Status(500, body={"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "exception", "diagnostics": "disk full"}]}), r"failed on the server \(HTTP 500\): disk full"),
])
def test_bad_status_answers_are_named(server, tmp_path: Path, status: Status, message: str):
    server.statuses = [status]
    with pytest.raises(BulkExportError, match=message):
        BulkExportClient(server.base_url).export(tmp_path / "x", ["Patient"])
    assert not (tmp_path / "x").exists()


def test_a_refused_kick_off_passes_on_the_servers_reason(server, tmp_path: Path):
    server.kickoff = Status(400, body={"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "not-supported", "diagnostics": "_type Specimen is not exportable"}]})
    with pytest.raises(BulkExportError, match=r"system-level \$export .* was refused \(HTTP 400\): _type Specimen"):
        BulkExportClient(server.base_url).export(tmp_path / "x", ["Specimen"])
    assert not (tmp_path / "x").exists()
