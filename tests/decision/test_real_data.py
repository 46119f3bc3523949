"""Real FHIR data classified as a clinician reading the record would (fixtures/real/).

Expectations are stated from the records themselves (see fixtures/real/README.md), not from
running the code: Jenny M (mCODE) has ER Positive, PR Negative and HER2 48676-1 Negative with
no IHC score; the Synthea patients carry SNOMED qualifiers, a combined 10480-2 and the HER2
FISH ratio as the string "less than 1.8".
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cds_hooks.decision import DecisionConfig, assess

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"
TODAY = DecisionConfig(today=date(2026, 11, 1))


def _resources(name: str) -> list[dict]:
    bundle = json.loads((REAL / name).read_text(encoding="utf-8"))
    return [entry["resource"] for entry in bundle["entry"]]


@pytest.fixture(scope="module")
def jenny_m():
    return assess(_resources("Bundle-mcode-patient-bundle-jenny-m.json"), TODAY)


@pytest.fixture(scope="module")
def emiko_jones():
    return assess(_resources("Emiko_Jones_6f867e8e.trimmed.json"), TODAY)


def test_jenny_m_is_hr_positive_her2_negative_with_unknown_expression(jenny_m):
    """ER+ PR- and a bare HER2 'Negative' (no IHC score): HR+/HER2-, HER2-low status undeterminable."""
    assert jenny_m.patient == "cancer-patient-jenny-m"
    assert (jenny_m.er.status, jenny_m.pr.status, jenny_m.hr) == ("positive", "negative", "positive")
    assert jenny_m.er.basis == "qualitative" and jenny_m.er.percent is None
    assert jenny_m.her2.status == "negative" and jenny_m.her2.ihc_score is None
    assert jenny_m.subtype == "HR+/HER2-"
    assert jenny_m.her2_expression == "unknown"
    assert jenny_m.er.evidence == ["Observation/tumor-marker-test-er-jenny-m"]
    assert jenny_m.her2.evidence == ["Observation/tumor-marker-test-her2-jenny-m"]


def test_jenny_m_is_early_stage_iib_with_the_conflicting_condition_stage_noted(jenny_m):
    """Stage group IIB with cM0 is early disease; the Condition's stage summary IIIC disagrees and is noted."""
    assert jenny_m.setting.setting == "early"
    assert jenny_m.setting.stage == "IIB"
    assert not jenny_m.setting.locally_advanced
    assert "conflicting-stage" in {n.code for n in jenny_m.data_quality}


def test_jenny_m_context(jenny_m):
    """Born 1965 (61 at the test date) so postmenopausal by age; anastrozole and chemotherapy are active."""
    assert jenny_m.age == 61 and jenny_m.sex == "female"
    assert jenny_m.menopausal_status == "postmenopausal" and jenny_m.menopausal_basis == "age>=60"
    classes = {m.ingredient: m.drug_class for m in jenny_m.medications}
    assert classes["anastrozole"] == "aromatase-inhibitor"
    assert {"cyclophosphamide", "doxorubicin", "paclitaxel"} <= classes.keys()
    assert jenny_m.medications and all(m.status == "active" for m in jenny_m.medications)
    # The only genomic variant is a somatic PALB2 finding: no BRCA/PIK3CA/ESR1 biomarker to report.
    assert jenny_m.biomarkers == []
    # Her disease status says "improved": a dated status event, never a progression (relapse) on the chart.
    assert not [e for e in jenny_m.events if e.kind == "progression"]
    status = [e for e in jenny_m.events if e.kind == "disease-status"]
    assert status and status[0].detail == {"status": "improved", "evidence_types": ["imaging"]}


def test_jenny_m_alerts(jenny_m):
    """ER without a percent (P3), HER2-negative without IHC score (P7); no HER2-equivocal alerts."""
    raised = {a.code for a in jenny_m.alerts}
    assert {"P3", "P7"} <= raised
    assert not raised & {"P1", "P4", "P5"}


def test_emiko_jones_is_er_negative_pr_positive(emiko_jones):
    """ER Negative, PR Positive, HER2 IHC Negative with FISH <1.8: HR+/HER2- with the ER-/PR+ modifier."""
    assert (emiko_jones.er.status, emiko_jones.pr.status) == ("negative", "positive")
    assert emiko_jones.subtype == "HR+/HER2-"
    assert emiko_jones.modifiers == ["ER-/PR+"]
    assert emiko_jones.her2.status == "negative"
    assert emiko_jones.her2_expression == "unknown"
    assert "P1" in {a.code for a in emiko_jones.alerts}
    assert emiko_jones.setting.setting == "early" and emiko_jones.setting.stage in ("IA", "I")


@pytest.mark.parametrize("name, age, menopause", [
    ("Donette_Graham_12186f75.trimmed.json", 58, "unknown"),
    ("Josie_Stehr_71315c47.trimmed.json", 61, "postmenopausal"),
])
def test_synthea_hr_positive_patients(name, age, menopause):
    """ER+ PR+ (SNOMED qualifiers), 10480-2 Positive, HER2 IHC Negative + FISH 'less than 1.8': HR+/HER2-, expression unknown."""
    a = assess(_resources(name), TODAY)
    assert (a.er.status, a.pr.status, a.hr) == ("positive", "positive", "positive")
    assert a.subtype == "HR+/HER2-"
    assert a.her2.status == "negative" and a.her2.ish == "not-amplified"
    assert a.her2_expression == "unknown"
    assert a.setting.setting == "early"
    assert (a.age, a.menopausal_status) == (age, menopause)
    notes = {n.code for n in a.data_quality}
    assert "value-as-string" in notes and "ish-legacy-threshold" in notes
    assert {"HR"} <= {r.analyte for r in a.history}


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("*.json") if p.name != "mcode-package.json"))
def test_real_records_serialise(name):
    """Every real record yields a JSON-serialisable assessment with a patient and knowledge version."""
    a = assess(_resources(name), TODAY)
    data = json.loads(json.dumps(a.to_dict()))
    assert data["patient"] and data["knowledge_version"]
