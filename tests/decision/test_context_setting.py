"""Early vs metastatic setting, stage and its evidence (``context.read_setting``), through ``assess()``.

Rules (clinical-knowledge.md b.5 and a.5/a.6, mCODE STU4):
- metastatic when the record shows distant disease: a secondary-neoplasm Condition (SNOMED descendants of 128462008,
  ICD-10-CM C77/C78/C79, mCODE SecondaryCancerDisorderVS), an M1 category (AJCC cM1/pM1), a site of distant
  metastasis (LOINC 44667-4, Synthea) other than "None", or a stage IV group;
- early when breast cancer, a stage group, M0 or a "None" metastasis site is recorded and no distant disease is;
- stage III without distant disease is locally advanced (the clinician confirms, pitfall P19);
- stage records that disagree are reported (data quality), and a stage IV beside an M0 is reported too.
Each finding names its basis and the resources it rests on. Expectations come from these rules.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge import codes

LNC, SCT, ICD = codes.LNC, codes.SCT, codes.ICD10CM
CONFIG = DecisionConfig(today=date(2026, 11, 1))
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
STAGE = {"I": "258215001", "II": "258219007", "III": "258224005", "IV": "258228008", "IIA": "261614003",
         "IIB": "261615002", "IIIA": "261638004", "IIIC": "261640009", "0": "1222605001", "0is": "1222722006",
         "IA": "261634002", "IVB": "1222841004"}
M0, M1, PM1 = "1229901006", "1229903009", "1229916009"


def coded(system, code, text=None):
    concept = {"coding": [{"system": system, "code": code}]}
    if text:
        concept["text"] = text
    return concept


def patient():
    return {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01"}


def condition(cid, code, system=SCT, **extra):
    return {"resourceType": "Condition", "id": cid, "code": coded(system, code), "subject": {"reference": "Patient/p1"},
            **extra}


def observation(oid, code, value=None, when="2026-01-10", system=LNC, **extra):
    resource = {"resourceType": "Observation", "id": oid, "status": "final", "code": coded(system, code),
                "subject": {"reference": "Patient/p1"}, **extra}
    if when:
        resource["effectiveDateTime"] = when
    if value is not None:
        resource["valueCodeableConcept"] = value
    return resource


def stage(oid, group, when="2026-01-10", code="21908-9"):
    return observation(oid, code, coded(SCT, STAGE[group]), when)


def m_category(oid, value, when="2026-01-10"):
    return observation(oid, "21907-1", coded(SCT, value), when)


def site(oid, value, when="2026-01-10"):
    return observation(oid, "44667-4", value, when)


def setting(*resources):
    return assess([patient(), *resources], CONFIG)


def notes(a, code):
    return [n for n in a.data_quality if n.code == code]


def events(a, kind):
    return [e for e in a.events if e.kind == kind]


# ---- nothing / early ----------------------------------------------------------------------------------------

def test_nothing_recorded_is_unknown():
    a = setting()
    s = a.setting
    assert (s.setting, s.basis, s.evidence, s.stage, s.locally_advanced, s.metastatic_sites) == (
        "unknown", "none", [], None, False, [])


@pytest.mark.parametrize("code, system", [("254837009", SCT), ("372064008", SCT), ("C50.911", ICD), ("C50.1", ICD),
                                          ("417181009", SCT), ("Z17.0", ICD)])
def test_breast_cancer_without_distant_disease_is_early(code, system):
    """A breast cancer Condition (SNOMED, ICD-10-CM C50) or a receptor-status disorder (SNOMED 417181009, ICD Z17.x:
    the status of a breast cancer) says breast cancer; with no distant disease recorded the setting is early, resting
    on that Condition. It is also the diagnosis event."""
    a = setting(condition("dx", code, system, onsetDateTime="2025-03-01"))
    assert (a.setting.setting, a.setting.basis, a.setting.evidence) == ("early", "no-distant-disease-recorded",
                                                                         ["Condition/dx"])
    assert [(e.date, e.evidence) for e in events(a, "diagnosis")] == [("2025-03-01", ["Condition/dx"])]


def test_an_unrelated_condition_says_nothing():
    """A Condition outside the breast cancer and secondary neoplasm tables (here ICD C18, colon) is not evidence."""
    a = setting(condition("c", "C18.9", ICD))
    assert a.setting.setting == "unknown" and events(a, "diagnosis") == [] and events(a, "metastasis") == []


@pytest.mark.parametrize("group, advanced", [("II", False), ("IIB", False), ("III", True), ("IIIA", True),
                                             ("IIIC", True), ("I", False), ("0", False)])
def test_stage_iii_without_distant_disease_is_locally_advanced(group, advanced):
    """b.5/P19: stage III (any substage) with no distant disease is early but locally advanced; stage I-II are not."""
    a = setting(condition("dx", "254837009"), stage("st", group))
    s = a.setting
    assert (s.setting, s.stage, s.locally_advanced) == ("early", group, advanced)
    assert s.evidence == ["Condition/dx", "Observation/st"]


def test_stage_alone_and_m0_alone_are_early_evidence():
    """A stage group or an M0 category alone is a staged, non-metastatic cancer: early, resting on that record."""
    a = setting(stage("st", "II"))
    assert (a.setting.setting, a.setting.evidence) == ("early", ["Observation/st"])
    b = setting(m_category("m", M0))
    assert (b.setting.setting, b.setting.basis, b.setting.evidence) == ("early", "no-distant-disease-recorded",
                                                                         ["Observation/m"])


@pytest.mark.parametrize("value", ["260413007", "260385009"])
def test_a_none_or_negative_metastasis_site_is_no_distant_disease(value):
    """Synthea records the site of distant metastasis (44667-4) as None (260413007) for patients without one; a
    Negative qualifier says the same: early, never metastatic, and no metastasis event."""
    a = setting(site("s", coded(SCT, value)))
    assert (a.setting.setting, a.setting.evidence, a.setting.metastatic_sites) == ("early", ["Observation/s"], [])
    assert events(a, "metastasis") == []


# ---- metastatic ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, system, sites", [
    ("94381002", SCT, ["liver"]), ("94222008", SCT, ["bone"]), ("94391008", SCT, ["lung"]), ("94225005", SCT, ["brain"]),
    ("128462008", SCT, ["other"]), ("C78.7", ICD, ["liver"]), ("C79.51", ICD, ["bone"]), ("C7951", ICD, ["bone"]),
    ("C79.31", ICD, ["brain"]), ("C78.01", ICD, ["lung"]), ("C79.9", ICD, ["other"]), ("C77.2", ICD, ["other"]), ("C77.4", ICD, ["other"]),
    ("C77.5", ICD, ["other"])])
def test_a_secondary_neoplasm_condition_is_metastatic_with_its_site(code, system, sites):
    """mCODE SecondaryCancerDisorderVS (SNOMED 128462008 and children; ICD-10-CM C78/C79, and the C77 lymph-node
    regions that are never regional for the breast: abdominal C77.2, inguinal C77.4, pelvic C77.5): metastatic, basis
    secondary-neoplasm-condition, the site named (bone, liver, lung, brain) or "other", and a metastasis event dated
    by the Condition."""
    a = setting(condition("met", code, system, onsetDateTime="2026-02-01"))
    s = a.setting
    assert (s.setting, s.basis, s.evidence, s.metastatic_sites) == (
        "metastatic", "secondary-neoplasm-condition", ["Condition/met"], sites)
    assert [(e.date, e.evidence) for e in events(a, "metastasis")] == [("2026-02-01", ["Condition/met"])]
    assert events(a, "diagnosis") == []          # a secondary neoplasm is not the breast cancer diagnosis


@pytest.mark.parametrize("code", ["C77.3", "C773", "C77.0", "C77.1", "C77.8", "C77.9"])
def test_a_lymph_node_secondary_that_can_be_regional_is_not_distant_metastasis(code):
    """AJCC 8th ed. (Breast): ipsilateral axillary, internal mammary and supra/infraclavicular nodes are regional
    (N1-N3), not M1. ICD-10-CM C77.3 (axilla), C77.0 (head and neck, supraclavicular included), C77.1 (intrathoracic,
    internal mammary included), C77.8 and C77.9 can name them, so beside a C50 breast cancer they leave the setting
    early, with a note asking whether the nodes are on the other side (which would be M1)."""
    a = setting(condition("bc", "C50.912", ICD, onsetDateTime="2026-01-10"),
                condition("nodes", code, ICD, onsetDateTime="2026-01-10"))
    assert (a.setting.setting, a.setting.evidence) == ("early", ["Condition/bc"])
    assert events(a, "metastasis") == []
    assert [(n.code, n.resource) for n in a.data_quality if n.code == "nodal-code-not-distant"] == [
        ("nodal-code-not-distant", "Condition/nodes")]


def test_a_regional_node_code_beside_a_distant_metastasis_leaves_the_setting_metastatic():
    """C77.3 beside C78.7 (liver): the liver metastasis makes the setting metastatic; the nodal code adds no site."""
    a = setting(condition("nodes", "C77.3", ICD, onsetDateTime="2026-01-10"),
                condition("liver", "C78.7", ICD, onsetDateTime="2026-03-01"))
    assert (a.setting.setting, a.setting.evidence, a.setting.metastatic_sites) == (
        "metastatic", ["Condition/liver"], ["liver"])


@pytest.mark.parametrize("value", [M1, PM1, "1229904003"])
def test_m1_is_metastatic(value):
    """An M1 category (cM1, pM1, cM1a) is distant metastasis: basis m1, a metastasis event on its date."""
    a = setting(m_category("m", value, "2026-03-03"))
    assert (a.setting.setting, a.setting.basis, a.setting.evidence) == ("metastatic", "m1", ["Observation/m"])
    assert [(e.date, e.evidence) for e in events(a, "metastasis")] == [("2026-03-03", ["Observation/m"])]


def test_an_unrecognised_m_value_is_reported_and_not_used():
    a = setting(m_category("m", "999999"))
    assert a.setting.setting == "unknown"
    assert [n.resource for n in notes(a, "unrecognised-m-category")] == ["Observation/m"]


@pytest.mark.parametrize("group", ["IV", "IVB"])
def test_stage_iv_is_metastatic(group):
    """Stage IV (any substage) is distant disease: basis stage-iv, with a stage event and a metastasis event."""
    a = setting(stage("st", group, "2026-04-04"))
    s = a.setting
    assert (s.setting, s.basis, s.evidence, s.stage, s.locally_advanced) == (
        "metastatic", "stage-iv", ["Observation/st"], group, False)
    assert [(e.date, e.detail) for e in events(a, "stage")] == [("2026-04-04", {"stage": group, "source": "observation"})]
    assert [(e.date, e.evidence) for e in events(a, "metastasis")] == [("2026-04-04", ["Observation/st"])]


@pytest.mark.parametrize("value, sites", [
    (coded(SCT, "10200004"), ["liver"]), (coded(SCT, "272673000"), ["bone"]), (coded(SCT, "39607008"), ["lung"]),
    (coded(SCT, "12738006"), ["brain"]), (coded(SCT, "12345"), ["other"]), ({"text": "adrenal"}, ["other"])])
def test_a_site_of_distant_metastasis_is_metastatic(value, sites):
    """LOINC 44667-4 with a site (coded, or only as text): metastatic, basis metastasis-site, the mapped site or
    "other", and a metastasis event."""
    a = setting(site("s", value, "2026-05-05"))
    s = a.setting
    assert (s.setting, s.basis, s.evidence, s.metastatic_sites) == ("metastatic", "metastasis-site", ["Observation/s"], sites)
    assert [(e.date, e.evidence) for e in events(a, "metastasis")] == [("2026-05-05", ["Observation/s"])]


@pytest.mark.parametrize("value, shown", [
    (coded(SCT, "10200004", "hepatic lesions"), "hepatic lesions"),
    ({"coding": [{"system": SCT, "code": "10200004", "display": "Liver structure"}]}, "Liver structure"),
    ({"text": "adrenal"}, "adrenal")])
def test_the_metastasis_event_names_the_recorded_site(value, shown):
    """The chart's metastasis event says where: the site's text as recorded, else its coding's display."""
    label = events(setting(site("s", value)), "metastasis")[0].label
    assert shown in label


