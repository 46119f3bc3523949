"""One action, one card: pitfalls that the same action answers are shown together (issue 13 §5).

Why: at relapse a clinician used to get three warnings ("retest receptors at recurrence", "results
predate the relapse", "HER2 IHC 0: check for ultralow") that all end in the same act, a biopsy of
the metastasis with ER, PR and HER2. Three cards for one act read as three problems. Here the act's
own pitfall leads and the others it answers ride along as reasons, so the card (and the SMART page)
says it once. Nothing is dropped: every covered pitfall keeps its code (``AlertGroup.topics``), so
the card lists it in ``extension["receptor-cds"]["coveredTopics"]`` and the SMART page keeps an
anchor for it.

The grouping is a rule about actions, kept small on purpose:
- the lead is the retest variant of P9 (``missing_test`` = a biopsy of the metastasis, or of a local recurrence); the P9
  conversion variant (results already differ) asks for something else and is never a lead;
- it answers P13 when every result P13 names is a receptor result (an ESR1 result predating
  progression needs a ctDNA test, another act), and P3, P7 and P8, because the new sample is
  reported with the ER percentage and the HER2 IHC score, IHC 0 sub-classified (ultralow or null);
- a pitfall about a draft order is never folded in (its card carries its own suggestion).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from cds_hooks.decision.model import Alert, Assessment

RETEST_TOPIC = "receptor-retest-at-recurrence"
RETEST_TEST_CODE = "receptor-retest-metastasis"
# The same act for a local or regional recurrence never biopsied: a biopsy of the recurrence (P9's early variant).
RETEST_TEST_CODES = frozenset({RETEST_TEST_CODE, "receptor-retest-recurrence"})
# Topic -> what the new metastasis sample must report so that the covered pitfall is answered, in words.
ANSWERED_BY_RETEST: dict[str, str] = {
    "stale-biomarker": "",
    "er-percent-missing": "the percentage of ER-stained tumour nuclei",
    "her2-ihc-score-missing": "the HER2 IHC score (0, 1+, 2+ or 3+)",
    "her2-zero-rescore-ultralow": "an IHC 0 sub-classified as ultralow (faint staining) or null (no staining)",
}
_RECEPTOR_ANALYTES = frozenset({"ER", "PR", "HR", "HER2-IHC", "HER2-ISH", "HER2-ISH-ratio", "HER2-ISH-copies",
                                "CEP17-copies", "HER2-status"})


@dataclass
class AlertGroup:
    """One card's worth: the alert whose action the card offers, and the alerts that action also answers."""

    lead: Alert
    covered: list[Alert] = field(default_factory=list)

    @property
    def alerts(self) -> list[Alert]:
        return [self.lead, *self.covered]

    @property
    def covered_topics(self) -> list[str]:
        """Codes of the other pitfalls this card answers (never the lead's own), without repeats."""
        return [t for t in dict.fromkeys(a.topic for a in self.covered) if t != self.lead.topic]

    @property
    def topics(self) -> list[str]:
        return [self.lead.topic, *self.covered_topics]

    @property
    def severity(self) -> str:
        return "critical" if any(a.severity == "critical" for a in self.alerts) else self.lead.severity

    @property
    def asks_for(self) -> list[str]:
        """What the new sample must report, for the covered pitfalls that ask for more than the retest itself."""
        return [text for text in dict.fromkeys(ANSWERED_BY_RETEST.get(a.topic, "") for a in self.covered) if text]


def _is_retest(alert: Alert) -> bool:
    return (alert.topic == RETEST_TOPIC and alert.order is None
            and (alert.missing_test or {}).get("code") in RETEST_TEST_CODES)


def _receptor_refs(assessment: Assessment | None) -> set[str]:
    if assessment is None:
        return set()
    return {r.resource.split("#")[0] for r in assessment.history if r.analyte in _RECEPTOR_ANALYTES}


def _answered(alert: Alert, receptor_refs: set[str]) -> bool:
    """Whether a biopsy of the metastasis answers this alert (P8 names the endocrine drugs that make it
    apply: context, not an order, so it still counts)."""
    if alert.order is not None or alert.topic not in ANSWERED_BY_RETEST:
        return False
    if alert.topic == "stale-biomarker":
        refs = {ref.split("#")[0] for ref in alert.evidence}
        return bool(refs) and refs <= receptor_refs
    return True


def group_alerts(alerts: Iterable[Alert], assessment: Assessment | None = None) -> list[AlertGroup]:
    """Alerts grouped one group per action, in the order of their first alert; every alert lands in one group."""
    alerts = list(alerts)
    receptor_refs = _receptor_refs(assessment)
    lead = next((a for a in alerts if _is_retest(a)), None)
    groups: list[AlertGroup] = []
    retest_group = AlertGroup(lead) if lead is not None else None
    for alert in alerts:
        if alert is lead:
            groups.append(retest_group)
        elif retest_group is not None and _answered(alert, receptor_refs):
            retest_group.covered.append(alert)
        else:
            groups.append(AlertGroup(alert))
    return groups


__all__ = ["ANSWERED_BY_RETEST", "AlertGroup", "RETEST_TOPIC", "group_alerts"]
