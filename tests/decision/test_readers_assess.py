"""Reader behaviour through assess(): selection over time, context, biomarkers, drugs, data-quality notes."""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge import codes

LNC, SCT, ICD = codes.LNC, codes.SCT, codes.ICD10CM
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
CONFIG = DecisionConfig(today=date(2026, 11, 1))
_counter = iter(range(10_000))


def obs(code, system=LNC, when="2026-09-01", status="final", **value):
    return {"resourceType": "Observation", "id": f"o{next(_counter)}", "status": status,
            "code": {"coding": [{"system": system, "code": code}]}, "effectiveDateTime": when, **value}


def pct(code, value, **kw):
    return obs(code, valueQuantity={"value": value, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}, **kw)


def coded(system, code):
    return {"coding": [{"system": system, "code": code}]}


def ihc(score, **kw):
    answer = {"0": "LA6111-4", "1+": "LA11841-6", "2+": "LA11842-4", "3+": "LA11843-2"}[score]
    return obs("85319-2", valueCodeableConcept=coded(LNC, answer), **kw)


def patient(gender="female", birth="1960-01-01"):
    return {"resourceType": "Patient", "id": "p1", "gender": gender, "birthDate": birth}


def specimen(sid, site):
    return {"resourceType": "Specimen", "id": sid, "collection": {"bodySite": coded(SCT, site)}}


def notes_of(a):
    return {n.code for n in a.data_quality}


def test_newest_result_no_longer_wins_in_the_early_episode():
    """Two ER samples before any therapy, 80% and a later 5%: the newest no longer decides (b.3 revised); a
    positive on any pre-treatment sample governs, the stronger category first, and both stay in the history."""
    a = assess([patient(), pct("85329-1", 80, when="2020-01-01"), pct("85329-1", 5, when="2026-01-01"),
                pct("85325-9", 0), ihc("1+")], CONFIG)
    assert a.er.status == "positive" and a.er.effective == "2020-01-01" and a.er.rule == "pre-treatment-samples"
    assert len([r for r in a.history if r.analyte == "ER"]) == 2
    assert [c.governs for c in a.samples if c.receptor == "ER"] == [True, False]


def test_metastasis_biopsy_preferred_when_metastatic():
    """Once metastatic, a metastasis sample wins over a newer primary-breast sample (b.3)."""
    met = {"reference": "Specimen/met"}
    prim = {"reference": "Specimen/prim"}
    resources = [patient(), specimen("met", "10200004"), specimen("prim", "80248007"),
                 {"resourceType": "Condition", "id": "c1", "code": coded(ICD, "C78.7"), "subject": {"reference": "Patient/p1"}},
                 pct("85329-1", 0, when="2026-01-01", specimen=met), pct("85329-1", 90, when="2026-06-01", specimen=prim),
                 pct("85325-9", 0, specimen=met), ihc("1+", specimen=met)]
    a = assess(resources, CONFIG)
    assert a.setting.setting == "metastatic"
    assert a.er.status == "negative" and a.er.specimen == "metastasis"
    assert {r.specimen for r in a.history if r.analyte == "ER"} == {"primary", "metastasis"}


def test_provisional_result_is_not_preferred_over_final():
    """A newer preliminary result does not displace an older final one; alone it is flagged provisional."""
    a = assess([patient(), pct("85329-1", 50, when="2025-01-01"), pct("85329-1", 0, when="2026-01-01", status="preliminary"),
                pct("85325-9", 0), ihc("1+")], CONFIG)
    assert a.er.status == "positive" and not a.er.provisional
    b = assess([patient(), pct("85329-1", 0, status="preliminary"), pct("85325-9", 0), ihc("1+")], CONFIG)
    assert b.er.provisional and "provisional-result" in notes_of(b)


def test_her2_low_on_any_sample():
    """HER2-low on an earlier sample is remembered even when the newest sample is IHC 0 (ASCO/CAP 2023)."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("1+", when="2022-01-01"), ihc("0", when="2026-01-01")], CONFIG)
    assert a.her2.expression == "zero-unspecified"
    assert a.her2.low_on_any_sample and not a.her2.ultralow_on_any_sample


def test_unresolved_panel_member_is_noted():
    """An ISH panel pointing at a member that is not in the data is reported."""
    panel = obs("74885-5", hasMember=[{"reference": "Observation/missing"}])
    a = assess([patient(), panel], CONFIG)
    assert "unresolved-reference" in notes_of(a)


@pytest.mark.parametrize("bad", [
    "not a resource", 42, None, {"no": "type"},
    {"resourceType": "Observation", "id": "x", "status": "final"},                      # code missing
    {"resourceType": "Observation", "id": "y", "status": "final", "code": {"text": "ER"}, "valueQuantity": {"value": "abc"}},
    {"resourceType": "Patient", "id": "z", "birthDate": 1960},
])
def test_broken_items_become_notes(bad):
    """Broken items never raise; they become notes and the valid rest is still classified."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("3+"), bad], CONFIG)
    assert a.subtype == "HR+/HER2+"
    assert notes_of(a) & {"invalid-resource"}


def test_non_iterable_input_is_a_note():
    """assess(None) answers honestly (indeterminate, with a note) instead of raising."""
    a = assess(None, CONFIG)  # type: ignore[arg-type]
    assert a.subtype == "indeterminate" and "invalid-input" in notes_of(a)


def test_bundle_with_urn_uuid_references():
    """A transaction Bundle with urn:uuid references (Synthea) resolves specimens by fullUrl."""
    spec = {"resourceType": "Specimen", "id": "s-uuid", "collection": {"bodySite": coded(SCT, "80248007")}}
    er = pct("85329-1", 90, specimen={"reference": "urn:uuid:s-uuid"})
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:p1", "resource": patient()}, {"fullUrl": "urn:uuid:s-uuid", "resource": spec},
        {"fullUrl": "urn:uuid:e", "resource": er}, {"resource": pct("85325-9", 40)}, {"resource": ihc("1+")}]}
    a = assess(bundle, CONFIG)
    assert a.subtype == "HR+/HER2-" and a.er.specimen == "primary"


