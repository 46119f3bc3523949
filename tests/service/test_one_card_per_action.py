"""One action, one card (issue 13 §5), override reasons that fit the card, buttons in clinician words,
and one list of card topic codes shared by cards, discovery, the JSON Schema and the README.

Expectations come from the issue's rule: retesting a metastasis answers "retest at recurrence",
"results predating the relapse" and "HER2-0 re-score", so they make one card whose ``source.topic`` is
the retest and whose ``coveredTopics`` name the others; a drug card is never folded into it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from cds_hooks.decision.model import (Alert, Assessment, Her2Finding, ReceptorFinding, ReceptorResult,
                                      SettingFinding, SourceRef)
from cds_hooks.decision.pitfalls import MISSING_TESTS
from cds_hooks.service.cards import (CARD_TOPICS, DRUG_OVERRIDE_REASONS, TEST_OVERRIDE_REASONS, TOPIC_DISPLAY,
                                     order_cards, patient_view_cards)
from cds_hooks.service.discovery import discovery_document
from cds_hooks.service.schemas import validator

from .card_rules import card_problems

REPO = Path(__file__).resolve().parents[2]
GUIDE = SourceRef("g", "A guideline", "A guideline 2020", "https://doi.org/10.1000/guide")
TRIAL = SourceRef("t", "A trial", "A trial 2024", "https://doi.org/10.1000/trial")


def results() -> list[ReceptorResult]:
    base = dict(effective="2021-03-10", fhir_status="final", provisional=False, specimen="primary",
                specimen_site="Left breast structure (body structure)")
    return [ReceptorResult("Observation/er", "ER", "http://loinc.org|85329-1", percent=90.0, status="positive", **base),
            ReceptorResult("Observation/her2", "HER2-IHC", "http://loinc.org|85319-2", ihc_score="0", status="negative",
                           **base)]


def assessment(alerts: list[Alert]) -> Assessment:
    return Assessment(
        patient="p1", subtype="HR+/HER2-", hr="positive",
        er=ReceptorFinding("ER", "positive", 90.0, "percent", "2021-03-10", evidence=["Observation/er"]),
        pr=ReceptorFinding("PR", "unknown"),
        her2=Her2Finding("negative", "zero-unspecified", "0", evidence=["Observation/her2"]),
        setting=SettingFinding("metastatic", "secondary-neoplasm-condition", ["Condition/met"]),
        knowledge_version="2026.11.9", history=results(), alerts=alerts)


def retest() -> Alert:
    return Alert("P9", "receptor-retest-at-recurrence", "Retest receptors at recurrence", "warning",
                 "Results come from the primary only.", "Biopsy the metastasis and repeat ER, PR and HER2.",
                 ["Observation/er", "Observation/her2", "Condition/met"], [GUIDE],
                 missing_test=MISSING_TESTS["receptor-retest"])


def stale(evidence=("Observation/er", "Observation/her2")) -> Alert:
    return Alert("P13", "stale-biomarker", "Results predate the relapse", "warning",
                 "ER and HER2 results predate the metastasis.", "Repeat the tests on the current disease.",
                 list(evidence), [GUIDE])


def rescore() -> Alert:
    return Alert("P8", "her2-zero-rescore-ultralow", "HER2 IHC 0: check for ultralow", "warning",
                 "IHC 0 not annotated as null or ultralow.", "Ask pathology to re-score the IHC 0 slide.",
                 ["Observation/her2", "MedicationRequest/letrozole"], [TRIAL],
                 missing_test=MISSING_TESTS["her2-ultralow-rescore"])


def pitfall_cards(cards: list[dict]) -> list[dict]:
    return [c for c in cards if c["source"]["topic"]["code"] not in ("receptor-subtype", "treatment-options")]


def test_retest_answers_three_pitfalls_on_one_card():
    """Retest, results predating the relapse and the HER2-0 re-score: one card, the retest leading, the others covered."""
    cards = patient_view_cards(assessment([retest(), stale(), rescore()]), smart_launch_url="https://app.test/launch")
    assert not card_problems({"cards": cards}) and not list(validator("response").iter_errors({"cards": cards}))
    (card,) = pitfall_cards(cards)
    assert card["source"]["topic"]["code"] == "receptor-retest-at-recurrence"
    assert card["extension"]["receptor-cds"]["coveredTopics"] == ["stale-biomarker", "her2-zero-rescore-ultralow"]
    for title in ("Retest receptors at recurrence", "Results predate the relapse", "HER2 IHC 0: check for ultralow"):
        assert title in card["detail"]
    assert "ultralow" in card["detail"].split("**What to do:**")[1]          # the new sample is asked to be scored
    assert [s["label"] for s in card["suggestions"]] == ["Order biopsy of the metastasis with ER, PR and HER2"]
    assert card["detail"].count("https://doi.org/10.1000/guide") == 1          # a source cited twice is listed once
    assert json.loads(card["links"][0]["appContext"])["focus"] == "receptor-retest-at-recurrence"


def test_an_esr1_result_predating_progression_keeps_its_own_card():
    """P13 naming an ESR1 result needs a ctDNA test, another act: it is not folded into the retest card."""
    cards = pitfall_cards(patient_view_cards(assessment([retest(), stale(("Observation/er", "Observation/esr1"))])))
    assert [c["source"]["topic"]["code"] for c in cards] == ["receptor-retest-at-recurrence", "stale-biomarker"]
    assert "extension" not in cards[0] and "extension" not in cards[1]


def test_without_a_retest_each_pitfall_is_its_own_card():
    """No retest due (or only the conversion variant of P9): P13 and P8 stand alone."""
    conversion = Alert("P9", "receptor-retest-at-recurrence", "Receptor conversion between primary and metastasis",
                       "warning", "ER differs.", "Treat by the metastasis.", ["Observation/er"], [GUIDE])
    for lead in ([], [conversion]):
        cards = pitfall_cards(patient_view_cards(assessment([*lead, stale(), rescore()])))
        assert [c["source"]["topic"]["code"] for c in cards][-2:] == ["stale-biomarker", "her2-zero-rescore-ultralow"]
        assert not any("extension" in c for c in cards)


def test_a_draft_order_card_is_never_folded_in():
    """An order conflict keeps its own card and its own suggestion to remove the draft."""
    order = {"resourceType": "MedicationRequest", "id": "d1", "medicationCodeableConcept": {"text": "trastuzumab"}}
    conflict = Alert("anti-her2-for-her2-negative", "anti-her2-for-her2-negative", "trastuzumab for HER2-negative",
                     "critical", "No target.", "Cancel.", ["MedicationRequest/d1"], [GUIDE], order="MedicationRequest/d1")
    cards = order_cards(assessment([]), [retest(), conflict], [order])
    assert [c["source"]["topic"]["code"] for c in cards] == ["receptor-retest-at-recurrence",
                                                             "anti-her2-for-her2-negative"]
    assert cards[1]["suggestions"][0]["actions"][0] == {"type": "delete", "description": "Remove draft order "
                                                        "MedicationRequest/d1", "resourceId": "MedicationRequest/d1"}


def test_override_reasons_fit_the_card():
    """A card asking for a test is dismissed for reasons about the test; a drug card for reasons about the drug."""
    test_card = pitfall_cards(patient_view_cards(assessment([retest()])))[0]
    assert test_card["overrideReasons"] == list(TEST_OVERRIDE_REASONS)
    assert not any("appropriate" in r["display"] or "order" in r["display"] for r in test_card["overrideReasons"])
    order = {"resourceType": "MedicationRequest", "id": "d1", "medicationCodeableConcept": {"text": "letrozole"}}
    drug = Alert("P14", "ai-without-ovarian-suppression", "letrozole without ovarian suppression", "critical",
                 "Premenopausal.", "Add a GnRH agonist.", ["MedicationRequest/d1"], [GUIDE], order="MedicationRequest/d1")
    drug_card = order_cards(assessment([]), [drug], [order])[0]
    assert drug_card["overrideReasons"] == list(DRUG_OVERRIDE_REASONS)
    assert {r["code"] for r in TEST_OVERRIDE_REASONS} != {r["code"] for r in DRUG_OVERRIDE_REASONS}


def test_buttons_name_tests_in_clinician_words():
    """Suggestion labels never show a LOINC long name; the coding keeps its LOINC display for the EHR."""
    for key, test in MISSING_TESTS.items():
        alert = Alert("P4", "her2-equivocal-needs-ish", "t", "warning", "m", "a", ["Observation/her2"], [GUIDE],
                      missing_test=test)
        (card,) = pitfall_cards(patient_view_cards(assessment([alert])))
        label = card["suggestions"][0]["label"]
        assert not re.search(r"\[|Cells\.|/100 cells|by Immune stain|by FISH", label), (key, label)
        resource = card["suggestions"][0]["actions"][0]["resource"]
        assert resource["code"]["coding"][0]["display"] == test["display"]
        assert resource["code"]["text"] == label.removeprefix("Order ")


def _readme_topics() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Cards and their topic codes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.M)


def test_topic_codes_are_one_list_in_code_discovery_schema_and_readme():
    """The new receptor-sample-discordance code and every other one: the same set everywhere a client reads it."""
    assert "receptor-sample-discordance" in CARD_TOPICS and len(set(CARD_TOPICS)) == len(CARD_TOPICS)
    schema = json.loads((REPO / "cds_hooks/service/schemas/response.json").read_text(encoding="utf-8"))
    assert set(schema["$defs"]["cardTopicCode"]["enum"]) == set(CARD_TOPICS)
    assert sorted(_readme_topics()) == sorted(CARD_TOPICS)
    for service in discovery_document()["services"]:
        listed = service["extension"]["receptor-cds"]["cardTopics"]
        assert {t["code"] for t in listed} == set(CARD_TOPICS)
        assert all(t["display"] == TOPIC_DISPLAY[t["code"]] for t in listed)
    assert not list(validator("discovery").iter_errors(discovery_document()))


def test_schema_refuses_an_unknown_topic_and_a_bad_covered_topic():
    """A topic outside the list, or coveredTopics holding one, fails the shipped response schema."""
    card = pitfall_cards(patient_view_cards(assessment([retest(), stale()])))[0]
    assert not list(validator("response").iter_errors({"cards": [card]}))
    bad_topic = json.loads(json.dumps(card))
    bad_topic["source"]["topic"]["code"] = "made-up-topic"
    bad_covered = json.loads(json.dumps(card))
    bad_covered["extension"]["receptor-cds"]["coveredTopics"] = ["made-up-topic"]
    for body in (bad_topic, bad_covered):
        assert list(validator("response").iter_errors({"cards": [body]}))
