"""Drug-cannot-work conflicts (``pitfalls.medication_alerts``): every branch, severity, ``order=`` link, evidence
list and offered test, for drugs on the chart and drafted in an order.

Rules and their sources (cds_hooks/knowledge/pitfalls.py names them per code):
- endocrine therapy needs ER or PR expression (ASCO/CAP 2020 ER/PR): critical when HR-negative, a warning when
  ER/PR status is not established (offers an ER % test, LOINC 85329-1);
- HER2-targeted drugs need HER2-positive disease (ASCO/CAP 2018): critical when HER2-negative, a warning when
  equivocal (offers ISH, LOINC 85318-4) or unknown (offers IHC, LOINC 85319-2);
- T-DXd (DESTINY-Breast04/06, FDA label): HER2-low in any HR status, HER2-ultralow only when HR-positive;
- P14: an aromatase inhibitor without ovarian suppression in a premenopausal woman, or under 60 with menopausal
  status not established (NCCN); in a man without a GnRH agonist (ASCO male breast cancer guideline);
- P16: a PARP inhibitor needs a germline BRCA1/2 variant (OlympiAD/EMBRACA labels);
- P20: elacestrant needs ESR1, alpelisib/inavolisib PIK3CA, capivasertib PIK3CA/AKT1/PTEN (FDA labels);
- P11: endocrine therapy or a CDK4/6 inhibitor given at the same time as chemotherapy (SWOG-8814); a drug ending
  the day the other starts overlaps it (FHIR Period.end includes its day), a one-day gap does not.
A draft order carries ``order=`` (the card offers to delete it); a chart drug does not.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig
from cds_hooks.decision.model import Biomarker, Her2Finding, MedicationUse, ReceptorFinding
from cds_hooks.decision.pitfalls import MISSING_TESTS, find_pitfalls, make_alert, medication_alerts
from cds_hooks.knowledge.pitfalls import PITFALLS

from test_options import make_assessment  # same directory (pytest rootdir-relative import)

CFG = DecisionConfig(today=date(2026, 11, 1))
DRAFT = "MedicationRequest/d"


def drug(ref, ingredient, cls, status="active", start=None, end=None, draft=False, display=None):
    return MedicationUse(f"MedicationRequest/{ref}", ingredient, None, cls, status, display=display, start=start,
                         end=end, draft=draft)


def draft(ingredient, cls, **kw):
    return drug("d", ingredient, cls, status="draft", draft=True, **kw)


def check(a, med, *others):
    """The conflicts of ``med`` with the other active or draft drugs (the order-select / patient-view context)."""
    return medication_alerts(a, med, [med, *others])


def only(alerts, code):
    got = [x for x in alerts if x.code == code]
    assert len(got) == 1, [(x.code, x.title) for x in alerts]
    return got[0]


def source_ids(alert):
    return {s.id for s in alert.sources}


# ---- the alert builder -------------------------------------------------------------------------------------------

def test_make_alert_takes_the_table_row_and_cleans_evidence():
    """An alert carries its table row's topic, wording, severity and sources; evidence keeps each reference once,
    in order, without empty ones; extra sources are added once."""
    spec = PITFALLS["P11"]
    got = make_alert("P11", ["A/1", None, "", "A/2", "A/1"], extra_sources=("esmo-abc5-2020", spec.sources[0]))
    assert (got.code, got.topic, got.title, got.message, got.action, got.severity) == (
        "P11", spec.topic, spec.title, spec.message, spec.action, spec.severity)
    assert got.evidence == ["A/1", "A/2"]
    assert got.order is None and got.missing_test is None
    ids = [s.id for s in got.sources]
    assert "esmo-abc5-2020" in ids and len(ids) == len(set(ids))


def test_make_alert_variant_may_lower_but_never_raise_severity():
    """A variant of a critical conflict may be a warning; a warning pitfall can never be made critical."""
    assert make_alert("endocrine-for-hr-negative", severity="warning").severity == "warning"
    assert make_alert("endocrine-for-hr-negative", severity="critical").severity == "critical"
    assert make_alert("P11", severity="warning").severity == "warning"
    with pytest.raises(ValueError):
        make_alert("P11", severity="critical")


def test_make_alert_passes_order_and_missing_test_through():
    got = make_alert("P3", order=DRAFT, missing_test=MISSING_TESTS["er-percent"], title="t", message="m", action="x")
    assert (got.order, got.missing_test, got.title, got.message, got.action) == (
        DRAFT, MISSING_TESTS["er-percent"], "t", "m", "x")


def test_missing_tests_use_the_verified_loinc_codes():
    """HER2 ISH 85318-4, HER2 IHC 85319-2, ER % 85329-1 (clinical-knowledge a.1/a.2); the rest our own system."""
    assert (MISSING_TESTS["her2-ish"]["system"], MISSING_TESTS["her2-ish"]["code"]) == ("http://loinc.org", "85318-4")
    assert (MISSING_TESTS["her2-ihc"]["system"], MISSING_TESTS["her2-ihc"]["code"]) == ("http://loinc.org", "85319-2")
    assert (MISSING_TESTS["er-percent"]["system"], MISSING_TESTS["er-percent"]["code"]) == ("http://loinc.org",
                                                                                          "85329-1")
    for key in ("germline-brca", "esr1", "pik3ca", "pik3ca-akt1-pten", "her2-ultralow-rescore"):
        assert MISSING_TESTS[key]["system"] == "urn:receptor-cds:test"


# ---- which drug ---------------------------------------------------------------------------------------------------

def test_unclassified_drug_raises_nothing():
    a = make_assessment("triple-negative", "metastatic")
    assert check(a, draft("mystery", None)) == []


@pytest.mark.parametrize("ingredient,display,named", [("tamoxifen", "Nolvadex 20 mg", "tamoxifen"),
                                                     (None, "Nolvadex 20 mg", "Nolvadex 20 mg"),
                                                     (None, None, "this drug")])
def test_the_alert_names_the_drug(ingredient, display, named):
    """The card names the drug by ingredient, else by its recorded display, else generically."""
    a = make_assessment("triple-negative", "metastatic")
    got = only(check(a, draft(ingredient, "serm", display=display)), "endocrine-for-hr-negative")
    assert got.title.startswith(named)


# ---- endocrine therapy and HR status ----------------------------------------------------------------------------

@pytest.mark.parametrize("is_draft", [True, False])
def test_endocrine_for_hr_negative_is_critical_with_receptor_evidence(is_draft):
    a = make_assessment("triple-negative", "metastatic")
    med = draft("tamoxifen", "serm") if is_draft else drug("d", "tamoxifen", "serm")
    alerts = check(a, med)
    assert [x.code for x in alerts] == ["endocrine-for-hr-negative"]
    got = alerts[0]
    assert got.severity == "critical"
    assert got.evidence == [DRAFT, "Observation/er", "Observation/pr"]
    assert got.order == (DRAFT if is_draft else None)
    assert got.missing_test is None
    assert "tamoxifen" in got.title


def test_endocrine_with_hr_status_not_established_is_a_warning_offering_er_percent():
    a = make_assessment("indeterminate", "metastatic")
    got = only(check(a, draft("tamoxifen", "serm")), "endocrine-for-hr-negative")
    assert got.severity == "warning"
    assert got.order == DRAFT
    assert got.missing_test == MISSING_TESTS["er-percent"]
    assert got.evidence == [DRAFT, "Observation/er", "Observation/pr"]
    assert "tamoxifen" in got.title and got.title != PITFALLS["endocrine-for-hr-negative"].title
    assert got.message != PITFALLS["endocrine-for-hr-negative"].message
    assert got.action != PITFALLS["endocrine-for-hr-negative"].action


def test_endocrine_for_hr_positive_is_no_conflict():
    a = make_assessment("HR+/HER2-", "metastatic")
    assert check(a, draft("tamoxifen", "serm")) == []


# ---- HER2-targeted drugs ---------------------------------------------------------------------------------------

def test_anti_her2_for_her2_negative_is_critical():
    a = make_assessment("HR+/HER2-", "metastatic")
    alerts = check(a, draft("trastuzumab", "anti-her2-antibody"))
    assert [x.code for x in alerts] == ["anti-her2-for-her2-negative"]
    got = alerts[0]
    assert (got.severity, got.order, got.missing_test) == ("critical", DRAFT, None)
    assert got.evidence == [DRAFT, "Observation/her2"]
    assert "trastuzumab" in got.title


@pytest.mark.parametrize("status,test", [("equivocal", "her2-ish"), ("unknown", "her2-ihc")])
def test_anti_her2_with_her2_not_established_is_a_warning_offering_the_next_test(status, test):
    """HER2 IHC 2+ without ISH: order the reflex ISH; no HER2 result: order the IHC (ASCO/CAP 2018)."""
    a = make_assessment("HR+/HER2-", "metastatic")
    a.her2 = Her2Finding(status, "unknown", evidence=["Observation/her2"])
    got = only(check(a, draft("trastuzumab", "anti-her2-antibody")), "anti-her2-for-her2-negative")
    assert (got.severity, got.order, got.missing_test) == ("warning", DRAFT, MISSING_TESTS[test])
    assert got.evidence == [DRAFT, "Observation/her2"]
    assert "trastuzumab" in got.title and got.title != PITFALLS["anti-her2-for-her2-negative"].title
    assert got.message != PITFALLS["anti-her2-for-her2-negative"].message
    assert got.action != PITFALLS["anti-her2-for-her2-negative"].action


def test_anti_her2_message_says_equivocal_only_when_equivocal():
    a = make_assessment("HR+/HER2-", "metastatic")
    a.her2 = Her2Finding("equivocal", "unknown", evidence=["Observation/her2"])
    equivocal = only(check(a, draft("trastuzumab", "anti-her2-antibody")), "anti-her2-for-her2-negative")
    a.her2 = Her2Finding("unknown", "unknown", evidence=["Observation/her2"])
    unknown = only(check(a, draft("trastuzumab", "anti-her2-antibody")), "anti-her2-for-her2-negative")
    assert "equivocal" in equivocal.message and "equivocal" not in unknown.message


def test_anti_her2_for_her2_positive_is_no_conflict():
    a = make_assessment("HR-/HER2+", "metastatic")
    assert check(a, draft("trastuzumab", "anti-her2-antibody")) == []


# ---- T-DXd ---------------------------------------------------------------------------------------------------------

def tdxd_case(hr, status, expression, low=False, ultralow=False):
    subtype = {"positive": "HR+/HER2-", "negative": "triple-negative"}[hr]
    a = make_assessment(subtype, "metastatic")
    a.her2 = Her2Finding(status, expression, evidence=["Observation/her2"], low_on_any_sample=low,
                         ultralow_on_any_sample=ultralow)
    return check(a, draft("trastuzumab deruxtecan", "tdxd"))


@pytest.mark.parametrize("hr,status,expression,low,ultralow", [
    ("negative", "positive", "positive", False, False),      # HER2-positive (DESTINY-Breast03)
    ("negative", "negative", "low", False, False),           # HER2-low in any HR status (DESTINY-Breast04)
    ("negative", "negative", "null", True, False),           # a valid earlier HER2-low sample counts (ASCO/CAP 2023)
    ("positive", "negative", "ultralow", False, False),      # HR+ ultralow (DESTINY-Breast06)
    ("positive", "negative", "null", False, True),           # HR+ with an ultralow sample
    ("positive", "negative", "zero-unspecified", False, True),
])
def test_tdxd_within_its_indications_is_no_conflict(hr, status, expression, low, ultralow):
    assert tdxd_case(hr, status, expression, low, ultralow) == []


@pytest.mark.parametrize("hr,status,expression,ultralow,severity,test", [
    ("negative", "negative", "ultralow", False, "warning", None),            # ultralow is for HR+ only
    ("negative", "negative", "null", True, "warning", None),
    ("positive", "equivocal", "unknown", False, "warning", "her2-ish"),
    ("negative", "unknown", "unknown", False, "warning", "her2-ihc"),
    ("negative", "negative", "null", False, "critical", None),               # HR-: re-scoring cannot open T-DXd
    ("negative", "negative", "zero-unspecified", False, "warning", None),
    ("positive", "negative", "null", False, "critical", "her2-ultralow-rescore"),
    ("positive", "negative", "zero-unspecified", False, "warning", "her2-ultralow-rescore"),
    ("positive", "negative", "unknown", False, "warning", "her2-ihc"),       # negative without an IHC score
])
def test_tdxd_outside_its_indications(hr, status, expression, ultralow, severity, test):
    """Each T-DXd conflict: its severity, the test it offers (none where no test can open T-DXd), the draft it
    links and its evidence (the drug and the HER2 result)."""
    alerts = tdxd_case(hr, status, expression, ultralow=ultralow)
    assert [x.code for x in alerts] == ["tdxd-for-her2-zero"]
    got = alerts[0]
    assert (got.severity, got.order) == (severity, DRAFT)
    assert got.missing_test == (MISSING_TESTS[test] if test else None)
    assert got.evidence == [DRAFT, "Observation/her2"]
    assert got.title.startswith("trastuzumab deruxtecan")


def test_tdxd_variants_each_have_their_own_wording():
    """The warning variants explain their own situation (not the table's HER2-null text)."""
    spec = PITFALLS["tdxd-for-her2-zero"]
    cases = [("negative", "negative", "ultralow"), ("positive", "equivocal", "unknown"),
             ("negative", "negative", "null"), ("negative", "negative", "zero-unspecified"),
             ("positive", "negative", "zero-unspecified"), ("positive", "negative", "unknown")]
    titles = set()
    for hr, status, expression in cases:
        got = tdxd_case(hr, status, expression)[0]
        if (hr, expression) != ("negative", "zero-unspecified"):   # same situation as HR-negative null
            titles.add(got.title)
        assert got.message != spec.message and got.action != spec.action, (hr, status, expression)
    assert len(titles) == len(cases) - 1
    null_hr_positive = tdxd_case("positive", "negative", "null")[0]
    assert "null" in null_hr_positive.title.lower() and null_hr_positive.title != spec.title


# ---- P14: aromatase inhibitor without ovarian suppression ----------------------------------------------------

def ai_case(menopause, age=None, *context):
    a = make_assessment("HR+/HER2-", "metastatic", menopause=menopause, age=age)
    return [x for x in check(a, draft("letrozole", "aromatase-inhibitor"), *context) if x.code == "P14"]


@pytest.mark.parametrize("menopause,age,fires", [
    ("premenopausal", 45, True),
    ("postmenopausal", 45, False),
    ("suppressed", 45, False),
    ("unknown", 59, True),       # NCCN: under 60 postmenopausal status must be established
    ("unknown", 60, False),
    ("unknown", 61, False),
    ("unknown", None, False),
    ("male", 70, True),
])
def test_p14_ai_without_gnrh_agonist(menopause, age, fires):
    got = ai_case(menopause, age)
    assert bool(got) is fires
    if fires:
        assert (got[0].severity, got[0].order, got[0].evidence) == ("critical", DRAFT, [DRAFT])
        assert got[0].title.startswith("letrozole")


@pytest.mark.parametrize("menopause,age", [("premenopausal", 45), ("unknown", 50), ("male", 70)])
def test_p14_silent_with_a_gnrh_agonist(menopause, age):
    assert ai_case(menopause, age, drug("g", "goserelin", "gnrh-agonist")) == []


def test_p14_another_endocrine_drug_is_not_ovarian_suppression():
    assert ai_case("premenopausal", 45, drug("t", "tamoxifen", "serm"))


def test_p14_for_a_man_speaks_of_a_gnrh_agonist_not_of_menopause():
    """ASCO male breast cancer guideline: an AI in a man goes with a GnRH agonist, else tamoxifen; menopause and
    ovarian suppression are not words for a man."""
    man = ai_case("male", 70)[0]
    woman = ai_case("premenopausal", 45)[0]
    text = f"{man.title} {man.message} {man.action}".lower()
    assert "ovar" not in text and "menopaus" not in text
    assert "gnrh" in man.title.lower() and "tamoxifen" in man.action.lower()
    assert man.action != PITFALLS["P14"].action and woman.action == PITFALLS["P14"].action
    assert man.title != woman.title


def test_p14_message_names_the_reason():
    assert "premenopausal" in ai_case("premenopausal", 45)[0].message
    assert "aged 59" in ai_case("unknown", 59)[0].message


# ---- P16 / P20: targeted drugs without their alteration ---------------------------------------------------------

@pytest.mark.parametrize("markers,fires", [
    ([], True),
    ([Biomarker("BRCA1", "present", "somatic", evidence=["Observation/b"])], True),
    ([Biomarker("BRCA2", "present", "unknown", evidence=["Observation/b"])], True),
    ([Biomarker("BRCA1", "absent", "germline", evidence=["Observation/b"])], True),
    ([Biomarker("BRCA2", "present", "germline", evidence=["Observation/b"])], False),
])
def test_p16_parp_inhibitor_needs_germline_brca(markers, fires):
    a = make_assessment("triple-negative", "metastatic", biomarkers=markers)
    got = [x for x in check(a, draft("olaparib", "parp-inhibitor")) if x.code == "P16"]
    assert bool(got) is fires
    if fires:
        assert (got[0].order, got[0].missing_test, got[0].severity) == (DRAFT, MISSING_TESTS["germline-brca"],
                                                                         PITFALLS["P16"].severity)
        assert got[0].evidence == [DRAFT, *(ref for m in markers for ref in m.evidence)]
        assert got[0].title.startswith("olaparib")


def test_p16_message_tells_which_brca_situation():
    def message(markers):
        a = make_assessment("triple-negative", "metastatic", biomarkers=markers)
        return only(check(a, draft("olaparib", "parp-inhibitor")), "P16").message
    texts = {message([]), message([Biomarker("BRCA1", "present", "somatic")]),
             message([Biomarker("BRCA1", "absent", "germline")])}
    assert len(texts) == 3


@pytest.mark.parametrize("ingredient,cls,markers,test", [
    ("elacestrant", "oral-serd", [], "esr1"),
    ("elacestrant", "oral-serd", [Biomarker("ESR1", "present", specimen="ctDNA", evidence=["Observation/m"])], None),
    ("alpelisib", "pi3k-inhibitor", [Biomarker("PIK3CA", "absent", specimen="tissue", evidence=["Observation/m"])],
     "pik3ca"),
    ("alpelisib", "pi3k-inhibitor", [Biomarker("PIK3CA", "present", evidence=["Observation/m"])], None),
    ("alpelisib", "pi3k-inhibitor", [Biomarker("AKT1", "present", evidence=["Observation/m"])], "pik3ca"),
    ("capivasertib", "akt-inhibitor", [], "pik3ca-akt1-pten"),
    ("capivasertib", "akt-inhibitor", [Biomarker("AKT1", "present", evidence=["Observation/m"])], None),
    ("capivasertib", "akt-inhibitor", [Biomarker("PTEN", "present", evidence=["Observation/m"])], None),
    ("capivasertib", "akt-inhibitor", [Biomarker("PIK3CA", "present", evidence=["Observation/m"])], None),
])
def test_p20_targeted_drug_needs_its_alteration(ingredient, cls, markers, test):
    a = make_assessment("HR+/HER2-", "metastatic", biomarkers=markers)
    got = [x for x in check(a, draft(ingredient, cls)) if x.code == "P20"]
    assert bool(got) is (test is not None)
    if got:
        assert (got[0].order, got[0].missing_test, got[0].severity) == (DRAFT, MISSING_TESTS[test], "warning")
        assert got[0].evidence[0] == DRAFT
        genes = {"esr1": {"ESR1"}, "pik3ca": {"PIK3CA"}, "pik3ca-akt1-pten": {"PIK3CA", "AKT1", "PTEN"}}[test]
        assert set(got[0].evidence[1:]) == {ref for m in markers if m.name in genes for ref in m.evidence}
        assert got[0].title.startswith(ingredient)


def test_p20_message_tells_absent_from_not_recorded():
    def message(markers):
        a = make_assessment("HR+/HER2-", "metastatic", biomarkers=markers)
        return only(check(a, draft("alpelisib", "pi3k-inhibitor")), "P20").message
    assert message([]) != message([Biomarker("PIK3CA", "absent", specimen="tissue")])


# ---- P11: given at the same time as chemotherapy ----------------------------------------------------------------

def hr_pos(*meds):
    return make_assessment("HR+/HER2-", "metastatic", medications=list(meds))


def p11(alerts):
    return [x for x in alerts if x.code == "P11"]


def test_p11_chart_pair_is_reported_once_from_the_endocrine_side():
    letrozole, paclitaxel = drug("e", "letrozole", "aromatase-inhibitor"), drug("c", "paclitaxel", "taxane")
    a = hr_pos(letrozole, paclitaxel)
    got = p11(find_pitfalls(a, CFG))
    assert len(got) == 1
    assert got[0].evidence == ["MedicationRequest/e", "MedicationRequest/c"]
    assert (got[0].order, got[0].severity) == (None, "warning")
    assert "paclitaxel" in got[0].title and got[0].title.startswith("letrozole")
    # From the chemotherapy side a chart drug reports nothing (the endocrine side did).
    assert p11(check(a, paclitaxel, letrozole)) == []


def test_p11_chart_drug_ignores_drafts_but_a_draft_sees_the_chart():
    """A chart drug's check leaves drafts to the order hook; a draft is checked against the chart."""
    letrozole = drug("e", "letrozole", "aromatase-inhibitor")
    a = hr_pos(letrozole)
    assert p11(check(a, letrozole, draft("paclitaxel", "taxane"))) == []
    got = p11(check(a, draft("paclitaxel", "taxane"), letrozole))
    assert len(got) == 1
    assert (got[0].order, got[0].evidence) == (DRAFT, [DRAFT, "MedicationRequest/e"])
    assert got[0].title.startswith("paclitaxel") and "letrozole" in got[0].title


def test_p11_cdk46_with_chemotherapy_links_the_draft_and_says_what_to_do():
    """A CDK4/6 inhibitor goes with endocrine therapy, not chemotherapy (its own action, not the table's)."""
    paclitaxel = drug("c", "paclitaxel", "taxane")
    a = hr_pos(paclitaxel)
    got = p11(check(a, draft("palbociclib", "cdk46-inhibitor"), paclitaxel))
    assert len(got) == 1
    assert (got[0].order, got[0].evidence) == (DRAFT, [DRAFT, "MedicationRequest/c"])
    assert got[0].action != PITFALLS["P11"].action and "endocrine" in got[0].action.lower()
    assert got[0].title.startswith("palbociclib") and "paclitaxel" in got[0].title
    # A chart CDK4/6 inhibitor with chart chemotherapy: once, from the CDK4/6 side.
    palbo = drug("k", "palbociclib", "cdk46-inhibitor")
    chart = p11(find_pitfalls(hr_pos(palbo, paclitaxel), CFG))
    assert len(chart) == 1 and chart[0].evidence == ["MedicationRequest/k", "MedicationRequest/c"]
    assert chart[0].order is None


def test_p11_draft_chemotherapy_with_endocrine_and_cdk46_raises_both():
    letrozole, palbo = drug("e", "letrozole", "aromatase-inhibitor"), drug("k", "palbociclib", "cdk46-inhibitor")
    got = p11(check(hr_pos(letrozole, palbo), draft("paclitaxel", "taxane"), letrozole, palbo))
    assert sorted(tuple(x.evidence) for x in got) == [(DRAFT, "MedicationRequest/e"), (DRAFT, "MedicationRequest/k")]
    assert all(x.order == DRAFT for x in got)
    cdk = next(x for x in got if "MedicationRequest/k" in x.evidence)
    endo = next(x for x in got if "MedicationRequest/e" in x.evidence)
    assert cdk.action != endo.action and cdk.title != endo.title


def test_p11_partner_names_are_listed_sorted_once():
    chemo = [drug("c1", "paclitaxel", "taxane"), drug("c2", "capecitabine", "fluoropyrimidine"),
             drug("c3", "paclitaxel", "taxane")]
    got = p11(check(hr_pos(*chemo), draft("letrozole", "aromatase-inhibitor"), *chemo))
    assert len(got) == 1
    assert "capecitabine, paclitaxel" in got[0].title and got[0].title.count("paclitaxel") == 1
    assert got[0].evidence == [DRAFT, "MedicationRequest/c1", "MedicationRequest/c2", "MedicationRequest/c3"]


def test_p11_partner_named_by_display_when_no_ingredient():
    chemo = drug("c", None, "taxane", display="Taxol 80 mg")
    got = p11(check(hr_pos(chemo), draft("letrozole", "aromatase-inhibitor"), chemo))
    assert "Taxol 80 mg" in got[0].title


@pytest.mark.parametrize("cls_a,cls_b", [("aromatase-inhibitor", "cdk46-inhibitor"),
                                         ("cdk46-inhibitor", "aromatase-inhibitor"),
                                         ("aromatase-inhibitor", "serm"), ("taxane", "anthracycline"),
                                         ("cdk46-inhibitor", "cdk46-inhibitor")])
def test_p11_standard_combinations_are_not_flagged(cls_a, cls_b):
    other = drug("o", "other", cls_b)
    assert p11(check(hr_pos(other), draft("this", cls_a), other)) == []


@pytest.mark.parametrize("end_a,start_b,end_b,start_a,overlap", [
    ("2026-03-01", "2026-03-01", None, None, True),     # ends the day the other starts: overlaps
    ("2026-02-28", "2026-03-01", None, None, False),    # one day apart: sequential
    ("2026-03-02", "2026-03-01", None, None, True),
    (None, None, "2026-03-01", "2026-03-01", True),     # the other way round
    (None, None, "2026-02-28", "2026-03-01", False),
    (None, None, "2026-03-02", "2026-03-01", True),
    (None, None, None, None, True),                     # undated drugs both active: assumed together
])
def test_p11_overlap_at_the_one_day_gap(end_a, start_b, end_b, start_a, overlap):
    """CONCURRENT_THERAPY_GAP_DAYS = 1 (SWOG-8814 sequencing; FHIR Period.end includes its day)."""
    chemo = drug("c", "paclitaxel", "taxane", start=start_b, end=end_b)
    got = p11(check(hr_pos(chemo), draft("letrozole", "aromatase-inhibitor", start=start_a, end=end_a), chemo))
    assert bool(got) is overlap


@pytest.mark.parametrize("status,active", [("active", True), ("on-hold", True), ("in-progress", True),
                                           ("intended", True), ("draft", True), ("Active", True),
                                           ("completed", False), ("stopped", False), ("cancelled", False),
                                           (None, False)])
def test_p11_needs_both_drugs_active_or_drafted(status, active):
    chemo = drug("c", "paclitaxel", "taxane", status=status)
    got = p11(check(hr_pos(chemo), draft("letrozole", "aromatase-inhibitor"), chemo))
    assert bool(got) is active


def test_p11_partner_named_by_its_reference_when_nothing_else_is_recorded():
    chemo = drug("c", None, "taxane")
    got = p11(check(hr_pos(chemo), draft("letrozole", "aromatase-inhibitor"), chemo))
    assert "MedicationRequest/c" in got[0].title
