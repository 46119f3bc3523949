"""Patient context around the receptors: setting, stage, menopause, biomarkers, drugs, events (b.5).

Why these belong to the facts and not to the rules: the options and pitfall rules (H2)
reason over *what is recorded* — metastatic or early, menopausal status and its basis,
germline vs somatic BRCA, PD-L1 by assay, which drugs are active — and each of these has
its own traps in real data (Synthea's stage "Stage 4" qualifier, SNOMED codes under LOINC,
product-level RxNorm codes), handled once here.
"""
from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any

from ..knowledge import codes
from ..knowledge.drugs import INGREDIENT_BY_NAME, PRODUCTS, classify_medication
from ..knowledge.thresholds import MENOPAUSE_AGE_YEARS
from .intake import Intake, ref_of
from .model import (GIVEN_MEDICATION_STATUSES, ONGOING_MEDICATION_STATUSES, Biomarker, ClinicalEvent,
                    DataQualityNote, MedicationUse, SettingFinding)
from .selection import day, effective_of, specimen_of
from .values import codings, read_value

CLINICAL_STATUS_RECURRENCE = frozenset({"recurrence", "relapse"})
# Statuses kept as medication history (past exposure matters: "after >=1 endocrine therapy"): every status that
# shows the drug given (an infusion under way included), plus intended and draft.
RECORDED_MED_STATUSES = GIVEN_MEDICATION_STATUSES | {"intended", "draft"}
# MedicationRequest intents that are not an order to give the drug (FHIR R4 medicationrequest-intent).
PLANNED_INTENTS = frozenset({"proposal", "plan", "option"})


def _first_entry(table, concept: Any) -> tuple[codes.CodeEntry | None, dict | None]:
    for coding in codings(concept):
        entry = codes.lookup(table, coding.get("system"), coding.get("code"))
        if entry is not None:
            return entry, coding
    return None, None


def coded_observations(intake: Intake) -> list[tuple[dict[str, Any], codes.CodeEntry | None]]:
    """Every Observation with the ``OBSERVATION_CODES`` entry of its code (None when none is known), in intake
    order. Read once per assessment and kept on the intake: the setting, menopause, biomarker, disease-status and
    tumour readers each go over every Observation by that code (five lookups per Observation before)."""
    if intake.coded_observations is None:
        intake.coded_observations = [(observation, _first_entry(codes.OBSERVATION_CODES, observation.get("code"))[0])
                                     for observation in intake.of_type("Observation")]
    return intake.coded_observations


def condition_date(condition: dict[str, Any]) -> str | None:
    for key in ("onsetDateTime", "recordedDate"):
        if isinstance(condition.get(key), str):
            return condition[key]
    period = condition.get("onsetPeriod")
    if isinstance(period, dict) and isinstance(period.get("start"), str):
        return period["start"]
    extensions = condition.get("extension")
    if isinstance(extensions, list):
        for ext in extensions:
            if isinstance(ext, dict) and str(ext.get("url", "")).endswith("assertedDate") and isinstance(ext.get("valueDateTime"), str):
                return ext["valueDateTime"]
    return None


def _condition_site(entry: codes.CodeEntry | None, icd_codes: list[str]) -> str:
    """The site of a secondary-neoplasm Condition (bone, liver, lung, brain), or "other"."""
    if entry is not None and entry.meaning == "metastatic" and entry.kind:
        return entry.kind
    for code in icd_codes:
        for prefix, site in codes.ICD_SECONDARY_SITE_PREFIXES.items():
            if code.startswith(prefix):
                return site
    return "other"


def _icd(coding: dict[str, Any]) -> str | None:
    if coding.get("system") == codes.ICD10CM and isinstance(coding.get("code"), str):
        return coding["code"].strip().upper()
    return None


def _stage_rank(stage: str) -> int:
    return 4 if stage.startswith("IV") else 3 if stage.startswith("III") else 2 if stage.startswith("II") else 1 if stage.startswith("I") else 0