def test_condition_only_receptor_status_is_weakest_evidence():
    """ICD Z17 codes classify only when no test result exists, and are noted as such."""
    conditions = [{"resourceType": "Condition", "id": f"c{i}", "code": coded(ICD, code), "subject": {"reference": "Patient/p1"},
                   "onsetDateTime": "2026-01-01"} for i, code in enumerate(["Z17.0", "Z17.21", "Z17.32"])]
    a = assess([patient(), *conditions], CONFIG)
    assert (a.er.status, a.er.basis, a.her2.basis) == ("positive", "condition", "condition")
    assert a.subtype == "HR+/HER2-"
    assert "receptor-status-from-condition" in notes_of(a)
    with_test = assess([patient(), *conditions, pct("85329-1", 0)], CONFIG)
    assert with_test.er.status == "negative" and with_test.er.basis == "percent"


@pytest.mark.parametrize("resources, status, basis", [
    ([patient(birth="1980-01-01")], "unknown", "none"),
    ([patient(birth="1960-01-01")], "postmenopausal", "age>=60"),
    ([patient(gender="male", birth="1980-01-01")], "male", "patient-gender"),
    ([patient(birth="1980-01-01"), obs("161712005", SCT, valueCodeableConcept=coded(SCT, "76498008"))], "postmenopausal", None),
    ([patient(birth="1980-01-01"), {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
                                    "subject": {"reference": "Patient/p1"},
                                    "medicationCodeableConcept": coded(RXN, "50610")}], "suppressed", "gnrh-agonist"),
    ([patient(birth="1980-01-01"), {"resourceType": "Procedure", "id": "pr1", "status": "completed",
                                    "subject": {"reference": "Patient/p1"}, "code": coded(SCT, "29827000")}],
     "postmenopausal", "bilateral oophorectomy Procedure/pr1"),
    ([patient(gender="unknown", birth="1980-01-01"),
      {"resourceType": "Condition", "id": "c", "code": coded(ICD, "C50.921"), "subject": {"reference": "Patient/p1"}}], "male", "icd-c50-male"),
])
def test_menopausal_status(resources, status, basis):
    """Explicit 161712005 wins; oophorectomy -> post; GnRH agonist -> suppressed; age >= 60 -> post; male by gender or ICD C50.x2x."""
    a = assess(resources, CONFIG)
    assert a.menopausal_status == status
    if basis:
        assert a.menopausal_basis == basis


def _variant(hgnc, source_class, value="LA9633-4"):
    components = [{"code": coded(LNC, "48018-6"), "valueCodeableConcept": coded("http://www.genenames.org/geneId", hgnc)}]
    if source_class:
        components.append({"code": coded(LNC, "48002-0"), "valueCodeableConcept": coded(LNC, source_class)})
    return obs("69548-6", valueCodeableConcept=coded(LNC, value), component=components)


def test_genomic_variants_and_pdl1():
    """BRCA germline/somatic, PIK3CA and ESR1 from GenomicVariant; PD-L1 keeps assay and measure apart."""
    pdl1 = obs("83052-1", component=[{"code": coded(codes.NCIT, "C176582"), "valueQuantity": {"value": 12}}])
    tps = obs("83053-9", valueQuantity={"value": 30, "unit": "%"})
    a = assess([patient(), _variant("HGNC:1100", "LA6683-2"), _variant("HGNC:1101", "LA6684-0"),
                _variant("HGNC:8975", None), _variant("HGNC:3467", "LA6684-0"), pdl1, tps], CONFIG)
    found = {(b.name, b.result, b.origin) for b in a.biomarkers if b.name != "PD-L1"}
    assert found == {("BRCA1", "present", "germline"), ("BRCA2", "present", "somatic"),
                     ("PIK3CA", "present", "unknown"), ("ESR1", "present", "somatic")}
    pd = {(b.assay, b.measure, b.value) for b in a.biomarkers if b.name == "PD-L1"}
    assert pd == {("22C3", "CPS", 12.0), (None, "TPS", 30.0)}


def test_medications_roll_up_and_reference():
    """Product codes roll up to ingredient and class; medicationReference is followed; entered-in-error dropped."""
    med = {"resourceType": "Medication", "id": "med1", "code": coded(RXN, "199224")}   # anastrozole 1 MG tab (a.5)
    resources = [patient(),
                 {"resourceType": "MedicationRequest", "id": "r1", "status": "active", "intent": "order", "subject": {"reference": "Patient/p1"},
                  "medicationReference": {"reference": "Medication/med1"}, "authoredOn": "2026-01-01"},
                 {"resourceType": "MedicationStatement", "id": "s1", "status": "completed", "subject": {"reference": "Patient/p1"},
                  "medicationCodeableConcept": coded(RXN, "202982"), "effectivePeriod": {"start": "2025-01-01", "end": "2025-04-01"}},
                 {"resourceType": "MedicationRequest", "id": "r2", "status": "entered-in-error", "intent": "order",
                  "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": coded(RXN, "10324")}, med]
    a = assess(resources, CONFIG)
    uses = {m.resource: m for m in a.medications}
    assert uses["MedicationRequest/r1"].ingredient == "anastrozole"
    assert uses["MedicationRequest/r1"].drug_class == "aromatase-inhibitor"
    assert uses["MedicationStatement/s1"].ingredient == "docetaxel"      # Taxotere, whatever the label says
    assert (uses["MedicationStatement/s1"].start, uses["MedicationStatement/s1"].end) == ("2025-01-01", "2025-04-01")
    assert "MedicationRequest/r2" not in uses and "dropped-entered-in-error" in notes_of(a)


def test_disease_status_event_carries_evidence_types():
    """CancerDiseaseStatus 97509-4 worsened on tumour markers only is an event with its evidence types (for P12)."""
    status = obs("97509-4", valueCodeableConcept=coded(SCT, "271299001"), extension=[
        {"url": codes.MCODE_EVIDENCE_TYPE_URL, "valueCodeableConcept": coded(SCT, "250724005")}])
    a = assess([patient(), status], CONFIG)
    event = next(e for e in a.events if e.kind == "progression")
    assert event.detail == {"status": "worsened", "evidence_types": ["tumor-marker"]}


