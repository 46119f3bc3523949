"""Values, dates, specimens and data-quality findings in the words a clinician reads (issue 13 §6).

The expectations are written from the rule, not read back from the code: a value keeps the
comparator it was reported with (ASCO/CAP report ER as "<1%" when fewer than 1 % of nuclei stain;
Synthea's ISH "less than 1.8"), a date is the recorded date without time or zone, a SNOMED body
structure is its plain name, and no data-quality code reaches the text.
"""
from __future__ import annotations

import pytest

from cds_hooks.decision.model import (ClinicalEvent, DataQualityNote, Her2Finding, ReceptorFinding, ReceptorResult,
                                      SettingFinding)
from cds_hooks.knowledge.codes import DATA_QUALITY_CODES
from cds_hooks.knowledge.data_quality import DATA_QUALITY_WORDS, words_for
from cds_hooks.wording import (data_quality_items, date_text, finding_value_text, result_value_text, setting_text,
                               site_text, specimen_text, status_text)


def result(analyte="ER", **kw) -> ReceptorResult:
    base = dict(resource="Observation/r1", analyte=analyte, code="http://loinc.org|85329-1", effective="2026-09-15",
                fhir_status="final", provisional=False)
    base.update(kw)
    return ReceptorResult(**base)


@pytest.mark.parametrize("value,shown", [
    ("2015-11-01T23:15:14.456531+00:00", "2015-11-01"),     # Synthea: microseconds and a zone
    ("2019-08-24T14:06:30-05:00", "2019-08-24"),             # the recorded (local) day, not shifted
    ("2019-03", "2019-03"), ("2019", "2019"),                # partial dates keep their precision
    ("", "date not recorded"), (None, "date not recorded"), ("yesterday", "date not recorded"),
])
def test_dates_are_dates(value, shown):
    """A date is shown at the precision recorded, never with a time, microseconds or a zone."""
    assert date_text(value) == shown


@pytest.mark.parametrize("percent,comparator,shown", [(1.0, "<", "<1%"), (0.0, None, "0%"), (1.0, None, "1%"),
                                                      (10.0, "<=", "≤10%"), (95.0, ">", ">95%")])
def test_percent_keeps_its_comparator(percent, comparator, shown):
    """<1% stays <1% (it is not 1%, and not the same as 0%)."""
    assert result_value_text(result(percent=percent, comparator=comparator)) == shown


def test_er_finding_below_one_percent_reads_as_reported():
    """The chosen ER finding keeps the comparator of the result it rests on (the card once said "ER negative (1%)")."""
    er = ReceptorFinding("ER", "negative", 1.0, "percent", "2026-09-15", evidence=["Observation/r1"])
    assert finding_value_text(er, [result(percent=1.0, comparator="<")]) == "<1%"
    assert finding_value_text(er, [result(percent=1.0)]) == "1%"


def test_legacy_ish_ratio_keeps_less_than():
    """Synthea's "less than 1.8" reads "< 1.8" on the result and on the HER2 finding."""
    ish = result("HER2-ISH", resource="Observation/ish", ratio=1.8, comparator="<")
    assert result_value_text(ish) == "ratio < 1.8"
    her2 = Her2Finding("negative", "unknown", ish="not-amplified", ratio=1.8, evidence=["Observation/ish"])
    assert finding_value_text(her2, [ish]) == "ISH not amplified, ratio < 1.8"


@pytest.mark.parametrize("site,shown", [
    ("Left breast structure (body structure)", "left breast"),
    ("Liver structure (body structure)", "liver"),
    ("Structure of axillary lymph node (body structure)", "axillary lymph node"),
    ("Bone", "bone"), ("C78.7 liver", "C78.7 liver"), ("", None), (None, None),
])
def test_sites_by_plain_names(site, shown):
    """SNOMED body structures lose their semantic tag and the word "structure"."""
    assert site_text(site) == shown


def test_specimen_says_site_and_kind():
    assert specimen_text("metastasis", "Liver structure (body structure)") == "liver (metastasis)"
    assert specimen_text("primary", None) == "primary tumour, site not recorded"
    assert specimen_text("unknown", None) == "specimen not recorded"


@pytest.mark.parametrize("status,shown", [("low-positive", "low positive"), ("unknown", "not established"),
                                          ("negative", "negative"), (None, "not established")])
def test_statuses_in_words(status, shown):
    assert status_text(status) == shown


def test_metastatic_setting_says_why_beside_an_earlier_stage():
    """Never "metastatic (stage IIB)" without the reason: the metastasis record and the stage's date."""
    setting = SettingFinding("metastatic", "secondary-neoplasm-condition", ["Condition/met"], stage="IIB")
    events = [ClinicalEvent("stage", "2023-03-01", "Stage IIB", ["Observation/stage"], {"stage": "IIB"}),
              ClinicalEvent("metastasis", "2026-08-20T10:00:00+02:00", "Metastatic disease (C78.7)", ["Condition/met"])]
    text = setting_text(setting, events)
    assert text.startswith("metastatic: a diagnosis of metastatic (secondary) cancer, 2026-08-20")
    assert "stage IIB was recorded earlier (2023-03-01), before the metastasis" in text


def test_every_data_quality_code_has_words():
    """Each code the readers may report has a sentence and an action (add words in knowledge/data_quality.py)."""
    assert sorted(set(DATA_QUALITY_CODES) - set(DATA_QUALITY_WORDS)) == []
    for code, (problem, action) in DATA_QUALITY_WORDS.items():
        assert problem.endswith(".") and action.endswith("."), code
        assert code not in problem and code not in action
    assert words_for("a-code-added-tomorrow")[0] == "A record could not be used as recorded."


def test_data_quality_items_group_records_and_hide_codes():
    """One line per problem, with its records; neither the code nor the technical message is shown."""
    notes = [DataQualityNote("value-as-string", "HER2 ISH sent as a string ('less than 1.8')", "Observation/a"),
             DataQualityNote("value-as-string", "HER2 ISH sent as a string", "Observation/b"),
             DataQualityNote("conflicting-stage", "stage records disagree (IIIC in Condition/x)", "Observation/s")]
    items = data_quality_items(notes)
    assert [refs for _, _, refs in items] == [["Observation/a", "Observation/b"], ["Observation/s"]]
    text = " ".join(f"{p} {a}" for p, a, _ in items)
    assert "value-as-string" not in text and "conflicting-stage" not in text and "Condition/x" not in text
