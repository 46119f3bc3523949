"""Options by subtype and setting (clinical-knowledge.md b.6 over table c), from assessment facts."""
from __future__ import annotations

import pytest

from cds_hooks.decision.model import (
    Assessment, Biomarker, Her2Finding, ReceptorFinding, SettingFinding,
)
from cds_hooks.decision.options import finding_state, option_notes, options_for
from cds_hooks.knowledge.options import OPTIONS, OPTIONS_TABLE
from cds_hooks.knowledge.sources import SOURCES

SUBTYPE_FACTS = {
    "HR+/HER2-": ("positive", "positive", "positive", "negative", "low"),
    "HR+/HER2+": ("positive", "positive", "positive", "positive", "positive"),
    "HR-/HER2+": ("negative", "negative", "negative", "positive", "positive"),
    "triple-negative": ("negative", "negative", "negative", "negative", "low"),
    "indeterminate": ("unknown", "unknown", "unknown", "equivocal", "unknown"),
}


def make_assessment(subtype="HR+/HER2-", setting="metastatic", *, menopause="postmenopausal", er=None, pr=None,
                    her2_expression=None, biomarkers=(), medications=(), modifiers=(), **kw) -> Assessment:
    hr, er_status, pr_status, her2_status, expression = SUBTYPE_FACTS[subtype]
    return Assessment(
        patient="p1", subtype=subtype, hr=hr,
        er=er or ReceptorFinding("ER", er_status, 80.0 if er_status == "positive" else 0.0, "percent",
                                 evidence=["Observation/er"]),
        pr=pr or ReceptorFinding("PR", pr_status, evidence=["Observation/pr"]),
        her2=Her2Finding(her2_status, her2_expression or expression, evidence=["Observation/her2"]),
        setting=SettingFinding(setting, **kw.pop("setting_kw", {})), knowledge_version="test",
        menopausal_status=menopause, biomarkers=list(biomarkers), medications=list(medications),
        modifiers=list(modifiers), **kw)


def ids(options):
    return {o.id: o for o in options}


def test_option_table_rows_cite_known_sources():
    """Every option row cites at least one source, and every cited id is in the catalogue."""
    for spec in OPTIONS_TABLE:
        assert spec.sources, spec.id
        for source in spec.sources:
            assert source in SOURCES, (spec.id, source)


def test_indeterminate_subtype_has_no_options():
    """No options are offered while the subtype is indeterminate (never guess)."""
    assert options_for(make_assessment("indeterminate")) == []


@pytest.mark.parametrize("subtype,setting,present,absent", [
    ("HR+/HER2-", "early", {"early-endocrine", "early-abemaciclib", "early-ribociclib", "early-et-after-chemo"},
     {"met-ai-cdk46", "early-her2-chemo-trastuzumab", "early-tnbc-keynote522"}),
    ("HR+/HER2-", "metastatic", {"met-ai-cdk46", "met-endocrine-first", "met-datopotamab", "met-sacituzumab-hr",
                                 "met-fulvestrant", "met-everolimus-exemestane"},
     {"early-endocrine", "met-her2-1l", "met-tnbc-sacituzumab"}),
    ("HR+/HER2+", "early", {"early-endocrine", "early-her2-chemo-trastuzumab", "early-neratinib-extended"},
     {"early-abemaciclib", "early-tnbc-keynote522"}),
    ("HR+/HER2+", "metastatic", {"met-her2-1l", "met-her2-tdxd-2l", "met-her2-later", "met-endocrine-first",
                                 "met-hrpos-her2pos-endocrine"}, {"met-ai-cdk46", "met-tdxd-db06"}),
    ("HR-/HER2+", "metastatic", {"met-her2-1l", "met-her2-tdxd-2l", "met-her2-later"},
     {"met-endocrine-first", "met-hrpos-her2pos-endocrine", "met-chemotherapy"}),
    ("triple-negative", "early", {"early-tnbc-keynote522"}, {"early-endocrine", "early-her2-chemo-trastuzumab"}),
    ("triple-negative", "metastatic", {"met-tnbc-sacituzumab", "met-chemotherapy", "met-tdxd-db04"},
     {"met-endocrine-first", "met-ai-cdk46", "met-tdxd-db06", "met-her2-1l"}),
])
def test_options_by_subtype_and_setting(subtype, setting, present, absent):
    """Each subtype x setting lists its own rows of table c and none of another subtype's."""
    got = ids(options_for(make_assessment(subtype, setting)))
    assert present <= got.keys(), present - got.keys()
    assert not (absent & got.keys()), absent & got.keys()


