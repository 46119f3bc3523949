"""The receptor reader inside ``assess()``: which Observations (and components, panels) become receptor results,
and the data-quality notes each refused shape leaves.

Sources: FHIR R4 Observation (status value set: final/amended/corrected are complete results, registered/
preliminary are not final; component; hasMember for panels; DiagnosticReport.result), a CodeableConcept's codings
are translations of one concept (the first recognised one is read); LOINC 85337-4 ER [Presence], 85339-0 PR
[Presence], 85329-1 ER % nuclei, 85319-2 HER2 by IHC, 85318-4 HER2 by FISH, 74885-5 HER2 FISH panel, serum HER2
(32996-1) is not a tumour status; ASCO/CAP 2020: ER/PR status comes from the % of stained nuclei, never from an
Allred total (clinical-knowledge b.2).
"""
from __future__ import annotations

import pytest

from cds_hooks.decision import assess
from cds_hooks.knowledge import codes

from test_readers_assess import CONFIG, coded, ihc, obs, patient, pct  # same directory

LNC, SCT = codes.LNC, codes.SCT
POS, NEG = coded(LNC, "LA6576-8"), coded(LNC, "LA6577-6")


def notes(a, code=None):
    return [(n.code, n.resource) for n in a.data_quality if code is None or n.code == code]


def analytes(a):
    return sorted(r.analyte for r in a.history)


# ---- which code is read -----------------------------------------------------------------------------------

def test_first_recognised_coding_decides_the_analyte():
    """Codings are translations of one concept: an unknown local code, then ER [Presence], then PR [Presence]
    (a contradictory translation) is read as ER only."""
    o = obs("85337-4", valueCodeableConcept=POS)
    o["code"]["coding"] = [{"system": "http://lab.local", "code": "ER"}, {"system": LNC, "code": "85337-4"},
                           {"system": LNC, "code": "85339-0"}]
    a = assess([patient(), o], CONFIG)
    assert analytes(a) == ["ER"] and a.er.status == "positive" and a.pr.status == "unknown"


def test_code_invalid_for_its_system_is_noted_and_not_read():
    o = obs("10828004", valueCodeableConcept=POS)          # a SNOMED id under LOINC
    a = assess([patient(), o], CONFIG)
    assert a.history == []
    assert ("invalid-code-for-system", f"Observation/{o['id']}") in notes(a)


def test_known_wrong_system_code_is_named():
    """Synthea's SNOMED 'HR positive' id under LOINC is named in the note, and a valid code beside it is read."""
    o = obs("417181009", valueCodeableConcept=POS)
    o["code"]["coding"].append({"system": LNC, "code": "85337-4"})
    a = assess([patient(), o], CONFIG)
    [note] = [n for n in a.data_quality if n.code == "invalid-code-for-system"]
    assert note.resource == f"Observation/{o['id']}" and "Synthea" in note.message
    assert analytes(a) == ["ER"]


@pytest.mark.parametrize("display, noted", [
    ("Progesterone receptor Ag [Presence] in Breast cancer specimen by Immune stain", True),
    ("Estrogen receptor Ag [Presence] in Breast cancer specimen by Immune stain", False),
    ("ER status", False), (None, False),
])
def test_display_naming_another_loinc_code_is_noted_and_the_code_used(display, noted):
    o = obs("85337-4", valueCodeableConcept=POS)
    if display:
        o["code"]["coding"][0]["display"] = display
    a = assess([patient(), o], CONFIG)
    assert analytes(a) == ["ER"]
    assert (("display-code-mismatch", f"Observation/{o['id']}") in notes(a)) is noted


def test_display_mismatch_is_only_checked_for_loinc():
    o = obs("85337-4", valueCodeableConcept=POS)
    o["code"]["coding"] = [{"system": "http://lab.local", "code": "x",
                            "display": "Progesterone receptor Ag [Presence] in Breast cancer specimen by Immune stain"},
                           {"system": LNC, "code": "85337-4"}]
    assert notes(assess([patient(), o], CONFIG), "display-code-mismatch") == []


