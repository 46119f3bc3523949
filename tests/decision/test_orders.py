"""Order checks over draftOrders (order-select / order-sign), parsed leniently."""
from __future__ import annotations

import pytest

from cds_hooks.decision import check_orders
from cds_hooks.decision.model import Biomarker, MedicationUse
from cds_hooks.decision.orders import draft_medications

from test_options import make_assessment  # same directory (pytest rootdir-relative import)

RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"


def order(rid, code, system=RXN, status="draft", display=None):
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order",
            "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": {"coding": [coding]}}


def codes(alerts):
    return {a.code for a in alerts}


@pytest.mark.parametrize("subtype,expression,rxcui,code,severity", [
    ("triple-negative", "low", "198240", "endocrine-for-hr-negative", "critical"),      # tamoxifen SCD
    ("HR-/HER2+", "positive", "203769", "endocrine-for-hr-negative", "critical"),       # Femara BN
    ("HR+/HER2-", "low", "101306", "anti-her2-for-her2-negative", "critical"),          # Herceptin BN
    ("triple-negative", "null", "1658084", "anti-her2-for-her2-negative", "critical"),  # T-DM1 SCD
    ("HR+/HER2-", "low", "2119714", "anti-her2-for-her2-negative", "critical"),         # trastuzumab/hyaluronidase
    ("triple-negative", "null", "2267582", "tdxd-for-her2-zero", "critical"),
    ("HR+/HER2-", "zero-unspecified", "2267582", "tdxd-for-her2-zero", "warning"),
    ("HR+/HER2-", "unknown", "2267574", "tdxd-for-her2-zero", "warning"),
    ("indeterminate", "unknown", "224905", "anti-her2-for-her2-negative", "warning"),
])
def test_drug_that_cannot_work_is_flagged(subtype, expression, rxcui, code, severity):
    """A draft drug that cannot work for the subtype raises its conflict, pointing at the order."""
    a = make_assessment(subtype, "metastatic", her2_expression=expression)
    alerts = [x for x in check_orders(a, [order("mr1", rxcui)]) if x.code == code]
    assert alerts and alerts[0].severity == severity
    assert alerts[0].order == "MedicationRequest/mr1"


@pytest.mark.parametrize("subtype,expression,rxcui", [
    ("HR+/HER2-", "low", "2267582"),          # T-DXd for HER2-low
    ("HR+/HER2-", "ultralow", "2267582"),     # T-DXd for HER2-ultralow
    ("HR-/HER2+", "positive", "101306"),      # Herceptin for HER2+
    ("HR+/HER2-", "low", "200064"),           # letrozole for HR+ postmenopausal
    ("triple-negative", "null", "583214"),    # paclitaxel for TNBC
    ("triple-negative", "null", "999999"),    # unknown code: no information, no conflict
])
def test_fitting_drug_is_not_flagged(subtype, expression, rxcui):
    """Drugs that fit the receptor picture raise no conflict."""
    a = make_assessment(subtype, "metastatic", her2_expression=expression)
    assert check_orders(a, [order("mr1", rxcui)]) == []


def test_indeterminate_her2_with_anti_her2_order_asks_for_ish():
    """HER2 equivocal plus an anti-HER2 order is a warning with reflex ISH as the missing test."""
    a = make_assessment("indeterminate", "early")
    got = check_orders(a, [order("mr1", "1298949")])
    assert got[0].severity == "warning" and got[0].missing_test["code"] == "85318-4"


@pytest.mark.parametrize("menopause,age,extra,fires", [
    ("premenopausal", 41, [], True),
    ("male", 66, [], True),
    ("unknown", 50, [], True),
    ("premenopausal", 41, [order("mr2", "50610")], False),     # goserelin drafted too
    ("postmenopausal", 64, [], False),
])
def test_ai_order_without_ovarian_suppression(menopause, age, extra, fires):
    """P14 fires for an AI order with functioning ovaries/testes and no GnRH agonist (draft or active)."""
    a = make_assessment("HR+/HER2-", "early", menopause=menopause, age=age)
    got = check_orders(a, [order("mr1", "199224"), *extra])
    assert ("P14" in codes(got)) is fires


