"""Which result counts: specimens, dates, and the choice among results over time (b.3).

Why here and not in each rule: ER, PR and HER2 follow the same choice — the most recent
valid result on the most relevant specimen (a metastasis biopsy over the primary once the
disease is metastatic, because receptors convert at relapse: clinical-knowledge.md b.3, P9),
with provisional (preliminary/registered) results used only when nothing final exists and
then flagged. Keeping it in one place keeps the three consistent.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, TypeVar

from ..knowledge import codes
from .intake import Intake
from .model import ReceptorResult, SpecimenKind
from .values import codings

T = TypeVar("T")

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
                collected = _collected(collection)
                kind, site = _site_kind(collection.get("bodySite"))
                if kind != "unknown" or site:
                    return SpecimenInfo(kind, site, ref, collected)
                kind, site = _site_kind(observation.get("bodySite"))
                return SpecimenInfo(kind, site, ref, collected)
    kind, site = _site_kind(observation.get("bodySite"))
    return SpecimenInfo(kind, site, ref)


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


def preferred_kind(metastatic: bool, items: Iterable[ReceptorResult]) -> SpecimenKind | None:
    """Metastasis over primary when the disease is metastatic and a metastasis sample exists (b.3)."""
    if metastatic and any(r.specimen == "metastasis" for r in items):
        return "metastasis"
    return None


def choose(items: list[T], *, result_of: Callable[[T], ReceptorResult], valid: Callable[[T], bool],
           metastatic: bool, provisional_of: Callable[[T], bool] | None = None) -> tuple[T | None, bool]:
    """The most recent valid item on the most relevant specimen; second value: provisional only.

    Final results are preferred; when only provisional ones exist the newest is returned with
    the flag set, so the caller can mark the finding provisional (b.1: never the sole basis).
    """
    usable = [i for i in items if valid(i)]
    if not usable:
        return None, False
    is_provisional = provisional_of or (lambda i: result_of(i).provisional)
    final = [i for i in usable if not is_provisional(i)]
    pool, provisional = (final, False) if final else (usable, True)
    kind = preferred_kind(metastatic, [result_of(i) for i in pool])
    if kind is not None:
        pool = [i for i in pool if result_of(i).specimen == kind]
    pool.sort(key=lambda i: day(result_of(i).effective) or "0000", reverse=True)
    return pool[0], provisional


def newer_provisional_disagreeing(items: list[T], chosen: T, *, result_of: Callable[[T], ReceptorResult],
                                  status_of: Callable[[T], str], provisional_of: Callable[[T], bool] | None = None,
                                  metastatic: bool = False) -> list[T]:
    """Provisional items newer than the chosen final one whose status differs from it.

    The final result still decides (b.1: a preliminary result is never the sole basis), but a newer
    preliminary result that says something else must not pass silently. Only items on the specimen kind
    the choice preferred are compared (a primary-breast preliminary does not contest a metastasis result).
    """
    is_provisional = provisional_of or (lambda i: result_of(i).provisional)
    if is_provisional(chosen):
        return []
    chosen_day = day(result_of(chosen).effective)
    kind = result_of(chosen).specimen if metastatic and result_of(chosen).specimen == "metastasis" else None

    def family(status: str) -> str:
        return "positive" if status in ("positive", "low-positive") else status

    return [i for i in items if is_provisional(i) and day(result_of(i).effective) > chosen_day
            and (kind is None or result_of(i).specimen == kind)
            and status_of(i) not in ("unknown", "") and family(status_of(i)) != family(status_of(chosen))]


def same_day_rivals(items: list[T], chosen: T, *, result_of: Callable[[T], ReceptorResult], valid: Callable[[T], bool],
                    metastatic: bool, provisional_of: Callable[[T], bool] | None = None) -> list[T]:
    """Other items as eligible as the chosen one (same day, same finality, same preferred specimen kind).

    ``choose`` can only order by date; when two specimens share the newest date (two tumour foci, a breast
    and a node biopsy of one day) nothing in the data says which one counts, so callers compare them rather
    than letting input order decide.
    """
    is_provisional = provisional_of or (lambda i: result_of(i).provisional)
    lead = result_of(chosen)
    kind = lead.specimen if metastatic and lead.specimen == "metastasis" else None
    return [i for i in items if i is not chosen and valid(i) and is_provisional(i) == is_provisional(chosen)
            and day(result_of(i).effective) == day(lead.effective)
            and (kind is None or result_of(i).specimen == kind)]
