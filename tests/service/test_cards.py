"""cards.py: the card contract, rendered from model objects without HTTP."""
from __future__ import annotations

import json

import pytest

from cds_hooks.decision.model import (Alert, Assessment, Her2Finding, ReceptorFinding, ReceptorResult,
                                      SettingFinding, SourceRef)
from cds_hooks.service.cards import (OVERRIDE_REASONS, alert_card, data_gap_card, order_cards, patient_view_cards,
                                     prune, subtype_card, summary_text)
from cds_hooks.service.prefetch import DataGap
from cds_hooks.service.schemas import validator

GUIDE = SourceRef(id="g", label="A guideline", citation="A guideline 2020", url="https://guideline.test/x")
SEED = SourceRef(id="s", label="Seed 000", citation="seeds/000.txt")


def assessment(**kw) -> Assessment:
    base = dict(
        patient="p1", subtype="HR+/HER2-", hr="positive",
        er=ReceptorFinding("ER", "low-positive", 5.0, "percent", "2026-05-22", evidence=["Observation/er"]),
        pr=ReceptorFinding("PR", "negative", 0.0, "percent", "2026-05-22", evidence=["Observation/pr"]),
        her2=Her2Finding("negative", "low", "1+", basis="ihc", effective="2026-05-22", evidence=["Observation/her2"]),
        setting=SettingFinding("early"), knowledge_version="2026.11.1", modifiers=["ER-low"],
        history=[ReceptorResult("Observation/er", "ER", "http://loinc.org|85329-1", "2026-05-22", "final", False,
                                specimen="primary", specimen_site="Left breast <core>", percent=5.0, label="ER 5% (IHC)")],
    )
    base.update(kw)
    return Assessment(**base)


def alert(**kw) -> Alert:
    base = dict(code="P2", topic="er-low-positive", title="ER-low positive", severity="warning",
                message="Only 5% of nuclei.", action="Discuss.", evidence=["Observation/er"], sources=[SEED, GUIDE])
    base.update(kw)
    return Alert(**base)


def valid(cards: list[dict]) -> None:
    errors = list(validator("response").iter_errors({"cards": cards}))
    assert not errors, [e.message for e in errors]


def test_summary_is_cut_at_a_word_to_139_characters():
    """Long summaries end with an ellipsis within 139 characters (Inferno flags 140)."""
    text = summary_text("word " * 60)
    assert len(text) <= 139 and text.endswith("…")
    assert summary_text("short\nline") == "short line"


def test_prune_drops_null_and_empty_members_recursively():
    """None, "", [] and {} never reach the JSON (CH §Use of JSON)."""
    assert prune({"a": None, "b": "", "c": [], "d": {}, "e": {"f": None, "g": 1}, "h": [None, {}, 2]}) == \
        {"e": {"g": 1}, "h": [2]}


def test_subtype_card_carries_the_structured_block_and_evidence_with_dates_and_specimen():
    """The subtype card has the receptor-cds extension, the evidence line with date and specimen, a smart link."""
    card = subtype_card(assessment(), "https://app.test/launch")
    valid([card])
    assert card["indicator"] == "info"
    assert card["extension"]["receptor-cds"] == {
        "subtype": "HR+/HER2-", "her2Expression": "low", "er": "low-positive", "pr": "negative", "her2": "negative",
        "setting": "early", "evidence": ["Observation/er", "Observation/pr", "Observation/her2"],
        "knowledgeVersion": "2026.11.1", "episode": {"current": "unknown"}}
    assert "2026-05-22" in card["detail"] and "left breast" in card["detail"]  # the site by its plain name
    assert json.loads(card["links"][0]["appContext"]) == {"patient": "p1", "focus": "receptor-subtype"}


def test_markdown_detail_escapes_html():
    """Text from the chart cannot inject HTML into renderers that allow it (the sandbox does)."""
    card = subtype_card(assessment())
    assert "<core>" not in card["detail"] and "&lt;core&gt;" in card["detail"]


def test_no_smart_link_without_a_launch_url():
    """Without RECEPTOR_CDS_SMART_LAUNCH_URL there is no links member at all (never an empty array)."""
    card = subtype_card(assessment(), None)
    assert "links" not in card
    valid([card])


@pytest.mark.parametrize("severity", ["warning", "critical"])
def test_pitfall_indicator_is_the_rule_severity(severity):
    """A pitfall card's indicator is the severity the rule gave, so card and SMART page agree."""
    assert alert_card(alert(severity=severity), assessment())["indicator"] == severity


def test_pitfall_source_is_the_first_cited_source_with_a_url():
    """source.url points at the guideline behind the card, not a seed without an address."""
    card = alert_card(alert(), assessment())
    assert card["source"]["url"] == "https://guideline.test/x"
    assert card["source"]["topic"] == {"system": "urn:receptor-cds:card-topic", "code": "er-low-positive",
                                       "display": "ER-low positive (1-10%)"}  # the knowledge title