# ---- statuses --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, provisional, note", [
    ("final", False, None), ("amended", False, None), ("corrected", False, None),
    ("preliminary", True, "provisional-result"), ("registered", True, "provisional-result"),
    ("unknown", True, "unexpected-status"),
])
def test_result_status(status, provisional, note):
    """Complete results (final/amended/corrected) are used as such; registered/preliminary are provisional; any
    other status is treated as provisional and said."""
    o = pct("85329-1", 80, status=status)
    a = assess([patient(), o], CONFIG)
    [result] = a.history
    assert (result.fhir_status, result.provisional) == (status, provisional)
    status_notes = [c for c, r in notes(a) if c in ("provisional-result", "unexpected-status")]
    assert status_notes == ([note] if note else [])


def test_status_note_only_for_observations_that_give_a_result():
    """A preliminary Observation nobody reads (a vital sign) leaves no status note."""
    a = assess([patient(), obs("8867-4", status="preliminary", valueQuantity={"value": 70})], CONFIG)
    assert notes(a, "provisional-result") == [] and a.history == []


# ---- codes that are recognised but carry no tumour status -----------------------------------------------------

@pytest.mark.parametrize("code, system, note", [
    ("32996-1", LNC, "serum-her2-ignored"), ("42914-2", LNC, "serum-her2-ignored"),
    ("21924-6", LNC, "generic-tumor-marker"),
    ("433114000", SCT, "procedure-code-as-result"), ("434363004", SCT, "procedure-code-as-result"),
    ("85328-3", LNC, "unverified-code"),
])
def test_recognised_codes_without_a_tumour_status_are_noted_not_read(code, system, note):
    """Serum HER2, the generic tumour marker, a test-procedure code and an unverified code never give a status,
    even with a positive value or receptor components beside them."""
    o = obs(code, system=system, valueCodeableConcept=POS,
            component=[{"code": coded(LNC, "85337-4"), "valueCodeableConcept": POS}])
    a = assess([patient(), o], CONFIG)
    assert a.history == [] and a.her2.status == "unknown" and a.er.status == "unknown"
    assert notes(a, note) == [(note, f"Observation/{o['id']}")]


def test_non_receptor_codes_are_left_to_the_context_readers():
    """A staging or genomic Observation gives no receptor result and no receptor note."""
    a = assess([patient(), obs("21908-9", valueCodeableConcept=coded(SCT, "1222806003"))], CONFIG)
    assert a.history == [] and notes(a, "unexpected-status") == []


# ---- components (MII style) ------------------------------------------------------------------------------

def test_components_with_receptor_codes_become_results_of_their_own():
    o = obs("99999-9", system="http://lab.local", component=[
        {"code": coded(LNC, "85337-4"), "valueCodeableConcept": POS},
        {"code": coded(LNC, "8867-4"), "valueQuantity": {"value": 70}},
        {"code": coded(LNC, "85339-0"), "valueCodeableConcept": NEG},
        {"code": coded(LNC, "85328-3"), "valueCodeableConcept": POS},      # unverified HER2 code: skipped
    ])
    a = assess([patient(), o], CONFIG)
    ref = f"Observation/{o['id']}"
    assert sorted((r.analyte, r.resource) for r in a.history) == [("ER", f"{ref}#component-0"), ("PR", f"{ref}#component-2")]
    assert (a.er.status, a.pr.status) == ("positive", "negative")


def test_a_component_code_invalid_for_its_system_is_noted_and_the_other_components_read():
    """A SNOMED id under LOINC in a component cannot be a valid code: the note names the component, and the
    component beside it with a valid ER [Presence] code is still read."""
    o = obs("99999-9", system="http://lab.local", component=[
        {"code": coded(LNC, "10828004"), "valueCodeableConcept": POS},
        {"code": coded(LNC, "85337-4"), "valueCodeableConcept": POS},
    ])
    a = assess([patient(), o], CONFIG)
    ref = f"Observation/{o['id']}"
    [note] = [n for n in a.data_quality if n.code == "invalid-code-for-system"]
    assert note.resource == ref and "component 0" in note.message and "10828004" in note.message
    assert [(r.analyte, r.resource) for r in a.history] == [("ER", f"{ref}#component-1")]


def test_status_applies_to_components():
    o = obs("99999-9", system="http://lab.local", status="preliminary",
            component=[{"code": coded(LNC, "85337-4"), "valueCodeableConcept": POS}])
    a = assess([patient(), o], CONFIG)
    assert [r.provisional for r in a.history] == [True]
    assert notes(a, "provisional-result") == [("provisional-result", f"Observation/{o['id']}")]