def test_stable_disease_status_is_not_a_progression_event():
    """A 'stable' CancerDiseaseStatus is a disease-status event, not a progression on the time axis."""
    status = obs("97509-4", valueCodeableConcept=coded(SCT, "359746009"))
    a = assess([patient(), status], CONFIG)
    assert [e.kind for e in a.events] == ["disease-status"]
    assert a.events[0].detail["status"] == "stable"


@pytest.mark.parametrize("code, note", [("32996-1", "serum-her2-ignored"), ("417181009", "invalid-code-for-system"),
                                        ("85328-3", "unverified-code"), ("21924-6", "generic-tumor-marker")])
def test_data_quality_traps(code, note):
    """Serum HER2, SNOMED ids under LOINC, unverified and generic codes are noted and never read as results."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50),
                obs(code, valueCodeableConcept=coded(SCT, "10828004"))], CONFIG)
    assert note in notes_of(a)
    assert a.subtype == "indeterminate" and a.her2.status == "unknown"


def test_her2_interpretation_disagreeing_with_ihc_is_noted():
    """48676-1 'Positive' beside IHC 1+ on the same day: the test result is used and the conflict noted."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("1+"),
                obs("48676-1", valueCodeableConcept=coded(LNC, "LA6576-8"))], CONFIG)
    assert a.her2.status == "negative" and a.her2.expression == "low"
    assert "conflicting-results" in notes_of(a)


def test_percent_under_qualitative_code_is_read_and_noted():
    """A '5 %' sent under the qualitative ER code is used as a percent (ER low) with a note."""
    a = assess([patient(), obs("85337-4", valueQuantity={"value": 5, "unit": "%"}), pct("85325-9", 0), ihc("1+")], CONFIG)
    assert a.er.status == "low-positive" and a.er.percent == 5
    assert "percent-under-qualitative-code" in notes_of(a)


@pytest.mark.parametrize("score, subtype", [("3+", "HR+/HER2+"), ("1+", "HR+/HER2-")])
def test_subtype_on_provisional_result_says_so(score, subtype):
    """A subtype resting on a preliminary result carries a reason saying it is provisional."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc(score, status="preliminary")], CONFIG)
    assert a.subtype == subtype and a.her2.provisional
    assert any("provisional" in reason for reason in a.subtype_reasons)


def test_ihc_2plus_settled_by_overall_interpretation():
    """IHC 2+ with a same-day overall HER2 'Negative' (48676-1) and no ISH: negative, HER2-low, noted."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("2+"),
                obs("48676-1", valueCodeableConcept=coded(LNC, "LA6577-6"))], CONFIG)
    assert (a.her2.status, a.her2.expression, a.subtype) == ("negative", "low", "HR+/HER2-")
    assert "her2-2plus-resolved-without-ish" in notes_of(a)
    # P4's trigger is IHC 2+ without an ISH result on the same specimen (ASCO/CAP 2018): the overall call does not
    # replace the ISH result, so the clinician is still asked for it.
    assert "P4" in {alert.code for alert in a.alerts}


@pytest.mark.parametrize("ish_day, expression, paired", [("2026-09-05", "low", True), ("2026-12-01", "unknown", False)])
def test_reflex_ish_days_after_ihc_is_paired_without_specimen(ish_day, expression, paired):
    """IHC 2+ then ISH group 5 a few days later, no Specimen named: read as one sample (HER2-low); not when months apart."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("2+", when="2026-09-01"),
                obs("49683-6", when=ish_day, valueQuantity={"value": 1.2}), obs("74860-8", when=ish_day, valueQuantity={"value": 2.0})],
               DecisionConfig(today=date(2027, 1, 1)))
    assert a.her2.status == "negative" and a.her2.expression == expression
    assert ("ish-paired-with-earlier-ihc" in notes_of(a)) is paired


def test_resources_of_another_patient_are_not_used():
    """An Observation whose subject is another patient is dropped and noted, never mixed into the answer."""
    other = pct("85329-1", 0, when="2026-10-01")
    other["subject"] = {"reference": "Patient/someone-else"}
    mine = pct("85329-1", 90)
    mine["subject"] = {"reference": "http://ehr.example/fhir/Patient/p1"}
    a = assess([patient(), mine, other, pct("85325-9", 50), ihc("1+")], CONFIG)
    assert a.er.status == "positive" and a.er.evidence == [f"Observation/{mine['id']}"]
    assert "other-patient" in notes_of(a)


def test_nested_bundles_are_unpacked():
    """A batch response holding searchset Bundles is read like the resources inside them."""
    inner = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in (pct("85329-1", 90), pct("85325-9", 50), ihc("3+"))]}
    outer = {"resourceType": "Bundle", "type": "batch-response", "entry": [{"resource": patient()}, {"resource": inner}]}
    assert assess(outer, CONFIG).subtype == "HR+/HER2+"


def test_display_of_another_code_is_noted_and_code_used():
    """MII's 40556-3 shown with the 85337-4 display: read as 40556-3 (ER), mismatch noted."""
    er = obs("40556-3", valueCodeableConcept=coded(LNC, "LA6576-8"))
    er["code"]["coding"][0]["display"] = "Estrogen receptor Ag [Presence] in Breast cancer specimen by Immune stain"
    a = assess([patient(), er, pct("85325-9", 50), ihc("1+")], CONFIG)
    assert a.er.status == "positive"
    assert "display-code-mismatch" in notes_of(a)


def test_snomed_receptor_disorder_outranks_icd_z17():
    """b.2 precedence: a SNOMED receptor-status disorder beats a newer ICD Z17 code (the weakest evidence)."""
    conditions = [
        {"resourceType": "Condition", "id": "c-sct", "code": coded(SCT, "441117001"), "subject": {"reference": "Patient/p1"}, "onsetDateTime": "2025-01-01"},
        {"resourceType": "Condition", "id": "c-icd", "code": coded(ICD, "Z17.0"), "subject": {"reference": "Patient/p1"}, "onsetDateTime": "2026-01-01"}]
    a = assess([patient(), *conditions], CONFIG)
    assert a.er.status == "negative" and a.er.evidence == ["Condition/c-sct"]


