"""The card rules a JSON Schema cannot say, checked on every service response the suite sees.

The shipped response schema covers shapes; these are the rest of CH §Card Attributes, the Inferno CRD
card checks (cards_validation.rb), the sandbox's rendering limits (checklist 1K/1L) and issue 3's
card contract: no null/empty member anywhere (CH §Use of JSON), unique uuids, one-line summaries,
the indicator policy, ``source.url`` and ``source.topic`` on every card, plain GFM (no HTML, no tables),
suggestions with actions and uuids, ``appContext`` only on ``smart`` links and naming the card's topic,
the ``receptor-cds`` extension of the subtype card with exactly the values issue 3 lists (plus issue 13's
``episode`` and ``governing``: what governs and why over the patient's history, and ``tumours``: each breast's own
call when there is cancer in both), and on a pitfall card
only ``coveredTopics`` (issue 13: one action, one card).
"""
from __future__ import annotations

import json
import re
import uuid
from typing import Any

TOPIC_SYSTEM = "urn:receptor-cds:card-topic"
INFO_TOPICS = {"receptor-subtype", "treatment-options"}
PITFALL_TOPICS = {
    "er-neg-pr-pos-discordance", "er-low-positive", "er-percent-missing", "her2-equivocal-needs-ish",
    "ish-group-needs-ihc", "her2-ish-atypical-group", "her2-ihc-score-missing", "her2-zero-rescore-ultralow",
    "receptor-retest-at-recurrence", "her2-low-heterogeneous", "endocrine-concurrent-chemo",
    "tumor-marker-only-progression", "stale-biomarker", "ai-without-ovarian-suppression", "pdl1-assay-mismatch",
    "brca-germline-unconfirmed", "data-quality", "conflicting-results", "locally-advanced-confirm",
    "targeted-drug-without-alteration", "endocrine-for-hr-negative", "anti-her2-for-her2-negative",
    "tdxd-for-her2-zero", "endocrine-not-withheld", "receptor-sample-discordance", "bilateral-subtypes-differ",
}
# The written severity policy (cds_hooks/knowledge/pitfalls.py, cds_hooks/service/cards.py): only a drug that
# cannot work for this tumour or patient is critical; rules may lower a pitfall to warning for a softer variant
# (e.g. HR status not established) but never raise one. Every other pitfall and the data-gap card are warning.
CRITICAL_TOPICS = {"endocrine-for-hr-negative", "anti-her2-for-her2-negative", "tdxd-for-her2-zero",
                   "ai-without-ovarian-suppression"}
# issue 3, "The receptor-subtype card carries the structured assessment in extension["receptor-cds"]".
EXTENSION_VALUES = {
    "subtype": {"HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative", "indeterminate"},
    "her2Expression": {"positive", "low", "ultralow", "null", "zero-unspecified", "unknown"},
    "er": {"positive", "low-positive", "negative", "unknown"},
    "pr": {"positive", "low-positive", "negative", "unknown"},
    "her2": {"positive", "negative", "equivocal", "unknown"},
    "setting": {"early", "metastatic", "unknown"},
}
# issue 13: the episode the patient is in, and the rule that made each receptor's sample govern (model.py).
EPISODES = {"early", "metastatic", "unknown"}
GOVERNING_RULES = {"metastatic-sample", "pre-treatment-samples", "post-treatment-only", "early-results-only", "condition"}
# Every card's source has an absolute url: sources the reference names only by repository point to that
# repository (cds_hooks/knowledge/sources.py), so no topic is exempt.
SOURCE_URL_MISSING_IN_KNOWLEDGE: set[str] = set()
_REFERENCE = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")
_ABSOLUTE = re.compile(r"^https?://[^\s/]+[^\s]*$")
_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")