@pytest.mark.parametrize("option_id,biomarkers,status,need_fragment", [
    ("met-alpelisib", [], "needs-test", "PIK3CA"),
    # Mutation accepted; with no treatment history the label's progression on endocrine therapy is not established.
    ("met-alpelisib", [Biomarker("PIK3CA", "present", "somatic", evidence=["Observation/pik"])],
     "depends-on-prior-therapy", "endocrine therapy"),
    ("met-alpelisib", [Biomarker("PIK3CA", "absent", "somatic", specimen="tissue")], None, None),
    ("met-alpelisib", [Biomarker("PIK3CA", "absent", "somatic", specimen="ctDNA")], "needs-test", "tissue"),
    ("met-capivasertib", [Biomarker("PIK3CA", "absent", specimen="tissue")], "needs-test", "AKT1/PTEN"),
    # The alteration is accepted (no test asked); with no treatment history the label's prior endocrine therapy is not
    # established (Truqap label), so the row waits on it.
    ("met-capivasertib", [Biomarker("AKT1", "present")], "depends-on-prior-therapy", "endocrine therapy"),
    ("met-oral-serd", [], "needs-test", "ESR1"),
    ("met-oral-serd", [Biomarker("ESR1", "present", "somatic", specimen="ctDNA")], "depends-on-prior-therapy",
     "line of endocrine therapy"),
    ("met-parp-gbrca", [], "needs-test", "germline BRCA"),
    ("met-parp-gbrca", [Biomarker("BRCA1", "present", "somatic")], "needs-test", "germline"),
    # Germline variant accepted; with no treatment history the olaparib label's earlier chemotherapy is not established.
    ("met-parp-gbrca", [Biomarker("BRCA2", "present", "germline")], "depends-on-prior-therapy", "chemotherapy"),
    ("met-parp-gbrca", [Biomarker("BRCA1", "absent", "germline")], None, None),
])
def test_options_needing_a_finding(option_id, biomarkers, status, need_fragment):
    """An option whose finding is missing is 'needs-test' with the test named; a negative test removes it."""
    got = ids(options_for(make_assessment("HR+/HER2-", "metastatic", biomarkers=biomarkers)))
    if status is None:
        assert option_id not in got
        return
    assert got[option_id].status == status
    if need_fragment:
        assert any(need_fragment in n for n in got[option_id].needs), got[option_id].needs
    else:
        assert got[option_id].needs == []


@pytest.mark.parametrize("biomarkers,status", [
    ([], "needs-test"),
    ([Biomarker("PD-L1", "present", value=12, measure="CPS", assay="22C3")], "applicable"),
    ([Biomarker("PD-L1", "present", value=5, measure="CPS", assay="22C3")], None),
    ([Biomarker("PD-L1", "present", value=5, measure="IC", assay="SP142")], "needs-test"),
    ([Biomarker("PD-L1", "present", value=30, measure="TPS")], "needs-test"),
])
def test_pembrolizumab_needs_cps_by_22c3(biomarkers, status):
    """Metastatic TNBC pembrolizumab applies only with CPS >= 10 by 22C3; other PD-L1 measures ask for it."""
    got = ids(options_for(make_assessment("triple-negative", "metastatic", biomarkers=biomarkers)))
    if status is None:
        assert "met-tnbc-pembrolizumab" not in got
    else:
        assert got["met-tnbc-pembrolizumab"].status == status


