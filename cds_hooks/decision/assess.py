"""``assess()``: one patient's FHIR resources in, one ``Assessment`` out. Pure: no I/O.

Order of work: intake (validate, drop entered-in-error, index) → receptor readings from
every Observation, its components (MII style) and ISH panels (hasMember) → setting, the
ER/PR/HER2 findings chosen over time (b.3) → subtype (b.4) → context (menopause,
biomarkers, drugs, events) → H2's options and pitfalls over those facts.

Input: an iterable of resource dicts (a Bundle's resources, or a search result). A Bundle
dict passed instead of its resources — or Bundles among them — is unpacked, because
refusing it would turn a caller's slip into a lost answer; that is documented here and in
``intake``. Bad data never raises: it becomes ``Assessment.data_quality`` notes.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Iterable

from ..knowledge import KNOWLEDGE_VERSION, codes
from .config import DEFAULT_CONFIG, DecisionConfig
from .context import (read_biomarkers, read_disease_status, read_medications, read_menopause, read_patient,
                      read_setting)
from .episodes import (build_episode, earlier_tumour_phase, is_recurrence_sample, residual_disease_samples,
                       sample_phase)
from .bilateral import describe, differing, options_for_tumours, tumour_calls
from .er_pr import condition_receptor_evidence, decide_receptor, hr_status, read_er_pr
from .her2 import decide_her2, read_her2
from .intake import FINAL_STATUSES, PROVISIONAL_STATUSES, Intake, ref_of, take_in
from .model import Assessment, ClinicalEvent, DataQualityNote, ReceptorResult
from .options import option_notes, options_for
from .pitfalls import find_pitfalls
from .selection import SpecimenInfo, day, effective_of, sample_date, specimen_of
from .subtype import classify
from .tumour import read_tumour
from .subtype_notes import subtype_notes
from .values import codings, read_value

_HER2_ANALYTES = frozenset({"HER2-IHC", "HER2-status", "HER2-ISH", "HER2-ISH-ratio", "HER2-ISH-copies", "CEP17-copies"})
_ER_PR_ANALYTES = frozenset({"ER", "PR", "HR", "Ki67"})


def _analyte_entry(concept: Any, table: dict, ref: str, notes: list[DataQualityNote],
                   where: str = "") -> codes.CodeEntry | None:
    """The recognised analyte code of a CodeableConcept; reports codes that cannot be valid."""
    found = None
    for coding in codings(concept):
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(code, str):
            continue
        wrong = codes.KNOWN_WRONG_SYSTEM.get((system, code.strip()))
        if wrong is not None or (system in (codes.LNC, codes.SCT) and not codes.code_fits_system(system, code)):
            notes.append(DataQualityNote(
                "invalid-code-for-system",
                f"{ref}{where}: code '{code}' is not valid for {system}" + (f" ({wrong})" if wrong else "") +
                "; not read as a result", ref))
            continue
        entry = codes.lookup(table, system, code)
        if entry is not None and found is None:
            found = entry
            shown = coding.get("display")
            named = codes.DISPLAY_TO_CODE.get(shown.strip().lower()) if isinstance(shown, str) else None
            if system == codes.LNC and named is not None and named != entry.code:
                notes.append(DataQualityNote(
                    "display-code-mismatch",
                    f"{ref}{where}: code {entry.code} is displayed as '{shown}', the name of {named}; the code is used", ref))
    return found


def _status_flags(observation: dict[str, Any], ref: str, notes: list[DataQualityNote]) -> tuple[str, bool]:
    status = observation.get("status") if isinstance(observation.get("status"), str) else "unknown"
    if status in FINAL_STATUSES:
        return status, False
    if status in PROVISIONAL_STATUSES:
        notes.append(DataQualityNote("provisional-result", f"{ref} is {status}: used only as provisional", ref))
        return status, True
    notes.append(DataQualityNote("unexpected-status", f"{ref} has status '{status}': treated as provisional", ref))
    return status, True


class _Reader:
    """Collects receptor readings from Observations, components and ISH panels."""

    def __init__(self, intake: Intake, config: DecisionConfig, notes: list[DataQualityNote]):
        self.intake, self.config, self.notes = intake, config, notes
        self.results: list[ReceptorResult] = []
        self.kinds: dict[str, str] = {}
        self.panel_context: dict[str, tuple[SpecimenInfo, str | None]] = {}

    def run(self) -> None:
        observations = self.intake.of_type("Observation")
        entries = []                                         # each code read once, its notes said in _observation
        for observation in observations:                     # panels first: members inherit specimen/date
            notes: list[DataQualityNote] = []
            entry = _analyte_entry(observation.get("code"), codes.OBSERVATION_CODES, ref_of(observation), notes)
            entries.append((entry, notes))
            if entry is not None and entry.meaning == "HER2-ISH-panel":
                self._panel(observation, "hasMember")
        for report in self.intake.of_type("DiagnosticReport"):   # b.1: DiagnosticReport.result as a grouping too
            self._panel(report, "result")
        for observation, read in zip(observations, entries):
            self._observation(observation, read)

    def _panel(self, panel: dict[str, Any], field: str) -> None:
        """Members of an ISH panel (hasMember) or a report (result) inherit its specimen and date when they lack them."""
        ref = ref_of(panel)
        holder = dict(panel)
        if isinstance(panel.get("specimen"), list):     # DiagnosticReport.specimen is a list
            holder["specimen"] = panel["specimen"][0] if panel["specimen"] else None
        spec = specimen_of(holder, self.intake)
        members = panel.get(field) if isinstance(panel.get(field), list) else []
        for member in members:
            target = self.intake.resolve(member)
            if target is None:
                shown = member.get("reference") if isinstance(member, dict) else member
                if isinstance(shown, str) and shown not in self.intake.dropped and self.intake.resolve({"reference": shown}) is None:
                    if field == "hasMember":
                        self.notes.append(DataQualityNote("unresolved-reference", f"{ref}: ISH panel member {shown} is not among the given resources", ref))
                continue
            self.panel_context.setdefault(ref_of(target), (spec, effective_of(panel)))

    def _semi_quantitative_scores(self, observation: dict[str, Any], ref: str) -> None:
        """Allred/IRS totals are noted, never read as ER/PR status (b.2; codes.SEMI_QUANTITATIVE_SCORE_CODES)."""
        components = observation.get("component") if isinstance(observation.get("component"), list) else []
        holders = [observation.get("code"), *(c.get("code") for c in components if isinstance(c, dict))]
        for concept in holders:
            for coding in codings(concept):
                name = codes.SEMI_QUANTITATIVE_SCORE_CODES.get(coding.get("code")) if isinstance(coding.get("code"), str) else None
                if name is not None:
                    self.notes.append(DataQualityNote(
                        "allred-score-not-used",
                        f"{ref}: {name} recorded; ER/PR status is taken only from the % of stained nuclei or the "
                        "reported status, never from this total (an Allred total of 3 or more was once read as "
                        "positive, yet can mean under 1% of nuclei, which ASCO/CAP 2020 calls negative)", ref))
                    return

    def _observation(self, observation: dict[str, Any],
                     read: tuple[codes.CodeEntry | None, list[DataQualityNote]]) -> None:
        """``read``: the observation's analyte code and the notes reading it gave (``run`` reads it once)."""
        ref = ref_of(observation)
        self._semi_quantitative_scores(observation, ref)
        entry, code_notes = read
        self.notes.extend(code_notes)
        components = observation.get("component") if isinstance(observation.get("component"), list) else []
        if entry is None:
            if not components:
                return
        elif entry.meaning == "HER2-serum":
            self.notes.append(DataQualityNote("serum-her2-ignored",
                                              f"{ref}: serum HER2 ({entry.code}) is not a tumour HER2 status and was not used", ref))
            return
        elif entry.meaning == "generic-tumor-marker":
            self.notes.append(DataQualityNote("generic-tumor-marker",
                                              f"{ref}: generic 'Tumor marker Cancer' (21924-6) is not an ER/PR/HER2 result and was not used", ref))
            return
        elif entry.meaning == "HER2-procedure":
            self.notes.append(DataQualityNote("procedure-code-as-result", f"{ref}: a test procedure code carries no result", ref))
            return
        elif not entry.usable:
            self.notes.append(DataQualityNote("unverified-code", f"{ref}: code {entry.code} is recognised but its meaning is not verified ({entry.mark}); not used", ref))
            return
        receptor = entry is not None and entry.meaning in _ER_PR_ANALYTES | _HER2_ANALYTES
        if entry is not None and not receptor and entry.meaning != "HER2-ISH-panel":
            return                          # staging, genomics, disease status...: read by context
        status_notes: list[DataQualityNote] = []
        status, provisional = _status_flags(observation, ref, status_notes)
        spec = specimen_of(observation, self.intake)
        effective = effective_of(observation)
        inherited = self.panel_context.get(ref)
        if inherited is not None:
            panel_spec, panel_when = inherited
            if spec.kind == "unknown" and spec.ref is None:
                spec = panel_spec
            effective = effective or panel_when
        produced = 0
        if receptor:
            self._reading(entry, observation, ref, status, provisional, spec, effective)
            produced += 1
        for index, component in enumerate(components):
            if not isinstance(component, dict):
                continue
            centry = _analyte_entry(component.get("code"), codes.COMPONENT_CODES, ref, self.notes, f" component {index}")
            if centry is None or centry.meaning not in _ER_PR_ANALYTES | _HER2_ANALYTES or not centry.usable:
                continue
            self._reading(centry, component, f"{ref}#component-{index}", status, provisional, spec, effective)
            produced += 1
        if produced:
            self.notes.extend(status_notes)

    def _reading(self, entry: codes.CodeEntry, holder: dict[str, Any], ref: str, status: str, provisional: bool,
                 spec: SpecimenInfo, effective: str | None) -> None:
        value = read_value(holder)
        for problem, message in value.problems:
            self.notes.append(DataQualityNote(problem, f"{ref}: {message}", ref.split("#")[0]))
        code = f"{entry.system}|{entry.code}"
        if entry.meaning in _ER_PR_ANALYTES:
            result = read_er_pr(entry.meaning, entry.kind, code, value, ref, effective, status, provisional, spec,
                                self.config, self.notes)
        else:
            result = read_her2(entry.meaning, code, value, ref, effective, status, provisional, spec, self.notes)
        if result is None:
            return
        if value.text and value.qualitative is None and value.ihc_score is None and entry.meaning in ("HER2-ISH",) and result.ratio is not None:
            self.notes.append(DataQualityNote("value-as-string", f"{ref}: HER2 ISH sent as a string ('{value.text}')", ref.split("#")[0]))
        self.kinds[ref] = entry.kind
        self.results.append(result)


