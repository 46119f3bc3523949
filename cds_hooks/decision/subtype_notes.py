"""Lines for the subtype card: findings already settled, or shown for information, that are not warnings.

Why not alerts: a warning card asks the clinician to act. An atypical ISH group the ASCO/CAP 2018
algorithm has already read as negative, a result the lab withdrew and we did not use, a receptor result
on residual disease that by rule does not change the status, an equivocal sample a later sample settled:
these need no action, only to be visible where the subtype is stated (issue 13 section 5). They read only
the assessment's facts, like the pitfall rules, and return ``SubtypeNote`` items (kinds in model.py).
"""
from __future__ import annotations

from .model import Assessment, SampleCall, SubtypeNote
from .sites import site_text

WITHDRAWN_NOTES = {"dropped-entered-in-error": "entered in error", "dropped-cancelled": "cancelled"}
_SITE_WORDS = {"primary": "the breast", "metastasis": "a metastasis"}


def _where(call: SampleCall) -> str:
    site = site_text(call.specimen_site) or _SITE_WORDS.get(call.specimen, "a specimen of unrecorded site")
    return f"{call.label} on {site}" + (f", taken {call.date[:10]}" if call.date else ", undated")


def _resolved_ish_group(a: Assessment) -> list[SubtypeNote]:
    """ISH group 2-4 with the concurrent IHC read as negative by the 2018 algorithm (formerly pitfall P6)."""
    h = a.her2
    score = h.ihc_score or ""
    atypical = (h.ish_group == 2 and score[:2] in ("0", "0-", "1+", "2+")) \
        or (h.ish_group == 3 and score[:2] in ("0", "0-", "1+")) \
        or (h.ish_group == 4 and score[:2] in ("0", "0-", "1+", "2+"))
    if not (atypical and h.status == "negative"):
        return []
    return [SubtypeNote("resolved-ish-group",
                        f"ISH group {h.ish_group} with IHC {score.replace('0-', '0 ')} on the same specimen: HER2-negative "
                        "by the ASCO/CAP 2018 algorithm (with the pathology comment); the ratio or copy number alone "
                        "is not amplification.", list(h.evidence))]


def _withdrawn(a: Assessment) -> list[SubtypeNote]:
    return [SubtypeNote("ignored-entered-in-error",
                        f"{note.resource or 'A resource'} was marked {WITHDRAWN_NOTES[note.code]} and was not used.",
                        [note.resource] if note.resource else [])
            for note in a.data_quality if note.code in WITHDRAWN_NOTES]


def _residual_disease(a: Assessment) -> list[SubtypeNote]:
    """Results on tissue taken after systemic therapy began, when pre-treatment results govern (b.3): one line."""
    parts, evidence, kept = [], [], []
    for receptor, finding in (("ER", a.er), ("PR", a.pr), ("HER2", a.her2)):
        if finding.rule != "pre-treatment-samples":
            continue
        unplaced = set(a.episode.unplaced_samples)
        after = [c for c in a.samples if c.receptor == receptor and c.phase == "post-treatment" and not c.governs
                 and not unplaced.intersection(c.evidence)]
        if after:
            parts.extend(_where(c) for c in after[:3])
            evidence.extend(ref for c in after for ref in c.evidence)
            kept.append(f"{receptor} {finding.status.replace('-', ' ')}")
    if not parts:
        return []
    return [SubtypeNote(
        "residual-disease-result",
        "After treatment began: " + "; ".join(parts) + ". Shown for information only: a change in residual disease "
        "does not reclassify the tumour, which keeps its pre-treatment status (" + ", ".join(kept) + ").", evidence)]


def _resolved_by_later_sample(a: Assessment) -> list[SubtypeNote]:
    """An equivocal or unfinished HER2 sample that a later, decisive sample settled (ASCO/CAP 2018: re-test an
    equivocal result on the same or a new specimen)."""
    governing = next((c for c in a.samples if c.receptor == "HER2" and c.governs), None)
    if governing is None or governing.status != "negative":
        return []
    earlier = [c for c in a.samples if c.receptor == "HER2" and not c.governs and c.status in ("equivocal", "unknown")
               and not c.conflicted and (c.date or "") <= (governing.date or "") and c.phase == governing.phase]
    return [SubtypeNote("resolved-by-later-sample",
                        f"{_where(c)} was not final; the later sample {_where(governing)} settles HER2.",
                        [*c.evidence, *governing.evidence]) for c in earlier[:3]]


def _metastasis_not_biopsied(a: Assessment) -> list[SubtypeNote]:
    """De novo stage IV classified on the diagnostic breast biopsy: P9's revised row asks at most for a
    histological confirmation of a metastasis where none was sampled (ESMO ABC 5: biopsy a metastasis at
    first diagnosis of metastatic disease where feasible)."""
    if not (a.episode.de_novo_metastatic and a.samples) or any(c.specimen == "metastasis" for c in a.samples):
        return []
    return [SubtypeNote("metastasis-not-biopsied",
                        "Metastatic at diagnosis: the receptors come from the diagnostic breast biopsy, which describes "
                        "the metastatic disease. No metastasis was sampled; a biopsy to confirm it histologically is "
                        "worth considering where one is easy to reach.", list(a.episode.evidence))]


