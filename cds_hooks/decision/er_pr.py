"""ER and PR: one reading per Observation/component, and the status chosen (ASCO/CAP 2020, b.2).

Thresholds (clinical-knowledge.md b.2, Allison KH et al. 2020): <1 % of tumour nuclei is
negative, 1-10 % is "ER low positive", >10 % positive; exactly 10 % is low by default
(``DecisionConfig.low_positive_includes_upper_bound``; some papers use 1-9 %). Evidence
precedence: percent > qualitative IHC > interpretation > combined 10480-2 (HR only) >
Condition codes > ICD Z17 (weakest). A percent wins over a disagreeing qualitative on the
same sample, and the disagreement is recorded (P18). Allred/H-score totals are never used.
"""
from __future__ import annotations

from typing import Callable

from ..knowledge import codes
from ..knowledge.thresholds import ER_PR_POSITIVE_MIN_PERCENT
from .config import DecisionConfig
from .model import DataQualityNote, ReceptorFinding, ReceptorResult, SampleCall
from .selection import Candidate, SpecimenInfo, apply_governing, day, govern, sample_calls, sample_key
from .values import Value, as_percent, percent_interval

_EPS = 1e-9
# Precedence rank of the basis of a reading (lower wins), b.2.
RANK = {"percent": 0, "qualitative": 1, "interpretation": 2}
_QUALITATIVE_STATUS = {"positive": "positive", "low-positive": "low-positive", "negative": "negative"}


def percent_category(percent: float, config: DecisionConfig) -> str:
    """negative (<1 %), low-positive (1-10 %), positive (>10 %) — ASCO/CAP 2020, b.2."""
    if percent < ER_PR_POSITIVE_MIN_PERCENT.value:
        return "negative"
    upper = config.low_positive_upper_percent
    if percent < upper or (percent == upper and config.low_positive_includes_upper_bound):
        return "low-positive"
    return "positive"


def percent_status(percent: float, comparator: str | None, config: DecisionConfig) -> str:
    """The category a percent with comparator falls in ('<1 %' is negative); unknown if it straddles."""
    low, high, low_open, high_open = percent_interval(percent, comparator)
    first = percent_category(low + _EPS if low_open else low, config)
    last = percent_category(high - _EPS if high_open else high, config)
    return first if first == last else "unknown"


def _compatible(qualitative: str, by_percent: str) -> bool:
    # "Positive" covers 1-100 % (ASCO/CAP: ER low positive is a subcategory of positive).
    return qualitative == by_percent or (qualitative == "positive" and by_percent == "low-positive")


def read_er_pr(analyte: str, kind: str, code: str, value: Value, ref: str, effective: str | None,
               fhir_status: str, provisional: bool, spec: SpecimenInfo, config: DecisionConfig,
               notes: list[DataQualityNote]) -> ReceptorResult | None:
    """One ER/PR/HR/Ki-67 reading; None for shapes that carry no status (intensity, ligand binding)."""
    if kind == "intensity":
        return None
    if kind == "ligand-binding":
        notes.append(DataQualityNote("legacy-ligand-binding", f"{ref}: ligand-binding assay ({code}) is not an IHC percent and was not used", ref))
        return None
    result = ReceptorResult(resource=ref, analyte=analyte, code=code, effective=effective, fhir_status=fhir_status,
                            provisional=provisional, specimen=spec.kind, specimen_site=spec.site, specimen_ref=spec.ref,
                            collected=spec.collected, side=spec.side)
    name = "HR (ER+PR combined)" if analyte == "HR" else analyte
    if kind != "percent" and value.qualitative is None and value.number is not None and value.unit == "%":
        # A percent sent under a qualitative code: use it as a percent, and say so.
        notes.append(DataQualityNote("percent-under-qualitative-code", f"{ref}: a percent was sent under the qualitative code {code}; read as % positive nuclei", ref))
        kind = "percent"
    if kind == "percent":
        percent, problems = as_percent(value)
        for problem, message in problems:
            notes.append(DataQualityNote(problem, f"{ref}: {message}", ref))
        if percent is not None and not 0 <= percent <= 100:
            notes.append(DataQualityNote("value-out-of-range", f"{ref}: {percent:g} % is outside 0-100", ref))
            percent = None
        if percent is not None:
            result.percent = percent
            result.comparator = value.comparator
            shown = f"{value.comparator or ''}{percent:g}%"
            if analyte == "Ki67":
                result.label = f"Ki-67 {shown}"
                return result
            result.status = percent_status(percent, value.comparator, config)
            result.label = f"{name} {shown} (IHC)"
            if result.status == "unknown":
                notes.append(DataQualityNote("percent-range-ambiguous", f"{ref}: {shown} spans more than one ASCO/CAP category", ref))
            if value.qualitative in _QUALITATIVE_STATUS and result.status != "unknown" and not _compatible(value.qualitative, result.status):
                notes.append(DataQualityNote("conflicting-results", f"{ref}: {name} stated as {value.qualitative} but {shown}; the percent is used (ASCO/CAP 2020)", ref))
            return result
        if value.qualitative is None:
            result.label = f"{name} percent not readable"
            return result
    result.qualitative = value.qualitative
    if value.qualitative == "borderline":
        notes.append(DataQualityNote("borderline-not-asco-cap", f"{ref}: 'Borderline' is not an ASCO/CAP receptor category; needs review", ref))
    result.status = _QUALITATIVE_STATUS.get(value.qualitative or "", "unknown")
    result.label = f"{name} {value.qualitative or 'unreadable'}" + (" (interpretation)" if kind == "interpretation" else "")
    return result


