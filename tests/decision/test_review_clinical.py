"""Clinical edge cases found in review of the decision core against clinical-knowledge.md b.1-b.5."""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess

LNC = "http://loinc.org"
SCT = "http://snomed.info/sct"
CONFIG = DecisionConfig(today=date(2026, 11, 1))
_ids = iter(range(100_000))


def obs(code, when="2026-09-01", status="final", **value):
    return {"resourceType": "Observation", "id": f"r{next(_ids)}", "status": status,
            "code": {"coding": [{"system": LNC, "code": code}]}, "effectiveDateTime": when, **value}


def pct(code, value, **kw):
    return obs(code, valueQuantity={"value": value, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}, **kw)


def ihc(score, **kw):
    answer = {"0": "LA6111-4", "1+": "LA11841-6", "2+": "LA11842-4", "3+": "LA11843-2"}[score]
    return obs("85319-2", valueCodeableConcept={"coding": [{"system": LNC, "code": answer}]}, **kw)


def number(code, value, **kw):
    return obs(code, valueQuantity={"value": value}, **kw)


def patient():
    return {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1960-01-01"}


def hr_positive():
    return [pct("85329-1", 80), pct("85325-9", 50)]


def test_ratio_below_two_without_copy_number_and_ihc_2plus_is_not_silent():
    """IHC 2+ with only a HER2/CEP17 ratio <2.0: ISH group 3 (positive with IHC 2+) cannot be excluded, and the
    assessment says so instead of calling HER2-low silently (ASCO/CAP 2018, b.3)."""
    a = assess([patient(), *hr_positive(), ihc("2+"), number("49683-6", 1.5)], CONFIG)
    notes = [n for n in a.data_quality if n.code == "ish-copies-missing"]
    assert notes and "group 3" in notes[0].message
    assert any("group 3" in reason for reason in a.subtype_reasons)
    assert "P17" in {x.code for x in a.alerts}


@pytest.mark.parametrize("score", ["0", "1+"])
def test_ratio_below_two_without_copy_number_is_enough_with_ihc_0_or_1plus(score):
    """With IHC 0/1+, groups 3-5 are all HER2-negative, so a ratio <2.0 alone settles it without a note."""
    a = assess([patient(), *hr_positive(), ihc(score), number("49683-6", 1.5)], CONFIG)
    assert a.her2.status == "negative"
    assert "ish-copies-missing" not in {n.code for n in a.data_quality}


def test_qualitative_ish_call_beside_the_ratio_settles_ihc_2plus():
    """A pathologist's 'not amplified' ISH call beside the ratio is the final ISH result: no copy-number note."""
    a = assess([patient(), *hr_positive(), ihc("2+"), number("49683-6", 1.5),
                obs("85318-4", valueCodeableConcept={"coding": [{"system": LNC, "code": "LA6577-6"}]})], CONFIG)
    assert a.her2.status == "negative" and a.her2.expression == "low"
    assert "ish-copies-missing" not in {n.code for n in a.data_quality}


@pytest.mark.parametrize("newer_er, differs", [(0, True), (70, False)])
def test_newer_preliminary_result_that_disagrees_is_surfaced(newer_er, differs):
    """The older final ER result is used (b.1), but a newer preliminary one that says otherwise is not silent."""
    a = assess([patient(), pct("85329-1", 80, when="2025-01-01"),
                pct("85329-1", newer_er, when="2026-10-01", status="preliminary"), pct("85325-9", 50), ihc("1+")], CONFIG)
    assert a.er.status == "positive" and not a.er.provisional
    flagged = [n for n in a.data_quality if n.code == "newer-provisional-differs"]
    assert bool(flagged) is differs
    assert any("preliminary" in r for r in a.subtype_reasons) is differs


def test_newer_preliminary_her2_that_disagrees_is_surfaced():
    """A newer preliminary HER2 3+ beside an older final IHC 1+ is reported, the final result still decides."""
    a = assess([patient(), *hr_positive(), ihc("1+", when="2025-01-01"), ihc("3+", when="2026-10-01", status="preliminary")],
               CONFIG)
    assert a.her2.status == "negative"
    assert "newer-provisional-differs" in {n.code for n in a.data_quality}


@pytest.mark.parametrize("first, second", [(0, 1), (5, 50), (1, 0)])
def test_equal_standing_er_percents_that_disagree_on_one_sample_are_not_picked_by_order(first, second):
    """Two ER percents of the same sample in different ASCO/CAP categories: no result is chosen by input order;
    ER is unknown (subtype indeterminate, reason given) and P18 is raised."""
    results = [pct("85329-1", first), pct("85329-1", second)]
    for ordering in (results, results[::-1]):
        a = assess([patient(), *ordering, pct("85325-9", 0), ihc("1+")], CONFIG)
        assert a.er.status == "unknown" and a.er.basis == "conflicting"
        assert a.subtype == "indeterminate"
        assert any("conflict" in r for r in a.subtype_reasons)
        assert "P18" in {x.code for x in a.alerts}


def test_agreeing_percents_of_one_sample_still_classify():
    """Two ER percents in the same category (60% and 80%) are not a conflict."""
    a = assess([patient(), pct("85329-1", 60), pct("85329-1", 80), pct("85325-9", 0), ihc("1+")], CONFIG)
    assert a.er.status == "positive" and a.subtype == "HR+/HER2-"


def test_a_conflicting_newest_sample_does_not_hide_an_earlier_positive_and_is_still_reported():
    """Before any therapy a positive on any valid sample governs (b.3 revised), so an earlier ER 90% stands when the
    newest sample's results conflict; the conflict itself is still reported (P18), never passed over silently."""
    a = assess([patient(), pct("85329-1", 90, when="2020-01-01"), pct("85329-1", 0), pct("85329-1", 40),
                pct("85325-9", 0), ihc("1+")], CONFIG)
    assert a.er.status == "positive" and a.er.effective == "2020-01-01"
    assert "P18" in {x.code for x in a.alerts}


def test_a_conflicting_metastasis_sample_leaves_er_unknown_rather_than_using_the_primary():
    """At relapse the metastasis sample governs; when its results conflict ER stays unknown rather than falling back
    silently to the primary's result."""
    liver = specimen("liv", "10200004")
    a = assess([patient(), LIVER_METASTASIS, BREAST_CANCER_2019, liver, pct("85329-1", 90, when="2019-01-15"),
                on(pct("85329-1", 0, when="2026-06-10"), "liv"), on(pct("85329-1", 40, when="2026-06-10"), "liv"),
                pct("85325-9", 0), ihc("1+")], CONFIG)
    assert a.er.status == "unknown"


@pytest.mark.parametrize("code, values", [("49683-6", (1.5, 2.5)), ("74860-8", (3.0, 7.0))])
def test_disagreeing_ish_numbers_of_one_sample_are_not_picked_by_order(code, values):
    """Two HER2/CEP17 ratios on either side of 2.0 (or two copy numbers in different groups) on one sample
    leave HER2 unresolved, whatever their order, with the conflict noted."""
    first, second = (number(code, v) for v in values)
    for ordering in ([first, second], [second, first]):
        others = [number("74860-8", 5.0)] if code == "49683-6" else [number("49683-6", 1.5)]
        a = assess([patient(), *hr_positive(), ihc("1+"), *ordering, *others], CONFIG)
        assert a.her2.status == "unknown" and a.subtype == "indeterminate"
        assert "conflicting-results" in {n.code for n in a.data_quality}


def test_ratio_at_most_two_is_not_read_as_below_two():
    """A ratio reported as '<=2.0' may be exactly 2.0: with 3 copies/cell that is group 2 (needs IHC) or group 5, so
    HER2 is not called negative, and the copy number is not read as a single-probe result instead."""
    a = assess([patient(), *hr_positive(),
                obs("49683-6", valueQuantity={"value": 2.0, "comparator": "<="}), number("74860-8", 3.0)], CONFIG)
    assert a.her2.ish_group != 5 and a.her2.status != "negative"


@pytest.mark.parametrize("stage, expected", [
    (None, {"early-ribociclib": "needs-review", "early-abemaciclib": "needs-review"}),
    ("IA", {"early-ribociclib": None, "early-abemaciclib": None}),
    # Stage II-III alone does not establish the NATALEE population (node-negative disease needs T2 with grade 3, or
    # grade 2 with Ki-67 >= 20 % or high genomic risk, or T3): with no nodes, size or grade on record, review.
    ("IIB", {"early-ribociclib": "needs-review", "early-abemaciclib": "needs-review"}),
    ("IIIA", {"early-ribociclib": "needs-review", "early-abemaciclib": "needs-review"}),
])
def test_adjuvant_cdk46_rows_follow_the_recorded_stage(stage, expected):
    """Ribociclib (NATALEE: stage II-III) and abemaciclib (monarchE: node-positive high risk) are not 'applicable'
    to every early HR+/HER2- patient: stage I rules them out, an unknown stage or nodal status asks for review."""
    from cds_hooks.decision.model import (Assessment, Her2Finding, ReceptorFinding, SettingFinding)
    from cds_hooks.decision.options import options_for
    a = Assessment(patient="p", subtype="HR+/HER2-", hr="positive", er=ReceptorFinding("ER", "positive", 80.0, "percent"),
                   pr=ReceptorFinding("PR", "positive", 50.0, "percent"), her2=Her2Finding("negative", "low", "1+"),
                   setting=SettingFinding("early", stage=stage), knowledge_version="test", menopausal_status="postmenopausal")
    got = {o.id: o for o in options_for(a)}
    for option_id, status in expected.items():
        assert (got[option_id].status if option_id in got else None) == status, (option_id, got.get(option_id))
        if status == "needs-review":
            assert any("stage" in n or "node" in n for n in got[option_id].needs)
    assert got["early-endocrine"].status == "applicable"


@pytest.mark.parametrize("stage, expected", [(None, "needs-review"), ("I", None), ("IIA", "applicable"), ("IIIC", "applicable")])
def test_keynote522_row_follows_the_recorded_stage(stage, expected):
    """KEYNOTE-522 pembrolizumab is for high-risk (stage II-III) early TNBC, not for stage I disease."""
    from cds_hooks.decision.model import (Assessment, Her2Finding, ReceptorFinding, SettingFinding)
    from cds_hooks.decision.options import options_for
    a = Assessment(patient="p", subtype="triple-negative", hr="negative", er=ReceptorFinding("ER", "negative", 0.0, "percent"),
                   pr=ReceptorFinding("PR", "negative", 0.0, "percent"), her2=Her2Finding("negative", "low", "1+"),
                   setting=SettingFinding("early", stage=stage), knowledge_version="test", menopausal_status="postmenopausal")
    got = {o.id: o for o in options_for(a)}
    assert (got["early-tnbc-keynote522"].status if "early-tnbc-keynote522" in got else None) == expected


def test_qualitative_ish_results_that_disagree_leave_her2_unresolved():
    """'Amplified' and 'not amplified' ISH calls on one sample: neither wins (before, 'amplified' did), P17/P18 say why."""
    pos = obs("85318-4", valueCodeableConcept={"coding": [{"system": LNC, "code": "LA6576-8"}]})
    neg = obs("85318-4", valueCodeableConcept={"coding": [{"system": LNC, "code": "LA6577-6"}]})
    for ordering in ([pos, neg], [neg, pos]):
        a = assess([patient(), *hr_positive(), ihc("2+"), *ordering], CONFIG)
        assert a.her2.status == "unknown" and a.subtype == "indeterminate"
        assert any("disagree" in r for r in a.subtype_reasons)


def specimen(sid, site_code):
    return {"resourceType": "Specimen", "id": sid, "collection": {"bodySite": {"coding": [{"system": SCT, "code": site_code}]}}}


def on(resource, sid):
    return {**resource, "specimen": {"reference": f"Specimen/{sid}"}}


LIVER_METASTASIS = {"resourceType": "Condition", "id": "met", "onsetDateTime": "2026-06-01", "subject": {"reference": "Patient/p"},
                    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C78.7"}]}}
BREAST_CANCER_2019 = {"resourceType": "Condition", "id": "dx", "onsetDateTime": "2019-01-10", "subject": {"reference": "Patient/p"},
                      "code": {"coding": [{"system": SCT, "code": "254837009"}]}}


def test_two_breast_specimens_same_day_with_different_er_take_the_positive_either_way():
    """Two breast specimens of one day before any therapy (e.g. two tumour foci), ER 0% and 80%: a positive on any
    pre-treatment sample governs (b.3 revised), whichever comes first, and the disagreement is its own warning."""
    a_er, b_er = on(pct("85329-1", 0), "s1"), on(pct("85329-1", 80), "s2")
    for ordering in ([a_er, b_er], [b_er, a_er]):
        a = assess([patient(), specimen("s1", "76752008"), specimen("s2", "76752008"), *ordering,
                    pct("85325-9", 0), ihc("1+")], CONFIG)
        assert a.er.status == "positive" and a.subtype == "HR+/HER2-"
        assert a.er.evidence == [b_er["resourceType"] + "/" + b_er["id"]]
        assert "receptor-sample-discordance" in {x.code for x in a.alerts}


def test_two_metastasis_specimens_same_day_with_different_er_are_not_picked_by_order():
    """At relapse, two metastasis biopsies of one day with ER 0% and 80%: which one counts is not in the data, so
    ER is left unresolved with a note, whichever comes first."""
    a_er, b_er = on(pct("85329-1", 0), "s1"), on(pct("85329-1", 80), "s2")
    for ordering in ([a_er, b_er], [b_er, a_er]):
        a = assess([patient(), LIVER_METASTASIS, BREAST_CANCER_2019, specimen("s1", "10200004"),
                    specimen("s2", "10200004"), *ordering, pct("85325-9", 0), ihc("1+")], CONFIG)
        assert a.er.status == "unknown" and a.subtype == "indeterminate"
        assert any("specimen" in n.message for n in a.data_quality if n.code == "conflicting-results")


def test_two_specimens_same_day_her2_low_and_zero_give_the_same_expression_either_way():
    """HER2 IHC 1+ and 0 on two specimens of one day: both HER2-negative; the HER2-low one is reported whatever
    the order (ASCO/CAP 2023: any low sample counts)."""
    x, y = on(ihc("1+"), "s1"), on(ihc("0"), "s2")
    for ordering in ([x, y], [y, x]):
        a = assess([patient(), specimen("s1", "76752008"), specimen("s2", "76752008"), *hr_positive(), *ordering], CONFIG)
        assert a.her2.status == "negative" and a.her2.expression == "low"


def test_two_breast_specimens_same_day_her2_positive_and_negative_take_the_positive_either_way():
    """HER2 IHC 3+ on one breast specimen and 0 on another of the same day, before therapy: HER2-positive whatever
    the order (a positive on any pre-treatment sample governs), with the discordance warning."""
    x, y = on(ihc("3+"), "s1"), on(ihc("0"), "s2")
    for ordering in ([x, y], [y, x]):
        a = assess([patient(), specimen("s1", "76752008"), specimen("s2", "76752008"), *hr_positive(), *ordering], CONFIG)
        assert a.her2.status == "positive" and a.subtype == "HR+/HER2+"
        assert "receptor-sample-discordance" in {x.code for x in a.alerts}


def test_two_metastasis_specimens_same_day_her2_positive_and_negative_leave_her2_unresolved():
    """HER2 IHC 3+ and 0 on two metastasis biopsies of one day: not picked by order; unresolved with a reason."""
    x, y = on(ihc("3+"), "s1"), on(ihc("0"), "s2")
    for ordering in ([x, y], [y, x]):
        a = assess([patient(), LIVER_METASTASIS, BREAST_CANCER_2019, specimen("s1", "10200004"),
                    specimen("s2", "10200004"), *hr_positive(), *ordering], CONFIG)
        assert a.her2.status == "unknown" and a.subtype == "indeterminate"
        assert any("same day" in r for r in a.subtype_reasons)


def _menopause_obs(value, when):
    return {"resourceType": "Observation", "id": f"m{next(_ids)}", "status": "final", "effectiveDateTime": when,
            "code": {"coding": [{"system": SCT, "code": "161712005"}]},
            "valueCodeableConcept": {"coding": [{"system": SCT, "code": value}]}}


def test_oophorectomy_after_a_premenopausal_record_means_postmenopausal():
    """A bilateral oophorectomy done after 'premenopausal' was recorded supersedes that record (b.5)."""
    oophorectomy = {"resourceType": "Procedure", "id": "bso", "status": "completed", "performedDateTime": "2025-03-01",
                    "subject": {"reference": "Patient/p"}, "code": {"coding": [{"system": SCT, "code": "29827000"}]}}
    young = {**patient(), "birthDate": "1980-01-01"}
    a = assess([young, _menopause_obs("22636003", "2024-01-01"), oophorectomy], CONFIG)
    assert a.menopausal_status == "postmenopausal" and "oophorectomy" in a.menopausal_basis
    b = assess([young, _menopause_obs("22636003", "2025-06-01"), {**oophorectomy, "performedDateTime": "2025-01-01"}], CONFIG)
    assert b.menopausal_status == "premenopausal"


def test_premenopausal_record_made_before_60_does_not_outlast_age_60():
    """'Premenopausal' recorded at 50 no longer holds at 66: NCCN counts age >=60 as postmenopausal (b.5)."""
    a = assess([patient(), _menopause_obs("22636003", "2010-01-01")], CONFIG)   # born 1960, now 66
    assert a.menopausal_status == "postmenopausal" and "60" in a.menopausal_basis


def _rx(rid, rxcui):
    return {"resourceType": "MedicationRequest", "id": rid, "status": "active", "intent": "order",
            "subject": {"reference": "Patient/p"}, "authoredOn": "2026-09-15",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": rxcui}]}}


def test_first_line_her2_regimen_in_hr_positive_her2_positive_disease_is_not_called_endocrine_underuse():
    """HR+/HER2+ metastatic disease on trastuzumab + pertuzumab + docetaxel: endocrine therapy comes as maintenance
    after the chemotherapy (table c), so 'endocrine therapy missing' is not raised during it."""
    metastatic = {"resourceType": "Condition", "id": "met", "subject": {"reference": "Patient/p"},
                  "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C78.7"}]}}
    base = [patient(), metastatic, *hr_positive(), ihc("3+")]
    on_thp = assess([*base, _rx("t", "224905"), _rx("p", "1298944"), _rx("d", "72962")], CONFIG)
    assert on_thp.subtype == "HR+/HER2+"
    assert "endocrine-not-withheld" not in {x.code for x in on_thp.alerts}
    on_trastuzumab_only = assess([*base, _rx("t", "224905")], CONFIG)
    assert "endocrine-not-withheld" in {x.code for x in on_trastuzumab_only.alerts}


