"""Which result counts: specimens, dates, and the choice among samples over time (b.3).

Why here and not in each rule: ER, PR and HER2 follow the same choice over the patient's history
(clinical-knowledge.md b.3 "Multiple samples", revised; issue 13 section 1), written once in
``govern``: in the metastatic episode the metastatic biopsy governs; in the early episode a positive
on any valid pre-treatment sample governs and residual disease after neoadjuvant therapy never makes a
receptor negative. Provisional (preliminary/registered) results are used only when nothing final
exists, and then flagged. Where a sample falls in the history comes from ``episodes``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..knowledge import codes
from .intake import Intake
from .laterality import side_of_concept
from .model import ReceptorResult, SampleCall, SpecimenKind
from .values import codings

_BREAST_WORDS = ("breast", "mamma", "nipple", "areola")
_NODE_WORDS = ("axilla", "lymph node", "node")
_DISTANT_WORDS = ("liver", "hepat", "bone", "osseous", "lung", "pulmon", "pleura", "brain", "cereb", "skin",
                  "peritone", "ascites", "adrenal", "ovary", "metasta", "distant")
# SNOMED body structures of common distant sites (domain knowledge, U): liver, bone, lung, brain, pleura.
_DISTANT_SITE_CODES = frozenset({"10200004", "3138006", "39607008", "12738006", "3120008"})


@dataclass(frozen=True)
class SpecimenInfo:
    kind: SpecimenKind
    site: str | None
    ref: str | None
    collected: str | None = None       # Specimen.collection.collected[x]: when the tissue was taken
    side: str | None = None            # left | right | both, when the site records it (laterality.side_of_concept)


def effective_of(resource: dict[str, Any]) -> str | None:
    """When a result holds (b.1: effectiveDateTime | effectivePeriod.start | issued)."""
    for key in ("effectiveDateTime", "effectiveInstant"):
        if isinstance(resource.get(key), str):
            return resource[key]
    period = resource.get("effectivePeriod")
    if isinstance(period, dict) and isinstance(period.get("start"), str):
        return period["start"]
    if isinstance(resource.get("issued"), str):
        return resource["issued"]
    return None


def day(value: str | None) -> str:
    """The date part of a FHIR date/dateTime ('' when absent), for same-day comparisons and sorting."""
    return value[:10] if isinstance(value, str) else ""


def _site_kind(concept: Any) -> tuple[SpecimenKind, str | None]:
    if not isinstance(concept, dict):
        return "unknown", None
    label = concept.get("text") if isinstance(concept.get("text"), str) else None
    for coding in codings(concept):
        entry = codes.lookup(codes.SITE_CODES, coding.get("system"), coding.get("code"))
        shown = coding.get("display") if isinstance(coding.get("display"), str) else None
        label = label or shown
        if entry is not None:
            if entry.meaning == "breast":
                return "primary", label
            if entry.meaning == "metastatic":
                return "metastasis", label
            if entry.meaning == "regional-node":
                return "unknown", label
        if coding.get("system") == codes.SCT and coding.get("code") in _DISTANT_SITE_CODES:
            return "metastasis", label
    text = (concept.get("text") or "").lower() if isinstance(concept.get("text"), str) else ""
    if text:
        if any(word in text for word in _DISTANT_WORDS):
            return "metastasis", label
        if any(word in text for word in _BREAST_WORDS):
            return "primary", label
        if any(word in text for word in _NODE_WORDS):
            return "unknown", label
    return "unknown", label


def specimen_of(observation: dict[str, Any], intake: Intake) -> SpecimenInfo:
    """Primary breast vs metastasis, from Specimen.collection.bodySite or Observation.bodySite (b.1)."""
    ref = None
    specimen_reference = observation.get("specimen")
    if isinstance(specimen_reference, dict) and isinstance(specimen_reference.get("reference"), str):
        specimen = intake.resolve(specimen_reference)
        ref = f"Specimen/{specimen['id']}" if specimen else specimen_reference["reference"]
        if specimen is not None:
            collection = specimen.get("collection")
            if isinstance(collection, dict):
                # Read once per Specimen (a record holds a few Specimens and hundreds of results on them).
                known = intake.specimen_sites.get(id(specimen))
                if known is None:
                    known = intake.specimen_sites[id(specimen)] = (_collected(collection),
                                                                   *_site_kind(collection.get("bodySite")),
                                                                   side_of_concept(collection.get("bodySite")))
                collected, kind, site, side = known
                side = side or side_of_concept(observation.get("bodySite"))
                if kind != "unknown" or site:
                    return SpecimenInfo(kind, site, ref, collected, side)
                kind, site = _site_kind(observation.get("bodySite"))
                return SpecimenInfo(kind, site, ref, collected, side)
    kind, site = _site_kind(observation.get("bodySite"))
    return SpecimenInfo(kind, site, ref, side=side_of_concept(observation.get("bodySite")))


def _collected(collection: dict[str, Any]) -> str | None:
    """When the specimen was taken (collectedDateTime | collectedPeriod.start)."""
    if isinstance(collection.get("collectedDateTime"), str):
        return collection["collectedDateTime"]
    period = collection.get("collectedPeriod")
    if isinstance(period, dict) and isinstance(period.get("start"), str):
        return period["start"]
    return None


def sample_date(result: ReceptorResult) -> str | None:
    """When a result's tissue was taken: the specimen's collection date, else the result's own date.

    The episode a sample belongs to (before or after systemic therapy, before or after relapse) is a
    question about the tissue, so the collection date decides when it is recorded (b.3).
    """
    return result.collected or result.effective


def sample_key(result: ReceptorResult) -> str:
    """Results of one sample: the same Specimen, or (without one) the same day and specimen kind."""
    if result.specimen_ref:
        return result.specimen_ref
    return f"{day(result.effective)}|{result.specimen}"


def family(status: str) -> str:
    """positive (ER/PR >= 1 %, HER2 positive) | negative | unresolved (equivocal, unknown, waiting for a test)."""
    if status in ("positive", "low-positive"):
        return "positive"
    return "negative" if status == "negative" else "unresolved"


# Within the positive family the stronger call wins (ER 30 % over ER 5 % on another sample): the category
# first, then the percent.
_STRENGTH = {"positive": 2, "low-positive": 1}
# Outside a metastatic setting, the phases of samples weighed as untreated tissue (a metastatic-site sample has no
# metastatic episode to belong to there).
_UNTREATED_PHASES = ("pre-treatment", "unknown", "metastatic")


@dataclass
class Candidate:
    """One sample's call for one receptor (ER, PR or HER2), ready to be weighed against the others."""

    key: str
    status: str                        # positive | low-positive | negative | equivocal | unknown
    lead: ReceptorResult               # the result that dates and places the sample
    evidence: list[str]
    provisional: bool
    conflicted: bool = False           # the sample's own results disagree: left unresolved (P18)
    rank: int = 0                      # tie-break among equal statuses (HER2 expression: low over zero)
    phase: str = "unknown"             # SamplePhase, set by govern()
    payload: Any = None                # the caller's own object (HER2 Sample, ER/PR result list)

    @property
    def family(self) -> str:
        return "unresolved" if self.conflicted else family(self.status)

    @property
    def day(self) -> str:
        return day(sample_date(self.lead))