def test_atezolizumab_carries_regional_note():
    """Atezolizumab is listed with the note that it is EMA/Health Canada only."""
    pdl1 = [Biomarker("PD-L1", "present", value=2, measure="IC", assay="SP142")]
    option = ids(options_for(make_assessment("triple-negative", "metastatic", biomarkers=pdl1)))["met-tnbc-atezolizumab"]
    assert option.status == "applicable"
    assert any("EMA" in n and "Health Canada" in n for n in option.notes)


# Without any treatment history both T-DXd rows wait for prior therapy (DESTINY-Breast06: endocrine therapy
# for metastatic disease; DESTINY-Breast04: chemotherapy), once HER2 expression lets them be offered at all.
@pytest.mark.parametrize("expression,low_any,db06,db04", [
    ("low", False, "depends-on-prior-therapy", "depends-on-prior-therapy"),
    ("ultralow", False, "depends-on-prior-therapy", None),
    ("null", False, None, None),
    ("null", True, "depends-on-prior-therapy", "depends-on-prior-therapy"),
    # The ultralow re-scoring (and the IHC score) is not asked for the DESTINY-Breast06 row before endocrine therapy
    # for metastatic disease is on record: the ultralow indication does not exist yet (issue 13 section 4).
    ("zero-unspecified", False, "depends-on-prior-therapy", None),
    ("unknown", False, "depends-on-prior-therapy", "needs-test"),
])
def test_tdxd_options_follow_her2_expression(expression, low_any, db06, db04):
    """T-DXd rows follow HER2-low/ultralow expression, counting a low result on any sample (ASCO/CAP 2023)."""
    a = make_assessment("HR+/HER2-", "metastatic", her2_expression=expression)
    a.her2.low_on_any_sample = low_any
    got = ids(options_for(a))
    assert (got["met-tdxd-db06"].status if "met-tdxd-db06" in got else None) == db06
    assert (got["met-tdxd-db04"].status if "met-tdxd-db04" in got else None) == db04


@pytest.mark.parametrize("menopause,option_id,expected", [
    ("postmenopausal", "met-ai-cdk46", "applicable"),
    ("premenopausal", "met-ai-cdk46", "applicable"),
    ("male", "met-ai-cdk46", "applicable"),
    ("unknown", "met-ai-cdk46", "needs-review"),
    ("premenopausal", "met-fulvestrant", None),
    ("male", "met-everolimus-exemestane", None),
    # Unknown menopause is still named in needs; no letrozole/anastrozole failure is on record (BOLERO-2).
    ("unknown", "met-everolimus-exemestane", "depends-on-prior-therapy"),
    ("male", "met-oral-serd", "needs-test"),
])
def test_menopausal_and_sex_conditions(menopause, option_id, expected):
    """Labels restricted by menopause or sex are filtered, noted or sent for review."""
    got = ids(options_for(make_assessment("HR+/HER2-", "metastatic", menopause=menopause)))
    assert (got[option_id].status if option_id in got else None) == expected


def test_premenopausal_ai_option_names_ovarian_suppression():
    """A premenopausal patient's AI + CDK4/6i option says it needs ovarian suppression."""
    option = ids(options_for(make_assessment(menopause="premenopausal")))["met-ai-cdk46"]
    assert any("ovarian" in n.lower() for n in option.notes)


def test_er_low_keeps_endocrine_and_adds_tnbc_like_review():
    """ER-low HR+/HER2- keeps endocrine options and adds TNBC options for review; the ER-low caveat is said once
    for the list (option_notes; issue 13 section 5), not under each option."""
    a = make_assessment("HR+/HER2-", "early", er=ReceptorFinding("ER", "low-positive", 5.0, "percent"),
                        pr=ReceptorFinding("PR", "negative", 0.0, "percent"), modifiers=["ER-low"])
    a.options = options_for(a)
    got = ids(a.options)
    assert got["early-endocrine"].status in ("applicable", "needs-review")
    assert any("ER-low" in n for n in option_notes(a))
    assert got["early-tnbc-keynote522"].status == "needs-review"