def test_medication_labelled_as_another_drug_is_noted_and_the_code_decides():
    """Synthea's 'Paclitaxel' state orders 202982 (Taxotere, docetaxel): the code decides and the mislabel is a
    data-quality note (P17 'display != code')."""
    order = _rx("mis", "202982")
    order["medicationCodeableConcept"]["coding"][0]["display"] = "Paclitaxel"
    a = assess([patient(), *hr_positive(), ihc("1+"), order], CONFIG)
    med = next(m for m in a.medications if m.resource == "MedicationRequest/mis")
    assert med.ingredient == "docetaxel"
    notes = [n for n in a.data_quality if n.code == "medication-display-mismatch"]
    assert notes and "paclitaxel" in notes[0].message.lower() and "docetaxel" in notes[0].message


@pytest.mark.parametrize("rxcui, display", [("202982", "Taxotere 20 MG/ML Injectable Solution"),
                                            ("1371046", "Kadcyla (ado-trastuzumab emtansine)")])
def test_matching_medication_labels_are_not_noted(rxcui, display):
    """A label naming the coded drug (or its brand) raises nothing."""
    order = _rx("ok", rxcui)
    order["medicationCodeableConcept"]["coding"][0]["display"] = display
    a = assess([patient(), *hr_positive(), ihc("1+"), order], CONFIG)
    assert "medication-display-mismatch" not in {n.code for n in a.data_quality}