def _empties(value: Any, path: str, top: bool = False) -> list[str]:
    found = []
    if value is None or value == "" or value == [] or value == {}:
        return [path]
    if isinstance(value, dict):
        for k, v in value.items():
            if top and k == "cards" and v == []:
                continue
            found += _empties(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _empties(v, f"{path}[{i}]")
    return found


def card_problems(body: dict[str, Any]) -> list[str]:
    """Every rule broken by a CDS service response body, as readable strings (empty when all hold)."""
    problems = [f"null or empty member at {p}" for p in _empties(body, "$", top=True)]
    uuids = [c.get("uuid") for c in body.get("cards", [])]
    if len(set(uuids)) != len(uuids):
        problems.append("card uuids are not unique")
    for i, card in enumerate(body.get("cards", [])):
        where = f"cards[{i}]"
        topic = (card.get("source") or {}).get("topic") or {}
        code = topic.get("code")
        try:
            uuid.UUID(card.get("uuid", ""))
        except ValueError:
            problems.append(f"{where}.uuid is not a UUID")
        summary = card.get("summary", "")
        if len(summary) > 139 or "\n" in summary:
            problems.append(f"{where}.summary longer than 139 characters or not one line")
        source = card.get("source") or {}
        url_optional = code in SOURCE_URL_MISSING_IN_KNOWLEDGE and "url" not in source
        if not source.get("label") or not (url_optional or _ABSOLUTE.match(source.get("url") or "")):
            problems.append(f"{where}.source needs a label and an absolute url (issue 3)")
        if topic.get("system") != TOPIC_SYSTEM or not topic.get("display") or code not in INFO_TOPICS | PITFALL_TOPICS:
            problems.append(f"{where}.source.topic {topic!r} is not one of ours")
        expected = {"info"} if code in INFO_TOPICS else {"warning", "critical"} if code in CRITICAL_TOPICS else {"warning"}
        if card.get("indicator") not in expected:
            problems.append(f"{where}.indicator {card.get('indicator')!r} breaks the policy for {code}")
        detail = card.get("detail", "")
        if _HTML_TAG.search(detail):
            problems.append(f"{where}.detail contains raw HTML")
        if any(_TABLE_RULE.match(line) for line in detail.splitlines()):
            problems.append(f"{where}.detail contains a GFM table")
        suggestions = card.get("suggestions", [])
        if suggestions:
            if card.get("selectionBehavior") not in ("at-most-one", "any"):
                problems.append(f"{where} has suggestions without selectionBehavior")
            if card.get("selectionBehavior") == "at-most-one" and sum(bool(s.get("isRecommended"))
                                                                     for s in suggestions) > 1:
                problems.append(f"{where} recommends several suggestions with at-most-one")
        elif "selectionBehavior" in card:
            problems.append(f"{where} has selectionBehavior without suggestions")
        for j, s in enumerate(suggestions):
            if not s.get("label") or not s.get("uuid") or not s.get("actions"):
                problems.append(f"{where}.suggestions[{j}] needs label, uuid (for feedback) and actions")
            for a in s.get("actions", []):
                if a.get("type") == "delete" and not _REFERENCE.match(a.get("resourceId", "")):
                    problems.append(f"{where}.suggestions[{j}] delete without a relative resourceId")
                if a.get("type") in ("create", "update") and not (a.get("resource") or {}).get("resourceType"):
                    problems.append(f"{where}.suggestions[{j}] {a.get('type')} without a resource")
        for reason in card.get("overrideReasons", []):
            if not (reason.get("system") and reason.get("code") and reason.get("display")):
                problems.append(f"{where}.overrideReasons entry without system, code and display")
        for link in card.get("links", []):
            if link.get("type") != "smart":
                if "appContext" in link:
                    problems.append(f"{where} absolute link with appContext")
                continue
            try:
                context = json.loads(link.get("appContext", ""))
            except ValueError:
                problems.append(f"{where} smart link appContext is not JSON")
                continue
            if set(context) != {"patient", "focus"} or context["focus"] != code:
                problems.append(f"{where} smart link appContext {context!r} does not name patient and this topic")
        extension = (card.get("extension") or {}).get("receptor-cds")
        if code in PITFALL_TOPICS and extension is not None:
            # One action, one card (issue 13 §5): the other pitfalls the card answers, never its own topic.
            covered = extension.get("coveredTopics")
            if set(extension) != {"coveredTopics"} or not isinstance(covered, list) or not covered:
                problems.append(f"{where} pitfall card extension {extension!r} is not just coveredTopics")
            elif code in covered or not set(covered) <= PITFALL_TOPICS or len(set(covered)) != len(covered):
                problems.append(f"{where} coveredTopics {covered!r} must be other pitfall topics, each once")
        if code == "receptor-subtype":
            if not isinstance(extension, dict):
                problems.append(f"{where} subtype card without extension['receptor-cds']")
                continue
            keys = set(extension)
            required = set(EXTENSION_VALUES) | {"knowledgeVersion"}
            if not required <= keys <= required | {"evidence", "episode", "governing", "tumours"}:
                problems.append(f"{where} receptor-cds members {sorted(keys)} differ from issue 3's")
            for name, allowed in EXTENSION_VALUES.items():
                if extension.get(name) not in allowed:
                    problems.append(f"{where} receptor-cds {name}={extension.get(name)!r} not in {sorted(allowed)}")
            episode = extension.get("episode", {})
            if episode.get("current") not in EPISODES:
                problems.append(f"{where} receptor-cds episode.current={episode.get('current')!r} not in {sorted(EPISODES)}")
            for tumour in extension.get("tumours", []):
                if tumour.get("side") not in ("left", "right") or any(
                        tumour.get(name) not in EXTENSION_VALUES[name] for name in ("subtype", "er", "pr", "her2",
                                                                                     "her2Expression")):
                    problems.append(f"{where} receptor-cds tumours member {tumour!r}")
            for name, governing in extension.get("governing", {}).items():
                if name not in ("er", "pr", "her2") or governing.get("rule") not in GOVERNING_RULES:
                    problems.append(f"{where} receptor-cds governing {name}={governing!r}")
            if not all(isinstance(r, str) and _REFERENCE.match(r.split("#")[0]) for r in extension.get("evidence", [])):
                problems.append(f"{where} receptor-cds evidence holds something other than resource references")
            if not re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", str(extension.get("knowledgeVersion"))):
                problems.append(f"{where} receptor-cds knowledgeVersion {extension.get('knowledgeVersion')!r}")
    return problems