@pytest.mark.parametrize("code, system, shown", [("94381002", SCT, "liver"), ("C79.51", ICD, "C79.51"),
                                                 ("C78.7", ICD, "C78.7")])
def test_the_secondary_neoplasm_event_names_its_site(code, system, shown):
    """A secondary-neoplasm Condition's event names its site (SNOMED child) or its ICD code; every event has a label."""
    a = setting(condition("met", code, system), condition("dx", "254837009"), m_category("m", M1), stage("st", "IV"),
                condition("r", "254837009", clinicalStatus=coded(CLINICAL, "recurrence"), onsetDateTime="2024-01-01"))
    assert shown in next(e.label for e in events(a, "metastasis") if e.evidence == ["Condition/met"])
    assert all(isinstance(e.label, str) and e.label for e in a.events)
    assert all(e.evidence for e in a.events)


def test_a_site_given_as_a_string_is_metastatic():
    a = setting(observation("s", "44667-4", valueString="liver"))
    assert (a.setting.setting, a.setting.basis, a.setting.metastatic_sites) == ("metastatic", "metastasis-site", ["other"])


def test_a_metastasis_site_without_a_value_is_reported_and_not_used():
    """A 44667-4 Observation without any value names no site: it is not evidence of metastasis (never state a
    metastasis that is not recorded) and the data-quality note says so."""
    a = setting(site("s", None))
    assert a.setting.setting == "unknown" and events(a, "metastasis") == []
    assert [n.resource for n in notes(a, "unparseable-value")] == ["Observation/s"]
    b = setting(site("s", {"coding": []}))
    assert b.setting.setting == "unknown"


