"""What the patient page may say, each statement with the sources it rests on.

Why a table: a page that explains results to a patient must say nothing the sources do not say,
and a clinician must be able to review every sentence in one place. Each ``PatientStatement``
is one short piece of plain-language text (English; it is also the gettext message id, so the
page can be translated from the message catalogs) and the ids of the sources in
``cds_hooks.knowledge.sources.SOURCES`` behind it. The page (``app/patient``) chooses statements
from the same ``Assessment`` the clinician's cards come from; it never writes clinical text of its own.

Sources a patient sees (tested for every fixture page): only confirmed, citable ones (``patient`` or
``clinician`` audience in ``sources.py``, never ``internal``: no seed page, no section of our own
reference, no repository), only those that fit the patient (``shown_sources``: the male breast cancer
guideline only for a man; the ovarian-suppression trials and SEER's figures for women only), and one
address once. Every statement rests on at least one such source, except the few marked
``about_record`` that only say what this patient's record holds (a date, a result missing or not final).

Text rules (tested): Flesch-Kincaid grade of at most 8 for every rendered page; medical terms
marked ``<dfn>`` where they are explained; no dose, no prescription, no "you should"; placeholders
in ``{braces}`` are filled with escaped values. Only ``<dfn>`` and ``<strong>`` markup is allowed.

Where sources disagree (surfaced, not hidden):
- How common each subtype is. SEER (US women, 2017-2021, all cases incl. 6 % unknown) gives
  HR+/HER2- 69.5 %, triple-negative 10.5 %, HR+/HER2+ 9.6 %, HR-/HER2+ 4.0 %. The American Cancer
  Society says "about 2 of 3" breast cancers have a hormone receptor (SEER: 79 % are HR+), and
  patient sites put HER2-positive at 15-20 % (SEER: 13.6 %). The page uses SEER's figures, rounded
  ("about 7 in 10"), because they are per subtype and the most recent population data we confirmed.
- "Luminal A/B" means different things in different sources (SEER calls HR+/HER2+ "luminal B";
  others use Ki-67 and PR). The core does not read it (clinical-knowledge.md b.4), so the page does
  not mention it.
"""
from __future__ import annotations

from dataclasses import dataclass

from .sources import FEMALE_ONLY_SOURCES, MALE_ONLY_SOURCES, SOURCES


@dataclass(frozen=True)
class PatientStatement:
    id: str
    text: str                      # English; the gettext msgid
    sources: tuple[str, ...]
    # About this patient's own record only (a date, a result that is missing or not final, a question it
    # prompts): no medical claim, so no clinical source; the page cites the record ("from the results in your
    # record") and, where a pitfall prompted the line, that pitfall's sources.
    about_record: bool = False


_ASCO_ERPR = ("asco-cap-2020-er-pr", "acs-hormone-receptor-status")
_HER2 = ("asco-cap-2023-her2", "acs-her2-status")

