"""Values, dates, specimens, statuses and the setting, said the way a clinician writes them.

Why one module: the card and the page used to format the same facts separately, and each lost
something ("ER negative (1%)" for a result reported as ``<1%``, "ratio 1.8" for "less than 1.8",
a dateTime with microseconds and a time zone, "Left breast structure (body structure)", enum
values such as ``zero-unspecified``). Every function here takes model objects or plain values and
returns text; none invents a value the record does not hold (a missing date reads "date not
recorded", never a guess).
"""
from __future__ import annotations

import re
from typing import Iterable

from cds_hooks.decision.model import (ClinicalEvent, DataQualityNote, EpisodeFinding, Her2Finding, ReceptorFinding,
                                      ReceptorResult, SettingFinding)
from cds_hooks.decision.sites import site_text
from cds_hooks.knowledge.data_quality import words_for
from cds_hooks.knowledge.sources import FEMALE_ONLY_SOURCES, MALE_ONLY_SOURCES

_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?")
_COMPARATORS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}

_ANALYTES = {
    "ER": "ER", "PR": "PR", "HR": "ER and PR combined", "Ki67": "Ki-67",
    "HER2-IHC": "HER2 IHC", "HER2-ISH": "HER2 ISH", "HER2-ISH-ratio": "HER2/CEP17 ratio",
    "HER2-ISH-copies": "HER2 copies per cell", "CEP17-copies": "CEP17 copies per cell",
    "HER2-status": "HER2 overall result",
}
_STATUS = {"positive": "positive", "low-positive": "low positive", "negative": "negative",
           "equivocal": "equivocal", "indeterminate": "indeterminate", "not-tested": "not tested"}
_ISH = {"amplified": "amplified", "not-amplified": "not amplified",
        "equivocal": "equivocal (a category removed in 2018)", "needs-ihc": "group needs concurrent IHC"}
_EXPRESSION = {
    "positive": "HER2-positive", "low": "HER2-low", "ultralow": "HER2-ultralow",
    "null": "HER2-null (IHC 0, no staining)",
    "zero-unspecified": "HER2 IHC 0, not scored as ultralow or null",
    "unknown": "HER2-low status unknown (no IHC score)",
}
_SPECIMEN_KIND = {"primary": "primary tumour", "metastasis": "metastasis", "recurrence": "recurrence"}


def date_text(value: str | None, missing: str = "date not recorded") -> str:
    """The date as recorded, at its own precision ("2019", "2019-03", "2019-03-10"); no time, no zone."""
    if not isinstance(value, str):
        return missing
    match = _DATE.match(value.strip())
    return match.group(0) if match else missing


def comparator_text(comparator: str | None) -> str:
    return _COMPARATORS.get((comparator or "").strip(), "")


def _number(value: float) -> str:
    return f"{value:g}"


def percent_text(percent: float | None, comparator: str | None = None) -> str | None:
    """``<1%`` stays ``<1%``: the comparator recorded with the value is part of the value."""
    if percent is None:
        return None
    return f"{comparator_text(comparator)}{_number(percent)}%"


def ratio_text(ratio: float | None, comparator: str | None = None) -> str | None:
    """A HER2/CEP17 ratio as reported: "less than 1.8" reads "< 1.8", never "1.8"."""
    if ratio is None:
        return None
    sign = comparator_text(comparator)
    return f"{sign} {_number(ratio)}" if sign else _number(ratio)


def ihc_text(score: str | None) -> str | None:
    """"0-ultralow" reads "0 (ultralow)"; the score stays as the pathologist wrote it."""
    if not score:
        return None
    base, _, note = score.partition("-")
    return f"{base} ({note})" if note else base


def status_text(status: str | None) -> str:
    """A reading in words; "unknown" says the record does not establish it."""
    return _STATUS.get(status or "", "not established")


def receptor_status_text(finding: ReceptorFinding) -> str:
    return status_text(finding.status)


def her2_expression_text(expression: str | None) -> str:
    return _EXPRESSION.get(expression or "unknown", _EXPRESSION["unknown"])


_EXPRESSION_SHORT = {"low": "HER2-low", "ultralow": "HER2-ultralow", "null": "HER2-null",
                     "zero-unspecified": "ultralow or null not scored", "unknown": "HER2-low status unknown"}


def her2_status_text(finding: Her2Finding) -> str:
    """"negative (HER2-low)": the status, with the expression a HER2-negative decision depends on."""
    status = status_text(finding.status)
    note = _EXPRESSION_SHORT.get(finding.expression) if finding.status == "negative" else None
    return f"{status} ({note})" if note else status


