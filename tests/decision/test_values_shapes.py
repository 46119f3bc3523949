"""Every value shape ``values.read_value`` accepts or refuses, and the string forms it parses, at their edges.

Sources: FHIR R4 Observation.value[x] (Quantity with ``comparator`` one of < <= >= > and UCUM ``code``,
Ratio numerator/denominator, CodeableConcept with ``text``, string, integer), Observation.interpretation
with the HL7 v3 ObservationInterpretation codes (POS, NEG, IND, DET "detected", ND "not detected"); the
answer codes and text synonyms of ``cds_hooks.knowledge.codes`` (clinical-knowledge a.3/b.1: "positive",
"pos", "+" are synonyms; MII local HER2 categories low/ultralow/negativ); ASCO/CAP 2023 HER2: ultralow is
IHC 0 with faint, incomplete membrane staining, null is IHC 0 with no staining. A value that cannot be read
becomes a problem and is never guessed.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from cds_hooks.decision.values import Value, as_percent, number, percent_interval, read_value
from cds_hooks.knowledge import codes

LNC, SCT = codes.LNC, codes.SCT
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
MII_HER2 = codes.MII_HER2_SYSTEMS[0]


def string(text):
    return read_value({"valueString": text})


def fields(value, *names):
    return tuple(getattr(value, n) for n in names)


def problem_codes(value):
    return [p[0] for p in value.problems]


# ---- number(): a FHIR decimal ------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    (5, 5.0), (0, 0.0), (2.5, 2.5), ("2.5", 2.5), ("  40 ", 40.0), ("-3", -3.0), (Decimal("1.10"), 1.1),
    ("1e2", 100.0),
    (True, None), (False, None), ("", None), ("abc", None), ("NaN", None), ("Infinity", None),
    (float("nan"), None), (float("inf"), None), (float("-inf"), None), (None, None), ([5], None), ({"value": 5}, None),
])
def test_number_reads_only_finite_decimals(raw, expected):
    """Booleans, non-numbers, NaN and infinities are not numbers (JSON true is not 1)."""
    assert number(raw) == expected


# ---- coded answers -------------------------------------------------------------------------------

@pytest.mark.parametrize("system, code, field, expected", [
    (LNC, "LA6576-8", "qualitative", "positive"),
    (LNC, "LA4259-3", "qualitative", "borderline"),
    (LNC, "LA11843-2", "ihc_score", "3+"),
    (LNC, "LA6111-4", "ihc_score", "0"),
    (MII_HER2, "low", "her2_category", "low"),
    (MII_HER2, "ultralow", "her2_category", "ultralow"),
    (MII_HER2, "negativ", "her2_category", "null"),
    (LNC, "LA6683-2", "origin", "germline"),
    (LNC, "LA6684-0", "origin", "somatic"),
])
def test_each_answer_kind_fills_its_own_field(system, code, field, expected):
    """Qualitative answers, IHC scores, MII HER2 categories and genomic origin land in separate fields; the code is
    recorded as system|code; no other field is set."""
    value = read_value({"valueCodeableConcept": {"coding": [{"system": system, "code": code}]}})
    assert getattr(value, field) == expected
    assert value.coded == [f"{system}|{code}"] and value.problems == []
    others = {"qualitative", "ihc_score", "her2_category", "origin"} - {field}
    assert all(getattr(value, name) is None for name in others)


def test_intensity_answer_is_recorded_but_states_nothing():
    """A stain intensity (Weak/Moderate/Strong) is not a receptor status: recorded, but the value stays empty."""
    value = read_value({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA13034-6"}]}})
    assert value.coded == [f"{LNC}|LA13034-6"] and value.empty and value.qualitative is None


def test_unknown_codes_are_reported_with_at_most_three_shown():
    """Answer codes outside the tables: 'unrecognised-value', naming up to three of them, never a status."""
    concept = {"coding": [{"system": "http://x", "code": str(n)} for n in range(5)], "text": "   "}
    value = read_value({"valueCodeableConcept": concept})
    assert value.empty and value.text is None
    [(code, message)] = value.problems
    assert code == "unrecognised-value"
    assert "http://x|0" in message and "http://x|2" in message and "http://x|3" not in message


def test_code_with_wrong_syntax_for_its_system_is_reported():
    """A SNOMED id sent as a LOINC answer cannot be valid: 'invalid-code-for-system' plus unrecognised."""
    value = read_value({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "10828004"}]}})
    assert problem_codes(value) == ["invalid-code-for-system", "unrecognised-value"]
    assert value.qualitative is None
    fine = read_value({"valueCodeableConcept": {"coding": [{"system": "http://local", "code": "10828004"}]}})
    assert problem_codes(fine) == ["unrecognised-value"]


def test_non_string_codes_are_skipped_and_a_later_code_is_read():
    value = read_value({"valueCodeableConcept": {"coding": [{"system": LNC, "code": 6576},
                                                            {"system": LNC, "code": "LA6577-6"}]}})
    assert value.qualitative == "negative" and value.problems == []


# ---- CodeableConcept.text ------------------------------------------------------------------------

def test_text_alone_is_read_through_the_synonyms_and_kept():
    """No coding: the text is read (here "Pos" = positive) and kept as the value's text."""
    value = read_value({"valueCodeableConcept": {"text": " Pos "}})
    assert value.qualitative == "positive" and value.text == " Pos " and value.problems == []