def test_metastatic_evidence_lists_every_record_once_in_order_and_the_first_basis():
    """Several records of distant disease: the basis is the first (Conditions are read before Observations), the
    evidence names each resource once, and the sites are sorted without repeats. Metastatic wins over breast cancer,
    stage and M0 records (not locally advanced)."""
    a = setting(condition("dx", "254837009"), condition("met", "94381002"), m_category("m", M1),
                site("s", coded(SCT, "10200004")), stage("st", "IV"), condition("bone", "C79.51", ICD))
    s = a.setting
    assert s.setting == "metastatic" and s.basis == "secondary-neoplasm-condition"
    assert s.evidence == ["Condition/met", "Condition/bone", "Observation/m", "Observation/s", "Observation/st"]
    assert s.metastatic_sites == ["bone", "liver"]
    assert not s.locally_advanced
    c = setting(m_category("m", M1), stage("st", "III"))
    assert (c.setting.setting, c.setting.basis, c.setting.locally_advanced) == ("metastatic", "m1", False)


# ---- stage records that disagree -----------------------------------------------------------------------------

@pytest.mark.parametrize("first, second, conflict", [
    ("II", "III", True), ("IIA", "IIB", False), ("I", "II", True), ("IA", "I", False), ("III", "IV", True),
    ("0", "I", True), ("0", "0is", False), ("IIIA", "IIIC", False), ("IV", "IVB", False), ("I", "IV", True),
    ("II", "IV", True), ("IA", "IVB", True)])
