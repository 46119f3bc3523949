"""Pitfall rules: P1-P20 (clinical-knowledge.md d) and the seeds' own, over the assessment's facts.

Reads only facts H1's readers put on the Assessment (findings, history, events, setting,
menopausal status, biomarkers, medications, data-quality notes) and never the FHIR resources, so a
rule can be tested by building facts directly. Wording, severity and sources come from
``cds_hooks.knowledge.pitfalls``; each rule decides only *whether* it fires and *on what evidence*.

Where the data cannot show a pitfall, it does not fire (for example P12 needs a disease-status event
with its evidence types; P8 needs an endocrine therapy on record, as its trigger says).

The drug-cannot-work conflicts also run here on the chart's active medications, for EHRs that only
call patient-view; ``cds_hooks.decision.orders`` runs the same checks on draft orders and shares
``medication_alerts`` with this module so a conflict has one code whichever hook finds it.
"""
from __future__ import annotations

from datetime import date

from ..knowledge.data_quality import words_for
from ..knowledge.drugs import is_anti_her2, is_cytotoxic, is_endocrine
from ..knowledge.pitfalls import PITFALLS
from ..knowledge.thresholds import CONCURRENT_THERAPY_GAP_DAYS, MENOPAUSE_AGE_YEARS
from .bilateral import differing
from .citations import refs
from .config import DEFAULT_CONFIG, DecisionConfig
from .model import ONGOING_MEDICATION_STATUSES, Alert, Assessment, MedicationUse, SampleCall
from .episodes import DE_NOVO_MONTHS, add_months, earlier_tumour_phase, sample_phase
from .options import finding_state, latest_event_date, parse_date
from .progression import is_worsening, marker_only
from .selection import sample_date
from .sites import site_text

# Being given (an infusion under way included), intended or drafted: what a conflict check looks at.
ACTIVE_STATUSES = ONGOING_MEDICATION_STATUSES | {"intended", "draft"}
DISEASE_EVENTS = ("metastasis", "recurrence", "progression")
RECEPTOR_ANALYTES = frozenset({"ER", "PR", "HR", "HER2-IHC", "HER2-ISH", "HER2-ISH-ratio", "HER2-ISH-copies",
                               "HER2-status"})
TEST_SYSTEM = "urn:receptor-cds:test"


def make_alert(code: str, evidence=(), *, message: str | None = None, action: str | None = None,
               severity: str | None = None, title: str | None = None, order: str | None = None,
               missing_test: dict[str, str] | None = None, extra_sources: tuple[str, ...] = ()) -> Alert:
    """An Alert with the table's wording, optionally specialised (a variant never raises severity)."""
    spec = PITFALLS[code]
    chosen = severity or spec.severity
    order_rank = {"warning": 1, "critical": 2}
    if order_rank[chosen] > order_rank[spec.severity]:
        raise ValueError(f"{code}: a variant may not raise severity above {spec.severity}")
    return Alert(
        code=code, topic=spec.topic, title=title or spec.title, severity=chosen,
        message=message or spec.message, action=action or spec.action,
        evidence=list(dict.fromkeys(e for e in evidence if e)),
        sources=refs(*dict.fromkeys((*spec.sources, *extra_sources))),
        order=order, missing_test=missing_test,
    )


# Tests a card can offer to order. LOINC codes are used only where the reference gives a single code
# for exactly that test (verification marks from clinical-knowledge.md a.1/a.2); gene and CPS tests
# have no such single code there (69548-6 is gene-agnostic; CPS has no verified LOINC), so they use
# our own system with a display.
MISSING_TESTS: dict[str, dict[str, str]] = {
    # LNC 85318-4, a.2, V2.
    "her2-ish": {"system": "http://loinc.org", "code": "85318-4",
                 "display": "ERBB2 gene duplication [Presence] in Breast cancer specimen by FISH"},
    # LNC 85319-2, a.2, V2.
    "her2-ihc": {"system": "http://loinc.org", "code": "85319-2",
                 "display": "HER2 [Presence] in Breast cancer specimen by Immune stain"},
    # LNC 85329-1, a.1, V2.
    "er-percent": {"system": "http://loinc.org", "code": "85329-1",
                   "display": "Cells.estrogen receptor/100 cells in Breast cancer specimen by Immune stain"},
    "her2-ultralow-rescore": {"system": TEST_SYSTEM, "code": "her2-ihc-ultralow-rescore",
                              "display": "Re-score HER2 IHC 0 for ultralow vs null staining"},
    "germline-brca": {"system": TEST_SYSTEM, "code": "germline-brca1-brca2",
                      "display": "Germline BRCA1/BRCA2 genetic testing"},
    "esr1": {"system": TEST_SYSTEM, "code": "esr1-mutation",
             "display": "ESR1 mutation testing (ctDNA preferred, at progression)"},
    "pik3ca": {"system": TEST_SYSTEM, "code": "pik3ca-mutation",
               "display": "PIK3CA mutation testing (tissue or ctDNA)"},
    "pik3ca-akt1-pten": {"system": TEST_SYSTEM, "code": "pik3ca-akt1-pten",
                         "display": "PIK3CA/AKT1/PTEN alteration testing"},
    "pdl1-cps-22c3": {"system": TEST_SYSTEM, "code": "pdl1-cps-22c3",
                      "display": "PD-L1 combined positive score by 22C3 assay"},
    "receptor-retest": {"system": TEST_SYSTEM, "code": "receptor-retest-metastasis",
                        "display": "ER, PR and HER2 on a biopsy of the metastasis"},
    "receptor-retest-recurrence": {"system": TEST_SYSTEM, "code": "receptor-retest-recurrence",
                                   "display": "ER, PR and HER2 on a biopsy of the recurrence"},
}


def is_active_medication(med: MedicationUse) -> bool:
    return med.draft or (med.status or "").lower() in ACTIVE_STATUSES


# ---- Medication conflicts (shared with order checks) ------------------------------------------------

