"""Treatment options by subtype and setting (clinical-knowledge.md b.6 over the rows of table c).

The table lives in ``cds_hooks.knowledge.options``; this module only decides, for one assessment,
which rows apply and in what state:

- ``applicable``: subtype, setting and required findings fit, and for rows tied to a place in the treatment
  sequence the recorded history establishes it (``cds_hooks.decision.lines``).
- ``depends-on-prior-therapy``: the row's label or trial asks for prior lines (or a relapse within a time
  after adjuvant therapy) that the recorded history does not establish, or contradicts; ``needs`` says what
  to check and a note says what the record shows. Medication records are often incomplete, so the history
  never removes a row, it only withholds "applicable".
- ``needs-test``: a finding the option depends on is not in the data (or only in a form that cannot
  establish it, e.g. a somatic BRCA result, a non-22C3 PD-L1 score); ``needs`` names the test. Issue 2:
  such options are shown, never silently listed as applicable and never dropped.
- ``needs-review``: a fact other than a test decides it (menopausal status unknown, setting unknown,
  locally advanced disease not confirmed as advanced, an ER-low tumour where TNBC-type options are only
  a discussion point, or a result that is still preliminary).

Rows are left out only when the data positively rule them out (wrong subtype or setting, a test that
came back negative, a label restricted to postmenopausal women in a premenopausal patient).

Decisions documented here:
- Indeterminate subtype: no options at all (b.6; never guess a subtype). The subtype card explains why.
- Unknown setting: both early and metastatic rows are returned, every one ``needs-review`` with
  "disease setting (early vs metastatic)" in ``needs``; assuming either setting could hide the right
  options, so we assume neither.
- Locally advanced without M1 (P19): early rows as usual, metastatic rows ``needs-review`` until the
  clinician confirms the disease is treated as advanced.
- ER-low HR+/HER2-: endocrine rows stay (P2: do not suppress them) with the ER-low note, and, when PR
  is negative or low too (b.4), the triple-negative rows for the same setting are added as
  ``needs-review`` (b.6 "consider TNBC-like").
- ER-negative/PR-positive: every option is ``needs-review`` until pathology re-checks ER (P1 keeps the
  HR+ call provisional); endocrine rows carry the note that endocrine therapy may still be considered.
- A preliminary ER/PR/HER2 result behind the subtype: every option is ``needs-review`` (b.1: a
  provisional result is never the sole basis of a recommendation).
- Menopause: "post" labels are dropped for premenopausal women and men, and need review when status is
  unknown or suppressed; AI-based rows stay for premenopausal women and men with the ovarian/testicular
  suppression note (P14), and need review when status is unknown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from ..knowledge.options import (
    ER_LOW_HER2_POSITIVE_NOTE,
    ER_LOW_NOTE,
    ER_LOW_PR_POSITIVE_NOTE,
    ER_NEG_PR_POS_NOTE,
    FEMALE_ONLY_WORDS,
    MALE_NOTE,
    MALE_WORDING,
    RESPONSE_EVALUATION_NOTE,
    OPTIONS_TABLE,
    REQUIREMENT_TESTS,
    TNBC,
    OptionSpec,
)
from ..knowledge.thresholds import PDL1_CPS_22C3_MIN, PDL1_SP142_IC_MIN_PERCENT
from .citations import refs
from .config import DEFAULT_CONFIG, DecisionConfig
from .lines import TherapyHistory, check_prior_therapy, therapy_history
from .risk import check_risk
from .model import Assessment, Biomarker, Option
from .progression import is_worsening

SETTING_NEED = "disease setting (early vs metastatic)"
LOCALLY_ADVANCED_NEED = "clinician to confirm advanced (unresectable) rather than early disease"
MENOPAUSE_NEED = "menopausal status"
PROVISIONAL_NEED = "final (not preliminary) receptor result"
ER_LOW_NEED = "multidisciplinary discussion of ER-low disease"
ER_NEG_PR_POS_NEED = "pathology re-check of ER (ER-negative/PR-positive)"
# b.3 revised: receptors read only on tissue taken after systemic therapy began (residual disease) may have
# lost a receptor through treatment; the subtype needs the pre-treatment result before anything applies.
PRE_TREATMENT_NEED = "pre-treatment biopsy receptor result (only post-treatment tissue was tested)"
STAGE_NEED = "stage group (the label covers only some stages)"
NODES_NEED = "nodal status and risk features (node-positive, high risk)"
PRIOR_THERAPY_NEED = "prior therapy: check"
RISK_NEED = "the criteria of the trial or label (review)"
MALE_GUIDELINE_SOURCE = "asco-male-bc"
PRIOR_THERAPY_NOTE = "Prior therapy on record: "


# ---- Biomarker facts shared with the pitfall and order rules ------------------------------------------

@dataclass(frozen=True)
class FindingState:
    """Whether a required finding is established, and what would settle it if not.

    state: "present" (established), "absent" (tested, not there), "missing" (not in the data),
    "unconfirmed" (there, but not in the form the label needs: somatic BRCA, PD-L1 by another assay).
    """

    state: str
    evidence: tuple[str, ...] = ()
    need: str | None = None


def parse_date(value: str | None) -> date | None:
    """The calendar date of a FHIR date/dateTime string, or None when absent or unreadable."""
    if not value or not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        try:
            return date.fromisoformat(value[:7] + "-01") if len(value) >= 7 else date(int(value[:4]), 1, 1)
        except ValueError:
            return None


def _markers(assessment: Assessment, *names: str) -> list[Biomarker]:
    wanted = {n.upper() for n in names}
    return [b for b in assessment.biomarkers if (b.name or "").upper() in wanted]


def _ev(markers: list[Biomarker]) -> tuple[str, ...]:
    return tuple(ref for m in markers for ref in m.evidence)


def latest_event_date(assessment: Assessment, kinds: tuple[str, ...]) -> date | None:
    """Date of the latest metastasis/recurrence/progression-type event (stable/improved status excluded)."""
    dates = [parse_date(e.date) for e in assessment.events if e.kind in kinds and is_worsening(e)]
    dates = [d for d in dates if d]
    return max(dates) if dates else None


def _pdl1_state(assessment: Assessment, measure: str, assay: str, cutoff: float, need: str) -> FindingState:
    """A PD-L1 requirement counts only on its own measure and assay (P15): the newest such score decides;
    PD-L1 results of another assay or measure leave it unconfirmed, none at all leaves it missing."""
    pdl1 = _markers(assessment, "PD-L1")
    scored = [b for b in pdl1 if (b.measure or "").upper() == measure and (b.assay or "").upper() == assay
              and b.value is not None]
    if scored:
        best = max(scored, key=lambda b: (parse_date(b.effective) or date.min))
        return FindingState("present" if best.value >= cutoff else "absent", _ev([best]))
    if pdl1:
        return FindingState("unconfirmed", _ev(pdl1), need)
    return FindingState("missing", (), need)


def finding_state(assessment: Assessment, key: str) -> FindingState:
    """The state of one requirement key of the option table for this assessment."""
    need = REQUIREMENT_TESTS.get(key)
    if key == "gBRCA":
        brca = _markers(assessment, "BRCA1", "BRCA2")
        germline_present = [b for b in brca if b.result == "present" and b.origin == "germline"]
        if germline_present:
            return FindingState("present", _ev(germline_present))
        other_present = [b for b in brca if b.result == "present"]
        if other_present:
            return FindingState("unconfirmed", _ev(other_present), "germline BRCA1/2 confirmation")
        if any(b.result == "absent" and b.origin == "germline" for b in brca):
            return FindingState("absent", _ev(brca))
        return FindingState("missing", _ev(brca), need)
    if key == "PIK3CA":
        return _gene_state(assessment, ("PIK3CA",), need, ctdna_retest=True)
    if key == "PIK3CA|AKT1|PTEN":
        return _gene_state(assessment, ("PIK3CA", "AKT1", "PTEN"), need, ctdna_retest=True)
    if key == "ESR1":
        state = _gene_state(assessment, ("ESR1",), need)
        if state.state == "absent":
            # ESR1 is acquired under endocrine therapy: a negative result from before the latest
            # progression does not rule it out (P13b; EMERALD design).
            esr1 = _markers(assessment, "ESR1")
            progression = latest_event_date(assessment, ("progression", "recurrence", "metastasis"))
            tested = [parse_date(m.effective) for m in esr1 if parse_date(m.effective)]
            if progression and (not tested or max(tested) < progression):
                return FindingState("missing", state.evidence, "ESR1 retest at progression (ctDNA preferred)")
        return state
    if key == "PD-L1-CPS10-22C3":      # KEYNOTE-355: CPS >= 10 by 22C3 (c, P15)
        return _pdl1_state(assessment, "CPS", "22C3", PDL1_CPS_22C3_MIN.value, need)
    if key == "PD-L1-SP142-IC1":       # IMpassion130 (EMA/Health Canada): SP142 immune cells >= 1 % (c)
        return _pdl1_state(assessment, "IC", "SP142", PDL1_SP142_IC_MIN_PERCENT.value, need)
    if key in ("HER2-low", "HER2-low-or-ultralow"):
        her2 = assessment.her2
        ev = tuple(her2.evidence)
        allow_ultralow = key == "HER2-low-or-ultralow"
        # ASCO/CAP 2023: a valid prior or concurrent low (or ultralow) sample counts (b.3).
        if her2.expression == "low" or her2.low_on_any_sample:
            return FindingState("present", ev)
        if allow_ultralow and (her2.expression == "ultralow" or her2.ultralow_on_any_sample):
            return FindingState("present", ev)
        if her2.expression == "unknown":
            return FindingState("missing", ev, "HER2 IHC score (0 vs 1+/2+)")
        if her2.expression == "zero-unspecified" and allow_ultralow:
            return FindingState("missing", ev, "re-scoring of HER2 IHC 0 for ultralow vs null")
        return FindingState("absent", ev)
    if key == "residual-disease":
        residual = assessment.setting.residual_disease
        if residual is True:
            return FindingState("present", tuple(assessment.setting.evidence))
        if residual is False:
            return FindingState("absent", tuple(assessment.setting.evidence))
        return FindingState("missing", (), need)
    raise KeyError(f"unknown requirement key {key!r}")


def _gene_state(assessment: Assessment, genes: tuple[str, ...], need: str | None,
                ctdna_retest: bool = False) -> FindingState:
    markers = _markers(assessment, *genes)
    present = [m for m in markers if m.result == "present"]
    if present:
        return FindingState("present", _ev(present))
    tested = {m.name.upper() for m in markers if m.result == "absent"}
    if tested >= {g.upper() for g in genes}:
        absent = [m for m in markers if m.result == "absent"]
        if ctdna_retest and all((m.specimen or "").lower() in ("ctdna", "blood", "plasma") for m in absent):
            # ASCO 2021: a negative ctDNA result should be followed by tissue testing.
            return FindingState("missing", _ev(absent), f"{'/'.join(genes)} testing on tumour tissue (ctDNA negative)")
        return FindingState("absent", _ev(absent))
    untested = [g for g in genes if g.upper() not in tested]
    text = need if len(untested) == len(genes) else f"{'/'.join(untested)} testing"
    return FindingState("missing", _ev(markers), text)


# ---- Option selection -----------------------------------------------------------------------------------

def _menopause(spec: OptionSpec, assessment: Assessment) -> tuple[bool, list[str], list[str]]:
    """(keep?, needs, notes) for the row's menopausal/sex condition."""
    status = assessment.menopausal_status
    rule = spec.menopause
    if rule == "any":
        return True, [], []
    if rule == "ai-based":
        if status == "postmenopausal":
            return True, [], []
        if status == "suppressed":
            return True, [], ["On ovarian suppression: keep the GnRH agonist going with the aromatase inhibitor."]
        if status == "premenopausal":
            return True, [], ["Premenopausal: only together with ovarian function suppression (GnRH agonist)."]
        if status == "male":
            return True, [], ["In a man an aromatase inhibitor only together with a GnRH agonist; tamoxifen is the "
                              "alternative (ASCO male breast cancer guideline)."]
        return True, [MENOPAUSE_NEED], ["Before menopause this needs ovarian suppression; confirm menopausal status."]
    if rule == "post":
        if status == "postmenopausal":
            return True, [], []
        if status in ("premenopausal", "male"):
            return False, [], []
        return True, [MENOPAUSE_NEED], ["Labelled for postmenopausal women."]
    if rule == "post-or-suppressed":
        # Adjuvant bisphosphonates: postmenopausal, natural or induced by ovarian suppression (EBCTCG 2015;
        # ASCO-OH); no benefit before menopause, and the guideline speaks of women.
        if status in ("postmenopausal", "suppressed"):
            return True, [], []
        if status in ("premenopausal", "male"):
            return False, [], []
        return True, [MENOPAUSE_NEED], []
    if rule == "post-or-male":
        if status in ("postmenopausal", "male"):
            return True, [], []
        if status in ("premenopausal", "suppressed"):
            return True, [], ["Elacestrant is labelled for postmenopausal women and men; imlunestrant for adults."]
        return True, [], ["Elacestrant is labelled for postmenopausal women and men; imlunestrant for adults."]
    raise KeyError(f"unknown menopause rule {rule!r}")


