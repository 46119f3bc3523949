"""Reading the tumour facts (cds_hooks.decision.tumour.read_tumour): every code, value form, limit and choice.

Codes as the module documents them (mCODE STU4 and LOINC): tumour size 21889-1 with the longest dimension in
component 33728-7; T category LOINC 21905-5 (clinical) / 21899-0 (pathologic), SNOMED 399504009; N category LOINC
21906-3 / 21900-6, SNOMED 399534004; positive regional nodes 21893-3; histologic grade 33732-9 (Nottingham grade
1-3); Ki-67 from the receptor readers; the 21-gene recurrence score as the mCODE example records it (NCBI GTR 509910,
a score from 0 to 100). AJCC 8th T values: Tis, T0, T1mi, T1a-c, T1, T2, T3, T4, T4a-d (TX is "cannot be assessed");
N values N0-N3 (NX likewise). The newest dated value of each fact is used; values measured after neoadjuvant therapy
(ypT/ypN) describe the response, not the tumour the adjuvant decision rests on.
"""
from __future__ import annotations

import pytest

from cds_hooks.decision.intake import take_in
from cds_hooks.decision.model import EpisodeFinding, ReceptorResult, TreatmentWindow
from cds_hooks.decision.tumour import read_tumour

LNC, SCT = "http://loinc.org", "http://snomed.info/sct"
GTR = "http://www.ncbi.nlm.nih.gov/gtr"
SIZE, LONGEST = (LNC, "21889-1"), (LNC, "33728-7")
AFTER_NEOADJUVANT = EpisodeFinding(current="early", diagnosis="2026-01-10", first_systemic_therapy="2026-02-01",
                                   surgery="2026-07-01", neoadjuvant=TreatmentWindow("2026-02-01", "2026-07-01", []))


def obs(oid, code, when="2026-06-10", **value):
    system, value_code = code
    resource = {"resourceType": "Observation", "id": oid, "status": "final", "subject": {"reference": "Patient/p"},
                "code": {"coding": [{"system": system, "code": value_code}]}, **value}
    if when:
        resource["effectiveDateTime"] = when
    return resource


def read(*resources, results=(), episode=None, birth="1970-03-01", notes=None):
    patient = [{"resourceType": "Patient", "id": "p", "birthDate": birth}] if birth else []
    return read_tumour(take_in([*patient, *resources]), list(results),
                       episode or EpisodeFinding(diagnosis="2026-06-01"), notes if notes is not None else [])


def qty(value, unit="mm", key="code"):
    return {"valueQuantity": {"value": value, key: unit}}


# ---- size -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("quantity, mm", [
    ({"value": 14, "code": "mm"}, 14.0), ({"value": 0, "code": "mm"}, 0.0),
    ({"value": 2.5, "code": "cm"}, 25.0), ({"value": 1.23456, "code": "cm"}, 12.346),   # cm to mm, 3 decimals
    ({"value": 2, "code": "CM"}, 20.0), ({"value": 7, "unit": " mm "}, 7.0),             # case and spaces
    ({"value": 2, "code": "cm", "unit": "mm"}, 20.0),                                     # the UCUM code first
    ({"value": 3, "code": "[in_i]"}, None), ({"value": 3}, None), ({"value": -1, "code": "mm"}, None),
    ({"value": "twelve", "code": "mm"}, None), ({"code": "mm"}, None),
])
def test_size_value_and_unit(quantity, mm):
    assert read(obs("s", SIZE, valueQuantity=quantity)).size_mm == mm


def test_size_without_a_usable_value_is_a_data_quality_note():
    notes = []
    finding = read(obs("s", SIZE, valueQuantity={"value": 3, "code": "[in_i]"}), notes=notes)
    assert finding.size_mm is None and finding.evidence == []
    assert [(n.code, n.resource) for n in notes] == [("unparseable-value", "Observation/s")]
    notes = []
    read(obs("s", SIZE, valueString="2 cm"), notes=notes)
    assert [n.code for n in notes] == ["unparseable-value"]
    notes = []
    read(obs("s", SIZE, **qty(12)), notes=notes)
    assert notes == []


def component(code, quantity):
    return {"code": {"coding": [{"system": code[0], "code": code[1]}]}, "valueQuantity": quantity}