def _earlier_tumour(a: Assessment) -> list[SubtypeNote]:
    """After a local or regional recurrence or a new primary, the earlier tumour's results that differ from the
    current tumour's call (b.3: the early episode ends at the first recurrence; a tumour's receptors describe that
    tumour). Information: a change at recurrence is named, and a new primary is not the earlier cancer."""
    e = a.episode
    if not e.new_tumour:
        return []
    parts, evidence = [], []
    for receptor, finding in (("ER", a.er), ("PR", a.pr), ("HER2", a.her2)):
        if finding.rule != "pre-treatment-samples" and finding.rule != "post-treatment-only":
            continue
        # The earlier tumour's own call follows b.3 (a positive on any of its samples; residual disease never made
        # it negative), so a change is a positive there against a negative now, or the reverse with no positive.
        earlier = [c for c in a.samples if c.receptor == receptor and c.phase == "earlier-tumour" and not c.conflicted]
        positive = [c for c in earlier if c.status in ("positive", "low-positive")]
        if finding.status == "negative":
            differ = positive
        elif finding.status in ("positive", "low-positive") and not positive:
            differ = [c for c in earlier if c.status == "negative"]
        else:
            differ = []
        if differ:
            parts.extend(_where(c) for c in differ[:2])
            evidence.extend(ref for c in differ for ref in c.evidence)
    if not parts:
        return []
    what = ("the recurrence" if e.new_tumour_kind == "recurrence" else "the new primary in the other breast")
    return [SubtypeNote(
        "earlier-tumour-result",
        f"Earlier tumour, before {what} ({e.new_tumour[:10]}): " + "; ".join(parts) + f". Not the result of "
        f"{what}, whose own biopsy now governs" + ("; receptors can change at recurrence." if e.new_tumour_kind ==
                                                   "recurrence" else "."), evidence)]


def _earlier_tumour_stands_in(a: Assessment) -> list[SubtypeNote]:
    """A local or regional recurrence with no receptor result of its own: the earlier tumour's governing results
    (those from before its own treatment, b.3) stand in; said where the subtype is stated, so the subtype is never
    read as the recurrence's (P9 asks for the biopsy)."""
    e = a.episode
    if not (e.current == "early" and e.new_tumour_kind == "recurrence" and e.new_tumour):
        return []
    standing = [(name, f) for name, f in (("ER", a.er), ("PR", a.pr), ("HER2", a.her2)) if f.rule == "early-results-only"]
    if not standing:
        return []
    names = "/".join(name for name, _ in standing)
    dates = sorted({f.effective[:10] for _, f in standing if f.effective})
    taken = f" (taken {', '.join(dates)})" if dates else ""
    return [SubtypeNote(
        "earlier-tumour-stands-in",
        f"The recurrence ({e.new_tumour[:10]}) has no {names} result of its own: the earlier tumour's results{taken} "
        "stand in until the recurrence is biopsied.", [ref for _, f in standing for ref in f.evidence])]


def _unplaced_samples(a: Assessment) -> list[SubtypeNote]:
    """Breast or node tissue taken long after the first tumour's surgery that no record places (episodes): it may be a
    recurrence, a new primary or the first tumour, and the data cannot tell. The subtype stays the first tumour's
    call, and the card says so rather than choosing silently (a tumour's receptors describe that tumour, b.3)."""
    e = a.episode
    refs = set(e.unplaced_samples)
    calls = [c for c in a.samples if refs.intersection(c.evidence)]
    if not calls:
        return []
    first = " and ".join(e.first_sides) if e.first_sides else ""
    seen: dict[str, list[SampleCall]] = {}
    for c in calls:
        seen.setdefault(c.specimen_ref or f"{c.date}|{c.specimen_site}", []).append(c)
    lines, evidence = [], []
    for group in seen.values():
        c = group[0]
        sides = {r.side for r in a.history if r.resource in c.evidence and r.side}
        side = next(iter(sides)) if len(sides) == 1 else None
        if side is None:
            why = "its side (left or right breast) is not recorded"
        elif not e.first_sides:
            why = f"it is from the {side} breast, and the side of the first tumour is not recorded"
        else:
            why = f"it is from the {side} breast, the breast of the first tumour ({first}), with no recurrence recorded"
        results = "; ".join(x.label for x in group)
        lines.append(f"{results} on {site_text(c.specimen_site) or 'a breast or node sample'}"
                     + (f", taken {c.date[:10]}" if c.date else "") + f": {why}")
        evidence.extend(ref for x in group for ref in x.evidence)
    return [SubtypeNote(
        "tumour-of-sample-unclear",
        "Which tumour this tissue is from cannot be told from the record: " + ". ".join(lines) + ". It was taken long "
        "after the first tumour's surgery and may be a recurrence, a new primary or the first tumour; it is read as the "
        "first tumour's and does not change the subtype. If it is a recurrence or a new primary, record that (with the "
        "side) so that its own result governs.", evidence)]


def subtype_notes(a: Assessment) -> list[SubtypeNote]:
    """Every settled or informational finding, in a stable order."""
    return [*_resolved_ish_group(a), *_resolved_by_later_sample(a), *_residual_disease(a),
            *_metastasis_not_biopsied(a), *_earlier_tumour_stands_in(a), *_earlier_tumour(a), *_unplaced_samples(a),
            *_withdrawn(a)]


__all__ = ["subtype_notes"]
