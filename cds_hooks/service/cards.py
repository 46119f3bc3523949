"""Turning an Assessment and its alerts into CDS Hooks cards. Pure: data in, card dicts out.

The card contract (issue 3) other tools rely on:
- every card has a ``uuid``, a ``summary`` of at most 139 characters (Inferno flags >= 140),
  ``source.label``/``source.url`` naming the guideline or label behind it, and
  ``source.topic`` = ``{"system": "urn:receptor-cds:card-topic", "code", "display"}``;
- ``detail`` is plain GitHub-flavoured markdown (lists and emphasis, no tables or HTML: EHRs
  render GFM unevenly, checklist 1L) with the evidence: which results, their dates, specimen;
- no field is ever null or empty (CH §Use of JSON): ``prune`` drops them;
- one action, one card (issue 13 §5): when one act (a biopsy of the metastasis with ER, PR and HER2)
  answers several pitfalls, one card lists them all as reasons. ``source.topic`` is the leading
  pitfall's code and every other pitfall the card answers is in
  ``extension["receptor-cds"]["coveredTopics"]`` (codes of ``urn:receptor-cds:card-topic``), so EHR
  analytics, feedback and the SMART link still see each one (``cds_hooks.wording.grouping``);
- ``CARD_TOPICS`` is the closed list of topic codes; discovery, the response JSON Schema and the
  README list the same codes (tests compare them);
- override reasons fit the card: reasons about the treatment on a card about a drug, reasons about
  the test on a card asking for a test or a result;
- every value taken from the chart goes through ``_md`` before it reaches markdown, and is said
  through ``cds_hooks.wording`` (values as measured, dates as dates, sites by plain names).

Indicator policy (why each card gets the urgency it does):
- ``info``: the subtype card and the options card. They describe the chart; they never ask
  the clinician to stop. An indeterminate subtype is still ``info``: the pitfall cards that
  explain *why* it is indeterminate carry the urgency.
- ``warning``: every pitfall and order conflict the rules rate ``warning`` (pitfalls are never
  ``info``: cds_hooks/knowledge/pitfalls.py): the clinician should look before acting, but
  nothing is known to be harmful.
- ``critical``: pitfalls and order conflicts the rules rate ``critical`` (e.g. a drug that
  cannot work for this receptor picture): acting on the order as written is likely wrong.
- Data-gap cards (chart data we could not read) are ``warning``: the other cards may be
  incomplete.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Iterable

from cds_hooks.decision.model import Alert, Assessment, Option, ReceptorResult, SourceRef
from cds_hooks.knowledge.pitfalls import PITFALLS
from cds_hooks.decision.citations import refs
from cds_hooks.knowledge.sources import HEADLINE_SOURCES, MALE_ONLY_SOURCES
from cds_hooks.wording import (AlertGroup, analyte_text, option_status_text, sources_for_patient, data_quality_items, date_text, group_alerts,
                               orderable_test_text, finding_specimen_text, finding_value_text,
                               her2_status_text, result_specimen_text, result_value_text, setting_text,
                               status_text)
from cds_hooks.wording.display import OPTION_STATUS_WORDS as _OPTION_STATUS_WORDS
from cds_hooks.wording.grouping import ANSWERED_BY_RETEST

from .markdown import clean_text, escape_markdown

TOPIC_SYSTEM = "urn:receptor-cds:card-topic"
OVERRIDE_SYSTEM = "urn:receptor-cds:override-reason"
SUMMARY_LIMIT = 139
PREFETCH_SPEC_URL = "https://cds-hooks.hl7.org/2.0/#prefetch-template"

# Topic displays: the two descriptive cards here, every pitfall and order conflict from its
# knowledge-table title (one wording for card topic and SMART page heading).
TOPIC_DISPLAY: dict[str, str] = {
    "receptor-subtype": "Receptor subtype",
    "treatment-options": "Treatment options",
    **{spec.topic: spec.title for spec in PITFALLS.values()},
}
# Issue 13 §1's new topic (rule in the decision core); its display comes from the pitfall table once it is there.
TOPIC_DISPLAY.setdefault("receptor-sample-discordance", "Receptor results differ between samples")
# Every code of urn:receptor-cds:card-topic, in a stable order: what discovery, the JSON Schema and the README list.
CARD_TOPICS: tuple[str, ...] = tuple(TOPIC_DISPLAY)

# Option statuses in words (the model's vocabulary never reaches a clinician): one table for card and page.
OPTION_STATUS_WORDS = _OPTION_STATUS_WORDS

# Offered so a dismissal tells us why (CH §Card: display is required). The reasons fit the card: a card
# about a drug (a draft order or an active medication) is dismissed for reasons about the treatment, a
# card that asks for a test or a result for reasons about the test, never "the order is appropriate".
DRUG_OVERRIDE_REASONS: tuple[dict[str, str], ...] = (
    {"system": OVERRIDE_SYSTEM, "code": "clinically-appropriate",
     "display": "Reviewed: this treatment is appropriate for this patient"},
    {"system": OVERRIDE_SYSTEM, "code": "chart-outdated",
     "display": "The receptor results in the chart are outdated or wrong"},
    {"system": OVERRIDE_SYSTEM, "code": "trial-or-tumor-board",
     "display": "Decided by a tumour board or a clinical trial protocol"},
    {"system": OVERRIDE_SYSTEM, "code": "patient-preference", "display": "Patient's informed choice"},
)
TEST_OVERRIDE_REASONS: tuple[dict[str, str], ...] = (
    {"system": OVERRIDE_SYSTEM, "code": "test-already-done",
     "display": "Already done: the result is not in this chart yet"},
    {"system": OVERRIDE_SYSTEM, "code": "test-not-feasible",
     "display": "Cannot be done: no suitable tissue or no accessible lesion"},
    {"system": OVERRIDE_SYSTEM, "code": "test-would-not-change-treatment",
     "display": "The result would not change the treatment decision now"},
    {"system": OVERRIDE_SYSTEM, "code": "trial-or-tumor-board",
     "display": "Decided by a tumour board or a clinical trial protocol"},
    {"system": OVERRIDE_SYSTEM, "code": "patient-preference", "display": "Patient's informed choice not to be tested"},
)
OVERRIDE_REASONS = DRUG_OVERRIDE_REASONS    # the name other modules knew; drug cards are the original use

# The subtype card rests on the testing guidelines: ER/PR (2020, the card's source.url) and HER2 (2018, 2023).
_SUBTYPE_SOURCE_IDS = ("asco-cap-2020-er-pr", "asco-cap-2018-her2", "asco-cap-2023-her2")


def prune(value: Any) -> Any:
    """Drop None, "", [] and {} recursively (CH §Use of JSON); the caller keeps the top-level ``cards``."""
    if isinstance(value, dict):
        out = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (prune(i) for i in value) if v not in (None, "", [], {})]
    return value


def summary_text(text: str) -> str:
    """One line, at most 139 characters, cut at a word with an ellipsis when too long; no control or format
    characters (a summary or label is plain text, but may hold data such as a drug name)."""
    text = clean_text(text)
    if len(text) <= SUMMARY_LIMIT:
        return text
    cut = text[: SUMMARY_LIMIT - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


# Every value from data enters card markdown through this one function (links, images, HTML, control and
# bidirectional characters neutralised: issue 8); see cds_hooks.service.markdown.
_md = escape_markdown


def _topic(code: str, fallback: str | None = None) -> dict[str, str]:
    return {"system": TOPIC_SYSTEM, "code": code, "display": TOPIC_DISPLAY.get(code) or fallback or code}


def _source(ref: SourceRef | None, topic: str, fallback_label: str) -> dict[str, Any]:
    return {"label": ref.label if ref else fallback_label, "url": ref.url if ref else None,
            "topic": _topic(topic)}


def _primary_source(sources: list[SourceRef]) -> SourceRef | None:
    """The source a card's ``source`` names: the first with a URL (a guideline or label), else the first."""
    return next((s for s in sources if s.url), sources[0] if sources else None)