def test_same_day_stage_groups_of_different_rank_are_a_conflict(first, second, conflict):
    """Two stage groups on one day: a different stage (0, I, II, III, IV) is a data-quality conflict; substages of one
    stage (IIA/IIB) are not."""
    a = setting(stage("a", first), stage("b", second))
    assert bool(notes(a, "conflicting-stage")) == conflict


def test_the_newest_stage_observation_is_used_and_older_different_stages_are_history():
    """Restaging over time is not a conflict: the newest stage Observation gives the stage."""
    a = setting(stage("old", "II", "2025-01-01"), stage("new", "III", "2026-01-01"))
    assert a.setting.stage == "III" and not notes(a, "conflicting-stage")
    b = setting(stage("new", "III", "2026-01-01"), stage("old", "II", "2025-01-01"))
    assert b.setting.stage == "III"
    assert a.setting.evidence == ["Observation/new"]
    # a later pathological stage lower than the clinical one (no neoadjuvant therapy) replaces it
    c = setting(stage("clinical", "IIIA", "2025-01-01"), stage("pathologic", "IIB", "2025-02-01", code="21902-2"))
    assert (c.setting.stage, c.setting.locally_advanced) == ("IIB", False)


def test_an_undated_stage_is_older_than_any_dated_one():
    """A stage without a date cannot be shown to be the newest: a dated stage Observation is used before it."""
    a = setting(stage("undated", "III", None), stage("dated", "II", "2020-01-01"))
    assert a.setting.stage == "II"


def test_a_stage_observation_outranks_a_condition_stage_and_their_disagreement_is_reported():
    """A stage on the Condition (Condition.stage.summary) is used only without a stage Observation; when the two
    disagree the note names the Observation used."""
    dx = condition("dx", "254837009", onsetDateTime="2025-01-01", stage=[{"summary": coded(SCT, STAGE["II"])}])
    alone = setting(dx)
    assert alone.setting.stage == "II"
    assert [(e.detail["source"], e.detail["stage"]) for e in events(alone, "stage")] == [("condition", "II")]
    both = setting(dx, stage("st", "III", "2025-01-01"))
    assert both.setting.stage == "III"
    assert [n.resource for n in notes(both, "conflicting-stage")] == ["Observation/st"]
    agree = setting(dx, stage("st", "IIB", "2026-01-01"))
    assert agree.setting.stage == "IIB" and not notes(agree, "conflicting-stage")


def test_condition_stage_iv_makes_it_metastatic():
    dx = condition("dx", "254837009", stage=[{"type": coded(SCT, "399537006")},
                                                       {"summary": coded(SCT, STAGE["IV"])}])
    a = setting(dx)
    assert (a.setting.setting, a.setting.basis, a.setting.evidence) == ("metastatic", "stage-iv", ["Condition/dx"])