def read_setting(intake: Intake, notes: list[DataQualityNote], events: list[ClinicalEvent]) -> tuple[SettingFinding, bool]:
    """Early vs metastatic (b.5), the stage, and whether stage III needs the clinician to confirm (P19)."""
    metastatic: list[tuple[str, str]] = []    # (basis, ref)
    sites: list[str] = []                     # sites of distant metastasis named in the record
    early_evidence: list[str] = []
    stages: list[tuple[str, str, str | None, str]] = []   # (stage, ref, date, source)
    m_zero: list[str] = []
    male_by_diagnosis = False
    for condition in intake.of_type("Condition"):
        ref = ref_of(condition)
        when = condition_date(condition)
        entry, _ = _first_entry(codes.CONDITION_CODES, condition.get("code"))
        icd_codes = [c for c in (_icd(x) for x in codings(condition.get("code"))) if c]
        maybe_regional = [c for c in icd_codes if c.startswith(codes.ICD_NODES_MAYBE_REGIONAL)]
        secondary = (entry is not None and entry.meaning == "metastatic") or any(
            c.startswith(codes.ICD_SECONDARY_PREFIXES) and c not in maybe_regional for c in icd_codes)
        if maybe_regional and not secondary:
            notes.append(DataQualityNote("nodal-code-not-distant",
                                         f"{ref}: {', '.join(maybe_regional)} (secondary neoplasm of lymph nodes) can be "
                                         "regional nodal disease in breast cancer; not read as distant metastasis", ref))
        # A receptor-status disorder (417181009, Z17.x...) also says the patient has breast cancer.
        breast = (entry is not None and entry.meaning != "metastatic") or any(c.startswith(codes.ICD_BREAST_PREFIX) for c in icd_codes)
        if any(c.startswith(codes.ICD_BREAST_PREFIX) and len(c.replace(".", "")) >= 5 and c.replace(".", "")[4] == "2" for c in icd_codes):
            male_by_diagnosis = True
        clinical = {c.get("code") for c in codings(condition.get("clinicalStatus"))}
        if secondary:
            metastatic.append(("secondary-neoplasm-condition", ref))
            sites.append(_condition_site(entry, icd_codes))
            site = (entry.kind if entry is not None and entry.kind else None) or next(iter(icd_codes), None)
            events.append(ClinicalEvent("metastasis", when, f"Metastatic disease{f' ({site})' if site else ''}", [ref]))
        elif breast:
            early_evidence.append(ref)
            events.append(ClinicalEvent("diagnosis", when, "Breast cancer diagnosed", [ref]))
        if clinical & CLINICAL_STATUS_RECURRENCE:
            when_recur = condition.get("recordedDate") if isinstance(condition.get("recordedDate"), str) else when
            events.append(ClinicalEvent("recurrence", when_recur, "Recurrence recorded", [ref], {"clinical_status": sorted(c for c in clinical if c)}))
        for stage in condition.get("stage", []) if isinstance(condition.get("stage"), list) else []:
            if isinstance(stage, dict):
                value, _ = _first_entry(codes.STAGE_VALUE_CODES, stage.get("summary"))
                if value is not None:
                    stages.append((value.kind, ref, when, "condition"))
    for observation, entry in coded_observations(intake):
        if entry is None:
            continue
        ref = ref_of(observation)
        when = effective_of(observation)
        concept = observation.get("valueCodeableConcept")
        if entry.meaning == "stage-group":
            value, _ = _first_entry(codes.STAGE_VALUE_CODES, concept)
            if value is None:
                shown = [f"{c.get('system')}|{c.get('code')}" for c in codings(concept)][:2]
                notes.append(DataQualityNote("unrecognised-stage", f"{ref}: stage value {shown} is not in the code tables", ref))
                continue
            stages.append((value.kind, ref, when, "observation"))
        elif entry.meaning == "m-category":
            value, _ = _first_entry(codes.M_VALUE_CODES, concept)
            if value is None:
                shown = [f"{c.get('system')}|{c.get('code')}" for c in codings(concept)][:2]
                notes.append(DataQualityNote("unrecognised-m-category", f"{ref}: M category {shown} is not in the code tables", ref))
            elif value.meaning == "M1":
                metastatic.append(("m1", ref))
                events.append(ClinicalEvent("metastasis", when, "Distant metastasis (M1)", [ref]))
            else:
                m_zero.append(ref)
        elif entry.meaning == "metastasis-site":
            none, _ = _first_entry(codes.NO_METASTASIS_CODES, concept)
            if none is not None:
                m_zero.append(ref)          # Synthea's "None" site: no distant metastasis recorded
                continue
            if not codings(concept) and not (isinstance(concept, dict) and concept.get("text")) and not observation.get("valueString"):
                notes.append(DataQualityNote("unparseable-value", f"{ref}: site of distant metastasis has no value; not used", ref))
                continue
            metastatic.append(("metastasis-site", ref))
            mapped, _ = _first_entry(codes.METASTASIS_SITE_CODES, concept)
            sites.append(mapped.kind if mapped is not None else "other")
            site = (concept or {}).get("text") if isinstance(concept, dict) else None
            shown = next((c.get("display") for c in codings(concept) if isinstance(c.get("display"), str)), None)
            events.append(ClinicalEvent("metastasis", when, f"Distant metastasis{f' ({site or shown})' if (site or shown) else ''}", [ref]))
    for stage, ref, when, source in stages:
        events.append(ClinicalEvent("stage", when, f"Stage {stage}", [ref], {"stage": stage, "source": source}))
        if stage.startswith("IV"):
            metastatic.append(("stage-iv", ref))
            events.append(ClinicalEvent("metastasis", when, "Stage IV: distant metastasis", [ref]))
    finding = SettingFinding()
    chosen_stage = None
    if stages:
        observed = [s for s in stages if s[3] == "observation"] or stages
        observed.sort(key=lambda s: day(s[2]) or "0000", reverse=True)
        chosen_stage = observed[0]
        finding.stage = chosen_stage[0]
        distinct = {_stage_rank(s[0]) for s in stages if day(s[2]) == day(chosen_stage[2]) or s[3] != chosen_stage[3]}
        if len(distinct) > 1:
            notes.append(DataQualityNote("conflicting-stage",
                                         "stage records disagree (" + ", ".join(f"{s[0]} in {s[1]}" for s in stages) +
                                         f"); the stage Observation {chosen_stage[1]} is used", chosen_stage[1]))
    finding.metastatic_sites = sorted(set(sites))
    if metastatic:
        finding.setting = "metastatic"
        finding.basis = metastatic[0][0]
        finding.evidence = list(dict.fromkeys(ref for _, ref in metastatic))
        if m_zero and any(b == "stage-iv" for b, _ in metastatic) and len({b for b, _ in metastatic}) == 1:
            notes.append(DataQualityNote("conflicting-stage", "stage IV recorded together with M0", m_zero[0]))
    elif early_evidence or stages or m_zero:
        finding.setting = "early"
        finding.basis = "no-distant-disease-recorded"
        finding.evidence = list(dict.fromkeys(early_evidence + ([chosen_stage[1]] if chosen_stage else []) + m_zero))
        if finding.stage and finding.stage.startswith("III"):
            finding.locally_advanced = True
    return finding, male_by_diagnosis


