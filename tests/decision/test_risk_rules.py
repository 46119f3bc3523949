"""The early-disease risk criteria and the bone-metastasis criterion (cds_hooks.decision.risk), rule by rule.

Each rule says whether the recorded tumour (size, T/N category, positive nodes, grade, Ki-67, recurrence score, age,
menopausal status) puts the patient in the population its source names. Expectations are written from the sources
the rules cite (catalogue ids in brackets):

- AJCC 8th edition T categories by size (longest invasive dimension): T1mi <= 1 mm, T1a > 1-5 mm, T1b > 5-10 mm,
  T1c > 10-20 mm, T2 > 20-50 mm, T3 > 50 mm, T4 any size with chest wall/skin extension (T4a-T4d); N1 = 1-3
  positive axillary nodes, N2 = 4-9, N3 = 10 or more.
- Triple-negative early disease [esmo-ebc-2024]: chemotherapy from T1c N0 or any node-positive disease, considered
  case by case for T1b N0, not for T1a N0 or smaller.
- Adjuvant ribociclib [natalee-2024, label-fda-kisqali-2]: stage II-III; node-positive disease, or node-negative
  T3/T4, or node-negative T2 with grade 3, or grade 2 with Ki-67 >= 20 % or high genomic risk.
- Adjuvant abemaciclib [label-fda-verzenio-0, monarchE]: 4 or more positive nodes, or 1-3 with grade 3 or a tumour
  of 5 cm or more.
- HR+/HER2- chemotherapy [asco-biomarkers-2022, tailorx-2018, rxponder-2021]: 4 or more nodes by clinical risk;
  otherwise the 21-gene recurrence score: >= 26 chemotherapy; node-negative < 26: some benefit at age <= 50 with
  16-25 (TAILORx), none otherwise; 1-3 nodes < 26: benefit before menopause (including ovarian suppression, the
  patient being premenopausal), none after (RxPONDER); the trials enrolled women only.
- Bone-modifying agents for bone metastases [asco-cco-bma-metastatic-2017].
- Neratinib after trastuzumab (ExteNET, which predates T-DM1 after neoadjuvant therapy) [extenet-2016].

What a verdict means for the option row (``options._build``): "excluded" drops the row, "test" makes it needs-test,
"consider"/"unknown" needs-review naming what is missing, "fits" applicable. The rule's ``needs`` are what the
clinician is asked for, and ``evidence`` the resources the verdict rests on.
"""
from __future__ import annotations

import pytest

from cds_hooks.decision.model import (
    Assessment, Her2Finding, MedicationUse, ReceptorFinding, SettingFinding, TumourFinding,
)
from cds_hooks.decision.options import options_for
from cds_hooks.decision.risk import (
    GRADE_NEED, KI67_NEED, NODES_NEED, RECURRENCE_SCORE_NEED, RISK_RULES, SIZE_NEED, RiskCheck, check_risk,
)

EVIDENCE = ["Observation/size", "Observation/nodes"]
T4_ALL = ("T4", "T4a", "T4b", "T4c", "T4d")


def tumour(**facts) -> TumourFinding:
    return TumourFinding(**facts, evidence=list(EVIDENCE))


def assessment(t: TumourFinding | None = None, *, subtype="HR+/HER2-", menopause="postmenopausal",
               sites=(), setting="early", medications=(), setting_evidence=()) -> Assessment:
    hr = "negative" if subtype == "triple-negative" else "positive"
    return Assessment(
        patient="p", subtype=subtype, hr=hr,
        er=ReceptorFinding("ER", hr, 80.0 if hr == "positive" else 0.0, "percent", evidence=["Observation/er"]),
        pr=ReceptorFinding("PR", hr, evidence=["Observation/pr"]),
        her2=Her2Finding("negative", "low", "1+", evidence=["Observation/her2"]),
        setting=SettingFinding(setting, stage="II", metastatic_sites=list(sites), evidence=list(setting_evidence)),
        knowledge_version="test", menopausal_status=menopause, tumour=t or TumourFinding(),
        medications=list(medications))


def check(rule: str, menopause="postmenopausal", **facts) -> RiskCheck:
    return check_risk(rule, assessment(tumour(**facts), menopause=menopause))