def ish_text(ish: str | None) -> str | None:
    return _ISH.get(ish or "") if ish else None


OPTION_STATUS_WORDS = {"applicable": "applicable now", "needs-test": "needs a test first",
                       "needs-review": "needs a clinical review first",
                       "depends-on-prior-therapy": "depends on prior therapy: check"}


def option_status_text(status: str) -> str:
    """An option's status in words, the same on the options card and the SMART page."""
    return OPTION_STATUS_WORDS.get(status, "needs a clinical review first")


def analyte_text(analyte: str) -> str:
    return _ANALYTES.get(analyte, analyte)


def specimen_text(kind: str | None, site: str | None = None) -> str:
    """Where the sample came from: site and kind in words ("liver (metastasis)")."""
    place = site_text(site)
    what = _SPECIMEN_KIND.get(kind or "")
    if place and what:
        return f"{place} ({what})"
    if place:
        return place
    if what:
        return f"{what}, site not recorded"
    return "specimen not recorded"


def result_specimen_text(result: ReceptorResult) -> str:
    """Where one result's tissue came from; a biopsy of a local or regional recurrence is "(recurrence)", never
    "(primary tumour)" (``ReceptorResult.tumour``, set from the episode model)."""
    return specimen_text(result.tumour or result.specimen, result.specimen_site)


def result_value_text(result: ReceptorResult) -> str:
    """One result's value as measured, with its comparator; falls back to the reading in words."""
    r = result
    if r.analyte in ("ER", "PR", "HR", "Ki67") and r.percent is not None:
        return percent_text(r.percent, r.comparator) or ""
    if r.analyte == "HER2-IHC" and r.ihc_score:
        return ihc_text(r.ihc_score) or ""
    if r.ratio is not None:
        text = f"ratio {ratio_text(r.ratio, r.comparator)}"
        return f"{text}, {ish_text(r.ish)}" if r.ish else text
    if r.copies is not None:
        return f"{comparator_text(r.comparator)}{_number(r.copies)} copies per cell"
    if r.ish:
        return ish_text(r.ish) or ""
    if r.qualitative:
        return status_text(r.qualitative)
    return status_text(r.status)


def _governing(finding: ReceptorFinding | Her2Finding, history: Iterable[ReceptorResult]) -> list[ReceptorResult]:
    refs = set(finding.evidence)
    return [r for r in history if r.resource in refs or r.resource.split("#")[0] in refs]


def finding_value_text(finding: ReceptorFinding | Her2Finding, history: Iterable[ReceptorResult]) -> str | None:
    """The measured value a finding rests on, as reported ("<1%", "IHC 2+, ISH not amplified, ratio < 1.8")."""
    results = _governing(finding, history)
    if isinstance(finding, ReceptorFinding):
        if finding.percent is None:
            return None
        source = next((r for r in results if r.analyte == finding.receptor and r.percent == finding.percent), None)
        return percent_text(finding.percent, source.comparator if source else None)
    parts = []
    if finding.ihc_score:
        parts.append(f"IHC {ihc_text(finding.ihc_score)}")
    if finding.ish:
        parts.append(f"ISH {ish_text(finding.ish)}")
    if finding.ratio is not None:
        source = next((r for r in results if r.ratio == finding.ratio), None)
        parts.append(f"ratio {ratio_text(finding.ratio, source.comparator if source else None)}")
    if finding.ish_group:
        parts.append(f"ISH group {finding.ish_group}")
    return ", ".join(parts) or None


def finding_specimen_text(finding: ReceptorFinding | Her2Finding, history: Iterable[ReceptorResult]) -> str:
    """Where the governing results come from, by plain site names (one text per distinct specimen)."""
    texts = list(dict.fromkeys(result_specimen_text(r) for r in _governing(finding, history)))
    return "; ".join(texts) if texts else specimen_text(finding.specimen)


_BASIS = {
    "secondary-neoplasm-condition": "a diagnosis of metastatic (secondary) cancer",
    "m1": "distant metastasis (M1) in the staging",
    "metastasis-site": "a recorded site of distant metastasis",
    "stage-iv": "stage IV in the staging",
}


def _dated(events: Iterable[ClinicalEvent], kind: str, refs: set[str]) -> list[ClinicalEvent]:
    found = [e for e in events if e.kind == kind and (not refs or set(e.evidence) & refs)]
    return sorted(found, key=lambda e: date_text(e.date, "9999"))


