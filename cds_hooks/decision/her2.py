"""HER2: readings, the ISH algorithm, and status + expression per sample (ASCO/CAP 2018/2023, b.3).

Why per sample: the 2018 dual-probe ISH groups 2-4 are only final together with the IHC
of the same specimen, and IHC 2+ is resolved only by ISH on that specimen. So readings
are first gathered per sample (same Specimen, or same day and specimen kind), the sample
is decided, and then ``selection.govern`` chooses over the patient's history (b.3 revised:
a positive on any pre-treatment sample; the metastatic biopsy at relapse).
HER2-low/ultralow eligibility looks at every valid sample (ASCO/CAP 2023: consider prior
or concurrent samples, heterogeneity).

Thresholds (clinical-knowledge.md b.3, Wolff AC et al. 2018, affirmed 2023; declared with their
sources in ``cds_hooks.knowledge.thresholds``): dual-probe ratio 2.0, mean HER2 copies 4.0 and 6.0;
single-probe 4.0 and 6.0. Legacy
2007 strings (Synthea "less than 1.8" / "greater than 2.2") are re-derived against 2.0
where the bound allows; "1.8-2.2" straddles 2.0 and stays equivocal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from ..knowledge.thresholds import (
    HER2_ISH_COPIES_HIGH,
    HER2_ISH_COPIES_LOW,
    HER2_ISH_RATIO,
    HER2_REFLEX_ISH_WINDOW_DAYS,
    HER2_SINGLE_PROBE_HIGH,
    HER2_SINGLE_PROBE_LOW,
)
from .model import DataQualityNote, Her2Finding, ReceptorResult, SampleCall
from .selection import Candidate, SpecimenInfo, apply_governing, day, govern, sample_calls, sample_key
from .values import Value

_SCORE_ORDER = {"0-null": 0, "0": 0, "0-ultralow": 0, "1+": 1, "2+": 2, "3+": 3}


def read_her2(analyte: str, code: str, value: Value, ref: str, effective: str | None, fhir_status: str,
              provisional: bool, spec: SpecimenInfo, notes: list[DataQualityNote]) -> ReceptorResult:
    """One HER2 reading (IHC, ISH qualitative, ratio, copies, CEP17, or the overall interpretation)."""
    result = ReceptorResult(resource=ref, analyte=analyte, code=code, effective=effective, fhir_status=fhir_status,
                            provisional=provisional, specimen=spec.kind, specimen_site=spec.site, specimen_ref=spec.ref,
                            collected=spec.collected, side=spec.side)
    if analyte == "HER2-IHC":
        if value.ihc_score:
            result.ihc_score = value.ihc_score
            result.status = "positive" if value.ihc_score == "3+" else "equivocal" if value.ihc_score == "2+" else "negative"
            result.label = f"HER2 IHC {value.ihc_score.replace('0-', '0 ')}"
        else:
            result.qualitative = value.qualitative or (value.her2_category and "negative")
            result.status = _qual_status(result.qualitative)
            result.label = f"HER2 IHC {result.qualitative or 'unreadable'} (no score)"
            if value.her2_category in ("ultralow", "null"):
                result.ihc_score = f"0-{value.her2_category}"
                result.label = f"HER2 IHC 0 {value.her2_category}"
    elif analyte == "HER2-status":
        result.qualitative = value.qualitative or ({"low": "negative", "ultralow": "negative", "null": "negative"}.get(value.her2_category or ""))
        result.status = _qual_status(result.qualitative)
        if value.her2_category:
            result.label = f"HER2 status: {value.her2_category}"
            result.ihc_score = {"ultralow": "0-ultralow", "null": "0-null"}.get(value.her2_category)
        else:
            result.label = f"HER2 status {result.qualitative or 'unreadable'}"
        if value.ihc_score:
            result.ihc_score = value.ihc_score
    elif analyte == "HER2-ISH":
        if value.qualitative in ("positive", "amplified"):
            result.ish = "amplified"
        elif value.qualitative in ("negative", "not-amplified"):
            result.ish = "not-amplified"
        elif value.qualitative == "equivocal":
            result.ish = "equivocal"
            notes.append(DataQualityNote("ish-equivocal-pre-2018", f"{ref}: ISH reported 'equivocal', a category removed in 2018; needs re-reading", ref))
        else:
            _ratio_from(value, result, ref, notes)
        result.status = {"amplified": "positive", "not-amplified": "negative", "equivocal": "equivocal"}.get(result.ish or "", "unknown")
        result.label = "HER2 ISH " + (result.ish or ("ratio " + _ratio_text(result) if result.ratio is not None else "unreadable"))
    elif analyte == "HER2-ISH-ratio":
        _ratio_from(value, result, ref, notes)
        result.label = "HER2/CEP17 ratio " + (_ratio_text(result) if result.ratio is not None else result.ish or "unreadable")
    elif analyte in ("HER2-ISH-copies", "CEP17-copies"):
        copies = value.number if value.number is not None else value.ratio
        if copies is not None and copies >= 0:
            result.copies = copies
            result.comparator = value.comparator
            result.label = f"{'HER2' if analyte == 'HER2-ISH-copies' else 'CEP17'} {copies:g} signals/cell"
        else:
            result.label = "copy number unreadable"
    return result


def _qual_status(qualitative: str | None) -> str:
    return {"positive": "positive", "negative": "negative", "equivocal": "equivocal"}.get(qualitative or "", "unknown")


def _ratio_text(result: ReceptorResult) -> str:
    return f"{result.comparator or ''}{result.ratio:g}"


def _ratio_from(value: Value, result: ReceptorResult, ref: str, notes: list[DataQualityNote]) -> None:
    if value.ratio is not None:
        result.ratio = value.ratio
        return
    if value.ratio_low is not None and value.ratio_high is not None:
        # "1.8-2.2": the pre-2018 equivocal band (b.3); it straddles 2.0, so it cannot be re-derived.
        result.ish = "equivocal"
        notes.append(DataQualityNote("ish-legacy-equivocal",
                                     f"{ref}: ratio reported as {value.ratio_low:g}-{value.ratio_high:g} (pre-2018 equivocal); it cannot be re-read against the 2.0 cut-off", ref))
        return
    if value.number is not None:
        result.ratio = value.number
        result.comparator = value.comparator
        # A bound that does not say which side of 2.0 the ratio lies on ("<2.5", "<=2.0", ">1.8").
        cutoff = HER2_ISH_RATIO.value
        if (value.comparator == "<" and value.number > cutoff or value.comparator == "<=" and value.number >= cutoff
                or value.comparator in (">", ">=") and value.number < cutoff):
            result.ish = "equivocal"
            notes.append(DataQualityNote("ish-legacy-equivocal",
                                         f"{ref}: ratio '{value.text or _ratio_text(result)}' does not say which side of 2.0 it lies (legacy threshold)", ref))
        elif value.comparator:
            notes.append(DataQualityNote("ish-legacy-threshold",
                                         f"{ref}: ratio given as '{value.text or _ratio_text(result)}' (2007 thresholds); re-read against the 2018 cut-off of 2.0", ref))


@dataclass
class Sample:
    """Everything HER2 one sample says, and what it adds up to."""

    key: str
    results: list[ReceptorResult] = field(default_factory=list)
    status: str = "unknown"
    expression: str = "unknown"
    ihc_score: str | None = None
    ish: str | None = None
    ish_group: int | None = None
    ratio: float | None = None
    copies: float | None = None
    basis: str = "none"
    reasons: list[str] = field(default_factory=list)

    @property
    def lead(self) -> ReceptorResult:
        return max(self.results, key=lambda r: day(r.effective))

    @property
    def provisional(self) -> bool:
        return all(r.provisional for r in self.results)


def _ish_groups(ratio: float | None, ratio_side: str | None, copies: float | None, cep17: float | None,
                ihc: str | None, ihc_qual: str | None, sample: Sample, notes: list[DataQualityNote]) -> str | None:
    """The ISH call of one sample, with the concurrent-IHC step for groups 2-4 (b.3)."""
    score = _SCORE_ORDER.get(ihc or "")
    ihc_known = score is not None or ihc_qual == "negative"   # a plain "negative" IHC is 0/1+
    low_ihc = score in (0, 1) or (score is None and ihc_qual == "negative")
    if ratio is None and copies is not None and cep17:
        ratio = copies / cep17
        sample.ratio = ratio
    if ratio_side is None and ratio is not None:
        ratio_side = "high" if ratio >= HER2_ISH_RATIO.value else "low"
    if ratio_side and copies is not None:
        if ratio_side == "high":
            group = 1 if copies >= HER2_ISH_COPIES_LOW.value else 2
        elif copies >= HER2_ISH_COPIES_HIGH.value:
            group = 3
        elif copies >= HER2_ISH_COPIES_LOW.value:
            group = 4
        else:
            group = 5
        sample.ish_group = group
        if group == 1:
            return "amplified"
        if group == 5:
            return "not-amplified"
        if score == 3:
            return "amplified"
        if group == 3 and score == 2:
            sample.reasons.append("ISH group 3 with IHC 2+: positive after the blinded recount (ASCO/CAP 2018)")
            return "amplified"
        if ihc_known and (group != 3 or low_ihc):
            sample.reasons.append(f"ISH group {group} with concurrent IHC {ihc or 'negative'}: HER2-negative with comment (ASCO/CAP 2018)")
            return "not-amplified"
        sample.reasons.append(f"ISH group {group} needs concurrent IHC on the same specimen before a final call (ASCO/CAP 2018)")
        return "needs-ihc"
    dual_probe_unreadable = any(r.ish == "equivocal" and r.analyte in ("HER2-ISH-ratio", "HER2-ISH") for r in sample.results)
    ratio_unread = any(r.analyte == "HER2-ISH-ratio" and r.ratio is None and r.ish is None for r in sample.results)
    if copies is not None and ratio_side is None and not cep17 and not dual_probe_unreadable and ratio_unread:
        return _copies_without_ratio(copies, score, ihc_known, sample, notes)
    if copies is not None and ratio_side is None and not cep17 and not dual_probe_unreadable:
        # Single-probe ISH (b.3): >=6 amplified, <4 not amplified, 4-<6 depends on IHC.
        if copies >= HER2_SINGLE_PROBE_HIGH.value:
            return "amplified"
        if copies < HER2_SINGLE_PROBE_LOW.value:
            return "not-amplified"
        if score == 3:
            return "amplified"
        sample.reasons.append("single-probe HER2 4-<6 signals/cell without IHC 3+: read as not amplified; dual-probe ISH advised")
        notes.append(DataQualityNote("single-probe-borderline", f"single-probe ISH {copies:g} signals/cell (4-<6) read as not amplified; dual-probe ISH would settle it", sample.lead.resource))
        return "not-amplified"
    if ratio_side == "low":
        called = any(r.analyte == "HER2-ISH" and r.ish in ("amplified", "not-amplified") for r in sample.results)
        if score == 2 and copies is None and not called:
            # Groups 3-5 share a ratio <2.0; with IHC 2+, group 3 (>=6 copies) is positive (b.3), so the
            # ratio alone does not finish the algorithm. Read as not amplified (groups 4-5 are far commoner)
            # but never silently.
            sample.reasons.append("HER2/CEP17 ratio <2.0 without mean HER2 copy number: with IHC 2+, ISH group 3 "
                                  "(HER2-positive) is not excluded; ask for the copy number")
            notes.append(DataQualityNote("ish-copies-missing",
                                         "HER2/CEP17 ratio <2.0 reported without mean HER2 copy number next to IHC 2+; "
                                         "read as not amplified, but ISH group 3 (>=6 copies, positive with IHC 2+) "
                                         "cannot be excluded", sample.lead.resource))
        return "not-amplified"
    if ratio_side == "high":
        if ihc_known and score != 3:
            sample.reasons.append("HER2/CEP17 ratio >=2.0 without HER2 copy number: group 1 vs 2 cannot be told with IHC below 3+")
            return "needs-review"
        if score is None and ihc_qual != "positive":
            # Group 1 is positive whatever the IHC; group 2 needs the concurrent IHC (b.3). Without copy number
            # and without IHC, the two cannot be told apart: ask for the IHC rather than call it positive.
            sample.reasons.append("HER2/CEP17 ratio >=2.0 without HER2 copy number or IHC: ISH group 1 (positive) vs "
                                  "group 2 (needs concurrent IHC) cannot be told")
            return "needs-ihc"
        notes.append(DataQualityNote("ish-copies-missing", "HER2/CEP17 ratio >=2.0 reported without mean HER2 copy number; "
                                     "read as amplified with the concurrent IHC", sample.lead.resource))
        return "amplified"
    return None


def _copies_without_ratio(copies: float, score: int | None, ihc_known: bool, sample: Sample,
                          notes: list[DataQualityNote]) -> str:
    """A dual-probe test whose HER2/CEP17 ratio is present but unreadable, with its mean HER2 copy number.

    Why not single-probe: the test was dual-probe, so the copy number alone places it in one of two ASCO/CAP
    2018 groups, and the call is made only where both give the same answer: >=6 copies is group 1 or 3
    (positive with IHC 2+ or 3+; group 3 with IHC 0-1+ is negative), 4-<6 is group 1 or 4 (positive with
    IHC 3+; otherwise they differ), <4 is group 2 or 5 (negative with IHC 0-2+, positive with IHC 3+).
    """
    if copies >= HER2_ISH_COPIES_HIGH.value:
        if score in (2, 3):
            sample.reasons.append(f"HER2/CEP17 ratio unreadable, {copies:g} HER2 copies (ISH group 1 or 3) with IHC "
                                  f"{sample.ihc_score}: HER2-positive either way (ASCO/CAP 2018)")
            return "amplified"
        undecided = "ISH group 1 (positive) or group 3 (negative with IHC 0-1+)"
    elif copies >= HER2_ISH_COPIES_LOW.value:
        if score == 3:
            return "amplified"
        undecided = "ISH group 1 (positive) or group 4 (negative without IHC 3+)"
    else:
        if score == 3:
            return "amplified"
        if ihc_known:
            sample.reasons.append(f"HER2/CEP17 ratio unreadable, {copies:g} HER2 copies (ISH group 2 or 5) with IHC "
                                  f"{sample.ihc_score or 'negative'}: HER2-negative either way (ASCO/CAP 2018)")
            return "not-amplified"
        sample.reasons.append(f"HER2/CEP17 ratio unreadable, {copies:g} HER2 copies: ISH group 2 or 5; group 2 "
                              "needs the concurrent IHC (ASCO/CAP 2018)")
        return "needs-ihc"
    sample.reasons.append(f"HER2/CEP17 ratio unreadable, {copies:g} HER2 copies: {undecided} cannot be told")
    notes.append(DataQualityNote("ish-ratio-unreadable",
                                 f"dual-probe ISH with an unreadable HER2/CEP17 ratio and {copies:g} HER2 copies: "
                                 f"{undecided}; HER2 ISH is left unresolved until the ratio is read",
                                 sample.lead.resource))
    return "needs-review"


def _ratio_side(result: ReceptorResult) -> str | None:
    """'low' (<2.0), 'high' (>=2.0), or None when a bound does not say (b.3 dual-probe cut-off)."""
    ratio = result.ratio
    if ratio is None:
        return None
    cutoff = HER2_ISH_RATIO.value
    if result.comparator == "<" and ratio <= cutoff or result.comparator == "<=" and ratio < cutoff:
        return "low"
    if result.comparator in (">", ">=") and ratio >= cutoff:
        return "high"
    if not result.comparator:
        return "high" if ratio >= cutoff else "low"
    return None


def _copies_band(copies: float) -> str:
    return "<4" if copies < HER2_ISH_COPIES_LOW.value else "4-<6" if copies < HER2_ISH_COPIES_HIGH.value else ">=6"


def _ish_number_conflict(ratios: list[ReceptorResult], sample: Sample) -> str | None:
    """Why the ISH numbers of one sample contradict each other (ratio on both sides of 2.0, or mean HER2
    copies in different bands), so that input order never decides the ISH group."""
    sides = {_ratio_side(r) for r in ratios} - {None}
    if len(sides) > 1:
        shown = ", ".join(f"{r.comparator or ''}{r.ratio:g}" for r in ratios if r.ratio is not None)
        return f"HER2/CEP17 ratios of one sample fall on both sides of 2.0 ({shown})"
    copies = [r.copies for r in sample.results if r.analyte == "HER2-ISH-copies" and r.copies is not None]
    if len({_copies_band(c) for c in copies}) > 1:
        return f"mean HER2 copy numbers of one sample fall in different ISH bands ({', '.join(f'{c:g}' for c in copies)})"
    return None


def _one_or_conflict(values: list[str | None], what: str, sample: Sample, notes: list[DataQualityNote]) -> str | None:
    """The one value several results of a sample agree on; None (with a note and a reason) when they differ."""
    distinct = sorted({v for v in values if v})
    if len(distinct) <= 1:
        return distinct[0] if distinct else None
    notes.append(DataQualityNote("conflicting-results", f"{what} of one sample disagree ({', '.join(distinct)}); "
                                 "none is used until pathology reviews them", sample.lead.resource))
    sample.reasons.append(f"{what} of one sample disagree ({', '.join(distinct)})")
    return None


def decide_sample(sample: Sample, notes: list[DataQualityNote]) -> None:
    """Status and expression of one sample (b.3 HER2_status / HER2_expression)."""
    ihc_scores = [r.ihc_score for r in sample.results if r.analyte == "HER2-IHC" and r.ihc_score]
    ihc_quals = [r.qualitative for r in sample.results if r.analyte == "HER2-IHC" and not r.ihc_score and r.qualitative]
    interp = [r for r in sample.results if r.analyte == "HER2-status"]
    distinct = set(ihc_scores)
    if len(distinct) > 1 and not (all(s.startswith("0") for s in distinct) and "0" in distinct and len(distinct) == 2):
        notes.append(DataQualityNote("conflicting-results", f"HER2 IHC scores of one sample disagree ({', '.join(sorted(distinct))}); the highest is used", sample.lead.resource))
    ihc = max(ihc_scores, key=lambda s: (_SCORE_ORDER[s], s != "0")) if ihc_scores else None
    if ihc in ("0-ultralow", "0-null") and {"0-ultralow", "0-null"} <= distinct:
        ihc = "0"   # ultralow and null of one sample disagree: IHC 0 without its category, never input order (P18)
    if ihc == "0":
        annotated = [r.ihc_score for r in interp if r.ihc_score in ("0-ultralow", "0-null")]
        if annotated:
            ihc = annotated[0]
    # Several results of one kind on one sample must agree; otherwise input order would decide (P18).
    ihc_qual = _one_or_conflict(ihc_quals, "HER2 IHC results without a score", sample, notes)
    ish_quals = [r.ish for r in sample.results if r.analyte == "HER2-ISH" and r.ish]
    ratios = [r for r in sample.results if r.analyte in ("HER2-ISH-ratio", "HER2-ISH") and r.ratio is not None and r.ish != "equivocal"]
    legacy_equivocal = any(r.ish == "equivocal" for r in sample.results if r.analyte in ("HER2-ISH-ratio", "HER2-ISH"))
    copies = next((r.copies for r in sample.results if r.analyte == "HER2-ISH-copies" and r.copies is not None), None)
    cep17 = next((r.copies for r in sample.results if r.analyte == "CEP17-copies" and r.copies is not None), None)
    ratio, side = None, None
    if ratios:
        exact = [r for r in ratios if not r.comparator]
        pick = exact[0] if exact else ratios[0]
        ratio = pick.ratio
        side = _ratio_side(pick)
    sample.ratio, sample.copies, sample.ihc_score = ratio, copies, ihc
    conflict = _ish_number_conflict(ratios, sample)
    if conflict:
        notes.append(DataQualityNote("conflicting-results", f"{conflict}; HER2 ISH is left unresolved until pathology "
                                     "reviews them", sample.lead.resource))
        sample.reasons.append(f"{conflict}: ISH group cannot be assigned")
        ish = "needs-review"
    else:
        ish = _ish_groups(ratio, side, copies, cep17, ihc, ihc_qual, sample, notes)
        # The laboratory's own ISH call on the sample must agree with what its numbers give: a ratio <2.0 without
        # a copy number read as not amplified while the lab called it amplified (group 3 with IHC 2+ is positive),
        # or 3.0 signals/cell read as single-probe while the lab called it amplified, was a silent HER2-negative.
        calls = sorted({q for q in ish_quals if q in ("amplified", "not-amplified")})
        if ish in ("amplified", "not-amplified") and calls and calls != [ish]:
            notes.append(DataQualityNote("conflicting-results", f"the laboratory's ISH call ({', '.join(calls)}) "
                                         f"disagrees with what the ISH numbers give ({ish}); HER2 ISH is left "
                                         "unresolved until pathology reviews them", sample.lead.resource))
            sample.reasons.append(f"the laboratory's ISH call ({', '.join(calls)}) disagrees with the ISH numbers "
                                  f"({ish}): ISH group cannot be assigned")
            ish = "needs-review"
    if ish is None and ish_quals:
        ish = _one_or_conflict(ish_quals, "qualitative ISH results", sample, notes) or "needs-review"
    if ish is None and legacy_equivocal:
        ish = "equivocal"
    sample.ish = ish
    has_ihc = ihc is not None or ihc_qual is not None
    has_ish = ish is not None
    sample.basis = "ihc+ish" if has_ihc and has_ish else "ihc" if has_ihc else "ish" if has_ish else "none"
    status = "unknown"
    if ihc == "3+" or ish == "amplified":
        status = "positive"
    elif ish == "needs-ihc":
        status = "unknown"      # not "equivocal": what is missing is IHC, not ISH (b.3 NEEDS_IHC)
    elif ish == "needs-review":
        status = "unknown"
    elif ihc == "2+":
        status = "negative" if ish == "not-amplified" else "equivocal"
        if status == "equivocal":
            sample.reasons.append("HER2 IHC 2+ is equivocal until ISH on the same specimen is reported (ASCO/CAP 2018)")
    elif ihc is not None:
        status = "negative"
    elif ihc_qual == "positive":
        if ish == "not-amplified":
            notes.append(DataQualityNote("conflicting-results", "HER2 IHC stated positive but ISH not amplified on the same sample", sample.lead.resource))
            status = "unknown"
            sample.reasons.append("HER2 IHC 'positive' (no score) conflicts with non-amplified ISH")
        else:
            status = "positive"
            notes.append(DataQualityNote("her2-basis-not-recorded", "HER2 positive without an IHC score or ISH: the basis (IHC 3+ vs ISH) is not recorded", sample.lead.resource))
    elif ihc_qual == "negative" or ish == "not-amplified":
        status = "negative"
    elif ish == "equivocal" or ihc_qual == "equivocal":
        status = "equivocal"
        sample.reasons.append("HER2 reported equivocal (pre-2018 category); ISH re-reading needed")
    if interp:
        stated = _one_or_conflict([r.status for r in interp if r.status != "unknown"], "overall HER2 interpretations",
                                  sample, notes)
        if status == "unknown" and stated:
            status = stated
            sample.basis = "qualitative"
            if stated == "positive":
                notes.append(DataQualityNote("her2-basis-not-recorded", "HER2 positive by interpretation only: the basis (IHC 3+ vs ISH) is not recorded", interp[0].resource))
        elif stated in ("positive", "negative") and status == "equivocal" and ihc == "2+" and ish is None:
            # The pathologist's overall HER2 call after an IHC 2+ settles it, but the ISH result
            # itself is not in the data: use the call and say so (P4 still asks for the ISH result).
            status = stated
            sample.basis = "ihc+interpretation"
            sample.reasons = [r for r in sample.reasons if "IHC 2+ is equivocal" not in r]
            notes.append(DataQualityNote("her2-2plus-resolved-without-ish",
                                         f"HER2 IHC 2+ resolved as {stated} by the overall HER2 interpretation; the ISH result is not in the data",
                                         interp[0].resource))
        elif stated and status in ("positive", "negative") and stated in ("positive", "negative") and stated != status:
            notes.append(DataQualityNote("conflicting-results",
                                         f"HER2 interpretation says {stated} but the IHC/ISH results say {status}; the test results are used",
                                         interp[0].resource))
    sample.status = status
    # The expression an overall interpretation states counts only when no IHC score gives it, and several
    # interpretations of one sample must agree (a 'HER2-low' and a 'HER2 0' statement of the same day left the
    # expression to input order: low or null, with T-DXd eligibility hanging on it).
    stated = None
    if status == "negative" and ihc is None and interp:
        stated = _one_or_conflict([_stated_expression(r) for r in interp],
                                  "HER2 expressions stated by overall interpretations", sample, notes)
    sample.expression = _expression(status, ihc, stated)


def _stated_expression(result: ReceptorResult) -> str | None:
    """The HER2 expression an overall interpretation states (HER2-low, -ultralow or 0 without staining), if any."""
    if result.label.endswith(": low"):
        return "low"
    if result.ihc_score == "0-ultralow":
        return "ultralow"
    if result.ihc_score == "0-null":
        return "null"
    return None


def _expression(status: str, ihc: str | None, stated: str | None) -> str:
    if status == "positive":
        return "positive"
    if status != "negative":
        return "unknown"
    if ihc in ("1+", "2+"):
        return "low"
    if ihc == "0-ultralow":
        return "ultralow"
    if ihc == "0-null":
        return "null"
    if ihc == "0":
        return "zero-unspecified"
    return stated or "unknown"


# Reflex ISH is often resulted days after the IHC, and EHR data rarely names the specimen.
# Without a Specimen, an ISH-only result is paired with the closest earlier IHC-only result of
# the same specimen kind within HER2_REFLEX_ISH_WINDOW_DAYS (a product choice, noted on the assessment; the
# guideline asks for IHC and ISH on the same specimen, b.3).
_ISH_ANALYTES = frozenset({"HER2-ISH", "HER2-ISH-ratio", "HER2-ISH-copies", "CEP17-copies"})


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(day(value)) if day(value) else None
    except ValueError:
        return None


def _pair_reflex_ish(samples: dict[str, Sample], notes: list[DataQualityNote]) -> None:
    def unnamed(sample: Sample) -> bool:
        return all(r.specimen_ref is None for r in sample.results)

    def has(sample: Sample, analytes) -> bool:
        return any(r.analyte in analytes for r in sample.results)

    ihc_only = [s for s in samples.values() if unnamed(s) and has(s, {"HER2-IHC"}) and not has(s, _ISH_ANALYTES)]
    for key, sample in list(samples.items()):
        if not (unnamed(sample) and has(sample, _ISH_ANALYTES) and not has(sample, {"HER2-IHC"})):
            continue
        ish_day = _date(sample.lead.effective)
        if ish_day is None:
            continue
        best, gap = None, None
        for candidate in ihc_only:
            ihc_day = _date(candidate.lead.effective)
            if ihc_day is None or candidate.lead.specimen != sample.lead.specimen:
                continue
            days = (ish_day - ihc_day).days
            if 0 < days <= HER2_REFLEX_ISH_WINDOW_DAYS.value and (gap is None or days < gap):
                best, gap = candidate, days
        if best is not None:
            best.results.extend(sample.results)
            del samples[key]
            ihc_only.remove(best)
            notes.append(DataQualityNote("ish-paired-with-earlier-ihc",
                                         f"no specimen recorded: ISH of {day(sample.lead.effective)} read with the HER2 IHC of "
                                         f"{day(best.results[0].effective)} ({gap} days earlier) as one sample", sample.lead.resource))


def build_samples(results: list[ReceptorResult], notes: list[DataQualityNote]) -> list[Sample]:
    samples: dict[str, Sample] = {}
    for result in results:
        if result.analyte.startswith("HER2") or result.analyte == "CEP17-copies":
            key = sample_key(result)
            samples.setdefault(key, Sample(key)).results.append(result)
    _pair_reflex_ish(samples, notes)
    for sample in samples.values():
        decide_sample(sample, notes)
    return list(samples.values())


_EXPRESSION_RANK = {"low": 4, "ultralow": 3, "null": 2, "zero-unspecified": 1}


def _decisive(sample: Sample) -> bool:
    """A sample that says something: a status, or an ISH result waiting for its concurrent IHC."""
    return sample.status != "unknown" or sample.ish in ("needs-ihc", "needs-review")


def _label(sample: Sample) -> str:
    """A short name for what one sample says about HER2 ("HER2 IHC 2+, ISH not amplified")."""
    parts = []
    if sample.ihc_score:
        parts.append(f"HER2 IHC {sample.ihc_score.replace('0-', '0 ')}")
    if sample.ish in ("amplified", "not-amplified"):
        parts.append(f"ISH {sample.ish.replace('-', ' ')}" + (f" (group {sample.ish_group})" if sample.ish_group else ""))
    elif sample.ish in ("needs-ihc", "needs-review", "equivocal"):
        parts.append({"needs-ihc": "ISH waiting for IHC", "needs-review": "ISH unresolved",
                      "equivocal": "ISH equivocal"}[sample.ish])
    if not parts:
        parts.append(f"HER2 {sample.status}")
    return (parts[0] if parts[0].startswith("HER2") else "HER2 " + parts[0]) + "".join(f", {p}" for p in parts[1:])


def decide_her2(results: list[ReceptorResult], metastatic: bool, phase_of: Callable[[ReceptorResult], str],
                condition_evidence: list[tuple[str, str, str | None]],
                notes: list[DataQualityNote], earlier_phase_of: Callable[[ReceptorResult], str] | None = None
                ) -> tuple[Her2Finding, list[str], list[SampleCall]]:
    """The HER2 finding for the decision, reasons to show when it is not final, and every sample's call.

    Each sample is decided on its own (ASCO/CAP 2018 algorithm), then ``selection.govern`` chooses over
    the history (b.3 revised): a positive on any pre-treatment sample of the early episode governs, residual
    disease after neoadjuvant therapy never makes HER2 negative, and at relapse the metastatic biopsy
    governs. HER2-low/ultralow eligibility looks at every valid sample, prior or concurrent (ASCO/CAP 2023).
    """
    finding = Her2Finding()
    samples = build_samples(results, notes)
    valid = [s for s in samples if _decisive(s)]
    finding.low_on_any_sample = any(s.expression == "low" for s in valid)
    finding.ultralow_on_any_sample = any(s.expression == "ultralow" for s in valid)
    candidates = [Candidate(s.key, s.status, s.lead, [r.resource for r in s.results], s.provisional,
                            rank=_EXPRESSION_RANK.get(s.expression, 0), payload=s) for s in valid]
    gov = govern(candidates, metastatic=metastatic, phase_of=phase_of, earlier_phase_of=earlier_phase_of)
    calls = sample_calls("HER2", candidates, gov, label_of=lambda c: _label(c.payload),
                         expression_of=lambda c: c.payload.expression)
    if gov.chosen is None:
        reasons = [r for s in samples for r in s.reasons]
        if condition_evidence:
            status, resource, when = condition_evidence[0]
            finding.status = status  # type: ignore[assignment]
            finding.expression = "positive" if status == "positive" else "unknown"
            finding.basis = "condition"
            finding.rule = "condition"
            finding.effective = when
            finding.evidence = [resource]
            notes.append(DataQualityNote("receptor-status-from-condition",
                                         f"HER2 status is known only from a coded diagnosis ({resource}); no test result found — weakest evidence",
                                         resource))
        return finding, reasons, calls
    chosen: Sample = gov.chosen.payload
    apply_governing(finding, gov)
    if gov.rivals:
        rivals = [c.payload for c in gov.rivals]
        shown = ", ".join(f"{s.lead.resource} {s.status}" for s in (chosen, *rivals))
        notes.append(DataQualityNote("conflicting-results",
                                     f"HER2 results of different specimens on the same day ({day(chosen.lead.effective)}) "
                                     f"disagree ({shown}); HER2 is left unresolved: which specimen counts is not in the data",
                                     chosen.lead.resource))
        finding.evidence = [r.resource for s in (chosen, *rivals) for r in s.results]
        finding.effective = chosen.lead.effective
        return finding, [f"HER2 results of different specimens taken the same day disagree ({shown})"], calls
    finding.status = chosen.status  # type: ignore[assignment]
    finding.expression = chosen.expression  # type: ignore[assignment]
    finding.ihc_score = chosen.ihc_score
    finding.ish = chosen.ish
    finding.ish_group = chosen.ish_group
    finding.ratio = chosen.ratio
    finding.copies = chosen.copies
    finding.basis = chosen.basis
    finding.effective = chosen.lead.effective
    finding.specimen = chosen.lead.specimen
    finding.provisional = gov.provisional_only or chosen.provisional
    finding.evidence = [r.resource for r in chosen.results]
    for newer in gov.newer_provisional:
        notes.append(DataQualityNote(
            "newer-provisional-differs",
            f"HER2: a newer preliminary result ({newer.lead.resource}, {newer.day}) says {newer.status}; "
            f"the final result of {gov.chosen.day} ({chosen.status}) is used until it is confirmed",
            newer.lead.resource))
    return finding, list(chosen.reasons), calls