def _headline_source(assessment: Assessment) -> SourceRef | None:
    """The options card's ``source``: the setting's guideline (never a drug label or a trial of one row, and never
    a guideline written for the other sex); for a man, the male breast cancer guideline."""
    male = (assessment.sex or "").lower() == "male" or assessment.menopausal_status == "male"
    key = "male" if male else assessment.setting.setting
    headline = refs(HEADLINE_SOURCES[key]) if key in HEADLINE_SOURCES else []
    if headline:
        return headline[0]
    fits = [s for o in assessment.options for s in o.sources if s.url and (male or s.id not in MALE_ONLY_SOURCES)]
    return fits[0] if fits else None


def _smart_link(launch_url: str | None, patient: str | None, focus: str, label: str) -> list[dict[str, Any]]:
    if not launch_url or not patient:
        return []
    return [{"label": label, "url": launch_url, "type": "smart",
             "appContext": json.dumps({"patient": patient, "focus": focus}, separators=(",", ":"))}]


def _record_text(ref: str, assessment: Assessment) -> str:
    """A record that is not a receptor result, named by what it says (an event, a drug), with its reference."""
    event = next((e for e in assessment.events if ref in e.evidence), None)
    if event is not None:
        return f"- {_md(event.label)}, {_md(date_text(event.date))} (`{_md(ref)}`)"
    med = next((m for m in assessment.medications if m.resource == ref), None)
    if med is not None:
        name = med.ingredient or med.display or "medication"
        since = f", from {date_text(med.start)}" if med.start else ""
        return f"- {_md(name)} ({_md(med.status)}{_md(since)}) (`{_md(ref)}`)"
    return f"- record `{_md(ref)}`"


