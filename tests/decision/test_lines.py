"""Lines of therapy from the medication history (issue 13 §3; cds_hooks.decision.lines).

The option-level results (which rows are applicable, which depend on prior therapy) are held by the curated
cases ``fixtures/cases/lines-*.json``; these tests pin the history reading the rules rest on.
"""
from __future__ import annotations

from cds_hooks.decision.lines import check_prior_therapy, therapy_history
from cds_hooks.decision.model import ClinicalEvent, EpisodeFinding, MedicationUse

from test_options import make_assessment  # same directory (pytest rootdir-relative import)

CLASS = {"trastuzumab": ("224905", "anti-her2-antibody"), "letrozole": ("72965", "aromatase-inhibitor"), "palbociclib": ("1601374", "cdk46-inhibitor"),
         "paclitaxel": ("56946", "taxane"), "capecitabine": ("194000", "fluoropyrimidine"),
         "goserelin": ("50610", "gnrh-agonist"), "doxorubicin": ("3639", "anthracycline")}


def med(name: str, start: str | None, end: str | None = None, status: str = "completed") -> MedicationUse:
    rxcui, klass = CLASS[name]
    return MedicationUse(f"MedicationRequest/{name}-{start}", name, rxcui, klass, status, start=start, end=end,
                         draft=status == "draft")


def metastatic(meds, events=(), start="2024-03-01", **episode_kw):
    episode = EpisodeFinding(current="metastatic", diagnosis="2019-01-01", metastatic_start=start, **episode_kw)
    a = make_assessment("HR+/HER2-", "metastatic", medications=meds, events=list(events))
    a.episode = episode
    return a


def test_drugs_started_together_are_one_line_and_a_later_start_the_next():
    a = metastatic([med("letrozole", "2024-04-01", status="stopped"), med("palbociclib", "2024-04-20", status="stopped"),
                    med("paclitaxel", "2025-01-10", status="active")])
    history = therapy_history(a)
    assert [line.names for line in history.lines] == [["letrozole", "palbociclib"], ["paclitaxel"]]
    assert history.lines[0].followed and not history.lines[1].followed


def test_early_courses_are_not_metastatic_lines():
    a = metastatic([med("doxorubicin", "2019-03-01", "2019-06-01"), med("letrozole", "2019-07-01", "2024-02-01")])
    history = therapy_history(a)
    assert history.lines == [] and {c.name for c in history.early} == {"doxorubicin", "letrozole"}


def test_drafts_plans_and_gnrh_agonists_are_not_history():
    a = metastatic([med("paclitaxel", "2024-05-01", status="draft"), med("goserelin", "2024-04-01", status="active"),
                    MedicationUse("MedicationRequest/x", "letrozole", "72965", "aromatase-inhibitor", "cancelled",
                                  start="2024-04-01")])
    assert therapy_history(a).lines == [] and not therapy_history(a).any_given


def test_progression_is_tied_to_the_line_it_follows():
    events = [ClinicalEvent("progression", "2025-06-10", "Disease status: worsened", ["Observation/p"],
                            {"status": "worsened", "evidence_types": ["imaging"]})]
    a = metastatic([med("letrozole", "2024-04-01", status="active"), med("palbociclib", "2024-04-01", status="active")],
                   events)
    (line,) = therapy_history(a).lines
    assert line.progression.isoformat() == "2025-06-10" and line.progressed
    assert check_prior_therapy("first-line-cdk46", therapy_history(a)).verdict == "not-met"


def test_marker_only_progression_does_not_end_a_line():
    """Tumour markers alone do not define progression (P12; ASCO 2016), so the first-line row still fits."""
    events = [ClinicalEvent("progression", "2025-06-10", "Disease status: worsened", ["Observation/p"],
                            {"status": "worsened", "evidence_types": ["tumor-marker"]})]
    a = metastatic([med("palbociclib", "2024-04-01", status="active")], events)
    assert check_prior_therapy("first-line-cdk46", therapy_history(a)).verdict == "met"


def test_undated_metastatic_start_leaves_every_sequence_rule_unknown():
    a = metastatic([med("paclitaxel", "2024-05-01", status="stopped")], start=None)
    history = therapy_history(a)
    for rule in ("first-line-cdk46", "inavo120", "capitello291", "solar1", "after-endocrine-line", "db04-prior-chemo", "db06-after-et", "ascent", "tropics02",
                 "tropion-breast01"):
        check = check_prior_therapy(rule, history)
        assert check.verdict == "unknown" and "not dated" in check.text, rule


def test_neoadjuvant_chemotherapy_does_not_count_for_the_six_month_rule():
    """DESTINY-Breast04 label: recurrence within 6 months of completing adjuvant chemotherapy."""
    a = metastatic([med("paclitaxel", "2023-06-01", "2023-10-01")], start="2024-01-01")
    a.episode.first_systemic_therapy, a.episode.surgery = "2023-06-01", "2023-11-01"
    from cds_hooks.decision.model import TreatmentWindow
    a.episode.neoadjuvant = TreatmentWindow("2023-06-01", "2023-11-01", [])
    assert check_prior_therapy("db04-prior-chemo", therapy_history(a)).verdict == "unknown"
    a.episode.neoadjuvant, a.episode.surgery = None, "2023-05-01"          # same drug given after surgery
    assert check_prior_therapy("db04-prior-chemo", therapy_history(a)).verdict == "met"


