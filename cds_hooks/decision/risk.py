"""Risk criteria of early-disease options, and the site criterion of bone-modifying agents.

Each rule reads the recorded tumour facts (``Assessment.tumour``, ``cds_hooks.decision.tumour``) or metastatic
sites, and says whether the patient is in the population the option's label or trial covers:

- ``fits``: the record shows it (the row may be "applicable");
- ``consider``: the source says the option may be considered here (the row needs review);
- ``test``: a test decides it (the row needs the test; the 21-gene recurrence score is not read from the record);
- ``excluded``: the record shows the patient is outside it (the row is not listed);
- ``unknown``: a criterion is not recorded (the row needs review, naming what is missing; never "applicable").

Every numeric cut-off is read from ``cds_hooks.knowledge.thresholds``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..knowledge.thresholds import (
    HR_CHEMO_CLINICAL_RISK_NODES_MIN,
    RECURRENCE_SCORE_CHEMO_MIN,
    TAILORX_YOUNG_AGE_MAX,
    TAILORX_YOUNG_BENEFIT_MIN,
    MONARCHE_NODES_MIN,
    MONARCHE_SIZE_MM,
    NATALEE_KI67_MIN_PERCENT,
    NATALEE_T2_SIZE_MM,
    NATALEE_T3_SIZE_MM,
    TNBC_CHEMO_CONSIDER_SIZE_MM,
    TNBC_CHEMO_SIZE_MM,
)
from .model import GIVEN_MEDICATION_STATUSES, Assessment, TumourFinding

RiskVerdict = Literal["fits", "consider", "test", "excluded", "unknown"]

SIZE_NEED = "tumour size (or T category)"
NODES_NEED = "nodal status (number of positive nodes or N category)"
GRADE_NEED = "histologic grade"
KI67_NEED = "Ki-67 (or a genomic risk result)"
RECURRENCE_SCORE_NEED = ("21-gene recurrence score (genomic assay); only a result coded as in mCODE (GTR 509910) is read "
                         "by this product")


@dataclass(frozen=True)
class RiskCheck:
    verdict: RiskVerdict
    text: str = ""                               # what the record shows, in words (a note on the option)
    needs: tuple[str, ...] = ()
    evidence: tuple[str, ...] = field(default=())


# The AJCC T categories by size (invasive tumour, longest dimension): T1mi <= 1 mm, T1a > 1-5 mm, T1b > 5-10 mm,
# T1c > 10-20 mm, T2 > 20-50 mm, T3 > 50 mm. Used only when no size is recorded.


def _describe(t: TumourFinding) -> str:
    parts = []
    if t.size_mm is not None:
        parts.append(f"tumour {t.size_mm:g} mm")
    if t.t_category:
        parts.append(t.t_category)
    if t.positive_nodes is not None:
        parts.append(f"{t.positive_nodes} positive node(s)")
    elif t.n_category:
        parts.append(t.n_category)
    if t.grade is not None:
        parts.append(f"grade {t.grade}")
    if t.ki67 is not None:
        parts.append(f"Ki-67 {t.ki67:g}%")
    if t.recurrence_score is not None:
        parts.append(f"recurrence score {t.recurrence_score:g}")
    return "Recorded: " + (", ".join(parts) if parts else "no tumour size, nodal status or grade") + "."


def _larger_than(t: TumourFinding, mm: float, categories_above: tuple[str, ...], categories_at_or_below: tuple[str, ...]
                 ) -> bool | None:
    """Whether the tumour is larger than ``mm``: from the size when recorded, else from the T category."""
    if t.size_mm is not None:
        return t.size_mm > mm
    if t.t_category in categories_above:
        return True
    if t.t_category in categories_at_or_below:
        return False
    return None


def _node_group(t: TumourFinding, four_or_more: float) -> str | None:
    """"0", "1-3" or "4+" positive nodes, from the count or the N category (N1: 1-3 axillary nodes, N2/N3: 4+)."""
    if t.positive_nodes is not None:
        return "0" if t.positive_nodes == 0 else "4+" if t.positive_nodes >= four_or_more else "1-3"
    return {"N0": "0", "N1": "1-3", "N2": "4+", "N3": "4+"}.get(t.n_category or "")


def tnbc_early_chemotherapy(a: Assessment) -> RiskCheck:
    """Triple-negative early disease: anthracycline/taxane chemotherapy from T1c N0 or any node-positive disease,
    considered for T1b N0 (ESMO early breast cancer guideline 2024; reference c.2)."""
    t = a.tumour
    text = _describe(t)
    ev = tuple(t.evidence)
    above_t1c = _larger_than(t, TNBC_CHEMO_SIZE_MM.value, ("T1c", "T2", "T3", "T4", "T4a", "T4b", "T4c", "T4d"),
                             ("T0", "Tis", "T1mi", "T1a", "T1b"))
    # Read only once above_t1c is False (T1b or smaller), where "not larger" and "not known" both end in "excluded".
    above_t1b = _larger_than(t, TNBC_CHEMO_CONSIDER_SIZE_MM.value,
                             ("T1b", "T1c", "T2", "T3", "T4", "T4a", "T4b", "T4c", "T4d"), ())
    if t.node_positive or above_t1c:
        return RiskCheck("fits", text, evidence=ev)
    if t.node_positive is None:
        return RiskCheck("unknown", text, (NODES_NEED,) if above_t1c is not None else (NODES_NEED, SIZE_NEED), ev)
    if above_t1c is None:
        return RiskCheck("unknown", text, (SIZE_NEED,), ev)
    if above_t1b:
        return RiskCheck("consider", text + " Node-negative T1b: chemotherapy is considered case by case.",
                         ("multidisciplinary decision on chemotherapy for a T1b node-negative tumour",), ev)
    return RiskCheck("excluded", text, evidence=ev)


def natalee_population(a: Assessment) -> RiskCheck:
    """Adjuvant ribociclib: stage II-III; node-negative only with T2 and grade 3, or T2 grade 2 with Ki-67 >= 20 %
    or high genomic risk, or T3 (NATALEE; issue 13 section 4). Unknown criteria never make it applicable."""
    t = a.tumour
    text, ev = _describe(t), tuple(t.evidence)
    if t.node_positive:
        return RiskCheck("fits", text, evidence=ev)
    if t.node_positive is None:
        return RiskCheck("unknown", text, (NODES_NEED,), ev)
    # Only "larger than T2" matters here: anything else goes on to the T2 test, which places the smaller categories.
    t3 = _larger_than(t, NATALEE_T3_SIZE_MM.value, ("T3", "T4", "T4a", "T4b", "T4c", "T4d"), ())
    t2 = _larger_than(t, NATALEE_T2_SIZE_MM.value, ("T2", "T3", "T4", "T4a", "T4b", "T4c", "T4d"),
                      ("T0", "Tis", "T1", "T1mi", "T1a", "T1b", "T1c"))
    if t3:
        return RiskCheck("fits", text, evidence=ev)
    if t2 is None:
        return RiskCheck("unknown", text, (SIZE_NEED,), ev)
    if not t2:
        return RiskCheck("excluded", text, evidence=ev)
    if t.grade is None:
        return RiskCheck("unknown", text, (GRADE_NEED,), ev)
    if t.grade == 3:
        return RiskCheck("fits", text, evidence=ev)
    if t.grade == 1:
        return RiskCheck("excluded", text, evidence=ev)
    if t.ki67 is None:
        return RiskCheck("unknown", text, (KI67_NEED,), ev)
    if t.ki67 >= NATALEE_KI67_MIN_PERCENT.value:
        return RiskCheck("fits", text, evidence=ev)
    return RiskCheck("unknown", text + " T2 N0 grade 2 with Ki-67 under 20% enters NATALEE only with high genomic risk.",
                     ("genomic risk result (high risk needed); a recorded result is not read by this product",), ev)


def monarche_population(a: Assessment) -> RiskCheck:
    """Adjuvant abemaciclib: node-positive disease at high risk, as the label's study defined it: 4 or more positive
    nodes, or 1-3 with grade 3 or a tumour of 5 cm or more (Verzenio label; monarchE)."""
    t = a.tumour
    text, ev = _describe(t), tuple(t.evidence)
    group = _node_group(t, MONARCHE_NODES_MIN.value)
    if group is None:
        return RiskCheck("unknown", text, (NODES_NEED,), ev)
    if group == "0":
        return RiskCheck("excluded", text, evidence=ev)
    if group == "4+":
        return RiskCheck("fits", text, evidence=ev)
    # Without a size: T3 (> 50 mm) and T4 count as large, T1 (<= 20 mm) and smaller as not; T2 (> 20-50 mm) reaches
    # 50 mm and cannot tell.
    large = (t.size_mm >= MONARCHE_SIZE_MM.value) if t.size_mm is not None else (
        True if t.t_category in ("T3", "T4", "T4a", "T4b", "T4c", "T4d")
        else False if t.t_category in ("T0", "Tis", "T1", "T1mi", "T1a", "T1b", "T1c") else None)
    if t.grade == 3 or large:
        return RiskCheck("fits", text, evidence=ev)
    if t.grade is None or large is None:
        return RiskCheck("unknown", text, tuple(n for n, missing in ((GRADE_NEED, t.grade is None),
                                                                    (SIZE_NEED, large is None)) if missing), ev)
    return RiskCheck("excluded", text, evidence=ev)


def hr_early_chemotherapy(a: Assessment) -> RiskCheck:
    """HR+/HER2- early disease: chemotherapy by clinical risk with 4 or more positive nodes; otherwise by the 21-gene
    recurrence score (ASCO 2022 biomarker guideline): 26 or more, chemotherapy; node-negative (TAILORx) below 26, some
    benefit only at 50 or younger with 16-25; 1-3 nodes (RxPONDER) below 26, benefit before menopause, none after."""
    t = a.tumour
    text, ev = _describe(t), tuple(t.evidence)
    group = _node_group(t, HR_CHEMO_CLINICAL_RISK_NODES_MIN.value)
    if group is None:
        return RiskCheck("unknown", text, (NODES_NEED,), ev)
    if group == "4+":
        return RiskCheck("fits", text + " Four or more positive nodes: chemotherapy by clinical risk; a genomic assay "
                                        "is not needed for the decision.", evidence=ev)
    trial = "TAILORx" if group == "0" else "RxPONDER"
    rs = t.recurrence_score
    if rs is None:
        return RiskCheck("test", text + (" Node-negative" if group == "0" else " One to three positive nodes")
                         + f": decide with the recurrence score ({trial}).", (RECURRENCE_SCORE_NEED,), ev)
    if rs >= RECURRENCE_SCORE_CHEMO_MIN.value:
        return RiskCheck("fits", text + f" Recurrence score {rs:g}: chemotherapy ({trial}).", evidence=ev)
    if a.menopausal_status == "male":
        return RiskCheck("consider", text + f" Recurrence score {rs:g}: the trials enrolled women.",
                         ("decision without trial data for men (recurrence score under 26)",), ev)
    if group == "0":
        age = t.age_at_diagnosis
        if age is None:
            return RiskCheck("unknown", text, ("age at diagnosis",), ev)
        if age <= TAILORX_YOUNG_AGE_MAX.value and rs >= TAILORX_YOUNG_BENEFIT_MIN.value:
            return RiskCheck("consider", text + f" Recurrence score {rs:g} at age {age}: TAILORx found some chemotherapy "
                                                "benefit at 50 or younger with 16-25.",
                             ("discussion of the modest chemotherapy benefit (TAILORx, age 50 or younger)",), ev)
        return RiskCheck("excluded", text, evidence=ev)
    if a.menopausal_status in ("premenopausal", "suppressed"):
        return RiskCheck("fits", text + f" Recurrence score {rs:g} before menopause: RxPONDER found a chemotherapy "
                                        "benefit.", evidence=ev)
    if a.menopausal_status == "postmenopausal":
        return RiskCheck("excluded", text, evidence=ev)
    return RiskCheck("unknown", text, ("menopausal status (RxPONDER: benefit only before menopause)",), ev)


def bone_metastases(a: Assessment) -> RiskCheck:
    """Bone-modifying agents for bone metastases (ASCO-CCO 2017)."""
    sites = a.setting.metastatic_sites
    if "bone" in sites:
        return RiskCheck("fits", "Bone metastases recorded.", evidence=tuple(a.setting.evidence))
    if sites:
        return RiskCheck("excluded", f"Metastatic sites recorded: {', '.join(sites)}; no bone metastasis.")
    return RiskCheck("unknown", "No site of metastasis recorded.", ("sites of metastasis (are the bones involved?)",))


def neratinib_after_trastuzumab(a: Assessment) -> RiskCheck:
    """Extended adjuvant neratinib follows trastuzumab-based adjuvant therapy (ExteNET); there are no data after
    T-DM1, which ExteNET predates (issue 13 section 4)."""
    tdm1 = [m for m in a.medications if m.ingredient == "ado-trastuzumab emtansine" and not m.draft
            and (m.status or "") in GIVEN_MEDICATION_STATUSES]
    if tdm1:
        return RiskCheck("consider", "T-DM1 is on record; ExteNET enrolled patients after trastuzumab, before T-DM1 "
                                     "was used after neoadjuvant therapy, so there are no data for neratinib after it.",
                         ("decision without trial data (neratinib after T-DM1)",),
                         tuple(m.resource for m in tdm1))
    return RiskCheck("fits")


RISK_RULES = {
    "neratinib-history": neratinib_after_trastuzumab,
    "tnbc-early-chemo": tnbc_early_chemotherapy,
    "natalee": natalee_population,
    "monarche": monarche_population,
    "hr-early-chemo": hr_early_chemotherapy,
    "bone-metastases": bone_metastases,
}


def check_risk(rule: str, assessment: Assessment) -> RiskCheck:
    return RISK_RULES[rule](assessment)


__all__ = ["RiskCheck", "RISK_RULES", "check_risk"]