def assert_verdict(got: RiskCheck, verdict: str, needs: tuple[str, ...] | None = ()) -> None:
    """The verdict, what it asks for (None: at least one item, not pinned), and the evidence it rests on."""
    assert got.verdict == verdict, got
    if needs is None:
        assert len(got.needs) == 1 and isinstance(got.needs[0], str) and got.needs[0], got
        assert got.needs[0] not in (SIZE_NEED, NODES_NEED, GRADE_NEED, KI67_NEED, RECURRENCE_SCORE_NEED), got
    else:
        assert got.needs == needs, got
    assert got.evidence == tuple(EVIDENCE), got
    assert got.text, got


def test_every_rule_is_registered():
    assert set(RISK_RULES) == {"neratinib-history", "tnbc-early-chemo", "natalee", "monarche", "hr-early-chemo",
                               "bone-metastases"}


# ---- Triple-negative early disease (ESMO 2024) ---------------------------------------------------------------

@pytest.mark.parametrize("size, verdict", [
    (1.0, "excluded"), (4.9, "excluded"), (5.0, "excluded"),        # T1a and smaller: no chemotherapy
    (5.1, "consider"), (6.0, "consider"), (9.9, "consider"), (10.0, "consider"),   # T1b: case by case
    (10.1, "fits"), (11.0, "fits"), (20.0, "fits"), (60.0, "fits"),  # T1c or larger
])
def test_tnbc_node_negative_by_size(size, verdict):
    """Node-negative TNBC: > 10 mm (T1c) chemotherapy; > 5 to 10 mm (T1b) considered; <= 5 mm (T1a) not listed."""
    got = check("tnbc-early-chemo", size_mm=size, positive_nodes=0)
    assert_verdict(got, verdict, None if verdict == "consider" else ())


@pytest.mark.parametrize("category, verdict", [
    ("T0", "excluded"), ("Tis", "excluded"), ("T1mi", "excluded"), ("T1a", "excluded"),
    ("T1b", "consider"),
    ("T1c", "fits"), ("T2", "fits"), ("T3", "fits"), *((c, "fits") for c in T4_ALL),
])
def test_tnbc_node_negative_by_t_category(category, verdict):
    """Without a size, the AJCC T category places the tumour against the same cut-offs (every label compared)."""
    got = check("tnbc-early-chemo", t_category=category, n_category="N0")
    assert_verdict(got, verdict, None if verdict == "consider" else ())


@pytest.mark.parametrize("category", [None, "T1", "TX"])
def test_tnbc_node_negative_without_a_placing_size_asks_for_it(category):
    """'T1' spans T1mi to T1c (either side of both cut-offs): it cannot decide, nor can a missing or unknown T."""
    assert_verdict(check("tnbc-early-chemo", t_category=category, positive_nodes=0), "unknown", (SIZE_NEED,))


def test_tnbc_recorded_size_outranks_the_t_category():
    """The measured size decides when both are recorded (the T category is used only when no size is)."""
    assert_verdict(check("tnbc-early-chemo", size_mm=8.0, t_category="T2", positive_nodes=0), "consider", None)
    assert_verdict(check("tnbc-early-chemo", size_mm=4.0, t_category="T1c", positive_nodes=0), "excluded")
    assert_verdict(check("tnbc-early-chemo", size_mm=12.0, t_category="T1a", positive_nodes=0), "fits")


@pytest.mark.parametrize("facts", [
    {"positive_nodes": 1, "size_mm": 3.0}, {"positive_nodes": 1, "t_category": "T1a"},
    {"n_category": "N1", "size_mm": 3.0}, {"n_category": "N2"}, {"n_category": "N3", "t_category": "T0"},
])
def test_tnbc_any_node_positive_disease_fits_whatever_the_size(facts):
    assert_verdict(check("tnbc-early-chemo", **facts), "fits")


def test_tnbc_node_count_outranks_the_n_category():
    """A count of 0 is node-negative even beside an N1 category (the count is the more specific record)."""
    assert_verdict(check("tnbc-early-chemo", positive_nodes=0, n_category="N1", size_mm=3.0), "excluded")
    assert_verdict(check("tnbc-early-chemo", positive_nodes=2, n_category="N0", size_mm=3.0), "fits")


@pytest.mark.parametrize("facts, verdict, needs", [
    ({"size_mm": 15.0}, "fits", ()),                       # > 10 mm: chemotherapy whatever the nodes
    ({"t_category": "T2"}, "fits", ()),
    ({"size_mm": 8.0}, "unknown", (NODES_NEED,)),           # T1b: the nodes decide fits or consider
    ({"size_mm": 3.0}, "unknown", (NODES_NEED,)),           # T1a: the nodes decide fits or excluded
    ({"t_category": "T1a"}, "unknown", (NODES_NEED,)),
    ({}, "unknown", (NODES_NEED, SIZE_NEED)),              # neither recorded: both asked for
    ({"t_category": "T1"}, "unknown", (NODES_NEED, SIZE_NEED)),
])
def test_tnbc_without_nodal_status(facts, verdict, needs):
    assert_verdict(check("tnbc-early-chemo", **facts), verdict, needs)


