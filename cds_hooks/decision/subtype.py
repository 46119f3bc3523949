"""The receptor subtype from the ER, PR and HER2 findings (clinical-knowledge.md b.4).

Never a guess: if HER2 is equivocal or unknown, or the hormone-receptor picture is not
settled, the subtype is "indeterminate" with the reasons a clinician can act on. ER must be
known: PR alone (or a combined ER+PR result) does not classify, because PgR "is used
primarily for prognostic purposes in the setting of an ER-positive cancer" (ASCO/CAP 2020,
quoted in b.2) and 10480-2 must never stand in for ER (P17).
"""
from __future__ import annotations

from .model import Her2Finding, ReceptorFinding


def classify(er: ReceptorFinding, pr: ReceptorFinding, hr: str, her2: Her2Finding,
             her2_reasons: list[str]) -> tuple[str, list[str], list[str]]:
    """(subtype, reasons, modifiers) per b.4."""
    reasons: list[str] = []
    if her2.status == "equivocal":
        reasons.extend(her2_reasons or ["HER2 is equivocal: ISH (or concurrent IHC) on the same specimen is needed"])
    elif her2.status == "unknown":
        reasons.extend(her2_reasons or [])
        reasons.append("no usable HER2 result (IHC score, ISH or HER2 status)")
    if er.basis == "conflicting":
        reasons.append("ER results of the same sample conflict: ask pathology to review them")
    elif er.status == "unknown":
        reasons.append("no usable ER result" + (" (PR or a combined ER+PR result alone does not classify)"
                                                 if pr.status != "unknown" or hr != "unknown" else ""))
    elif hr == "unknown":
        reasons.append("hormone-receptor status cannot be settled (ER negative and PR "
                       + ("results of the same sample conflict)" if pr.basis == "conflicting" else "unknown)"))
    if reasons:
        return "indeterminate", reasons, []
    modifiers: list[str] = []
    # What qualifies a settled HER2 call (e.g. an ISH group read with its concurrent IHC) is shown too.
    reasons.extend(her2_reasons)
    if her2.provisional or er.provisional or pr.provisional:
        reasons.append("rests on a provisional (preliminary) result: confirm before acting")
    if her2.status == "positive":
        return ("HR+/HER2+" if hr == "positive" else "HR-/HER2+"), reasons, modifiers
    if hr == "negative":
        return "triple-negative", reasons, modifiers
    if er.status == "low-positive" and pr.status in ("negative", "low-positive"):
        modifiers.append("ER-low")
        reasons.append("ER low positive (1-10%) with PR negative or low: this disease behaves more like triple-negative disease")
    elif er.status == "low-positive":
        modifiers.append("ER-low")
    elif er.status == "negative" and pr.status in ("positive", "low-positive"):
        modifiers.append("ER-/PR+")
        reasons.append("ER negative with PR positive: uncommon and often a testing problem, so hormone-receptor-positive is provisional")
    return "HR+/HER2-", reasons, modifiers