def _result_line(r: ReceptorResult) -> str:
    parts = [f"**{_md(analyte_text(r.analyte))} {_md(result_value_text(r))}**",
             _md(result_specimen_text(r)), _md(date_text(r.effective))]
    if r.provisional:
        parts.append("preliminary result")
    return f"- {', '.join(parts)} (`{_md(r.resource)}`)"


def _evidence_lines(refs: Iterable[str], assessment: Assessment) -> list[str]:
    by_resource: dict[str, list[ReceptorResult]] = {}
    for result in assessment.history:
        by_resource.setdefault(result.resource, []).append(result)
    lines = []
    for ref in refs:
        results = by_resource.get(ref) or by_resource.get(ref.split("#")[0]) or []
        if not results:
            lines.append(_record_text(ref, assessment))
            continue
        lines.extend(_result_line(r) for r in results)
    return list(dict.fromkeys(lines))


def _sources_lines(sources: Iterable[SourceRef]) -> list[str]:
    lines = []
    for s in sources:
        lines.append(f"- [{_md(s.label)}]({s.url})" if s.url else f"- {_md(s.label)}: {_md(s.citation)}")
    return lines


def _finding_line(name: str, status: str, value: str | None, specimen: str, effective: str | None) -> str:
    """One receptor of the subtype card: status in words, the value as measured, where and when."""
    head = f"**{name} {_md(status)}**" + (f", {_md(value)}" if value else "")
    return f"- {head}, {_md(specimen)}, {_md(date_text(effective))}"


def _finding_lines(calls: Any, a: Assessment) -> list[str]:
    """The ER, PR and HER2 lines of one call (the patient's, or one tumour's when there is cancer in both breasts)."""
    return [_finding_line("ER", status_text(calls.er.status), finding_value_text(calls.er, a.history),
                          finding_specimen_text(calls.er, a.history), calls.er.effective),
            _finding_line("PR", status_text(calls.pr.status), finding_value_text(calls.pr, a.history),
                          finding_specimen_text(calls.pr, a.history), calls.pr.effective),
            _finding_line("HER2", her2_status_text(calls.her2), finding_value_text(calls.her2, a.history),
                          finding_specimen_text(calls.her2, a.history), calls.her2.effective)]


def data_quality_lines(assessment: Assessment) -> list[str]:
    """Each distinct data-quality problem once, in words, with what to do and the records concerned."""
    lines = []
    for problem, action, refs in data_quality_items(assessment.data_quality):
        shown = "`, `".join(_md(r) for r in refs[:5])
        where = f" (`{shown}`{' and more' if len(refs) > 5 else ''})" if refs else ""
        lines.append(f"- {_md(problem)} {_md(action)}{where}")
    return lines


def _episode_block(a: Assessment) -> dict[str, Any]:
    """The episode model as the extension carries it (camelCase; empty members pruned)."""
    e = a.episode
    return {"current": e.current, "diagnosis": e.diagnosis, "metastaticStart": e.metastatic_start,
            "deNovoMetastatic": e.de_novo_metastatic if e.current == "metastatic" else None,
            "firstSystemicTherapy": e.first_systemic_therapy, "surgery": e.surgery,
            "neoadjuvant": {"start": e.neoadjuvant.start, "end": e.neoadjuvant.end} if e.neoadjuvant else None,
            "newTumour": {"start": e.new_tumour, "kind": e.new_tumour_kind} if e.new_tumour else None}