@dataclass
class Governing:
    """Which sample governs a receptor, by which rule, and what the other samples say."""

    chosen: Candidate | None = None
    rule: str = "none"                 # GoverningRule (model.py)
    provisional_only: bool = False
    rivals: list[Candidate] = field(default_factory=list)     # same-day metastatic samples that disagree
    overruled: list[Candidate] = field(default_factory=list)  # valid samples that disagree but do not govern
    positive_elsewhere: list[Candidate] = field(default_factory=list)  # positive samples beside a non-positive call
    newer_provisional: list[Candidate] = field(default_factory=list)   # newer preliminary calls that disagree

    @property
    def unresolved(self) -> bool:
        return self.chosen is not None and (self.chosen.conflicted or bool(self.rivals))


def _newest(items: list[Candidate]) -> Candidate:
    return max(items, key=lambda c: (c.day, c.rank, c.key))


def _early_call(group: list[Candidate]) -> Candidate:
    """The call of the early episode: a positive on any valid sample governs (b.3, ASCO/CAP 2018 allows
    re-testing a negative core on the excision and never downgrades a positive core; ASCO/CAP 2023
    weighs prior and concurrent samples because of heterogeneity). An unresolved sample a later decisive sample
    settled does not govern (ASCO/CAP: an equivocal result is re-tested on the same or a new specimen)."""
    positives = [c for c in group if c.family == "positive"]
    if positives:
        # A measured percent outranks a bare "positive" (evidence precedence for ER/PR: percent over qualitative
        # IHC, b.2): "positive" covers 1-100 %, so it cannot overrule an ER-low 5 % measured on another sample.
        return max(positives, key=lambda c: (c.lead.percent is not None, _STRENGTH.get(c.status, 0),
                                             c.lead.percent or 0.0, c.day, c.key))
    conflicted = [c for c in group if c.conflicted]
    if conflicted:
        return _newest(conflicted)
    negatives = [c for c in group if c.family == "negative"]
    last_negative = max((c.day for c in negatives), default=None)
    waiting = [c for c in group if c.family == "unresolved"]
    still_open = [c for c in waiting if last_negative is None or c.day >= last_negative]
    if still_open:
        return _newest(still_open)
    return _newest(negatives)