def setting_text(setting: SettingFinding, events: Iterable[ClinicalEvent] = (),
                 episode: EpisodeFinding | None = None) -> str:
    """The setting with the record that makes it so, so "metastatic" next to an earlier stage is never a puzzle.

    Metastatic: names what showed it and when ("metastatic: a diagnosis of metastatic (secondary) cancer,
    2026-08-20"), and when the recorded stage is not IV says that stage came from the diagnosis.
    """
    events = list(events)
    if setting.setting == "metastatic":
        shown = _dated(events, "metastasis", set(setting.evidence))
        why = _BASIS.get(setting.basis, "a record of distant disease")
        first = shown[0] if shown else None
        text = f"metastatic: {why}" + (f", {date_text(first.date)}" if first else "")
        if setting.stage and not setting.stage.upper().startswith("IV"):
            staged = [e for e in _dated(events, "stage", set()) if (e.detail or {}).get("stage") == setting.stage]
            staged_on = date_text(staged[-1].date, "") if staged else ""
            relapse_on = date_text(first.date, "") if first else ""
            if staged_on and relapse_on and staged_on < relapse_on:
                text += f"; stage {setting.stage} was recorded earlier ({staged_on}), before the metastasis"
            else:
                text += (f"; the stage on record is {setting.stage}" + (f" ({staged_on})" if staged_on else "")
                         + ", but the metastasis record decides the setting")
        return text
    if setting.setting == "early":
        stage = f", stage {setting.stage}" if setting.stage else ""
        # A local or regional recurrence (or a new primary) is early disease too, but not the first tumour's: say so.
        kind = episode.new_tumour_kind if episode is not None and episode.new_tumour else None
        now = {"recurrence": "local or regional recurrence", "new-primary": "new primary in the other breast"}.get(kind)
        since = f"; {now} from {date_text(episode.new_tumour)}" if now else ""
        return f"early{stage}{since}; no distant metastasis is recorded"
    return "not established: the chart has no diagnosis, stage or metastasis record we could read"


_EVENT_KINDS = {"diagnosis": "diagnosis", "metastasis": "metastasis", "recurrence": "recurrence",
                "progression": "progression", "disease-status": "disease status", "stage": "stage"}


def event_kind_text(kind: str) -> str:
    return _EVENT_KINDS.get(kind, "event")


def data_quality_items(notes: Iterable[DataQualityNote]) -> list[tuple[str, str, list[str]]]:
    """Each distinct problem once: (what is wrong, what to do, the records concerned), in clinician words.

    The note's code and technical message are for the data team and are not shown."""
    grouped: dict[str, list[str]] = {}
    for note in notes:
        refs = grouped.setdefault(note.code, [])
        if note.resource and note.resource not in refs:
            refs.append(note.resource)
    return [(*words_for(code), refs) for code, refs in grouped.items()]


# Tests a card offers to order, by their code, as a clinician would write the order. The coding keeps
# its LOINC display (the code system's name); the button and the order's text use these words.
_TEST_LABELS = {
    "85318-4": "HER2 ISH (in situ hybridisation) on the same specimen",
    "85319-2": "HER2 IHC score",
    "85329-1": "ER percentage of stained tumour nuclei",
    "her2-ihc-ultralow-rescore": "re-scoring of the HER2 IHC 0 slide (ultralow or null)",
    "germline-brca1-brca2": "germline BRCA1 and BRCA2 testing",
    "esr1-mutation": "ESR1 mutation test at progression (ctDNA preferred)",
    "pik3ca-mutation": "PIK3CA mutation test (tissue or ctDNA)",
    "pik3ca-akt1-pten": "PIK3CA, AKT1 and PTEN testing",
    "pdl1-cps-22c3": "PD-L1 CPS with the 22C3 assay",
    "receptor-retest-metastasis": "biopsy of the metastasis with ER, PR and HER2",
    "receptor-retest-recurrence": "biopsy of the recurrence with ER, PR and HER2",
}


def orderable_test_text(coding: dict | None) -> str:
    """A test to order in clinician words; a code we have no words for keeps its display, else "the test"."""
    coding = coding if isinstance(coding, dict) else {}
    code = coding.get("code")
    if isinstance(code, str) and code in _TEST_LABELS:
        return _TEST_LABELS[code]
    display = coding.get("display")
    return display if isinstance(display, str) and display.strip() else "the missing test"


def sources_for_patient(sources: Iterable, sex: str | None) -> list:
    """The sources of a row that fit this patient: no guideline written for men on a woman's card, no
    ovarian-suppression trial on a man's (unknown sex keeps all)."""
    sex = (sex or "").lower()
    hidden = MALE_ONLY_SOURCES if sex == "female" else FEMALE_ONLY_SOURCES if sex == "male" else frozenset()
    return [s for s in sources if s.id not in hidden]