@pytest.mark.parametrize("facts, status, need", [
    ({"size_mm": 3.0, "positive_nodes": 0}, None, None),
    ({"size_mm": 8.0, "positive_nodes": 0}, "needs-review", "consider"),
    ({"size_mm": 11.0, "positive_nodes": 0}, "applicable", None),
    ({"size_mm": 8.0}, "needs-review", NODES_NEED),
])
def test_tnbc_verdict_reaches_the_option_row(facts, status, need):
    """excluded -> the row is not listed; consider/unknown -> needs review, naming what is missing; fits -> applicable."""
    got = {o.id: o for o in options_for(assessment(tumour(**facts), subtype="triple-negative"))}
    row = got.get("early-tnbc-chemotherapy")
    assert (row.status if row else None) == status
    if need == "consider":
        assert len(row.needs) == 1 and row.needs[0] not in (SIZE_NEED, NODES_NEED)
    elif need:
        assert need in row.needs
    if row:
        assert any(f"{facts['size_mm']:g} mm" in n for n in row.notes), row.notes    # what the record shows


# ---- NATALEE (adjuvant ribociclib) ---------------------------------------------------------------------------

@pytest.mark.parametrize("facts", [
    {"positive_nodes": 1}, {"positive_nodes": 1, "size_mm": 5.0, "grade": 1}, {"n_category": "N1"},
    {"n_category": "N2", "t_category": "T1a"}, {"n_category": "N3"},
])
def test_natalee_node_positive_fits(facts):
    """Node-positive early disease is in NATALEE whatever the size or grade (stage II-III is checked by the row)."""
    assert_verdict(check("natalee", **facts), "fits")


def test_natalee_without_nodal_status_asks_for_it():
    assert_verdict(check("natalee", size_mm=60.0, grade=3), "unknown", (NODES_NEED,))


@pytest.mark.parametrize("size, verdict, needs", [
    (10.0, "excluded", ()), (19.9, "excluded", ()), (20.0, "excluded", ()),   # T1 N0: stage I, outside
    (20.1, "unknown", (GRADE_NEED,)), (21.0, "unknown", (GRADE_NEED,)), (50.0, "unknown", (GRADE_NEED,)),  # T2 N0
    (50.1, "fits", ()), (51.0, "fits", ()),                                    # T3 N0: stage IIB, whatever the grade
])
def test_natalee_node_negative_by_size(size, verdict, needs):
    assert_verdict(check("natalee", size_mm=size, positive_nodes=0), verdict, needs)


@pytest.mark.parametrize("category, verdict, needs", [
    *((c, "excluded", ()) for c in ("T0", "Tis", "T1", "T1mi", "T1a", "T1b", "T1c")),
    ("T2", "unknown", (GRADE_NEED,)),
    *((c, "fits", ()) for c in ("T3", *T4_ALL)),
    (None, "unknown", (SIZE_NEED,)), ("TX", "unknown", (SIZE_NEED,)),
])
def test_natalee_node_negative_by_t_category(category, verdict, needs):
    """Every T label the rule compares: T1 and smaller outside, T2 by grade/Ki-67, T3/T4 in."""
    assert_verdict(check("natalee", t_category=category, n_category="N0"), verdict, needs)


def test_natalee_recorded_size_outranks_the_t_category():
    assert_verdict(check("natalee", size_mm=55.0, t_category="T2", positive_nodes=0), "fits")
    assert_verdict(check("natalee", size_mm=15.0, t_category="T3", positive_nodes=0), "excluded")
    assert_verdict(check("natalee", size_mm=30.0, t_category="T1c", positive_nodes=0, grade=3), "fits")


@pytest.mark.parametrize("grade, ki67, verdict, needs", [
    (3, None, "fits", ()),
    (1, 40.0, "excluded", ()),
    (2, None, "unknown", (KI67_NEED,)),
    (2, 19.9, "unknown", None),            # only with high genomic risk, which is not read
    (2, 19.0, "unknown", None),
    (2, 20.0, "fits", ()),
    (2, 21.0, "fits", ()),
])
def test_natalee_t2_n0_by_grade_and_ki67(grade, ki67, verdict, needs):
    """T2 N0: grade 3 in; grade 1 out; grade 2 in with Ki-67 >= 20 %, else only with high genomic risk."""
    assert_verdict(check("natalee", size_mm=30.0, positive_nodes=0, grade=grade, ki67=ki67), verdict, needs)


