"""The audit end to end on a real Dask cluster: every fixture patient's row against the CDS service's own
answer, both input forms, grouping across partitions and files, the shared-resource join, incremental runs,
and what is left on disk when a run fails."""
from __future__ import annotations

import copy
import json
import stat
import time
import uuid
from pathlib import Path

import flask
import pytest
import requests

from app.audit.command import AuditConfigError, AuditOptions, audit
from app.audit.export_folder import ExportFolderError
from app.audit.partitions import patient_id_of
from app.audit.rows import CARD_FIELDS, ROW_FIELDS
from app.fhir_server import SekmetServer
from app.fixtures_loader import fixture_bundles
from cds_hooks.service import create_cds_blueprint
from cds_hooks.service.settings import ServiceSettings
from cds_hooks.state.sqlite_store import SqliteStateStore
from tests.service.test_cases_through_http import prefetch_like_a_client

from .conftest import CONFIG, TODAY

pytestmark = pytest.mark.fhir_server

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "cases"


@pytest.mark.parametrize("reference, patient", [
    ("Patient/p1", "p1"), ("https://ehr.example.org/fhir/Patient/p1", "p1"), ("Patient/p1/_history/3", "p1"),
    ({"reference": "Patient/p1"}, "p1"), ("urn:uuid:0f0e0d0c-0000-4000-8000-000000000000", None),
    ("#contained", None), ("Group/g1", None), ("Patient/", None), (None, None), (7, None),
])
def test_references_resolve_to_a_patient_id_or_to_nothing(reference, patient):
    assert patient_id_of(reference) == patient


def _rows(out: Path) -> dict[str, dict]:
    return {row["patient"]: row for row in map(json.loads, (out / "worklist.ndjson").read_text().splitlines())}


def test_every_fixture_patients_row_says_what_the_cds_service_says(fixture_audit: Path, bulk_server, tmp_path):
    """For each fixture patient: the row's fields equal the subtype card's extension["receptor-cds"] and its
    topics equal the set of card topics that patient-view returns for the same server's data."""
    rows = _rows(fixture_audit)
    patients = {e["resource"]["id"] for _, b in fixture_bundles() for e in b["entry"]
                if e["resource"]["resourceType"] == "Patient"}
    assert set(rows) == patients, "every fixture patient has breast cancer, so every one has a row"
    settings = ServiceSettings(cds_auth_disabled=True, database_url=f"sqlite:///{tmp_path / 'feedback.sqlite'}")
    service = flask.Flask(__name__)
    state = SqliteStateStore(tmp_path / "state.sqlite")
    service.register_blueprint(create_cds_blueprint(settings, state=state, decision_config=CONFIG))
    client = service.test_client()
    mismatches = []
    for patient in sorted(patients):
        body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
                "context": {"userId": "Practitioner/audit-check", "patientId": patient},
                "prefetch": prefetch_like_a_client(bulk_server.base_url, patient)}
        response = client.post("/cds-services/receptor-assessment", json=body)
        assert response.status_code == 200, (patient, response.get_json())
        cards = response.get_json()["cards"]
        block = cards[0]["extension"]["receptor-cds"]
        row = rows[patient]
        expected = {field: block.get(field) for field in CARD_FIELDS}
        if {field: row[field] for field in CARD_FIELDS} != expected or \
                set(row["topics"]) != {c["source"]["topic"]["code"] for c in cards}:
            mismatches.append((patient, row, expected, sorted(c["source"]["topic"]["code"] for c in cards)))
    assert not mismatches, mismatches[:3]