def test_ai_order_with_active_gnrh_agonist_is_fine():
    """An active goserelin on the chart counts as ovarian suppression."""
    a = make_assessment("HR+/HER2-", "early", menopause="premenopausal", age=41,
                        medications=[MedicationUse("MedicationRequest/g", "goserelin", "50610", "gnrh-agonist", "active")])
    assert "P14" not in codes(check_orders(a, [order("mr1", "199224")]))


def test_endocrine_draft_with_chemo_draft_or_active():
    """P11 fires for an endocrine draft next to a chemotherapy draft, and next to active chemotherapy."""
    a = make_assessment("HR+/HER2-", "early")
    together = check_orders(a, [order("mr1", "198240"), order("mr2", "1734919")])
    assert "P11" in codes(together)
    a.medications = [MedicationUse("MedicationRequest/c", "doxorubicin", "3639", "anthracycline", "active")]
    assert "P11" in codes(check_orders(a, [order("mr1", "198240")]))
    a.medications[0].status = "completed"
    assert "P11" not in codes(check_orders(a, [order("mr1", "198240")]))


def test_taxotere_labelled_paclitaxel_counts_as_chemotherapy():
    """Synthea's 'Paclitaxel' state orders 202982 (Taxotere): the code decides, and it is chemotherapy."""
    drafts = draft_medications([order("mr2", "202982", display="Paclitaxel")])
    assert drafts[0].ingredient == "docetaxel" and drafts[0].drug_class == "taxane"
    a = make_assessment("HR+/HER2-", "early")
    assert "P11" in codes(check_orders(a, [order("mr1", "310261"), order("mr2", "202982", display="Paclitaxel")]))


@pytest.mark.parametrize("rxcui,biomarkers,code,test_code", [
    ("1597582", [], "P16", "germline-brca1-brca2"),
    ("2099704", [Biomarker("BRCA2", "present", "somatic")], "P16", "germline-brca1-brca2"),
    ("2628469", [], "P20", "esr1-mutation"),
    ("2628478", [], "P20", "esr1-mutation"),            # elacestrant product code
    ("2169285", [], "P20", "pik3ca-mutation"),
    ("2695422", [Biomarker("PIK3CA", "absent", specimen="tissue")], "P20", "pik3ca-mutation"),
    ("2669967", [], "P20", "pik3ca-akt1-pten"),
])
def test_targeted_orders_without_their_finding(rxcui, biomarkers, code, test_code):
    """PARP inhibitors without germline BRCA (P16) and alteration-targeted drugs without it (P20) suggest the test."""
    a = make_assessment("HR+/HER2-", "metastatic", biomarkers=biomarkers)
    got = [x for x in check_orders(a, [order("mr1", rxcui)]) if x.code == code]
    assert got and got[0].missing_test["code"] == test_code and got[0].order == "MedicationRequest/mr1"


@pytest.mark.parametrize("rxcui,biomarkers", [
    ("1597582", [Biomarker("BRCA1", "present", "germline")]),
    ("2628469", [Biomarker("ESR1", "present")]),
    ("2169285", [Biomarker("PIK3CA", "present")]),
    ("2669967", [Biomarker("AKT1", "present")]),
])
def test_targeted_orders_with_their_finding_pass(rxcui, biomarkers):
    """With the required alteration recorded, the targeted order raises nothing."""
    a = make_assessment("HR+/HER2-", "metastatic", biomarkers=biomarkers)
    assert check_orders(a, [order("mr1", rxcui)]) == []


def test_selections_focus_the_check():
    """With selections, only the selected draft is judged (the others still count as context)."""
    a = make_assessment("triple-negative", "metastatic", her2_expression="null")
    orders = [order("mr1", "198240"), order("mr2", "101306")]
    got = check_orders(a, orders, selections=["MedicationRequest/mr2"])
    assert codes(got) == {"anti-her2-for-her2-negative"}


