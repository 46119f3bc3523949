"""Each prior-therapy condition of the option table at its boundary (cds_hooks.decision.lines; issue 12).

Every rule is pinned on what a clinician or an integrator sees: the verdict ("met" makes the row applicable,
anything else leaves it "depends on prior therapy"), the ``need`` shown when the record does not settle it, and the
evidence (the MedicationRequest references the note rests on). Windows are tested at the value, one day below and one
day above; counts at the minimum and one under. Sources: the thresholds' declarations in
``cds_hooks.knowledge.thresholds`` (Enhertu label: DESTINY-Breast03/04 6 months; Trodelvy label: ASCENT two prior
systemic therapies, TROPiCS-02 endocrine therapy plus two further; Itovebi/INAVO120 12 months; EMA Nerlynx less
than a year; Afinitor/BOLERO-2 after letrozole or anastrozole; REGIMEN_WINDOW_DAYS 28, a product choice).
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision.lines import PRIOR_THERAPY_RULES, check_prior_therapy, therapy_history
from cds_hooks.decision.model import ClinicalEvent, EpisodeFinding, MedicationUse

from test_options import make_assessment  # same directory (pytest rootdir-relative import)

CLASSES = {
    "letrozole": "aromatase-inhibitor", "anastrozole": "aromatase-inhibitor", "exemestane": "aromatase-inhibitor",
    "tamoxifen": "serm", "fulvestrant": "serd", "palbociclib": "cdk46-inhibitor",
    "paclitaxel": "taxane", "carboplatin": "platinum", "capecitabine": "fluoropyrimidine",
    "doxorubicin": "anthracycline", "trastuzumab": "anti-her2-antibody", "pertuzumab": "anti-her2-antibody",
    "ado-trastuzumab emtansine": "anti-her2-adc", "neratinib": "her2-tki", "olaparib": "parp-inhibitor",
}


def med(name: str, start: str | None, end: str | None = None, status: str = "completed") -> MedicationUse:
    return MedicationUse(f"MedicationRequest/{name.split()[0]}-{start}", name, None, CLASSES[name], status,
                         start=start, end=end)


def worsened(when: str) -> ClinicalEvent:
    return ClinicalEvent("progression", when, "Disease status: worsened", ["Observation/p"],
                         {"status": "worsened", "evidence_types": ["imaging"]})


def metastatic(meds, *, start: str | None = "2024-03-15", subtype="HR+/HER2-", events=(), surgery="2019-02-01",
               first="2019-03-01"):
    """A patient in the metastatic episode since ``start``; the early episode had surgery first, then adjuvant
    therapy (so an early course started after ``first`` is adjuvant)."""
    a = make_assessment(subtype, "metastatic", medications=list(meds), events=list(events))
    a.episode = EpisodeFinding(current="metastatic", diagnosis="2019-01-01", metastatic_start=start,
                               surgery=surgery, first_systemic_therapy=first)
    return a


def early(meds, subtype="HR+/HER2+"):
    a = make_assessment(subtype, "early", medications=list(meds))
    a.episode = EpisodeFinding(current="early", diagnosis="2024-10-01", surgery="2024-10-20",
                               first_systemic_therapy="2024-11-15")
    return a


def check(rule, a, today=None):
    return check_prior_therapy(rule, therapy_history(a, today))


# ---- Reading the history ----------------------------------------------------------------------------------

def test_a_given_course_sets_any_given_and_a_non_line_drug_does_not():
    """Any anticancer drug given counts as history; a GnRH agonist alone is not a line."""
    assert therapy_history(metastatic([med("paclitaxel", "2024-04-01")])).any_given is True
    goserelin = MedicationUse("MedicationRequest/g", "goserelin", None, "gnrh-agonist", "active", start="2024-04-01")
    assert therapy_history(metastatic([goserelin])).any_given is False


@pytest.mark.parametrize("gap_days,lines", [(27, 1), (28, 1), (29, 2)])
def test_regimen_window_groups_starts_within_28_days(gap_days, lines):
    """REGIMEN_WINDOW_DAYS = 28: a drug starting <= 28 days after the first drug of the line joins it."""
    from datetime import timedelta
    second = (date(2024, 4, 1) + timedelta(days=gap_days)).isoformat()
    history = therapy_history(metastatic([med("letrozole", "2024-04-01", status="active"),
                                          med("palbociclib", second, status="active")]))
    assert len(history.lines) == lines
    assert [line.number for line in history.lines] == list(range(1, lines + 1))


def test_progression_dates_belong_to_the_line_they_follow():
    """A worsening dated after a line's start and up to the next line's start is that line's progression; one on the
    start day itself is not (nothing was yet given)."""
    meds = [med("letrozole", "2024-04-01", status="stopped"), med("paclitaxel", "2024-10-01", status="active")]
    history = therapy_history(metastatic(meds, events=[worsened("2024-04-01")]))
    assert [line.progression for line in history.lines] == [None, None]
    assert history.lines[0].progressed and not history.lines[1].progressed      # followed by line 2
    history = therapy_history(metastatic(meds, events=[worsened("2024-10-01")]))
    assert [line.progression for line in history.lines] == [date(2024, 10, 1), None]
    history = therapy_history(metastatic(meds, events=[worsened("2024-10-02")]))
    assert [line.progression for line in history.lines] == [None, date(2024, 10, 2)]


def test_every_sequence_rule_names_what_to_check_when_the_metastatic_start_is_undated():
    """When earlier and metastatic treatment cannot be told apart, each rule is 'unknown' and says what to check
    (the option's ``needs``), never a bare 'prior therapy' with nothing to act on."""
    a = metastatic([med("paclitaxel", "2024-05-01", status="stopped")], start=None)
    history = therapy_history(a)
    for rule in sorted(set(PRIOR_THERAPY_RULES) - {"olympiad", "extenet-ema", "after-nsai"}):
        result = check_prior_therapy(rule, history)
        assert result.verdict == "unknown", rule
        assert isinstance(result.need, str) and result.need, rule


# ---- BOLERO-2: everolimus + exemestane after letrozole or anastrozole ---------------------------------------

def test_after_nsai_needs_a_relapse_after_the_non_steroidal_ai_started():
    """Afinitor label: after failure of letrozole or anastrozole; a relapse on the start day is not after it, and
    exemestane (steroidal) does not count."""
    started = [med("anastrozole", "2019-04-01", "2023-01-01")]
    a = metastatic(started, events=[worsened("2019-04-01")])
    result = check("after-nsai", a)
    assert result.verdict == "unknown" and result.need
    assert result.evidence == ("MedicationRequest/anastrozole-2019-04-01",)
    assert result.text                                          # the note says what the record shows
    a = metastatic(started, events=[worsened("2019-04-02")])
    result = check("after-nsai", a)
    assert result.verdict == "met" and result.need is None
    assert result.evidence == ("MedicationRequest/anastrozole-2019-04-01",)
    a = metastatic([med("exemestane", "2019-04-01", "2023-01-01")], events=[worsened("2024-03-15")])
    result = check("after-nsai", a)
    assert result.verdict == "unknown" and result.need and result.evidence == ()


def test_after_nsai_cites_only_the_course_that_failed():
    """Letrozole started after the last relapse did not fail; only the anastrozole before it is the evidence."""
    a = metastatic([med("anastrozole", "2019-04-01", "2023-01-01"), med("letrozole", "2024-04-01", status="active")],
                   events=[worsened("2024-03-20")])
    result = check("after-nsai", a)
    assert result.verdict == "met" and result.evidence == ("MedicationRequest/anastrozole-2019-04-01",)


# ---- DESTINY-Breast04: chemotherapy for metastatic disease, or relapse <= 6 months after adjuvant chemo ------------

@pytest.mark.parametrize("relapse,verdict", [("2024-03-14", "met"), ("2024-03-15", "met"), ("2024-03-16", "unknown")])
def test_db04_six_months_after_adjuvant_chemotherapy(relapse, verdict):
    """Enhertu label (DESTINY-Breast04): recurrence within 6 months of completing adjuvant chemotherapy."""
    a = metastatic([med("paclitaxel", "2023-06-01", "2023-09-15")], start=relapse, subtype="triple-negative")
    result = check("db04-prior-chemo", a)
    assert result.verdict == verdict
    assert result.evidence == ("MedicationRequest/paclitaxel-2023-06-01",)
    assert (result.need is None) == (verdict == "met")


def test_db04_relapse_during_adjuvant_chemotherapy_cites_every_course_under_way():
    """A relapse while adjuvant chemotherapy was still running (ongoing, or ending on or after the relapse) meets the
    condition; every course under way at the relapse is evidence, a course long finished is not."""
    ongoing = metastatic([med("paclitaxel", "2024-01-05", status="active")], start="2024-03-15",
                         subtype="triple-negative")
    result = check("db04-prior-chemo", ongoing)
    assert result.verdict == "met" and result.evidence == ("MedicationRequest/paclitaxel-2024-01-05",)
    overlapping = metastatic([med("doxorubicin", "2023-06-01", "2023-08-01"),
                              med("paclitaxel", "2024-01-05", "2024-03-15"),
                              med("carboplatin", "2024-01-05", "2024-04-01")], start="2024-03-15",
                             subtype="triple-negative")
    result = check("db04-prior-chemo", overlapping)
    assert result.verdict == "met"
    assert set(result.evidence) == {"MedicationRequest/paclitaxel-2024-01-05", "MedicationRequest/carboplatin-2024-01-05"}


def test_db04_unknown_when_an_adjuvant_course_has_no_end_or_there_is_none():
    """A stopped course without an end date cannot be counted from; no chemotherapy at all is not established."""
    a = metastatic([med("paclitaxel", "2023-06-01", None, status="stopped")], subtype="triple-negative")
    result = check("db04-prior-chemo", a)
    assert result.verdict == "unknown" and result.need and result.evidence == ()
    result = check("db04-prior-chemo", metastatic([], subtype="triple-negative"))
    assert result.verdict == "unknown" and result.need and result.evidence == ()


def test_db04_chemotherapy_for_metastatic_disease_is_met():
    a = metastatic([med("capecitabine", "2024-04-01", status="active")], subtype="triple-negative")
    result = check("db04-prior-chemo", a)
    assert result.verdict == "met" and result.evidence == ("MedicationRequest/capecitabine-2024-04-01",)


# ---- DESTINY-Breast03: anti-HER2 for metastatic disease, or relapse <= 6 months after (neo)adjuvant anti-HER2 ----

@pytest.mark.parametrize("relapse,verdict", [("2024-03-14", "met"), ("2024-03-15", "met"), ("2024-03-16", "unknown")])
def test_db03_six_months_after_adjuvant_anti_her2(relapse, verdict):
    """Enhertu label (DESTINY-Breast03): relapse during or within 6 months of completing (neo)adjuvant therapy."""
    a = metastatic([med("trastuzumab", "2023-01-05", "2023-09-15")], start=relapse, subtype="HR-/HER2+")
    result = check("db03-prior-anti-her2", a)
    assert result.verdict == verdict
    assert result.evidence == ("MedicationRequest/trastuzumab-2023-01-05",)
    assert (result.need is None) == (verdict == "met")
    assert result.text


def test_db03_relapse_during_adjuvant_anti_her2_and_the_empty_record():
    during = metastatic([med("trastuzumab", "2023-09-01", "2024-03-15")], start="2024-03-15", subtype="HR-/HER2+")
    result = check("db03-prior-anti-her2", during)
    assert result.verdict == "met" and result.evidence == ("MedicationRequest/trastuzumab-2023-09-01",)
    ongoing = metastatic([med("trastuzumab", "2023-09-01", status="active")], subtype="HR-/HER2+")
    assert check("db03-prior-anti-her2", ongoing).verdict == "met"
    result = check("db03-prior-anti-her2", metastatic([], subtype="HR-/HER2+"))
    assert (result.verdict, result.evidence) == ("unknown", ()) and result.need
    no_end = metastatic([med("trastuzumab", "2023-01-05", None, status="stopped")], subtype="HR-/HER2+")
    result = check("db03-prior-anti-her2", no_end)
    assert result.verdict == "unknown" and result.need and result.evidence == ()
    metastatic_line = metastatic([med("trastuzumab", "2024-04-01", status="active")], subtype="HR-/HER2+")
    result = check("db03-prior-anti-her2", metastatic_line)
    assert result.verdict == "met" and result.evidence == ("MedicationRequest/trastuzumab-2024-04-01",)


# ---- DESTINY-Breast06: progression on endocrine therapy for metastatic disease, no chemotherapy for it -----------

def test_db06_is_for_chemotherapy_naive_disease_after_endocrine_progression():
    """DESTINY-Breast06 enrolled patients after endocrine therapy for metastatic disease and before chemotherapy."""
    progressed = metastatic([med("letrozole", "2024-04-01", status="active")], events=[worsened("2025-01-10")])
    result = check("db06-after-et", progressed)
    assert result.verdict == "met" and result.evidence == ("MedicationRequest/letrozole-2024-04-01",)
    on_it = metastatic([med("letrozole", "2024-04-01", status="active")])
    result = check("db06-after-et", on_it)
    assert (result.verdict, result.evidence) == ("unknown", ()) and result.need
    after_chemo = metastatic([med("letrozole", "2024-04-01", status="stopped"),
                              med("paclitaxel", "2024-10-01", status="active")])
    result = check("db06-after-et", after_chemo)
    assert result.verdict == "not-met" and result.need
    assert result.evidence == ("MedicationRequest/paclitaxel-2024-10-01",)


# ---- ASCENT: two prior systemic therapies, one or more for metastatic disease -----------------------------------

@pytest.mark.parametrize("meds,verdict", [
    ([], "unknown"),
    ([med("doxorubicin", "2019-03-05", "2019-06-01")], "unknown"),                        # early only
    ([med("paclitaxel", "2024-04-01", status="stopped")], "unknown"),                     # one metastatic line
    ([med("doxorubicin", "2019-03-05", "2019-06-01"), med("paclitaxel", "2024-04-01", status="stopped")], "met"),
    ([med("paclitaxel", "2024-04-01", status="stopped"), med("capecitabine", "2024-09-01", status="active")], "met"),
])
def test_ascent_counts_two_systemic_therapies_one_metastatic(meds, verdict):
    """Trodelvy label (ASCENT): two or more prior systemic therapies, at least one for metastatic disease; all of the
    (neo)adjuvant therapy counts as one."""
    a = metastatic(meds, subtype="triple-negative")
    result = check("ascent", a)
    assert result.verdict == verdict
    assert (result.need is None) == (verdict == "met")
    assert set(result.evidence) == {m.resource for m in meds}
    assert str(len(therapy_history(a).lines)) in result.text


def test_ascent_two_early_courses_are_still_one_therapy():
    a = metastatic([med("doxorubicin", "2019-03-05", "2019-06-01"), med("paclitaxel", "2019-06-15", "2019-09-01")],
                   subtype="triple-negative")
    assert check("ascent", a).verdict == "unknown"


# ---- TROPiCS-02: endocrine therapy and two further systemic therapies for metastatic disease ---------------------

@pytest.mark.parametrize("meds,verdict", [
    ([med("letrozole", "2019-03-05", "2023-06-01"), med("paclitaxel", "2024-04-01", status="stopped"),
      med("capecitabine", "2024-09-01", status="active")], "met"),                 # adjuvant ET + 2 chemo lines
    ([med("letrozole", "2019-03-05", "2023-06-01"), med("paclitaxel", "2024-04-01", status="active")], "unknown"),
    ([med("paclitaxel", "2024-04-01", status="stopped"), med("capecitabine", "2024-09-01", status="active")],
     "unknown"),                                                                   # no endocrine therapy
    ([med("letrozole", "2024-04-01", status="stopped"), med("fulvestrant", "2024-09-01", status="stopped"),
      med("paclitaxel", "2025-02-01", status="active")], "unknown"),              # endocrine lines are not "further"
])
def test_tropics02_endocrine_then_two_further_lines(meds, verdict):
    """Trodelvy label (TROPiCS-02): endocrine-based therapy and at least two additional systemic therapies for
    metastatic disease."""
    result = check("tropics02", metastatic(meds))
    assert result.verdict == verdict
    assert (result.need is None) == (verdict == "met")
    assert set(result.evidence) == {m.resource for m in meds}
    assert result.text


# ---- INAVO120: relapse on, or within 12 months of finishing, adjuvant endocrine therapy ----------------------------

@pytest.mark.parametrize("relapse,verdict", [("2024-03-14", "met"), ("2024-03-15", "met"),
                                             ("2024-03-16", "not-met")])
def test_inavo120_twelve_months_after_adjuvant_endocrine_therapy(relapse, verdict):
    a = metastatic([med("tamoxifen", "2019-03-05", "2023-03-15")], start=relapse)
    result = check("inavo120", a)
    assert result.verdict == verdict
    assert result.evidence == ("MedicationRequest/tamoxifen-2019-03-05",)
    assert (result.need is None) == (verdict == "met")


def test_inavo120_on_treatment_missing_end_and_missing_therapy():
    result = check("inavo120", metastatic([med("letrozole", "2019-03-05", status="active")]))
    assert result.verdict == "met" and result.evidence == ("MedicationRequest/letrozole-2019-03-05",)
    result = check("inavo120", metastatic([med("letrozole", "2019-03-05", None, status="stopped")]))
    # Unknown is explained on the option (what the record shows), not only asked for.
    assert result.verdict == "unknown" and result.need and isinstance(result.text, str) and result.text.strip()
    assert result.evidence == ("MedicationRequest/letrozole-2019-03-05",)
    result = check("inavo120", metastatic([]))
    assert result.verdict == "unknown" and result.need and result.evidence == ()


# ---- ExteNET (EMA): trastuzumab-based adjuvant therapy completed less than a year ago --------------------------

@pytest.mark.parametrize("today,verdict", [(date(2026, 11, 30), "met"), (date(2026, 12, 1), "unknown"),
                                           (date(2026, 12, 2), "unknown"), (date(2025, 12, 1), "met")])
def test_extenet_less_than_twelve_months_since_trastuzumab(today, verdict):
    """EMA Nerlynx: less than one year after trastuzumab-based adjuvant therapy; at 12 months or more the FDA label
    (no limit) still allows it, so the row depends on prior therapy rather than being ruled out."""
    result = check("extenet-ema", early([med("trastuzumab", "2024-11-15", "2025-12-01")]), today)
    assert result.verdict == verdict
    assert result.evidence == ("MedicationRequest/trastuzumab-2024-11-15",)
    assert (result.need is None) == (verdict == "met")


def test_extenet_counts_from_the_last_trastuzumab_based_course_and_not_a_tki():
    """Pertuzumab and T-DM1 are trastuzumab-based; neratinib itself (a TKI) is not."""
    a = early([med("trastuzumab", "2024-11-15", "2025-06-01"), med("ado-trastuzumab emtansine", "2025-06-15",
                                                                   "2025-12-01")])
    result = check("extenet-ema", a, date(2026, 11, 1))
    assert result.verdict == "met"
    assert result.evidence == ("MedicationRequest/ado-trastuzumab-2025-06-15",)
    result = check("extenet-ema", early([med("neratinib", "2025-01-15", status="active")]), date(2026, 1, 1))
    assert (result.verdict, result.evidence) == ("unknown", ()) and result.need


def test_extenet_unknown_while_under_way_undated_or_without_an_assessment_date():
    ongoing = early([med("pertuzumab", "2024-11-15", status="active")])
    result = check("extenet-ema", ongoing, date(2025, 6, 1))
    assert result.verdict == "unknown" and result.need
    assert result.evidence == ("MedicationRequest/pertuzumab-2024-11-15",)
    no_end = early([med("trastuzumab", "2024-11-15", None, status="stopped")])
    result = check("extenet-ema", no_end, date(2025, 6, 1))
    assert result.verdict == "unknown" and result.evidence == ("MedicationRequest/trastuzumab-2024-11-15",)
    no_today = check("extenet-ema", early([med("trastuzumab", "2024-11-15", "2025-12-01")]))
    assert no_today.verdict == "unknown" and no_today.need and no_today.text
    assert no_today.evidence == ("MedicationRequest/trastuzumab-2024-11-15",)
    ending_today = check("extenet-ema", early([med("trastuzumab", "2024-11-15", "2025-12-01")]), date(2025, 12, 1))
    assert ending_today.verdict == "met"


# ---- HER2-positive first line and later lines --------------------------------------------------------------------

def test_her2_first_line_fits_until_chemotherapy_or_anti_her2_for_metastatic_disease():
    """Perjeta label (CLEOPATRA): no prior chemotherapy or HER2-directed therapy for metastatic disease; endocrine
    therapy for it does not count."""
    result = check("her2-first-line", metastatic([med("letrozole", "2024-04-01", status="active")],
                                                  subtype="HR+/HER2+"))
    assert (result.verdict, result.need, result.evidence) == ("met", None, ())
    for drug in ("paclitaxel", "trastuzumab"):
        result = check("her2-first-line", metastatic([med(drug, "2024-04-01", status="active")], subtype="HR+/HER2+"))
        assert result.verdict == "not-met" and result.need, drug
        assert result.evidence == (f"MedicationRequest/{drug}-2024-04-01",)


def test_her2_later_lines_need_one_anti_her2_line_for_metastatic_disease():
    """Tukysa label: after one or more anti-HER2 regimens for metastatic disease."""
    result = check("her2-later", metastatic([med("trastuzumab", "2024-04-01", status="stopped"),
                                             med("pertuzumab", "2024-04-01", status="stopped")], subtype="HR-/HER2+"))
    assert result.verdict == "met" and result.need is None
    assert set(result.evidence) == {"MedicationRequest/trastuzumab-2024-04-01", "MedicationRequest/pertuzumab-2024-04-01"}
    result = check("her2-later", metastatic([med("paclitaxel", "2024-04-01", status="active")], subtype="HR-/HER2+"))
    assert (result.verdict, result.evidence) == ("unknown", ()) and result.need


# ---- Which medication records are history --------------------------------------------------------------------

@pytest.mark.parametrize("status,given,ongoing", [
    ("active", True, True), ("on-hold", True, True), ("in-progress", True, True), ("Active", True, True),
    ("completed", True, False), ("stopped", True, False),
    ("cancelled", False, False), ("entered-in-error", False, False), ("draft", False, False),
    ("not-taken", False, False), ("unknown", False, False), ("intended", False, False),
])
def test_only_given_statuses_are_history(status, given, ongoing):
    """FHIR R4 MedicationRequest/Statement/Administration statuses: active, on-hold, completed, stopped and an
    administration in progress show a drug given; the others (cancelled, entered-in-error, draft, not-taken, unknown,
    intended) did not treat anyone."""
    history = therapy_history(metastatic([med("paclitaxel", "2024-04-01", status=status)]))
    assert history.any_given == given
    assert len(history.lines) == (1 if given else 0)
    if given:
        assert history.lines[0].courses[0].ongoing == ongoing


def test_an_end_date_ends_an_active_course_and_plans_or_unknown_drugs_are_not_history():
    history = therapy_history(metastatic([med("paclitaxel", "2024-04-01", "2024-08-01", status="active")]))
    assert history.lines[0].courses[0].ongoing is False
    planned = MedicationUse("MedicationRequest/plan", "paclitaxel", None, "taxane", "active", start="2024-04-01",
                            planned=True)
    unknown = MedicationUse("MedicationRequest/x", None, None, None, "active", start="2024-04-01")
    draft = MedicationUse("MedicationRequest/d", "paclitaxel", None, "taxane", "active", start="2024-04-01", draft=True)
    history = therapy_history(metastatic([planned, unknown, draft]))
    assert not history.any_given and history.lines == [] and history.unplaced == []


def test_courses_are_placed_early_metastatic_or_unplaced():
    """A start date before the metastatic start is the early episode; on or after it, a metastatic line; no start date,
    unplaced (it still counts where the time does not matter, e.g. olaparib's prior chemotherapy)."""
    history = therapy_history(metastatic([med("doxorubicin", "2024-03-14", "2024-03-14"),
                                          med("paclitaxel", "2024-03-15", status="active"),
                                          med("capecitabine", None, status="stopped")]))
    assert [c.name for c in history.early] == ["doxorubicin"] and history.early[0].phase == "early"
    assert [line.names for line in history.lines] == [["paclitaxel"]]
    assert history.lines[0].start == date(2024, 3, 15) and history.lines[0].courses[0].phase == "metastatic"
    assert [c.name for c in history.unplaced] == ["capecitabine"] and history.unplaced[0].phase == "unknown"
    assert {c.name for c in history.given("chemotherapy")} == {"doxorubicin", "paclitaxel", "capecitabine"}
    assert {c.name for c in history.ever("chemotherapy")} == {"doxorubicin", "paclitaxel"}
    assert history.lines[0].describe().startswith("line 1 (paclitaxel, from 2024-03-15")


def test_hormone_receptor_status_of_the_history():
    assert therapy_history(metastatic([], subtype="HR+/HER2+")).hormone_receptor_positive is True
    assert therapy_history(metastatic([], subtype="triple-negative")).hormone_receptor_positive is False
    assert therapy_history(metastatic([], subtype="HR-/HER2+")).hormone_receptor_positive is False


def test_month_counting_clamps_to_the_end_of_the_month():
    """31 August to 29 February (leap year) is six whole calendar months; 1 March is more than six."""
    for relapse, verdict in (("2024-02-29", "met"), ("2024-03-01", "unknown")):
        a = metastatic([med("paclitaxel", "2023-06-01", "2023-08-31")], start=relapse, subtype="triple-negative")
        assert check("db04-prior-chemo", a).verdict == verdict, relapse


# ---- First-line CDK4/6 --------------------------------------------------------------------------------------

def test_first_line_cdk46_until_progression_on_a_cdk46_inhibitor():
    """First-line AI + CDK4/6 inhibitor labels (ASCO 2021 update): initial endocrine-based therapy for metastatic
    disease, so it no longer fits after progression on a CDK4/6 inhibitor (or a switch to another line)."""
    result = check("first-line-cdk46", metastatic([]))
    assert (result.verdict, result.need, result.evidence) == ("met", None, ())
    on_it = metastatic([med("letrozole", "2024-04-01", status="active"), med("palbociclib", "2024-04-01",
                                                                             status="active")])
    result = check("first-line-cdk46", on_it)
    assert result.verdict == "met" and result.need is None
    assert set(result.evidence) == {"MedicationRequest/letrozole-2024-04-01", "MedicationRequest/palbociclib-2024-04-01"}
    progressed = metastatic(on_it.medications, events=[worsened("2025-02-01")])
    result = check("first-line-cdk46", progressed)
    assert result.verdict == "not-met" and result.need and "2025-02-01" in result.text
    assert set(result.evidence) == {"MedicationRequest/letrozole-2024-04-01", "MedicationRequest/palbociclib-2024-04-01"}
    switched = metastatic([med("palbociclib", "2024-04-01", status="stopped"), med("paclitaxel", "2024-09-01",
                                                                                   status="active")])
    result = check("first-line-cdk46", switched)
    assert result.verdict == "not-met" and result.evidence == ("MedicationRequest/palbociclib-2024-04-01",)
    adjuvant = metastatic([med("palbociclib", "2019-04-01", "2021-04-01")], events=[worsened("2024-03-15")])
    assert check("first-line-cdk46", adjuvant).verdict == "met"      # only metastatic lines count


# ---- CAPItello-291, SOLAR-1, oral SERDs ---------------------------------------------------------------------

@pytest.mark.parametrize("relapse,verdict", [("2024-03-15", "met"), ("2024-03-16", "unknown")])
def test_capitello291_twelve_months_after_adjuvant_endocrine_therapy(relapse, verdict):
    """Truqap FDA label: recurrence on or within 12 months of completing adjuvant therapy; later, the EMA label (no
    limit) keeps the row open: 'unknown', never 'not-met'."""
    a = metastatic([med("letrozole", "2019-03-05", "2023-03-15")], start=relapse)
    result = check("capitello291", a)
    assert result.verdict == verdict
    assert result.evidence == ("MedicationRequest/letrozole-2019-03-05",)
    assert (result.need is None) == (verdict == "met")


def test_capitello291_progression_on_a_metastatic_endocrine_line():
    a = metastatic([med("fulvestrant", "2024-04-01", status="active")], events=[worsened("2025-01-01")])
    result = check("capitello291", a)
    assert result.verdict == "met" and result.evidence == ("MedicationRequest/fulvestrant-2024-04-01",)
    a = metastatic([med("fulvestrant", "2024-04-01", status="active")])
    result = check("capitello291", a)
    assert result.verdict == "unknown" and result.need and result.evidence == ()


def test_solar1_relapse_after_early_endocrine_therapy_began():
    """Piqray: progression on or after an endocrine-based regimen; the metastatic start itself is such a relapse, but
    endocrine therapy started on or after the relapse is not 'before' it."""
    before = check("solar1", metastatic([med("tamoxifen", "2019-03-05", "2021-03-05")]))
    assert before.verdict == "met" and before.evidence == ("MedicationRequest/tamoxifen-2019-03-05",)
    assert before.need is None
    none = check("solar1", metastatic([med("paclitaxel", "2019-03-05", "2019-06-05")]))
    assert (none.verdict, none.evidence) == ("unknown", ()) and none.need
    line = check("solar1", metastatic([med("letrozole", "2024-04-01", status="active")]))
    assert line.verdict == "unknown"                        # on a first endocrine line, no progression yet


def test_oral_serd_without_any_endocrine_therapy():
    result = check("after-endocrine-line", metastatic([]))
    assert (result.verdict, result.evidence) == ("unknown", ()) and result.need


# ---- OlympiAD, TROPION-Breast01 ------------------------------------------------------------------------------

def test_olympiad_chemotherapy_and_for_hr_positive_endocrine_therapy():
    """Lynparza: prior chemotherapy in any setting; HR-positive disease also endocrine therapy (or judged unsuitable,
    which the record cannot show)."""
    tnbc = check("olympiad", metastatic([med("paclitaxel", "2019-04-01", "2019-07-01")], subtype="triple-negative"))
    assert (tnbc.verdict, tnbc.need, tnbc.evidence) == ("met", None, ("MedicationRequest/paclitaxel-2019-04-01",))
    none = check("olympiad", metastatic([], subtype="triple-negative"))
    assert (none.verdict, none.evidence) == ("unknown", ()) and none.need
    hr_chemo = check("olympiad", metastatic([med("paclitaxel", "2019-04-01", "2019-07-01")]))
    assert hr_chemo.verdict == "unknown" and hr_chemo.need
    assert hr_chemo.evidence == ("MedicationRequest/paclitaxel-2019-04-01",)
    both = check("olympiad", metastatic([med("paclitaxel", "2019-04-01", "2019-07-01"),
                                         med("tamoxifen", "2019-08-01", "2023-08-01")]))
    assert both.verdict == "met" and both.need is None
    assert both.evidence == ("MedicationRequest/paclitaxel-2019-04-01", "MedicationRequest/tamoxifen-2019-08-01")


def test_tropion_needs_endocrine_and_chemotherapy_for_metastatic_disease():
    """Datroway: prior endocrine-based therapy and chemotherapy for unresectable or metastatic disease; adjuvant
    endocrine therapy does not count."""
    both = check("tropion-breast01", metastatic([med("letrozole", "2024-04-01", status="stopped"),
                                                 med("paclitaxel", "2024-10-01", status="active")]))
    assert both.verdict == "met" and both.need is None
    assert set(both.evidence) == {"MedicationRequest/letrozole-2024-04-01", "MedicationRequest/paclitaxel-2024-10-01"}
    chemo_only = check("tropion-breast01", metastatic([med("letrozole", "2019-04-01", "2023-04-01"),
                                                       med("paclitaxel", "2024-10-01", status="active")]))
    assert chemo_only.verdict == "unknown" and chemo_only.need
    assert chemo_only.evidence == ("MedicationRequest/paclitaxel-2024-10-01",)
    et_only = check("tropion-breast01", metastatic([med("letrozole", "2024-04-01", status="active")]))
    assert et_only.verdict == "unknown" and et_only.evidence == ("MedicationRequest/letrozole-2024-04-01",)


def test_adjuvant_endocrine_rules_need_a_dated_relapse():
    """In the early episode there is no relapse to count from: INAVO120 and CAPItello-291 stay 'unknown'."""
    a = make_assessment("HR+/HER2-", "early", medications=[med("letrozole", "2024-11-20", status="active")])
    a.episode = EpisodeFinding(current="early", diagnosis="2024-10-01", surgery="2024-10-20",
                               first_systemic_therapy="2024-11-15")
    for rule in ("inavo120", "capitello291"):
        result = check(rule, a)
        assert result.verdict == "unknown" and result.need, rule


def test_hormone_receptor_positive_from_either_the_hr_call_or_the_subtype():
    """OlympiAD's extra endocrine requirement applies to hormone receptor-positive disease, named by the HR call or by
    the subtype (either suffices)."""
    a = metastatic([])
    a.hr, a.subtype = "positive", "indeterminate"
    assert therapy_history(a).hormone_receptor_positive is True
    a.hr, a.subtype = "unknown", "HR+/HER2-"
    assert therapy_history(a).hormone_receptor_positive is True
    a.hr, a.subtype = "unknown", "indeterminate"
    assert therapy_history(a).hormone_receptor_positive is False


def test_solar1_a_relapse_on_the_day_endocrine_therapy_started_is_not_after_it():
    a = make_assessment("HR+/HER2-", "early", medications=[med("tamoxifen", "2024-11-20", status="active")],
                        events=[worsened("2024-11-20")])
    a.episode = EpisodeFinding(current="early", diagnosis="2024-10-01", surgery="2024-10-20",
                               first_systemic_therapy="2024-11-15")
    assert check("solar1", a).verdict == "unknown"
    a.events = [worsened("2024-11-21")]
    assert check("solar1", a).verdict == "met"


@pytest.mark.parametrize("kind,counts", [("progression", True), ("recurrence", True), ("metastasis", True),
                                         ("disease-status", False), ("stage", False), ("diagnosis", False)])
def test_which_events_end_a_line(kind, counts):
    """A recurrence, a new metastasis or a worsened disease status after a line's start is progression on it; a stable
    or improved status ("disease-status"), a stage or a diagnosis is not."""
    event = ClinicalEvent(kind, "2025-01-10", kind, ["Observation/e"], {})
    (line,) = therapy_history(metastatic([med("letrozole", "2024-04-01", status="active")], events=[event])).lines
    assert (line.progression == date(2025, 1, 10)) == counts
    assert line.progressed == counts


def test_lines_are_numbered_in_date_order_whatever_the_record_order():
    history = therapy_history(metastatic([med("capecitabine", "2025-03-01", status="active"),
                                          med("paclitaxel", "2024-09-01", status="stopped"),
                                          med("letrozole", "2024-04-01", status="stopped")],
                                         events=[worsened("2025-02-15"), worsened("2024-08-20")]))
    assert [(line.number, line.names) for line in history.lines] == [
        (1, ["letrozole"]), (2, ["paclitaxel"]), (3, ["capecitabine"])]
    assert [line.progression for line in history.lines] == [date(2024, 8, 20), date(2025, 2, 15), None]
    assert history.relapses == [date(2024, 8, 20), date(2025, 2, 15)]


def test_after_nsai_an_undated_course_cannot_show_failure():
    """An undated letrozole is on record (cited), but no relapse can be placed after its start: 'unknown'."""
    result = check("after-nsai", metastatic([med("letrozole", None, status="stopped")], events=[worsened("2025-01-01")]))
    assert result.verdict == "unknown" and result.need
    assert result.evidence == ("MedicationRequest/letrozole-None",)


def test_a_line_names_its_drugs_sorted_and_a_course_falls_back_to_display_then_reference():
    """What the option note shows for a line: its drugs in a stable (alphabetical) order; a drug without an
    ingredient name is shown by its recorded display, else by its reference."""
    display_only = MedicationUse("MedicationRequest/d", None, None, "taxane", "active", display="Taxol infusion",
                                 start="2024-04-02")
    bare = MedicationUse("MedicationRequest/b", None, None, "platinum", "active", start="2024-04-03")
    (line,) = therapy_history(metastatic([med("palbociclib", "2024-04-01", status="active"), display_only, bare,
                                          med("letrozole", "2024-04-01", status="active")])).lines
    assert line.names == sorted(["palbociclib", "Taxol infusion", "MedicationRequest/b", "letrozole"])
    assert line.classes == frozenset({"cdk46", "chemotherapy", "endocrine"})


# ---- A "met" condition says what in the record meets it (the option's note; seed-3 mutation sample) ------------

@pytest.mark.parametrize("relapse,verdict,months", [("2024-03-15", "met", "12 months later"),
                                                    ("2024-03-16", "not-met", "more than 12 months later")])
def test_adjuvant_endocrine_relapse_note_states_the_interval_as_counted(relapse, verdict, months):
    """Itovebi label / INAVO120: relapse within 12 months of completing adjuvant endocrine therapy. On the limit the
    note says the whole 12 months; one day past it says "more than 12", so the words agree with the verdict."""
    result = check("inavo120", metastatic([med("tamoxifen", "2019-03-05", "2023-03-15")], start=relapse))
    assert result.verdict == verdict
    assert f"tamoxifen ended 2023-03-15; relapse {relapse}, {months}." in result.text
    if verdict == "met":
        assert "more than" not in result.text


def test_capitello291_met_by_a_progressed_endocrine_line_names_that_line():
    """Truqap label: progression on an endocrine-based regimen for metastatic disease; the note names the regimen."""
    a = metastatic([med("fulvestrant", "2024-04-01", status="active")], events=[worsened("2025-01-01")])
    result = check("capitello291", a)
    assert result.verdict == "met"
    assert "fulvestrant" in result.text and "2024-04-01" in result.text


def test_first_line_cdk46_met_while_on_it_names_the_current_line():
    """First-line CDK4/6 labels: still the first endocrine-based line, and the note shows which one."""
    a = metastatic([med("letrozole", "2024-04-01", status="active"), med("palbociclib", "2024-04-01", status="active")])
    result = check("first-line-cdk46", a)
    assert result.verdict == "met"
    assert "palbociclib" in result.text and "letrozole" in result.text and "2024-04-01" in result.text
