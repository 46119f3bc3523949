"""Pitfalls P1-P20 (clinical-knowledge.md section d) and the seeds' own, as reviewable data.

Each entry: code, card topic code (issue 3), title, severity, message and action in our own words,
and the catalogue ids of its sources. The triggers live in ``cds_hooks.decision.pitfalls`` (patient
facts) and ``cds_hooks.decision.orders`` (draft orders); they read only this table for wording.

Severity policy (the card indicator follows it; issue 3 asks for a written policy):
- ``critical``: acting on the chart as it stands would give a drug that cannot work for this
  tumour or patient (endocrine therapy for HR-negative disease, HER2-directed therapy for
  HER2-negative disease, T-DXd for HER2-null disease, an aromatase inhibitor with functioning ovaries
  or testes and no suppression). The clinician should stop and check before signing.
- ``warning``: the data cannot safely support a treatment decision as recorded (a result that needs
  work-up, a missing test a drug depends on, a result that may no longer describe the disease,
  conflicting or unusual results, a combination the evidence advises against).
  This includes gaps worth closing before the next decision (an ER percent or HER2 IHC score
  missing, an IHC 0 not sub-classified, a reading the algorithm already resolved): issue 3 asks
  that every pitfall card be at least a warning, and the SMART page shows the same level, so
  there is no ``info`` pitfall. (``info`` is kept for the subtype and options cards.)
Rules may lower a pitfall's severity for a softer variant (for example T-DXd with an unspecified
IHC 0 is a warning asking for re-scoring, not a critical conflict); they never raise it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PitfallSpec:
    code: str
    topic: str
    title: str
    severity: str
    message: str
    action: str
    sources: tuple[str, ...]
    trigger: str                      # the data condition, in words, for reviewers


PITFALLS_TABLE: tuple[PitfallSpec, ...] = (
    PitfallSpec(
        "P1", "er-neg-pr-pos-discordance", "ER-negative but PR-positive", "warning",
        "ER is negative while PR is positive. This combination is uncommon and is often a testing artefact; the "
        "hormone-receptor-positive call stays provisional.",
        "Ask pathology to repeat or adjudicate ER. Endocrine therapy can still be considered because a hormone "
        "receptor is expressed.",
        ("asco-cap-2020-er-pr-rec2", "ecancer-2021-er-neg-pr-pos", "seed-000"),
        "ER negative (<1% or negative) and PR positive/low on the chosen results"),
    PitfallSpec(
        "P2", "er-low-positive", "ER-low positive (1-10%)", "warning",
        "ER is expressed in only 1-10% of tumour nuclei. Evidence for endocrine benefit is limited and outcomes "
        "resemble ER-negative disease. ASCO/CAP 2020 sets the upper bound at 10%, some studies at 9%, so exactly 10% "
        "is ER-low by one definition and ER-positive by the other.",
        "Keep endocrine therapy on the table, discuss triple-negative-type options (including trials), and check that "
        "the report states the control status.",
        ("asco-cap-2020-er-pr", "paakkola-2021", "seed-000"),
        "ER percent 1-10 (boundary configurable), or a qualitative low-positive result"),
    PitfallSpec(
        "P3", "er-percent-missing", "ER positive without a percentage", "warning",
        "ER is reported positive but no percentage of positive nuclei is recorded, so ER-low cannot be ruled out. "
        "Older reports may call ER positive from an Allred total of 3 or more, which ASCO/CAP 2020 would call negative "
        "when under 1% of nuclei stain.",
        "Request the percentage of ER-positive tumour nuclei.",
        ("asco-cap-2020-er-pr", "ck-b", "ck-d"),
        "ER positive with no percent (qualitative, interpretation or condition-level basis)"),
    PitfallSpec(
        "P4", "her2-equivocal-needs-ish", "HER2 IHC 2+ without ISH", "warning",
        "HER2 IHC 2+ is equivocal and no in situ hybridisation result resolves it (or ISH was reported as "
        "'equivocal', a category removed in 2018).",
        "Order reflex ISH on the same specimen. Hold anti-HER2 therapy and HER2-low T-DXd decisions until it is back.",
        ("asco-cap-2018-her2", "labce-her2-fish"),
        "HER2 IHC 2+ and no ISH on the same specimen, or ISH reported equivocal / legacy ratio 1.8-2.2"),
    PitfallSpec(
        "P5", "ish-group-needs-ihc", "ISH group 2-4 without concurrent IHC", "warning",
        "The dual-probe ISH result falls in group 2, 3 or 4, which cannot be finalised without an IHC result on the "
        "same specimen.",
        "Ask pathology for concurrent HER2 IHC review to settle the final HER2 status.",
        ("asco-cap-2018-her2",),
        "dual-probe ISH group 2/3/4 and no IHC on the same specimen"),
    PitfallSpec(
        "P6", "her2-ish-atypical-group", "Atypical ISH group read as negative", "warning",
        "The ISH ratio and copy number fall in an atypical group; with the IHC score recorded, the ASCO/CAP 2018 "
        "algorithm calls this HER2-negative, not positive.",
        "Read the pathology comment; do not treat the raw ratio or copy number alone as amplification.",
        ("asco-cap-2018-her2",),
        "ISH group 2 with IHC 0-2+, group 3 with IHC 0/1+, group 4 with IHC 0-2+"),
    PitfallSpec(
        "P7", "her2-ihc-score-missing", "HER2 negative without an IHC score", "warning",
        "HER2 is recorded as negative without an IHC score, so HER2-low or ultralow status cannot be told.",
        "Request the HER2 IHC score (0, 1+, 2+); it matters for T-DXd in metastatic disease.",
        ("asco-cap-2023-her2",),
        "HER2 negative with no IHC score (expression unknown)"),
    PitfallSpec(
        "P8", "her2-zero-rescore-ultralow", "HER2 IHC 0: check for ultralow", "warning",
        "Metastatic HR+/HER2- disease with HER2 IHC 0 not annotated as null or ultralow, after endocrine therapy: "
        "faint incomplete staining in up to 10% of cells (ultralow) would open T-DXd (DESTINY-Breast06).",
        "Ask pathology to re-score the IHC 0 slide for ultralow staining.",
        ("destiny-breast06-fda-2025", "openonco-ultralow"),
        "metastatic HR+/HER2-, IHC 0 without null/ultralow annotation, at least one endocrine therapy on record"),
    PitfallSpec(
        "P9", "receptor-retest-at-recurrence", "Retest receptors at recurrence", "warning",
        "The disease has spread or come back, but the receptor results predate that or come from the primary tumour "
        "only. ER, PR and HER2 can change between the primary and a metastasis: in a meta-analysis of 39 studies ER "
        "differed in about one in five patients, PR in about one in three and HER2 in about one in ten.",
        "Where a metastasis can be reached, take a biopsy and repeat ER, PR and HER2 on it before the next treatment "
        "choice. If the metastasis result differs from the primary, the metastasis result guides treatment.",
        ("schrijver-2018", "esmo-abc5-2020", "zhao-2021", "seed-000", "seed-002", "seed-004"),
        "metastatic evidence after the latest receptor result, or no receptor result from a metastasis"),
    PitfallSpec(
        "P10", "her2-low-heterogeneous", "HER2-low status differs between samples", "warning",
        "HER2 IHC is 0 on one sample and 1+ or 2+ (ISH negative) on another. HER2-low expression is heterogeneous and "
        "can change over time.",
        "Review all samples: a prior or concurrent HER2-low result can support T-DXd eligibility.",
        ("asco-cap-2023-her2", "prognia-her2-2023", "tarantino-her2-low"),
        "metastatic; HER2 IHC results across samples include both 0 and 1+/2+ISH-"),
    PitfallSpec(
        "P11", "endocrine-concurrent-chemo", "Endocrine therapy together with chemotherapy", "warning",
        "Endocrine therapy overlaps with cytotoxic chemotherapy. In early disease endocrine therapy should follow "
        "chemotherapy (SWOG-8814), and in metastatic disease the two are not combined.",
        "Start endocrine therapy after chemotherapy ends, or stop one of the two. A GnRH agonist for ovarian "
        "protection during chemotherapy is not affected.",
        ("albain-2009-swog8814", "asco-2016-rugo", "seed-002"),
        "active/draft tamoxifen, AI, fulvestrant or oral SERD overlapping active/draft cytotoxic chemotherapy"),
    PitfallSpec(
        "P12", "tumor-marker-only-progression", "Progression based on tumour markers alone", "warning",
        "Progression is recorded on the strength of rising tumour markers only, without imaging or clinical evidence.",
        "Confirm progression with imaging or clinical assessment before changing therapy.",
        ("asco-2016-rugo", "seed-002"),
        "disease status 'worsened' whose only evidence type is tumour-marker measurement"),
    PitfallSpec(
        "P13", "stale-biomarker", "Results predate the relapse or progression", "warning",
        "A receptor or ESR1 result was taken before the latest relapse or progression, so it may no longer describe the "
        "disease.",
        "Repeat the test on the current disease; for ESR1 a ctDNA (liquid biopsy) test taken at progression is "
        "preferred. An older PIK3CA result from archived tissue can still be used.",
        ("asco-2021-mbc-update", "asco-biomarkers-mbc", "ck-d"),
        "governing receptor result before the latest metastasis/recurrence/progression (a diagnostic biopsy of de "
        "novo stage IV is not); ESR1 before the latest progression or before AI exposure (no age limit: withdrawn, "
        "no guideline number)"),
    PitfallSpec(
        "P14", "ai-without-ovarian-suppression", "Aromatase inhibitor without ovarian suppression", "critical",
        "An aromatase inhibitor alone does not work when the ovaries (or testes) still make oestrogen, and this "
        "patient is premenopausal, male, or of unconfirmed menopausal status under 60, with no GnRH agonist.",
        "Add ovarian function suppression (GnRH agonist), or confirm postmenopausal status (FSH and estradiol) first.",
        ("asco-2016-rugo", "nccn-menopause-summary", "asco-male-bc", "label-ema-truqap"),
        "active/draft AI and menopausal status premenopausal/male/unknown with age <60, and no GnRH agonist"),
    PitfallSpec(
        "P15", "pdl1-assay-mismatch", "PD-L1 result from the wrong assay", "warning",
        "The pembrolizumab TNBC indication needs PD-L1 CPS of 10 or more by the 22C3 assay; the recorded PD-L1 result "
        "is another measure (SP142 immune-cell %, tumour-cell %) or another clone.",
        "Request PD-L1 CPS by 22C3 before deciding on pembrolizumab.",
        ("label-fda-keytruda-15", "keynote-355-cdx", "mcode-stu4"),
        "metastatic TNBC with PD-L1 results but none is CPS by 22C3"),
    PitfallSpec(
        "P16", "brca-germline-unconfirmed", "BRCA variant not confirmed germline", "warning",
        "PARP-inhibitor labels need a germline BRCA1/2 variant; the BRCA result here is somatic or of unknown origin, "
        "or no germline result is recorded.",
        "Confirm with germline BRCA1/2 testing.",
        ("label-fda-lynparza-4", "label-fda-talzenna-0", "label-fda-lynparza-3"),
        "BRCA variant with somatic/unknown origin; PARP inhibitor active or ordered without germline BRCA"),
    PitfallSpec(
        "P17", "data-quality", "Receptor data that could not be used as recorded", "warning",
        "Some receptor data could not be used as recorded (for example a code that is not valid for its system, a "
        "result entered in error, a serum HER2 test, or only a combined hormone-receptor result).",
        "Check the listed records; the assessment used only what could be read reliably.",
        ("asco-cap-2020-er-pr", "asco-cap-2018-her2", "synthea-breast-cancer-data", "mcode-stu4", "mii-onko-mamma",
         "ck-d"),
        "any data-quality note from intake"),
    PitfallSpec(
        "P18", "conflicting-results", "Conflicting results on the same specimen and date", "warning",
        "Two valid results for the same receptor on the same specimen and date disagree.",
        "Ask pathology to review and issue one final result.",
        ("asco-cap-2020-er-pr-rec2",),
        ">=2 valid results, same analyte/specimen/date, different status"),
    PitfallSpec(
        "P19", "locally-advanced-confirm", "Locally advanced: confirm early vs advanced", "warning",
        "Stage III inoperable or inflammatory disease without distant metastasis: labels for advanced disease say "
        "'unresectable locally advanced or metastatic', so the setting decides which options apply.",
        "Confirm whether the disease is treated as advanced (unresectable) or early before using metastatic options.",
        ("labels-unresectable-wording",),
        "setting finding flagged locally advanced, no M1"),
    PitfallSpec(
        "P20", "targeted-drug-without-alteration", "Targeted drug without its required alteration", "warning",
        "This drug is labelled only for tumours with a specific alteration (ESR1 for oral SERDs, PIK3CA for "
        "alpelisib/inavolisib, PIK3CA/AKT1/PTEN for capivasertib), and no such alteration is recorded.",
        "Test for the alteration before starting, or choose another option.",
        ("label-fda-orserdu-0", "label-fda-inluriyo-0", "label-fda-piqray-0", "label-fda-itovebi-0", "label-fda-truqap-0",
         "asco-2021-mbc-update"),
        "active/draft oral SERD, PI3K-alpha or AKT inhibitor without the alteration present"),
    PitfallSpec(
        "receptor-sample-discordance", "receptor-sample-discordance", "Receptor results differ between samples",
        "warning",
        "Samples of the same tumour taken before any systemic therapy disagree: one is positive for a receptor, "
        "another is not. A positive result on any valid pre-treatment sample decides, so the receptor is treated "
        "as positive; the disagreement itself still needs explaining (tumour heterogeneity, sampling, or a testing "
        "problem).",
        "Ask pathology to review both samples and to repeat the test on another block, and discuss the case at the "
        "tumour board.",
        ("asco-cap-2018-her2", "asco-cap-2023-her2", "asco-cap-2020-er-pr"),
        "early episode: ER/PR >= 1 % or HER2 positive on one pre-treatment sample and negative on another; or "
        "positive only on tissue taken after systemic therapy began while the pre-treatment samples are negative"),
    PitfallSpec(
        "bilateral-subtypes-differ", "bilateral-subtypes-differ", "Two primary breast cancers with different subtypes",
        "warning",
        "There is cancer in both breasts and the two tumours have different receptor subtypes. Each breast's tumour "
        "is a primary of its own with its own ER, PR and HER2; no guideline gives a rule for merging two primaries "
        "into one subtype, so both are stated. The options listed are those of both tumours, each marked with the "
        "tumour it is for, and a drug aimed at a receptor of either tumour has a target.",
        "Plan systemic treatment that covers both tumours and review the plan at the tumour board.",
        ("seer-solid-tumor-rules", "asco-cap-2020-er-pr", "asco-cap-2018-her2"),
        "breast samples of both sides (laterality) at the first presentation, and the two breasts' subtypes differ"),
    # The seeds' own pitfalls.
    PitfallSpec(
        "endocrine-not-withheld", "endocrine-not-withheld", "Endocrine therapy missing despite hormone receptors",
        "warning",
        "The tumour expresses ER and/or PR (at any level), cancer treatment is recorded, but no endocrine therapy is. "
        "Hormone therapy should be offered whenever any hormone receptor is expressed.",
        "Consider endocrine therapy (after chemotherapy in early disease; first in metastatic disease unless it is "
        "immediately life-threatening).",
        ("seed-002", "seed-000", "asco-2016-rugo"),
        "HR+ (incl. ER-low, ER-/PR+), known setting, anticancer drugs on record but no endocrine therapy at all; not "
        "during chemotherapy in early disease, nor during anti-HER2 therapy with chemotherapy in HR+/HER2+ disease"),
    PitfallSpec(
        "endocrine-for-hr-negative", "endocrine-for-hr-negative", "Endocrine therapy for hormone-receptor-negative disease",
        "critical",
        "Endocrine therapy is ordered or active, but neither ER nor PR is expressed: the drug has no target.",
        "Stop or cancel the endocrine drug unless the receptor results are wrong; chemotherapy-based options apply.",
        ("seed-000", "seed-003", "seed-004", "asco-cap-2020-er-pr"),
        "endocrine-class drug active/draft and HR negative (warning variant when HR status is not established)"),
    PitfallSpec(
        "anti-her2-for-her2-negative", "anti-her2-for-her2-negative", "HER2-targeted drug for HER2-negative disease",
        "critical",
        "A HER2-directed drug (trastuzumab, pertuzumab, T-DM1, a HER2 kinase inhibitor) is ordered or active, but "
        "the tumour is HER2-negative, so the drug cannot work.",
        "Stop or cancel the drug unless HER2 is re-tested positive. T-DXd is judged separately (HER2-low/ultralow).",
        ("seed-000", "seed-004", "asco-cap-2018-her2"),
        "anti-HER2 class drug active/draft and HER2 negative (warning variant when HER2 is equivocal/unknown)"),
    PitfallSpec(
        "tdxd-for-her2-zero", "tdxd-for-her2-zero", "T-DXd for HER2-0 disease", "critical",
        "Trastuzumab deruxtecan is ordered or active, but HER2 is IHC 0 with no staining (null) on every sample; its "
        "HER2-negative indications need HER2-low or ultralow expression.",
        "Cancel T-DXd, or ask pathology to re-score the IHC 0 for ultralow staining first.",
        ("destiny-breast06-fda-2025", "label-fda-enhertu-1", "label-ema-enhertu-4", "asco-cap-2023-her2"),
        "T-DXd active/draft and HER2 null (warning when IHC 0 is unspecified or the score is missing)"),
)

PITFALLS: dict[str, PitfallSpec] = {p.code: p for p in PITFALLS_TABLE}
if len(PITFALLS) != len(PITFALLS_TABLE):
    raise ValueError("duplicate pitfall code")

SEVERITIES = ("warning", "critical")
for _p in PITFALLS_TABLE:
    if _p.severity not in SEVERITIES:
        raise ValueError(f"{_p.code}: unknown severity {_p.severity}")

ORDER_CONFLICT_CODES = ("endocrine-for-hr-negative", "anti-her2-for-her2-negative", "tdxd-for-her2-zero")