def test_an_unrecognised_stage_value_is_reported_and_not_used():
    """The note names the resource and the code it could not read (system|code), for whoever maps the data."""
    a = setting(observation("st", "21908-9", coded(SCT, "999999")))
    assert a.setting.stage is None and a.setting.setting == "unknown"
    found = notes(a, "unrecognised-stage")
    assert [n.resource for n in found] == ["Observation/st"] and f"{SCT}|999999" in found[0].message
    b = setting(m_category("m", "888888"))
    assert f"{SCT}|888888" in notes(b, "unrecognised-m-category")[0].message


def test_records_the_reader_cannot_use_do_not_stop_it_reading_the_rest():
    """An Observation of a code we do not read, an unrecognised stage, a "None" metastasis site and an empty one are
    skipped one by one: the records after them are still read."""
    unknown = observation("u", "8302-2", coded(SCT, "1"))
    a = setting(unknown, observation("bad", "21908-9", coded(SCT, "999999")), site("none", coded(SCT, "260413007")),
                site("empty", None), stage("st", "IV"), m_category("m", M1))
    assert a.setting.stage == "IV" and a.setting.evidence == ["Observation/m", "Observation/st"]


@pytest.mark.parametrize("extra, note", [
    ([m_category("m", M0)], True),                                   # stage IV and M0 only: they disagree
    ([m_category("m", M0), m_category("m1", M1)], False),            # M1 agrees with stage IV
    ([site("s", coded(SCT, "260413007"))], True),                     # "no metastasis site" is an M0 too
    ([], False)])
def test_stage_iv_beside_m0_is_reported(extra, note):
    """Stage IV says distant metastasis; an M0 says none. When stage IV is the only evidence of distant disease and
    an M0 is recorded, the record contradicts itself (reported, naming the M0); other distant evidence settles it."""
    a = setting(stage("st", "IV"), *extra)
    assert a.setting.setting == "metastatic"
    found = notes(a, "conflicting-stage")
    assert bool(found) == note
    if note:
        assert found[0].resource == extra[0]["resourceType"] + "/" + extra[0]["id"]


def test_early_evidence_order_is_condition_stage_then_m0():
    a = setting(m_category("m", M0), stage("st", "II"), condition("dx", "254837009"))
    assert a.setting.evidence == ["Condition/dx", "Observation/st", "Observation/m"]


# ---- dates of conditions, recurrence -------------------------------------------------------------------------

@pytest.mark.parametrize("fields, expected", [
    ({"onsetDateTime": "2025-01-01", "recordedDate": "2025-06-01"}, "2025-01-01"),
    ({"recordedDate": "2025-06-01", "onsetPeriod": {"start": "2025-02-01"}}, "2025-06-01"),
    ({"onsetPeriod": {"start": "2025-02-01"}}, "2025-02-01"),
    ({"onsetPeriod": {"end": "2025-02-01"}}, None),
    ({"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/condition-assertedDate",
                     "valueDateTime": "2025-03-01"}]}, "2025-03-01"),
    ({"extension": [{"url": "http://example.org/other", "valueDateTime": "2025-03-01"}]}, None),
    ({}, None)])
def test_the_date_of_a_condition(fields, expected):
    """The date a breast cancer Condition dates the diagnosis by: onset, else the recorded date, else the onset
    period's start, else the assertedDate extension (FHIR R4 Condition); nothing else is a date."""
    a = setting(condition("dx", "254837009", **fields))
    assert [e.date for e in events(a, "diagnosis")] == [expected]


@pytest.mark.parametrize("status, recurrence", [("recurrence", True), ("relapse", True), ("active", False),
                                                ("remission", False)])
def test_a_recurrence_status_is_a_recurrence_event_dated_when_recorded(status, recurrence):
    """FHIR clinicalStatus recurrence or relapse: a recurrence event, dated by recordedDate (when the status was
    recorded), carrying the status; other statuses are none."""
    dx = condition("dx", "254837009", onsetDateTime="2020-01-01", recordedDate="2024-05-05",
                   clinicalStatus=coded(CLINICAL, status))
    a = setting(dx)
    found = events(a, "recurrence")
    if recurrence:
        assert [(e.date, e.evidence, e.detail) for e in found] == [("2024-05-05", ["Condition/dx"], {"clinical_status": [status]})]
    else:
        assert found == []


def test_a_recurrence_without_recorded_date_is_dated_by_onset():
    dx = condition("dx", "254837009", onsetDateTime="2020-01-01", clinicalStatus=coded(CLINICAL, "recurrence"))
    assert [e.date for e in events(setting(dx), "recurrence")] == ["2020-01-01"]