def subtype_card(assessment: Assessment, smart_launch_url: str | None = None,
                 searched: str | None = None) -> dict[str, Any]:
    """The receptor subtype with its evidence and the structured assessment in extension["receptor-cds"].

    ``searched``: the service's sentence on what was searched where (``GatheredData.search_note``), shown when
    no result could be used: an empty search is not evidence that the chart holds no result (issue 8)."""
    a = assessment
    qualifiers = list(a.modifiers)
    if a.her2.expression in ("low", "ultralow") and not a.tumours:   # with two tumours, each line says its own
        qualifiers.append(f"HER2-{a.her2.expression}")
    two_subtypes = len({t.subtype for t in a.tumours}) > 1
    if two_subtypes:
        # Cancer in both breasts with different subtypes: both stated, never one merged subtype (bilateral.py).
        summary = "Two primary breast cancers with different subtypes: " + ", ".join(
            f"{t.side} {t.subtype}" for t in a.tumours) + (f"; {a.setting.setting} setting"
                                                          if a.setting.setting != "unknown" else "")
    elif a.subtype == "indeterminate":
        summary = "Receptor subtype cannot be stated yet: " + (a.subtype_reasons[0] if a.subtype_reasons
                                                                else "ER, PR or HER2 result missing")
    else:
        summary = f"Receptor subtype {a.subtype}" + (f" ({', '.join(qualifiers)})" if qualifiers else "") + \
                  (" in both breasts" if a.tumours else "") + \
                  (f", {a.setting.setting} setting" if a.setting.setting != "unknown" else "")
    detail = [f"**Subtype:** {_md(a.subtype)}" + (f" ({_md(', '.join(qualifiers))})" if qualifiers else ""), ""]
    if a.tumours:
        # One block per breast: each tumour's own results (SEER: the two breasts' tumours are separate primaries).
        detail[0] = ("**Subtypes:** " + "; ".join(f"{_md(t.side)} breast {_md(t.subtype)}" for t in a.tumours)
                     if two_subtypes else detail[0] + " in both breasts")
        for t in a.tumours:
            detail += [f"- **{_md(t.side.capitalize())} breast tumour: {_md(t.subtype)}**",
                       *(f"  {line}" for line in _finding_lines(t, a))]
    else:
        detail += _finding_lines(a, a)
    detail.append(f"- **Setting:** {_md(setting_text(a.setting, a.events, a.episode))}")
    if a.sex == "male":
        detail.append("- **Patient:** male")
    if a.subtype_reasons:
        detail += ["", "**Why:**", *[f"- {_md(r)}" for r in a.subtype_reasons]]
    if a.subtype_notes:
        # Settled or informational findings over the history (issue 13): lines here, not warning cards.
        detail += ["", "**Also on record:**", *[f"- {_md(n.message)}" for n in a.subtype_notes]]
    evidence_refs = a.evidence if not a.tumours else list(dict.fromkeys(
        ref for t in a.tumours for f in (t.er, t.pr, t.her2) for ref in f.evidence))
    evidence = _evidence_lines(evidence_refs, a)
    detail += ["", "**Evidence:**", *(evidence or [f"- {_md(searched)}" if searched
                                                   else "- No ER, PR or HER2 result could be used."])]
    if a.data_quality:
        detail += ["", "**Records not used as recorded:**", *data_quality_lines(a)]
    guidelines = refs(*_SUBTYPE_SOURCE_IDS)
    detail += ["", "**Sources:**", *_sources_lines(guidelines)]
    detail += ["", f"Knowledge version {_md(a.knowledge_version)}."]
    card = {
        "uuid": str(uuid.uuid4()),
        "summary": summary_text(summary),
        "indicator": "info",
        "detail": "\n".join(detail),
        "source": {"label": "ASCO/CAP testing guidelines: ER/PR 2020, HER2 2018 and 2023", "url": guidelines[0].url,
                   "topic": _topic("receptor-subtype")},
        "links": _smart_link(smart_launch_url, a.patient, "receptor-subtype", "Open the receptor history"),
        "extension": {"receptor-cds": {
            "subtype": a.subtype, "her2Expression": a.her2.expression, "er": a.er.status, "pr": a.pr.status,
            "her2": a.her2.status, "setting": a.setting.setting, "evidence": a.evidence,
            "knowledgeVersion": a.knowledge_version,
            # What governs and why over the patient's history (issue 13 section 1): the episode, and per
            # receptor the rule that made its sample govern and where that sample falls.
            "episode": _episode_block(a),
            # Cancer in both breasts: each tumour's own call (the top-level subtype is never a merged one).
            "tumours": [{"side": t.side, "subtype": t.subtype, "er": t.er.status, "pr": t.pr.status,
                         "her2": t.her2.status, "her2Expression": t.her2.expression,
                         "evidence": list(dict.fromkeys([*t.er.evidence, *t.pr.evidence, *t.her2.evidence]))}
                        for t in a.tumours],
            "governing": {name: {"rule": f.rule, "phase": f.phase}
                          for name, f in (("er", a.er), ("pr", a.pr), ("her2", a.her2)) if f.rule != "none"},
        }},
    }
    return prune(card)