def test_unknown_setting_returns_both_settings_for_review():
    """With the setting unknown, early and metastatic rows are both listed, all needing review."""
    got = options_for(make_assessment("HR+/HER2-", "unknown"))
    assert {o.setting for o in got} == {"early", "metastatic"}
    assert all(o.status in ("needs-review", "needs-test", "depends-on-prior-therapy") for o in got)
    assert all(any("setting" in n for n in o.needs) for o in got)


def test_locally_advanced_holds_metastatic_rows_for_confirmation():
    """Locally advanced disease lists metastatic rows only as needs-review (P19)."""
    a = make_assessment("HR+/HER2-", "early", setting_kw={"locally_advanced": True})
    got = ids(options_for(a))
    assert got["early-endocrine"].status == "applicable"
    assert got["met-ai-cdk46"].status == "needs-review"


def test_residual_disease_decides_post_neoadjuvant_rows():
    """T-DM1 for residual disease applies with residual disease, asks when unknown, drops when none."""
    for residual, expected in ((True, "applicable"), (None, "needs-test"), (False, None)):
        got = ids(options_for(make_assessment("HR-/HER2+", "early", setting_kw={"residual_disease": residual})))
        assert (got["early-tdm1-residual"].status if "early-tdm1-residual" in got else None) == expected


def test_provisional_results_send_options_for_review():
    """Options resting on a preliminary result are not 'applicable'."""
    a = make_assessment("HR+/HER2-", "early")
    a.er.provisional = True
    got = options_for(a)
    assert got and all(o.status != "applicable" for o in got)


def test_esr1_negative_before_progression_asks_for_retest():
    """An ESR1-negative result older than the latest progression does not rule out the oral SERD."""
    from cds_hooks.decision.model import ClinicalEvent
    a = make_assessment(biomarkers=[Biomarker("ESR1", "absent", effective="2024-01-01")],
                        events=[ClinicalEvent("progression", "2025-06-01", "progression")])
    assert finding_state(a, "ESR1").state == "missing"
    assert ids(options_for(a))["met-oral-serd"].status == "needs-test"


def test_every_option_row_reachable():
    """Each row of table c is offered for at least one subtype x setting (no dead rows)."""
    reached = set()
    for subtype in ("HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative"):
        for setting in ("early", "metastatic"):
            a = make_assessment(subtype, setting, setting_kw={"residual_disease": True}, biomarkers=[
                Biomarker("BRCA1", "present", "germline"), Biomarker("PIK3CA", "present"),
                Biomarker("ESR1", "present"), Biomarker("PD-L1", "present", value=20, measure="CPS", assay="22C3"),
                Biomarker("PD-L1", "present", value=5, measure="IC", assay="SP142")])
            reached |= {o.id for o in options_for(a)}
    assert reached == set(OPTIONS)


def test_er_low_with_positive_pr_gets_note_but_no_tnbc_rows():
    """ER-low with PR clearly positive keeps the ER-low caveat (once, for the list) but is not offered TNBC-type
    rows (b.4), and the caveat does not speak of them."""
    a = make_assessment("HR+/HER2-", "early", er=ReceptorFinding("ER", "low-positive", 5.0, "percent"),
                        pr=ReceptorFinding("PR", "positive", 60.0, "percent"), modifiers=["ER-low"])
    a.options = options_for(a)
    got = ids(a.options)
    (note,) = option_notes(a)
    assert "ER-low" in note and "triple-negative" not in note
    assert "early-tnbc-keynote522" not in got


def test_er_negative_pr_positive_options_wait_for_er_recheck():
    """ER-/PR+ keeps HR+ provisional: its options need an ER re-check before they are 'applicable' (P1)."""
    a = make_assessment("HR+/HER2-", "early", er=ReceptorFinding("ER", "negative", 0.0, "percent"),
                        pr=ReceptorFinding("PR", "positive", 40.0, "percent"), modifiers=["ER-/PR+"])
    got = options_for(a)
    assert got and all(o.status != "applicable" for o in got)
    assert all(any("re-check of ER" in n for n in o.needs) for o in got)