def test_observation_and_its_component_both_count():
    o = pct("85329-1", 80, component=[{"code": coded(LNC, "85339-0"), "valueCodeableConcept": POS}])
    assert analytes(assess([patient(), o], CONFIG)) == ["ER", "PR"]


def test_value_problems_are_noted_on_the_observation():
    o = obs("85319-2", valueString="see report")
    a = assess([patient(), o], CONFIG)
    assert ("unparseable-value", f"Observation/{o['id']}") in notes(a)
    c = obs("99999-9", system="http://lab.local", component=[{"code": coded(LNC, "85319-2"), "valueString": "??"}])
    a = assess([patient(), c], CONFIG)
    [note] = [n for n in a.data_quality if n.code == "unparseable-value"]
    assert note.resource == f"Observation/{c['id']}" and "#component-0" in note.message


# ---- Allred / IRS totals ---------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["code", "component"])
def test_allred_total_is_noted_never_read(where):
    allred = {"coding": [{"system": "http://lab.local", "code": "allred-score"}]}
    if where == "code":
        o = obs("x", system="http://lab.local", valueInteger=7)
        o["code"] = allred
    else:
        o = pct("85329-1", 5, component=[{"code": allred, "valueInteger": 7},
                                          {"code": {"coding": [{"system": "http://lab.local", "code": "irs-score"}]},
                                           "valueInteger": 9}])
    a = assess([patient(), o], CONFIG)
    assert notes(a, "allred-score-not-used") == [("allred-score-not-used", f"Observation/{o['id']}")]
    assert a.er.status == ("low-positive" if where == "component" else "unknown")


# ---- panels and reports ----------------------------------------------------------------------------------

def specimen(sid, site="76752008"):
    return {"resourceType": "Specimen", "id": sid, "collection": {"bodySite": coded(SCT, site),
                                                                  "collectedDateTime": "2026-08-01"}}


def test_ish_panel_members_inherit_specimen_and_date():
    member = {"resourceType": "Observation", "id": "m1", "status": "final", "code": coded(LNC, "85318-4"),
              "valueCodeableConcept": POS}
    panel = obs("74885-5", when="2026-08-02", specimen={"reference": "Specimen/s1"},
                hasMember=[{"reference": "Observation/m1"}, {"reference": "Observation/gone"}])
    a = assess([patient(), specimen("s1"), panel, member], CONFIG)
    [result] = [r for r in a.history if r.resource == "Observation/m1"]
    assert result.effective == "2026-08-02" and result.specimen_ref == "Specimen/s1"
    assert notes(a, "unresolved-reference") == [("unresolved-reference", f"Observation/{panel['id']}")]


def test_member_keeps_its_own_specimen_and_date():
    member = {"resourceType": "Observation", "id": "m1", "status": "final", "code": coded(LNC, "85318-4"),
              "valueCodeableConcept": POS, "effectiveDateTime": "2026-07-01", "specimen": {"reference": "Specimen/s2"}}
    panel = obs("74885-5", when="2026-08-02", specimen={"reference": "Specimen/s1"},
                hasMember=[{"reference": "Observation/m1"}])
    a = assess([patient(), specimen("s1"), specimen("s2"), panel, member], CONFIG)
    [result] = [r for r in a.history if r.resource == "Observation/m1"]
    assert result.effective == "2026-07-01" and result.specimen_ref == "Specimen/s2"


def test_report_results_inherit_the_report_specimen_and_date():
    """DiagnosticReport.result groups results like a panel (b.1): its first specimen and date are inherited; a
    missing result of a report is not a panel problem."""
    member = {"resourceType": "Observation", "id": "m1", "status": "final", "code": coded(LNC, "85337-4"),
              "valueCodeableConcept": POS}
    report = {"resourceType": "DiagnosticReport", "id": "r1", "status": "final", "code": coded(LNC, "22637-3"),
              "effectiveDateTime": "2026-08-03", "specimen": [{"reference": "Specimen/s1"}],
              "result": [{"reference": "Observation/m1"}, {"reference": "Observation/gone"}]}
    a = assess([patient(), specimen("s1"), report, member], CONFIG)
    [result] = a.history
    assert result.effective == "2026-08-03" and result.specimen_ref == "Specimen/s1"
    assert notes(a, "unresolved-reference") == []


