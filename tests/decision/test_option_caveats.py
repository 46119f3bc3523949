"""Options for men and for ER-low disease (issue 13 section 5).

Men: the endocrine advice is an aromatase inhibitor with a GnRH agonist, or tamoxifen (ASCO male breast cancer
guideline); no option, caveat or pitfall about a man speaks of menopause or ovarian suppression.
ER-low: the caveat is said once for the option list, and for HER2-positive disease it compares with HR-/HER2+ care.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.decision.model import MedicationUse, ReceptorFinding
from cds_hooks.decision.options import option_notes, options_for
from cds_hooks.decision.pitfalls import find_pitfalls

from test_options import make_assessment  # same directory (pytest rootdir-relative import)

FEMALE_WORDS = ("menopaus", "ovarian", "ovaries")
CASES = Path(__file__).resolve().parents[2] / "fixtures" / "cases"


def _texts(option) -> list[str]:
    return [option.title, option.condition, *option.agents, *option.notes, *option.needs]


@pytest.mark.parametrize("subtype", ["HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative"])
@pytest.mark.parametrize("setting", ["early", "metastatic", "unknown"])
def test_no_option_for_a_man_speaks_of_menopause_or_ovaries(subtype, setting):
    a = make_assessment(subtype, setting, menopause="male", sex="male")
    a.options = options_for(a)
    for option in a.options:
        for text in _texts(option):
            assert not any(w in text.lower() for w in FEMALE_WORDS), (option.id, text)
    for text in option_notes(a):
        assert not any(w in text.lower() for w in FEMALE_WORDS), text


def test_male_endocrine_advice_is_gnrh_agonist_with_ai_or_tamoxifen():
    a = make_assessment("HR+/HER2-", "early", menopause="male", sex="male")
    a.options = options_for(a)
    early = next(o for o in a.options if o.id == "early-endocrine")
    assert "tamoxifen" in early.condition and "GnRH agonist" in early.condition
    assert any(s.id == "asco-male-bc" for s in early.sources)
    assert any("male" in n for n in option_notes(a))
    metastatic = make_assessment("HR+/HER2-", "metastatic", menopause="male", sex="male")
    cdk = next(o for o in options_for(metastatic) if o.id == "met-ai-cdk46")
    assert "GnRH agonist" in cdk.condition and cdk.status == "applicable"


def test_women_keep_the_ovarian_suppression_wording():
    a = make_assessment("HR+/HER2-", "early", menopause="premenopausal", sex="female")
    a.options = options_for(a)
    early = next(o for o in a.options if o.id == "early-endocrine")
    assert "ovarian suppression" in early.condition
    assert option_notes(a) == []


def test_p14_for_a_man_names_the_gnrh_agonist_not_ovarian_suppression():
    case = json.loads((CASES / "pitfall-p14-ai-male.json").read_text())
    a = assess([e["resource"] for e in case["bundle"]["entry"]], DecisionConfig(today=date.fromisoformat(case["today"])))
    alert = a.alert("P14")
    assert alert is not None and a.menopausal_status == "male"
    for text in (alert.title, alert.message, alert.action):
        assert not any(w in text.lower() for w in FEMALE_WORDS), text
    assert "GnRH agonist" in alert.action and "tamoxifen" in alert.action


def test_p14_for_a_premenopausal_woman_still_asks_for_ovarian_suppression():
    a = make_assessment("HR+/HER2-", "early", menopause="premenopausal", age=45)
    a.medications = [MedicationUse("MedicationRequest/l", "letrozole", "72965", "aromatase-inhibitor", "active",
                                   start="2026-01-01")]
    alert = next(x for x in find_pitfalls(a) if x.code == "P14")
    assert "ovarian" in (alert.title + alert.action).lower()


def _er_low(subtype: str, pr: str = "negative"):
    a = make_assessment(subtype, "metastatic", modifiers=["ER-low"],
                        er=ReceptorFinding("ER", "low-positive", 5.0, "percent", evidence=["Observation/er"]),
                        pr=ReceptorFinding("PR", pr, evidence=["Observation/pr"]))
    a.options = options_for(a)
    return a


def test_er_low_caveat_is_said_once_not_under_every_option():
    a = _er_low("HR+/HER2-")
    notes = option_notes(a)
    er_low = [n for n in notes if "ER-low" in n]
    assert len(er_low) == 1 and "triple-negative" in er_low[0]
    assert not any("ER-low" in n for o in a.options for n in o.notes)
    # the triple-negative rows are still offered for discussion, as before
    assert any(o.id == "met-tnbc-sacituzumab" for o in a.options)


def test_er_low_her2_positive_compares_with_hr_negative_her2_positive_care():
    a = _er_low("HR+/HER2+")
    (note,) = [n for n in option_notes(a) if "ER-low" in n]
    assert "HER2-positive" in note and "HR-/HER2+" in note and "triple-negative" not in note
    assert not any(o.id.startswith("met-tnbc") for o in a.options)
    assert not any("triple-negative" in n for o in a.options for n in o.notes)


def test_response_evaluation_is_said_once_for_metastatic_options():
    """Seed 002 / ESO-ESMO ABC 5: about 3 months into endocrine therapy, every 2-3 cycles of chemotherapy."""
    a = make_assessment("HR+/HER2-", "metastatic")
    a.options = options_for(a)
    notes = [n for n in option_notes(a) if "Response evaluation" in n]
    assert len(notes) == 1 and "3 months" in notes[0] and "2-3 cycles" in notes[0]
    early = make_assessment("HR+/HER2-", "early")
    early.options = options_for(early)
    assert not any("Response evaluation" in n for n in option_notes(early))


@pytest.mark.parametrize("subtype,expression,asks_rescore", [
    ("triple-negative", "zero-unspecified", False),
    ("triple-negative", "null", False),
    ("HR+/HER2-", "zero-unspecified", True),
])
def test_tdxd_order_asks_for_ultralow_rescoring_only_where_ultralow_counts(subtype, expression, asks_rescore):
    """The ultralow indication is HR-positive only (DESTINY-Breast06): a T-DXd order for HR-negative IHC 0 disease is
    flagged without asking for an ultralow re-score."""
    a = make_assessment(subtype, "metastatic", her2_expression=expression)
    a.medications = [MedicationUse("MedicationRequest/t", "trastuzumab deruxtecan", "2267582", "tdxd", "active",
                                   start="2026-10-01")]
    alert = next(x for x in find_pitfalls(a) if x.code == "tdxd-for-her2-zero")
    rescore = alert.missing_test is not None and "ultralow" in str(alert.missing_test).lower()
    assert rescore is asks_rescore
    if not asks_rescore:
        assert "re-score" not in alert.action.lower()