def _age(birth: Any, today: date) -> int | None:
    if not isinstance(birth, str) or len(birth) < 4:
        return None
    try:
        year = int(birth[:4])
        month = int(birth[5:7]) if len(birth) >= 7 else 1
        dom = int(birth[8:10]) if len(birth) >= 10 else 1
    except ValueError:
        return None
    age = today.year - year - ((today.month, today.day) < (month, dom))
    return age if 0 <= age < 150 else None


def read_patient(intake: Intake, today: date, notes: list[DataQualityNote]) -> tuple[str | None, str | None, int | None]:
    patients = intake.of_type("Patient")
    if not patients:
        return None, None, None
    if len(patients) > 1:
        notes.append(DataQualityNote("multiple-patients", f"{len(patients)} Patient resources given; the first ({ref_of(patients[0])}) is used", ref_of(patients[0])))
    patient = patients[0]
    gender = patient.get("gender") if isinstance(patient.get("gender"), str) else None
    return patient.get("id"), gender, _age(patient.get("birthDate"), today)


def _med_coding(resource: dict[str, Any], intake: Intake) -> list[dict[str, Any]]:
    concept = resource.get("medicationCodeableConcept")
    if concept is None and isinstance(resource.get("medicationReference"), dict):
        medication = intake.resolve(resource["medicationReference"])
        concept = medication.get("code") if medication else None
    return codings(concept)