def test_longest_dimension_component_outranks_the_value():
    size = obs("s", SIZE, valueQuantity={"value": 9, "code": "mm"},
               component=[component((LNC, "8480-6"), {"value": 40, "code": "mm"}),     # another component: ignored
                          component(LONGEST, {"value": 3.1, "code": "cm"})])
    assert read(size).size_mm == 31.0


def test_unusable_longest_dimension_keeps_the_value():
    size = obs("s", SIZE, valueQuantity={"value": 9, "code": "mm"},
               component=[component(LONGEST, {"value": 3, "code": "[in_i]"})])
    assert read(size).size_mm == 9.0


def test_component_only_size():
    assert read(obs("s", SIZE, component=[component(LONGEST, {"value": 22, "code": "mm"})])).size_mm == 22.0


# ---- T and N categories ------------------------------------------------------------------------------------------

T_CODES = {"1228882005": "T0", "1228884006": "Tis", "1228889001": "T1", "1228891009": "T1mi", "1228892002": "T1a",
           "1228895000": "T1b", "1228899006": "T1c", "1228929004": "T2", "1228938002": "T3", "1228944003": "T4"}
N_CODES = {"1229967007": "N0", "1229973008": "N1", "1229978004": "N2", "1229984001": "N3"}


@pytest.mark.parametrize("code", [(LNC, "21905-5"), (LNC, "21899-0"), (SCT, "399504009")])
@pytest.mark.parametrize("value, category", sorted(T_CODES.items()))
def test_t_category_from_ajcc_snomed_values(code, value, category):
    found = read(obs("t", code, valueCodeableConcept={"coding": [{"system": SCT, "code": value}]}))
    assert found.t_category == category and found.evidence == ["Observation/t"]


@pytest.mark.parametrize("code", [(LNC, "21906-3"), (LNC, "21900-6"), (SCT, "399534004")])
@pytest.mark.parametrize("value, category", sorted(N_CODES.items()))
def test_n_category_from_ajcc_snomed_values(code, value, category):
    found = read(obs("n", code, valueCodeableConcept={"coding": [{"system": SCT, "code": value}]}))
    assert found.n_category == category and found.node_positive is (category != "N0")


@pytest.mark.parametrize("text, category", [
    ("T0", "T0"), ("Tis", "Tis"), ("pTis", "Tis"), ("cT1mi", "T1mi"), ("T1a", "T1a"), ("pT1b", "T1b"),
    ("T1c", "T1c"), ("T1", "T1"), ("pt2", "T2"), ("ypT3", "T3"), ("ycT2", "T2"), ("T4", "T4"), ("cT4a", "T4a"),
    ("T4b", "T4b"), ("T4c", "T4c"), ("pT4d", "T4d"), ("  T2 (AJCC 8)", "T2"),
    ("TX", None), ("T5", None), ("T4e", None), ("N1", None), ("stage II", None), ("", None),
])
def test_t_category_from_text(text, category):
    assert read(obs("t", (LNC, "21899-0"), valueCodeableConcept={"text": text})).t_category == category


@pytest.mark.parametrize("text, category", [
    ("N0", "N0"), ("pN1a", "N1"), ("cN2", "N2"), ("ypN3c", "N3"), ("pn1", "N1"),
    ("NX", None), ("N4", None), ("T2", None), ("node positive", None),
])
def test_n_category_from_text(text, category):
    assert read(obs("n", (LNC, "21900-6"), valueCodeableConcept={"text": text})).n_category == category


def test_category_text_in_a_coding_code_or_display():
    as_code = {"coding": [{"system": "http://example.org/ajcc", "code": "pT2"}]}
    as_display = {"coding": [{"system": "http://example.org/ajcc", "code": "x", "display": "pN2a"}]}
    assert read(obs("t", (LNC, "21899-0"), valueCodeableConcept=as_code)).t_category == "T2"
    assert read(obs("n", (LNC, "21900-6"), valueCodeableConcept=as_display)).n_category == "N2"


def test_an_n_value_code_is_not_read_as_a_t_category():
    """The coded value must be of the observed kind: an AJCC N code under a T observation is not a T category."""
    wrong = {"coding": [{"system": SCT, "code": "1229973008"}], "text": "T3"}
    assert read(obs("t", (LNC, "21899-0"), valueCodeableConcept=wrong)).t_category == "T3"
    assert read(obs("t", (LNC, "21899-0"), valueCodeableConcept={"coding": [{"system": SCT, "code": "1229973008"}]})
                ).t_category is None
    t_code = {"coding": [{"system": SCT, "code": "1228929004"}]}
    assert read(obs("n", (LNC, "21900-6"), valueCodeableConcept=t_code)).n_category is None