def test_text_alone_copies_every_parsed_piece():
    """A legacy text in a CodeableConcept gives the same pieces as the same string in valueString."""
    value = read_value({"valueCodeableConcept": {"text": "less than 1.8"}})
    assert fields(value, "number", "comparator", "ratio_high", "ratio_low") == (1.8, "<", 1.8, None)
    value = read_value({"valueCodeableConcept": {"text": "1.8-2.2"}})
    assert fields(value, "ratio_low", "ratio_high") == (1.8, 2.2)
    value = read_value({"valueCodeableConcept": {"text": "5%"}})
    assert fields(value, "number", "unit") == (5.0, "%")
    value = read_value({"valueCodeableConcept": {"text": "IHC 2+"}})
    assert value.ihc_score == "2+"
    value = read_value({"valueCodeableConcept": {"text": "HER2-low"}})
    assert value.her2_category == "low"


def test_unreadable_text_without_a_code_is_a_problem():
    value = read_value({"valueCodeableConcept": {"text": "see pathology report"}})
    assert value.empty and problem_codes(value) == ["unparseable-value"] and value.text == "see pathology report"


@pytest.mark.parametrize("text, ihc, category", [
    ("ultralow", "0-ultralow", "ultralow"), ("faint staining, ultra-low", "0-ultralow", "ultralow"),
    ("null", "0-null", "null"), ("no staining", "0-null", "null"),
    ("positive", "0", None), ("1+", "0", None),
])
def test_text_refines_only_an_ihc_zero(text, ihc, category):
    """With a recognised IHC 0 code, text may only split it into ultralow or null (ASCO/CAP 2023)."""
    value = read_value({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA6111-4"}], "text": text}})
    assert (value.ihc_score, value.her2_category, value.qualitative) == (ihc, category, None)


@pytest.mark.parametrize("code, text", [("LA11841-6", "ultralow"), ("LA11841-6", "null"), ("LA6576-8", "5%")])
def test_text_never_changes_another_code(code, text):
    """Text beside a 1+ or a Positive code changes nothing: the code decides."""
    value = read_value({"valueCodeableConcept": {"coding": [{"system": LNC, "code": code}], "text": text}})
    assert value.her2_category is None and value.number is None and value.problems == []
    assert value.text == text


# ---- valueString: synonyms, IHC scores, HER2 categories ------------------------------------------

@pytest.mark.parametrize("text, qualitative", [
    ("positive", "positive"), ("POS", "positive"), ("+", "positive"), ("Detected", "positive"),
    ("negative", "negative"), ("-", "negative"), ("not detected", "negative"), ("Amplified", "amplified"),
    ("not amplified", "not-amplified"), ("Low  positive", "low-positive"), ("equivocal", "equivocal"),
    ("not tested", "not-tested"), ("unknown", "unknown"),
])
def test_synonyms(text, qualitative):
    """Case and runs of spaces do not matter; only listed synonyms are read."""
    value = string(text)
    assert value.qualitative == qualitative and value.problems == [] and value.text == text


@pytest.mark.parametrize("text, ihc", [
    ("3+", "3+"), ("2 +", "2+"), ("IHC 1+", "1+"), ("ihc3+", "3+"), ("IHC   2", "2+"), ("score 1", "1+"),
    ("IHC score 3", "3+"), ("0", "0"), ("IHC 0", "0"), ("0+", "0"),
])
def test_ihc_scores_in_text(text, ihc):
    value = string(text)
    assert value.ihc_score == ihc and value.qualitative is None and value.number is None


@pytest.mark.parametrize("text", ["4+", "3++", "+3", "ihc", "score"])
def test_not_ihc_scores(text):
    """Only 0-3 with a '+' or an 'IHC'/'score' prefix is a score."""
    value = string(text)
    assert value.ihc_score is None and problem_codes(value) == ["unparseable-value"]


def test_bare_digit_is_a_number_not_a_score():
    """"2" alone is a number (a ratio or percent to its reader), not IHC 2+; "0" alone is IHC 0."""
    value = string("2")
    assert (value.ihc_score, value.number, value.comparator, value.unit) == (None, 2.0, None, None)


@pytest.mark.parametrize("text, ihc, category", [
    ("HER2-ultralow", None, "ultralow"), ("her2 ultra-low", None, "ultralow"),
    ("0 ultralow", "0-ultralow", "ultralow"), ("IHC 0 (ultra-low)", "0-ultralow", "ultralow"),
    (">0 <1+", "0-ultralow", "ultralow"), ("0 with membrane staining", "0-ultralow", "ultralow"),
    ("0, null", "0-null", "null"), ("IHC 0 no staining", "0-null", "null"),
    ("HER2-low", None, "low"), ("her2 low", None, "low"),
])
def test_her2_categories_in_text(text, ihc, category):
    """Ultralow/null are halves of IHC 0: the score is refined only when the text itself says 0 (or IHC ...)."""
    value = string(text)
    assert (value.ihc_score, value.her2_category, value.qualitative) == (ihc, category, None)
    assert value.problems == []


@pytest.mark.parametrize("text", ["null", "no staining", "HER2 null"])
def test_null_without_a_zero_is_not_read(text):
    """'null' or 'no staining' alone does not say IHC 0 (it could be a missing value): unreadable."""
    value = string(text)
    assert value.her2_category is None and value.ihc_score is None
    assert problem_codes(value) == ["unparseable-value"]


# ---- legacy numeric strings ------------------------------------------------------------------------

@pytest.mark.parametrize("text, low, high", [
    ("1.8-2.2", 1.8, 2.2), ("2.2 - 1.8", 1.8, 2.2), ("1.8 to 2.2", 1.8, 2.2), ("1.8–2.2", 1.8, 2.2), ("4-4", 4.0, 4.0),
])
def test_ranges(text, low, high):
    """A range gives both bounds, in order, and no single number."""
    value = string(text)
    assert fields(value, "ratio_low", "ratio_high", "number", "comparator") == (low, high, None, None)
    assert value.problems == []


@pytest.mark.parametrize("text", ["10-20%", "1 - 10 %", "1 to 10%"])
def test_percent_ranges_are_refused(text):
    """A percent given as a range spans ASCO/CAP categories: reported, not read as a number or bounds."""
    value = string(text)
    assert fields(value, "number", "unit", "ratio_low", "ratio_high") == (None, "%", None, None)
    assert problem_codes(value) == ["percent-range", "unparseable-value"]


@pytest.mark.parametrize("text, comparator, num, unit, low, high", [
    ("less than 1.8", "<", 1.8, None, None, 1.8),
    ("Less than or equal to 1", "<=", 1.0, None, None, 1.0),
    ("greater than 2.2", ">", 2.2, None, 2.2, None),
    ("greater than or equal to 10%", ">=", 10.0, "%", 10.0, None),
    ("more than 10 %", ">", 10.0, "%", 10.0, None),
    ("under 1%", "<", 1.0, "%", None, 1.0),
    ("over 10 percent", ">", 10.0, "%", 10.0, None),
    ("<1%", "<", 1.0, "%", None, 1.0),
    ("< 1 %", "<", 1.0, "%", None, 1.0),
    ("<=1", "<=", 1.0, None, None, 1.0),
    (">10%", ">", 10.0, "%", 10.0, None),
    (">=2.0", ">=", 2.0, None, 2.0, None),
    ("≤1%", "<=", 1.0, "%", None, 1.0),
    ("≥ 10%", ">=", 10.0, "%", 10.0, None),
    ("5 %", None, 5.0, "%", None, None),
    ("5percent", None, 5.0, "%", None, None),
    ("2.4", None, 2.4, None, None, None),
])
def test_comparator_strings(text, comparator, num, unit, low, high):
    """Words and symbols for < <= > >= (the two-word forms before the one-word ones), with % or 'percent'."""
    value = string(text)
    assert fields(value, "comparator", "number", "unit", "ratio_low", "ratio_high") == (comparator, num, unit, low, high)
    assert value.problems == [] and value.text == text


@pytest.mark.parametrize("text", ["1.8-", "less than", "<", "about 5%", "5 mg", "5%%", ". 5", "1.8-2.2-2.6", "1,8"])
def test_not_numbers(text):
    value = string(text)
    assert value.number is None and value.ratio_low is None and value.ratio_high is None
    assert problem_codes(value) == ["unparseable-value"]


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_string_is_unreadable(text):
    value = string(text)
    assert value.empty and value.text == text and problem_codes(value) == ["unparseable-value"]


# ---- valueQuantity, valueRatio, valueInteger/Decimal ----------------------------------------------

@pytest.mark.parametrize("quantity, num, comparator, unit", [
    ({"value": 5, "unit": "%", "code": "%"}, 5.0, None, "%"),
    ({"value": 1, "comparator": "<", "code": "%"}, 1.0, "<", "%"),
    ({"value": 1, "comparator": "<="}, 1.0, "<=", None),
    ({"value": 10, "comparator": ">"}, 10.0, ">", None),
    ({"value": 10, "comparator": ">="}, 10.0, ">=", None),
    ({"value": 10, "comparator": "ad"}, 10.0, None, None),          # R5's 'ad' is not an R4 comparator
    ({"value": 10, "comparator": "~"}, 10.0, None, None),
    ({"value": "12.5", "unit": " percent "}, 12.5, None, "percent"),
    ({"value": 3, "unit": "percent", "code": "%"}, 3.0, None, "%"),  # the UCUM code wins over the display unit
    ({"value": 3, "unit": "%", "code": 7}, 3.0, None, "%"),
])
def test_quantity(quantity, num, comparator, unit):
    value = read_value({"valueQuantity": quantity})
    assert fields(value, "number", "comparator", "unit") == (num, comparator, unit) and value.problems == []


@pytest.mark.parametrize("quantity", [{}, {"value": None}, {"value": "five"}, {"value": True}])
def test_quantity_without_a_number_is_a_problem(quantity):
    value = read_value({"valueQuantity": {**quantity, "unit": "%", "comparator": "<"}})
    assert value.empty and value.comparator is None and value.unit is None
    assert problem_codes(value) == ["unparseable-value"]


@pytest.mark.parametrize("ratio, expected", [
    ({"numerator": {"value": 4.4}, "denominator": {"value": 2}}, 2.2),
    ({"numerator": {"value": 2.2}, "denominator": {"value": 1}}, 2.2),
    ({"numerator": {"value": 2.2}}, 2.2),
    ({"numerator": {"value": 2.2}, "denominator": {}}, 2.2),
    ({"numerator": {"value": "3"}, "denominator": {"value": "0.5"}}, 6.0),
])
def test_ratio(ratio, expected):
    """FHIR Ratio: numerator/denominator; a missing or unit denominator leaves the numerator as the ratio."""
    value = read_value({"valueRatio": ratio})
    assert value.ratio == pytest.approx(expected) and value.problems == []


@pytest.mark.parametrize("ratio, problem", [
    ({"denominator": {"value": 2}}, "no numerator"),
    ({"numerator": "2.2"}, "no numerator"),
    ({"numerator": {"value": None}}, "no numerator"),
    ({"numerator": {"value": 2.2}, "denominator": {"value": 0}}, "zero denominator"),
])
def test_ratio_that_cannot_be_read(ratio, problem):
    value = read_value({"valueRatio": ratio})
    assert value.ratio is None and problem_codes(value) == ["unparseable-value"] and problem in value.problems[0][1]


@pytest.mark.parametrize("holder, num", [
    ({"valueInteger": 7}, 7.0), ({"valueDecimal": 2.5}, 2.5), ({"valueDecimal": "2.5"}, 2.5),
    ({"valueInteger": None}, None), ({"valueInteger": True}, None), ({"valueDecimal": "x"}, None),
])
def test_integer_and_decimal(holder, num):
    value = read_value(holder)
    assert value.number == num and value.unit is None and value.comparator is None


# ---- interpretation (only when there is no value) ----------------------------------------------------

@pytest.mark.parametrize("code, qualitative", [("POS", "positive"), ("NEG", "negative"), ("IND", "indeterminate"),
                                                ("DET", "positive"), ("ND", "negative")])
def test_v3_interpretation(code, qualitative):
    """HL7 v3 interpretation codes with a plain qualitative meaning are read when no value is given."""
    value = read_value({"interpretation": [{"coding": [{"system": V3, "code": code}]}]})
    assert value.qualitative == qualitative and value.coded == [f"{V3}|{code}"]


@pytest.mark.parametrize("interpretation", [
    [{"coding": [{"system": V3, "code": "H"}]}],          # high: no receptor meaning
    [{"coding": [{"system": V3, "code": "A"}]}],
    [{"coding": [{"system": "http://other", "code": "POS"}]}],
    [{"coding": [{"system": V3, "code": 1}]}],
    [], None, "POS",
])
def test_interpretations_without_a_receptor_meaning(interpretation):
    value = read_value({"interpretation": interpretation})
    assert value.empty and value.coded == []


def test_interpretation_as_a_single_object_and_answer_codes():
    """One interpretation object (not a list) is read too, and answer codes (SNOMED Positive) work there."""
    value = read_value({"interpretation": {"coding": [{"system": SCT, "code": "260385009"}]}})
    assert value.qualitative == "negative" and value.coded == [f"{SCT}|260385009"]


def test_only_the_first_interpretation_is_read():
    value = read_value({"interpretation": [{"coding": [{"system": V3, "code": "H"}]},
                                           {"coding": [{"system": V3, "code": "POS"}]}]})
    assert value.qualitative is None


@pytest.mark.parametrize("holder", [
    {"valueQuantity": {"value": 0, "unit": "%"}}, {"valueString": "3+"}, {"valueString": "HER2-low"},
    {"valueRatio": {"numerator": {"value": 1.2}}}, {"valueString": "less than 1.8"}, {"valueString": "over 2.2"},
    {"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA6577-6"}]}},
])
def test_interpretation_never_overrides_a_value(holder):
    """A value of any kind (even 0 %) wins; the interpretation is not read at all."""
    value = read_value({**holder, "interpretation": [{"coding": [{"system": V3, "code": "POS"}]}]})
    assert value.qualitative != "positive" and f"{V3}|POS" not in value.coded


