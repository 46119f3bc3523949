"""The shipped RxNorm table that order checks rely on: products and brands roll up to ingredients and classes."""
from __future__ import annotations

import socket

import pytest

from cds_hooks.knowledge.drugs import (
    DRUG_CLASSES, INGREDIENTS, PRODUCTS, RXNORM, SNOMED, classify_medication, is_anti_her2, is_cytotoxic, is_endocrine,
)

# Synthea breast-cancer module codes (clinical-knowledge.md a.5), current and older module.
SYNTHEA_CODES = [
    ("198240", "tamoxifen", "serm"), ("199224", "anastrozole", "aromatase-inhibitor"),
    ("200064", "letrozole", "aromatase-inhibitor"), ("310261", "exemestane", "aromatase-inhibitor"),
    ("727762", "fulvestrant", "serd"), ("1601380", "palbociclib", "cdk46-inhibitor"),
    ("1873983", "ribociclib", "cdk46-inhibitor"), ("1946840", "abemaciclib", "cdk46-inhibitor"),
    ("2119714", "trastuzumab", "anti-her2-antibody"), ("1658084", "ado-trastuzumab emtansine", "anti-her2-adc"),
    ("672149", "lapatinib", "her2-tki"), ("1940648", "neratinib", "her2-tki"), ("583214", "paclitaxel", "taxane"),
    ("1734919", "cyclophosphamide", "alkylator"), ("1790099", "doxorubicin", "anthracycline"),
    ("1732186", "epirubicin", "anthracycline"), ("597195", "carboplatin", "platinum"),
    ("1791701", "fluorouracil", "fluoropyrimidine"),
    ("203769", "letrozole", "aromatase-inhibitor"), ("262485", "anastrozole", "aromatase-inhibitor"),
    ("262105", "exemestane", "aromatase-inhibitor"), ("203870", "fulvestrant", "serd"),
    ("101306", "trastuzumab", "anti-her2-antibody"), ("1298949", "pertuzumab", "anti-her2-antibody"),
    ("1371046", "ado-trastuzumab emtansine", "anti-her2-adc"), ("659616", "lapatinib", "her2-tki"),
    ("1940649", "neratinib", "her2-tki"), ("3002", "cyclophosphamide", "alkylator"),
    ("42512", "doxorubicin", "anthracycline"), ("203766", "epirubicin", "anthracycline"),
    ("202982", "docetaxel", "taxane"), ("40048", "carboplatin", "platinum"), ("4492", "fluorouracil", "fluoropyrimidine"),
]


@pytest.mark.parametrize("code,ingredient,drug_class", SYNTHEA_CODES)
def test_synthea_codes_roll_up(code, ingredient, drug_class):
    """Every Synthea product/brand code of a.5 rolls up to its ingredient and class."""
    name, rxcui, cls = classify_medication(RXNORM, code)
    assert (name, cls) == (ingredient, drug_class)
    assert rxcui == next(i.rxcui for i in INGREDIENTS if i.name == ingredient)


def test_taxotere_labelled_paclitaxel_is_docetaxel():
    """Synthea's 'Paclitaxel' state orders 202982 (Taxotere): the code wins over the label."""
    assert classify_medication(RXNORM, "202982")[0] == "docetaxel"


@pytest.mark.parametrize("code", ["1114085", "203000", "0", "", "abc"])
def test_codes_outside_the_table_are_unknown(code):
    """Codes whose ingredient the reference does not establish (zoledronic acid, Megace) stay unknown."""
    assert classify_medication(RXNORM, code) is None


@pytest.mark.parametrize("system,code,ingredient", [
    (SNOMED, "386911004", "letrozole"), (SNOMED, "387003001", "trastuzumab"),
    ("urn:oid:2.16.840.1.113883.6.88", "10324", "tamoxifen"), (RXNORM + "/", "84857", "anastrozole"),
    (RXNORM, " 72965 ", "letrozole"),
])
def test_other_systems_and_spacing(system, code, ingredient):
    """SNOMED substance codes (BCT map), the RxNorm OID and stray whitespace are understood."""
    assert classify_medication(system, code)[0] == ingredient


@pytest.mark.parametrize("system,code", [("http://loinc.org", "10324"), (None, "10324"), (RXNORM, None), (RXNORM, 10324)])
def test_wrong_system_or_type_is_unknown(system, code):
    """An RxNorm code under another system, or a non-string, is not classified."""
    assert classify_medication(system, code) is None


def test_every_ingredient_and_class_is_consistent():
    """Each ingredient has a known class and a verification mark; each product points at an ingredient."""
    names = {i.name for i in INGREDIENTS}
    for ingredient in INGREDIENTS:
        assert ingredient.drug_class in DRUG_CLASSES and ingredient.verification in ("V2", "V1", "U")
    for product in PRODUCTS:
        assert product.ingredient in names


@pytest.mark.parametrize("cls,endocrine,anti_her2,cytotoxic", [
    ("aromatase-inhibitor", True, False, False), ("oral-serd", True, False, False), ("gnrh-agonist", False, False, False),
    ("tdxd", False, False, False), ("anti-her2-adc", False, True, False), ("her2-tki", False, True, False),
    ("taxane", False, False, True), ("cdk46-inhibitor", False, False, False), (None, False, False, False),
])
def test_class_groups(cls, endocrine, anti_her2, cytotoxic):
    """Class groups drive the rules: T-DXd is not 'anti-HER2 for HER2-positive only', GnRH is not ET."""
    assert (is_endocrine(cls), is_anti_her2(cls), is_cytotoxic(cls)) == (endocrine, anti_her2, cytotoxic)


def test_classification_needs_no_network(monkeypatch):
    """Classifying a code never opens a network connection (table shipped with the project)."""
    def refuse(*args, **kwargs):
        raise AssertionError("network used")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert classify_medication(RXNORM, "1946840")[0] == "abemaciclib"