@pytest.mark.parametrize("status", [{"coding": None}, {"coding": 5}, 5, {"coding": [None, 7]}])
def test_condition_with_odd_verification_status_never_raises(status):
    """R4B accepts "coding": null; a Condition like that is read or noted, never a crash."""
    condition = {"resourceType": "Condition", "id": "c-odd", "subject": {"reference": "Patient/p1"},
                 "code": {"coding": [{"system": SCT, "code": "254837009"}]}, "verificationStatus": status}
    a = assess([patient(), condition], CONFIG)
    assert a.subtype == "indeterminate"


@pytest.mark.parametrize("first, second", [(">10%", 0.0), (0.0, ">10%")])
def test_same_day_combined_hr_results_that_disagree_leave_hr_unknown(first, second):
    """Two combined ER+PR (10480-2) results of one day, one positive and one negative: HR is not settled,
    whichever comes first (found by the shuffling property test: input order used to pick the HR status)."""
    def combined(rid, value):
        kw = {"valueString": value} if isinstance(value, str) else {"valueQuantity": {"value": value, "unit": "%"}}
        return {**obs("10480-2", **kw), "id": rid}
    a = assess([patient(), combined("hr-a", first), combined("hr-b", second), ihc("1+")], CONFIG)
    assert a.hr == "unknown"


@pytest.mark.parametrize("comparator, value, group, status", [
    ("<", 2.0, 4, "negative"),      # "<2.0": below the cut-off, groups 3-5 (4.5 copies: group 4, IHC 2+ negative)
    ("<=", 1.9, 4, "negative"),
    (">", 2.5, 1, "positive"),      # ">2.5" is at or above 2.0: group 1 with 4.5 copies
    (">=", 2.0, 1, "positive"),
])
def test_ratio_given_as_a_bound_is_read_against_2_0(comparator, value, group, status):
    """A HER2/CEP17 ratio reported with a comparator is placed on its side of 2.0 when the bound says which
    (ASCO/CAP 2018 groups; 4.5 copies and a concurrent IHC 2+ on the same sample)."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("2+"),
                obs("49683-6", valueQuantity={"value": value, "comparator": comparator}),
                obs("74860-8", valueQuantity={"value": 4.5})], CONFIG)
    assert (a.her2.ish_group, a.her2.status) == (group, status)


# A dual-probe test whose ratio cannot be read: the copy number alone places it in two ASCO/CAP 2018 groups
# (>=6: group 1 or 3; 4-<6: group 1 or 4; <4: group 2 or 5); a call is made only where both groups agree.
@pytest.mark.parametrize("copies, score, ish, status", [
    (6.0, "1+", "needs-review", "unknown"),    # group 1 positive, group 3 with IHC 0-1+ negative
    (6.5, "0", "needs-review", "unknown"),
    (6.5, None, "needs-review", "unknown"),    # group 3 would need the IHC, group 1 would not
    (6.0, "2+", "amplified", "positive"),      # group 1, or group 3 with IHC 2+: positive either way
    (6.5, "3+", "amplified", "positive"),
    (5.9, "2+", "needs-review", "unknown"),    # group 1 positive, group 4 with IHC 2+ negative
    (4.0, "1+", "needs-review", "unknown"),
    (4.0, "3+", "amplified", "positive"),
    (3.9, "3+", "amplified", "positive"),      # group 2 or 5 with IHC 3+: positive either way
    (3.9, "2+", "not-amplified", "negative"),  # group 2 with IHC 0-2+ and group 5: negative either way
    (3.9, "0", "not-amplified", "negative"),
    (3.9, None, "needs-ihc", "unknown"),       # group 2 needs the concurrent IHC
])
def test_unreadable_dual_probe_ratio_is_not_read_as_single_probe(copies, score, ish, status):
    """An unreadable HER2/CEP17 ratio beside 6.5 copies and IHC 1+ used to be read as single-probe >=6, so
    HER2-positive; the test was dual-probe, and group 3 with IHC 1+ is HER2-negative (ASCO/CAP 2018)."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), *([ihc(score)] if score else []),
                obs("49683-6", valueString="see report"), *_ish(None, copies)], CONFIG)
    assert (a.her2.ish, a.her2.status) == (ish, status)
    assert ("ish-ratio-unreadable" in notes_of(a)) == (ish == "needs-review")


def test_single_probe_copies_alone_still_follow_the_single_probe_rule():
    """Without any dual-probe result on the sample, 6.5 HER2 signals/cell is single-probe >=6: amplified."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("1+"), *_ish(None, 6.5)], CONFIG)
    assert (a.her2.ish, a.her2.status) == ("amplified", "positive")


@pytest.mark.parametrize("copies, conflict", [
    ((3.5, 4.5), True),    # <4 and 4-<6: group 2 or group 1 with a ratio of 2.5
    ((5.5, 6.5), True),    # 4-<6 and >=6
    ((4.2, 5.1), False),   # both 4-<6: group 1 either way
])
def test_two_copy_numbers_of_one_sample_in_different_bands_leave_ish_unresolved(copies, conflict):
    """Mean HER2 copy numbers of one sample that fall in different ISH bands cannot both hold: the ISH group is
    left for pathology to review (HER2 unknown); in the same band they agree (ratio 2.5: group 1, positive)."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("1+"),
                obs("49683-6", valueQuantity={"value": 2.5}),
                *(obs("74860-8", valueQuantity={"value": c}) for c in copies)], CONFIG)
    if conflict:
        assert a.her2.status == "unknown" and a.her2.ish_group is None
        assert "conflicting-results" in notes_of(a)
    else:
        assert (a.her2.status, a.her2.ish_group) == ("positive", 1)


IHC_NEGATIVE_NO_SCORE = {"valueCodeableConcept": coded(LNC, "LA6577-6")}   # "Negative": IHC 0 or 1+