def _option_lines(option: Option, sex: str | None = None) -> list[str]:
    head = f"- **{_md(option.title)}** ({_md(', '.join(option.agents))})" if option.agents else f"- **{_md(option.title)}**"
    lines = [head, f"  - When: {_md(option.condition)}"]
    if option.status != "applicable":
        lines.append(f"  - Not applicable yet: {option_status_text(option.status)}"
                     + (f"; still needed: {_md(', '.join(option.needs))}" if option.needs else ""))
    lines += [f"  - Note: {_md(n)}" for n in option.notes]
    lines += [f"  - Source: [{_md(s.label)}]({s.url})" if s.url else f"  - Source: {_md(s.label)}"
              for s in sources_for_patient(option.sources, sex)]
    return lines


def options_card(assessment: Assessment, smart_launch_url: str | None = None) -> dict[str, Any] | None:
    """Drug-class options for this subtype and setting; None when there are none to show."""
    options = assessment.options
    if not options:
        return None
    applicable = sum(1 for o in options if o.status == "applicable")
    subtypes = (", ".join(f"{t.side} {t.subtype}" for t in assessment.tumours)
                if len({t.subtype for t in assessment.tumours}) > 1 else assessment.subtype)
    summary = (f"{len(options)} treatment option(s) at drug-class level for {subtypes} "
               f"({assessment.setting.setting} setting); {applicable} applicable now")
    detail = ["Options at drug-class level, from the sources named; the choice stays with the clinician.", ""]
    if assessment.sex == "male":
        detail += ["**Patient:** male.", ""]
    # Caveats for the list as a whole (ER-low, male patient), once per card rather than under every option.
    detail += [*(f"- {_md(n)}" for n in assessment.option_notes), *([""] if assessment.option_notes else [])]
    for option in options:
        detail += _option_lines(option, assessment.sex)
    first = _headline_source(assessment)
    return prune({
        "uuid": str(uuid.uuid4()),
        "summary": summary_text(summary),
        "indicator": "info",
        "detail": "\n".join(detail),
        "source": _source(first, "treatment-options", "Receptor CDS options table"),
        "links": _smart_link(smart_launch_url, assessment.patient, "treatment-options", "Open the options"),
    })


def _order_label(alert: Alert, orders: dict[str, dict[str, Any]]) -> str:
    """The draft's drug name as the EHR wrote it; draftOrders are read leniently, so any member may be odd."""
    order = orders.get(alert.order or "") or {}
    concept = order.get("medicationCodeableConcept") or order.get("code")
    concept = concept if isinstance(concept, dict) else {}
    codings = concept.get("coding") if isinstance(concept.get("coding"), list) else []
    text = concept.get("text") if isinstance(concept.get("text"), str) else None
    text = text or next((c["display"] for c in codings if isinstance(c, dict) and isinstance(c.get("display"), str)
                         and c["display"].strip()), None)
    return text or alert.order or "the order"