def _build(spec: OptionSpec, assessment: Assessment, extra_needs: list[str], extra_notes: list[str],
           review: bool, history: TherapyHistory | None = None) -> Option | None:
    needs: list[str] = []
    tests_missing = False
    notes = list(spec.notes)
    prior_unsettled = False
    if spec.prior_therapy and history is not None:
        check = check_prior_therapy(spec.prior_therapy, history)
        notes.append(f"{PRIOR_THERAPY_NOTE}{check.text}")
        if check.verdict != "met":
            prior_unsettled = True
            needs.append(check.need or PRIOR_THERAPY_NEED)
    risk_review: list[str] = []
    if spec.risk_rule:
        risk = check_risk(spec.risk_rule, assessment)
        if risk.verdict == "excluded":
            return None
        if risk.text:
            notes.append(risk.text)
        if risk.verdict == "test":
            tests_missing = True
            needs.extend(n for n in risk.needs if n not in needs)
        elif risk.verdict in ("consider", "unknown"):
            risk_review.extend(risk.needs or (RISK_NEED,))
    for key in spec.requires:
        state = finding_state(assessment, key)
        if state.state == "absent":
            return None
        if (state.state in ("missing", "unconfirmed") and key in spec.defer_until_endocrine_therapy
                and history is not None and not history.ever("endocrine")):
            continue            # not asked for before any endocrine therapy: it could not change anything yet
        if state.state in ("missing", "unconfirmed"):
            tests_missing = True
            if state.need and state.need not in needs:
                needs.append(state.need)
            if key == "PD-L1-CPS10-22C3" and state.state == "unconfirmed":
                notes.append("The recorded PD-L1 result is not CPS by 22C3 and cannot establish eligibility.")
            if key == "gBRCA" and state.state == "unconfirmed":
                notes.append("The BRCA variant on record is somatic or of unknown origin; the labels need a germline variant.")
    keep, m_needs, m_notes = _menopause(spec, assessment)
    if not keep:
        return None
    stage_fits = _stage_fits(spec, assessment.setting.stage)
    if stage_fits is False:
        return None
    if stage_fits is None:
        m_needs = [*m_needs, STAGE_NEED]
    if spec.nodes_needed:
        m_needs = [*m_needs, NODES_NEED]
    m_needs = [*m_needs, *risk_review]
    notes.extend(m_notes)
    notes.extend(extra_notes)
    review_needs = [*m_needs, *extra_needs]
    for need in review_needs:
        if need not in needs:
            needs.append(need)
    if tests_missing:
        status = "needs-test"
    elif prior_unsettled:
        status = "depends-on-prior-therapy"
    elif review or review_needs:
        status = "needs-review"
    else:
        status = "applicable"
    condition, agents, sources = spec.condition, list(spec.agents), list(spec.sources)
    if assessment.menopausal_status == "male":
        if spec.id in MALE_WORDING:
            condition, male_agents = MALE_WORDING[spec.id]
            agents = list(male_agents)
            sources.append(MALE_GUIDELINE_SOURCE)
        # Menopause and ovarian suppression are women's care: such notes are not shown for a man (issue 13 section 5).
        notes = [n for n in notes if not _female_only(n)]
        needs = [n for n in needs if not _female_only(n)]
    return Option(
        id=spec.id, title=spec.title, drug_class=spec.drug_class, agents=agents,
        setting=spec.setting, condition=condition, status=status, needs=needs,
        notes=list(dict.fromkeys(notes)), sources=refs(*dict.fromkeys(sources)),
    )


