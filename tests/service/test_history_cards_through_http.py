"""The cards a clinician reads for histories an independent review found wrong (issue 13 section 1), through HTTP.

Each test takes a curated case (fixtures/cases), lets a sandbox-like client run the discovery prefetch against the
real FHIR server loaded with it, posts patient-view to the real service, and reads the card text. Expectations are
written from the rule (clinical-knowledge.md b.3, P9; ESMO ABC 5; ASCO/CAP) before running the code:
- a local recurrence never biopsied: one card asks for a biopsy *of the recurrence* (P9) and answers "results
  predate the recurrence" (P13) on the same card; the setting line names the recurrence;
- a biopsy of a local recurrence is "(recurrence)", never "(primary tumour)";
- a receptor positive only on tissue taken after treatment began is never explained as "samples taken before any
  systemic therapy disagree".
"""
from __future__ import annotations

import datetime
import json
import uuid

from cds_hooks.decision import DecisionConfig

from .conftest import REPO
from .test_cases_through_http import prefetch_like_a_client

CASES = REPO / "fixtures" / "cases"


def cards_for(name: str, server, make_cds) -> list[dict]:
    case = json.loads((CASES / f"{name}.json").read_text())
    config = DecisionConfig(today=datetime.date.fromisoformat(case["today"]), **case.get("config", {}))
    body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/case-runner", "patientId": name},
            "prefetch": prefetch_like_a_client(server.base_url, name)}
    response = make_cds(config=config).post("/cds-services/receptor-assessment", body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["cards"]


def card(cards: list[dict], topic: str) -> dict:
    found = [c for c in cards if c["source"]["topic"]["code"] == topic]
    assert len(found) == 1, [c["source"]["topic"]["code"] for c in cards]
    return found[0]


def test_unbiopsied_local_recurrence_one_card_asks_for_a_biopsy_of_the_recurrence(fhir_server, make_cds):
    cards = cards_for("history2-local-recurrence-unbiopsied-retest", fhir_server, make_cds)
    retest = card(cards, "receptor-retest-at-recurrence")
    assert retest["extension"]["receptor-cds"]["coveredTopics"] == ["stale-biomarker"]
    assert "local or regional recurrence is recorded (2024-03-01)" in retest["detail"]
    assert "Biopsy the recurrence" in retest["detail"]
    assert "biopsy of the metastasis" not in retest["detail"].lower()
    (order,) = [s for s in retest["suggestions"] if s["actions"][0]["type"] == "create"]
    assert order["label"] == "Order biopsy of the recurrence with ER, PR and HER2"
    assert order["actions"][0]["resource"]["code"]["coding"][0]["code"] == "receptor-retest-recurrence"
    subtype = card(cards, "receptor-subtype")
    assert "- **Setting:** early; local or regional recurrence from 2024-03-01; no distant metastasis" in subtype["detail"]
    assert "has no ER/PR/HER2 result of its own" in subtype["detail"]
    # The 2015 core is the earlier tumour's: still "(primary tumour)".
    assert "left breast core biopsy (primary tumour), 2015-03-05" in subtype["detail"]


def test_a_recurrence_biopsy_is_named_a_recurrence_not_the_primary_tumour(fhir_server, make_cds):
    cards = cards_for("review-local-recurrence-her2-gained", fhir_server, make_cds)
    subtype = card(cards, "receptor-subtype")
    detail = subtype["detail"]
    assert "**HER2 positive**, IHC 3+, left breast recurrence core biopsy (recurrence), 2024-03-08" in detail
    assert "left breast recurrence core biopsy (primary tumour)" not in detail
    assert "local or regional recurrence from 2024-03-01" in detail


def test_a_positive_found_only_after_treatment_is_not_called_a_pre_treatment_disagreement(fhir_server, make_cds):
    cards = cards_for("history2-local-recurrence-unbiopsied-residual-positive", fhir_server, make_cds)
    discordance = card(cards, "receptor-sample-discordance")
    detail = discordance["detail"]
    assert "taken before any systemic therapy disagree" not in detail
    assert "HER2 positive on tissue taken after systemic therapy began" in detail
    assert "Earlier tumour, before the recurrence" in detail
    subtype = card(cards, "receptor-subtype")
    assert subtype["extension"]["receptor-cds"]["subtype"] == "triple-negative"
    assert subtype["extension"]["receptor-cds"]["governing"]["her2"]["rule"] == "early-results-only"


def test_a_right_breast_cancer_years_after_a_left_one_is_its_own_tumour(fhir_server, make_cds):
    """No new Condition: the right breast specimen's side tells the new primary (SEER: separate primaries)."""
    cards = cards_for("history2-contralateral-sample-no-condition-tnbc", fhir_server, make_cds)
    subtype = card(cards, "receptor-subtype")
    assert subtype["summary"] == "Receptor subtype triple-negative, early setting"
    assert "new primary in the other breast from 2025-02-03" in subtype["detail"]
    assert "After treatment began" not in subtype["detail"]
    assert subtype["extension"]["receptor-cds"]["episode"]["newTumour"] == {"start": "2025-02-03", "kind": "new-primary"}


def test_when_the_record_cannot_tell_which_tumour_a_late_sample_is_the_card_says_so(fhir_server, make_cds):
    cards = cards_for("history2-later-breast-sample-side-unknown", fhir_server, make_cds)
    subtype = card(cards, "receptor-subtype")
    assert "Which tumour this tissue is from cannot be told from the record" in subtype["detail"]
    assert "its side (left or right breast) is not recorded" in subtype["detail"]
    assert "After treatment began" not in subtype["detail"]          # never "residual disease" nine years on


def test_an_untested_new_primary_gets_no_subtype_from_the_earlier_cancer(fhir_server, make_cds):
    cards = cards_for("history2-new-primary-condition-untested", fhir_server, make_cds)
    subtype = card(cards, "receptor-subtype")
    assert subtype["summary"].startswith("Receptor subtype cannot be stated yet: the new primary in the other breast "
                                         "(2025-02-03) has no ER, PR or HER2 result")
    assert not [c for c in cards if c["source"]["topic"]["code"] == "treatment-options"]


def test_bilateral_cancers_with_different_subtypes_are_both_stated_and_sent_to_the_tumour_board(fhir_server, make_cds):
    """SEER: the two breasts' tumours are separate primaries; no guideline merges them into one subtype."""
    cards = cards_for("history2-bilateral-synchronous-different-subtypes", fhir_server, make_cds)
    subtype = card(cards, "receptor-subtype")
    assert subtype["summary"] == ("Two primary breast cancers with different subtypes: left HR+/HER2-, right "
                                  "triple-negative; early setting")
    assert "- **Right breast tumour: triple-negative**" in subtype["detail"]
    block = subtype["extension"]["receptor-cds"]
    assert block["subtype"] == "indeterminate"
    assert [(t["side"], t["subtype"]) for t in block["tumours"]] == [("left", "HR+/HER2-"), ("right", "triple-negative")]
    bilateral = card(cards, "bilateral-subtypes-differ")
    assert bilateral["indicator"] == "warning" and "tumour board" in bilateral["detail"]
    assert bilateral["source"]["url"] == "https://seer.cancer.gov/tools/solidtumor/"
    options = card(cards, "treatment-options")
    assert "For the right breast tumour triple-negative." in options["detail"]
    assert "For the left breast tumour HR+/HER2-." in options["detail"]
    assert not [c for c in cards if c["source"]["topic"]["code"] == "receptor-sample-discordance"]
    assert not any("same tumour" in c["detail"] for c in cards)


def test_her2_directed_therapy_for_the_her2_positive_breast_is_no_conflict(fhir_server, make_cds):
    cards = cards_for("history2-bilateral-synchronous-her2-right-trastuzumab", fhir_server, make_cds)
    topics = {c["source"]["topic"]["code"] for c in cards}
    assert "anti-her2-for-her2-negative" not in topics and "bilateral-subtypes-differ" in topics