def _suggestions(alert: Alert, patient: str | None, orders: dict[str, dict[str, Any]],
                 draft: bool) -> list[dict[str, Any]]:
    suggestions = []
    if draft and alert.order:
        suggestions.append({
            "label": summary_text(f"Remove the draft order for {_order_label(alert, orders)}"),
            "uuid": str(uuid.uuid4()),
            "actions": [{"type": "delete", "description": f"Remove draft order {alert.order}",
                         "resourceId": alert.order}],
        })
    if alert.missing_test and alert.missing_test.get("code"):
        test = alert.missing_test
        # The button and the order's text in clinician words; the coding keeps its code system's display.
        words = orderable_test_text(test)
        resource = {"resourceType": "ServiceRequest", "status": "draft", "intent": "proposal",
                    "code": {"coding": [prune(dict(test))], "text": words},
                    "subject": {"reference": f"Patient/{patient}"} if patient else None}
        suggestions.append({
            "label": summary_text(f"Order {words}"),
            "uuid": str(uuid.uuid4()),
            "actions": [{"type": "create", "description": f"Propose {words}", "resource": prune(resource)}],
        })
    return suggestions


def _about_a_drug(alerts: Iterable[Alert]) -> bool:
    """A card about a treatment (a draft order, or a drug the chart shows), as opposed to a test or a result."""
    return any(a.order or (a.code not in _RESULT_CODES and any(ref.startswith(_MEDICATION_REFS) for ref in a.evidence))
               for a in alerts)


_MEDICATION_REFS = ("MedicationRequest/", "MedicationStatement/", "MedicationAdministration/")
# Pitfalls about results that may name a drug only as context (P8: the endocrine therapy that qualifies it).
_RESULT_CODES = frozenset({"P8"})


def _unique_sources(alerts: Iterable[Alert]) -> list[SourceRef]:
    """Each source once, first cited first (the same guideline cited by two covered pitfalls is listed once)."""
    seen: dict[str, SourceRef] = {}
    for alert in alerts:
        for ref in alert.sources:
            seen.setdefault(ref.url or ref.id, ref)
    return list(seen.values())


def _group_detail(group: AlertGroup) -> list[str]:
    lead = group.lead
    if not group.covered:
        return [_md(lead.message), "", f"**What to do:** {_md(lead.action)}"]
    lines = [f"**One action answers {len(group.alerts)} findings:**",
             *[f"- **{_md(a.title)}.** {_md(a.message)}" for a in group.alerts], "",
             f"**What to do:** {_md(lead.action)}"]
    if group.asks_for:
        lines.append(f"Ask for the new sample to be reported with {_md('; '.join(group.asks_for))}.")
    # What each covered finding asks for on the old sample when no new one can be taken (re-score the IHC 0
    # slide, report the ER percentage); "results predate the relapse" has no such fallback.
    fallbacks = list(dict.fromkeys(a.action for a in group.covered
                                   if a.action != lead.action and ANSWERED_BY_RETEST.get(a.topic)))
    if fallbacks:
        recurrence = (lead.missing_test or {}).get("code") == "receptor-retest-recurrence"
        heading = "If the recurrence cannot be sampled:" if recurrence else "If no metastasis can be sampled:"
        lines += ["", f"**{heading}**", *[f"- {_md(f)}" for f in fallbacks]]
    return lines


def group_card(group: AlertGroup, assessment: Assessment, *, smart_launch_url: str | None = None,
               orders: dict[str, dict[str, Any]] | None = None, draft: bool = False) -> dict[str, Any]:
    """One card per action: the lead pitfall's card, listing the other pitfalls the same action answers.

    ``source.topic`` is the lead's code; every other answered pitfall is in
    ``extension["receptor-cds"]["coveredTopics"]`` (codes of the same system), so analytics, feedback and the
    SMART link still see each one. ``draft``: the lead is about a draft order that may be removed."""
    orders = orders or {}
    lead = group.lead
    detail = _group_detail(group)
    if lead.order:
        detail += ["", f"**Order:** {_md(_order_label(lead, orders))} (`{_md(lead.order)}`)"]
    evidence = _evidence_lines(list(dict.fromkeys(ref for a in group.alerts for ref in a.evidence)), assessment)
    if evidence:
        detail += ["", "**Evidence:**", *evidence]
    sources = _unique_sources(group.alerts)
    if sources:
        detail += ["", "**Sources:**", *_sources_lines(sources)]
    suggestions = _suggestions(lead, assessment.patient, orders, draft)
    reasons = DRUG_OVERRIDE_REASONS if _about_a_drug(group.alerts) else TEST_OVERRIDE_REASONS
    card = {
        "uuid": str(uuid.uuid4()),
        "summary": summary_text(lead.title + (f" (also answers: {'; '.join(a.title for a in group.covered)})"
                                              if group.covered else "")),
        "indicator": group.severity,
        "detail": "\n".join(detail),
        "source": _source(_primary_source(sources), lead.topic, "Receptor CDS pitfall rules"),
        "suggestions": suggestions,
        # Removing the draft and ordering the missing test go together (hold the drug until the result is
        # in), so with both offered the clinician may take both; a lone suggestion is at-most-one.
        "selectionBehavior": ("any" if len(suggestions) > 1 else "at-most-one") if suggestions else None,
        "overrideReasons": list(reasons) if (lead.order or suggestions) else None,
        "links": _smart_link(smart_launch_url, assessment.patient, lead.topic, "Open the receptor history"),
        "extension": {"receptor-cds": {"coveredTopics": group.covered_topics}},
    }
    card["source"]["topic"] = _topic(lead.topic, lead.title)
    return prune(card)