def test_retest_after_metastasis_on_an_unlabelled_specimen_does_not_ask_for_a_retest():
    """Receptors tested after the metastasis was diagnosed (specimen site not recorded) are not 'primary only':
    P9's trigger (results predating relapse, or all from primary-breast specimens) is not met."""
    metastatic = {"resourceType": "Condition", "id": "met", "subject": {"reference": "Patient/p"}, "onsetDateTime": "2026-06-01",
                  "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C78.7"}]}}
    after = [pct("85329-1", 80, when="2026-07-01"), pct("85325-9", 50, when="2026-07-01"), ihc("1+", when="2026-07-01")]
    a = assess([patient(), metastatic, *after], CONFIG)
    assert "P9" not in {x.code for x in a.alerts}
    before = [pct("85329-1", 80, when="2026-01-01"), pct("85325-9", 50, when="2026-01-01"), ihc("1+", when="2026-01-01")]
    b = assess([patient(), metastatic, *before], CONFIG)
    assert "P9" in {x.code for x in b.alerts}
    # A relapse years after the diagnosis, retested only on the breast: not the metastasis retest P9 asks for.
    primary = [on(r, "s1") for r in after]
    diagnosis = {**BREAST_CANCER_2019}
    c = assess([patient(), metastatic, diagnosis, specimen("s1", "76752008"), *primary], CONFIG)
    assert "P9" in {x.code for x in c.alerts}
    # No earlier diagnosis: the metastasis (June) and the breast biopsy (July) are one presentation, de novo
    # stage IV (SEER four-month rule), whose breast biopsy describes the metastatic disease: no retest (P9 revised).
    d = assess([patient(), metastatic, specimen("s1", "76752008"), *primary], CONFIG)
    assert d.episode.de_novo_metastatic and "P9" not in {x.code for x in d.alerts}


@pytest.mark.parametrize("extra, status", [([], "unknown"), ([ihc("3+")], "positive"),
                                            ([obs("85319-2", valueCodeableConcept={"coding": [{"system": LNC, "code": "LA6576-8"}]})], "positive")])
def test_ratio_of_two_or_more_without_copy_number_or_ihc_is_not_called_positive(extra, status):
    """A ratio >=2.0 alone is group 1 (positive) or group 2 (needs concurrent IHC, ASCO/CAP 2018): without copy number
    and without IHC it asks for IHC (P5) instead of calling HER2-positive; with IHC 3+ or IHC positive it is positive."""
    a = assess([patient(), *hr_positive(), number("49683-6", 2.5), *extra], CONFIG)
    assert a.her2.status == status
    if status == "unknown":
        assert a.subtype == "indeterminate" and "P5" in {x.code for x in a.alerts}