PATIENT_STATEMENTS_TABLE: tuple[PatientStatement, ...] = (
    PatientStatement("notice.partial-data",
                     "Some of your records could not be read, so results may be missing from this page.",
                     (), about_record=True),
    # ---- What was tested ----------------------------------------------------------------------
    PatientStatement("tested.sample",
                     "A doctor who studies cells, called a <dfn>pathologist</dfn>, looked at cells from your "
                     "cancer. The cells came from a <dfn>biopsy</dfn> (a small piece of tissue taken out) or "
                     "from surgery.", ("acs-hormone-receptor-status",)),
    PatientStatement("tested.three", "The lab looked for three things on the cancer cells:",
                     ("acs-hormone-receptor-status", "acs-her2-status")),
    PatientStatement("tested.er",
                     "<dfn>ER</dfn>, the estrogen receptor. It shows if the cells can use the hormone estrogen "
                     "to grow.", _ASCO_ERPR),
    PatientStatement("tested.pr",
                     "<dfn>PR</dfn>, the progesterone receptor. It shows if the cells can use the hormone "
                     "progesterone to grow.", _ASCO_ERPR),
    PatientStatement("tested.her2",
                     "<dfn>HER2</dfn>, a protein on the outside of the cell. Too much of it can make cells "
                     "grow fast.", _HER2),
    PatientStatement("tested.stain",
                     "ER and PR are found with a stain. The lab counts how many cells out of 100 take up the "
                     "stain.", ("asco-cap-2020-er-pr",)),
    PatientStatement("tested.ihc",
                     "HER2 is first tested with a stain called <dfn>IHC</dfn>. It gives a score of 0, 1+, 2+ "
                     "or 3+. A score of 3+ means a lot of HER2.", _HER2),
    PatientStatement("tested.fish",
                     "A second test, called <dfn>FISH</dfn> or ISH, counts the copies of the HER2 gene in each "
                     "cell. Extra copies let the cell make too much HER2.", _HER2),
    PatientStatement("tested.two-plus",
                     "A score of 2+ is in the middle. The stain alone cannot tell if there is too much HER2, "
                     "so the lab then does FISH to count the gene copies.",
                     ("asco-cap-2018-her2", "acs-her2-status")),
    # ---- Each result in words -----------------------------------------------------------------
    PatientStatement("result.er.positive", "ER positive: {percent} out of 100 cells took up the stain.",
                     _ASCO_ERPR),
    PatientStatement("result.er.positive-no-percent",
                     "ER positive. The record does not say how many cells took up the stain.", _ASCO_ERPR),
    PatientStatement("result.er.low",
                     "ER low: only {percent} out of 100 cells took up the stain. This is called "
                     "<dfn>ER-low</dfn> (1 to 10 out of 100 cells).", ("asco-cap-2020-er-pr",)),
    PatientStatement("result.er.low-no-percent",
                     "ER low: only a few cells took up the stain. This is called <dfn>ER-low</dfn>.",
                     ("asco-cap-2020-er-pr",)),
    PatientStatement("result.er.negative", "ER negative: fewer than 1 out of 100 cells took up the stain.",
                     _ASCO_ERPR),
    PatientStatement("result.er.negative-no-percent", "ER negative.", _ASCO_ERPR),
    PatientStatement("result.er.unknown", "ER: your record does not have a result we can use.", (),
                     about_record=True),
    PatientStatement("result.pr.positive", "PR positive: {percent} out of 100 cells took up the stain.",
                     _ASCO_ERPR),
    PatientStatement("result.pr.positive-no-percent",
                     "PR positive. The record does not say how many cells took up the stain.", _ASCO_ERPR),
    PatientStatement("result.pr.low",
                     "PR low: only {percent} out of 100 cells took up the stain.", ("asco-cap-2020-er-pr",)),
    PatientStatement("result.pr.low-no-percent", "PR low: only a few cells took up the stain.",
                     ("asco-cap-2020-er-pr",)),
    PatientStatement("result.pr.negative", "PR negative: fewer than 1 out of 100 cells took up the stain.",
                     _ASCO_ERPR),
    PatientStatement("result.pr.negative-no-percent", "PR negative.", _ASCO_ERPR),
    PatientStatement("result.pr.unknown", "PR: your record does not have a result we can use.", (),
                     about_record=True),
    PatientStatement("result.her2.positive-ihc",
                     "HER2 positive: the IHC score was 3+. The cells have a lot of HER2.", _HER2),
    PatientStatement("result.her2.positive-fish",
                     "HER2 positive: FISH found extra copies of the HER2 gene.", _HER2),
    PatientStatement("result.her2.positive", "HER2 positive: the cells have too much HER2.", _HER2),
    PatientStatement("result.her2.low",
                     "<dfn>HER2-low</dfn>: the IHC score was {score}. The cells have some HER2, but not a lot. "
                     "This still counts as HER2 negative.", ("asco-cap-2023-her2",)),
    PatientStatement("result.her2.ultralow",
                     "<dfn>HER2-ultralow</dfn>: the IHC score was 0, but a faint stain was seen on a few cells. "
                     "This counts as HER2 negative.", ("asco-cap-2023-her2", "destiny-breast06-fda-2025")),
    PatientStatement("result.her2.null",
                     "<dfn>HER2-0</dfn>: the IHC score was 0 and no stain was seen. This counts as HER2 "
                     "negative.", ("asco-cap-2023-her2",)),
    PatientStatement("result.her2.zero",
                     "<dfn>HER2-0</dfn>: the IHC score was 0. The record does not say if a faint stain was "
                     "seen.", ("asco-cap-2023-her2",)),
    PatientStatement("result.her2.negative-no-score",
                     "HER2 negative. The record does not give the IHC score.", _HER2),
    PatientStatement("result.her2.equivocal",
                     "HER2: the IHC score was 2+, and there is no FISH result yet. The result is not settled.",
                     ("asco-cap-2018-her2",)),
    PatientStatement("result.her2.unknown", "HER2: your record does not have a result we can use yet.",
                     (), about_record=True),
    PatientStatement("result.needs-review", "{name}: your care team needs to check this result.", (),
                     about_record=True),
    PatientStatement("result.date", "The results above are from {date}.", (), about_record=True),
    # ---- Which sample the results come from (the patient over time: episodes, issue 13 section 1) --------
    PatientStatement("sample.after-treatment",
                     "These results are from a biopsy taken before you started cancer medicine. Tissue taken out "
                     "later, after the medicine, was tested too. Medicine can change these results. So your care "
                     "team goes by the results from before treatment.",
                     ("breastcancer-org-status-change", "yilmaz-2022-neoadjuvant-change")),
    PatientStatement("sample.metastasis",
                     "These results are from a new biopsy of the cancer that spread. Your care team goes by these "
                     "new results.", ("breastcancer-org-status-change", "esmo-abc5-2020", "schrijver-2018")),
    PatientStatement("sample.recurrence",
                     "These results are from a biopsy of the cancer that came back. Your care team goes by these "
                     "new results.", ("breastcancer-org-status-change", "esmo-abc5-2020")),
    PatientStatement("sample.new-primary",
                     "These results are from a biopsy of the new cancer in your other breast. A new cancer is "
                     "tested on its own, so its results can differ from those of your first cancer.",
                     ("asco-cap-2020-er-pr", "asco-cap-2018-her2")),
    PatientStatement("sample.differs-from-first",
                     "Some of these results are not the same as the tests on your first cancer. This can happen, "
                     "because cancer cells can change over time. Your care team needs to review both results.",
                     ("breastcancer-org-status-change", "schrijver-2018", "esmo-abc5-2020")),
    PatientStatement("sample.samples-differ",
                     "Two samples of your cancer did not give the same result. Your care team needs to review "
                     "both samples. This page shows the result the testing guidelines say to go by.",
                     ("asco-cap-2018-her2", "asco-cap-2023-her2", "asco-cap-2020-er-pr")),
    PatientStatement("sample.bilateral",
                     "Your record shows a cancer in each breast, found at about the same time. Each one is its own "
                     "cancer and was tested on its own, so the results are shown for each breast.",
                     ("seer-solid-tumor-rules", "asco-cap-2020-er-pr", "asco-cap-2018-her2")),
    PatientStatement("sample.unplaced",
                     "A sample taken later is also in your record. The record does not show if it came from your "
                     "first cancer or from a new one. Your care team needs to check this. Until then, this page "
                     "uses the results of your first cancer.", (), about_record=True),
    PatientStatement("sample.newer-not-final",
                     "A newer result is in your record, but it is not final yet. It may differ from the results "
                     "shown here. Your care team will look at it when it is final.", (), about_record=True),
    # ---- The subtype in words -----------------------------------------------------------------
    PatientStatement("subtype.hr-pos-her2-neg",
                     "Your cancer is <strong>hormone receptor positive and HER2 negative</strong> (HR+/HER2-). "
                     "The cells can use hormones to grow. They do not have too much HER2.",
                     ("acs-hormone-receptor-status", "seer-breast-subtypes")),
    PatientStatement("subtype.hr-pos-her2-pos",
                     "Your cancer is <strong>hormone receptor positive and HER2 positive</strong> (HR+/HER2+). "
                     "The cells can use hormones to grow. They also have too much HER2.",
                     ("acs-hormone-receptor-status", "acs-her2-status", "seer-breast-subtypes")),
    PatientStatement("subtype.hr-neg-her2-pos",
                     "Your cancer is <strong>HER2 positive and hormone receptor negative</strong> (HR-/HER2+). "
                     "The cells have too much HER2. They do not use hormones to grow.",
                     ("acs-her2-status", "seer-breast-subtypes")),
    PatientStatement("subtype.triple-negative",
                     "Your cancer is <strong><dfn>triple negative</dfn></strong>. ER, PR and HER2 are all "
                     "negative. The cells do not use hormones to grow, and they do not have too much HER2.",
                     ("acs-hormone-receptor-status", "seer-breast-subtypes")),
    PatientStatement("frequency.hr-pos-her2-neg",
                     "This is the most common kind. About 7 in 10 breast cancers are this kind.",
                     ("seer-breast-subtypes",)),
    PatientStatement("frequency.hr-pos-her2-pos", "About 1 in 10 breast cancers are this kind.",
                     ("seer-breast-subtypes",)),
    PatientStatement("frequency.hr-neg-her2-pos", "About 1 in 25 breast cancers are this kind.",
                     ("seer-breast-subtypes",)),
    PatientStatement("frequency.triple-negative", "About 1 in 10 breast cancers are this kind.",
                     ("seer-breast-subtypes",)),
    PatientStatement("qualifier.er-low",
                     "Your ER result is low. Some ER-low cancers act more like cancers with no ER, PR or HER2, "
                     "so your care team will look at it closely.", ("asco-cap-2020-er-pr", "paakkola-2021")),
    PatientStatement("qualifier.her2-low",
                     "HER2-low matters most if the cancer spreads. Then some medicines aimed at HER2 may still "
                     "help.", ("asco-cap-2023-her2", "destiny-breast06-fda-2025")),
    PatientStatement("qualifier.her2-ultralow",
                     "HER2-ultralow matters most if the cancer spreads. Then one medicine aimed at HER2 may "
                     "still help.", ("destiny-breast06-fda-2025",)),
    PatientStatement("subtype.two-kinds",
                     "Your two cancers are not the same kind. The kind of each one is shown below. Treatment is "
                     "planned to cover both of them.", ("seer-solid-tumor-rules", "asco-cap-2020-er-pr",
                                                     "asco-cap-2018-her2")),
    PatientStatement("subtype.both-breasts", "The cancers in both breasts are this kind.",
                     ("seer-solid-tumor-rules", "asco-cap-2020-er-pr", "asco-cap-2018-her2")),
    # ---- Needs review -------------------------------------------------------------------------
    PatientStatement("review.intro",
                     "Your care team needs to look at your results again before anyone can say what kind of "
                     "breast cancer this is. This page does not guess.",
                     ("acs-hormone-receptor-status", "acs-her2-status")),
    PatientStatement("review.her2-unsettled",
                     "The HER2 result is not settled. One more test is needed.",
                     ("asco-cap-2018-her2", "asco-cap-2023-her2")),
    PatientStatement("review.missing",
                     "Some results are missing from your record.", (), about_record=True),
    PatientStatement("review.er-pr-pattern",
                     "Your ER and PR results do not fit the usual pattern. Results like these are often "
                     "checked again.", ("asco-cap-2020-er-pr-rec2",)),
    PatientStatement("review.conflict",
                     "Two results from the same sample do not agree.", (), about_record=True),
    PatientStatement("review.her2-reading",
                     "The HER2 gene count gave an unusual result. It needs a second look.",
                     ("asco-cap-2018-her2",)),
    PatientStatement("review.preliminary",
                     "Some results are not final yet.", (), about_record=True),
    PatientStatement("review.new-primary-untested",
                     "Your record shows a new cancer in your other breast. It has no test results of its own yet. "
                     "The results of your first cancer do not tell what the new one is like.",
                     ("seer-solid-tumor-rules", "asco-cap-2020-er-pr", "asco-cap-2018-her2")),
    PatientStatement("review.after-treatment-only",
                     "The only results in your record come from tissue taken out after you started cancer "
                     "medicine. Medicine can change these results. Your care team needs the results from before "
                     "treatment.", ("breastcancer-org-status-change", "yilmaz-2022-neoadjuvant-change")),
    # ---- Kinds of treatment -------------------------------------------------------------------
    PatientStatement("treatment.intro",
                     "Treatment depends on the kind of cancer and its <dfn>stage</dfn> (how big it is and how "
                     "far it has spread). These kinds of treatment are often used for this kind and stage. "
                     "Your care team will talk with you about what fits you.",
                     ("lbbc-treatments",)),
    PatientStatement("treatment.early-local",
                     "Surgery and <dfn>radiation</dfn> (strong rays aimed at the cancer) treat the breast and the "
                     "nearby <dfn>lymph nodes</dfn> (small glands under the arm). They are called local "
                     "treatment.", ("lbbc-treatments",)),
    PatientStatement("treatment.metastatic",
                     "The record shows that the cancer has spread to other parts of the body. This is called "
                     "<dfn>metastatic</dfn> cancer. Treatment then uses medicines that reach the whole body.",
                     ("lbbc-treatments",)),
    PatientStatement("treatment.unknown-stage",
                     "Your record does not show the stage clearly, so this list may not fit your case.",
                     ("lbbc-treatments",)),
    PatientStatement("kind.hormone",
                     "<dfn>Hormone therapy</dfn>: medicines that lower estrogen or stop it from reaching the "
                     "cancer cells.", ("acs-hormone-receptor-status",)),
    PatientStatement("kind.targeted",
                     "<dfn>Targeted therapy</dfn>: medicines aimed at certain proteins that cancer cells use to "
                     "grow.", ("cancer-ca-targeted-therapy",)),
    PatientStatement("kind.her2",
                     "<dfn>HER2-targeted therapy</dfn>: medicines that attack HER2 on the cancer cells.",
                     ("acs-her2-status",)),
    PatientStatement("kind.adc",
                     "<dfn>Antibody-drug conjugates</dfn>: medicines that carry a cell-killing drug straight to "
                     "the cancer cells.", ("destiny-breast06-fda-2025",)),
    PatientStatement("kind.chemo",
                     "<dfn>Chemotherapy</dfn>: medicines that kill cells that grow fast.", ("lbbc-treatments",)),
    PatientStatement("kind.immuno",
                     "<dfn>Immunotherapy</dfn>: medicines that help your immune system fight the cancer.",
                     ("keynote-522-ascopost",)),
    PatientStatement("treatment.before-surgery",
                     "Medicine is sometimes given before surgery. If the surgeon then finds no cancer left, "
                     "this is called a <dfn>complete response</dfn>. It is a good sign.",
                     ("cortazar-2014-pcr",)),
    PatientStatement("treatment.had-before-surgery",
                     "Your record shows that you had cancer medicine before surgery. If no cancer is found at "
                     "surgery after this medicine, it is called a <dfn>complete response</dfn>. It is a good sign.",
                     ("cortazar-2014-pcr",)),
    PatientStatement("treatment.residual-after-medicine",
                     "Your record shows that you had cancer medicine before surgery, and that some cancer was still "
                     "there at surgery. Your care team may talk with you about more treatment after surgery.",
                     ("katherine-2019", "create-x")),
    # ---- When results can change --------------------------------------------------------------
    PatientStatement("change.general",
                     "Cancer cells can change over time. If the cancer comes back or spreads, your care team "
                     "may ask for a new biopsy. The new test shows what the cancer is like now, and that can "
                     "change which treatments may help.",
                     ("breastcancer-org-status-change", "schrijver-2018")),
    PatientStatement("change.relapse-not-retested",
                     "Your record shows that the cancer came back or spread. The tests in your record are from "
                     "before that time.", ("schrijver-2018", "breastcancer-org-status-change")),
    PatientStatement("change.her2-low-differs",
                     "Your HER2 results were not the same on every sample. This can happen, because HER2 can "
                     "differ from one part of a cancer to another.", ("asco-cap-2023-her2",)),
    # Results that predate the current disease state (pitfall P13 as revised: no age limit).
    PatientStatement("change.since-tests",
                     "Your record shows that the cancer came back, grew or spread after these tests were done. The "
                     "tests may not show what the cancer is like now.",
                     ("breastcancer-org-status-change", "schrijver-2018", "asco-2021-mbc-update")),
    # ---- Questions to ask ---------------------------------------------------------------------
    PatientStatement("question.er-percent", "Was my ER percentage measured?", ("asco-cap-2020-er-pr",)),
    PatientStatement("question.pr-percent", "Was my PR percentage measured?", ("asco-cap-2020-er-pr",)),
    PatientStatement("question.her2-score", "What was my HER2 IHC score?", ("asco-cap-2023-her2",)),
    PatientStatement("question.her2-ultralow", "Was my HER2 0 result checked for a faint stain? A faint stain is called <dfn>HER2-ultralow</dfn>.",
                     ("asco-cap-2023-her2",)),
    PatientStatement("question.fish", "Will FISH be done on my sample, and when will I get the result?",
                     ("asco-cap-2018-her2",)),
    PatientStatement("question.er-low", "What does my ER-low result mean for my treatment?",
                     ("asco-cap-2020-er-pr",)),
    PatientStatement("question.her2-low", "Does my HER2 result matter for my treatment now or later?",
                     ("asco-cap-2023-her2",)),
    PatientStatement("question.retest", "Will the cancer that came back be tested again for ER, PR and HER2?",
                     ("schrijver-2018",)),
    PatientStatement("question.up-to-date", "Are my test results still up to date?",
                     ("breastcancer-org-status-change", "schrijver-2018")),
    PatientStatement("question.both-cancers", "How will my treatment cover both cancers?", (), about_record=True),
    PatientStatement("question.review", "When will my results be checked again, and what will that change?",
                     (), about_record=True),
    PatientStatement("question.stage",
                     "What is the <dfn>stage</dfn> of my cancer, that is, how big is it and how far has it spread?",
                     ("lbbc-treatments",)),
    PatientStatement("question.treatments", "Which kinds of treatment fit my cancer and how far it has spread?",
                     ("lbbc-treatments",)),
    PatientStatement("question.before-surgery", "Will I get medicine before surgery?",
                     ("cortazar-2014-pcr",)),
    PatientStatement("question.trials",
                     "Is there a <dfn>clinical trial</dfn> (a research study of a new treatment) that fits me?",
                     ("nci-clinical-trials",)),
)

