"""Reading an Observation's (or component's) value into normalised pieces (clinical-knowledge.md b.1).

Values arrive as LOINC answers, SNOMED qualifiers, MII local codes, free text, quantities
with comparators, ratios, legacy strings ("less than 1.8", "3+", ">10%") or only in
``interpretation``. This module turns each into the same small record so the ER/PR and HER2
rules never look at raw FHIR shapes. Codes are matched on (system, code); free text only
through the synonym table; a value we cannot read is reported, never guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..knowledge import codes

V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# HL7 v3 interpretation codes with an unambiguous qualitative meaning (HL7 terminology; U here).
V3_MEANINGS = {"POS": "positive", "NEG": "negative", "IND": "indeterminate", "DET": "positive", "ND": "negative"}

PERCENT_UNITS = frozenset({"%", "percent", "pct"})
FRACTION_UNITS = frozenset({"1", "{fraction}", "fraction", ""})


@dataclass
class Value:
    """What one value says, in normalised pieces; anything unset was not stated."""

    qualitative: str | None = None    # positive | negative | low-positive | equivocal | indeterminate | not-tested | borderline | unknown | present | absent | amplified | not-amplified
    ihc_score: str | None = None      # 0 | 0-ultralow | 0-null | 1+ | 2+ | 3+
    her2_category: str | None = None  # MII local HER2 status: low | ultralow | null
    origin: str | None = None         # germline | somatic (genomic source class answers)
    number: float | None = None       # the bare number of a quantity
    unit: str | None = None
    comparator: str | None = None     # < <= > >=
    percent: float | None = None
    ratio: float | None = None
    ratio_low: float | None = None    # legacy ranges / bounds ("1.8-2.2", "less than 1.8")
    ratio_high: float | None = None
    text: str | None = None
    coded: list[str] = field(default_factory=list)     # "system|code" of recognised answers
    problems: list[tuple[str, str]] = field(default_factory=list)   # (note code, message)

    @property
    def empty(self) -> bool:
        return (self.qualitative is None and self.ihc_score is None and self.her2_category is None
                and self.number is None and self.ratio is None and self.ratio_low is None
                and self.ratio_high is None and self.percent is None)


def number(raw: Any) -> float | None:
    """A finite float from a FHIR decimal (int, float or numeric string), else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, (str, Decimal)):
        try:
            value = float(Decimal(str(raw).strip()))
        except (InvalidOperation, ValueError):
            return None
    else:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    found = concept.get("coding")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def _apply_answer(entry: codes.CodeEntry, value: Value) -> None:
    if entry.meaning == "ihc":
        value.ihc_score = entry.kind
    elif entry.meaning == "her2":
        value.her2_category = entry.kind
    elif entry.meaning in ("germline", "somatic"):
        value.origin = entry.meaning
    elif entry.meaning == "intensity":
        pass
    else:
        value.qualitative = entry.meaning
    value.coded.append(f"{entry.system}|{entry.code}")


_IHC_TEXT = re.compile(r"^(?:ihc\s*)?(?:score\s*)?([0-3])\s*\+?$")


def _text_meaning(text: str, value: Value) -> bool:
    """Read free text through the synonym table and the IHC/percent/ratio patterns."""
    cleaned = " ".join(text.strip().lower().replace("–", "-").split())
    if not cleaned:
        return False
    if "ultralow" in cleaned or "ultra-low" in cleaned or ">0 <1+" in cleaned or "0 with membrane staining" in cleaned:
        # HER2-ultralow is the "IHC 0 with faint incomplete staining" half of IHC 0 (b.3).
        if cleaned.startswith(("0", "ihc", ">0")) or value.ihc_score == "0":
            value.ihc_score = "0-ultralow"
        value.her2_category = "ultralow"
        return True
    if ("null" in cleaned or "no staining" in cleaned) and (cleaned.startswith(("0", "ihc")) or value.ihc_score == "0"):
        value.ihc_score = "0-null"
        value.her2_category = "null"
        return True
    if cleaned in codes.TEXT_SYNONYMS:
        meaning = codes.TEXT_SYNONYMS[cleaned]
        if meaning == "her2-low":
            value.her2_category = "low"
        elif meaning == "her2-ultralow":
            value.her2_category = "ultralow"
        else:
            value.qualitative = meaning
        return True
    match = _IHC_TEXT.match(cleaned)
    if match and (cleaned.endswith("+") or cleaned.startswith(("ihc", "score")) or cleaned == "0"):
        score = match.group(1)
        value.ihc_score = score if score == "0" else f"{score}+"
        return True
    return _legacy_numeric(cleaned, value)