@pytest.mark.parametrize("facts, status", [
    ({"size_mm": 15.0, "positive_nodes": 0}, None),
    ({"size_mm": 30.0, "positive_nodes": 0, "grade": 3}, "applicable"),
    ({"size_mm": 30.0, "positive_nodes": 0, "grade": 2}, "needs-review"),
])
def test_natalee_verdict_reaches_the_ribociclib_row(facts, status):
    got = {o.id: o for o in options_for(assessment(tumour(**facts)))}
    row = got.get("early-ribociclib")
    assert (row.status if row else None) == status
    if status == "needs-review":
        assert KI67_NEED in row.needs


# ---- monarchE (adjuvant abemaciclib) -------------------------------------------------------------------------

@pytest.mark.parametrize("facts, verdict, needs", [
    ({}, "unknown", (NODES_NEED,)),
    ({"n_category": "NX"}, "unknown", (NODES_NEED,)),
    ({"positive_nodes": 0, "grade": 3, "size_mm": 60.0}, "excluded", ()),
    ({"n_category": "N0", "grade": 3}, "excluded", ()),
    ({"positive_nodes": 4}, "fits", ()),
    ({"positive_nodes": 5, "grade": 1, "size_mm": 10.0}, "fits", ()),
    ({"n_category": "N2"}, "fits", ()),
    ({"n_category": "N3"}, "fits", ()),
    ({"positive_nodes": 4, "n_category": "N1"}, "fits", ()),      # the count outranks the category
    ({"positive_nodes": 3, "n_category": "N2", "grade": 2, "size_mm": 10.0}, "excluded", ()),
])
def test_monarche_by_nodes(facts, verdict, needs):
    """4 or more positive nodes (or N2/N3) in; node-negative out; the count is used before the N category."""
    assert_verdict(check("monarche", **facts), verdict, needs)


@pytest.mark.parametrize("size, grade, verdict, needs", [
    (49.9, 2, "excluded", ()), (49.0, 1, "excluded", ()),
    (50.0, 2, "fits", ()), (51.0, 2, "fits", ()),         # 5 cm or more
    (10.0, 3, "fits", ()),                                 # grade 3
    (30.0, None, "unknown", (GRADE_NEED,)),
    (60.0, None, "fits", ()),
])
def test_monarche_one_to_three_nodes_by_size_and_grade(size, grade, verdict, needs):
    assert_verdict(check("monarche", positive_nodes=2, size_mm=size, grade=grade), verdict, needs)


@pytest.mark.parametrize("category, grade, verdict, needs", [
    *((c, 2, "fits", ()) for c in ("T3", *T4_ALL)),     # T3 is over 50 mm; T4 counted as large
    ("T2", 2, "unknown", (SIZE_NEED,)),                  # T2 reaches 50 mm: cannot tell
    *((c, 2, "excluded", ()) for c in ("T0", "Tis", "T1", "T1mi", "T1a", "T1b", "T1c")),   # T1: under 5 cm
    ("T1c", 1, "excluded", ()), ("T1c", None, "unknown", (GRADE_NEED,)), ("T1", 3, "fits", ()),
    ("TX", 2, "unknown", (SIZE_NEED,)),
    (None, 2, "unknown", (SIZE_NEED,)),
    (None, None, "unknown", (GRADE_NEED, SIZE_NEED)),
    ("T2", 3, "fits", ()),
])
def test_monarche_one_to_three_nodes_by_t_category(category, grade, verdict, needs):
    assert_verdict(check("monarche", n_category="N1", t_category=category, grade=grade), verdict, needs)


# ---- HR+/HER2- chemotherapy by clinical and genomic risk (ASCO 2022, TAILORx, RxPONDER) -------------------------

def test_hr_chemo_without_nodal_status_asks_for_it():
    assert_verdict(check("hr-early-chemo", recurrence_score=30.0), "unknown", (NODES_NEED,))


@pytest.mark.parametrize("facts", [{"positive_nodes": 4}, {"positive_nodes": 7, "recurrence_score": 5.0},
                                   {"n_category": "N2"}, {"n_category": "N3", "recurrence_score": 10.0}])