def test_chart_pitfall_has_no_suggestions_and_no_override_reasons():
    """A pitfall not about a draft order offers nothing to click and needs no override reason."""
    card = alert_card(alert(), assessment())
    assert "suggestions" not in card and "selectionBehavior" not in card and "overrideReasons" not in card


def test_order_card_offers_deletion_of_the_draft_and_the_missing_test():
    """An order conflict offers to delete the draft (resourceId) and to propose the missing test."""
    order = {"resourceType": "MedicationRequest", "id": "mr1", "medicationCodeableConcept": {"text": "olaparib"}}
    a = alert(code="P16", topic="brca-germline-unconfirmed", title="olaparib without germline BRCA",
              severity="warning", order="MedicationRequest/mr1",
              missing_test={"system": "http://loinc.org", "code": "21636-6", "display": "BRCA1 gene mutations found"})
    cards = order_cards(assessment(), [a, a], [order])
    valid(cards)
    assert len(cards) == 1
    actions = [s["actions"][0] for s in cards[0]["suggestions"]]
    assert actions[0] == {"type": "delete", "description": "Remove draft order MedicationRequest/mr1",
                          "resourceId": "MedicationRequest/mr1"}
    assert actions[1]["type"] == "create" and actions[1]["resource"]["subject"] == {"reference": "Patient/p1"}
    assert all(s["uuid"] for s in cards[0]["suggestions"])
    assert cards[0]["overrideReasons"] == list(OVERRIDE_REASONS)
    assert cards[0]["selectionBehavior"] == "any"   # remove the draft AND order the test may both be taken
    assert "olaparib" in cards[0]["suggestions"][0]["label"]


def test_patient_view_cards_are_unique_per_topic_and_order_and_valid():
    """Subtype first, then one card per distinct pitfall, then the data-gap card; all schema-valid."""
    a = assessment(alerts=[alert(), alert(), alert(code="P13", topic="stale-biomarker", title="Old result")])
    cards = patient_view_cards(a, gaps=[DataGap("conditions", "diagnoses", "the EHR did not prefetch it")])
    valid(cards)
    assert [c["source"]["topic"]["code"] for c in cards] == [
        "receptor-subtype", "er-low-positive", "stale-biomarker", "data-quality"]
    assert len({c["uuid"] for c in cards}) == len(cards)


def test_indeterminate_subtype_summary_says_why():
    """An indeterminate subtype names its first reason in the summary."""
    a = assessment(subtype="indeterminate", subtype_reasons=["HER2 IHC 2+ without ISH"])
    assert subtype_card(a)["summary"].endswith("HER2 IHC 2+ without ISH")


def test_no_gap_card_without_gaps():
    """Nothing missing, no data-gap card."""
    assert data_gap_card([]) is None


def test_every_option_status_has_clinician_words_on_cards_and_the_smart_page():
    """The closed option-status vocabulary is rendered in words everywhere (a new value cannot leak as code)."""
    from pathlib import Path

    from cds_hooks.decision.model import OPTION_STATUSES
    from cds_hooks.service.cards import OPTION_STATUS_WORDS

    page = (Path(__file__).resolve().parents[2] / "app" / "smart" / "templates" / "smart" / "page.html").read_text()
    for status in OPTION_STATUSES:
        assert status in OPTION_STATUS_WORDS
    assert "words.option_status_text(o.status)" in page       # the page says them through the same table
    assert OPTION_STATUS_WORDS["depends-on-prior-therapy"] == "depends on prior therapy: check"


def _case_assessment(name: str):
    from datetime import date
    from pathlib import Path

    from cds_hooks.decision import DecisionConfig, assess

    case = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "cases" / f"{name}.json").read_text())
    return assess([e["resource"] for e in case["bundle"]["entry"]], DecisionConfig(today=date.fromisoformat(case["today"])))


def test_cards_say_the_patient_is_male_and_never_speak_of_menopause():
    """Issue 13 section 5: the subtype and options cards say the patient is male; no menopause wording."""
    from cds_hooks.service.cards import options_card, subtype_card

    a = _case_assessment("male-patient")
    subtype, options = subtype_card(a), options_card(a)
    assert "**Patient:** male" in subtype["detail"]
    assert "**Patient:** male" in options["detail"]
    for text in (options["detail"], options["summary"]):
        assert "menopaus" not in text.lower() and "ovarian" not in text.lower()
    assert "GnRH agonist" in options["detail"] and "tamoxifen" in options["detail"]


def test_er_low_caveat_appears_once_on_the_options_card():
    from cds_hooks.service.cards import options_card

    a = _case_assessment("pitfall-p2-er-low")
    detail = options_card(a)["detail"]
    assert detail.count("ER-low (1-10% of nuclei)") == 1
    assert "**Patient:** male" not in detail