_COMPARATOR_WORDS = (("less than or equal to", "<="), ("greater than or equal to", ">="), ("less than", "<"),
                     ("greater than", ">"), ("more than", ">"), ("under", "<"), ("over", ">"),
                     ("<=", "<="), (">=", ">="), ("≤", "<="), ("≥", ">="), ("<", "<"), (">", ">"))
_NUM = r"(\d+(?:\.\d+)?)"


def _legacy_numeric(cleaned: str, value: Value) -> bool:
    """Legacy strings: "less than 1.8", "greater than 2.2", "1.8-2.2", ">10%", "5 %", "2.4"."""
    match = re.fullmatch(_NUM + r"\s*(?:-|to)\s*" + _NUM + r"\s*(%?)", cleaned)
    if match:
        low, high = float(match.group(1)), float(match.group(2))
        if match.group(3):
            value.problems.append(("percent-range", f"percent given as a range '{cleaned}'"))
            value.number, value.unit = None, "%"
            value.ratio_low, value.ratio_high = None, None
            return False
        value.ratio_low, value.ratio_high = min(low, high), max(low, high)
        return True
    comparator = None
    rest = cleaned
    for word, symbol in _COMPARATOR_WORDS:
        if rest.startswith(word):
            comparator, rest = symbol, rest[len(word):].strip()
            break
    match = re.fullmatch(_NUM + r"\s*(%|percent)?", rest)
    if not match:
        return False
    num = float(match.group(1))
    value.number, value.comparator = num, comparator
    value.unit = "%" if match.group(2) else None
    if comparator in ("<", "<="):
        value.ratio_high = num
    elif comparator in (">", ">="):
        value.ratio_low = num
    return True