def _period_of(resource: dict[str, Any]) -> tuple[str | None, str | None]:
    if resource.get("resourceType") == "MedicationRequest":
        for dosage in resource.get("dosageInstruction", []) if isinstance(resource.get("dosageInstruction"), list) else []:
            bounds = (((dosage or {}).get("timing") or {}).get("repeat") or {}).get("boundsPeriod") if isinstance(dosage, dict) else None
            if isinstance(bounds, dict) and (bounds.get("start") or bounds.get("end")):
                return bounds.get("start"), bounds.get("end")
        validity = (resource.get("dispenseRequest") or {}).get("validityPeriod") if isinstance(resource.get("dispenseRequest"), dict) else None
        if isinstance(validity, dict) and (validity.get("start") or validity.get("end")):
            return validity.get("start"), validity.get("end")
        return resource.get("authoredOn"), None
    period = resource.get("effectivePeriod")
    if isinstance(period, dict):
        return period.get("start"), period.get("end")
    when = resource.get("effectiveDateTime")
    return (when, None) if isinstance(when, str) else (None, None)


def read_medications(intake: Intake, notes: list[DataQualityNote]) -> list[MedicationUse]:
    """MedicationRequest/Statement rolled up to ingredient and class via the shipped RxNorm table (a.7)."""
    uses: list[MedicationUse] = []
    for resource in intake.of_type("MedicationRequest", "MedicationStatement", "MedicationAdministration"):
        status = resource.get("status") if isinstance(resource.get("status"), str) else "unknown"
        if status not in RECORDED_MED_STATUSES:
            continue
        ref = ref_of(resource)
        all_codings = _med_coding(resource, intake)
        classified = None
        shown = None
        for coding in all_codings:
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str):
                shown = shown or coding
                classified = classify_medication(system, code)
                if classified:
                    shown = coding
                    break
        if classified and shown is not None:
            _label_mismatch(ref, classified[0], shown, notes)
        start, end = _period_of(resource)
        use = MedicationUse(resource=ref, ingredient=classified[0] if classified else None,
                            ingredient_rxcui=classified[1] if classified else None,
                            drug_class=classified[2] if classified else None, status=status,
                            code=f"{shown.get('system')}|{shown.get('code')}" if shown else None,
                            display=shown.get("display") if shown and isinstance(shown.get("display"), str) else None,
                            start=start if isinstance(start, str) else None, end=end if isinstance(end, str) else None,
                            draft=status == "draft",
                            planned=resource.get("resourceType") == "MedicationRequest"
                            and resource.get("intent") in PLANNED_INTENTS)
        uses.append(use)
    return uses


def _names_of(ingredient: str) -> set[str]:
    """The ingredient's name and the brand/product names our table gives it (lower case)."""
    names = {ingredient.lower()}
    for product in PRODUCTS:
        if product.ingredient == ingredient and product.tty == "BN":
            names.add(product.display.lower())
    return names


def _label_mismatch(ref: str, ingredient: str, coding: dict[str, Any], notes: list[DataQualityNote]) -> None:
    """A display naming another drug than the code (Synthea's 'Paclitaxel' on Taxotere 202982, a.5, P17); the code decides."""
    shown = coding.get("display")
    if not isinstance(shown, str) or not shown.strip():
        return
    label = " " + re.sub(r"[^a-z0-9-]+", " ", shown.lower()) + " "
    if any(f" {name} " in label or name in label for name in _names_of(ingredient)):
        return
    others = sorted(n for n in INGREDIENT_BY_NAME if n != ingredient and f" {n} " in label)
    if others:
        notes.append(DataQualityNote("medication-display-mismatch",
                                     f"{ref}: code {coding.get('code')} is {ingredient} but is labelled '{shown[:60]}' "
                                     f"(which names {', '.join(others)}); the code is used", ref))