def _ish(ratio=None, copies=None, cep17=None):
    return [*([obs("49683-6", valueQuantity={"value": ratio})] if ratio is not None else []),
            *([obs("74860-8", valueQuantity={"value": copies})] if copies is not None else []),
            *([obs("74861-6", valueQuantity={"value": cep17})] if cep17 is not None else [])]


@pytest.mark.parametrize("ratio, copies, group", [(2.5, 3.5, 2), (1.5, 6.5, 3), (1.5, 4.5, 4)])
def test_ish_groups_2_to_4_with_an_ihc_reported_negative_without_a_score(ratio, copies, group):
    """ASCO/CAP 2018: groups 2-4 are settled by the concurrent IHC; an IHC reported 'negative' is 0 or 1+, which
    makes groups 2, 3 and 4 HER2-negative (group 3 needs 2+ to be positive)."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), obs("85319-2", **IHC_NEGATIVE_NO_SCORE),
                *_ish(ratio, copies)], CONFIG)
    assert (a.her2.ish_group, a.her2.ish, a.her2.status) == (group, "not-amplified", "negative")


@pytest.mark.parametrize("score", ["0", "1+"])
def test_ish_group_3_with_ihc_0_or_1plus_is_negative(score):
    """ASCO/CAP 2018 group 3 (ratio <2.0, >=6 copies) with concurrent IHC 0 or 1+: HER2-negative."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc(score), *_ish(1.5, 6.5)], CONFIG)
    assert (a.her2.ish_group, a.her2.ish, a.her2.status) == (3, "not-amplified", "negative")


@pytest.mark.parametrize("ratio, copies, group", [(2.5, 3.5, 2), (1.5, 4.5, 4)])
def test_ish_groups_2_and_4_with_ihc_3plus_are_amplified(ratio, copies, group):
    """ASCO/CAP 2018: in groups 2 and 4 a concurrent IHC 3+ makes the sample HER2-positive (ISH read as amplified)."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("3+"), *_ish(ratio, copies)], CONFIG)
    assert (a.her2.ish_group, a.her2.ish, a.her2.status) == (group, "amplified", "positive")


@pytest.mark.parametrize("copies, cep17, group, status", [
    (5.0, 3.0, 4, "negative"),     # 5.0 / 3.0 = 1.67 (<2.0), 4-<6 copies: group 4, IHC 1+ negative
    (3.0, 2.0, 5, "negative"),     # 1.5, <4 copies: group 5
    (7.0, 3.0, 1, "positive"),     # 2.33 (>=2.0), >=4 copies: group 1
])
def test_ratio_computed_from_her2_and_cep17_copies(copies, cep17, group, status):
    """Without a reported ratio, HER2/CEP17 is the mean HER2 copies divided by the mean CEP17 copies (ASCO/CAP
    2018 dual-probe), and the group follows from it."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("1+"), *_ish(None, copies, cep17)], CONFIG)
    assert (a.her2.ish_group, a.her2.status) == (group, status)
    assert a.her2.ratio == pytest.approx(copies / cep17)


@pytest.mark.parametrize("bound, exact", [
    ({"value": 1.9, "comparator": "<="}, 2.5),
    ({"value": 2.0, "comparator": "<"}, 2.5),
    ({"value": 2.2, "comparator": ">"}, 1.5),
    ({"value": 2.0, "comparator": ">="}, 1.5),
])
def test_ratio_bound_and_exact_ratio_on_either_side_of_2_0_leave_ish_unresolved(bound, exact):
    """Two HER2/CEP17 ratios of one sample, one a bound that says its side of 2.0 and one exact on the other
    side, cannot both hold: the ISH group is left for pathology to review (HER2 unknown, conflict noted)."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("2+"),
                obs("49683-6", valueQuantity=bound), *_ish(exact, 4.5)], CONFIG)
    assert (a.her2.status, a.her2.ish_group) == ("unknown", None)
    assert "conflicting-results" in notes_of(a)


def test_unreadable_ratio_with_6_or_more_her2_copies_and_ihc_2plus_is_positive():
    """A dual-probe ratio that cannot be read leaves the mean HER2 copy number: >=6 copies is group 1 or group 3,
    and with a concurrent IHC 2+ both are HER2-positive (ASCO/CAP 2018), as a single-probe >=6 is."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("2+"),
                obs("49683-6", valueString="see report"), *_ish(None, 6.5)], CONFIG)
    assert (a.her2.status, a.her2.ish) == ("positive", "amplified")


@pytest.mark.parametrize("copies, conflict", [
    ((3.9, 4.0), True),    # <4 and 4-<6 (4.0 is in the 4-<6 band)
    ((4.0, 4.5), False),   # both 4-<6
    ((5.9, 6.0), True),    # 4-<6 and >=6 (6.0 is in the >=6 band)
    ((6.0, 6.5), False),   # both >=6
])
def test_copy_numbers_at_4_0_and_6_0_fall_in_the_upper_band(copies, conflict):
    """ASCO/CAP 2018 bands of mean HER2 copies: <4.0, 4.0-<6.0, >=6.0. Two copy numbers of one sample in
    different bands conflict (HER2 unknown); in one band they agree (ratio 2.5: group 1, positive)."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("1+"), *_ish(2.5),
                *(obs("74860-8", valueQuantity={"value": c}) for c in copies)], CONFIG)
    assert (a.her2.status, a.her2.ish_group) == (("unknown", None) if conflict else ("positive", 1))


@pytest.mark.parametrize("ihc_result, ish, status", [
    (ihc("1+"), "needs-review", "unknown"),   # group 1 (positive) or group 2 (negative with IHC 0-2+): not told
    (ihc("2+"), "needs-review", "unknown"),
    (ihc("3+"), "amplified", "positive"),     # IHC 3+: positive in group 1 and in group 2
    (obs("85319-2", valueCodeableConcept=coded(LNC, "LA6576-8")), "amplified", "positive"),   # IHC "positive"
])
def test_ratio_2_0_or_more_without_copy_number(ihc_result, ish, status):
    """ASCO/CAP 2018: a ratio >=2.0 is group 1 (>=4 copies, positive) or group 2 (<4 copies, positive only with
    IHC 3+). Without the copy number, only an IHC 3+ (or positive) settles it."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc_result, *_ish(2.5)], CONFIG)
    assert (a.her2.ish, a.her2.status) == (ish, status)