def test_dropped_member_is_not_called_unresolved():
    member = {"resourceType": "Observation", "id": "m1", "status": "entered-in-error", "code": coded(LNC, "85318-4"),
              "valueCodeableConcept": POS}
    panel = obs("74885-5", hasMember=[{"reference": "Observation/m1"}])
    a = assess([patient(), panel, member], CONFIG)
    assert notes(a, "unresolved-reference") == [] and a.history == []


# ---- receptor status from Conditions -------------------------------------------------------------------------

def cond(cid, system, code, onset):
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p1"},
            "code": coded(system, code), "onsetDateTime": onset}


def test_snomed_condition_outranks_icd_z17_and_newest_first_within_each():
    """b.2 precedence: SNOMED receptor disorders before ICD-10-CM Z17 codes; the newest first within each."""
    ICD = codes.ICD10CM
    a = assess([patient(),
                cond("z-new", ICD, "Z17.1", "2026-05-01"),              # ER negative, ICD, newest of all
                cond("s-old", SCT, "416053008", "2020-01-01"),           # ER positive tumour, SNOMED, older
                cond("s-new", SCT, "441117001", "2024-01-01")], CONFIG)  # ER negative neoplasm, SNOMED, newer
    assert a.er.status == "negative" and a.er.evidence[:1] == ["Condition/s-new"]


# ---- assess(): what the outer step adds --------------------------------------------------------------------

def test_hr_from_a_condition_when_no_result_says_it():
    """With no ER/PR result, an 'HR positive breast cancer' Condition (SNOMED 417181009) still gives HR status."""
    a = assess([patient(), cond("c1", SCT, "417181009", "2026-01-01")], CONFIG)
    assert a.hr == "positive" and a.er.status == "unknown"


def test_result_outranks_the_hr_condition():
    a = assess([patient(), cond("c1", SCT, "417181009", "2026-01-01"), pct("85329-1", 0), pct("85325-9", 0)], CONFIG)
    assert a.hr == "negative"


def test_combined_er_pr_result_is_said_to_be_the_only_basis():
    """LOINC 10480-2 (ER+PR combined): HR status rests on it, ER is not inferred from it, and that is said."""
    o = obs("10480-2", valueCodeableConcept=POS)
    a = assess([patient(), o], CONFIG)
    assert a.hr == "positive" and a.er.status == "unknown"
    assert notes(a, "combined-hr-only") == [("combined-hr-only", f"Observation/{o['id']}")]


def test_combined_note_absent_when_er_is_measured():
    a = assess([patient(), obs("10480-2", valueCodeableConcept=POS), pct("85329-1", 80)], CONFIG)
    assert notes(a, "combined-hr-only") == []


def test_male_breast_cancer_code_gives_sex_when_gender_is_missing():
    """ICD-10-CM C50.x2x is a male breast (5th character 2): the patient is male even without Patient.gender."""
    p = patient()
    del p["gender"]
    a = assess([p, cond("c1", codes.ICD10CM, "C50.921", "2026-01-01")], CONFIG)
    assert a.sex == "male"
    assert assess([p], CONFIG).sex is None


def test_a_resource_sent_twice_leaves_its_notes_once():
    """Overlapping searches repeat a resource: it is read once, so its problem is listed once."""
    o = obs("85319-2", valueString="see report")
    a = assess([patient(), o, {**o}], CONFIG)
    assert len(notes(a, "unparseable-value")) == 1


@pytest.mark.parametrize("value, noted", [
    ({"valueString": "2.4"}, True), ({"valueString": "less than 1.8"}, True),
    ({"valueString": "Amplified"}, False), ({"valueQuantity": {"value": 2.4}}, False),
])
def test_ish_ratio_sent_as_text_is_said(value, noted):
    """A HER2 ISH ratio sent as a string (Synthea's 85318-4 valueString) is read, and the shape is noted."""
    o = obs("85318-4", **value)
    a = assess([patient(), o], CONFIG)
    assert [r.analyte for r in a.history] == ["HER2-ISH"]
    assert (("value-as-string", f"Observation/{o['id']}") in notes(a)) is noted