def _condition_evidence(intake: Intake, notes: list[DataQualityNote]) -> dict[str, list[tuple[str, str, str | None]]]:
    """Receptor status carried by Condition codes, best first: SNOMED disorders before ICD Z17
    (the weakest evidence, b.2 precedence), newest first within each."""
    from .context import condition_date
    ranked: dict[str, list[tuple[int, tuple[str, str, str | None]]]] = {}
    for condition in intake.of_type("Condition"):
        for coding in codings(condition.get("code")):
            entry = codes.lookup(codes.CONDITION_CODES, coding.get("system"), coding.get("code"))
            if entry is None or entry.meaning in ("breast-cancer", "metastatic"):
                continue
            rank = 1 if entry.system == codes.ICD10CM else 0
            for key, items in condition_receptor_evidence(entry, ref_of(condition), condition_date(condition)).items():
                ranked.setdefault(key, []).extend((rank, item) for item in items)
    evidence: dict[str, list[tuple[str, str, str | None]]] = {}
    for key, items in ranked.items():
        items.sort(key=lambda pair: day(pair[1][2]) or "0000", reverse=True)
        items.sort(key=lambda pair: pair[0])
        evidence[key] = [item for _, item in items]
    return evidence


def _today(config: DecisionConfig) -> date:
    return config.today or datetime.now(timezone.utc).date()


