"""Which breast a body site, specimen or diagnosis records (cds_hooks.decision.laterality), branch by branch.

The codes come from their sources: the mCODE laterality qualifier extension and its value set (SNOMED CT 7771000
Left, 24028007 Right, 51440002 Right and left;
https://hl7.org/fhir/us/mcode/StructureDefinition-mcode-laterality-qualifier.html); SNOMED CT body structures
80248007 Left breast structure and 73056007 Right breast structure; ICD-10-CM C50.xyz, whose 6th character is 1
(right), 2 (left) or 9 (unspecified side), e.g. C50.911 right female breast, C50.412 upper-outer quadrant of the
left female breast, C50.022 nipple of the left male breast. Failing a code, "left" or "right" as a word of the
text, then of a coding's display. A side is never guessed (SEER Solid Tumor Rules: each breast is its own primary).
"""
from __future__ import annotations

import pytest

from cds_hooks.decision.laterality import (
    LATERALITY_EXTENSION, opposite, side_of_concept, side_of_concepts, side_of_condition, side_of_words,
)

SCT = "http://snomed.info/sct"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LNC = "http://loinc.org"
BREAST = {"system": SCT, "code": "76752008"}          # Breast structure (no side)


def qualified(code, system=SCT, **concept):
    return {"coding": [BREAST], **concept,
            "extension": [{"url": LATERALITY_EXTENSION,
                           "valueCodeableConcept": {"coding": [{"system": system, "code": code}]}}]}


def icd(code, **coding):
    return {"coding": [{"system": ICD, "code": code, **coding}]}


@pytest.mark.parametrize("code, side", [("7771000", "left"), ("24028007", "right"), ("51440002", "both")])
def test_mcode_laterality_qualifier(code, side):
    assert side_of_concept(qualified(code)) == side


def test_qualifier_is_read_before_structure_codes_and_words():
    """The qualifier is the most specific record: it wins over a sided structure code and over the text."""
    concept = qualified("7771000", text="right breast")
    concept["coding"] = [{"system": SCT, "code": "73056007", "display": "Right breast structure"}]
    assert side_of_concept(concept) == "left"


@pytest.mark.parametrize("extension", [
    {"url": "http://example.org/other-extension", "valueCodeableConcept": {"coding": [{"system": SCT, "code": "7771000"}]}},
    {"url": LATERALITY_EXTENSION, "valueCodeableConcept": {"coding": [{"system": LNC, "code": "7771000"}]}},
    {"url": LATERALITY_EXTENSION, "valueCodeableConcept": {"coding": [{"system": SCT, "code": "76752008"}]}},
    "not an extension",
])
def test_other_extensions_and_codes_give_no_side(extension):
    """Another extension, the right code in another system, or a code outside the value set: no side."""
    assert side_of_concept({"coding": [BREAST], "extension": [extension]}) is None


def test_extension_that_is_not_a_list_is_ignored():
    assert side_of_concept({"coding": [{"system": SCT, "code": "80248007"}], "extension": {"url": LATERALITY_EXTENSION}}) \
        == "left"


@pytest.mark.parametrize("code, side", [("80248007", "left"), ("73056007", "right")])
def test_snomed_breast_structure_with_a_side(code, side):
    assert side_of_concept({"coding": [{"system": SCT, "code": code}]}) == side


@pytest.mark.parametrize("system", [LNC, ICD, None])
def test_breast_structure_code_in_another_system_is_not_read(system):
    assert side_of_concept({"coding": [{"system": system, "code": "80248007"}]}) is None


def test_later_coding_is_read_when_the_first_has_no_side():
    concept = {"coding": [BREAST, {"system": SCT, "code": "73056007"}]}
    assert side_of_concept(concept) == "right"


@pytest.mark.parametrize("code, side", [
    ("C50.911", "right"), ("C50.912", "left"), ("C50.412", "left"), ("C50.011", "right"), ("C50.022", "left"),
    ("C50912", "left"),                  # without the dot
    ("c50.911", "right"),                # lower case
    ("C50.919", None),                   # unspecified side
    ("C50.91", None), ("C50.9", None), ("C50", None),   # too short to carry a side
    ("C44.612", None),                   # another site's code: its 6th character is not a breast's side
])
def test_icd10cm_c50_sixth_character(code, side):
    assert side_of_concept(icd(code)) == side


def test_icd_code_in_another_system_is_not_read():
    assert side_of_concept({"coding": [{"system": SCT, "code": "C50.912"}]}) is None


def test_unspecified_icd_side_falls_back_to_the_words():
    assert side_of_concept(icd("C50.919", display="Malignant neoplasm of right female breast")) == "right"


def test_code_that_is_not_a_string_is_skipped():
    assert side_of_concept({"coding": [{"system": ICD, "code": 50912}, {"system": SCT, "code": "73056007"}]}) == "right"


@pytest.mark.parametrize("text, side", [
    ("Left breast", "left"), ("RIGHT BREAST", "right"), ("breast, left", "left"), ("breast (right)", "right"),
    ("upper-left quadrant", "left"), ("left,upper", "left"),
    ("left and right breasts", None), ("breast", None), ("leftover tissue", None), ("", None), (None, None),
])
def test_side_of_words(text, side):
    """Exactly one of the words 'left'/'right' (hyphens, commas, brackets separate words)."""
    assert side_of_words(text) == side


def test_text_is_read_before_displays_and_displays_when_the_text_has_none():
    assert side_of_concept({"coding": [{**BREAST, "display": "Right breast"}], "text": "left breast"}) == "left"
    assert side_of_concept({"coding": [{**BREAST, "display": "Right breast"}], "text": "breast"}) == "right"
    assert side_of_concept({"coding": [{**BREAST, "display": "Right breast"}], "text": "left and right"}) == "right"
    assert side_of_concept({"coding": [BREAST, {**BREAST, "display": "Left breast"}]}) == "left"


def test_non_string_text_and_display_are_skipped():
    assert side_of_concept({"coding": [{**BREAST, "display": 7}, {**BREAST, "display": "left"}], "text": 3}) == "left"


@pytest.mark.parametrize("concept", [None, "left breast", ["left"], {}, {"coding": [BREAST]}, {"text": "breast"}])
def test_no_side_recorded_is_none(concept):
    assert side_of_concept(concept) is None


def test_side_of_concepts_takes_the_first_recorded_side():
    assert side_of_concepts([{"text": "breast"}, {"text": "right"}, {"text": "left"}]) == "right"
    assert side_of_concepts([{"text": "breast"}, None]) is None
    assert side_of_concepts([]) is None


def test_side_of_condition_body_site_before_code():
    condition = {"bodySite": [{"text": "breast"}, {"coding": [{"system": SCT, "code": "73056007"}]}],
                 "code": icd("C50.912")}
    assert side_of_condition(condition) == "right"
    assert side_of_condition({"bodySite": [{"text": "breast"}], "code": icd("C50.912")}) == "left"
    assert side_of_condition({"code": icd("C50.911")}) == "right"
    assert side_of_condition({"bodySite": {"text": "left"}, "code": icd("C50.911")}) == "right"  # not a list: ignored
    assert side_of_condition({"code": icd("C50.919")}) is None


@pytest.mark.parametrize("first, other, expected", [
    ("left", "right", True), ("right", "left", True),
    ("left", "left", False), ("right", "right", False),
    ("both", "left", False), ("right", "both", False), ("both", "both", False),
    (None, "left", False), ("right", None, False), (None, None, False),
])
def test_opposite(first, other, expected):
    """Two different breasts; 'both' or an unrecorded side is never the other breast."""
    assert opposite(first, other) is expected