def medication_alerts(assessment: Assessment, med: MedicationUse, context: list[MedicationUse]) -> list[Alert]:
    """Conflicts one drug raises for this patient; ``context`` is every other active/draft drug.

    ``order`` is set when ``med`` is a draft, so a card can offer to delete it.
    """
    alerts: list[Alert] = []
    order = med.resource if med.draft else None
    cls = med.drug_class
    if cls is None:
        return alerts
    name = med.ingredient or med.display or "this drug"
    ev_drug = [med.resource]
    receptor_ev = [*assessment.er.evidence, *assessment.pr.evidence]

    if is_endocrine(cls):
        if assessment.hr == "negative":
            variant = history_variant(assessment, [assessment.er, assessment.pr], "ER/PR", name)
            if variant is not None:
                title, message, action, sources, history_ev = variant
                alerts.append(make_alert("endocrine-for-hr-negative", [*ev_drug, *receptor_ev, *history_ev], order=order,
                                         severity="warning", title=title, message=message, action=action,
                                         extra_sources=sources))
            else:
                alerts.append(make_alert("endocrine-for-hr-negative", [*ev_drug, *receptor_ev], order=order,
                                         title=f"{name}: endocrine therapy for HR-negative disease"))
        elif assessment.hr == "unknown":
            alerts.append(make_alert(
                "endocrine-for-hr-negative", [*ev_drug, *receptor_ev], order=order, severity="warning",
                title=f"{name}: hormone-receptor status not established",
                message="Endocrine therapy is ordered or active, but ER/PR status has not been established from the "
                        "data, so it is not known whether the drug has a target.",
                action="Confirm ER and PR results (with % of positive nuclei) before relying on endocrine therapy.",
                missing_test=MISSING_TESTS["er-percent"]))

    if is_anti_her2(cls):
        her2 = assessment.her2
        variant = history_variant(assessment, [her2], "HER2", name) if her2.status == "negative" else None
        if variant is not None:
            title, message, action, sources, history_ev = variant
            alerts.append(make_alert("anti-her2-for-her2-negative", [*ev_drug, *her2.evidence, *history_ev], order=order,
                                     severity="warning", title=title, message=message, action=action,
                                     extra_sources=sources))
        elif her2.status == "negative":
            alerts.append(make_alert("anti-her2-for-her2-negative", [*ev_drug, *her2.evidence], order=order,
                                     title=f"{name}: HER2-targeted drug for HER2-negative disease"))
        elif her2.status in ("equivocal", "unknown"):
            test = MISSING_TESTS["her2-ish"] if her2.status == "equivocal" else MISSING_TESTS["her2-ihc"]
            alerts.append(make_alert(
                "anti-her2-for-her2-negative", [*ev_drug, *her2.evidence], order=order, severity="warning",
                title=f"{name}: HER2 status not established",
                message="A HER2-directed drug is ordered or active, but HER2 status is "
                        f"{'equivocal (IHC 2+ without ISH)' if her2.status == 'equivocal' else 'not established'}; "
                        "HER2-targeted therapy needs confirmed HER2-positive disease.",
                action="Resolve HER2 status (reflex ISH for IHC 2+) before starting HER2-targeted therapy.",
                missing_test=test))

    if cls == "tdxd":
        alerts.extend(_tdxd_alerts(assessment, med, order, name))

    if cls == "aromatase-inhibitor":
        alert = _ai_without_ofs(assessment, med, context, order, name)
        if alert:
            alerts.append(alert)

    if cls == "parp-inhibitor":
        state = finding_state(assessment, "gBRCA")
        if state.state != "present":
            alerts.append(make_alert(
                "P16", [*ev_drug, *state.evidence], order=order,
                title=f"{name}: germline BRCA not confirmed",
                message=f"{name} is labelled for germline BRCA1/2-mutated breast cancer; "
                        + ("the BRCA variant on record is somatic or of unknown origin."
                           if state.state == "unconfirmed" else
                           "no germline BRCA result shows a pathogenic variant." if state.state == "absent" else
                           "no germline BRCA result is recorded."),
                missing_test=MISSING_TESTS["germline-brca"]))

    p20 = {"oral-serd": ("ESR1", "esr1", "ESR1 mutation"),
           "pi3k-inhibitor": ("PIK3CA", "pik3ca", "PIK3CA mutation"),
           "akt-inhibitor": ("PIK3CA|AKT1|PTEN", "pik3ca-akt1-pten", "PIK3CA, AKT1 or PTEN alteration")}
    if cls in p20:
        key, test, label = p20[cls]
        state = finding_state(assessment, key)
        if state.state != "present":
            alerts.append(make_alert(
                "P20", [*ev_drug, *state.evidence], order=order,
                title=f"{name} without a documented {label}",
                message=f"{name} is labelled only for tumours with a {label}; "
                        + ("the recorded test found none." if state.state == "absent" else "none is recorded."),
                missing_test=MISSING_TESTS[test]))

    if is_endocrine(cls) or is_cytotoxic(cls) or cls == "cdk46-inhibitor":
        alerts.extend(_concurrency(med, context, order, name))
    return alerts


# ---- Receptor history behind a drug conflict (issue 13 section 1) -----------------------------------

_SITE_WORDS = {"primary": "the breast", "metastasis": "a metastasis"}


def _calls_of(a: Assessment, refs: list[str], receptors: set[str]) -> list[SampleCall]:
    """The sample calls (Assessment.samples) that hold any of these results, oldest first, each once."""
    wanted = set(refs)
    return [c for c in a.samples if c.receptor in receptors and wanted.intersection(c.evidence)]


def describe_samples(calls: list[SampleCall], limit: int = 3) -> str:
    """'HER2 IHC 3+ on left breast (2025-01-12)' for up to ``limit`` samples, then how many more."""
    shown = [f"{c.label} on {site_text(c.specimen_site) or _SITE_WORDS.get(c.specimen, 'a specimen of unrecorded site')}"
             + (f", taken {c.date[:10]}" if c.date else ", undated") for c in calls[:limit]]
    more = f" and {len(calls) - limit} more" if len(calls) > limit else ""
    return "; ".join(shown) + more