def assess(resources: Iterable[dict[str, Any]], config: DecisionConfig = DEFAULT_CONFIG) -> Assessment:
    """Classify one patient's receptor picture and list options and pitfalls (issue 2). Never raises on bad data."""
    intake = take_in(resources)
    notes: list[DataQualityNote] = list(intake.notes)
    events: list[ClinicalEvent] = []
    setting, male_by_diagnosis = read_setting(intake, notes, events)
    metastatic = setting.setting == "metastatic"

    reader = _Reader(intake, config, notes)
    reader.run()
    results = reader.results
    medications = read_medications(intake, notes)
    episode = build_episode(intake, setting, events, medications, results)
    by_condition = _condition_evidence(intake, notes)

    def phase_of(result: ReceptorResult) -> str:
        return sample_phase(episode, result)

    def earlier_phase_of(result: ReceptorResult) -> str:
        return earlier_tumour_phase(episode, sample_date(result))

    for result in results:
        if is_recurrence_sample(episode, result):
            result.tumour = "recurrence"
    er, er_calls = decide_receptor("ER", results, reader.kinds, metastatic, phase_of, by_condition.get("ER", []), notes,
                                   earlier_phase_of)
    pr, pr_calls = decide_receptor("PR", results, reader.kinds, metastatic, phase_of, by_condition.get("PR", []), notes,
                                   earlier_phase_of)
    combined = [r for r in results if r.analyte == "HR"]
    hr, hr_basis = hr_status(er, pr, combined)
    if hr == "unknown" and by_condition.get("HR"):
        hr = by_condition["HR"][0][0]
        hr_basis = "condition"
    if hr_basis == "combined-hr":
        notes.append(DataQualityNote("combined-hr-only",
                                     "hormone-receptor status rests on the combined ER+PR result (10480-2); ER is not inferred from it",
                                     next((r.resource for r in combined), None)))
    her2, her2_reasons, her2_calls = decide_her2(results, metastatic, phase_of, by_condition.get("HER2", []), notes,
                                                 earlier_phase_of)
    subtype, reasons, modifiers = classify(er, pr, hr, her2, her2_reasons)
    tumours = []
    if episode.bilateral and not episode.new_tumour and all(f.rule != "metastatic-sample" for f in (er, pr, her2)):
        # Synchronous bilateral cancer: each breast's tumour on its own (bilateral.py); never a merged subtype.
        tumours = tumour_calls(results, reader.kinds, metastatic, phase_of, earlier_phase_of)
        if len(tumours) < 2:
            tumours = []
        elif differing(tumours):
            subtype, modifiers = "indeterminate", []
            reasons.insert(0, "two primary breast cancers with different subtypes (" + "; ".join(
                describe(t) for t in tumours) + "): no guideline merges two primaries into one subtype, so each is "
                "stated on its own and the options cover both")
    if episode.new_tumour_kind == "new-primary" and all(f.rule in ("none", "condition") for f in (er, pr, her2)):
        reasons.insert(0, f"the new primary in the other breast ({episode.new_tumour}) has no ER, PR or HER2 result "
                          "of its own, and the earlier cancer's results do not describe it: test the new primary")
    treated_only = [name for name, f in (("ER", er), ("PR", pr), ("HER2", her2)) if f.rule == "post-treatment-only"]
    if treated_only and subtype != "indeterminate":
        reasons.append(f"{'/'.join(treated_only)} tested only on tissue taken after systemic therapy began (residual "
                       "disease), which can lose receptors through treatment: the pre-treatment biopsy result is needed")
    contested = sorted({n.message.split(":")[0] for n in notes if n.code == "newer-provisional-differs"})
    if contested and subtype != "indeterminate":
        reasons.append(f"a newer preliminary {'/'.join(contested)} result disagrees with the final one used: "
                       "confirm before acting")

    patient_id, sex, age = read_patient(intake, _today(config), notes)
    menopausal_status, menopausal_basis = read_menopause(intake, sex, age, male_by_diagnosis, medications)
    read_disease_status(intake, events)
    events.sort(key=lambda e: day(e.date) or "9999")

    tumour = read_tumour(intake, results, episode, notes)
    assessment = Assessment(
        patient=patient_id, subtype=subtype, hr=hr, er=er, pr=pr, her2=her2, setting=setting,  # type: ignore[arg-type]
        knowledge_version=KNOWLEDGE_VERSION, tumour=tumour, subtype_reasons=reasons, modifiers=modifiers,
        sex=sex if sex else ("male" if male_by_diagnosis else None), age=age,
        menopausal_status=menopausal_status, menopausal_basis=menopausal_basis,  # type: ignore[arg-type]
        biomarkers=read_biomarkers(intake, notes), medications=medications,
        data_quality=_dedupe(notes), history=sorted(results, key=lambda r: (day(r.effective) or "9999", r.analyte)),
        events=events, episode=episode, samples=[*er_calls, *pr_calls, *her2_calls], tumours=tumours)
    residual = residual_disease_samples(episode, assessment.samples)
    if residual and setting.residual_disease is None:
        setting.residual_disease = True
        setting.evidence = list(dict.fromkeys([*setting.evidence, *(ref for c in residual for ref in c.evidence)]))
    assessment.options = (options_for_tumours(assessment, tumours, config, options_for) if differing(tumours)
                          else options_for(assessment, config))
    assessment.option_notes = option_notes(assessment)
    assessment.alerts = find_pitfalls(assessment, config)
    assessment.subtype_notes = subtype_notes(assessment)
    return assessment


def _dedupe(notes: list[DataQualityNote]) -> list[DataQualityNote]:
    seen: dict[tuple[str, str, str | None], DataQualityNote] = {}
    for note in notes:
        seen.setdefault((note.code, note.message, note.resource), note)
    return list(seen.values())