def govern(candidates: list[Candidate], *, metastatic: bool, phase_of: Callable[[ReceptorResult], str],
           earlier_phase_of: Callable[[ReceptorResult], str] | None = None) -> Governing:
    """Which sample governs one receptor over the patient's history (b.3 "Multiple samples", revised).

    - Final results are preferred; provisional ones are used only when nothing final exists (b.1).
    - Metastatic episode: a sample of the metastatic episode governs (ESMO ABC 5: treat by the metastasis),
      a metastasis biopsy before a breast sample of that episode, the newest first; same-day samples that
      disagree leave the receptor unresolved (which one counts is not in the data). Without any
      metastatic-episode sample the early episode's call stands in ("early-results-only"; P9 asks for a
      biopsy).
    - Early episode: the pre-treatment samples decide, a positive on any of them governing; results on
      tissue taken after systemic therapy began (residual disease) never make a receptor negative: they
      decide only when no pre-treatment sample exists ("post-treatment-only"). After a local or regional
      recurrence or a new primary (``episodes``), "pre-treatment" means before that tumour's own treatment;
      the earlier tumour's samples stand in only when it has none ("early-results-only"), and then by the earlier
      tumour's own rule: its samples from before its own treatment (``earlier_phase_of``) decide, its residual
      disease only when nothing earlier exists. A new primary's receptors are never stood in for by another
      cancer's: without its own sample nothing governs.
    Every step is linear in the number of samples.
    """
    out = Governing()
    if not candidates:
        return out
    for c in candidates:
        c.phase = phase_of(c.lead)
    finals = [c for c in candidates if not c.provisional]
    pool, out.provisional_only = (finals, False) if finals else (candidates, True)
    chosen: Candidate | None = None
    if metastatic:
        in_episode = [c for c in pool if c.phase == "metastatic"]
        if in_episode:
            sites = [c for c in in_episode if c.lead.specimen == "metastasis"] or in_episode
            newest_day = max(c.day for c in sites)
            same_day = [c for c in sites if c.day == newest_day]
            chosen = max(same_day, key=lambda c: (not c.conflicted, c.rank, c.key))
            out.rule = "metastatic-sample"
            families = {c.family for c in same_day}
            if len(families) > 1 or chosen.conflicted:
                out.rivals = [c for c in same_day if c is not chosen and (c.family != chosen.family or c.conflicted)]
    if chosen is None:
        # Outside a metastatic setting a sample of a metastatic site has no metastatic episode to belong to; it
        # is weighed with the other untreated samples rather than dropped.
        pre = [c for c in pool if c.phase in _UNTREATED_PHASES]
        post = [c for c in pool if c.phase == "post-treatment"]
        # Samples of the tumour before a local recurrence or a new primary stand in only when the current tumour
        # has none (like the early call in a relapse without a metastasis biopsy).
        earlier = [c for c in pool if c.phase == "earlier-tumour"]
        if earlier and earlier_phase_of is not None:
            phases = {id(c): earlier_phase_of(c.lead) for c in earlier}
            earlier = [c for c in earlier if phases[id(c)] != "another-primary"]
            untreated = [c for c in earlier if phases[id(c)] != "post-treatment"]
            earlier = untreated or earlier
        group = pre or post or earlier
        if not group:
            return out                  # only another primary's samples: nothing describes the current tumour
        chosen = _early_call(group)
        out.rule = ("early-results-only" if metastatic or not (pre or post) else
                    "pre-treatment-samples" if pre else "post-treatment-only")
    out.chosen = chosen
    lead_family = chosen.family
    rival_ids = {id(c) for c in out.rivals}
    for c in candidates:
        if c is chosen or c.provisional:
            continue
        if c.family == "positive" and lead_family != "positive":
            out.positive_elsewhere.append(c)
        if c.family != lead_family and c.family != "unresolved" and id(c) not in rival_ids:
            out.overruled.append(c)
    if not chosen.provisional:
        # A newer preliminary result of the same phase, or a preliminary metastasis result while the early call
        # stands in for want of a final one: it would govern once final, so the clinician hears of it now.
        # Outside a metastatic setting the untreated samples of every site are weighed together (``pre`` above), so
        # a preliminary result on any of them would be weighed with the chosen one once final.
        def relevant(c: Candidate) -> bool:
            return (c.phase == chosen.phase or (out.rule == "early-results-only" and c.phase == "metastatic")
                    or (out.rule == "pre-treatment-samples" and c.phase in _UNTREATED_PHASES))
        out.newer_provisional = [c for c in candidates if c.provisional and c.day > chosen.day and relevant(c)
                                 and c.family not in ("unresolved", lead_family)]
    return out


