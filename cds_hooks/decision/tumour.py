"""The primary tumour's extent and biology as recorded: size, T and N category, positive nodes, grade, Ki-67.

Why: several early-disease options are tied to these facts, not to the subtype alone: chemotherapy in
triple-negative disease from T1c N0 or any node-positive disease (considered for T1b N0); adjuvant ribociclib
for the NATALEE population (stage II-III; node-negative only with T2 and grade 3, or grade 2 with Ki-67 of 20%
or more or high genomic risk, or T3); abemaciclib for the monarchE population (4 or more positive nodes, or
1-3 with grade 3 or a tumour of 5 cm or more). Without reading them those rows could only ever say "needs review".

What is read (codes in ``cds_hooks.knowledge.codes``): tumour size (LOINC 21889-1, longest dimension in
component 33728-7 or the value itself, cm or mm), T and N category (LOINC 21905-5/21899-0 and 21906-3/21900-6,
SNOMED 399504009/399534004; values as AJCC SNOMED codes or written as "cT1c", "pN1a"...), the number of positive
regional nodes (LOINC 21893-3), histologic grade (LOINC 33732-9; "1"-"3", "G1"-"G3", "grade II"...) and Ki-67
(the receptor readers' Ki67 results), and the 21-gene recurrence score as the mCODE example records it (NCBI GTR
test 509910). The newest dated value of each is used. Results on tissue taken after
neoadjuvant therapy (ypT/ypN, residual disease) describe the response, not the tumour the adjuvant decisions were
made on, so they are not used here (episodes.period_of "after-neoadjuvant").

No LOINC or SNOMED code for the recurrence score could be confirmed: a score recorded under another code is not
read, and options that turn on it ask for the result.
"""
from __future__ import annotations

import re
from typing import Any

from ..knowledge import codes
from .context import coded_observations
from .episodes import as_date, period_of
from .intake import Intake, ref_of
from .model import DataQualityNote, EpisodeFinding, ReceptorResult, TumourFinding
from .selection import effective_of
from .values import codings, number

_T_TEXT = re.compile(r"^\s*(?:[cpy]{1,2}|yp|yc)?T(is|0|1mi|1a|1b|1c|1|2|3|4[a-d]?)\b", re.IGNORECASE)
_N_TEXT = re.compile(r"^\s*(?:[cpy]{1,2}|yp|yc)?N([0-3])", re.IGNORECASE)
_GRADE_TEXT = re.compile(r"^\s*(?:G|grade\s*)?(1|2|3|I{1,3})\s*$", re.IGNORECASE)
_ROMAN = {"I": 1, "II": 2, "III": 3}


def _entry(table, concept: Any) -> codes.CodeEntry | None:
    for coding in codings(concept):
        found = codes.lookup(table, coding.get("system"), coding.get("code"))
        if found is not None:
            return found
    return None


def _texts(concept: Any) -> list[str]:
    out = [str(c.get(k)) for c in codings(concept) for k in ("code", "display") if isinstance(c.get(k), str)]
    if isinstance(concept, dict) and isinstance(concept.get("text"), str):
        out.append(concept["text"])
    return out


def _category(concept: Any, kind: str, pattern: re.Pattern[str]) -> str | None:
    entry = _entry(codes.TNM_VALUE_CODES, concept)
    if entry is not None and entry.meaning == kind:
        return entry.kind
    for text in _texts(concept):
        match = pattern.match(text)
        if match:
            return ("T" if kind == "t-value" else "N") + match.group(1).lower()
    return None


def _grade(holder: dict[str, Any]) -> int | None:
    concept = holder.get("valueCodeableConcept")
    candidates = _texts(concept)
    for key in ("valueString",):
        if isinstance(holder.get(key), str):
            candidates.append(holder[key])
    if isinstance(holder.get("valueInteger"), int):
        candidates.append(str(holder["valueInteger"]))
    for text in candidates:
        match = _GRADE_TEXT.match(text.strip())
        if match:
            raw = match.group(1).upper()
            return _ROMAN.get(raw) or int(raw)
    return None