def test_snomed_value_code_in_another_system_is_not_read():
    other = {"coding": [{"system": LNC, "code": "1228929004"}]}
    assert read(obs("t", (LNC, "21899-0"), valueCodeableConcept=other)).t_category is None


# ---- nodes, grade, recurrence score -----------------------------------------------------------------------------

@pytest.mark.parametrize("value, count, positive", [
    ({"valueInteger": 0}, 0, False), ({"valueInteger": 1}, 1, True), ({"valueInteger": 12}, 12, True),
    ({"valueQuantity": {"value": 3}}, 3, True), ({"valueQuantity": {"value": 2.0, "unit": "{#}"}}, 2, True),
    ({"valueInteger": -1}, None, None), ({"valueQuantity": {"value": -2}}, None, None),
    ({"valueString": "3"}, None, None), ({"valueQuantity": "3"}, None, None),
])
def test_positive_node_count(value, count, positive):
    found = read(obs("n", (LNC, "21893-3"), **value))
    assert found.positive_nodes == count and found.node_positive is positive


def test_node_count_outranks_the_n_category():
    found = read(obs("c", (LNC, "21893-3"), valueInteger=0),
                 obs("n", (LNC, "21900-6"), valueCodeableConcept={"text": "pN1"}))
    assert found.positive_nodes == 0 and found.n_category == "N1" and found.node_positive is False


@pytest.mark.parametrize("value, grade", [
    ({"valueCodeableConcept": {"text": "1"}}, 1), ({"valueCodeableConcept": {"text": "G2"}}, 2),
    ({"valueCodeableConcept": {"text": "grade 3"}}, 3), ({"valueCodeableConcept": {"text": "Grade III"}}, 3),
    ({"valueCodeableConcept": {"text": "grade i"}}, 1), ({"valueCodeableConcept": {"text": " g2 "}}, 2),
    ({"valueCodeableConcept": {"coding": [{"code": "x", "display": "II"}]}}, 2),
    ({"valueString": "Grade 2"}, 2), ({"valueInteger": 3}, 3),
    ({"valueInteger": 4}, None), ({"valueInteger": 0}, None), ({"valueString": "grade IV"}, None),
    ({"valueCodeableConcept": {"text": "grade 2-3"}}, None), ({"valueString": "high"}, None), ({}, None),
])
def test_histologic_grade(value, grade):
    assert read(obs("g", (LNC, "33732-9"), **value)).grade == grade


@pytest.mark.parametrize("value, score", [
    ({"value": 0}, 0.0), ({"value": 25}, 25.0), ({"value": 26.0}, 26.0), ({"value": 100}, 100.0),
    ({"value": 101}, None), ({"value": -1}, None), ({}, None),
])
def test_recurrence_score_from_gtr_509910(value, score):
    found = read(obs("rs", (GTR, "509910"), valueQuantity=value))
    assert found.recurrence_score == score
    assert found.evidence == (["Observation/rs"] if score is not None else [])


def test_recurrence_score_not_a_quantity_or_another_code_is_not_read():
    assert read(obs("rs", (GTR, "509910"), valueInteger=18)).recurrence_score is None
    assert read(obs("rs", (LNC, "509910"), valueQuantity={"value": 18})).recurrence_score is None


# ---- newest value, evidence, neoadjuvant window, Ki-67, age ----------------------------------------------------

def test_the_newest_dated_value_wins_whatever_the_order():
    old = obs("s1", SIZE, when="2026-05-01", **qty(30))
    new = obs("s2", SIZE, when="2026-05-20T10:00:00Z", **qty(18))
    undated = obs("s3", SIZE, when=None, **qty(45))
    for order in ([old, new, undated], [undated, new, old], [new, old, undated]):
        found = read(*order)
        assert found.size_mm == 18.0 and found.evidence == ["Observation/s2"]


def test_an_undated_value_is_used_when_it_is_the_only_one():
    assert read(obs("s", SIZE, when=None, **qty(12))).size_mm == 12.0


def test_evidence_lists_each_resource_used_once():
    panel = obs("t", (LNC, "21899-0"), valueCodeableConcept={"text": "pT2"})
    found = read(obs("s", SIZE, **qty(25)), panel, obs("g", (LNC, "33732-9"), valueInteger=2),
                 obs("old", SIZE, when="2025-01-01", **qty(9)))
    assert sorted(found.evidence) == ["Observation/g", "Observation/s", "Observation/t"]


