"""How ``find_pitfalls`` feeds the rules: which chart drugs are checked for conflicts, which results count as receptor
history for P9, and the codes of the tests a card offers to order (an integrator maps them; they must not drift).

Sources: FHIR R4 MedicationRequest/MedicationStatement status value sets (active, on-hold, in-progress are being
given; intended is planned; completed, stopped, cancelled are not current); clinical-knowledge a.1/a.2 for the LOINC
codes; d/P9 for the receptor analytes (ER, PR, combined HR, HER2 IHC/ISH/ratio/copies/interpretation).
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig
from cds_hooks.decision.model import ClinicalEvent, ReceptorResult
from cds_hooks.decision.pitfalls import MISSING_TESTS, find_pitfalls

from test_options import make_assessment  # same directory (pytest rootdir-relative import)
from test_pitfalls_medication import drug

CFG = DecisionConfig(today=date(2026, 11, 1))


@pytest.mark.parametrize("status,draft,fires", [
    ("active", False, True), ("on-hold", False, True), ("in-progress", False, True), ("intended", False, True),
    ("draft", False, True), ("completed", True, True),
    ("completed", False, False), ("stopped", False, False), ("cancelled", False, False), ("entered-in-error", False, False),
])
def test_only_current_or_drafted_chart_drugs_are_checked_for_conflicts(status, draft, fires):
    a = make_assessment("triple-negative", "metastatic", medications=[drug("t", "tamoxifen", "serm", status=status,
                                                                           draft=draft)])
    got = [x for x in find_pitfalls(a, CFG) if x.code == "endocrine-for-hr-negative"]
    assert bool(got) is fires
    if fires:
        assert got[0].order == ("MedicationRequest/t" if draft else None)


def test_a_finished_chemotherapy_is_no_partner_for_p11():
    meds = [drug("e", "letrozole", "aromatase-inhibitor"), drug("c", "paclitaxel", "taxane", status="completed")]
    assert not [x for x in find_pitfalls(make_assessment("HR+/HER2-", "metastatic", medications=meds), CFG)
                if x.code == "P11"]


@pytest.mark.parametrize("analyte,counts", [
    ("ER", True), ("PR", True), ("HR", True), ("HER2-IHC", True), ("HER2-ISH", True), ("HER2-ISH-ratio", True),
    ("HER2-ISH-copies", True), ("HER2-status", True), ("Ki67", False), ("CEP17-copies", False),
])
def test_receptor_history_for_p9(analyte, counts):
    """Any receptor reading from before the relapse makes P9 ask for a biopsy of the metastasis; Ki-67 or CEP17 are
    not receptor results."""
    row = ReceptorResult("Observation/r", analyte, "x|y", "2020-01-05", "final", False, specimen="primary",
                         status="positive")
    a = make_assessment("HR+/HER2-", "metastatic", history=[row],
                        events=[ClinicalEvent("metastasis", "2026-01-10", "liver", ["Condition/m"])])
    assert bool([x for x in find_pitfalls(a, CFG) if x.code == "P9"]) is counts


def test_offered_test_codes():
    expected = {
        "her2-ish": ("http://loinc.org", "85318-4"), "her2-ihc": ("http://loinc.org", "85319-2"),
        "er-percent": ("http://loinc.org", "85329-1"),
        "her2-ultralow-rescore": ("urn:receptor-cds:test", "her2-ihc-ultralow-rescore"),
        "germline-brca": ("urn:receptor-cds:test", "germline-brca1-brca2"),
        "esr1": ("urn:receptor-cds:test", "esr1-mutation"),
        "pik3ca": ("urn:receptor-cds:test", "pik3ca-mutation"),
        "pik3ca-akt1-pten": ("urn:receptor-cds:test", "pik3ca-akt1-pten"),
        "pdl1-cps-22c3": ("urn:receptor-cds:test", "pdl1-cps-22c3"),
        "receptor-retest": ("urn:receptor-cds:test", "receptor-retest-metastasis"),
        "receptor-retest-recurrence": ("urn:receptor-cds:test", "receptor-retest-recurrence"),
    }
    assert {k: (v["system"], v["code"]) for k, v in MISSING_TESTS.items()} == expected
    assert all(v["display"] for v in MISSING_TESTS.values())