def test_hr_chemo_four_or_more_nodes_by_clinical_risk(facts):
    """4 or more positive nodes: chemotherapy without a genomic assay, whatever a recorded score says."""
    assert_verdict(check("hr-early-chemo", **facts), "fits")


@pytest.mark.parametrize("facts", [{"positive_nodes": 0}, {"positive_nodes": 3}, {"n_category": "N1"}])
def test_hr_chemo_without_a_score_asks_for_the_test(facts):
    assert_verdict(check("hr-early-chemo", **facts), "test", (RECURRENCE_SCORE_NEED,))


@pytest.mark.parametrize("nodes", [0, 1, 3])
@pytest.mark.parametrize("menopause", ["premenopausal", "postmenopausal", "male", "unknown"])
@pytest.mark.parametrize("score", [26.0, 27.0, 40.0])
def test_hr_chemo_score_26_or_more_fits(nodes, menopause, score):
    """A score of 26 or more: chemotherapy, node-negative or 1-3 nodes, at any age or menopausal status."""
    got = check_risk("hr-early-chemo", assessment(tumour(positive_nodes=nodes, recurrence_score=score,
                                                         age_at_diagnosis=60), menopause=menopause))
    assert_verdict(got, "fits")


@pytest.mark.parametrize("nodes", [0, 2])
@pytest.mark.parametrize("score", [25.0, 25.9, 18.0])
def test_hr_chemo_men_below_26_have_no_trial_data(nodes, score):
    """TAILORx and RxPONDER enrolled women: a man's score under 26 asks for a decision without trial data."""
    got = check_risk("hr-early-chemo", assessment(tumour(positive_nodes=nodes, recurrence_score=score,
                                                         age_at_diagnosis=45), menopause="male"))
    assert_verdict(got, "consider", None)


@pytest.mark.parametrize("age, score, verdict", [
    (50, 16.0, "consider"), (50, 25.0, "consider"), (50, 25.9, "consider"), (49, 20.0, "consider"),
    (50, 15.9, "excluded"), (50, 15.0, "excluded"), (35, 10.0, "excluded"),
    (51, 16.0, "excluded"), (51, 25.0, "excluded"), (70, 20.0, "excluded"),
])
@pytest.mark.parametrize("menopause", ["premenopausal", "postmenopausal", "unknown"])
def test_hr_chemo_node_negative_below_26_by_age(age, score, verdict, menopause):
    """TAILORx: below 26, some benefit only at 50 or younger with 16-25; decided by age, not by menopause."""
    got = check_risk("hr-early-chemo", assessment(tumour(n_category="N0", recurrence_score=score,
                                                         age_at_diagnosis=age), menopause=menopause))
    assert_verdict(got, verdict, None if verdict == "consider" else ())


def test_hr_chemo_node_negative_below_26_without_age_asks_for_it():
    got = check_risk("hr-early-chemo", assessment(tumour(positive_nodes=0, recurrence_score=20.0)))
    assert got.verdict == "unknown" and len(got.needs) == 1 and got.needs[0] != NODES_NEED
    assert got.evidence == tuple(EVIDENCE)


@pytest.mark.parametrize("menopause, verdict", [
    ("premenopausal", "fits"), ("suppressed", "fits"),      # before menopause (ovarian suppression included)
    ("postmenopausal", "excluded"),
    ("unknown", "unknown"),
])
@pytest.mark.parametrize("nodes, score", [(1, 25.0), (3, 25.9), (2, 0.0), ("N1", 12.0)])
def test_hr_chemo_one_to_three_nodes_below_26_by_menopause(menopause, verdict, nodes, score):
    """RxPONDER: 1-3 nodes and a score under 26: benefit before menopause, none after; unknown status asks."""
    facts = {"n_category": nodes} if isinstance(nodes, str) else {"positive_nodes": nodes}
    got = check_risk("hr-early-chemo", assessment(tumour(**facts, recurrence_score=score, age_at_diagnosis=60),
                                                  menopause=menopause))
    assert_verdict(got, verdict, None if verdict == "unknown" else ())