@pytest.mark.parametrize("shape", ["bundle-no-type", "bundle-entries-no-fullurl", "list", "contained", "sibling"])
def test_lenient_draft_order_shapes(shape):
    """draftOrders without Bundle.type/fullUrl, as a bare list, or with a contained/sibling Medication are read."""
    a = make_assessment("triple-negative", "metastatic", her2_expression="null")
    med_req = order("mr1", "198240")
    if shape == "bundle-no-type":
        orders = {"resourceType": "Bundle", "entry": [{"fullUrl": "urn:uuid:1", "resource": med_req}]}
    elif shape == "bundle-entries-no-fullurl":
        orders = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": med_req}]}
    elif shape == "list":
        orders = [med_req]
    elif shape == "contained":
        med_req = {k: v for k, v in med_req.items() if k != "medicationCodeableConcept"}
        med_req["contained"] = [{"resourceType": "Medication", "id": "m",
                                 "code": {"coding": [{"system": RXN, "code": "198240"}]}}]
        med_req["medicationReference"] = {"reference": "#m"}
        orders = [med_req]
    else:
        med_req = {k: v for k, v in med_req.items() if k != "medicationCodeableConcept"}
        med_req["medicationReference"] = {"reference": "Medication/m1"}
        orders = [med_req, {"resourceType": "Medication", "id": "m1",
                            "code": {"coding": [{"system": RXN, "code": "262485"}]}}]   # Arimidex
    assert "endocrine-for-hr-negative" in codes(check_orders(a, orders))


@pytest.mark.parametrize("orders", [
    [], None, "nonsense", [{"no": "type"}], [{"resourceType": "MedicationRequest"}],
    [{"resourceType": "MedicationRequest", "id": "x", "medicationCodeableConcept": {"coding": "bad"}}],
    [{"resourceType": "ServiceRequest", "id": "s1", "code": {"coding": [{"system": RXN, "code": "198240"}]}}],
])
def test_unreadable_or_irrelevant_orders_raise_nothing(orders):
    """Broken or non-drug draft orders never crash and never produce a conflict."""
    a = make_assessment("triple-negative", "metastatic", her2_expression="null")
    assert check_orders(a, orders) == []


def test_tdxd_for_hr_negative_ultralow_is_a_warning():
    """HER2-ultralow T-DXd fits only HR-positive disease (DESTINY-Breast06): TNBC ultralow gets a warning."""
    a = make_assessment("triple-negative", "metastatic", her2_expression="ultralow")
    got = [x for x in check_orders(a, [order("mr1", "2267582")]) if x.code == "tdxd-for-her2-zero"]
    assert got and got[0].severity == "warning"


@pytest.mark.parametrize("selection", ["MedicationRequest/mr2", "http://ehr.example/fhir/MedicationRequest/mr2",
                                       "MedicationRequest/mr2/_history/3"])
def test_selection_reference_forms(selection):
    """Selections given as relative, absolute or versioned references all focus the same draft."""
    a = make_assessment("triple-negative", "metastatic", her2_expression="null")
    got = check_orders(a, [order("mr1", "198240"), order("mr2", "101306")], selections=[selection])
    assert codes(got) == {"anti-her2-for-her2-negative"}


def test_empty_selection_list_judges_every_draft():
    """An empty selections list does not silence the check: every draft is judged, as without selections."""
    a = make_assessment("triple-negative", "metastatic", her2_expression="null")
    assert codes(check_orders(a, [order("mr1", "198240")], selections=[])) == {"endocrine-for-hr-negative"}


# ---- end to end: case-file FHIR data through assess(), then draft orders ------------------------------

import json  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

from cds_hooks.decision import DecisionConfig, assess  # noqa: E402

CASES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "cases"


