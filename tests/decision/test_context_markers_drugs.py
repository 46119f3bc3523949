"""Companion biomarkers, specimens, drugs and disease status (``context.read_biomarkers``, ``_specimen_type``,
``read_medications``, ``_period_of``, ``_label_mismatch``, ``read_disease_status``), through ``assess()``.

Rules and sources:
- GenomicVariant (mCODE / Genomics Reporting IG; clinical-knowledge.md a.4, b.5): LOINC 69548-6 with the gene studied
  (48018-6, HGNC id) and the genomic source class (48002-0: LA6683-2 germline, LA6684-0 somatic); Present/Absent
  (LA9633-4/LA9634-2) or Positive/Negative answers; a gene we do not use is not a biomarker of ours.
- BRCA1/2 results (LOINC 21636-6/38530-2) and BRCA findings on Conditions (SNOMED 412734009/412736006/412738007/
  412739004) have no stated origin (germline needs confirmation for olaparib: OlympiA, OlympiAD).
- PD-L1 keeps assay (clone) and measure (CPS, TPS, IC) apart (P15, KEYNOTE-355 CPS by 22C3, IMpassion130 IC by SP142);
  a score of 0 is no expression.
- Specimen type (HL7 v2-0487): tissue (TISS, TUMOR), plasma (PLAS, BLDP: ctDNA) or whole blood/serum (BLD, SER).
- Drugs: FHIR R4 MedicationRequest/Statement/Administration; statuses that show the drug given or meant (draft,
  intended) are kept; a MedicationRequest whose intent is proposal/plan/option is planned, not given; the RxNorm code
  decides the drug, and a display naming another drug is reported (a.5: Synthea's 'Paclitaxel' on Taxotere).
- CancerDiseaseStatus (mCODE, LOINC 97509-4): worsened is a progression event; its evidence types are kept (P12).
Expectations come from these rules.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge import codes

LNC, SCT, NCIT = codes.LNC, codes.SCT, codes.NCIT
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
V2_0487 = "http://terminology.hl7.org/CodeSystem/v2-0487"
HGNC = "http://www.genenames.org/geneId"
CONFIG = DecisionConfig(today=date(2026, 11, 1))
PRESENT, ABSENT, POSITIVE, NEGATIVE = "LA9633-4", "LA9634-2", "LA6576-8", "LA6577-6"
GERMLINE, SOMATIC = "LA6683-2", "LA6684-0"
_ids = iter(range(100_000))


def coded(system, code, display=None, text=None):
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    concept = {"coding": [coding]}
    if text:
        concept["text"] = text
    return concept


def patient():
    return {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01"}


def obs(code, system=LNC, when="2026-09-01", oid=None, **value):
    return {"resourceType": "Observation", "id": oid or f"o{next(_ids)}", "status": "final",
            "code": coded(system, code), "subject": {"reference": "Patient/p1"}, "effectiveDateTime": when, **value}


def variant(gene, origin=None, value=PRESENT, oid="v", specimen=None, system=HGNC, extra=()):
    components = [*extra, {"code": coded(LNC, "48018-6"), "valueCodeableConcept": coded(system, gene)}]
    if origin:
        components.append({"code": coded(LNC, "48002-0"), "valueCodeableConcept": coded(LNC, origin)})
    resource = obs("69548-6", oid=oid, component=components)
    if value:
        resource["valueCodeableConcept"] = coded(LNC, value)
    if specimen:
        resource["specimen"] = {"reference": f"Specimen/{specimen}"}
    return resource


def specimen(sid, type_code, system=V2_0487):
    return {"resourceType": "Specimen", "id": sid, "type": coded(system, type_code)}


def markers(*resources):
    return assess([patient(), *resources], CONFIG).biomarkers


# ---- genomic variants -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("gene, name", [("HGNC:1100", "BRCA1"), ("HGNC:1101", "BRCA2"), ("HGNC:8975", "PIK3CA"),
                                        ("HGNC:391", "AKT1"), ("HGNC:9588", "PTEN"), ("HGNC:3467", "ESR1")])
def test_each_gene_we_use_is_read_from_the_gene_studied(gene, name):
    b = markers(variant(gene, SOMATIC))
    assert [(m.name, m.result, m.origin, m.effective, m.evidence) for m in b] == [
        (name, "present", "somatic", "2026-09-01", ["Observation/v"])]


def test_the_gene_may_be_coded_under_either_hgnc_system():
    assert [m.name for m in markers(variant("HGNC:1100", system="http://www.genenames.org"))] == ["BRCA1"]


@pytest.mark.parametrize("value, result", [(PRESENT, "present"), (ABSENT, "absent"), (POSITIVE, "present"),
                                           (NEGATIVE, "absent"), (None, "unknown")])
def test_the_variant_result(value, result):
    """Present/Positive: a variant found; Absent/Negative: none found; no answer: unknown (never read as absent)."""
    assert [m.result for m in markers(variant("HGNC:8975", value=value))] == [result]


@pytest.mark.parametrize("origin, expected", [(GERMLINE, "germline"), (SOMATIC, "somatic"), (None, "unknown")])
def test_the_genomic_source_class_is_the_origin(origin, expected):
    assert [m.origin for m in markers(variant("HGNC:1100", origin))] == [expected]


def test_a_gene_we_do_not_use_and_a_variant_without_a_gene_are_not_biomarkers():
    """TP53 (HGNC:11998) is not in our table; a variant with no gene studied names nothing."""
    assert markers(variant("HGNC:11998", GERMLINE)) == []
    no_gene = obs("69548-6", valueCodeableConcept=coded(LNC, PRESENT),
                  component=[{"code": coded(LNC, "48002-0"), "valueCodeableConcept": coded(LNC, GERMLINE)}])
    assert markers(no_gene) == []


def test_components_of_other_codes_before_the_gene_are_skipped():
    """A component whose code we do not read (here LOINC 48004-6, DNA change) does not stop the gene being read."""
    extra = [{"code": coded(LNC, "48004-6"), "valueString": "c.1A>G"}]
    assert [(m.name, m.origin) for m in markers(variant("HGNC:1101", GERMLINE, extra=extra))] == [("BRCA2", "germline")]


def test_an_unrecognised_source_class_answer_leaves_the_origin_unknown():
    """A genomic source class we cannot read (LA18198-4, de novo... not in our table) states no origin."""
    assert [m.origin for m in markers(variant("HGNC:1100", "LA18198-4"))] == ["unknown"]


def test_observations_we_cannot_use_do_not_stop_the_reading():
    """An Observation of a code we do not read and a variant of a gene we do not use, placed first, do not stop the
    variants after them from being read."""
    found = markers(obs("8302-2", oid="h"), variant("HGNC:11998", GERMLINE, oid="tp53"), variant("HGNC:1100", GERMLINE, oid="b"))
    assert [(m.name, m.evidence) for m in found] == [("BRCA1", ["Observation/b"])]


def test_several_variants_are_each_kept_with_their_own_evidence():
    found = markers(variant("HGNC:1100", GERMLINE, oid="a"), variant("HGNC:3467", SOMATIC, oid="b"))
    assert sorted((m.name, m.origin, tuple(m.evidence)) for m in found) == [
        ("BRCA1", "germline", ("Observation/a",)), ("ESR1", "somatic", ("Observation/b",))]


@pytest.mark.parametrize("type_code, kind", [("TISS", "tissue"), ("TUMOR", "tissue"), ("PLAS", "ctDNA"), ("BLDP", "ctDNA"),
                                             ("BLD", "blood"), ("SER", "blood"), ("UR", None)])
def test_the_specimen_type_of_a_variant(type_code, kind):
    """v2-0487 specimen types: tumour tissue, plasma (cell-free DNA: ctDNA), whole blood or serum; others unnamed. A
    ctDNA PIK3CA/ESR1 result matters (ESR1 is tested in ctDNA at progression, EMERALD)."""
    found = markers(specimen("sp", type_code), variant("HGNC:3467", SOMATIC, specimen="sp"))
    assert [m.specimen for m in found] == [kind]


def test_without_a_resolvable_specimen_the_type_is_not_named():
    assert [m.specimen for m in markers(variant("HGNC:3467", specimen="missing"))] == [None]
    assert [m.specimen for m in markers(variant("HGNC:3467"))] == [None]


# ---- BRCA results and findings --------------------------------------------------------------------------------

@pytest.mark.parametrize("code, name", [("21636-6", "BRCA1"), ("38530-2", "BRCA2")])
@pytest.mark.parametrize("value, result", [(POSITIVE, "present"), (NEGATIVE, "absent"), (PRESENT, "present"),
                                           (ABSENT, "absent"), (None, "unknown")])
def test_brca_mutation_results_have_no_stated_origin(code, name, value, result):
    resource = obs(code, oid="b", **({"valueCodeableConcept": coded(LNC, value)} if value else {}))
    assert [(m.name, m.result, m.origin, m.effective, m.evidence) for m in markers(resource)] == [
        (name, result, "unknown", "2026-09-01", ["Observation/b"])]


@pytest.mark.parametrize("code, name, result", [("412734009", "BRCA1", "present"), ("412736006", "BRCA1", "absent"),
                                                ("412738007", "BRCA2", "present"), ("412739004", "BRCA2", "absent")])
def test_brca_findings_on_a_condition(code, name, result):
    condition = {"resourceType": "Condition", "id": "c", "code": coded(SCT, code), "subject": {"reference": "Patient/p1"},
                 "onsetDateTime": "2024-02-02"}
    assert [(m.name, m.result, m.origin, m.effective, m.evidence) for m in markers(condition)] == [
        (name, result, "unknown", "2024-02-02", ["Condition/c"])]


def test_a_condition_of_another_answer_code_is_not_a_brca_finding():
    """A Condition coded with a generic answer (Positive) or a gene code says no BRCA result."""
    for code, system in (("10828004", SCT), ("HGNC:1100", HGNC)):
        condition = {"resourceType": "Condition", "id": "c", "code": coded(system, code), "subject": {"reference": "Patient/p1"}}
        assert markers(condition) == []


# ---- PD-L1 ----------------------------------------------------------------------------------------------------

def pdl1(code, number=None, system=LNC, components=(), oid="pd", **extra):
    resource = obs(code, system=system, oid=oid, **extra)
    if number is not None:
        resource["valueQuantity"] = {"value": number}
    if components:
        resource["component"] = [{"code": coded(csystem, ccode), "valueQuantity": {"value": cvalue}}
                                 for csystem, ccode, cvalue in components]
    return resource


@pytest.mark.parametrize("code, system, assay, measure", [
    ("83053-9", LNC, None, "TPS"), ("C176582", NCIT, None, "CPS"), ("C184941", NCIT, None, "TPS"),
    ("C199175", NCIT, None, "IC"), ("83052-1", LNC, "22C3", None), ("83057-0", LNC, "SP142", None),
    ("83055-4", LNC, "28-8", None)])
def test_a_pdl1_score_keeps_its_assay_and_measure(code, system, assay, measure):
    """P15: CPS, TPS and IC% are not interchangeable; a number under a clone-only code keeps its value but no measure."""
    found = markers(pdl1(code, 12, system))
    assert [(m.name, m.value, m.measure, m.assay, m.result, m.evidence) for m in found] == [
        ("PD-L1", 12.0, measure, assay, "present", ["Observation/pd"])]


@pytest.mark.parametrize("number, result", [(0, "absent"), (0.5, "present"), (1, "present")])
def test_a_pdl1_score_of_zero_is_no_expression(number, result):
    assert [m.result for m in markers(pdl1("C176582", number, NCIT))] == [result]


def test_a_pdl1_result_has_no_origin_and_carries_its_date():
    found = markers(pdl1("C176582", 12, NCIT), pdl1("85147-7", oid="c", components=[(NCIT, "C176582", 3)]),
                    pdl1("83052-1", oid="q", valueCodeableConcept=coded(LNC, POSITIVE)))
    assert [(m.origin, m.effective) for m in found] == [("unknown", "2026-09-01")] * 3


def test_pdl1_component_scores_take_the_clone_of_the_observation():
    """A 22C3 report with a CPS component and an SP142 report with an IC component: each score carries its clone and
    its own measure, one biomarker per score."""
    found = markers(pdl1("85147-7", components=[(NCIT, "C176582", 12), (NCIT, "C184941", 5)]),
                    pdl1("85149-3", oid="sp", components=[(NCIT, "C199175", 1)]))
    assert sorted((m.assay, m.measure, m.value, m.result, tuple(m.evidence)) for m in found) == [
        ("22C3", "CPS", 12.0, "present", ("Observation/pd",)), ("22C3", "TPS", 5.0, "present", ("Observation/pd",)),
        ("SP142", "IC", 1.0, "present", ("Observation/sp",))]


def test_a_pdl1_component_score_of_zero_is_no_expression():
    """A CPS of 0 given as a component is no PD-L1 expression, as the same score given as the value is (fixed: a
    component score was always 'present')."""
    found = markers(pdl1("85147-7", components=[(NCIT, "C176582", 0)]))
    assert [(m.measure, m.value, m.result) for m in found] == [("CPS", 0.0, "absent")]


def test_pdl1_components_of_other_codes_are_skipped():
    found = markers(pdl1("85147-7", components=[(LNC, "48018-6", 3), (NCIT, "C176582", 15)]))
    assert [(m.measure, m.value) for m in found] == [("CPS", 15.0)]


@pytest.mark.parametrize("value, result", [(POSITIVE, "present"), (NEGATIVE, "absent"), (PRESENT, "unknown"), (None, "unknown")])
def test_a_qualitative_pdl1_result_without_a_score(value, result):
    """Positive/negative without a number: a result without value or measure (it cannot meet a CPS or IC cut-off)."""
    resource = pdl1("83052-1", **({"valueCodeableConcept": coded(LNC, value)} if value else {}))
    assert [(m.result, m.value, m.measure, m.assay) for m in markers(resource)] == [(result, None, None, "22C3")]


@pytest.mark.parametrize("type_code, kind", [("TISS", "tissue"), ("SER", "blood")])
def test_the_pdl1_specimen_type(type_code, kind):
    resource = pdl1("C176582", 3, NCIT, specimen={"reference": "Specimen/sp"})
    assert [m.specimen for m in markers(specimen("sp", type_code), resource)] == [kind]


# ---- drugs ----------------------------------------------------------------------------------------------------

def request(mid, rxcui, status="active", intent="order", display=None, **extra):
    return {"resourceType": "MedicationRequest", "id": mid, "status": status, "intent": intent,
            "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": coded(RXN, rxcui, display), **extra}


def drugs(*resources):
    a = assess([patient(), *resources], CONFIG)
    return {m.resource: m for m in a.medications}, a


@pytest.mark.parametrize("status, kept", [
    ("active", True), ("on-hold", True), ("completed", True), ("stopped", True), ("draft", True),
    ("cancelled", False), ("unknown", False)])
def test_which_request_statuses_are_kept(status, kept):
    """Given or meant drugs are history; cancelled or unknown ones are not."""
    uses, _ = drugs(request("m", "72965", status=status))
    assert ("MedicationRequest/m" in uses) is kept
    if kept:
        assert uses["MedicationRequest/m"].status == status
        assert uses["MedicationRequest/m"].draft is (status == "draft")


@pytest.mark.parametrize("status, kept", [("intended", True), ("not-taken", False), ("active", True)])
def test_which_statement_statuses_are_kept(status, kept):
    """MedicationStatement: taken or intended is history; not taken is not."""
    statement = {"resourceType": "MedicationStatement", "id": "s", "status": status, "subject": {"reference": "Patient/p1"},
                 "medicationCodeableConcept": coded(RXN, "10324"), "effectiveDateTime": "2025-01-01"}
    uses, _ = drugs(statement)
    assert ("MedicationStatement/s" in uses) is kept


def test_a_medication_administration_is_a_drug_given():
    """An administration (an infusion given or under way) is read like a request or a statement."""
    given = {"resourceType": "MedicationAdministration", "id": "ad", "status": "in-progress",
             "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": coded(RXN, "56946"),
             "effectivePeriod": {"start": "2025-02-01"}}
    uses, _ = drugs(given)
    m = uses["MedicationAdministration/ad"]
    assert (m.ingredient, m.drug_class, m.status, m.start, m.planned) == ("paclitaxel", "taxane", "in-progress", "2025-02-01", False)


def test_a_request_of_unknown_status_does_not_stop_the_reading():
    uses, _ = drugs(request("c", "72965", status="unknown"), request("m", "10324"))
    assert list(uses) == ["MedicationRequest/m"]


@pytest.mark.parametrize("intent, planned", [("order", False), ("proposal", True), ("plan", True), ("option", True),
                                             ("original-order", False), ("instance-order", False)])
def test_a_proposal_plan_or_option_is_planned_not_given(intent, planned):
    uses, _ = drugs(request("m", "72965", intent=intent))
    assert uses["MedicationRequest/m"].planned is planned


def test_a_drug_is_rolled_up_with_its_code_and_display():
    uses, _ = drugs(request("m", "203769", display="Femara"))
    m = uses["MedicationRequest/m"]
    assert (m.ingredient, m.ingredient_rxcui, m.drug_class, m.code, m.display) == (
        "letrozole", "72965", "aromatase-inhibitor", f"{RXN}|203769", "Femara")


def test_the_first_coding_we_know_decides_and_an_unknown_drug_keeps_its_first_code():
    """Several codings: the first one in our RxNorm table decides (its code and display shown); a drug we do not know
    is kept (ingredient unknown) with its first complete coding."""
    known = request("m", "72965")
    known["medicationCodeableConcept"]["coding"].insert(0, {"system": "http://example.org/local", "code": "LET"})
    known["medicationCodeableConcept"]["coding"].insert(0, {"system": RXN})
    uses, _ = drugs(known)
    assert (uses["MedicationRequest/m"].ingredient, uses["MedicationRequest/m"].code) == ("letrozole", f"{RXN}|72965")
    unknown = request("u", "999999", display="Local drug")
    unknown["medicationCodeableConcept"]["coding"].insert(0, {"system": RXN})
    unknown["medicationCodeableConcept"]["coding"].insert(0, {"code": "777777"})
    unknown["medicationCodeableConcept"]["coding"].append({"system": RXN, "code": "888888"})
    uses, _ = drugs(unknown)
    u = uses["MedicationRequest/u"]
    assert (u.ingredient, u.ingredient_rxcui, u.drug_class, u.code, u.display) == (None, None, None, f"{RXN}|999999", "Local drug")


def test_a_drug_without_any_code_is_kept_without_a_code():
    resource = request("m", "72965")
    resource["medicationCodeableConcept"] = {"text": "letrozole"}
    uses, _ = drugs(resource)
    assert (uses["MedicationRequest/m"].code, uses["MedicationRequest/m"].display, uses["MedicationRequest/m"].ingredient) == (None, None, None)


def test_a_medication_reference_is_followed():
    med = {"resourceType": "Medication", "id": "med1", "code": coded(RXN, "10324")}
    resource = request("m", "10324")
    del resource["medicationCodeableConcept"]
    resource["medicationReference"] = {"reference": "Medication/med1"}
    uses, _ = drugs(med, resource)
    assert uses["MedicationRequest/m"].ingredient == "tamoxifen"
    resource["medicationReference"] = {"reference": "Medication/missing"}
    uses, _ = drugs(resource)
    assert uses["MedicationRequest/m"].ingredient is None


@pytest.mark.parametrize("extra, start, end", [
    ({"dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-01-01", "end": "2025-06-01"}}}}],
      "dispenseRequest": {"validityPeriod": {"start": "2024-12-01"}}, "authoredOn": "2024-11-01"}, "2025-01-01", "2025-06-01"),
    ({"dosageInstruction": [{"text": "daily"}, {"timing": {"repeat": {"boundsPeriod": {"end": "2025-06-01"}}}}]}, None, "2025-06-01"),
    ({"dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-01-01"}}}}],
      "dispenseRequest": {"validityPeriod": {"start": "2024-12-01"}}, "authoredOn": "2024-11-01"}, "2025-01-01", None),
    ({"dispenseRequest": {"validityPeriod": {"start": "2024-12-01"}}, "authoredOn": "2024-11-01"}, "2024-12-01", None),
    ({"dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {}}}}],
      "dispenseRequest": {"validityPeriod": {"start": "2024-12-01", "end": "2025-12-01"}}, "authoredOn": "2024-11-01"},
     "2024-12-01", "2025-12-01"),
    ({"dispenseRequest": {"validityPeriod": {"end": "2025-12-01"}}}, None, "2025-12-01"),
    ({"dispenseRequest": {"numberOfRepeatsAllowed": 1}, "authoredOn": "2024-11-01"}, "2024-11-01", None),
    ({"authoredOn": "2024-11-01"}, "2024-11-01", None),
    ({}, None, None)])
def test_the_period_of_a_request(extra, start, end):
    """A request's period: the dosage bounds (when they give a start or end), else the dispense validity period, else
    the date it was written (start only)."""
    uses, _ = drugs(request("m", "72965", **extra))
    assert (uses["MedicationRequest/m"].start, uses["MedicationRequest/m"].end) == (start, end)


@pytest.mark.parametrize("extra, start, end", [
    ({"effectivePeriod": {"start": "2025-01-01", "end": "2025-03-01"}}, "2025-01-01", "2025-03-01"),
    ({"effectivePeriod": {"start": "2025-01-01"}}, "2025-01-01", None),
    ({"effectiveDateTime": "2025-02-02"}, "2025-02-02", None),
    ({}, None, None)])
def test_the_period_of_a_statement(extra, start, end):
    statement = {"resourceType": "MedicationStatement", "id": "s", "status": "completed", "subject": {"reference": "Patient/p1"},
                 "medicationCodeableConcept": coded(RXN, "10324"), **extra}
    uses, _ = drugs(statement)
    assert (uses["MedicationStatement/s"].start, uses["MedicationStatement/s"].end) == (start, end)


@pytest.mark.parametrize("display, noted", [
    ("Paclitaxel 100 MG Injection", True),     # names another drug than the code (a.5, Synthea)
    ("(Paclitaxel)", True), ("Injection, paclitaxel", True), ("paclitaxel/injection", True),
    ("Taxotere", False), ("docetaxel 20 MG/ML", False), ("DOCETAXEL", False), ("Injection", False), ("", False),
    (None, False)])
def test_a_display_naming_another_drug_is_reported_and_the_code_decides(display, noted):
    """Taxotere (RxNorm 202982) rolls up to docetaxel whatever its label says; a label naming another drug we know is
    reported (naming the resource and both drugs); a brand or ingredient name of the same drug, or a label naming none,
    is not."""
    uses, a = drugs(request("m", "202982", display=display))
    assert uses["MedicationRequest/m"].ingredient == "docetaxel"
    found = [n for n in a.data_quality if n.code == "medication-display-mismatch"]
    assert bool(found) is noted
    if noted:
        assert found[0].resource == "MedicationRequest/m"
        assert "docetaxel" in found[0].message and "paclitaxel" in found[0].message


@pytest.mark.parametrize("rxcui, display, noted", [("72965", "Femara 2.5 MG", False), ("72965", "Arimidex", False),
                                                   ("72965", "anastrozole 1 MG", True), ("262485", "Femara", False),
                                                   ("262485", "Femara (letrozole)", True)])
def test_brand_names_count_only_for_their_own_drug(rxcui, display, noted):
    """A brand name (RxNorm BN) is the name of its own ingredient only: Femara on letrozole is fine; the ingredient
    name of another drug is a mismatch. Brand names of other drugs are not names we check against."""
    _, a = drugs(request("m", rxcui, display=display))
    assert any(n.code == "medication-display-mismatch" for n in a.data_quality) is noted


@pytest.mark.parametrize("rxcui, display", [("72965", "Femara, after tamoxifen"), ("262485", "Arimidex, after letrozole"),
                                            ("202982", "docetaxel-based, after paclitaxel"), ("202982", "DOCETAXEL then PACLITAXEL")])
def test_a_label_naming_the_coded_drug_is_never_a_mismatch(rxcui, display):
    """When the label names the coded drug itself (its ingredient or its own brand, in any case, even inside a longer
    word), mentioning another drug as well is not a mismatch: the label does describe the code."""
    _, a = drugs(request("m", rxcui, display=display))
    assert not any(n.code == "medication-display-mismatch" for n in a.data_quality)


# ---- disease status -------------------------------------------------------------------------------------------

def status_obs(value, evidence=(), oid="ds", when="2026-05-05"):
    extension = [{"url": codes.MCODE_EVIDENCE_TYPE_URL, "valueCodeableConcept": coded(SCT, code)} for code in evidence]
    resource = obs("97509-4", oid=oid, when=when, valueCodeableConcept=coded(SCT, value))
    if extension:
        resource["extension"] = extension
    return resource


@pytest.mark.parametrize("value, kind, status", [
    ("271299001", "progression", "worsened"), ("359746009", "disease-status", "stable"),
    ("268910001", "disease-status", "improved"), ("709137006", "disease-status", "undetermined"),
    ("12345", "disease-status", "unrecognised")])
def test_only_a_worsened_status_is_a_progression(value, kind, status):
    a = assess([patient(), status_obs(value)], CONFIG)
    found = [e for e in a.events if e.evidence == ["Observation/ds"]]
    assert [(e.kind, e.date, e.detail["status"]) for e in found] == [(kind, "2026-05-05", status)]


def test_the_evidence_types_of_a_disease_status():
    """Imaging and tumour markers are named; another evidence type is "other"; extensions of other URLs are not read."""
    resource = status_obs("271299001", ("363679005", "250724005", "1234"))
    resource["extension"].insert(0, {"url": "http://example.org/x", "valueCodeableConcept": coded(SCT, "363679005")})
    a = assess([patient(), resource], CONFIG)
    event = next(e for e in a.events if e.kind == "progression")
    assert event.detail["evidence_types"] == ["imaging", "tumor-marker", "other"]


def test_other_observations_are_not_disease_statuses():
    a = assess([patient(), obs("8302-2", valueCodeableConcept=coded(SCT, "271299001")),
                obs("85329-1", valueCodeableConcept=coded(SCT, "271299001")), status_obs("271299001", oid="real")], CONFIG)
    assert [e.evidence for e in a.events if e.kind in ("progression", "disease-status")] == [["Observation/real"]]