def history_variant(a: Assessment, findings: list, what: str, name: str):
    """The warning that replaces a critical "no target" conflict when the receptor history says the drug may
    have a target after all, or None when it does not.

    - Only results on tissue taken after systemic therapy began (no pre-treatment result): receptor loss in
      residual disease is a treatment effect and never reclassifies the tumour (b.3; KATHERINE, CREATE-X,
      OlympiA select on the pre-treatment status).
    - Negative on the sample that governs, positive on another valid sample: at relapse a conversion, which
      ESMO ABC 5 says to confirm and, when a receptor was positive on at least one biopsy, still to consider
      targeted therapy for; in the early episode a positive found only after therapy began.
    Returns (title, message, action, extra source ids, evidence).
    """
    receptors = {"HER2"} if what == "HER2" else {"ER", "PR"}
    negative = [f for f in findings if f.status == "negative"]
    if not negative:
        return None
    governing = _calls_of(a, [ref for f in negative for ref in f.evidence], receptors)
    if all(f.rule == "post-treatment-only" for f in negative):
        return (f"{name}: {what} negative only on tissue taken after treatment began",
                f"{what} is negative only on tissue taken after systemic therapy began ({describe_samples(governing)}); "
                "no result from before treatment is on record. Loss of a receptor in residual disease is a known "
                "effect of treatment and does not reclassify the tumour: post-neoadjuvant treatment is chosen on the "
                "pre-treatment status.",
                f"Find the pre-treatment biopsy result for {what} before changing {name}.",
                ("katherine-2019", "create-x", "olympia-2021"),
                [ref for c in governing for ref in c.evidence])
    positive_refs = [ref for f in negative for ref in f.positive_elsewhere]
    if not positive_refs:
        return None
    positives = [c for c in _calls_of(a, positive_refs, receptors) if not c.governs]
    own_sample = any(f.rule != "early-results-only" for f in negative)
    if positives and all(c.phase == "earlier-tumour" for c in positives) and a.episode.new_tumour and own_sample:
        # A local/regional recurrence or a new primary governs (episodes): the positive belongs to the earlier
        # tumour. At recurrence ESMO ABC 5 still asks to consider the target (positive on at least one biopsy);
        # a new primary is another cancer, so the drug has no target there unless it is meant for the first one.
        recurrence = a.episode.new_tumour_kind == "recurrence"
        now = "the recurrence" if recurrence else "the new primary in the other breast"
        were, are = ("were", "are") if what == "ER/PR" else ("was", "is")
        return (f"{name}: {what} negative on {now}",
                f"{what} {were} positive on the earlier tumour ({describe_samples(positives)}) and {are} negative on "
                f"the biopsy of {now} that now governs ({describe_samples(governing)})."
                + (" Receptors can change at recurrence; ESMO ABC 5 advises confirming a conversion and still "
                   "considering targeted therapy when a receptor was positive on at least one biopsy." if recurrence
                   else " A new primary is tested on its own; the earlier tumour's result does not give it a target."),
                f"Confirm with pathology (review both samples) and at the tumour board before continuing or "
                f"stopping {name}" + ("." if recurrence else ", and which tumour it is meant to treat."),
                ("esmo-abc5-2020",) if recurrence else
                (("asco-cap-2018-her2",) if what == "HER2" else ("asco-cap-2020-er-pr",)),
                [ref for c in positives for ref in c.evidence])
    if any(f.rule == "metastatic-sample" for f in negative):
        were, are = ("were", "are") if what == "ER/PR" else ("was", "is")
        return (f"{name}: {what} converted to negative at relapse",
                f"{what} {were} positive on an earlier sample ({describe_samples(positives)}) and {are} negative on the "
                f"sample of the metastatic disease that now governs ({describe_samples(governing)}). Receptors can "
                "change at relapse; ESMO ABC 5 advises confirming a conversion and still considering targeted "
                "therapy when a receptor was positive on at least one biopsy.",
                f"Confirm the conversion with pathology (review both samples) and at the tumour board before "
                f"continuing or stopping {name}.",
                ("esmo-abc5-2020",), [ref for c in positives for ref in c.evidence])
    return (f"{name}: {what} positive only on tissue taken after treatment began",
            f"{what} is negative on the samples taken before treatment ({describe_samples(governing)}) but positive on "
            f"tissue taken after systemic therapy began ({describe_samples(positives)}).",
            "Ask pathology to review both samples and discuss at the tumour board whether the drug has a target.",
            ("asco-cap-2023-her2",) if what == "HER2" else ("asco-cap-2020-er-pr",),
            [ref for c in positives for ref in c.evidence])


def _tdxd_alerts(assessment: Assessment, med: MedicationUse, order: str | None, name: str) -> list[Alert]:
    her2 = assessment.her2
    ev = [med.resource, *her2.evidence]
    if her2.status == "positive" or her2.expression == "low" or her2.low_on_any_sample:
        return []
    variant = history_variant(assessment, [her2], "HER2", name) if her2.status == "negative" else None
    if variant is not None:
        title, message, action, sources, history_ev = variant
        return [make_alert("tdxd-for-her2-zero", [*ev, *history_ev], order=order, severity="warning", title=title,
                           message=message, action=action, extra_sources=sources)]
    if her2.expression == "ultralow" or her2.ultralow_on_any_sample:
        if assessment.hr != "negative":
            return []
        # The ultralow indication (DESTINY-Breast06) is for HR-positive disease; HR-negative ultralow
        # disease is outside the HER2-low (DESTINY-Breast04) indication too (table c).
        return [make_alert(
            "tdxd-for-her2-zero", ev, order=order, severity="warning", title=f"{name}: HER2-ultralow, HR-negative",
            message="HER2 is ultralow (IHC 0 with faint staining) and the tumour is hormone-receptor negative. T-DXd's "
                    "ultralow indication (DESTINY-Breast06) covers HR-positive disease only, and its HER2-low indication "
                    "needs IHC 1+ or 2+ without amplification.",
            action="Check that a HER2-low (1+ or 2+/ISH-negative) result exists on another sample before giving T-DXd.")]
    if her2.status in ("equivocal", "unknown"):
        return [make_alert(
            "tdxd-for-her2-zero", ev, order=order, severity="warning", title=f"{name}: HER2 status not established",
            message="T-DXd is ordered or active while HER2 status is not established; its indications depend on "
                    "HER2-positive, HER2-low or HER2-ultralow results.",
            action="Resolve HER2 status (IHC score, reflex ISH for 2+) first.",
            missing_test=MISSING_TESTS["her2-ish"] if her2.status == "equivocal" else MISSING_TESTS["her2-ihc"])]
    if her2.expression in ("null", "zero-unspecified") and assessment.hr == "negative":
        # The ultralow indication (DESTINY-Breast06) covers HR-positive disease only: re-scoring an IHC 0 for
        # ultralow cannot open T-DXd here, so it is not asked for (issue 13 section 4).
        return [make_alert(
            "tdxd-for-her2-zero", ev, order=order, severity="warning" if her2.expression == "zero-unspecified" else None,
            title=f"{name}: HER2 IHC 0, HR-negative",
            message="HER2 is IHC 0 and the tumour is hormone-receptor negative. T-DXd's indication for HER2-negative "
                    "disease here needs HER2-low (IHC 1+ or 2+ without amplification); its ultralow indication covers "
                    "HR-positive disease only.",
            action="Check for a HER2-low result on another sample (or test a new biopsy) before giving T-DXd.")]
    if her2.expression == "null":
        return [make_alert("tdxd-for-her2-zero", ev, order=order, title=f"{name} for HER2-null disease",
                           missing_test=MISSING_TESTS["her2-ultralow-rescore"])]
    if her2.expression == "zero-unspecified":
        return [make_alert(
            "tdxd-for-her2-zero", ev, order=order, severity="warning", title=f"{name}: HER2 IHC 0 not sub-classified",
            message="HER2 is IHC 0 without a null/ultralow annotation. Only HER2-ultralow (faint staining in up to 10% of "
                    "cells) falls within the T-DXd HER2-negative indications.",
            action="Ask pathology to re-score the IHC 0 slide for ultralow staining before giving T-DXd.",
            missing_test=MISSING_TESTS["her2-ultralow-rescore"])]
    # HER2 negative without a score (expression unknown).
    return [make_alert(
        "tdxd-for-her2-zero", ev, order=order, severity="warning", title=f"{name}: HER2 IHC score missing",
        message="HER2 is negative without an IHC score, so it is not known whether the tumour is HER2-low or "
                "ultralow, which T-DXd's HER2-negative indications require.",
        action="Request the HER2 IHC score (0 with null/ultralow annotation, 1+, 2+).",
        missing_test=MISSING_TESTS["her2-ihc"])]