def test_capivasertib_late_relapse_is_never_ruled_out_and_names_both_labels():
    """Truqap: the FDA label's 12 months after adjuvant therapy against the EMA label's no limit. A relapse 13 months
    after adjuvant letrozole is 'unknown' (depends on prior therapy), never 'not-met', and the text says why."""
    a = metastatic([med("letrozole", "2019-04-01", "2023-03-15")], start="2024-04-15")
    a.episode.surgery = "2019-03-01"
    check = check_prior_therapy("capitello291", therapy_history(a))
    assert check.verdict == "unknown", check
    assert "13 months later" in check.text and "FDA label" in check.text and "EMA label" in check.text
    assert check.evidence == ("MedicationRequest/letrozole-2019-04-01",)
    a.episode.metastatic_start = "2024-03-15"                                   # 12 months: on the FDA limit
    assert check_prior_therapy("capitello291", therapy_history(a)).verdict == "met"


def test_capivasertib_relapse_after_chemotherapy_alone_is_not_the_adjuvant_route():
    """Adjuvant chemotherapy ending 6 months before relapse, no endocrine therapy: not established (Truqap's
    condition is about endocrine therapy), so it depends on prior therapy."""
    a = metastatic([med("doxorubicin", "2019-03-20", "2019-05-30")], start="2019-11-30")
    a.episode.surgery = "2019-03-01"
    check = check_prior_therapy("capitello291", therapy_history(a))
    assert check.verdict == "unknown" and "No adjuvant endocrine therapy" in check.text


def _early_her2(meds):
    a = make_assessment("HR+/HER2+", "early", medications=meds)
    a.episode = EpisodeFinding(current="early", diagnosis="2024-10-01", surgery="2024-10-20",
                               first_systemic_therapy="2024-11-15")
    return a


def test_neratinib_after_trastuzumab_counts_from_its_end_to_today():
    """EMA Nerlynx: trastuzumab-based therapy completed less than a year ago. A course whose end date lies after the
    assessment date is still under way; a year or more is 'unknown' (the FDA label sets no limit), never 'not-met'."""
    from datetime import date
    a = _early_her2([med("trastuzumab", "2024-11-15", "2025-12-01")])
    assert check_prior_therapy("extenet-ema", therapy_history(a, date(2026, 11, 1))).verdict == "met"
    late = check_prior_therapy("extenet-ema", therapy_history(a, date(2026, 12, 1)))
    assert late.verdict == "unknown" and "EMA label" in late.text and "FDA label" in late.text, late
    future = _early_her2([med("trastuzumab", "2024-11-15", "2027-01-15", status="active")])
    check = check_prior_therapy("extenet-ema", therapy_history(future, date(2026, 11, 1)))
    assert check.verdict == "unknown" and "under way" in check.text, check
    assert check_prior_therapy("extenet-ema", therapy_history(a)).verdict == "unknown"     # no assessment date


def test_olaparib_counts_chemotherapy_in_any_setting_even_unplaced():
    """Lynparza: chemotherapy before or after surgery or for metastatic disease, so a course the episode model cannot
    place (metastatic start undated) still counts; HR-positive disease also needs endocrine therapy on record."""
    tnbc = make_assessment("triple-negative", "metastatic", medications=[med("paclitaxel", "2024-05-01")])
    tnbc.episode = EpisodeFinding(current="metastatic", diagnosis="2019-01-01", metastatic_start=None)
    history = therapy_history(tnbc)
    assert history.unplaced and check_prior_therapy("olympiad", history).verdict == "met"
    hr = metastatic([med("paclitaxel", "2019-06-01", "2019-08-15")])
    check = check_prior_therapy("olympiad", therapy_history(hr))
    assert check.verdict == "unknown" and "unsuitable" in check.need, check
    hr.medications.append(med("letrozole", "2019-09-01", "2024-02-01"))
    assert check_prior_therapy("olympiad", therapy_history(hr)).verdict == "met"


def test_alpelisib_and_oral_serds_read_endocrine_therapy_differently():
    """Piqray (FDA): progression on or after an endocrine-based regimen, so a relapse years after adjuvant letrozole is
    met. Orserdu/Inluriyo: progression after a line of endocrine therapy, counted only for metastatic disease, so the
    same history is 'unknown' (depends on prior therapy), never 'not-met'; progression on a metastatic line meets both."""
    a = metastatic([med("letrozole", "2015-04-01", "2020-03-15")], start="2024-03-01")
    a.episode.surgery = "2015-03-01"
    history = therapy_history(a)
    assert check_prior_therapy("solar1", history).verdict == "met"
    serd = check_prior_therapy("after-endocrine-line", history)
    assert serd.verdict == "unknown" and serd.evidence == ("MedicationRequest/letrozole-2015-04-01",), serd
    events = [ClinicalEvent("progression", "2025-06-10", "Disease status: worsened", ["Observation/p"],
                            {"status": "worsened", "evidence_types": ["imaging"]})]
    b = metastatic([med("letrozole", "2024-04-01", status="active")], events)
    for rule in ("solar1", "after-endocrine-line"):
        assert check_prior_therapy(rule, therapy_history(b)).verdict == "met", rule