def alert_card(alert: Alert, assessment: Assessment, *, smart_launch_url: str | None = None,
               orders: dict[str, dict[str, Any]] | None = None, draft: bool = False) -> dict[str, Any]:
    """One pitfall or order conflict on its own card (a group of one)."""
    return group_card(AlertGroup(alert), assessment, smart_launch_url=smart_launch_url, orders=orders, draft=draft)


def data_gap_card(gaps: Iterable[Any]) -> dict[str, Any] | None:
    """Say which chart data could not be read, so the other cards are not taken as complete."""
    gaps = list(gaps)
    if not gaps:
        return None
    labels = sorted({g.label for g in gaps})
    detail = ["Receptor CDS could not read all the chart data it needs; the other cards do not take it into account.",
              "", *[f"- {_md(g.label)}: {_md(g.reason)}." for g in gaps]]
    return prune({
        "uuid": str(uuid.uuid4()),
        "summary": summary_text("Incomplete chart data: " + ", ".join(labels)),
        "indicator": "warning",
        "detail": "\n".join(detail),
        # The rule behind this card is the spec's: what a missing, null or failed prefetch key means and
        # how a service must get the data itself (CH §Prefetch Template).
        "source": {"label": "Receptor CDS service (CDS Hooks 2.0 prefetch rules)", "url": PREFETCH_SPEC_URL,
                   "topic": _topic("data-quality")},
    })


def _unique(alerts: Iterable[Alert]) -> list[Alert]:
    """One alert per (topic, order): a pitfall found twice (by the chart and by the draft) is one card."""
    seen: set[tuple[str, str | None]] = set()
    out = []
    for alert in alerts:
        key = (alert.topic, alert.order)
        if key not in seen:
            seen.add(key)
            out.append(alert)
    return out


def patient_view_cards(assessment: Assessment, chart_alerts: Iterable[Alert] = (), gaps: Iterable[Any] = (),
                       smart_launch_url: str | None = None, searched: str | None = None) -> list[dict[str, Any]]:
    """Subtype card, options card, one card per pitfall (and per chart-medication conflict), data gaps."""
    cards = [subtype_card(assessment, smart_launch_url, searched)]
    options = options_card(assessment, smart_launch_url)
    if options:
        cards.append(options)
    for group in group_alerts(_unique([*assessment.alerts, *chart_alerts]), assessment):
        cards.append(group_card(group, assessment, smart_launch_url=smart_launch_url))
    gap = data_gap_card(gaps)
    if gap:
        cards.append(gap)
    return cards


def order_cards(assessment: Assessment, alerts: Iterable[Alert], orders: Iterable[dict[str, Any]],
                gaps: Iterable[Any] = (), smart_launch_url: str | None = None) -> list[dict[str, Any]]:
    """One card per order conflict, with a suggestion to remove the draft or order the missing test."""
    by_ref = {f"{o.get('resourceType')}/{o.get('id')}": o for o in orders if o.get("id")}
    cards = []
    for group in group_alerts(_unique(alerts), assessment):
        cards.append(group_card(group, assessment, smart_launch_url=smart_launch_url, orders=by_ref,
                                draft=group.lead.order in by_ref))
    gap = data_gap_card(gaps)
    if gap:
        cards.append(gap)
    return cards