def read_menopause(intake: Intake, sex: str | None, age: int | None, male_by_diagnosis: bool,
                   medications: list[MedicationUse]) -> tuple[str, str]:
    """Menopausal status and its basis (b.5, NCCN definition as summarised there)."""
    if sex == "male" or male_by_diagnosis:
        return "male", "patient-gender" if sex == "male" else "icd-c50-male"
    explicit = []
    for observation, entry in coded_observations(intake):
        if entry is not None and entry.meaning == "menopause":
            value, _ = _first_entry(codes.MENOPAUSE_VALUE_CODES, observation.get("valueCodeableConcept"))
            if value is not None and value.kind != "unknown":
                explicit.append((day(effective_of(observation)), value.kind, ref_of(observation)))
    on_gnrh = any(m.drug_class == "gnrh-agonist" and m.status in ONGOING_MEDICATION_STATUSES
                  for m in medications)
    procedures = [p for p in intake.of_type("Procedure")
                  if p.get("status") == "completed" and _first_entry(codes.OOPHORECTOMY_CODES, p.get("code"))[0] is not None]
    oophorectomy = ref_of(procedures[0]) if procedures else None
    oophorectomy_day = max((day(_performed(p)) for p in procedures), default="")
    if explicit:
        explicit.sort(reverse=True)
        recorded, status, ref = explicit[0]
        if status == "premenopausal" and on_gnrh:
            return "suppressed", "gnrh-agonist"
        if status == "premenopausal" and oophorectomy and (not oophorectomy_day or not recorded or oophorectomy_day > recorded):
            # A bilateral oophorectomy after the record ends ovarian function (b.5).
            return "postmenopausal", f"bilateral oophorectomy {oophorectomy} after the premenopausal record {ref}"
        if status == "premenopausal" and age is not None and age >= MENOPAUSE_AGE_YEARS.value \
                and _age_on(intake, recorded) is not None and _age_on(intake, recorded) < MENOPAUSE_AGE_YEARS.value:
            # NCCN (b.5): age 60 or more is postmenopausal; a record made before 60 no longer holds. A record
            # made at 60 or later is explicit and recent, and wins over the age rule.
            return "postmenopausal", f"age>=60 (premenopausal record {ref} of {recorded} was made before 60)"
        return status, f"observation {ref}"
    if oophorectomy:
        return "postmenopausal", f"bilateral oophorectomy {oophorectomy}"
    if on_gnrh:
        return "suppressed", "gnrh-agonist"
    if age is not None and age >= MENOPAUSE_AGE_YEARS.value:
        return "postmenopausal", "age>=60"
    return "unknown", "none"


def _age_on(intake: Intake, when: str) -> int | None:
    """The patient's age on a date (from Patient.birthDate), None when either is unknown."""
    patients = intake.of_type("Patient")
    if not patients or not when:
        return None
    try:
        on = date.fromisoformat(when[:10])
    except ValueError:
        on = _last_day_of(when)
        if on is None:
            return None
    return _age(patients[0].get("birthDate"), on)


def _last_day_of(partial: str) -> date | None:
    """The last day a FHIR year or year-month can mean ("2020" -> 2020-12-31), None when it is neither.

    Why the last day: a record dated only "2020" was made at the latest on 31 December 2020; if the patient was under 60
    even then, the record was certainly made before 60 (and the age rule ends it); otherwise it may not have been."""
    try:
        year = int(partial[:4])
        month = int(partial[5:7]) if len(partial) >= 7 else 12
        return date(year, month, calendar.monthrange(year, month)[1]) if len(partial) in (4, 7) else None
    except ValueError:
        return None


def _performed(procedure: dict[str, Any]) -> str | None:
    if isinstance(procedure.get("performedDateTime"), str):
        return procedure["performedDateTime"]
    period = procedure.get("performedPeriod")
    if isinstance(period, dict) and isinstance(period.get("start"), str):
        return period["start"]
    return None


_GENE_KEYS = ("BRCA1", "BRCA2", "PIK3CA", "AKT1", "PTEN", "ESR1")


def _specimen_type(observation: dict[str, Any], intake: Intake) -> str | None:
    specimen = intake.resolve(observation.get("specimen"))
    if specimen is None:
        return None
    type_codes = {c.get("code") for c in codings(specimen.get("type"))}
    if type_codes & {"TISS", "TUMOR"}:
        return "tissue"
    if type_codes & {"PLAS", "BLDP", "BLD", "SER"}:
        return "ctDNA" if type_codes & {"PLAS", "BLDP"} else "blood"
    return None