PATIENT_STATEMENTS: dict[str, PatientStatement] = {s.id: s for s in PATIENT_STATEMENTS_TABLE}

# Pitfalls that question the receptor results themselves: with any of them the patient page says the
# care team needs to review, and shows no subtype. The other pitfalls are about treatment or data
# the clinician handles; the page turns some of them into questions (below), never into their wording.
REVIEW_PITFALLS: dict[str, str] = {
    "P1": "review.er-pr-pattern",       # ER-negative, PR-positive: often a testing artefact (ASCO/CAP 2020)
    "P4": "review.her2-unsettled",      # IHC 2+ without ISH
    "P5": "review.her2-unsettled",      # ISH group 2-4 without IHC
    "P6": "review.her2-reading",        # atypical ISH group read as negative
    "P18": "review.conflict",           # same specimen and date, results disagree
}

# Pitfalls that become a question to ask (statement id). Chosen from the assessment, never copied.
# P9 (a biopsy of the relapse, not a conversion it showed) and P13 (a receptor result older than the current
# disease state, not an ESR1 result) are chosen by app.patient.explain from what each alert is about.
QUESTION_PITFALLS: dict[str, str] = {
    "P3": "question.er-percent",
    "P4": "question.fish",
    "P7": "question.her2-score",
    "P8": "question.her2-ultralow",
}