def basis_of(result: ReceptorResult, kinds: dict[str, str]) -> str:
    """percent | qualitative | interpretation: what a reading's status actually rests on."""
    if result.percent is not None and result.status != "unknown":
        return "percent"
    kind = kinds.get(result.resource, "qualitative")
    return "interpretation" if kind == "interpretation" else "qualitative"


def decide_receptor(receptor: str, results: list[ReceptorResult], kinds: dict[str, str], metastatic: bool,
                    phase_of: Callable[[ReceptorResult], str], condition_evidence: list[tuple[str, str, str | None]],
                    notes: list[DataQualityNote],
                    earlier_phase_of: Callable[[ReceptorResult], str] | None = None
                    ) -> tuple[ReceptorFinding, list[SampleCall]]:
    """The ER or PR status for the decision, and every sample's call (b.2 within a sample, b.3 over time).

    Within a sample the best evidence decides (percent > qualitative > interpretation); over the history
    ``selection.govern`` decides (a positive on any pre-treatment sample; the metastatic biopsy at relapse).
    ``kinds`` maps a result's resource to its code kind (percent/qualitative/interpretation);
    ``phase_of`` places a result's tissue in the episodes; ``condition_evidence`` is (status, resource,
    date) from Condition codes, best first, used only when no Observation says anything.
    """
    finding = ReceptorFinding(receptor=receptor)  # type: ignore[arg-type]
    mine = [r for r in results if r.analyte == receptor]
    samples: dict[str, list[ReceptorResult]] = {}
    for result in mine:
        samples.setdefault(sample_key(result), []).append(result)
    candidates: list[Candidate] = []
    for key, members in samples.items():
        known = [r for r in members if r.status != "unknown"]
        if not known:
            continue
        # Best evidence first; among equals a final result before a preliminary one (b.1: a preliminary result is
        # never the sole basis), then by reference, so that input order never picks the sample's lead.
        known.sort(key=lambda r: (RANK.get(basis_of(r, kinds), 3), r.provisional, r.resource))
        best = known[0]
        top_rank = RANK.get(basis_of(best, kinds), 3)
        peers = [r for r in known if RANK.get(basis_of(r, kinds), 3) == top_rank]
        # Equal-standing results of one sample: a more specific compatible one ("low-positive" within
        # "positive") is preferred; results that truly disagree leave the sample unresolved (P18) instead of
        # letting input order decide.
        # Two percents in different categories always disagree; a qualitative "positive" covers "low positive".
        by_percent = basis_of(best, kinds) == "percent"
        specific = [r for r in peers if r.status == "low-positive"]
        candidate = Candidate(key, best.status, best, [r.resource for r in known], best.provisional, payload=best)
        if not by_percent and specific and all(_compatible(r.status, "low-positive") for r in peers):
            candidate.lead = candidate.payload = best = specific[0]
            candidate.status = best.status
        elif len(statuses := {r.status for r in peers}) > 1 and (by_percent or any(
                not (_compatible(x, y) or _compatible(y, x)) for x in statuses for y in statuses)):
            notes.append(DataQualityNote(
                "conflicting-results",
                f"{receptor} results of equal standing on the same sample ({day(best.effective) or 'undated'}) disagree: "
                + ", ".join(f"{r.resource} says {r.status}" for r in peers)
                + f"; {receptor} is left unresolved until pathology reviews them (ASCO/CAP 2020 Rec 2.2)", best.resource))
            candidate.conflicted = True
            candidates.append(candidate)
            continue
        for other in known[1:]:
            if other.status != best.status and not (basis_of(best, kinds) == "percent" and _compatible(other.qualitative or other.status, best.status)):
                notes.append(DataQualityNote(
                    "conflicting-results",
                    f"{receptor} results of the same sample ({day(best.effective) or 'undated'}) disagree: "
                    f"{best.resource} says {best.status}, {other.resource} says {other.status}; "
                    f"{'the percent is used' if basis_of(best, kinds) == 'percent' else 'the stronger evidence is used'} (ASCO/CAP 2020 b.2)",
                    best.resource))
        candidates.append(candidate)
    gov = govern(candidates, metastatic=metastatic, phase_of=phase_of, earlier_phase_of=earlier_phase_of)
    calls = sample_calls(receptor, candidates, gov, label_of=lambda c: c.lead.label)
    if gov.chosen is not None:
        best = gov.chosen.lead
        evidence = list(gov.chosen.evidence)
        finding.effective = best.effective
        finding.specimen = best.specimen
        finding.provisional = gov.provisional_only or best.provisional
        apply_governing(finding, gov)
        if gov.rivals and not gov.chosen.conflicted:
            notes.append(DataQualityNote(
                "conflicting-results",
                f"{receptor} results of different specimens on the same day ({day(best.effective) or 'undated'}) disagree: "
                + ", ".join(f"{c.lead.resource} says {c.status}" for c in (gov.chosen, *gov.rivals))
                + f"; {receptor} is left unresolved: which specimen counts is not in the data", best.resource))
        if gov.unresolved:
            finding.basis = "conflicting"
            finding.evidence = [*evidence, *(ref for c in gov.rivals for ref in c.evidence)]
            return finding, calls
        finding.status = best.status  # type: ignore[assignment]
        finding.percent = best.percent
        finding.basis = basis_of(best, kinds)
        finding.evidence = evidence
        for newer in gov.newer_provisional:
            notes.append(DataQualityNote(
                "newer-provisional-differs",
                f"{receptor}: a newer preliminary result ({newer.lead.resource}, {newer.day}) says {newer.status}; "
                f"the final result of {gov.chosen.day} ({best.status}) is used until it is confirmed", newer.lead.resource))
        return finding, calls
    if condition_evidence:
        status, resource, when = condition_evidence[0]
        finding.status = status  # type: ignore[assignment]
        finding.basis = "condition"
        finding.rule = "condition"
        finding.effective = when
        finding.evidence = [resource]
        notes.append(DataQualityNote("receptor-status-from-condition",
                                     f"{receptor} status is known only from a coded diagnosis ({resource}); no test result found, the weakest kind of evidence",
                                     resource))
    return finding, calls


