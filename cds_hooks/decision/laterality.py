"""Which breast: the side of a body site, a specimen or a diagnosis, as the record codes it.

Why: a tumour in the other breast is another primary (registries count tumours of the left and the right breast
as separate primaries: SEER Solid Tumor Rules, breast, https://seer.cancer.gov/tools/solidtumor/), and each primary
is tested on its own (ASCO/CAP). Without the side, a right-breast cancer found years after a left one was read as
tissue of the first tumour, and two cancers found together in both breasts were read as one tumour whose samples
"disagree".

What is read, most specific first:
- the mCODE laterality qualifier extension on a body-site CodeableConcept (Specimen.collection.bodySite,
  Observation.bodySite, Condition.bodySite, Procedure.bodySite): SNOMED 7771000 left, 24028007 right,
  51440002 right and left (https://hl7.org/fhir/us/mcode/StructureDefinition-mcode-laterality-qualifier.html);
- SNOMED body structures that carry the side: 80248007 left breast structure, 73056007 right breast structure;
- ICD-10-CM C50 codes, whose 6th character is the side (1 right, 2 left, 9 unspecified), e.g. C50.912;
- the words "left" or "right" (not both) in the concept's text or a coding's display.
Anything else is "not recorded" (None): the side is never guessed.

Imports: knowledge (code systems) and the decision values helpers only.
"""
from __future__ import annotations

from typing import Any, Iterable, Literal

from ..knowledge import codes
from .values import codings

Side = Literal["left", "right", "both"]

LATERALITY_EXTENSION = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"
# SNOMED CT laterality qualifier values (mCODE LateralityQualifierVS).
QUALIFIER_SIDES: dict[str, Side] = {"7771000": "left", "24028007": "right", "51440002": "both"}
# SNOMED CT body structures of one breast.
BREAST_STRUCTURE_SIDES: dict[str, Side] = {"80248007": "left", "73056007": "right"}
# ICD-10-CM C50.xy[z]: the 6th character of the compact code.
_ICD_SIDES: dict[str, Side] = {"1": "right", "2": "left"}


def side_of_words(text: str | None) -> Side | None:
    """'left' or 'right' when the text names exactly one of them as a word."""
    words = (text or "").lower().replace("-", " ").replace(",", " ").replace("(", " ").replace(")", " ").split()
    left, right = "left" in words, "right" in words
    return "left" if left and not right else "right" if right and not left else None


def _qualifier_side(concept: dict[str, Any]) -> Side | None:
    extensions = concept.get("extension") if isinstance(concept.get("extension"), list) else []
    for extension in extensions:
        if isinstance(extension, dict) and extension.get("url") == LATERALITY_EXTENSION:
            for coding in codings(extension.get("valueCodeableConcept")):
                if coding.get("system") == codes.SCT and coding.get("code") in QUALIFIER_SIDES:
                    return QUALIFIER_SIDES[coding["code"]]
    return None


def side_of_concept(concept: Any) -> Side | None:
    """The side a CodeableConcept records (module docstring), or None when it records none."""
    if not isinstance(concept, dict):
        return None
    qualified = _qualifier_side(concept)
    if qualified is not None:
        return qualified
    for coding in codings(concept):
        code = coding.get("code") if isinstance(coding.get("code"), str) else ""
        if coding.get("system") == codes.SCT and code in BREAST_STRUCTURE_SIDES:
            return BREAST_STRUCTURE_SIDES[code]
        compact = code.replace(".", "").upper()
        if coding.get("system") == codes.ICD10CM and compact.startswith("C50") and len(compact) >= 6:
            side = _ICD_SIDES.get(compact[5])
            if side is not None:
                return side
    text = concept.get("text") if isinstance(concept.get("text"), str) else None
    side = side_of_words(text)
    if side is not None:
        return side
    for coding in codings(concept):
        side = side_of_words(coding.get("display") if isinstance(coding.get("display"), str) else None)
        if side is not None:
            return side
    return None


def side_of_concepts(concepts: Iterable[Any]) -> Side | None:
    """The first side recorded among several concepts (a resource's bodySite list, then its code)."""
    for concept in concepts:
        side = side_of_concept(concept)
        if side is not None:
            return side
    return None


def side_of_condition(condition: dict[str, Any]) -> Side | None:
    """A diagnosis's side: its bodySite (with any laterality qualifier), else its code (ICD-10-CM C50 6th character)."""
    sites = condition.get("bodySite") if isinstance(condition.get("bodySite"), list) else []
    return side_of_concepts([*sites, condition.get("code")])


def opposite(first: Side | None, other: Side | None) -> bool:
    """Whether two recorded sides are the two different breasts ("both" is neither)."""
    return first in ("left", "right") and other in ("left", "right") and first != other


__all__ = ["LATERALITY_EXTENSION", "Side", "opposite", "side_of_concept", "side_of_concepts", "side_of_condition",
           "side_of_words"]