@pytest.mark.parametrize("code", ["49683-6", "85318-4"])
def test_ratio_below_2_0_without_copy_number_next_to_ihc_2plus_is_flagged(code):
    """A ratio <2.0 is group 3, 4 or 5; with IHC 2+, group 3 (>=6 copies) is positive (ASCO/CAP 2018), so a ratio
    without the copy number must say it cannot exclude group 3, whichever LOINC code carried the ratio."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("2+"),
                obs(code, valueQuantity={"value": 1.5})], CONFIG)
    assert "ish-copies-missing" in notes_of(a)


def test_single_probe_4_to_6_copies_with_ihc_3plus_is_amplified():
    """ASCO/CAP 2018 single-probe ISH: 4-<6 HER2 signals per cell with a concurrent IHC 3+ is HER2-positive."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("3+"), *_ish(None, 5.0)], CONFIG)
    assert (a.her2.ish, a.her2.status) == ("amplified", "positive")


@pytest.mark.parametrize("equivocal_ish", [obs("85318-4", valueString="equivocal"),
                                           obs("49683-6", valueString="1.8-2.2")])
def test_equivocal_dual_probe_ish_is_not_reread_from_the_copy_number_alone(equivocal_ish):
    """A dual-probe ISH reported 'equivocal' or as the pre-2018 ratio band 1.8-2.2, with 5.0 HER2 copies and IHC
    2+, may be group 1 (positive) or group 4 (negative with IHC 2+): the copy number alone is not read as a
    single-probe result."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("2+"), equivocal_ish, *_ish(None, 5.0)],
               CONFIG)
    assert (a.her2.ish, a.her2.status) == ("equivocal", "equivocal")


@pytest.mark.parametrize("reference, used", [
    ("Patient/p1/_history/3", True),
    ("http://ehr.example/fhir/Patient/p1/_history/12", True),
    ("Patient/someone-else/_history/3", False),
])
def test_a_version_specific_reference_names_the_same_patient(reference, used):
    """'Patient/p1/_history/3' is a version of Patient/p1 (FHIR R4 references may name a version): the ER result is
    used; the same form naming another patient is still dropped and noted."""
    er = pct("85329-1", 90)
    er["subject"] = {"reference": reference}
    a = assess([patient(), er, pct("85325-9", 50), ihc("1+")], CONFIG)
    assert (a.er.evidence == [f"Observation/{er['id']}"]) is used
    assert (a.er.status == "positive") is used
    assert ("other-patient" in notes_of(a)) is (not used)


def test_ratio_2_0_or_more_alone_needs_the_ihc():
    """A ratio >=2.0 without copy number or IHC: group 1 (positive) and group 2 (needs the concurrent IHC) cannot
    be told apart (ASCO/CAP 2018), so the IHC is asked for."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), *_ish(2.5)], CONFIG)
    assert (a.her2.ish, a.her2.status) == ("needs-ihc", "unknown")


@pytest.mark.parametrize("ratio", [{"value": 1.5}, {"value": 1.8, "comparator": "<"}])
def test_ratio_below_2_0_without_copy_number_next_to_ihc_1plus_is_not_amplified(ratio):
    """A ratio <2.0 is group 3, 4 or 5, and with IHC 1+ each is HER2-negative (ASCO/CAP 2018): not amplified,
    and nothing to flag about the missing copy number."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("1+"), obs("49683-6", valueQuantity=ratio)],
               CONFIG)
    assert (a.her2.ish, a.her2.status) == ("not-amplified", "negative")
    assert "ish-copies-missing" not in notes_of(a)


def test_lab_call_not_amplified_beside_a_ratio_below_2_0_needs_no_copy_number_flag():
    """The laboratory's own ISH call 'not amplified' was made with the copy number it counted (a group 3 next to
    IHC 2+ would be called positive, ASCO/CAP 2018): the ratio <2.0 without copy number is not flagged then."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("2+"),
                obs("85318-4", valueString="not amplified"), *_ish(1.5)], CONFIG)
    assert (a.her2.ish, a.her2.status) == ("not-amplified", "negative")
    assert "ish-copies-missing" not in notes_of(a)


MII_HER2 = "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/mii-cs-onko-mamma-her2neu-status"


@pytest.mark.parametrize("order", [("low", "negativ"), ("negativ", "low")])
def test_two_overall_calls_stating_different_her2_expressions_leave_it_unsettled_in_any_order(order):
    """Same day, no specimen, no IHC score: 'HER2-low' and 'HER2 negative (0 without staining)' both say negative
    but disagree on the expression T-DXd eligibility rests on; input order must not pick one (found by the
    shuffle property: 'null' or 'low' by order). Status negative, expression unknown, a conflicting-results note."""
    calls = [obs("72383-3", valueCodeableConcept=coded(MII_HER2, code)) for code in order]
    for i, call in enumerate(calls):
        call["id"] = f"her2-call-{i}"
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), *calls], CONFIG)
    assert (a.her2.status, a.her2.expression) == ("negative", "unknown")
    assert "conflicting-results" in notes_of(a)


@pytest.mark.parametrize("code, expression", [("low", "low"), ("negativ", "null"), ("ultralow", "ultralow")])
def test_one_overall_call_gives_its_her2_expression(code, expression):
    """A single overall call with no IHC score gives the expression it states."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50),
                obs("72383-3", valueCodeableConcept=coded(MII_HER2, code))], CONFIG)
    assert (a.her2.status, a.her2.expression) == ("negative", expression)
    assert "conflicting-results" not in notes_of(a)


def test_er_negative_with_pr_unknown_is_not_classified():
    """HR status needs PR when ER is negative (ASCO/CAP 2020): ER 0 % with no PR result is neither hormone-receptor
    positive nor triple-negative, so the subtype stays indeterminate."""
    a = assess([patient(), pct("85329-1", 0), ihc("1+")], CONFIG)
    assert a.subtype == "indeterminate"
    assert any("hormone-receptor status cannot be settled" in r for r in a.subtype_reasons)


def test_her2_equivocal_by_interpretation_alone_is_not_classified():
    """An overall HER2 interpretation 'equivocal' with no IHC score or ISH (ASCO/CAP 2018: equivocal needs ISH or
    concurrent IHC) leaves the subtype indeterminate, even with ER and PR positive."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50),
                obs("48676-1", valueCodeableConcept=coded(LNC, "LA11885-3"))], CONFIG)
    assert (a.her2.status, a.subtype) == ("equivocal", "indeterminate")
    assert a.subtype_reasons