def assess_case(name: str, drop_medications: bool = True):
    case = json.loads((CASES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    resources = [e["resource"] for e in case["bundle"]["entry"]
                 if not (drop_medications and e["resource"]["resourceType"] == "MedicationRequest")]
    return assess(resources, DecisionConfig(today=date.fromisoformat(case["today"])))


@pytest.mark.parametrize("case_name,rxcui,code,severity", [
    ("pitfall-endocrine-for-hr-negative", "262485", "endocrine-for-hr-negative", "critical"),   # Arimidex for TNBC
    ("pitfall-anti-her2-for-her2-negative", "1298949", "anti-her2-for-her2-negative", "critical"),  # Perjeta, HER2-low
    ("pitfall-tdxd-for-her2-null", "2267582", "tdxd-for-her2-zero", "critical"),
    ("pitfall-p8-ihc0-metastatic-after-et", "2267582", "tdxd-for-her2-zero", "warning"),        # IHC 0 unspecified
    ("pitfall-p4-her2-2plus-no-ish", "101306", "anti-her2-for-her2-negative", "warning"),       # HER2 equivocal
    ("pitfall-p14-ai-premenopausal", "203769", "P14", "critical"),                               # Femara, premenopausal
    ("pitfall-p16-somatic-brca", "2099704", "P16", "warning"),                                   # talazoparib, somatic only
    ("pitfall-p20-alpelisib-no-pik3ca", "2695422", "P20", "warning"),                            # inavolisib, PIK3CA absent
    ("option-hrpos-metastatic-premenopausal", "2628469", "P20", "warning"),                      # elacestrant, no ESR1
])
def test_orders_against_assessed_fhir_cases(case_name, rxcui, code, severity):
    """Draft orders checked against a patient assessed from FHIR resources raise the expected conflict."""
    assessment = assess_case(case_name)
    got = [x for x in check_orders(assessment, [order("draft1", rxcui)]) if x.code == code]
    assert got, [x.code for x in check_orders(assessment, [order("draft1", rxcui)])]
    assert got[0].severity == severity and got[0].order == "MedicationRequest/draft1"


def test_draft_endocrine_next_to_charted_chemotherapy_from_fhir():
    """A tamoxifen draft for a patient whose chart has active cyclophosphamide raises P11 (draft + active)."""
    assessment = assess_case("pitfall-p11-tamoxifen-with-chemo", drop_medications=False)
    assessment.medications = [m for m in assessment.medications if m.drug_class != "serm"]
    got = [x for x in check_orders(assessment, [order("draft1", "198240")]) if x.code == "P11"]
    assert got and got[0].order == "MedicationRequest/draft1"


@pytest.mark.parametrize("case_name,rxcui,keep_chart_drugs", [
    ("option-tnbc-metastatic-cps-gbrca", "1597582", False),    # olaparib with germline BRCA2
    ("pitfall-tdxd-her2-ultralow-fits", "2267582", False),     # T-DXd, HR+ ultralow
    ("tdxd-her2-low-on-earlier-sample", "2267582", False),     # T-DXd, IHC 0 now but HER2-low on an earlier sample
    ("option-her2pos-early", "101306", False),                 # Herceptin for HER2+
    ("pitfall-p14-ai-with-goserelin", "200064", True),         # letrozole with goserelin on the chart
])
def test_fitting_orders_against_assessed_fhir_cases(case_name, rxcui, keep_chart_drugs):
    """Orders that fit the assessed patient raise no conflict."""
    assessment = assess_case(case_name, drop_medications=not keep_chart_drugs)
    assert check_orders(assessment, [order("draft1", rxcui)]) == []


@pytest.mark.parametrize("draft_orders", [
    {"resourceType": "Bundle", "entry": 5},
    [{"resourceType": "MedicationRequest", "id": "m1", "medicationCodeableConcept": {"coding": 5}}],
    [{"resourceType": "MedicationRequest", "id": "m2", "medicationCodeableConcept": {"coding": "x"}}],
])
def test_odd_draft_order_shapes_never_raise(draft_orders):
    """draftOrders with wrong JSON types are read leniently: no alert, no exception."""
    assert check_orders(make_assessment("HR+/HER2-", "early"), draft_orders) == []
