"""Where two sources disagree, the product says so on the option or alert instead of picking silently."""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge.options import ER_LOW_NOTE, OPTIONS
from cds_hooks.knowledge.pitfalls import PITFALLS

CONFIG = DecisionConfig(today=date(2026, 11, 1))


# Where a seed page (kept as the row's internal provenance, never cited to a clinician: issue 13 §6) says something
# the label or guideline does not, the note states the citable side and that the other reading goes beyond it,
# without naming the seed.
@pytest.mark.parametrize("option_id, words, source", [
    # Seed 000: dual HER2 blockade for tumours >1 cm or N+; Perjeta/Phesgo labels (c): >2 cm or N+.
    ("early-her2-chemo-trastuzumab", ("1 cm", "2 cm"), "seed-000"),
    # Seed 002: sacituzumab after two prior therapies for metastatic disease; ASCENT label: >=2 systemic, >=1 metastatic.
    ("met-tnbc-sacituzumab", ("at least one", "adjuvant"), "seed-002"),
    # Seed 003: metastatic HR+/HER2- treatment "often starts with chemotherapy"; ASCO 2016: endocrine therapy first.
    ("met-endocrine-first", ("chemotherapy", "life-threatening", "do not follow"), "seed-003"),
    # Seed 000: pembrolizumab for PD-L1-positive TNBC; KEYNOTE-522 needs no PD-L1, KEYNOTE-355 needs CPS >=10 by 22C3.
    ("early-tnbc-keynote522", ("No PD-L1 result is needed", "22C3"), "seed-000"),
    ("met-tnbc-pembrolizumab", ("another assay", "22C3"), "seed-000"),
    # ASCO/CAP 2023: ultralow is not a formal result category; the FDA/EMA T-DXd labels use it.
    ("met-tdxd-db06", ("ASCO/CAP 2023", "category"), "asco-cap-2023-her2"),
    # EMA vs FDA (atezolizumab) and the ER-low boundary are surfaced already; kept here so they stay.
    ("met-tnbc-atezolizumab", ("EMA", "withdrawn"), "label-ema-tecentriq-6"),
    ("met-tdxd-db06", ("FDA and EMA",), "label-ema-enhertu-4"),
    # Prior-therapy conditions where the labels differ (the row depends on prior therapy where they part).
    ("met-capivasertib", ("FDA label", "12 months", "EMA label", "however long ago"), "label-ema-truqap"),
    ("early-neratinib-extended", ("FDA label", "no time limit", "EMA label", "less than a year"), "label-ema-nerlynx-0"),
    ("met-parp-gbrca", ("FDA talazoparib label", "no earlier treatment", "EMA"), "label-ema-lynparza-2"),
    ("met-oral-serd", ("EMERALD", "EMBER-3", "adjuvant"), "ember3-2025"),
])
def test_option_names_the_disagreement(option_id, words, source):
    """The option row carries a note naming both readings (a seed page never by name), and keeps the source."""
    spec = OPTIONS[option_id]
    text = " ".join(spec.notes)
    assert all(w.lower() in text.lower() for w in words), spec.notes
    assert source in spec.sources and "seed" not in text.lower()


@pytest.mark.parametrize("code, words", [
    ("P2", ("9%", "10%")),                  # ER-low upper bound: ASCO/CAP 1-10 % vs papers' 1-9 %
    ("P3", ("Allred",)),                    # historic Allred >=3 "positive" vs ASCO/CAP <1 % negative
    ("P9", ("meta-analysis", "one in five", "one in ten")),   # the conversion rates of the citable meta-analysis
])
def test_alert_names_the_disagreement(code, words):
    """The pitfall's wording states where its sources differ."""
    text = PITFALLS[code].message + " " + PITFALLS[code].action
    assert all(w.lower() in text.lower() for w in words), text


def test_er_low_note_names_both_boundaries():
    """The ER-low note on endocrine options gives both the 1-10% and the 1-9% definitions."""
    assert "1-10%" in ER_LOW_NOTE and "1-9%" in ER_LOW_NOTE


def _patient(*observations):
    return [{"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1960-01-01"},
            *({"subject": {"reference": "Patient/p"}, "status": "final", "effectiveDateTime": "2026-10-01", **o}
              for o in observations)]


def test_allred_total_is_noted_and_never_used_for_er_status():
    """An Allred score is reported as not used (Allred >=3 'positive' conflicts with ASCO/CAP) and decides nothing."""
    allred = {"resourceType": "Observation", "id": "allred",
              "code": {"coding": [{"system": "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
                                             "mii-cs-onko-senologie-biomarker", "code": "allred-score"}]},
              "valueInteger": 3}
    a = assess(_patient(allred), CONFIG)
    assert a.er.status == "unknown" and a.subtype == "indeterminate"
    note = next(n for n in a.data_quality if n.code == "allred-score-not-used")
    assert note.resource == "Observation/allred" and "ASCO/CAP" in note.message


def test_allred_component_beside_er_percent_is_noted_and_percent_decides():
    """An Allred component on an ER Observation is noted; the percent still decides ER status."""
    er = {"resourceType": "Observation", "id": "er",
          "code": {"coding": [{"system": "http://loinc.org", "code": "85329-1"}]},
          "valueQuantity": {"value": 0.5, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
          "component": [{"code": {"coding": [{"system": "urn:local", "code": "allred-score"}]}, "valueInteger": 3}]}
    a = assess(_patient(er), CONFIG)
    assert a.er.status == "negative"
    assert any(n.code == "allred-score-not-used" for n in a.data_quality)
