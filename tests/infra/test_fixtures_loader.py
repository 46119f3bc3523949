"""fixtures_loader: collection -> transaction conversion, and loading into a real sekmet server."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import requests

from app.fhir_server import SekmetServer
from app.fixtures_loader import FIXTURES_DIR, FixtureLoadError, fixture_bundles, load_into, to_transaction

EMIKO = FIXTURES_DIR / "large" / "Emiko_Jones_6f867e8e.json"


def _mcode_style() -> dict:
    """Absolute fullUrls from another server, relative and absolute references (as in the mCODE IG)."""
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://example.org/fhir/Patient/p1", "resource": {"resourceType": "Patient", "id": "p1"}},
        {"fullUrl": "http://example.org/fhir/Observation/o1", "resource": {
            "resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "ER"},
            "subject": {"reference": "http://example.org/fhir/Patient/p1"}}},
        {"fullUrl": "http://example.org/fhir/Observation/o2", "resource": {
            "resourceType": "Observation", "id": "o2", "status": "final", "code": {"text": "PR"},
            "subject": {"reference": "Patient/p1"}}},
    ]}


def _idless() -> dict:
    """Synthea-like entries whose resources have no id: POST under urn:uuid, referenced by urn:uuid."""
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:11111111-1111-4111-8111-111111111111",
         "resource": {"resourceType": "Patient", "name": [{"family": "Idless"}]},
         "request": {"method": "POST", "url": "Patient"}},
        {"fullUrl": "urn:uuid:22222222-2222-4222-8222-222222222222",
         "resource": {"resourceType": "Condition", "code": {"text": "breast cancer"},
                      "subject": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"}},
         "request": {"method": "POST", "url": "Condition"}},
    ]}


def test_resources_with_ids_become_puts_with_rewritten_references():
    """Entries with ids become PUT Type/id; references to their fullUrls become Type/id."""
    tx = to_transaction(_mcode_style())
    assert tx["type"] == "transaction"
    assert [e["request"] for e in tx["entry"]] == [{"method": "PUT", "url": "Patient/p1"},
                                                  {"method": "PUT", "url": "Observation/o1"},
                                                  {"method": "PUT", "url": "Observation/o2"}]
    assert tx["entry"][1]["resource"]["subject"] == {"reference": "Patient/p1"}
    assert tx["entry"][2]["resource"]["subject"] == {"reference": "Patient/p1"}


def test_resources_without_ids_are_posted_under_urn_uuid():
    """Entries without ids are POSTed and keep their urn:uuid fullUrl and references."""
    tx = to_transaction(_idless())
    assert [e["request"]["method"] for e in tx["entry"]] == ["POST", "POST"]
    assert tx["entry"][0]["fullUrl"] == "urn:uuid:11111111-1111-4111-8111-111111111111"
    assert tx["entry"][1]["resource"]["subject"]["reference"] == tx["entry"][0]["fullUrl"]


def test_input_bundle_is_not_modified():
    """to_transaction works on a copy."""
    bundle = _mcode_style()
    before = copy.deepcopy(bundle)
    to_transaction(bundle)
    assert bundle == before


def test_not_a_bundle_is_refused():
    """A non-Bundle is a FixtureLoadError."""
    with pytest.raises(FixtureLoadError):
        to_transaction({"resourceType": "Patient"})


def test_fixture_bundles_reads_folders_and_case_bundles(tmp_path):
    """Bundles come from real/, synthea/ and each case file's 'bundle', in that order; metadata JSON is skipped."""
    (tmp_path / "real").mkdir()
    (tmp_path / "synthea").mkdir()
    (tmp_path / "cases").mkdir()
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": []}
    (tmp_path / "real" / "r.json").write_text(json.dumps(bundle))
    (tmp_path / "real" / "package.json").write_text(json.dumps({"name": "hl7.fhir.us.mcode"}))
    (tmp_path / "synthea" / "s.json").write_text(json.dumps(bundle))
    (tmp_path / "cases" / "c.json").write_text(json.dumps({"description": "x", "bundle": bundle}))
    assert [name for name, _ in fixture_bundles(tmp_path)] == ["real/r.json", "synthea/s.json", "cases/c.json"]


