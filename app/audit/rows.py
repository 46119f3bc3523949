"""One worklist row per patient, from the assessment and the patient-view cards the CDS service would return.

Why through the cards: the audit must say for a patient exactly what the CDS card says, so the structured
fields are copied from the subtype card's ``extension["receptor-cds"]`` and the topics from the cards' topic
codes, as ``cds_hooks.service.cards.patient_view_cards`` makes them; nothing here decides or re-words anything.
``actions`` are the pitfall alerts' "what to do" sentences (the cards' own text), in card order.
Pure: data in, a JSON-ready dict out.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Mapping

from cds_hooks.decision import Assessment

# The worklist's columns, in order (worklist.csv follows it).
ROW_FIELDS: tuple[str, ...] = ("patient", "subtype", "her2Expression", "er", "pr", "her2", "setting", "severity",
                               "topics", "actions", "dataQuality", "knowledgeVersion")
# The fields copied from the subtype card's extension["receptor-cds"].
CARD_FIELDS: tuple[str, ...] = ("subtype", "her2Expression", "er", "pr", "her2", "setting", "knowledgeVersion")
_URGENCY = {"info": 0, "warning": 1, "critical": 2}
NOT_RECORDED = "(meta.source not recorded)"


def audit_row(patient: str, assessment: Assessment, cards: list[dict[str, Any]],
              sources: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """The row for ``patient``; ``sources`` maps ``Type/id`` to the resource's ``meta.source``."""
    block = cards[0]["extension"]["receptor-cds"]
    topics = list(dict.fromkeys(card["source"]["topic"]["code"] for card in cards))
    severity = max((card.get("indicator", "info") for card in cards), key=lambda i: _URGENCY.get(i, 0))
    actions = list(dict.fromkeys(alert.action for alert in assessment.alerts if alert.action))
    problems: Counter[tuple[str, str]] = Counter()
    for note in assessment.data_quality:
        ref = (note.resource or "").split("#", 1)[0]
        problems[(note.code, (sources or {}).get(ref) or NOT_RECORDED)] += 1
    row: dict[str, Any] = {"patient": patient}
    row.update({field: block.get(field) for field in CARD_FIELDS})
    row.update({
        "severity": severity,
        "topics": topics,
        "actions": actions,
        "dataQuality": [{"code": code, "source": source, "count": count}
                        for (code, source), count in sorted(problems.items())],
    })
    return {field: row[field] for field in ROW_FIELDS}