def _size_mm(holder: dict[str, Any]) -> float | None:
    quantity = holder.get("valueQuantity")
    if not isinstance(quantity, dict):
        return None
    value = number(quantity.get("value"))
    unit = str(quantity.get("code") or quantity.get("unit") or "").strip().lower()
    if value is None or value < 0:
        return None
    if unit == "mm":
        return value
    if unit == "cm":
        return round(value * 10, 3)
    return None


def _age_at(intake: Intake, when) -> int | None:
    """Whole years of age on a date, from the one Patient's birthDate (None when either is unknown)."""
    patients = intake.of_type("Patient")
    birth = as_date(patients[0].get("birthDate")) if patients else None
    if birth is None or when is None:
        return None
    years = when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))
    return years if 0 <= years < 150 else None


def _after_neoadjuvant(episode: EpisodeFinding, when: str | None) -> bool:
    """Dated after a neoadjuvant window that had a length (treatment began before, not on, the surgery day)."""
    window = episode.neoadjuvant
    if window is None or as_date(window.start) is None or as_date(window.start) == as_date(window.end):
        return False
    return period_of(episode, when) == "after-neoadjuvant"


def read_tumour(intake: Intake, results: list[ReceptorResult], episode: EpisodeFinding,
                notes: list[DataQualityNote]) -> TumourFinding:
    """The newest recorded value of each tumour fact (module docstring), with the resources it rests on."""
    found: dict[str, tuple[str, Any, str]] = {}          # item -> (day, value, ref)

    def keep(item: str, when: str | None, value: Any, ref: str) -> None:
        if value is None:
            return
        day = (when or "")[:10]
        if item not in found or day > found[item][0]:
            found[item] = (day, value, ref)

    for observation, entry in coded_observations(intake):     # each code looked up once per assessment
        if entry is None or entry.meaning not in ("tumour-size", "t-category", "n-category", "positive-nodes", "grade",
                                                   "recurrence-score"):
            continue
        ref, when = ref_of(observation), effective_of(observation)
        if _after_neoadjuvant(episode, when):
            continue                                    # residual disease after neoadjuvant therapy (docstring)
        if entry.meaning == "recurrence-score":
            quantity = observation.get("valueQuantity")
            score = number(quantity.get("value")) if isinstance(quantity, dict) else None
            keep("recurrence_score", when, score if score is not None and 0 <= score <= 100 else None, ref)
            continue
        if entry.meaning == "tumour-size":
            size = _size_mm(observation)
            for component in observation.get("component", []) if isinstance(observation.get("component"), list) else []:
                if isinstance(component, dict) and _entry(codes.COMPONENT_CODES, component.get("code")) is not None \
                        and _entry(codes.COMPONENT_CODES, component.get("code")).meaning == "tumour-size":
                    size = _size_mm(component) if _size_mm(component) is not None else size
            if size is None:
                notes.append(DataQualityNote("unparseable-value", f"{ref}: tumour size without a value in cm or mm; "
                                                                   "not used", ref))
            keep("size_mm", when, size, ref)
        elif entry.meaning == "t-category":
            keep("t_category", when, _category(observation.get("valueCodeableConcept"), "t-value", _T_TEXT), ref)
        elif entry.meaning == "n-category":
            keep("n_category", when, _category(observation.get("valueCodeableConcept"), "n-value", _N_TEXT), ref)
        elif entry.meaning == "positive-nodes":
            raw = observation.get("valueInteger")
            count = raw if isinstance(raw, int) else number((observation.get("valueQuantity") or {}).get("value")) \
                if isinstance(observation.get("valueQuantity"), dict) else None
            keep("positive_nodes", when, int(count) if count is not None and count >= 0 else None, ref)
        elif entry.meaning == "grade":
            keep("grade", when, _grade(observation), ref)
    ki67 = [r for r in results if r.analyte == "Ki67" and r.percent is not None and not r.provisional]
    for result in ki67:
        if _after_neoadjuvant(episode, result.effective):
            continue
        keep("ki67", result.effective, result.percent, result.resource.split("#")[0])
    finding = TumourFinding(**{item: value for item, (_, value, _) in found.items()})
    finding.age_at_diagnosis = _age_at(intake, as_date(episode.diagnosis))
    finding.evidence = list(dict.fromkeys(ref for _, _, ref in found.values()))
    return finding


__all__ = ["read_tumour"]