# ---- Value.empty ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, piece", [("qualitative", "positive"), ("ihc_score", "0"), ("her2_category", "low"),
                                         ("number", 0.0), ("ratio", 0.0), ("ratio_low", 1.0), ("ratio_high", 1.0),
                                         ("percent", 0.0)])
def test_any_stated_piece_makes_a_value_non_empty(name, piece):
    assert Value().empty and not Value(**{name: piece}).empty


def test_text_origin_and_unit_alone_state_nothing():
    assert Value(text="x", origin="germline", unit="%", comparator="<", coded=["a|b"]).empty


# ---- as_percent and percent_interval -------------------------------------------------------------------

@pytest.mark.parametrize("num, unit, percent, problem", [
    (5, "%", 5.0, None), (5, "PERCENT", 5.0, None), (5, "pct", 5.0, None), (0.5, "%", 0.5, None),
    (0, None, 0.0, None), (0, "1", 0.0, None),
    (0.001, None, None, "unit-ambiguous"), (1, None, None, "unit-ambiguous"), (1, "{fraction}", None, "unit-ambiguous"),
    (0.5, "fraction", None, "unit-ambiguous"), (0.5, "", None, "unit-ambiguous"),
    (1.01, None, 1.01, "unit-missing"), (100, None, 100.0, "unit-missing"), (40, "1", 40.0, "unit-missing"),
    (100.5, None, None, "unexpected-unit"), (5, "mg", None, "unexpected-unit"), (5, "%25", None, "unexpected-unit"),
])
def test_as_percent_edges(num, unit, percent, problem):
    """A '%' unit is a percent; without one, 0 is 0 %, (0, 1] could be a fraction (b.1 UNIT_AMBIGUOUS), (1, 100] is
    read as a percent and said so, anything else is refused."""
    got, problems = as_percent(Value(number=num, unit=unit))
    assert got == percent
    assert [p[0] for p in problems] == ([problem] if problem else [])