@pytest.mark.parametrize("provisional", ["er", "pr", "her2"])
def test_subtype_resting_on_any_one_provisional_result_says_so(provisional):
    """A preliminary ER, PR or HER2 result (FHIR status 'preliminary') is enough for the subtype to say it rests
    on a provisional result."""
    status = {k: ("preliminary" if k == provisional else "final") for k in ("er", "pr", "her2")}
    a = assess([patient(), pct("85329-1", 90, status=status["er"]), pct("85325-9", 50, status=status["pr"]),
                ihc("1+", status=status["her2"])], CONFIG)
    assert a.subtype == "HR+/HER2-"
    assert any("provisional" in r for r in a.subtype_reasons)


@pytest.mark.parametrize("pr, behaves_like_tnbc", [(0, True), (5, True), (50, False)])
def test_er_low_is_a_modifier_and_with_pr_negative_or_low_is_said_to_behave_like_tnbc(pr, behaves_like_tnbc):
    """ER 1-10 % is ER-low positive (ASCO/CAP 2020): HR+/HER2- with the ER-low modifier; with PR negative or low it
    behaves more like triple-negative disease, which the subtype says (not with PR positive)."""
    a = assess([patient(), pct("85329-1", 5), pct("85325-9", pr), ihc("1+")], CONFIG)
    assert (a.subtype, a.modifiers) == ("HR+/HER2-", ["ER-low"])
    assert any("triple-negative" in r for r in a.subtype_reasons) is behaves_like_tnbc


def _ish_call(answer):
    """The laboratory's qualitative ISH call (LOINC 85318-4, ERBB2 duplication by FISH): 'Positive' or 'Negative'."""
    return obs("85318-4", valueCodeableConcept=coded(LNC, {"amplified": "LA6576-8", "not-amplified": "LA6577-6"}[answer]))


@pytest.mark.parametrize("score, numbers, call", [
    ("2+", dict(ratio=1.5), "amplified"),          # ratio <2.0 without copies: group 3 (positive with 2+) possible
    ("1+", dict(copies=3.0), "amplified"),         # 3.0 signals/cell read as single probe: not amplified
    ("2+", dict(ratio=2.5, copies=6.5), "not-amplified"),   # group 1 by the numbers
])
def test_a_laboratory_ish_call_that_contradicts_its_numbers_is_never_silently_overruled(score, numbers, call):
    """When the lab's ISH call and the group its numbers give disagree, HER2 is left unresolved with a
    conflicting-results note and a reason, instead of the numbers silently deciding (found by mutation testing:
    a HER2-positive by the lab's call was read HER2-negative with no note)."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc(score), *_ish(**numbers), _ish_call(call)],
               CONFIG)
    assert (a.her2.status, a.her2.ish) == ("unknown", "needs-review")
    assert "conflicting-results" in notes_of(a)


@pytest.mark.parametrize("score, numbers, call, status", [
    ("2+", dict(ratio=1.5), "not-amplified", "negative"),
    ("2+", dict(ratio=2.5, copies=6.5), "amplified", "positive"),
    ("1+", dict(copies=3.0), "not-amplified", "negative"),
])
def test_a_laboratory_ish_call_that_agrees_with_its_numbers_raises_nothing(score, numbers, call, status):
    """The same readings with the lab's call agreeing: decided as before, no conflict."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc(score), *_ish(**numbers), _ish_call(call)],
               CONFIG)
    assert a.her2.status == status
    assert "conflicting-results" not in notes_of(a)


def _on(observation, sid):
    observation["specimen"] = {"reference": f"Specimen/{sid}"}
    return observation


def _breast_samples(*sids):
    return [specimen(sid, "76752008") for sid in sids]   # SNOMED CT 76752008: breast structure


def test_sample_whose_own_er_results_conflict_is_not_overridden_by_a_negative_elsewhere():
    """A sample whose own ER results disagree (0 % and 50 %) might be positive, and a positive on any
    pre-treatment sample governs (ASCO/CAP 2018/2020): a later negative sample does not settle ER, it stays
    unknown for pathology review."""
    a = assess([patient(), *_breast_samples("s1", "s2"), ihc("1+"),
                _on(pct("85329-1", 0, when="2026-08-01"), "s1"), _on(pct("85329-1", 50, when="2026-08-01"), "s1"),
                _on(pct("85329-1", 0, when="2026-09-01"), "s2")], CONFIG)
    assert a.er.status == "unknown"
    assert "conflicting-results" in notes_of(a)


def test_positive_sample_governs_and_the_negative_and_unresolved_samples_are_told_apart():
    """Pre-treatment samples ER 50 %, ER 0 % and ER equivocal: the positive governs (ASCO/CAP: positive on any
    sample); the negative sample is shown as overruled, the equivocal one is not (it states no status)."""
    er_pos, er_neg = _on(pct("85329-1", 50, when="2026-08-01"), "s1"), _on(pct("85329-1", 0, when="2026-09-01"), "s2")
    er_eq = _on(obs("85337-4", when="2026-09-02", valueCodeableConcept=coded(LNC, "LA11885-3")), "s3")
    a = assess([patient(), *_breast_samples("s1", "s2", "s3"), ihc("1+"), er_pos, er_neg, er_eq], CONFIG)
    assert a.er.status == "positive"
    assert a.er.evidence == [f"Observation/{er_pos['id']}"]
    assert a.er.overruled == [f"Observation/{er_neg['id']}"]
    assert a.er.positive_elsewhere == []


