"""Every numeric threshold a decision rule applies, declared once, with its unit, comparison and source.

Why one table: a cut-off written as a bare number inside a rule can drift (2.0 read as "> 2.0", 60 as
"> 60") without anyone noticing, and a reviewer cannot see at a glance which numbers the product
applies or where each comes from. Here each threshold says what it is, which side of it the rule puts
the value at (``comparison``, in words a clinician can check against the source), the rule that reads
it, and the catalogue id of its source (``cds_hooks.knowledge.sources``); a product choice that no
source fixes says so in ``basis`` and has no source id.

The rules read ``.value`` from here (never a copy of the number), and the boundary-table test
(``tests/decision/test_boundary_table.py``) demands, for every entry, a curated case in
``fixtures/cases`` at the value, one just below and one just above (within ``step``), each with its
expected result written from the source. Adding a threshold therefore means: declare it here, make the
rule read it, and add its three cases.

This module imports nothing from the project: knowledge sits below the decision core.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Threshold:
    """One cut-off a rule applies.

    name: stable id used by rules and by case files (``"boundaries": [{"threshold": name, ...}]``).
    value, unit: the cut-off as the rule compares it.
    comparison: what the rule concludes on each side, e.g. "negative when percent < 1".
    rule: where it is applied (module and function or pitfall).
    source: id in ``cds_hooks.knowledge.sources.SOURCES``; None only for a product choice (see basis).
    basis: why the value is what it is when no source fixes it (required when source is None).
    step: the distance that counts as "just below"/"just above" for the boundary cases.
    """

    name: str
    value: float
    unit: str
    comparison: str
    rule: str
    source: str | None
    step: float
    basis: str = ""


THRESHOLDS: dict[str, Threshold] = {}


def _declare(threshold: Threshold) -> Threshold:
    if threshold.name in THRESHOLDS:
        raise ValueError(f"threshold {threshold.name!r} declared twice")
    if threshold.source is None and not threshold.basis:
        raise ValueError(f"threshold {threshold.name!r} has neither a source nor a stated basis")
    THRESHOLDS[threshold.name] = threshold
    return threshold


# ---- ER / PR (clinical-knowledge.md b.2; ASCO/CAP 2020) -------------------------------------------------

ER_PR_POSITIVE_MIN_PERCENT = _declare(Threshold(
    name="er-pr-positive-min-percent", value=1.0, unit="% of tumour nuclei",
    comparison="negative when percent < 1; positive (low-positive up to the low-positive maximum) when percent >= 1",
    rule="decision.er_pr.percent_category (ER and PR)", source="asco-cap-2020-er-pr", step=1.0))

ER_PR_LOW_POSITIVE_MAX_PERCENT = _declare(Threshold(
    name="er-pr-low-positive-max-percent", value=10.0, unit="% of tumour nuclei",
    comparison="low-positive when 1 <= percent <= 10; positive when percent > 10 (exactly 10 is positive instead "
               "when DecisionConfig.low_positive_includes_upper_bound is False, for sources that use 1-9 %)",
    rule="decision.er_pr.percent_category (ER and PR); P2", source="asco-cap-2020-er-pr", step=1.0))

# ---- HER2 ISH (clinical-knowledge.md b.3; ASCO/CAP 2018, affirmed 2023) ---------------------------------

HER2_ISH_RATIO = _declare(Threshold(
    name="her2-ish-ratio", value=2.0, unit="HER2/CEP17 ratio",
    comparison="ISH groups 1-2 when ratio >= 2.0; groups 3-5 when ratio < 2.0",
    rule="decision.her2._ratio_side / _ish_groups", source="asco-cap-2018-her2", step=0.1))

HER2_ISH_COPIES_LOW = _declare(Threshold(
    name="her2-ish-copies-low", value=4.0, unit="mean HER2 signals/cell (dual-probe)",
    comparison="ratio >= 2.0: group 1 when copies >= 4.0, group 2 when < 4.0; "
               "ratio < 2.0: group 4 when 4.0 <= copies < 6.0, group 5 when < 4.0",
    rule="decision.her2._ish_groups", source="asco-cap-2018-her2", step=0.1))

HER2_ISH_COPIES_HIGH = _declare(Threshold(
    name="her2-ish-copies-high", value=6.0, unit="mean HER2 signals/cell (dual-probe)",
    comparison="ratio < 2.0: group 3 when copies >= 6.0, group 4 when 4.0 <= copies < 6.0",
    rule="decision.her2._ish_groups", source="asco-cap-2018-her2", step=0.1))

HER2_SINGLE_PROBE_LOW = _declare(Threshold(
    name="her2-single-probe-low", value=4.0, unit="mean HER2 signals/cell (single-probe)",
    comparison="not amplified when copies < 4.0; 4.0 <= copies < 6.0 is amplified only with IHC 3+, otherwise "
               "read as not amplified with a data-quality note asking for dual-probe ISH",
    rule="decision.her2._ish_groups (single probe)", source="her2-single-probe-table", step=0.1))

HER2_SINGLE_PROBE_HIGH = _declare(Threshold(
    name="her2-single-probe-high", value=6.0, unit="mean HER2 signals/cell (single-probe)",
    comparison="amplified when copies >= 6.0",
    rule="decision.her2._ish_groups (single probe)", source="her2-single-probe-table", step=0.1))

HER2_REFLEX_ISH_WINDOW_DAYS = _declare(Threshold(
    name="her2-reflex-ish-window-days", value=21, unit="days after the IHC",
    comparison="an ISH-only result with no Specimen is read with the closest earlier IHC-only result of the same "
               "specimen kind when 0 < days <= 21; later ISH stays a sample of its own",
    rule="decision.her2._pair_reflex_ish", source=None, step=1,
    basis="product choice: the guideline asks for IHC and ISH on the same specimen (asco-cap-2018-her2) but EHR "
          "data rarely names it; reflex ISH is usually resulted within days of the IHC"))

# ---- Patient context (clinical-knowledge.md b.5) ---------------------------------------------------------

MENOPAUSE_AGE_YEARS = _declare(Threshold(
    name="menopause-age-years", value=60, unit="years of age",
    comparison="postmenopausal by age when age >= 60 (no explicit record, no oophorectomy, no GnRH agonist); "
               "under 60 menopausal status must be established, so an AI without ovarian suppression raises P14",
    rule="decision.context.read_menopause; decision.pitfalls._ai_without_ofs (P14)",
    source="nccn-menopause-summary", step=1))

# ---- The patient over time (clinical-knowledge.md b.3 "Multiple samples", d/P9 revised) --------------------

NEOADJUVANT_MIN_DAYS_BEFORE_SURGERY = _declare(Threshold(
    name="neoadjuvant-min-days-before-surgery", value=1, unit="days from the first systemic therapy to the breast surgery",
    comparison="a neoadjuvant window opens when the first drug starts >= 1 day before the breast surgery; a drug first "
               "given on the day of surgery (0 days) is adjuvant, and the tissue removed that day is untreated tissue",
    rule="decision.episodes._treatment_window / sample_phase", source=None, step=1,
    basis="a definition, not a cut-off: neoadjuvant treatment is given before the operation it prepares for; a record "
          "dated the day of the operation cannot show that the drug came first, and a first dose on that day cannot "
          "have changed the tissue removed that day (the mCODE example patient Jenny M has chemotherapy and surgery "
          "on one date)"))

DE_NOVO_WINDOW_MONTHS = _declare(Threshold(
    name="de-novo-window-months", value=4, unit="months after the diagnosis",
    comparison="metastatic at diagnosis (de novo stage IV) when the first metastasis evidence is <= 4 calendar "
               "months after the diagnosis: the diagnostic biopsy then describes the metastatic disease and no retest "
               "at recurrence is asked (P9); later, a relapse after the biopsy. The same window bounds one metastatic "
               "presentation (metastasis records up to 4 months after its first evidence are not a later relapse), and a "
               "systemic course that ended more than 4 months before the diagnosis treated something else (it does "
               "not make this tumour's biopsies post-treatment). A recurrence or a new primary counts only when "
               "recorded more than 4 months after the diagnosis, and a biopsy up to 4 months before its record is its "
               "own",
    rule="decision.episodes.build_episode / _new_tumour / period_of; decision.pitfalls._presentation_end (P9, P13)",
    source="seer-staging-time-rule", step=1))

# ---- Pitfalls (clinical-knowledge.md d) -------------------------------------------------------------------

# P13(c), "older than 24 months", is withdrawn (issue 13 section 5; clinical-knowledge.md d, P13 revised): no
# guideline gives a number and it fired on every long-term patient. Results are stale only when they predate
# the current disease state (P13a).

CONCURRENT_THERAPY_GAP_DAYS = _declare(Threshold(
    name="concurrent-therapy-gap-days", value=1, unit="days from the end of one drug to the start of the other",
    comparison="sequential (no P11) when the other drug starts >= 1 day after this one ends; a drug ending on the "
               "day the other starts overlaps it (FHIR Period.end includes that day)",
    rule="decision.pitfalls._overlaps (P11)", source="albain-2009-swog8814", step=1))

# ---- Treatment options (clinical-knowledge.md c) ----------------------------------------------------------

PDL1_CPS_22C3_MIN = _declare(Threshold(
    name="pdl1-cps-22c3-min", value=10, unit="PD-L1 combined positive score (22C3)",
    comparison="pembrolizumab for metastatic TNBC when CPS >= 10 by 22C3; below 10 the requirement is absent",
    rule="decision.options.finding_state('PD-L1-CPS10-22C3')", source="keynote-355-cdx", step=1))

PDL1_SP142_IC_MIN_PERCENT = _declare(Threshold(
    name="pdl1-sp142-ic-min-percent", value=1, unit="% tumour area with PD-L1-stained immune cells (SP142)",
    comparison="atezolizumab (EMA/Health Canada) when SP142 IC >= 1 %; below 1 % the requirement is absent",
    rule="decision.options.finding_state('PD-L1-SP142-IC1')", source="label-ema-tecentriq-6", step=0.5))


# ---- Lines of therapy (issue 13 section 3; cds_hooks.decision.lines) ----------------------------------------

REGIMEN_WINDOW_DAYS = _declare(Threshold(
    name="regimen-window-days", value=28, unit="days between the starts of two drugs for metastatic disease",
    comparison="one line when the later drug starts <= 28 days after the first drug of the line; a later start "
               "opens the next line",
    rule="decision.lines.therapy_history", source=None, step=1,
    basis="product choice: no label or guideline defines a line from order dates; drugs of one regimen are "
          "usually ordered within one treatment cycle (3-4 weeks), a switch after progression rarely sooner"))

INAVO120_RELAPSE_AFTER_ADJUVANT_ET_MONTHS = _declare(Threshold(
    name="inavo120-relapse-after-adjuvant-et-months", value=12,
    unit="months from the end of adjuvant endocrine therapy to relapse",
    comparison="INAVO120 population (inavolisib row applicable) when relapse is during adjuvant endocrine therapy or "
               "<= 12 months after it ended; later relapses fall outside it",
    rule="decision.lines.inavo120_population (option met-inavolisib)", source="inavo120-2024", step=1))

DB04_RELAPSE_AFTER_ADJUVANT_CHEMO_MONTHS = _declare(Threshold(
    name="db04-relapse-after-adjuvant-chemo-months", value=6,
    unit="months from the end of (neo)adjuvant chemotherapy to relapse",
    comparison="prior chemotherapy requirement of T-DXd for HER2-low disease met when relapse is during adjuvant "
               "chemotherapy or <= 6 months after it ended (otherwise chemotherapy for metastatic disease is needed)",
    rule="decision.lines.db04_prior_chemotherapy (option met-tdxd-db04)", source="destiny-breast04-2022", step=1))

SACITUZUMAB_TNBC_PRIOR_SYSTEMIC_MIN = _declare(Threshold(
    name="sacituzumab-tnbc-prior-systemic-min", value=2, unit="prior systemic therapies (at least one metastatic)",
    comparison="sacituzumab govitecan for TNBC applicable when prior systemic therapies >= 2 with >= 1 for metastatic "
               "disease ((neo)adjuvant therapy counts as one); fewer on record: depends on prior therapy",
    rule="decision.lines.ascent_prior_lines (option met-tnbc-sacituzumab)", source="ascent-2021", step=1))

SACITUZUMAB_HR_ADDITIONAL_SYSTEMIC_MIN = _declare(Threshold(
    name="sacituzumab-hr-additional-systemic-min", value=2,
    unit="systemic therapies for metastatic disease besides endocrine-based ones",
    comparison="sacituzumab govitecan for HR+/HER2- applicable when endocrine therapy is on record and lines for "
               "metastatic disease without endocrine therapy >= 2; fewer on record: depends on prior therapy",
    rule="decision.lines.tropics02_prior_lines (option met-sacituzumab-hr)", source="tropics02-2023", step=1))


DB03_RELAPSE_AFTER_ANTI_HER2_MONTHS = _declare(Threshold(
    name="db03-relapse-after-anti-her2-months", value=6,
    unit="months from the end of (neo)adjuvant HER2-directed therapy to relapse",
    comparison="second-line T-DXd for HER2-positive disease applicable when relapse is during (neo)adjuvant "
               "HER2-directed therapy or <= 6 months after it ended (otherwise a metastatic anti-HER2 regimen is needed)",
    rule="decision.lines.db03_prior_anti_her2 (option met-her2-tdxd-2l)", source="label-fda-enhertu-0", step=1))

CAPITELLO291_RELAPSE_AFTER_ADJUVANT_ET_MONTHS = _declare(Threshold(
    name="capitello291-relapse-after-adjuvant-et-months", value=12,
    unit="months from the end of adjuvant endocrine therapy to relapse",
    comparison="capivasertib's prior-therapy condition met by the adjuvant route when relapse is during adjuvant "
               "endocrine therapy or <= 12 months after it ended (the FDA label's limit after adjuvant "
               "treatment); a later relapse needs progression on endocrine therapy for metastatic disease, "
               "else the row depends on prior therapy (the EMA label sets no time limit)",
    rule="decision.lines.capitello291_prior_therapy (option met-capivasertib)", source="label-fda-truqap-0", step=1))

NERATINIB_EMA_AFTER_TRASTUZUMAB_MONTHS = _declare(Threshold(
    name="neratinib-ema-after-trastuzumab-months", value=12,
    unit="months from the end of trastuzumab-based adjuvant therapy to the assessment date",
    comparison="extended adjuvant neratinib applicable when trastuzumab-based adjuvant therapy ended < 12 months ago "
               "(EMA label: less than one year); at 12 months or later the row depends on prior therapy, since the "
               "FDA label sets no limit",
    rule="decision.lines.extenet_after_trastuzumab (option early-neratinib-extended)", source="label-ema-nerlynx-0",
    step=1))

# ---- Early-disease option criteria (issue 13 section 4; cds_hooks.decision.risk) -----------------------------

TNBC_CHEMO_CONSIDER_SIZE_MM = _declare(Threshold(
    name="tnbc-chemo-consider-size-mm", value=5, unit="mm, longest dimension of the invasive tumour",
    comparison="node-negative TNBC: chemotherapy considered (review) when size > 5 mm (T1b); not listed when <= 5 mm "
               "(T1a or smaller)",
    rule="decision.risk.tnbc_early_chemotherapy (option early-tnbc-chemotherapy)", source="esmo-ebc-2024", step=1))

TNBC_CHEMO_SIZE_MM = _declare(Threshold(
    name="tnbc-chemo-size-mm", value=10, unit="mm, longest dimension of the invasive tumour",
    comparison="node-negative TNBC: chemotherapy applicable when size > 10 mm (T1c or larger); 5 < size <= 10 mm is "
               "T1b (considered)",
    rule="decision.risk.tnbc_early_chemotherapy (option early-tnbc-chemotherapy)", source="esmo-ebc-2024", step=1))

NATALEE_T2_SIZE_MM = _declare(Threshold(
    name="natalee-t2-size-mm", value=20, unit="mm, longest dimension of the invasive tumour",
    comparison="node-negative disease enters the NATALEE population only from T2 (size > 20 mm) with grade 3, or "
               "grade 2 with Ki-67 >= 20 % or high genomic risk; <= 20 mm node-negative is outside it",
    rule="decision.risk.natalee_population (option early-ribociclib)", source="natalee-2024", step=1))

NATALEE_T3_SIZE_MM = _declare(Threshold(
    name="natalee-t3-size-mm", value=50, unit="mm, longest dimension of the invasive tumour",
    comparison="node-negative T3 (size > 50 mm) is in the NATALEE population whatever the grade; 20 < size <= 50 mm "
               "is T2 and needs the grade/Ki-67 criteria",
    rule="decision.risk.natalee_population (option early-ribociclib)", source="natalee-2024", step=1))

NATALEE_KI67_MIN_PERCENT = _declare(Threshold(
    name="natalee-ki67-min-percent", value=20, unit="% of nuclei (Ki-67)",
    comparison="T2 N0 grade 2 disease is in the NATALEE population when Ki-67 >= 20 %; below 20 % only with high "
               "genomic risk (not read: needs review)",
    rule="decision.risk.natalee_population (option early-ribociclib)", source="natalee-2024", step=1))

MONARCHE_NODES_MIN = _declare(Threshold(
    name="monarche-nodes-min", value=4, unit="positive axillary lymph nodes",
    comparison="abemaciclib (monarchE high risk) when positive nodes >= 4; with 1-3 nodes only with grade 3 or a "
               "tumour of 5 cm or more",
    rule="decision.risk.monarche_population (option early-abemaciclib)", source="label-fda-verzenio-0", step=1))

MONARCHE_SIZE_MM = _declare(Threshold(
    name="monarche-size-mm", value=50, unit="mm, longest dimension of the invasive tumour",
    comparison="with 1-3 positive nodes, abemaciclib (monarchE high risk) when size >= 50 mm or grade 3",
    rule="decision.risk.monarche_population (option early-abemaciclib)", source="label-fda-verzenio-0", step=1))

HR_CHEMO_CLINICAL_RISK_NODES_MIN = _declare(Threshold(
    name="hr-chemo-clinical-risk-nodes-min", value=4, unit="positive axillary lymph nodes",
    comparison="HR+/HER2- early disease: chemotherapy by clinical risk when positive nodes >= 4 (no genomic assay "
               "needed); 1-3 nodes (RxPONDER) and node-negative (TAILORx) disease: decide with the recurrence score",
    rule="decision.risk.hr_early_chemotherapy (option early-hr-chemotherapy)", source="asco-biomarkers-2022", step=1))


RECURRENCE_SCORE_CHEMO_MIN = _declare(Threshold(
    name="recurrence-score-chemo-min", value=26, unit="21-gene recurrence score",
    comparison="HR+/HER2- early disease, node-negative or 1-3 nodes: chemotherapy when the score >= 26; below it "
               "by age (node-negative, TAILORx) or menopausal status (1-3 nodes, RxPONDER)",
    rule="decision.risk.hr_early_chemotherapy (option early-hr-chemotherapy)", source="asco-biomarkers-2022", step=1))

TAILORX_YOUNG_BENEFIT_MIN = _declare(Threshold(
    name="tailorx-young-benefit-min", value=16, unit="21-gene recurrence score",
    comparison="node-negative, age <= 50 at diagnosis: some chemotherapy benefit when 16 <= score <= 25 (needs "
               "review); below 16 no benefit (row not listed)",
    rule="decision.risk.hr_early_chemotherapy (option early-hr-chemotherapy)", source="tailorx-2018", step=1))

TAILORX_YOUNG_AGE_MAX = _declare(Threshold(
    name="tailorx-young-age-max", value=50, unit="years of age at diagnosis",
    comparison="node-negative with a score of 16-25: some chemotherapy benefit at age <= 50 (needs review); over 50 "
               "no benefit (row not listed)",
    rule="decision.risk.hr_early_chemotherapy (option early-hr-chemotherapy)", source="tailorx-2018", step=1))

__all__ = ["Threshold", "THRESHOLDS", *(name for name, value in list(globals().items()) if isinstance(value, Threshold))]