def read_biomarkers(intake: Intake, notes: list[DataQualityNote]) -> list[Biomarker]:
    """BRCA1/2, PIK3CA, AKT1, PTEN, ESR1 (GenomicVariant, a.4) and PD-L1 by assay and measure."""
    found: list[Biomarker] = []
    for observation, entry in coded_observations(intake):
        if entry is None:
            continue
        ref = ref_of(observation)
        when = effective_of(observation)
        if entry.meaning == "genomic-variant":
            gene, origin = None, "unknown"
            for component in observation.get("component", []) if isinstance(observation.get("component"), list) else []:
                if not isinstance(component, dict):
                    continue
                centry, _ = _first_entry(codes.COMPONENT_CODES, component.get("code"))
                if centry is None:
                    continue
                if centry.meaning == "gene-studied":
                    gentry, _ = _first_entry(codes.ANSWER_CODES, component.get("valueCodeableConcept"))
                    if gentry is not None and gentry.meaning in _GENE_KEYS:
                        gene = gentry.meaning
                elif centry.meaning == "source-class":
                    origin = read_value(component).origin or "unknown"
            if gene is None:
                continue
            value = read_value(observation)
            result = {"present": "present", "positive": "present", "absent": "absent", "negative": "absent"}.get(value.qualitative or "", "unknown")
            found.append(Biomarker(gene, result, origin, specimen=_specimen_type(observation, intake), effective=when, evidence=[ref]))  # type: ignore[arg-type]
        elif entry.meaning in ("BRCA1", "BRCA2"):
            value = read_value(observation)
            result = {"present": "present", "positive": "present", "absent": "absent", "negative": "absent"}.get(value.qualitative or "", "unknown")
            found.append(Biomarker(entry.meaning, result, "unknown", effective=when, evidence=[ref]))  # type: ignore[arg-type]
        elif entry.meaning == "PD-L1":
            assay, _, measure = entry.kind.partition("|")
            values: list[tuple[str, float | None, str]] = []
            value = read_value(observation)
            if value.number is not None:
                # A number under a clone-only code (e.g. 83052-1) keeps its value but no measure:
                # CPS, TPS and IC% are not interchangeable (P15).
                values.append((measure if measure in ("TPS", "CPS", "IC") else "", value.number, "present" if value.number > 0 else "absent"))
            for component in observation.get("component", []) if isinstance(observation.get("component"), list) else []:
                if not isinstance(component, dict):
                    continue
                centry, _ = _first_entry(codes.COMPONENT_CODES, component.get("code"))
                if centry is not None and centry.meaning == "PD-L1":
                    cvalue = read_value(component)
                    cmeasure = centry.kind.partition("|")[2]
                    if cvalue.number is not None:
                        # A score of 0 is no expression, as for the Observation's own value above.
                        values.append((cmeasure, cvalue.number, "present" if cvalue.number > 0 else "absent"))
            if not values:
                result = {"positive": "present", "negative": "absent"}.get(value.qualitative or "", "unknown")
                values.append(("", None, result))
            for meas, num, result in values:
                found.append(Biomarker("PD-L1", result, "unknown", value=num, measure=meas or None,  # type: ignore[arg-type]
                                       assay=assay or None, specimen=_specimen_type(observation, intake), effective=when, evidence=[ref]))
    for condition in intake.of_type("Condition"):
        entry, _ = _first_entry(codes.ANSWER_CODES, condition.get("code"))
        if entry is not None and entry.meaning in ("BRCA1", "BRCA2") and entry.kind in ("present", "absent"):
            found.append(Biomarker(entry.meaning, entry.kind, "unknown", effective=condition_date(condition), evidence=[ref_of(condition)]))  # type: ignore[arg-type]
    return found


def read_disease_status(intake: Intake, events: list[ClinicalEvent]) -> None:
    """CancerDiseaseStatus (97509-4) with its evidence types, for P12 and the chart."""
    for observation, entry in coded_observations(intake):
        if entry is None or entry.meaning != "disease-status":
            continue
        value, _ = _first_entry(codes.DISEASE_STATUS_CODES, observation.get("valueCodeableConcept"))
        evidence_types: list[str] = []
        for ext in observation.get("extension", []) if isinstance(observation.get("extension"), list) else []:
            if isinstance(ext, dict) and ext.get("url") == codes.MCODE_EVIDENCE_TYPE_URL:
                etype, _ = _first_entry(codes.EVIDENCE_TYPE_CODES, ext.get("valueCodeableConcept"))
                evidence_types.append(etype.kind if etype else "other")
        status = value.kind if value else "unrecognised"
        kind = "progression" if status == "worsened" else "disease-status"
        events.append(ClinicalEvent(kind, effective_of(observation), f"Disease status: {status}",
                                    [ref_of(observation)], {"status": status, "evidence_types": evidence_types}))


__all__ = ["read_setting", "read_patient", "read_medications", "read_menopause", "read_biomarkers",
           "read_disease_status", "specimen_of"]