def hr_status(er: ReceptorFinding, pr: ReceptorFinding, combined: list[ReceptorResult]) -> tuple[str, str]:
    """HR status and basis (b.2): positive if ER or PR is positive/low; negative if both negative."""
    if er.status in ("positive", "low-positive") or pr.status in ("positive", "low-positive"):
        return "positive", "er-pr"
    if er.status == "negative" and pr.status == "negative":
        return "negative", "er-pr"
    known = [r for r in combined if r.status in ("positive", "negative")]
    if known:
        newest = max(day(r.effective) or "0000" for r in known)
        statuses = {r.status for r in known if (day(r.effective) or "0000") == newest}
        if len(statuses) == 1:
            return statuses.pop(), "combined-hr"
        # Combined ER+PR results of the same day that disagree settle nothing (input order must not pick one).
    return "unknown", "none"


def condition_receptor_evidence(entry: codes.CodeEntry, ref: str, when: str | None) -> dict[str, list[tuple[str, str, str | None]]]:
    """What a receptor-status Condition code says about ER, PR, HR and HER2."""
    found: dict[str, list[tuple[str, str, str | None]]] = {}

    def add(key: str, status: str) -> None:
        found.setdefault(key, []).append((status, ref, when))

    if entry.meaning in ("ER", "PR", "HR", "HER2"):
        add(entry.meaning, entry.kind)
    elif entry.meaning == "TNBC":
        add("ER", "negative"); add("PR", "negative"); add("HER2", "negative")
    elif entry.meaning == "HR+HER2":
        hr, her2 = entry.kind.split("/")
        add("HR", hr); add("HER2", her2)
        if hr == "negative":
            add("ER", "negative"); add("PR", "negative")
    return found