# Drug classes of the options table (cds_hooks.knowledge.options) as kinds of treatment a patient reads.
TREATMENT_KINDS: dict[str, str] = {
    "endocrine therapy": "kind.hormone", "aromatase-inhibitor": "kind.hormone", "serm": "kind.hormone",
    "serd": "kind.hormone", "oral-serd": "kind.hormone", "gnrh-agonist": "kind.hormone",
    "cdk46-inhibitor": "kind.targeted", "pi3k-inhibitor": "kind.targeted", "akt-inhibitor": "kind.targeted",
    "mtor-inhibitor": "kind.targeted", "parp-inhibitor": "kind.targeted",
    "anti-her2-antibody": "kind.her2", "her2-tki": "kind.her2",
    "anti-her2-adc": "kind.adc", "tdxd": "kind.adc", "trop2-adc": "kind.adc",
    "pd1-pdl1-inhibitor": "kind.immuno",
    "chemotherapy": "kind.chemo", "anthracycline": "kind.chemo", "alkylator": "kind.chemo", "taxane": "kind.chemo",
    "platinum": "kind.chemo", "fluoropyrimidine": "kind.chemo", "other-chemo": "kind.chemo",
}
# The order kinds are listed in: the ones tied to the receptor results first.
KIND_ORDER: tuple[str, ...] = ("kind.hormone", "kind.her2", "kind.targeted", "kind.adc", "kind.chemo",
                               "kind.immuno")