def _ai_without_ofs(assessment: Assessment, med: MedicationUse, context: list[MedicationUse],
                    order: str | None, name: str) -> Alert | None:
    status = assessment.menopausal_status
    if any(m.drug_class == "gnrh-agonist" for m in context if m is not med) or status in ("postmenopausal", "suppressed"):
        return None
    if status == "premenopausal":
        who = "premenopausal"
    elif status == "male":
        who = "male"
    elif status == "unknown" and assessment.age is not None and assessment.age < MENOPAUSE_AGE_YEARS.value:
        # NCCN: under 60, postmenopausal status has to be established, not assumed (b.5).
        who = f"aged {assessment.age} with menopausal status not established"
    else:
        return None
    if status == "male":
        # ASCO male breast cancer guideline (Hassett 2020): an AI in a man goes with a GnRH agonist, else tamoxifen.
        # Menopause and ovarian suppression are words for women; the card must not use them for a man.
        return make_alert(
            "P14", [med.resource], order=order, title=f"{name} without a GnRH agonist (male patient)",
            message=f"{name} is an aromatase inhibitor and this patient is a man with no GnRH agonist on record. In "
                    "men the testes keep making oestrogen, so an aromatase inhibitor alone does not lower it enough.",
            action="Give the aromatase inhibitor together with a GnRH agonist, or use tamoxifen instead.")
    return make_alert(
        "P14", [med.resource], order=order, title=f"{name} without ovarian suppression",
        message=f"{name} is an aromatase inhibitor and this patient is {who}, with no GnRH agonist on record. "
                "An AI alone does not work while the ovaries still produce oestrogen.")


def _concurrency(med: MedicationUse, context: list[MedicationUse], order: str | None, name: str) -> list[Alert]:
    alerts = []
    others = [m for m in context if m is not med and _overlaps(med, m)]
    if not med.draft:
        # Chart only (patient-view): report each pair once, from the endocrine / CDK4/6 side.
        if not (is_endocrine(med.drug_class) or med.drug_class == "cdk46-inhibitor"):
            return []
        others = [m for m in others if not m.draft]
    if is_endocrine(med.drug_class):
        endocrine_partners, cdk_partners = [m for m in others if is_cytotoxic(m.drug_class)], []
    elif is_cytotoxic(med.drug_class):
        endocrine_partners = [m for m in others if is_endocrine(m.drug_class)]
        cdk_partners = [m for m in others if m.drug_class == "cdk46-inhibitor"]
    else:  # CDK4/6 inhibitor
        endocrine_partners, cdk_partners = [], [m for m in others if is_cytotoxic(m.drug_class)]
    if endocrine_partners:
        names = ", ".join(sorted({p.ingredient or p.display or p.resource for p in endocrine_partners}))
        alerts.append(make_alert(
            "P11", [med.resource, *(p.resource for p in endocrine_partners)], order=order,
            title=f"{name} at the same time as {names}",
            message=f"{name} overlaps with {names}: endocrine therapy given together with cytotoxic chemotherapy. "
                    "In early disease endocrine therapy should follow chemotherapy (SWOG-8814); in metastatic disease "
                    "the two are not combined."))
    if cdk_partners:
        names = ", ".join(sorted({p.ingredient or p.display or p.resource for p in cdk_partners}))
        alerts.append(make_alert(
            "P11", [med.resource, *(p.resource for p in cdk_partners)], order=order,
            title=f"{name} at the same time as {names} (CDK4/6 inhibitor with chemotherapy)",
            message=f"{name} overlaps with {names}: a CDK4/6 inhibitor combined with cytotoxic chemotherapy is not a "
                    "standard combination.",
            action="Give the CDK4/6 inhibitor with endocrine therapy, not with chemotherapy."))
    return alerts


def _overlaps(a: MedicationUse, b: MedicationUse) -> bool:
    """Whether two drugs are (or would be) taken at the same time; both must be active or draft."""
    if not (is_active_medication(a) and is_active_medication(b)):
        return False
    a0, a1, b0, b1 = parse_date(a.start), parse_date(a.end), parse_date(b.start), parse_date(b.end)
    # FHIR Period.end includes its day: a drug ending on the day the other starts overlaps it.
    gap = CONCURRENT_THERAPY_GAP_DAYS.value
    if a1 and b0 and (b0 - a1).days >= gap:
        return False
    if b1 and a0 and (a0 - b1).days >= gap:
        return False
    return True


# ---- Patient-fact rules --------------------------------------------------------------------------------