@pytest.mark.parametrize("code, value, attribute", [
    (SIZE, qty(4), "size_mm"), ((LNC, "21899-0"), {"valueCodeableConcept": {"text": "ypT1a"}}, "t_category"),
    ((LNC, "21900-6"), {"valueCodeableConcept": {"text": "ypN0"}}, "n_category"),
    ((LNC, "21893-3"), {"valueInteger": 0}, "positive_nodes"), ((LNC, "33732-9"), {"valueInteger": 1}, "grade"),
    ((GTR, "509910"), {"valueQuantity": {"value": 5}}, "recurrence_score"),
])
def test_every_fact_measured_after_neoadjuvant_therapy_is_left_out(code, value, attribute):
    found = read(obs("after", code, when="2026-07-02", **value), episode=AFTER_NEOADJUVANT)
    assert getattr(found, attribute) is None and found.evidence == []
    during = read(obs("before", code, when="2026-01-20", **value), episode=AFTER_NEOADJUVANT)
    assert getattr(during, attribute) is not None and during.evidence == ["Observation/before"]


def test_a_window_without_a_start_is_no_neoadjuvant_window():
    episode = EpisodeFinding(current="early", diagnosis="2026-01-10", surgery="2026-07-01",
                             neoadjuvant=TreatmentWindow(None, "2026-07-01", []))
    assert read(obs("s", SIZE, when="2026-07-02", **qty(4)), episode=episode).size_mm == 4.0


def ki67(rid, percent, when="2026-06-05", provisional=False):
    return ReceptorResult(f"Observation/{rid}#component-1", "Ki67", f"{LNC}|29593-9", when,
                          "preliminary" if provisional else "final", provisional, percent=percent)


def test_ki67_from_the_newest_final_receptor_result():
    found = read(results=[ki67("k1", 30.0, "2026-05-01"), ki67("k2", 15.0, "2026-06-01"),
                          ki67("k3", 60.0, "2026-06-20", provisional=True), ki67("k4", None, "2026-06-25")])
    assert found.ki67 == 15.0 and found.evidence == ["Observation/k2"]


def test_ki67_other_analytes_and_after_neoadjuvant_are_not_read():
    er = ReceptorResult("Observation/er", "ER", f"{LNC}|16112-5", "2026-06-01", "final", False, percent=80.0)
    assert read(results=[er]).ki67 is None
    found = read(results=[ki67("k1", 30.0, "2026-01-20"), ki67("k2", 5.0, "2026-07-03")], episode=AFTER_NEOADJUVANT)
    assert found.ki67 == 30.0


@pytest.mark.parametrize("birth, diagnosis, age", [
    ("1970-06-01", "2026-06-01", 56), ("1970-06-02", "2026-06-01", 55), ("1970-05-31", "2026-06-01", 56),
    ("1970-07-01", "2026-06-01", 55), ("1970", "2026-06-01", 56), ("2026-06-01", "2026-06-01", 0),
    ("2027-01-01", "2026-06-01", None), ("1877-06-01", "2026-06-01", 149),
    ("1876-06-01", "2026-06-01", None),                  # 150 years or more: not a plausible birth date (None, "2026-06-01", None),
    ("1970-06-01", None, None),
])
def test_age_at_diagnosis_in_whole_years(birth, diagnosis, age):
    assert read(birth=birth, episode=EpisodeFinding(diagnosis=diagnosis)).age_at_diagnosis == age


def test_nothing_recorded_reads_nothing():
    found = read()
    assert (found.size_mm, found.t_category, found.n_category, found.positive_nodes, found.grade, found.ki67,
            found.recurrence_score, found.evidence) == (None, None, None, None, None, None, None, [])


def test_other_observations_are_ignored():
    er = obs("er", (LNC, "16112-5"), valueQuantity={"value": 90, "code": "%"})
    assert read(er).evidence == []


def test_a_resource_behind_two_facts_is_listed_once():
    """A pathology panel giving the size, with Ki-67 in one of its components, is one piece of evidence."""
    found = read(obs("panel", SIZE, **qty(25)), results=[ki67("panel", 30.0)])
    assert found.ki67 == 30.0 and found.size_mm == 25.0 and found.evidence == ["Observation/panel"]