def read_value(holder: dict[str, Any]) -> Value:
    """The value of an Observation or component: value[x] first, else interpretation (b.1)."""
    value = Value()
    concept = holder.get("valueCodeableConcept")
    if isinstance(concept, dict):
        recognised = False
        for coding in codings(concept):
            system, code = coding.get("system"), coding.get("code")
            if not isinstance(code, str):
                continue
            entry = codes.lookup(codes.ANSWER_CODES, system, code)
            if entry is not None and entry.usable:
                _apply_answer(entry, value)
                recognised = True
            elif system in (codes.LNC, codes.SCT) and not codes.code_fits_system(system, code):
                value.problems.append(("invalid-code-for-system", f"answer code '{code}' is not valid for {system}"))
        text = concept.get("text")
        if isinstance(text, str) and text.strip():
            value.text = text
            # The scratch reading knows the coded IHC score, so a bare "null" / "no staining" beside an IHC 0 code
            # refines it just as "ultralow" does (b.3).
            scratch = Value(ihc_score=value.ihc_score)
            read = _text_meaning(text, scratch)
            if recognised:
                # The code decides; text may only refine an IHC 0 into ultralow / null (b.3).
                if value.ihc_score == "0" and scratch.her2_category in ("ultralow", "null"):
                    value.ihc_score = f"0-{scratch.her2_category}"
                    value.her2_category = scratch.her2_category
            elif read:
                for name in ("qualitative", "ihc_score", "her2_category", "number", "unit", "comparator",
                             "ratio_low", "ratio_high"):
                    setattr(value, name, getattr(scratch, name))
            if not recognised and not read:
                value.problems.append(("unparseable-value", f"value text '{text[:60]}' could not be read"))
        elif not recognised:
            shown = [f"{c.get('system')}|{c.get('code')}" for c in codings(concept)][:3]
            value.problems.append(("unrecognised-value", f"answer code(s) {shown} are not in the code tables"))
    quantity = holder.get("valueQuantity")
    if isinstance(quantity, dict):
        num = number(quantity.get("value"))
        if num is None:
            value.problems.append(("unparseable-value", "valueQuantity has no usable number"))
        else:
            value.number = num
            comparator = quantity.get("comparator")
            value.comparator = comparator if comparator in ("<", "<=", ">", ">=") else None
            unit = quantity.get("code") if isinstance(quantity.get("code"), str) else quantity.get("unit")
            value.unit = unit.strip() if isinstance(unit, str) else None
    ratio = holder.get("valueRatio")
    if isinstance(ratio, dict):
        num = number((ratio.get("numerator") or {}).get("value")) if isinstance(ratio.get("numerator"), dict) else None
        den = number((ratio.get("denominator") or {}).get("value")) if isinstance(ratio.get("denominator"), dict) else None
        if num is None:
            value.problems.append(("unparseable-value", "valueRatio has no numerator"))
        elif den in (None, 1.0):
            value.ratio = num
        elif den == 0:
            value.problems.append(("unparseable-value", "valueRatio has a zero denominator"))
        else:
            value.ratio = num / den
    for key in ("valueInteger", "valueDecimal"):
        if key in holder:
            num = number(holder.get(key))
            if num is not None:
                value.number = num
    string = holder.get("valueString")
    if isinstance(string, str):
        value.text = string
        if not _text_meaning(string, value):
            value.problems.append(("unparseable-value", f"value string '{string[:60]}' could not be read"))
    if value.empty:
        for coding in codings(_first(holder.get("interpretation"))):
            system, code = coding.get("system"), coding.get("code")
            entry = codes.lookup(codes.ANSWER_CODES, system, code) if isinstance(code, str) else None
            if entry is not None and entry.usable:
                _apply_answer(entry, value)
            elif system == V3_INTERPRETATION and code in V3_MEANINGS:
                value.qualitative = V3_MEANINGS[code]
                value.coded.append(f"{system}|{code}")
    return value


def _first(items: Any) -> Any:
    if isinstance(items, list) and items:
        return items[0]
    return items if isinstance(items, dict) else None


def as_percent(value: Value) -> tuple[float | None, list[tuple[str, str]]]:
    """The percent a value states (ER/PR/Ki-67 % codes), with unit problems (b.1 UNIT_AMBIGUOUS)."""
    if value.number is None:
        return None, []
    unit = (value.unit or "").lower()
    if unit in PERCENT_UNITS:
        return value.number, []
    if unit in FRACTION_UNITS:
        if 0 < value.number <= 1:
            return None, [("unit-ambiguous", f"value {value.number:g} without a % unit could be a fraction or a percent")]
        if value.number == 0:
            return 0.0, []
        if value.number <= 100:
            return value.number, [("unit-missing", f"value {value.number:g} has no unit; read as percent")]
    return None, [("unexpected-unit", f"unit '{value.unit}' is not a percent")]


def percent_interval(percent: float, comparator: str | None) -> tuple[float, float, bool, bool]:
    """(low, high, low_open, high_open) of what a percent with comparator allows ('<1 %' is [0, 1))."""
    if comparator == "<":
        return 0.0, percent, False, True
    if comparator == "<=":
        return 0.0, percent, False, False
    if comparator == ">":
        return percent, 100.0, True, False
    if comparator == ">=":
        return percent, 100.0, False, False
    return percent, percent, False, False