def _female_only(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in FEMALE_ONLY_WORDS)


def _stage_fits(spec: OptionSpec, stage: str | None) -> bool | None:
    """Whether the recorded stage group is one the row covers; None when no stage is recorded (or readable)."""
    if not spec.stages:
        return True
    match = re.match(r"^(IV|III|II|I)([ABC])?", (stage or "").strip().upper())
    if not match:
        return None
    return match.group(0) in spec.stages or match.group(1) in spec.stages


def _is_endocrine_row(spec: OptionSpec) -> bool:
    return spec.drug_class in ("endocrine therapy", "serd", "oral-serd") or spec.id in (
        "met-ai-cdk46", "early-abemaciclib", "early-ribociclib", "met-everolimus-exemestane")


def options_for(assessment: Assessment, config: DecisionConfig = DEFAULT_CONFIG) -> list[Option]:
    """Options for the assessed subtype and setting; none while the subtype is indeterminate."""
    subtype = assessment.subtype
    if subtype == "indeterminate":
        return []
    setting = assessment.setting.setting
    locally_advanced = bool(assessment.setting.locally_advanced) and setting != "metastatic"
    provisional = any(f.provisional for f in (assessment.er, assessment.pr, assessment.her2))
    # ER-low note on endocrine rows whenever ER is 1-10 % (P2); TNBC-type rows for review only when PR is
    # negative or low too (b.4: the "TNBC-like" modifier), not when PR is clearly positive.
    er_low = "ER-low" in assessment.modifiers or assessment.er.status == "low-positive"
    tnbc_like = er_low and subtype == "HR+/HER2-" and assessment.pr.status in ("negative", "low-positive", "unknown")
    er_neg_pr_pos = "ER-/PR+" in assessment.modifiers or (
        assessment.er.status == "negative" and assessment.pr.status in ("positive", "low-positive"))

    if setting == "unknown":
        settings = {"early": [SETTING_NEED], "metastatic": [SETTING_NEED]}
    elif locally_advanced:
        settings = {"early": [], "metastatic": [LOCALLY_ADVANCED_NEED]}
    else:
        settings = {setting: []}

    base_needs = [PROVISIONAL_NEED] if provisional else []
    if any(f.rule == "post-treatment-only" for f in (assessment.er, assessment.pr, assessment.her2)):
        base_needs.append(PRE_TREATMENT_NEED)
    if er_neg_pr_pos:
        # P1: the HR+ call is provisional until pathology re-checks ER, so nothing resting on it is
        # "applicable" yet (ASCO/CAP 2020 Rec 2.2).
        base_needs.append(ER_NEG_PR_POS_NEED)
    options: list[Option] = []
    seen: set[str] = set()
    history = therapy_history(assessment, config.today or datetime.now(timezone.utc).date())
    for spec in OPTIONS_TABLE:
        if spec.setting not in settings:
            continue
        needs = [*settings[spec.setting], *base_needs]
        notes: list[str] = []
        if subtype in spec.subtypes:
            # The ER-low caveat is said once for the whole list (option_notes), not under every row.
            if _is_endocrine_row(spec) and er_neg_pr_pos:
                notes.append(ER_NEG_PR_POS_NOTE)
            option = _build(spec, assessment, needs, notes, review=False, history=history)
        elif tnbc_like and spec.subtypes == TNBC:
            option = _build(spec, assessment, [*needs, ER_LOW_NEED], [], review=True, history=history)
        else:
            continue
        if option is not None and option.id not in seen:
            seen.add(option.id)
            options.append(option)
    return _atezolizumab_where_it_helps(options, config)