@pytest.mark.parametrize("facts, menopause, status, need", [
    ({"positive_nodes": 0}, "postmenopausal", "needs-test", RECURRENCE_SCORE_NEED),
    ({"positive_nodes": 2, "recurrence_score": 20.0}, "postmenopausal", None, None),
    ({"positive_nodes": 2, "recurrence_score": 20.0}, "suppressed", "applicable", None),
    ({"positive_nodes": 0, "recurrence_score": 20.0, "age_at_diagnosis": 45}, "premenopausal", "needs-review", None),
    ({"positive_nodes": 5}, "postmenopausal", "applicable", None),
])
def test_hr_chemo_verdict_reaches_the_option_row(facts, menopause, status, need):
    got = {o.id: o for o in options_for(assessment(tumour(**facts), menopause=menopause))}
    row = got.get("early-hr-chemotherapy")
    assert (row.status if row else None) == status
    if need:
        assert need in row.needs


# ---- Bone metastases, neratinib history -----------------------------------------------------------------------

def test_bone_metastases_recorded_fits_with_the_setting_evidence():
    a = assessment(sites=("liver", "bone"), setting="metastatic", setting_evidence=("Condition/met",))
    got = check_risk("bone-metastases", a)
    assert got.verdict == "fits" and got.needs == () and got.evidence == ("Condition/met",) and got.text


def test_other_sites_only_exclude_bone_agents():
    got = check_risk("bone-metastases", assessment(sites=("liver", "lung"), setting="metastatic"))
    assert got.verdict == "excluded" and got.needs == ()
    assert "liver" in got.text and "lung" in got.text


def test_no_site_recorded_asks_for_the_sites():
    got = check_risk("bone-metastases", assessment(setting="metastatic"))
    assert got.verdict == "unknown" and len(got.needs) == 1 and got.needs[0] and got.text


def _med(ingredient, status="completed", draft=False, rid="1"):
    return MedicationUse(f"MedicationRequest/{rid}", ingredient, None, None, status, draft=draft)


@pytest.mark.parametrize("status", ["active", "on-hold", "completed", "stopped", "in-progress"])
def test_neratinib_after_tdm1_is_considered(status):
    a = assessment(medications=[_med("trastuzumab", rid="0"), _med("ado-trastuzumab emtansine", status, rid="7")])
    got = check_risk("neratinib-history", a)
    assert got.verdict == "consider" and len(got.needs) == 1 and got.needs[0] and got.text
    assert got.evidence == ("MedicationRequest/7",)


@pytest.mark.parametrize("meds", [
    [], [_med("trastuzumab")], [_med("ado-trastuzumab emtansine", draft=True)],
    [_med("ado-trastuzumab emtansine", "cancelled")], [_med("ado-trastuzumab emtansine", "entered-in-error")],
    [_med("ado-trastuzumab emtansine", "draft")],
])
def test_neratinib_without_tdm1_given_fits(meds):
    got = check_risk("neratinib-history", assessment(medications=meds))
    assert got.verdict == "fits" and got.needs == () and got.evidence == () and got.text == ""   # no note to add


# ---- What the record shows, on every verdict ------------------------------------------------------------------

def test_text_states_the_recorded_facts():
    """The note on the option shows the recorded size, T, nodes, grade, Ki-67 and score (not a fixed sentence)."""
    got = check("natalee", size_mm=30.0, t_category="T2", positive_nodes=0, grade=2, ki67=25.0, recurrence_score=18.0)
    for fact in ("30 mm", "T2", "0 positive", "grade 2", "25%", "18"):
        assert fact in got.text, (fact, got.text)
    assert "N1" not in check("monarche", positive_nodes=5, n_category="N1").text   # the count is shown, not N
    assert "N2" in check("monarche", n_category="N2").text


@pytest.mark.parametrize("facts,group,trial", [
    ({"positive_nodes": 0}, "Node-negative", "TAILORx"), ({"n_category": "N0"}, "Node-negative", "TAILORx"),
    ({"positive_nodes": 1}, "One to three positive nodes", "RxPONDER"),
    ({"n_category": "N1"}, "One to three positive nodes", "RxPONDER"),
])
def test_hr_chemo_without_a_score_names_the_nodal_group_and_its_trial(facts, group, trial):
    """ASCO 2022 biomarker guideline: the recurrence score decides node-negative disease by TAILORx and 1-3 positive
    nodes by RxPONDER; the note says which group the record places the patient in."""
    got = check("hr-early-chemo", **facts)
    assert f"{group}: decide with the recurrence score ({trial})" in got.text, got.text


def test_text_says_when_no_tumour_fact_is_recorded():
    """With nothing recorded the note says so rather than an empty list."""
    got = check("hr-early-chemo")
    assert got.verdict == "unknown" and "no tumour size" in got.text and "Recorded: ." not in got.text, got.text