def test_the_worklist_files(fixture_audit: Path):
    """worklist.ndjson sorted by patient, worklist.csv the same rows, report.html; all mode 0600, folder 0700;
    no staging files left."""
    lines = (fixture_audit / "worklist.ndjson").read_text().splitlines()
    patients = [json.loads(line)["patient"] for line in lines]
    assert patients == sorted(patients)
    assert list(json.loads(lines[0])) == list(ROW_FIELDS)
    csv_lines = (fixture_audit / "worklist.csv").read_text().splitlines()
    assert csv_lines[0].split(",")[: len(ROW_FIELDS)] == list(ROW_FIELDS)
    assert [line.split(",")[0] for line in csv_lines[1:]] == patients
    for name in ("worklist.ndjson", "worklist.csv", "report.html"):
        assert stat.S_IMODE((fixture_audit / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(fixture_audit.stat().st_mode) == 0o700
    assert sorted(p.name for p in fixture_audit.iterdir()) == ["report.html", "worklist.csv", "worklist.ndjson"]


def test_export_form_gives_the_same_worklist_and_keeps_the_export(fixture_audit: Path, bulk_server, dask_client,
                                                                  tmp_path: Path):
    """--fhir-base (export then audit) writes the same worklist as --ndjson on an export of the same data."""
    result = audit(AuditOptions(out=tmp_path, fhir_base=bulk_server.base_url, today=TODAY, progress=False),
                   client=dask_client)
    assert (tmp_path / "worklist.ndjson").read_text() == (fixture_audit / "worklist.ndjson").read_text()
    assert result.export_time and (tmp_path / "export" / "manifest.json").is_file()
    assert stat.S_IMODE((tmp_path / "export").stat().st_mode) == 0o700
    assert result.patients == len(_rows(tmp_path))


def test_grouping_does_not_depend_on_partitioning(fixture_audit: Path, fixture_export: Path, dask_client,
                                                  tmp_path: Path):
    """8 kB partitions split the files into many pieces, so one patient's resources start in many partitions;
    the shuffle brings them together and the worklist is the same."""
    result = audit(AuditOptions(out=tmp_path, ndjson=fixture_export, today=TODAY, blocksize=8192, progress=False),
                   client=dask_client)
    assert result.partitions > 40
    assert (tmp_path / "worklist.ndjson").read_text() == (fixture_audit / "worklist.ndjson").read_text()


def _case(name: str) -> list[dict]:
    return [e["resource"] for e in json.loads((CASES / f"{name}.json").read_text())["bundle"]["entry"]]


def _write_ndjson(folder: Path, files: dict[str, list]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, items in files.items():
        (folder / name).write_text("".join((i if isinstance(i, str) else json.dumps(i)) + "\n" for i in items))


def test_references_shared_medications_newest_versions_and_unreadable_lines(dask_client, tmp_path: Path):
    """Hand-made export without a manifest: a MedicationRequest naming a Medication in another file (P14 needs
    it to see the aromatase inhibitor), references by absolute URL, an ER result in two versions
    in two files (the newer, in the earlier file, wins), a resource about a urn:uuid and a line that is not JSON
    (counted, not guessed)."""
    p14 = copy.deepcopy(_case("pitfall-p14-ai-premenopausal"))
    order = next(r for r in p14 if r["resourceType"] == "MedicationRequest")
    order["medicationReference"] = {"reference": "Medication/audit-letrozole"}
    medication = {"resourceType": "Medication", "id": "audit-letrozole",
                  "code": order.pop("medicationCodeableConcept")}
    er = copy.deepcopy(_case("er-11pct"))
    for resource in er:
        if resource["resourceType"] == "Observation":
            resource["subject"] = {"reference": "https://ehr.example.org/fhir/Patient/er-11pct"}
    er_obs = next(r for r in er if r["id"] == "er-11pct-obs-3")
    newer = {**copy.deepcopy(er_obs), "valueQuantity": {**er_obs["valueQuantity"], "value": 5},
             "meta": {"lastUpdated": "2026-06-01T00:00:00Z"}}
    er_obs["meta"] = {"lastUpdated": "2026-01-01T00:00:00Z"}
    stray = {"resourceType": "Observation", "id": "stray", "status": "final", "code": {"text": "x"},
             "subject": {"reference": "urn:uuid:0f0e0d0c-0000-4000-8000-000000000000"}}
    _write_ndjson(tmp_path / "in", {
        "a.ndjson": [newer, *[r for r in p14 if r["resourceType"] != "Patient"], "{not json", stray],
        "b.ndjson": [*[r for r in p14 if r["resourceType"] == "Patient"], *er],
        "c.ndjson": [medication],
    })
    result = audit(AuditOptions(out=tmp_path / "out", ndjson=tmp_path / "in", today=TODAY, progress=False),
                   client=dask_client)
    rows = _rows(tmp_path / "out")
    assert set(rows) == {"pitfall-p14-ai-premenopausal", "er-11pct"}
    assert "ai-without-ovarian-suppression" in rows["pitfall-p14-ai-premenopausal"]["topics"]
    assert rows["er-11pct"]["er"] == "low-positive" and "er-low-positive" in rows["er-11pct"]["topics"]
    counts = result.summary.counts
    assert counts["line not JSON, not read"] == 1
    assert counts["Observation not linked to a Patient id, not read"] == 1
    assert counts["patients"] == 2


def test_patients_without_breast_cancer_are_counted_not_listed(dask_client, tmp_path: Path):
    """A patient with only a blood pressure reading gets no row; the report counts them."""
    bp = {"resourceType": "Observation", "id": "bp1", "status": "final",
          "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]}, "subject": {"reference": "Patient/nobc"}}
    _write_ndjson(tmp_path / "in", {"x.ndjson": [{"resourceType": "Patient", "id": "nobc", "gender": "male"}, bp,
                                                 *_case("er-1pct")]})
    result = audit(AuditOptions(out=tmp_path / "out", ndjson=tmp_path / "in", today=TODAY, progress=False),
                   client=dask_client)
    assert set(_rows(tmp_path / "out")) == {"er-1pct"}
    assert result.summary.counts["patients without breast cancer (not listed)"] == 1
    assert "Patients without breast cancer in their record (counted, not listed)</td><td class=n>1<" in \
        (tmp_path / "out" / "report.html").read_text()


def test_a_failed_run_leaves_earlier_results_and_no_partial_files(fixture_audit: Path, dask_client, tmp_path: Path):
    """A manifest naming a missing file is an incomplete export: the run stops, the earlier files stay as they
    were, no staging folder remains."""
    out = tmp_path / "out"
    out.mkdir()
    for name in ("worklist.ndjson", "worklist.csv", "report.html"):
        (out / name).write_text((fixture_audit / name).read_text())
    broken = tmp_path / "in"
    _write_ndjson(broken, {"Patient.1.ndjson": _case("er-1pct")[:1]})
    (broken / "manifest.json").write_text(json.dumps({"transactionTime": "2026-11-01T00:00:00Z", "output": [
        {"type": "Patient", "url": "Patient.1.ndjson"}, {"type": "Observation", "url": "Observation.1.ndjson"}]}))
    with pytest.raises(ExportFolderError, match="Observation.1.ndjson is named in manifest.json but missing"):
        audit(AuditOptions(out=out, ndjson=broken, today=TODAY, progress=False), client=dask_client)
    for name in ("worklist.ndjson", "worklist.csv", "report.html"):
        assert (out / name).read_text() == (fixture_audit / name).read_text()
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "worklist.csv", "worklist.ndjson"]


def test_incremental_run_lays_changes_over_the_last_export(dask_client, tmp_path: Path):
    """--since exports only the changed ER result; the audit of the merged data changes that patient's row
    and no other; without an earlier export, or for another Group than it, --since is refused."""
    with pytest.raises(AuditConfigError, match="run once without --since"):
        audit(AuditOptions(out=tmp_path / "none", fhir_base="http://127.0.0.1:9/fhir", since="2026-01-01T00:00:00Z",
                           progress=False), client=dask_client)
    out = tmp_path / "out"
    with SekmetServer(tmp_path / "sekmet") as server:
        server.load_fixtures([CASES / "er-11pct.json", CASES / "er-1pct.json"])
        audit(AuditOptions(out=out, fhir_base=server.base_url, today=TODAY, progress=False), client=dask_client)
        before = _rows(out)
        time.sleep(1.1)
        cut = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        time.sleep(1.1)
        obs = next(r for r in _case("er-11pct") if r["id"] == "er-11pct-obs-3")
        obs["valueQuantity"]["value"] = 5
        assert requests.put(f"{server.base_url}/Observation/{obs['id']}", json=obs, timeout=10).status_code == 200
        with pytest.raises(AuditConfigError, match="is of the whole server: an incremental run must ask for the same"):
            audit(AuditOptions(out=out, fhir_base=server.base_url, since=cut, group="g", progress=False),
                  client=dask_client)
        audit(AuditOptions(out=out, fhir_base=server.base_url, since=cut, today=TODAY, progress=False),
              client=dask_client)
    after = _rows(out)
    assert before["er-11pct"]["er"] == "positive" and after["er-11pct"]["er"] == "low-positive"
    assert after["er-1pct"] == before["er-1pct"]
    delta = json.loads((out / "export" / "delta-001" / "manifest.json").read_text())
    assert [o["type"] for o in delta["output"]] == ["Observation"]
    assert "changes since" in (out / "report.html").read_text()


def test_workers_with_another_knowledge_version_are_refused(dask_client, monkeypatch):
    """A cluster whose workers run another receptor-cds would give other answers: refused, said plainly."""
    import cds_hooks.knowledge

    from app.audit.pipeline import AuditInputError, check_workers

    check_workers(dask_client)                     # same installation: accepted
    monkeypatch.setattr(cds_hooks.knowledge, "KNOWLEDGE_VERSION", "1999.1.1")
    with pytest.raises(AuditInputError, match=r"2 Dask worker\(s\) run knowledge version .* this command 1999.1.1"):
        check_workers(dask_client)