def _p1(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    if "ER-/PR+" in a.modifiers or (a.er.status == "negative" and a.pr.status in ("positive", "low-positive")):
        return [make_alert("P1", [*a.er.evidence, *a.pr.evidence])]
    return []


def _p2(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    if a.er.status == "low-positive":
        pct = f" ({a.er.percent:g}% of nuclei)" if a.er.percent is not None else ""
        return [make_alert("P2", a.er.evidence, title=f"ER-low positive{pct}")]
    return []


def _p3(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    if a.er.status == "positive" and a.er.percent is None:
        return [make_alert("P3", a.er.evidence, missing_test=MISSING_TESTS["er-percent"])]
    return []


def _p4(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    h = a.her2
    if h.status == "equivocal" or h.ish == "equivocal" or (h.ihc_score == "2+" and h.ish is None):
        return [make_alert("P4", h.evidence, missing_test=MISSING_TESTS["her2-ish"])]
    return []


def _p5(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    h = a.her2
    if h.ish == "needs-ihc" or (h.ish_group in (2, 3, 4) and h.ihc_score is None):
        if h.ish_group is None:
            return [make_alert("P5", h.evidence, title="ISH ratio of 2.0 or more without copy number or concurrent IHC",
                               message="The HER2/CEP17 ratio is 2.0 or more but no mean HER2 copy number is recorded, so "
                                       "ISH group 1 (positive) cannot be told from group 2, which needs an IHC result on "
                                       "the same specimen.",
                               missing_test=MISSING_TESTS["her2-ihc"])]
        return [make_alert("P5", h.evidence, title=f"ISH group {h.ish_group} without concurrent IHC",
                           missing_test=MISSING_TESTS["her2-ihc"])]
    return []


def _p7(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    h = a.her2
    if h.status == "negative" and h.expression == "unknown" and h.ihc_score is None:
        return [make_alert("P7", h.evidence, missing_test=MISSING_TESTS["her2-ihc"])]
    return []


def _p8(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    """Re-scoring an IHC 0 for ultralow is advised only where the ultralow indication can exist: HR+/HER2- metastatic
    disease with endocrine therapy on record (DESTINY-Breast06; issue 13 section 4). Not for HR-negative or early
    disease, and not before any endocrine therapy (the T-DXd option defers the same test until then)."""
    h = a.her2
    if (a.setting.setting == "metastatic" and a.subtype == "HR+/HER2-" and h.expression == "zero-unspecified"
            and not (h.low_on_any_sample or h.ultralow_on_any_sample)):
        endocrine = [m.resource for m in a.medications if is_endocrine(m.drug_class)]
        if endocrine:
            return [make_alert("P8", [*h.evidence, *endocrine], missing_test=MISSING_TESTS["her2-ultralow-rescore"])]
    return []


def _receptor_history(a: Assessment):
    return [r for r in a.history if r.analyte in RECEPTOR_ANALYTES]


def _p9_local_recurrence(a: Assessment) -> list[Alert]:
    """A local or regional recurrence whose receptors were not tested on it: the earlier tumour's results stand in
    (selection.govern, "early-results-only"), so P9 asks for a biopsy of the recurrence (b.3: the early episode ends at
    the first recurrence; ESMO ABC 5 asks to biopsy a recurrence and retest ER, PR and HER2)."""
    e = a.episode
    if not (e.current == "early" and e.new_tumour_kind == "recurrence" and e.new_tumour):
        return []
    missing = [(name, f) for name, f in (("ER", a.er), ("PR", a.pr), ("HER2", a.her2)) if f.rule == "early-results-only"]
    if not missing:
        return []
    names = "/".join(name for name, _ in missing)
    dates = sorted({f.effective[:10] for _, f in missing if f.effective})
    taken = f" ({', '.join(dates)})" if dates else ""
    has = "has" if len(missing) == 1 else "have"
    return [make_alert(
        "P9", [ref for _, f in missing for ref in f.evidence] + list(e.evidence),
        message=f"A local or regional recurrence is recorded ({e.new_tumour[:10]}), but {names} {has} no result on it: "
                f"the results used are the earlier tumour's{taken}. ER, PR and HER2 can differ between a recurrence "
                "and the tumour it came from.",
        action="Biopsy the recurrence and repeat ER, PR and HER2 on it before the next treatment choice; if the result "
               "differs from the earlier tumour's, the recurrence's result guides treatment.",
        missing_test=MISSING_TESTS["receptor-retest-recurrence"], extra_sources=("esmo-abc5-2020",))]


def _p9(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    if a.setting.setting == "early":
        return _p9_local_recurrence(a)
    if a.setting.setting != "metastatic":
        return []
    history = _receptor_history(a)
    # A preliminary result is not yet a conversion to treat by (b.1; it is named as a newer preliminary result).
    metastasis_results = [r for r in history if r.specimen == "metastasis" and not r.provisional]
    primary_results = [r for r in history if r.specimen != "metastasis"]
    # Conversion: a receptor status differs between a metastasis and an earlier/primary sample. Residual disease
    # after neoadjuvant therapy is not the primary's status (b.3: receptor loss there is a treatment effect) and
    # is compared only when nothing from before treatment exists.
    treated = {id(r) for r in primary_results if sample_phase(a.episode, r) == "post-treatment"}
    changed = []
    for analyte in ("ER", "PR", "HER2-IHC", "HER2-ISH", "HER2-status"):
        met = {_family(r.status) for r in metastasis_results if r.analyte == analyte and r.status != "unknown"}
        mine = [r for r in primary_results if r.analyte == analyte and r.status != "unknown"]
        mine = [r for r in mine if id(r) not in treated] or mine
        pri = {_family(r.status) for r in mine}
        if met and pri and met != pri:
            changed.append(analyte)
    if changed:
        ev = [r.resource for r in history if r.analyte in changed]
        return [make_alert(
            "P9", ev, title="Receptor conversion between primary and metastasis",
            message=f"Results differ between the primary tumour and the metastasis ({', '.join(changed)}). Receptor "
                    "status can change at relapse.",
            action="Treat according to the metastasis biopsy; review the discordant results with pathology.")]
    # Retest (d/P9 revised): no sample of the metastatic episode (every result predates the relapse, or all
    # come from the primary), or relapse evidence dated after the newest such sample. A diagnostic biopsy of de
    # novo stage IV belongs to the metastatic episode (episodes.py, SEER time rule), so it asks for nothing;
    # undated results cannot show a retest, so they still ask. Progression is P13's, not P9's.
    # In a relapse a breast sample is not the retest P9 asks for ("all from primary-breast specimens");
    # in de novo stage IV the diagnostic breast biopsy is.
    in_episode = [r for r in history if sample_phase(a.episode, r) == "metastatic"
                  and (r.specimen != "primary" or a.episode.de_novo_metastatic)]
    newest_sample = max((d for d in (parse_date(sample_date(r)) for r in in_episode) if d), default=None)
    relapse = [parse_date(e.date) for e in a.events if e.kind in ("metastasis", "recurrence")]
    initial = _presentation_end(a)
    later_relapse = [d for d in relapse if d and newest_sample and d > newest_sample and not (initial and d <= initial)]
    if history and (not in_episode or later_relapse):
        ev = [*a.er.evidence, *a.pr.evidence, *a.her2.evidence,
              *(ref for e in a.events if e.kind in ("metastasis", "recurrence") for ref in e.evidence),
              *a.setting.evidence]
        return [make_alert("P9", ev, missing_test=MISSING_TESTS["receptor-retest"])]
    return []


def _presentation_end(a: Assessment) -> date | None:
    """The end of the work-up of the first metastatic presentation: metastasis or recurrence evidence up to then
    (a Condition recorded days after the biopsy that found it; the stage IV record of de novo disease) is that
    presentation, not a later relapse. The window is the SEER staging time rule (four months, knowledge.thresholds),
    counted from the diagnosis for de novo stage IV and from the first metastatic evidence otherwise."""
    if a.episode.current == "early" and a.episode.new_tumour:
        # A local/regional recurrence or a new primary: its records up to the window after its first evidence (the
        # Condition written days after the biopsy) are that presentation, not a later event.
        return add_months(parse_date(a.episode.new_tumour), DE_NOVO_MONTHS)
    start = parse_date(a.episode.metastatic_start)
    if a.episode.current != "metastatic" or start is None:
        return None
    ends = [add_months(start, DE_NOVO_MONTHS)]
    diagnosis = parse_date(a.episode.diagnosis)
    if a.episode.de_novo_metastatic and diagnosis is not None:
        ends.append(add_months(diagnosis, DE_NOVO_MONTHS))
    return max(ends)


def _family(status: str) -> str:
    return "positive" if status in ("positive", "low-positive") else status


def _p10(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    if a.setting.setting != "metastatic":
        return []
    ihc = [r for r in a.history if r.analyte == "HER2-IHC" and r.ihc_score]
    zero = [r for r in ihc if r.ihc_score.startswith("0")]
    not_amplified = [r for r in a.history if r.analyte == "HER2-ISH" and r.ish == "not-amplified"]

    def same_sample(x, y) -> bool:
        if x.specimen_ref and y.specimen_ref:
            return x.specimen_ref == y.specimen_ref
        return parse_date(x.effective) == parse_date(y.effective) and x.specimen == y.specimen

    # HER2-low = IHC 1+, or IHC 2+ with a non-amplified ISH on the same sample (b.3).
    low = [r for r in ihc if r.ihc_score == "1+"
           or (r.ihc_score == "2+" and any(same_sample(r, i) for i in not_amplified))]
    if zero and low:
        return [make_alert("P10", [r.resource for r in (*zero, *low)])]
    if a.her2.expression in ("null", "zero-unspecified", "ultralow") and a.her2.low_on_any_sample:
        return [make_alert("P10", a.her2.evidence)]
    return []


def _p11_p14_p16_p20_and_conflicts(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    active = [m for m in a.medications if is_active_medication(m)]
    alerts: list[Alert] = []
    for med in active:
        alerts.extend(medication_alerts(a, med, active))
    return alerts


def _p12(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    alerts = []
    for event in a.events:
        if event.kind == "progression" and marker_only(event):
            alerts.append(make_alert("P12", event.evidence))
    return alerts


def _p13(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    """(a) the governing receptor result predates the latest metastasis/recurrence/progression; (b) ESR1
    before the latest progression or AI exposure. The reference's (c) age limit is withdrawn (no guideline
    number; it fired on every long-term patient): an old result is stale only when it predates the current
    disease state. A sample of the metastatic episode is not outdated by the metastasis evidence of its own
    presentation (``_presentation_end``: for de novo stage IV the diagnosis itself)."""
    reasons: list[str] = []
    evidence: list[str] = []
    findings = [("ER", a.er.effective, a.er.evidence, a.er.phase), ("PR", a.pr.effective, a.pr.evidence, a.pr.phase),
                ("HER2", a.her2.effective, a.her2.evidence, a.her2.phase)]
    initial = _presentation_end(a)
    disease = [(parse_date(e.date), e.kind) for e in a.events if e.kind in DISEASE_EVENTS and is_worsening(e)]
    latest_any = max((d for d, _ in disease if d), default=None)
    # A sample of the metastatic episode is not outdated by the metastasis evidence of its own presentation.
    latest_after_presentation = max((d for d, kind in disease if d and not (initial and kind != "progression"
                                                                            and d <= initial)), default=None)
    for name, effective, ev, phase in findings:
        when = parse_date(effective)
        current_tumour = phase == "metastatic" or (a.episode.new_tumour and phase != "earlier-tumour")
        latest_disease = latest_after_presentation if current_tumour else latest_any
        if when is None:
            continue
        if latest_disease and when < latest_disease:
            reasons.append(f"{name} result ({when.isoformat()}) predates the latest metastasis/recurrence/progression "
                           f"({latest_disease.isoformat()})")
            evidence.extend(ev)
    # (b) ESR1: before the latest progression, or before aromatase-inhibitor exposure began.
    progression = latest_event_date(a, ("progression", "recurrence", "metastasis"))
    ai_starts = [parse_date(m.start) for m in a.medications if m.drug_class == "aromatase-inhibitor"]
    ai_start = max((d for d in ai_starts if d), default=None)
    for marker in a.biomarkers:
        if (marker.name or "").upper() != "ESR1":
            continue
        when = parse_date(marker.effective)
        if when is None:
            continue
        if progression and when < progression:
            reasons.append(f"ESR1 result ({when.isoformat()}) predates the latest progression ({progression.isoformat()})")
            evidence.extend(marker.evidence)
        elif ai_start and when < ai_start:
            reasons.append(f"ESR1 result ({when.isoformat()}) predates aromatase-inhibitor exposure ({ai_start.isoformat()})")
            evidence.extend(marker.evidence)
    if not reasons:
        return []
    return [make_alert("P13", evidence, message="; ".join(reasons) + ".")]


def _p15(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    if a.subtype != "triple-negative" or a.setting.setting == "early":
        return []
    state = finding_state(a, "PD-L1-CPS10-22C3")
    if state.state == "unconfirmed":
        return [make_alert("P15", state.evidence, missing_test=MISSING_TESTS["pdl1-cps-22c3"])]
    return []


def _p16(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    state = finding_state(a, "gBRCA")
    if state.state == "unconfirmed":
        return [make_alert("P16", state.evidence, missing_test=MISSING_TESTS["germline-brca"])]
    return []


# Data-quality notes that a dedicated pitfall already reports (one card per problem, not two).
COVERED_ELSEWHERE = {"conflicting-results": "P18"}
# Data-quality notes about data correctly set aside: a line on the subtype card (subtype_notes.py), not a
# warning (issue 13 section 5: already-resolved findings are not alerts).
RESOLVED_NOTES = frozenset({"dropped-entered-in-error", "dropped-cancelled"})


def _p17_p18(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    """P17 (data-quality notes) and P18 (same-day conflicts), with P18 computed once: P17 leaves out the
    notes P18 already reports, so it needs P18's answer."""
    p18 = _p18(a, cfg)
    covered = {code for code, pitfall in COVERED_ELSEWHERE.items() if pitfall == "P18" and p18}
    notes = [n for n in a.data_quality if n.code not in covered and n.code not in RESOLVED_NOTES]
    if not notes:
        return p18
    # In words (cds_hooks.knowledge.data_quality): the codes and technical messages are for the data team.
    codes = list(dict.fromkeys(n.code for n in notes))
    problems = [words_for(code) for code in codes]
    actions = list(dict.fromkeys(action for _, action in problems))
    count = len(codes)
    return [make_alert("P17", [n.resource for n in notes if n.resource],
                       title=(problems[0][0].rstrip(".") if count == 1 else
                              f"{count} problems with how receptor data are recorded"),
                       message=" ".join(problem for problem, _ in problems),
                       action=" ".join(actions)), *p18]


_ANY = object()   # a wildcard in the specimen index below


def _specimen_of(r) -> tuple:
    """What says which specimen a result is on: kind ('unknown' matches any kind), Specimen reference and
    body site (each unknown when empty, and then matching any)."""
    return r.specimen, r.specimen_ref or None, r.specimen_site or None


def _specimen_index(rows: list) -> set[tuple]:
    """Every generalisation of the rows' specimens (each part either its value or _ANY), so a lookup can ask
    'is any row on a specimen compatible with this one' in constant time instead of comparing pairs."""
    return {(k, r, s) for row in rows for kind, ref, site in (_specimen_of(row),)
            for k in (kind, _ANY) for r in (ref, _ANY) for s in (site, _ANY)}


def _has_same_specimen_row(row, index: set[tuple]) -> bool:
    """Whether ``index`` holds a row plausibly on the same specimen as ``row``: kinds equal or either unknown,
    references equal where both are given, sites equal where both are given."""
    kind, ref, site = _specimen_of(row)
    kinds = (_ANY,) if kind == "unknown" else (kind, "unknown")
    refs_ = (_ANY,) if ref is None else (ref, None)
    sites = (_ANY,) if site is None else (site, None)
    return any((k, r, s) in index for k in kinds for r in refs_ for s in sites)


def _statements_disagree(x: tuple[str, bool], y: tuple[str, bool]) -> bool:
    """Different families (positive vs negative), or two percents in different ASCO/CAP categories
    (ER 5% vs 50%); a qualitative "positive" beside a low percent is not a conflict. A statement is
    (status, stated as a percent)."""
    return _family(x[0]) != _family(y[0]) or (x[1] and y[1] and x[0] != y[0])


def _p18(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    # Linear in the number of results: rows are grouped by analyte and day, then by what they state (a handful
    # of distinct statements); a row conflicts when a disagreeing statement sits on a compatible specimen, which
    # the specimen index answers without comparing pairs (an attack sent 25,000 copies of one result).
    groups: dict[tuple, list] = {}
    for r in a.history:
        if r.status in ("unknown", None) or r.analyte not in ("ER", "PR", "HR", "HER2-IHC", "HER2-ISH", "HER2-status"):
            continue
        day = parse_date(r.effective)
        if day is None:
            continue
        analyte = r.analyte
        groups.setdefault((analyte, day), []).append(r)
    alerts = []
    for (analyte, day), rows in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        by_statement: dict[tuple[str, bool], list] = {}
        for r in rows:
            by_statement.setdefault((r.status, r.percent is not None), []).append(r)
        indexes = {statement: _specimen_index(members) for statement, members in by_statement.items()}
        in_conflict: set[int] = set()
        for statement, members in by_statement.items():
            rivals = [indexes[other] for other in by_statement if _statements_disagree(statement, other)]
            in_conflict.update(id(r) for r in members if any(_has_same_specimen_row(r, idx) for idx in rivals))
        conflicting = [r for r in rows if id(r) in in_conflict]
        if conflicting:
            statuses = ", ".join(sorted({f"{r.label or r.analyte}: {r.status}" for r in conflicting}))
            alerts.append(make_alert(
                "P18", [r.resource for r in conflicting], title=f"Conflicting {analyte} results on {day.isoformat()}",
                message=f"Results for {analyte} on the same specimen and date disagree ({statuses})."))
    return alerts


def _sample_discordance(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    """Pre-treatment samples of the early episode disagree, positive against negative (ER/PR >= 1 % or HER2
    positive on one, negative on another); or the receptor is positive only on tissue taken after systemic
    therapy began. The positive call governs (selection.govern); the disagreement is a warning of its own
    (b.3 revised; ASCO/CAP 2018 and 2023)."""
    lines: list[str] = []
    evidence: list[str] = []
    kinds: set[str] = set()
    early_phases = ("pre-treatment", "unknown") if a.episode.current == "metastatic" else \
        ("pre-treatment", "unknown", "metastatic")
    for receptor, finding in (("ER", a.er), ("PR", a.pr), ("HER2", a.her2)):
        if finding.rule not in ("pre-treatment-samples", "early-results-only"):
            continue
        calls = [c for c in a.samples if c.receptor == receptor and not c.conflicted and not c.provisional]
        # A local recurrence never biopsied: the earlier tumour's results stand in, weighed by that tumour's own
        # treatment dates (episodes.earlier_tumour_phase), so its disagreements are told the same way.
        stand_in = finding.rule == "early-results-only" and a.episode.current == "early"

        def phase(c: SampleCall) -> str:
            return earlier_tumour_phase(a.episode, c.date) if stand_in and c.phase == "earlier-tumour" else c.phase

        # Cancer in both breasts: each breast's samples are one tumour's; the two tumours are not compared here
        # (bilateral.py; a difference between them is the bilateral-subtypes-differ card, never "the same tumour").
        groups: dict[str | None, list[SampleCall]] = {}
        for c in calls:
            groups.setdefault(c.side if a.episode.bilateral else None, []).append(c)
        for side, group in sorted(groups.items(), key=lambda item: item[0] or ""):
            pre = [c for c in group if phase(c) in early_phases]
            positive = [c for c in pre if _family(c.status) == "positive"]
            negative = [c for c in pre if c.status == "negative"]
            gained = [c for c in group if phase(c) == "post-treatment" and _family(c.status) == "positive"]
            whose = ("Earlier tumour, before the recurrence: " if stand_in else
                     f"{side.capitalize()} breast tumour: " if side in ("left", "right") and a.episode.bilateral else "")
            if positive and negative:
                lines.append(f"{whose}{receptor} positive: {describe_samples(positive)}. {receptor} negative: "
                             f"{describe_samples(negative)}. All taken before systemic therapy; {receptor} is taken "
                             "as positive.")
                evidence += [ref for c in (*positive, *negative) for ref in c.evidence]
                kinds.add("pre-treatment")
            elif negative and not positive and gained:
                lines.append(f"{whose}{receptor} negative before treatment: {describe_samples(negative)}. {receptor} "
                             f"positive on tissue taken after systemic therapy began: {describe_samples(gained)}.")
                evidence += [ref for c in (*negative, *gained) for ref in c.evidence]
                kinds.add("after-treatment")
    if not lines:
        return []
    spec = PITFALLS["receptor-sample-discordance"]
    # The table's text explains a disagreement between samples taken before any systemic therapy; a receptor positive
    # only after treatment began is another situation and is explained in its own words (never "before any therapy").
    tails = [spec.message] if "pre-treatment" in kinds else []
    if "after-treatment" in kinds:
        tails.append(AFTER_TREATMENT_ONLY_TEXT)
    return [make_alert("receptor-sample-discordance", evidence, message=" ".join([*lines, *tails]))]


# A receptor positive only on tissue taken after systemic therapy began, negative on every sample taken before it.
AFTER_TREATMENT_ONLY_TEXT = (
    "The samples taken before treatment are negative and the positive result comes from tissue taken after systemic "
    "therapy began. The receptor is kept as the pre-treatment samples show it; the positive result still needs "
    "explaining (tumour heterogeneity, sampling, or a testing problem) before treatment aimed at it is chosen or ruled "
    "out.")


def _bilateral_subtypes_differ(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    """Cancer in both breasts with different subtypes (bilateral.py): both stated, no merged subtype, the tumour
    board asked to plan treatment covering both (SEER: separate primaries; ASCO/CAP: each primary tested)."""
    if not differing(a.tumours):
        return []
    words = {"positive": "positive", "low-positive": "low positive", "negative": "negative", "equivocal": "equivocal",
             "unknown": "not known"}
    parts = [f"{t.side.capitalize()} breast tumour: {t.subtype} (ER {words.get(t.er.status, t.er.status)}, PR "
             f"{words.get(t.pr.status, t.pr.status)}, HER2 {words.get(t.her2.status, t.her2.status)})."
             for t in a.tumours]
    spec = PITFALLS["bilateral-subtypes-differ"]
    evidence = [ref for t in a.tumours for f in (t.er, t.pr, t.her2) for ref in f.evidence]
    return [make_alert("bilateral-subtypes-differ", evidence, message=" ".join([*parts, spec.message]))]


def _p19(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    if a.setting.locally_advanced and a.setting.setting != "metastatic":
        return [make_alert("P19", a.setting.evidence)]
    return []


def _endocrine_not_withheld(a: Assessment, cfg: DecisionConfig) -> list[Alert]:
    if a.hr != "positive" or a.setting.setting not in ("early", "metastatic"):
        return []
    meds = [m for m in a.medications if m.drug_class and not m.draft]
    if not meds or any(is_endocrine(m.drug_class) or m.drug_class == "gnrh-agonist" for m in meds):
        return []
    on_chemo = any(is_cytotoxic(m.drug_class) and is_active_medication(m) for m in meds)
    if a.setting.setting == "early" and on_chemo:
        return []   # early disease: endocrine therapy follows chemotherapy (SWOG-8814), not yet due
    if a.subtype == "HR+/HER2+" and on_chemo and any(is_anti_her2(m.drug_class) and is_active_medication(m) for m in meds):
        return []   # HER2+ first line is anti-HER2 therapy with chemotherapy; endocrine maintenance follows (table c)
    return [make_alert("endocrine-not-withheld", [*a.er.evidence, *a.pr.evidence, *(m.resource for m in meds)])]


RULES = (_p1, _p2, _p3, _p4, _p5, _p7, _p8, _p9, _p10, _p11_p14_p16_p20_and_conflicts, _p12, _p13,
         _p15, _p16, _p17_p18, _sample_discordance, _bilateral_subtypes_differ, _p19, _endocrine_not_withheld)


def find_pitfalls(assessment: Assessment, config: DecisionConfig = DEFAULT_CONFIG) -> list[Alert]:
    """Every pitfall the assessment's facts show, each with evidence and sources."""
    alerts: list[Alert] = []
    for rule in RULES:
        alerts.extend(rule(assessment, config))
    return _dedupe(alerts)


def _dedupe(alerts: list[Alert]) -> list[Alert]:
    seen: set[tuple] = set()
    out = []
    for alert in alerts:
        key = (alert.code, alert.title, alert.order, tuple(alert.evidence))
        if key not in seen:
            seen.add(key)
            out.append(alert)
    return out


__all__ = ["find_pitfalls", "medication_alerts", "make_alert", "MISSING_TESTS"]