# Statements resting on figures for women only (SEER's subtype frequencies): never said to a man.
WOMEN_ONLY_STATEMENTS: frozenset[str] = frozenset({
    "frequency.hr-pos-her2-neg", "frequency.hr-pos-her2-pos", "frequency.hr-neg-her2-pos",
    "frequency.triple-negative"})


def fits_patient(source_id: str, sex: str | None) -> bool:
    """Whether a patient of this sex may be shown this source: confirmed and citable (never an internal
    entry), and written for them (the male guideline only for a man; women-only sources never for a man;
    a record without a sex counts as a woman's, since nearly all breast cancers are, but never gets the
    male guideline)."""
    source = SOURCES[source_id]
    if source.audience == "internal" or not source.url:
        return False
    male = (sex or "").lower() == "male"
    if source_id in MALE_ONLY_SOURCES and not male:
        return False
    return not (source_id in FEMALE_ONLY_SOURCES and male)


# One id per address (the first citable entry in the catalogue), so a document is listed once on a page.
_BY_ADDRESS: dict[str, str] = {}
for _source in SOURCES.values():
    if _source.audience != "internal" and _source.url:
        _BY_ADDRESS.setdefault(_source.url, _source.id)


def shown_sources(ids: tuple[str, ...] | list[str], sex: str | None) -> tuple[str, ...]:
    """The sources of a line a patient of this sex is shown: fitting ones only, one id per address, in order."""
    out: list[str] = []
    for source_id in ids:
        if fits_patient(source_id, sex):
            canonical = _BY_ADDRESS[SOURCES[source_id].url]
            if canonical not in out:
                out.append(canonical)
    return tuple(out)


def _check() -> None:
    """Every statement cites catalogued sources and, unless it is only about the record, at least one a patient
    can be shown (for women-only statements: one a woman can be shown); every mapping names a real statement."""
    for s in PATIENT_STATEMENTS_TABLE:
        unknown = [src for src in s.sources if src not in SOURCES]
        if unknown:
            raise ValueError(f"patient statement {s.id} cites unknown sources {unknown}")
        if s.about_record:
            continue
        readers = ("female",) if s.id in WOMEN_ONLY_STATEMENTS else ("female", "male")
        for sex in readers:
            if not shown_sources(s.sources, sex):
                raise ValueError(f"patient statement {s.id} has no source a {sex} patient can be shown")
    if len(PATIENT_STATEMENTS) != len(PATIENT_STATEMENTS_TABLE):
        raise ValueError("duplicate patient statement id")
    for table in (REVIEW_PITFALLS, QUESTION_PITFALLS, TREATMENT_KINDS):
        missing = [v for v in table.values() if v not in PATIENT_STATEMENTS]
        if missing:
            raise ValueError(f"unknown patient statements {missing}")


_check()