def test_as_percent_of_no_number():
    assert as_percent(Value(unit="%")) == (None, [])


@pytest.mark.parametrize("comparator, interval", [
    ("<", (0.0, 1.0, False, True)), ("<=", (0.0, 1.0, False, False)),
    (">", (1.0, 100.0, True, False)), (">=", (1.0, 100.0, False, False)),
    (None, (1.0, 1.0, False, False)), ("~", (1.0, 1.0, False, False)),
])
def test_percent_interval(comparator, interval):
    """'<1 %' allows [0, 1), '<=1 %' [0, 1], '>1 %' (1, 100], '>=1 %' [1, 100], a bare 1 % exactly 1."""
    assert percent_interval(1.0, comparator) == interval


def test_ihc_zero_code_with_null_text_is_her2_null_through_assess():
    """Bug fixed: an IHC 0 answer code whose text says "no staining" was left as unspecified IHC 0; the text now
    refines it to HER2-null (ASCO/CAP 2023: IHC 0 with no membrane staining), as "ultralow" text already did."""
    from test_readers_assess import CONFIG, obs, patient
    from cds_hooks.decision import assess

    her2 = obs("85319-2", valueCodeableConcept={"coding": [{"system": LNC, "code": "LA6111-4"}], "text": "No staining"})
    assert assess([patient(), her2], CONFIG).her2.expression == "null"
    her2["valueCodeableConcept"]["text"] = "faint incomplete staining, ultralow"
    assert assess([patient(), her2], CONFIG).her2.expression == "ultralow"


def test_unknown_but_well_formed_loinc_answer_is_only_unrecognised():
    """A LOINC answer code of valid syntax that we do not know is 'unrecognised', not 'invalid for its system'."""
    for system, code in ((LNC, "LA99999-9"), (SCT, "123456789")):
        value = read_value({"valueCodeableConcept": {"coding": [{"system": system, "code": code}]}})
        assert problem_codes(value) == ["unrecognised-value"], (system, code)


@pytest.mark.parametrize("ratio", [{"numerator": {"value": 4.4}, "denominator": 2},
                                   {"numerator": {"value": 4.4}, "denominator": "2"},
                                   {"numerator": 4.4, "denominator": [2]}])
def test_malformed_ratio_parts_never_raise(ratio):
    """Ratio parts that are not Quantity objects (invalid R4, refused at intake) do not crash the value reader."""
    assert isinstance(read_value({"valueRatio": ratio}), Value)