def test_non_bundle_resource_in_a_bundle_folder_is_an_error(tmp_path):
    """A FHIR resource that is not a Bundle in real/ is reported, not skipped."""
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "patient.json").write_text(json.dumps({"resourceType": "Patient", "id": "x"}))
    with pytest.raises(FixtureLoadError, match="patient.json"):
        fixture_bundles(tmp_path)


def test_case_file_without_bundle_is_an_error(tmp_path):
    """A case file lacking its bundle is reported by name."""
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "broken.json").write_text(json.dumps({"description": "no bundle"}))
    with pytest.raises(FixtureLoadError, match="broken.json"):
        fixture_bundles(tmp_path)


def test_every_project_fixture_patient_is_on_the_test_server(fhir_server):
    """Every Patient in every project fixture is readable from the session FHIR server."""
    patients = [e["resource"]["id"] for _, b in fixture_bundles() for e in b.get("entry", [])
                if e.get("resource", {}).get("resourceType") == "Patient"]
    for pid in patients:
        assert requests.get(f"{fhir_server.base_url}/Patient/{pid}", timeout=5).status_code == 200, pid


def test_unreachable_server_is_a_clear_load_error():
    """Sending to a closed port names the bundle."""
    from tests.infra.loopback import refused_port
    with refused_port() as port, pytest.raises(FixtureLoadError, match="mine.json"):
        load_into(f"http://127.0.0.1:{port}/fhir", [("mine.json", _mcode_style())])


def test_references_survive_loading_a_whole_synthea_record(tmp_path):
    """The full 2,974-entry Synthea record loads; its Conditions and Observations point at its Patient,
    and urn:uuid references between id-less resources resolve to stored resources."""
    record = json.loads(EMIKO.read_text())
    patient_id = next(e["resource"]["id"] for e in record["entry"] if e["resource"]["resourceType"] == "Patient")
    with SekmetServer(tmp_path / "emiko") as server:
        server.load_bundle(record, name=EMIKO.name)
        server.load_bundle(_idless(), name="idless")
        base = server.base_url
        conditions = requests.get(f"{base}/Condition?patient={patient_id}&_count=500", timeout=30).json()
        assert conditions.get("entry")
        assert all(e["resource"]["subject"]["reference"] == f"Patient/{patient_id}" for e in conditions["entry"])
        idless = requests.get(f"{base}/Condition?code:text=breast cancer", timeout=10).json()
        ref = next(e["resource"]["subject"]["reference"] for e in idless["entry"]
                   if e["resource"]["subject"]["reference"].startswith("Patient/")
                   and e["resource"].get("code", {}).get("text") == "breast cancer")
        assert requests.get(f"{base}/{ref}", timeout=5).json()["name"][0]["family"] == "Idless"


def _references(node):
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


SYNTHEA_FILES = sorted((FIXTURES_DIR / "synthea").glob("*.trimmed.json"))


@pytest.mark.parametrize("path", SYNTHEA_FILES, ids=[p.name for p in SYNTHEA_FILES])
def test_trimmed_synthea_patients_are_self_contained_and_small(path: Path):
    """Each trimmed Synthea file is under 100 KB, has one Patient, and no reference leaves the bundle."""
    bundle = json.loads(path.read_text())
    assert path.stat().st_size < 100_000
    resources = [e["resource"] for e in bundle["entry"]]
    assert [r["resourceType"] for r in resources].count("Patient") == 1
    known = {e["fullUrl"] for e in bundle["entry"]}
    dangling = {ref for r in resources for ref in _references(r)} - known
    assert not dangling