def apply_governing(finding: Any, gov: Governing) -> None:
    """Copy where the governing sample falls and what the other samples say onto an ER/PR/HER2 finding."""
    if gov.chosen is None:
        return
    finding.phase = gov.chosen.phase
    finding.rule = gov.rule
    finding.overruled = [ref for c in gov.overruled for ref in c.evidence]
    finding.positive_elsewhere = [ref for c in gov.positive_elsewhere for ref in c.evidence]


def sample_calls(receptor: str, candidates: list[Candidate], gov: Governing, *, label_of: Callable[[Candidate], str],
                 expression_of: Callable[[Candidate], str | None] = lambda c: None) -> list[SampleCall]:
    """Every sample's call for one receptor, oldest first, the governing one marked."""
    calls = []
    for c in sorted(candidates, key=lambda c: (c.day or "9999", c.key)):
        lead = c.lead
        calls.append(SampleCall(
            receptor=receptor, status="unknown" if c.conflicted else c.status, label=label_of(c),  # type: ignore[arg-type]
            date=sample_date(lead), specimen=lead.specimen, specimen_site=lead.specimen_site,
            specimen_ref=lead.specimen_ref, phase=c.phase, expression=expression_of(c), provisional=c.provisional,
            conflicted=c.conflicted, governs=c is gov.chosen, evidence=list(c.evidence), side=lead.side))
    return calls