def test_two_positive_samples_name_no_positive_elsewhere():
    """Two pre-treatment samples both ER positive (50 % and 30 %): the call is positive, nothing is overruled and
    no sample is 'positive elsewhere' (that list is for positives beside a call that is not positive)."""
    a = assess([patient(), *_breast_samples("s1", "s2"), ihc("1+"),
                _on(pct("85329-1", 50, when="2026-08-01"), "s1"), _on(pct("85329-1", 30, when="2026-09-01"), "s2")],
               CONFIG)
    assert (a.er.status, a.er.overruled, a.er.positive_elsewhere) == ("positive", [], [])


def test_newer_preliminary_positive_is_not_counted_as_a_positive_sample():
    """Final results are used; a preliminary one only when nothing final exists (FHIR status 'preliminary'): a
    final ER 0 % stands, a newer preliminary ER 50 % is announced as such, not as a positive sample or an
    overruled one."""
    a = assess([patient(), *_breast_samples("s1", "s2"), ihc("1+"),
                _on(pct("85329-1", 0, when="2026-08-01"), "s1"),
                _on(pct("85329-1", 50, when="2026-09-01", status="preliminary"), "s2")], CONFIG)
    assert (a.er.status, a.er.overruled, a.er.positive_elsewhere) == ("negative", [], [])
    assert "newer-provisional-differs" in notes_of(a)


def test_lab_call_amplified_beside_a_ratio_below_2_0_is_a_conflict_not_a_missing_copy_number():
    """The laboratory's ISH call 'amplified' beside a ratio <2.0 without copy number and IHC 2+ (group 3 with
    IHC 2+ is positive, ASCO/CAP 2018): ISH is left for review with a conflict note, and nothing is read as
    'not amplified, copy number missing'."""
    a = assess([patient(), pct("85329-1", 90), pct("85325-9", 50), ihc("2+"),
                obs("85318-4", valueString="amplified"), *_ish(1.5)], CONFIG)
    assert (a.her2.status, a.her2.ish) == ("unknown", "needs-review")
    assert "conflicting-results" in notes_of(a) and "ish-copies-missing" not in notes_of(a)


@pytest.mark.parametrize("second_day, status", [("2026-09-01", "equivocal"), ("2026-09-10", "negative")])
def test_her2_2plus_sample_is_settled_only_by_a_later_sample(second_day, status):
    """IHC 2+ without ISH is equivocal (ASCO/CAP 2018); an equivocal result is re-tested on the same or a new
    specimen, so a 1+ on another sample taken later settles HER2 as negative, while a 1+ on another sample of
    the same day does not (both are the first look at the tumour)."""
    a = assess([patient(), *_breast_samples("s1", "s2"), pct("85329-1", 90), pct("85325-9", 50),
                _on(ihc("2+", when="2026-09-01"), "s1"), _on(ihc("1+", when=second_day), "s2")], CONFIG)
    assert a.her2.status == status


@pytest.mark.parametrize("measured_first", [True, False])
def test_a_measured_er_low_is_not_overruled_by_a_bare_positive_on_another_sample(measured_first):
    """Pre-treatment samples ER 5 % and ER "positive" without a percent: "positive" covers 1-100 % and cannot
    overrule a measured ER-low (evidence precedence: percent over qualitative IHC, ASCO/CAP 2020). ER stays
    ER-low, with its modifier and, PR being negative, the 'behaves like triple-negative' reason, whichever
    sample is newer."""
    days = ("2026-08-01", "2026-09-01") if measured_first else ("2026-09-01", "2026-08-01")
    low = _on(pct("85329-1", 5, when=days[0]), "s1")
    bare = _on(obs("85337-4", when=days[1], valueCodeableConcept=coded(LNC, "LA6576-8")), "s2")
    a = assess([patient(), *_breast_samples("s1", "s2"), ihc("1+"), pct("85325-9", 0), low, bare], CONFIG)
    assert (a.er.status, a.er.percent) == ("low-positive", 5)
    assert a.er.evidence == [f"Observation/{low['id']}"]
    assert (a.subtype, a.modifiers) == ("HR+/HER2-", ["ER-low"])
    assert any("triple-negative" in r for r in a.subtype_reasons)


def test_a_measured_er_above_10_percent_still_outranks_a_measured_er_low():
    """Two measured pre-treatment samples, ER 5 % and ER 11 %: the stronger category governs (ER-low is 1-10 %,
    the band declared in the thresholds), whichever is newer."""
    low = _on(pct("85329-1", 5, when="2026-09-01"), "s1")
    high = _on(pct("85329-1", 11, when="2026-08-01"), "s2")
    a = assess([patient(), *_breast_samples("s1", "s2"), ihc("1+"), pct("85325-9", 0), low, high], CONFIG)
    assert (a.er.status, a.er.percent) == ("positive", 11)


@pytest.mark.parametrize("preliminary_first", [True, False])
def test_a_final_result_leads_its_sample_whatever_the_input_order(preliminary_first):
    """ER 0 % final and ER 0 % preliminary on one specimen, ER '>10%' preliminary on unnamed tissue the same day:
    the final result leads its sample, so the sample is final and governs (b.1: a preliminary result is never the
    sole basis while a final one exists). The preliminary copy listed first once made the sample preliminary, and
    the other preliminary sample's positive then governed: input order decided ER (found by the order property)."""
    final = _on(pct("85329-1", 0, when="2024-01-01"), "s1")
    prelim = _on(pct("85329-1", 0, when="2024-01-01", status="preliminary"), "s1")
    other = obs("85329-1", when="2024-01-01", status="preliminary", valueString=">10%")
    pair = [prelim, final] if preliminary_first else [final, prelim]
    a = assess([patient(), *_breast_samples("s1", "s2"), ihc("1+"), pct("85325-9", 0), *pair, other], CONFIG)
    assert a.er.status == "negative"
    assert sorted(a.er.evidence) == sorted([f"Observation/{final['id']}", f"Observation/{prelim['id']}"])
