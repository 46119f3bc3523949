"""Which option rows appear, and in what state, at each branch of cds_hooks.decision.options (issue 12).

What an integrator sees of an option is its presence, its status (applicable / depends-on-prior-therapy / needs-test /
needs-review), its ``needs`` and whether a caveat note is attached. These tests pin them branch by branch:
- menopausal and sex conditions per row rule (labels: Faslodex, Afinitor "postmenopausal women"; AI-based rows need
  ovarian suppression before menopause (P14); Orserdu "postmenopausal women or adult men"; adjuvant bisphosphonates
  after natural or induced menopause, EBCTCG 2015 / ASCO-OH 2022);
- gene results: a negative ctDNA (blood, plasma) result is followed by tissue testing (ASCO 2021 MBC update), a
  negative tissue result rules the targeted row out; ESR1 is acquired under endocrine therapy, so a negative result
  from before the latest progression asks for a retest (EMERALD; P13b);
- PD-L1 only on its own assay and measure, the newest score deciding, at the cutoffs (KEYNOTE-355: CPS >= 10 by 22C3;
  IMpassion130: SP142 IC >= 1 %);
- germline BRCA for olaparib (Lynparza label: deleterious germline variant);
- stage groups of KEYNOTE-522 (stage II-III), atezolizumab's region (no US indication) and the list-level caveats.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from cds_hooks.decision import options as options_module
from cds_hooks.decision.config import DecisionConfig
from cds_hooks.decision.model import Biomarker, ClinicalEvent, ReceptorFinding
from cds_hooks.decision.options import (
    ER_LOW_NEED, MENOPAUSE_NEED, PRE_TREATMENT_NEED, PROVISIONAL_NEED, STAGE_NEED, finding_state,
    latest_event_date, option_notes, options_for, parse_date,
)
from cds_hooks.knowledge.options import (
    ER_LOW_HER2_POSITIVE_NOTE, ER_LOW_NOTE, ER_LOW_PR_POSITIVE_NOTE, MALE_NOTE, OPTIONS, RESPONSE_EVALUATION_NOTE,
)

from test_options import ids, make_assessment  # same directory (pytest rootdir-relative import)


def rows(*args, config=None, **kw):
    a = make_assessment(*args, **kw)
    return ids(options_for(a, config or DecisionConfig()))


# ---- Menopausal and sex conditions ---------------------------------------------------------------------------

# (row, status) -> (shown?, asks menopausal status?, caveat note added?)
MENOPAUSE_CASES = {
    # AI + CDK4/6 (ai-based): kept for everyone; before menopause or in a man only with a GnRH agonist (note);
    # unknown status is asked for.
    ("met-ai-cdk46", "postmenopausal"): (True, False, False),
    ("met-ai-cdk46", "suppressed"): (True, False, True),
    ("met-ai-cdk46", "premenopausal"): (True, False, True),
    ("met-ai-cdk46", "male"): (True, False, True),
    ("met-ai-cdk46", "unknown"): (True, True, True),
    # Fulvestrant monotherapy (post): labelled for postmenopausal women.
    ("met-fulvestrant", "postmenopausal"): (True, False, False),
    ("met-fulvestrant", "suppressed"): (True, True, True),
    ("met-fulvestrant", "premenopausal"): (False, False, False),
    ("met-fulvestrant", "male"): (False, False, False),
    ("met-fulvestrant", "unknown"): (True, True, True),
    # Adjuvant bisphosphonate (post-or-suppressed): natural or induced menopause.
    ("early-adjuvant-bisphosphonate", "postmenopausal"): (True, False, False),
    ("early-adjuvant-bisphosphonate", "suppressed"): (True, False, False),
    ("early-adjuvant-bisphosphonate", "premenopausal"): (False, False, False),
    ("early-adjuvant-bisphosphonate", "male"): (False, False, False),
    ("early-adjuvant-bisphosphonate", "unknown"): (True, True, False),
    # Oral SERD (post-or-male): never removed, never asks; outside its label's words a note names them.
    ("met-oral-serd", "postmenopausal"): (True, False, False),
    ("met-oral-serd", "male"): (True, False, False),
    ("met-oral-serd", "suppressed"): (True, False, True),
    ("met-oral-serd", "premenopausal"): (True, False, True),
    ("met-oral-serd", "unknown"): (True, False, True),
}
ROW_SETTING = {"early-adjuvant-bisphosphonate": "early"}
ESR1 = [Biomarker("ESR1", "present", "somatic", specimen="ctDNA", evidence=["Observation/esr1"])]


@pytest.mark.parametrize("row,status", sorted(MENOPAUSE_CASES))
def test_menopausal_and_sex_condition_of_each_row_rule(row, status):
    shown, asks, noted = MENOPAUSE_CASES[(row, status)]
    setting = ROW_SETTING.get(row, "metastatic")
    got = rows("HR+/HER2-", setting, menopause=status, biomarkers=ESR1)
    assert (row in got) == shown
    if not shown:
        return
    baseline = rows("HR+/HER2-", setting, menopause="postmenopausal", biomarkers=ESR1)[row]
    assert (MENOPAUSE_NEED in got[row].needs) == asks
    assert (len(got[row].notes) > len(baseline.notes)) == noted, got[row].notes
    if asks and got[row].status != "depends-on-prior-therapy":
        assert got[row].status == "needs-review"


def test_ai_with_cdk46_on_ovarian_suppression_is_applicable():
    """A woman on a GnRH agonist is treated as postmenopausal for the AI-based row (P14): nothing to confirm."""
    option = rows("HR+/HER2-", "metastatic", menopause="suppressed")["met-ai-cdk46"]
    assert option.status == "applicable" and option.needs == []


# ---- Gene results (PIK3CA, PIK3CA/AKT1/PTEN, ESR1) -----------------------------------------------------------

@pytest.mark.parametrize("specimen,shown", [("ctDNA", True), ("CTDNA", True), ("blood", True), ("Plasma", True),
                                            ("plasma", True), ("tissue", False), (None, False)])
def test_negative_pik3ca_on_blood_asks_for_tissue_and_on_tissue_rules_out(specimen, shown):
    """ASCO 2021: a PIK3CA-negative ctDNA result should be followed by tissue testing; a negative tissue result (or one
    of unstated specimen) removes the alpelisib row."""
    got = rows("HR+/HER2-", "metastatic", biomarkers=[Biomarker("PIK3CA", "absent", "somatic", specimen=specimen)])
    assert ("met-alpelisib" in got) == shown
    if shown:
        assert got["met-alpelisib"].status == "needs-test"
        assert any("tissue" in n for n in got["met-alpelisib"].needs)


def test_negative_pik3ca_on_both_blood_and_tissue_rules_out():
    markers = [Biomarker("PIK3CA", "absent", specimen="ctDNA"), Biomarker("PIK3CA", "absent", specimen="tissue")]
    assert "met-alpelisib" not in rows("HR+/HER2-", "metastatic", biomarkers=markers)


def test_capivasertib_needs_all_three_genes_before_ruling_out():
    """Truqap: one or more PIK3CA/AKT1/PTEN alterations; a negative PIK3CA alone leaves AKT1 and PTEN to test, all three
    negative on tissue rule it out, all three negative on ctDNA ask for tissue."""
    state = finding_state(make_assessment(biomarkers=[Biomarker("PIK3CA", "absent", specimen="tissue")]),
                          "PIK3CA|AKT1|PTEN")
    assert state.state == "missing" and state.need == "AKT1/PTEN testing"
    tissue = [Biomarker(g, "absent", specimen="tissue", evidence=[f"Observation/{g}"]) for g in ("PIK3CA", "AKT1", "PTEN")]
    state = finding_state(make_assessment(biomarkers=tissue), "PIK3CA|AKT1|PTEN")
    assert state.state == "absent" and len(state.evidence) == 3
    blood = [Biomarker(g, "absent", specimen="plasma") for g in ("PIK3CA", "AKT1", "PTEN")]
    state = finding_state(make_assessment(biomarkers=blood), "PIK3CA|AKT1|PTEN")
    assert state.state == "missing" and "tissue" in state.need
    state = finding_state(make_assessment(biomarkers=[*tissue[:2], Biomarker("PTEN", "present",
                                                                             evidence=["Observation/pten"])]),
                          "PIK3CA|AKT1|PTEN")
    assert state.state == "present" and state.evidence == ("Observation/pten",)
    state = finding_state(make_assessment(), "PIK3CA|AKT1|PTEN")
    assert state.state == "missing" and state.need == "PIK3CA/AKT1/PTEN alteration testing"


@pytest.mark.parametrize("kind", ["metastasis", "recurrence"])
@pytest.mark.parametrize("tested,state", [("2025-03-01", "missing"), ("2025-03-02", "absent")])
def test_esr1_negative_before_a_metastasis_or_recurrence_asks_for_a_retest(kind, tested, state):
    """P13b (EMERALD design; ESR1 is acquired under endocrine therapy): a new metastasis or recurrence moves the
    disease on like a progression, so an ESR1-negative result from before it asks for a retest."""
    events = [ClinicalEvent(kind, "2025-03-02", kind, ["Condition/m"])]
    a = make_assessment(biomarkers=[Biomarker("ESR1", "absent", specimen="ctDNA", effective=tested)], events=events)
    result = finding_state(a, "ESR1")
    assert result.state == state
    assert ("met-oral-serd" in ids(options_for(a))) == (state == "missing")


@pytest.mark.parametrize("tested,progression,state", [
    ("2025-03-01", "2025-03-02", "missing"),      # tested the day before progression: retest
    ("2025-03-02", "2025-03-02", "absent"),       # tested on the day of progression
    ("2025-03-03", "2025-03-02", "absent"),
    ("2025-03-01", None, "absent"),               # no progression recorded
])
def test_esr1_negative_counts_only_from_the_latest_progression(tested, progression, state):
    """EMERALD design (P13b): an ESR1-negative result from before the latest progression does not rule the oral SERD
    out; it asks for a retest."""
    events = [ClinicalEvent("progression", progression, "Disease status: worsened", ["Observation/p"],
                            {"status": "worsened", "evidence_types": ["imaging"]})] if progression else []
    a = make_assessment(biomarkers=[Biomarker("ESR1", "absent", specimen="ctDNA", effective=tested)], events=events)
    result = finding_state(a, "ESR1")
    assert result.state == state
    if state == "missing":
        assert "retest" in result.need
    assert ("met-oral-serd" in ids(options_for(a))) == (state == "missing")


def test_marker_only_progression_does_not_date_progression():
    """Tumour markers alone do not define progression (P12; ASCO 2016)."""
    marker = ClinicalEvent("progression", "2025-06-01", "Disease status: worsened", ["Observation/m"],
                           {"status": "worsened", "evidence_types": ["tumor-marker"]})
    imaging = ClinicalEvent("metastasis", "2025-01-01", "Bone metastasis", ["Condition/b"], {})
    a = make_assessment(events=[marker, imaging])
    assert latest_event_date(a, ("progression", "metastasis")).isoformat() == "2025-01-01"
    assert latest_event_date(make_assessment(events=[marker]), ("progression",)) is None


@pytest.mark.parametrize("value,expected", [("2024-05-17", "2024-05-17"), ("2024-05-17T10:00:00Z", "2024-05-17"),
                                            ("2024-05", "2024-05-01"), ("2024", "2024-01-01"), ("garbage", None),
                                            ("", None), (None, None), (20240517, None)])
def test_parse_date_reads_fhir_partial_dates(value, expected):
    got = parse_date(value)
    assert (got.isoformat() if got else None) == expected


# ---- PD-L1 -------------------------------------------------------------------------------------------------------

def _pdl1(value, measure="CPS", assay="22C3", effective=None):
    return Biomarker("PD-L1", "present", value=value, measure=measure, assay=assay, effective=effective,
                     evidence=[f"Observation/pdl1-{value}"])


@pytest.mark.parametrize("value,shown", [(10, True), (9.9, False), (10.1, True)])
def test_pembrolizumab_cps_cutoff_is_ten(value, shown):
    got = rows("triple-negative", "metastatic", biomarkers=[_pdl1(value)])
    assert ("met-tnbc-pembrolizumab" in got) == shown
    if shown:
        assert got["met-tnbc-pembrolizumab"].status == "applicable"


@pytest.mark.parametrize("value,shown", [(1, True), (0.9, False)])
def test_atezolizumab_sp142_cutoff_is_one_percent(value, shown):
    got = rows("triple-negative", "metastatic", biomarkers=[_pdl1(value, "IC", "SP142")])
    assert ("met-tnbc-atezolizumab" in got) == shown


def test_newest_pd_l1_score_decides():
    older, newer = _pdl1(20, effective="2023-01-01"), _pdl1(5, effective="2024-06-01")
    assert "met-tnbc-pembrolizumab" not in rows("triple-negative", "metastatic", biomarkers=[older, newer])
    older, newer = _pdl1(5, effective="2023-01-01"), _pdl1(20, effective="2024-06-01")
    state = finding_state(make_assessment("triple-negative", biomarkers=[older, newer]), "PD-L1-CPS10-22C3")
    assert state.state == "present" and state.evidence == ("Observation/pdl1-20",)


def test_pd_l1_of_another_assay_asks_for_22c3_and_says_so():
    """P15: a score by another assay cannot establish KEYNOTE-355 eligibility: the row asks for CPS by 22C3 and a note
    says the recorded result cannot establish it; with no PD-L1 at all there is nothing to explain."""
    other = rows("triple-negative", "metastatic", biomarkers=[_pdl1(30, "TPS", None)])["met-tnbc-pembrolizumab"]
    none = rows("triple-negative", "metastatic")["met-tnbc-pembrolizumab"]
    assert other.status == none.status == "needs-test"
    assert "PD-L1 CPS by 22C3 assay" in other.needs and "PD-L1 CPS by 22C3 assay" in none.needs
    assert len(other.notes) == len(none.notes) + 1
    assert any("22C3" in n and n not in none.notes for n in other.notes)


@pytest.mark.parametrize("region,pdl1,pembro_status,atezo_shown", [
    ("US", [], "needs-test", False),
    ("us", [], "needs-test", False),
    ("", [], "needs-test", True),
    ("EU", [_pdl1(12)], "applicable", False),              # pembrolizumab applies: no SP142 test asked for
    ("EU", [_pdl1(12), _pdl1(2, "IC", "SP142")], "applicable", True),   # both established: both shown
])
def test_atezolizumab_where_it_helps(region, pdl1, pembro_status, atezo_shown):
    got = rows("triple-negative", "metastatic", biomarkers=pdl1, config=DecisionConfig(region=region))
    assert got["met-tnbc-pembrolizumab"].status == pembro_status
    assert ("met-tnbc-atezolizumab" in got) == atezo_shown


# ---- Germline BRCA ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("markers,state", [
    ([Biomarker("BRCA2", "present", "germline")], "present"),
    ([Biomarker("BRCA1", "present", "somatic")], "unconfirmed"),
    ([Biomarker("BRCA1", "present", "unknown")], "unconfirmed"),
    ([Biomarker("BRCA1", "absent", "germline")], "absent"),
    ([Biomarker("BRCA1", "absent", "somatic")], "missing"),
    ([], "missing"),
])
def test_gbrca_needs_a_germline_variant(markers, state):
    assert finding_state(make_assessment(biomarkers=markers), "gBRCA").state == state


def test_somatic_brca_asks_for_germline_confirmation_with_a_note():
    """Lynparza label: germline variant. A somatic variant keeps the row as needs-test, names the germline
    confirmation and says why; plain missing testing has no such note."""
    somatic = rows("triple-negative", "metastatic",
                   biomarkers=[Biomarker("BRCA1", "present", "somatic")])["met-parp-gbrca"]
    missing = rows("triple-negative", "metastatic")["met-parp-gbrca"]
    assert somatic.status == missing.status == "needs-test"
    assert "germline BRCA1/2 confirmation" in somatic.needs and "germline BRCA1/2 testing" in missing.needs
    assert len(somatic.notes) == len(missing.notes) + 1
    assert any("germline" in n and n not in missing.notes for n in somatic.notes)


def test_a_deferred_requirement_is_skipped_whether_missing_or_unconfirmed():
    """A requirement deferred until endocrine therapy (DESTINY-Breast06's ultralow re-scoring, like P8) is not asked
    for while no endocrine therapy is on record, whether the result is missing or only unconfirmed."""
    spec = replace(OPTIONS["met-parp-gbrca"], prior_therapy="", defer_until_endocrine_therapy=("gBRCA",))
    a = make_assessment("triple-negative", "metastatic", biomarkers=[Biomarker("BRCA1", "present", "somatic")])
    history = options_module.therapy_history(a)
    option = options_module._build(spec, a, [], [], review=False, history=history)
    assert option.status == "applicable" and option.needs == []
    option = options_module._build(spec, make_assessment("triple-negative", "metastatic"), [], [], review=False,
                                   history=history)
    assert option.status == "applicable" and option.needs == []


# ---- Stage groups, review needs and status precedence ------------------------------------------------------------

@pytest.mark.parametrize("stage,shown,asks", [("II", True, False), ("IIA", True, False), ("iiib", True, False),
                                             ("IIIC", True, False), ("I", False, False), ("IA", False, False),
                                             ("IV", False, False), (None, True, True), ("T2N1", True, True)])
def test_keynote522_covers_stage_two_and_three(stage, shown, asks):
    """KEYNOTE-522 (Keytruda label): high-risk early TNBC, stage II-III; an unreadable or absent stage is asked for."""
    got = rows("triple-negative", "early", setting_kw={"stage": stage})
    assert ("early-tnbc-keynote522" in got) == shown
    if shown:
        assert (STAGE_NEED in got["early-tnbc-keynote522"].needs) == asks
        assert got["early-tnbc-keynote522"].status == ("needs-review" if asks else "applicable")


def test_status_precedence_test_over_prior_therapy_over_review():
    """A missing test outranks an unsettled prior-therapy condition, which outranks a review need."""
    option = rows("HR+/HER2-", "metastatic", menopause="unknown")["met-everolimus-exemestane"]
    assert option.status == "depends-on-prior-therapy" and MENOPAUSE_NEED in option.needs
    option = rows("HR+/HER2-", "metastatic")["met-alpelisib"]
    assert option.status == "needs-test"
    assert any("PIK3CA" in n for n in option.needs) and any("endocrine" in n for n in option.needs)


def test_post_treatment_only_receptors_and_provisional_results_hold_every_option():
    er = ReceptorFinding("ER", "positive", 80.0, "percent", evidence=["Observation/er"], rule="post-treatment-only")
    for option in rows("HR+/HER2-", "early", er=er).values():
        assert PRE_TREATMENT_NEED in option.needs and option.status != "applicable", option.id
    er = ReceptorFinding("ER", "positive", 80.0, "percent", evidence=["Observation/er"], provisional=True)
    for option in rows("HR+/HER2-", "early", er=er).values():
        assert PROVISIONAL_NEED in option.needs and option.status != "applicable", option.id


def test_metastatic_setting_is_not_held_as_locally_advanced():
    got = rows("triple-negative", "metastatic", setting_kw={"locally_advanced": True})
    assert got["met-chemotherapy"].status == "applicable"
    assert not any(o.setting == "early" for o in got.values())


# ---- ER-low --------------------------------------------------------------------------------------------------

def test_er_low_modifier_alone_adds_tnbc_rows_and_the_list_note():
    """The ER-low modifier (ER 1-10 %) counts even when the receptor call reads 'positive': with PR negative the
    triple-negative rows come for discussion (b.4/b.6) and the list carries the ER-low caveat once."""
    pr = ReceptorFinding("PR", "negative", evidence=["Observation/pr"])
    a = make_assessment("HR+/HER2-", "metastatic", pr=pr, modifiers=["ER-low"])
    a.options = options_for(a)
    got = ids(a.options)
    assert ER_LOW_NEED in got["met-tnbc-sacituzumab"].needs
    assert got["met-tnbc-sacituzumab"].status != "applicable"
    assert ER_LOW_NOTE in option_notes(a)
    plain = make_assessment("HR+/HER2-", "metastatic", pr=pr)
    plain.options = options_for(plain)
    assert "met-tnbc-sacituzumab" not in ids(plain.options) and ER_LOW_NOTE not in option_notes(plain)


@pytest.mark.parametrize("subtype,pr_status,note", [
    ("HR+/HER2-", "negative", ER_LOW_NOTE), ("HR+/HER2-", "low-positive", ER_LOW_NOTE),
    ("HR+/HER2-", "unknown", ER_LOW_NOTE), ("HR+/HER2-", "positive", ER_LOW_PR_POSITIVE_NOTE),
    ("HR+/HER2+", "negative", ER_LOW_HER2_POSITIVE_NOTE),
])
def test_er_low_list_note_by_subtype_and_pr(subtype, pr_status, note):
    er = ReceptorFinding("ER", "low-positive", 5.0, "percent", evidence=["Observation/er"])
    a = make_assessment(subtype, "metastatic", er=er, pr=ReceptorFinding("PR", pr_status))
    a.options = options_for(a)
    notes = option_notes(a)
    assert note in notes
    assert len({ER_LOW_NOTE, ER_LOW_PR_POSITIVE_NOTE, ER_LOW_HER2_POSITIVE_NOTE} & set(notes)) == 1


@pytest.mark.parametrize("subtype,setting,male,expected", [
    ("HR+/HER2-", "metastatic", True, {MALE_NOTE, RESPONSE_EVALUATION_NOTE}),
    ("HR+/HER2+", "early", True, {MALE_NOTE}),
    ("triple-negative", "metastatic", True, {RESPONSE_EVALUATION_NOTE}),
    ("HR+/HER2-", "early", False, set()),
])
def test_list_notes_for_men_and_metastatic_lists(subtype, setting, male, expected):
    a = make_assessment(subtype, setting, menopause="male" if male else "postmenopausal")
    a.options = options_for(a)
    assert set(option_notes(a)) == expected
    a.options = []
    assert option_notes(a) == []


# ---- Tumour/site criteria (risk rules) as the option sees them ---------------------------------------------------

@pytest.mark.parametrize("sites,shown,status", [(["bone"], True, "applicable"), (["bone", "liver"], True, "applicable"),
                                               (["liver"], False, None), ([], True, "needs-review")])
def test_bone_modifying_agent_follows_the_recorded_sites(sites, shown, status):
    """ASCO-CCO 2017: bone-modifying agents for bone metastases; other sites only rule it out, no site recorded asks."""
    got = rows("triple-negative", "metastatic", setting_kw={"metastatic_sites": sites})
    assert ("met-bone-modifying-agent" in got) == shown
    if shown:
        option = got["met-bone-modifying-agent"]
        assert option.status == status
        assert (status == "needs-review") == any("sites of metastasis" in n for n in option.needs)


@pytest.mark.parametrize("verdict,needs,status,expected_needs", [
    ("fits", (), "applicable", []),
    ("test", ("21-gene recurrence score",), "needs-test", ["21-gene recurrence score"]),
    ("consider", ("tumour board",), "needs-review", ["tumour board"]),
    ("unknown", (), "needs-review", [options_module.RISK_NEED]),
    ("excluded", (), None, None),
])
def test_risk_verdicts_set_the_row_state(monkeypatch, verdict, needs, status, expected_needs):
    """How _build turns a risk rule's verdict into the row: excluded removes it, test asks for the test (needs-test),
    consider/unknown send it for review with what to review (the rule's needs, else the trial's criteria), and the
    rule's text is a note. The risk rules' own criteria are pinned in test_risk_*; here one stands in for them."""
    from cds_hooks.decision import risk
    monkeypatch.setitem(risk.RISK_RULES, "bone-metastases",
                        lambda a: risk.RiskCheck(verdict, f"record says {verdict}", needs))
    got = rows("triple-negative", "metastatic")
    if status is None:
        assert "met-bone-modifying-agent" not in got
        return
    option = got["met-bone-modifying-agent"]
    assert option.status == status and option.needs == expected_needs
    assert f"record says {verdict}" in option.notes


# ---- HER2 expression and residual disease as requirements ----------------------------------------------------

@pytest.mark.parametrize("expression,low_any,ultralow_any,low,low_or_ultralow", [
    ("low", False, False, "present", "present"),
    ("null", True, False, "present", "present"),           # ASCO/CAP 2023: a valid prior low sample counts
    ("ultralow", False, False, "absent", "present"),
    ("null", False, True, "absent", "present"),
    ("null", False, False, "absent", "absent"),
    ("zero-unspecified", False, False, "absent", "missing"),
    ("unknown", False, False, "missing", "missing"),
])
def test_her2_low_and_ultralow_requirements(expression, low_any, ultralow_any, low, low_or_ultralow):
    """DESTINY-Breast04 needs HER2-low (IHC 1+ or 2+/ISH-); DESTINY-Breast06 also takes ultralow; an IHC 0 not scored
    for ultralow vs null asks for re-scoring, an unknown score asks for the IHC score."""
    a = make_assessment("HR+/HER2-", her2_expression=expression)
    a.her2.low_on_any_sample, a.her2.ultralow_on_any_sample = low_any, ultralow_any
    assert finding_state(a, "HER2-low").state == low
    state = finding_state(a, "HER2-low-or-ultralow")
    assert state.state == low_or_ultralow and state.evidence == ("Observation/her2",)
    if low_or_ultralow == "missing":
        assert state.need


def test_residual_disease_and_unknown_requirement_keys():
    for residual, state in ((True, "present"), (False, "absent"), (None, "missing")):
        a = make_assessment("HR-/HER2+", "early", setting_kw={"residual_disease": residual, "evidence": ["Procedure/s"]})
        result = finding_state(a, "residual-disease")
        assert result.state == state
        assert result.evidence == (() if residual is None else ("Procedure/s",))
    with pytest.raises(KeyError):
        finding_state(make_assessment(), "no-such-requirement")


# ---- Men ---------------------------------------------------------------------------------------------------------

def test_a_mans_row_names_the_male_treatment_and_cites_the_male_guideline():
    """ASCO male breast cancer guideline: the AI-based row in a man reads as the male regimen (GnRH agonist with an AI,
    or fulvestrant) and cites that guideline; a woman's row keeps the table's wording and sources."""
    from cds_hooks.knowledge.options import MALE_WORDING
    man = rows("HR+/HER2-", "metastatic", menopause="male")["met-ai-cdk46"]
    woman = rows("HR+/HER2-", "metastatic")["met-ai-cdk46"]
    condition, agents = MALE_WORDING["met-ai-cdk46"]
    assert man.condition == condition and man.agents == list(agents)
    assert woman.condition == OPTIONS["met-ai-cdk46"].condition and woman.agents == list(OPTIONS["met-ai-cdk46"].agents)
    assert "asco-male-bc" in {s.id for s in man.sources} and "asco-male-bc" not in {s.id for s in woman.sources}
    fulvestrant_row = rows("HR+/HER2-", "metastatic", menopause="male").get("met-datopotamab")
    assert fulvestrant_row is not None and "asco-male-bc" not in {s.id for s in fulvestrant_row.sources}


# ---- ER-negative/PR-positive, ER-low with HER2-positive disease, locally advanced disease ---------------------------

ENDOCRINE_ROWS = {"met-ai-cdk46", "met-oral-serd", "met-everolimus-exemestane", "met-fulvestrant",
                  "met-endocrine-first"}


@pytest.mark.parametrize("pr_status", ["positive", "low-positive"])
def test_er_negative_pr_positive_from_the_receptor_calls(pr_status):
    """P1 (ASCO/CAP 2020 Rec 2.2): ER-negative with PR positive (or low) holds every row for an ER re-check even without
    the modifier; only the endocrine rows carry the note that endocrine therapy remains an option."""
    from cds_hooks.decision.options import ER_NEG_PR_POS_NEED
    from cds_hooks.knowledge.options import ER_NEG_PR_POS_NOTE
    er = ReceptorFinding("ER", "negative", 0.0, "percent", evidence=["Observation/er"])
    pr = ReceptorFinding("PR", pr_status, 30.0, "percent", evidence=["Observation/pr"])
    got = rows("HR+/HER2-", "metastatic", er=er, pr=pr, biomarkers=ESR1)
    assert all(ER_NEG_PR_POS_NEED in o.needs and o.status != "applicable" for o in got.values())
    for row in ENDOCRINE_ROWS:
        assert ER_NEG_PR_POS_NOTE in got[row].notes, row
    for row in ("met-chemotherapy", "met-datopotamab", "met-sacituzumab-hr"):
        assert ER_NEG_PR_POS_NOTE not in got[row].notes, row


def test_er_negative_pr_negative_is_not_the_er_pr_discordance():
    from cds_hooks.decision.options import ER_NEG_PR_POS_NEED
    got = rows("triple-negative", "metastatic")
    assert not any(ER_NEG_PR_POS_NEED in o.needs for o in got.values())


def test_er_low_her2_positive_gets_no_triple_negative_rows():
    """b.4/b.6: the TNBC-like comparison is for ER-low HER2-negative disease; ER-low HER2-positive disease is compared
    with HR-negative HER2-positive care, not offered triple-negative rows."""
    er = ReceptorFinding("ER", "low-positive", 5.0, "percent", evidence=["Observation/er"])
    got = rows("HR+/HER2+", "metastatic", er=er, pr=ReceptorFinding("PR", "negative"), modifiers=["ER-low"])
    assert not any(row.startswith("met-tnbc-") for row in got)


def test_locally_advanced_disease_holds_only_the_metastatic_rows():
    """P19: stage III without M1 keeps the early rows as they are; metastatic rows wait for the clinician to confirm
    advanced (unresectable) disease."""
    from cds_hooks.decision.options import LOCALLY_ADVANCED_NEED
    got = rows("triple-negative", "early", setting_kw={"locally_advanced": True, "stage": "IIIB"})
    early_rows = [o for o in got.values() if o.setting == "early"]
    metastatic_rows = [o for o in got.values() if o.setting == "metastatic"]
    assert early_rows and metastatic_rows
    assert not any(LOCALLY_ADVANCED_NEED in o.needs for o in early_rows)
    assert all(LOCALLY_ADVANCED_NEED in o.needs and o.status != "applicable" for o in metastatic_rows)
    assert got["early-tnbc-keynote522"].status == "applicable"


def test_atezolizumab_stays_when_pembrolizumab_is_ruled_out():
    """CPS below 10 by 22C3 rules pembrolizumab out; atezolizumab (SP142, outside the US) is then still asked for."""
    got = rows("triple-negative", "metastatic", biomarkers=[_pdl1(5)])
    assert "met-tnbc-pembrolizumab" not in got
    assert got["met-tnbc-atezolizumab"].status == "needs-test"


def test_latest_event_is_the_newest_worsening():
    events = [ClinicalEvent("metastasis", "2024-01-01", "m", ["Condition/m"], {}),
              ClinicalEvent("recurrence", "2025-02-01", "r", ["Condition/r"], {}),
              ClinicalEvent("progression", None, "p", ["Observation/p"], {"evidence_types": ["imaging"]})]
    a = make_assessment(events=events)
    assert latest_event_date(a, ("metastasis", "recurrence", "progression")).isoformat() == "2025-02-01"
    assert latest_event_date(a, ("metastasis",)).isoformat() == "2024-01-01"


def test_marker_names_and_pd_l1_labels_are_read_case_blind():
    """Gene and PD-L1 labels arrive in any case from lab systems; a PD-L1 result without a number cannot meet a
    cutoff and leaves the requirement unconfirmed."""
    a = make_assessment(biomarkers=[Biomarker("pik3ca", "present", evidence=["Observation/pik"])])
    assert finding_state(a, "PIK3CA").state == "present"
    lower = Biomarker("pd-l1", "present", value=15, measure="cps", assay="22c3", evidence=["Observation/l"])
    assert finding_state(make_assessment("triple-negative", biomarkers=[lower]), "PD-L1-CPS10-22C3").state == "present"
    unscored = Biomarker("PD-L1", "present", value=None, measure="CPS", assay="22C3", evidence=["Observation/u"])
    state = finding_state(make_assessment("triple-negative", biomarkers=[unscored]), "PD-L1-CPS10-22C3")
    assert state.state == "unconfirmed" and state.evidence == ("Observation/u",) and state.need


def test_undated_esr1_negative_with_a_progression_asks_for_a_retest():
    """Without a date the negative ESR1 result cannot be shown to post-date the progression (EMERALD; P13b)."""
    event = ClinicalEvent("progression", "2025-03-02", "Disease status: worsened", ["Observation/p"],
                          {"status": "worsened", "evidence_types": ["imaging"]})
    a = make_assessment(biomarkers=[Biomarker("ESR1", "absent", specimen="tissue", evidence=["Observation/esr1"])],
                        events=[event])
    state = finding_state(a, "ESR1")
    assert state.state == "missing" and state.evidence == ("Observation/esr1",) and "retest" in state.need