def _atezolizumab_where_it_helps(options: list[Option], config: DecisionConfig) -> list[Option]:
    """Atezolizumab for metastatic TNBC has no US indication (withdrawn; EMA and Health Canada only). In the US it
    is not listed; anywhere, when pembrolizumab already applies, an SP142 test is not asked for (issue 13 section 4)."""
    by_id = {o.id: o for o in options}
    atezolizumab = by_id.get("met-tnbc-atezolizumab")
    if atezolizumab is None:
        return options
    pembrolizumab = by_id.get("met-tnbc-pembrolizumab")
    if (config.region or "").upper() == "US":
        return [o for o in options if o is not atezolizumab]
    if pembrolizumab is not None and pembrolizumab.status == "applicable" and atezolizumab.status == "needs-test":
        return [o for o in options if o is not atezolizumab]
    return options


def _er_low(assessment: Assessment) -> bool:
    return "ER-low" in assessment.modifiers or assessment.er.status == "low-positive"


def option_notes(assessment: Assessment) -> list[str]:
    """Caveats for the option list as a whole, said once per card or page (issue 13 section 5): ER-low disease
    (compared with triple-negative care when HER2-negative, with HR-/HER2+ care when HER2-positive) and a male
    patient (ASCO male breast cancer guideline)."""
    if not assessment.options:
        return []
    notes: list[str] = []
    if _er_low(assessment) and assessment.subtype == "HR+/HER2+":
        notes.append(ER_LOW_HER2_POSITIVE_NOTE)
    elif _er_low(assessment) and assessment.subtype == "HR+/HER2-":
        tnbc_like = assessment.pr.status in ("negative", "low-positive", "unknown")
        notes.append(ER_LOW_NOTE if tnbc_like else ER_LOW_PR_POSITIVE_NOTE)
    if assessment.menopausal_status == "male" and assessment.subtype in ("HR+/HER2-", "HR+/HER2+"):
        notes.append(MALE_NOTE)
    if any(o.setting == "metastatic" for o in assessment.options):
        notes.append(RESPONSE_EVALUATION_NOTE)
    return notes
