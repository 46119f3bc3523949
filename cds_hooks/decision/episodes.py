"""The episode model: one patient's disease over time, written once for every rule that needs it.

Why: which receptor result governs, whether a drug is neoadjuvant, adjuvant or a metastatic line,
and whether a result predates the disease it is used for, are all questions about *when* something
happened relative to the patient's history. Answering them in one place keeps the receptor choice
(``selection``), the pitfalls (P9, P13, conversion) and the lines of therapy consistent.

Episodes (clinical-knowledge.md b.3 "Multiple samples", revised; issue 13 section 1):
- **early episode**: from the breast cancer diagnosis to the first recurrence or metastasis. Within it
  the **neoadjuvant window** runs from the first systemic therapy to the breast surgery, when the
  therapy came first (results on tissue taken after it are residual disease: never a reason to call a
  receptor negative, because the post-neoadjuvant standards select on the pre-treatment status:
  KATHERINE, von Minckwitz N Engl J Med 2019;380:617-628; CREATE-X, Masuda N Engl J Med
  2017;376:2147-2159; OlympiA, Tutt N Engl J Med 2021;384:2394-2405).
- **metastatic episode**: from the first recurrence or metastasis onward (ESMO ABC 5: the metastatic
  biopsy governs; Cardoso Ann Oncol 2020;31:1623-1649). When the metastasis is found within the
  staging window of the diagnosis (``knowledge.thresholds.DE_NOVO_WINDOW_MONTHS``, the SEER time rule),
  the disease was metastatic at diagnosis (de novo stage IV) and the whole history is metastatic: the
  diagnostic biopsy describes the metastatic disease.

Sources of dates: Conditions (breast cancer onset; secondary neoplasm; recurrence status), stage IV
and M1 Observations, metastasis-site Observations (all read by ``context.read_setting`` as events),
receptor specimens (collection date; a metastasis biopsy also dates the metastatic episode),
MedicationRequest/Statement/Administration periods (first systemic therapy; GnRH agonists alone do not
start it: given for ovarian protection or suppression they are not tumour-directed on their own), and
breast surgery Procedures (``codes.BREAST_SURGERY_CODES``, or an mCODE cancer-related surgical
procedure on the breast).

API for other rules (lines of therapy, pitfalls):
- ``build_episode(intake, setting, events, medications, results) -> EpisodeFinding`` (assess calls it;
  the result is ``Assessment.episode``);
- ``period_of(episode, when) -> Period``: where a date (a drug start, a sample) falls: "before-treatment",
  "neoadjuvant", "after-neoadjuvant", "adjuvant", "early-on-treatment" (systemic therapy begun, no breast
  surgery recorded), "metastatic", or "unknown" (undated);
- ``sample_phase(episode, result) -> SamplePhase``: the same for a receptor sample, in the terms the
  receptor choice uses ("pre-treatment", "post-treatment", "metastatic", "unknown"); a sample of a
  metastasis is metastatic whatever its date;
- ``residual_disease_samples(episode, samples)``: receptor samples of the surgical specimen after
  neoadjuvant therapy (they show residual invasive disease; ``SettingFinding.residual_disease``).
"""
from __future__ import annotations

import calendar
from datetime import date
from typing import Any, Iterable

from ..knowledge import codes
from ..knowledge.thresholds import DE_NOVO_WINDOW_MONTHS
from .intake import Intake, ref_of
from .model import (ClinicalEvent, EpisodeFinding, MedicationUse, Period, ReceptorResult, SampleCall, SettingFinding,
                    TreatmentWindow)
from .selection import day, sample_date
from .values import codings

# Drug statuses that show the drug was (or is being) given; drafts and plans did not start anything.
GIVEN_STATUSES = frozenset({"active", "on-hold", "completed", "stopped"})
# GnRH agonists alone do not open the neoadjuvant window (see the module docstring).
NOT_SYSTEMIC_THERAPY = frozenset({"gnrh-agonist"})
MCODE_SURGERY_PROFILE = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-related-surgical-procedure"
SURGERY_STATUSES = frozenset({"completed", "in-progress"})
DE_NOVO_MONTHS = int(DE_NOVO_WINDOW_MONTHS.value)     # the SEER staging time rule (knowledge.thresholds)

SAMPLE_PHASE_OF_PERIOD: dict[str, str] = {
    "before-treatment": "pre-treatment",
    "neoadjuvant": "post-treatment", "after-neoadjuvant": "post-treatment", "adjuvant": "post-treatment",
    "early-on-treatment": "post-treatment",
    "metastatic": "metastatic", "unknown": "unknown",
}


def as_date(value: str | None) -> date | None:
    """The calendar date of a FHIR date/dateTime (year or year-month taken as its first day)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    try:
        if len(value) >= 7:
            return date(int(value[:4]), int(value[5:7]), 1)
        return date(int(value[:4]), 1, 1)
    except ValueError:
        return None


def add_months(when: date, months: int) -> date:
    """The same day ``months`` calendar months later (clamped to the month's last day)."""
    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(when.day, calendar.monthrange(year, month)[1]))


def _earliest(items: Iterable[tuple[date | None, Any]]) -> tuple[date | None, Any]:
    dated = [(d, x) for d, x in items if d is not None]
    if not dated:
        return None, None
    return min(dated, key=lambda pair: (pair[0], str(pair[1])))


def _performed(procedure: dict[str, Any]) -> str | None:
    if isinstance(procedure.get("performedDateTime"), str):
        return procedure["performedDateTime"]
    period = procedure.get("performedPeriod")
    if isinstance(period, dict) and isinstance(period.get("start"), str):
        return period["start"]
    return None


def _is_breast_surgery(procedure: dict[str, Any]) -> bool:
    if procedure.get("status") not in SURGERY_STATUSES:
        return False
    for coding in codings(procedure.get("code")):
        if codes.lookup(codes.BREAST_SURGERY_CODES, coding.get("system"), coding.get("code")) is not None:
            return True
    meta = procedure.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    if isinstance(profiles, list) and MCODE_SURGERY_PROFILE in profiles:
        sites = procedure.get("bodySite") if isinstance(procedure.get("bodySite"), list) else []
        for site in sites:
            for coding in codings(site):
                entry = codes.lookup(codes.SITE_CODES, coding.get("system"), coding.get("code"))
                if entry is not None and entry.meaning == "breast":
                    return True
    return False


def breast_surgeries(intake: Intake) -> list[tuple[date, str]]:
    """(date, reference) of every dated breast cancer surgery, oldest first."""
    found = []
    for procedure in intake.of_type("Procedure"):
        if _is_breast_surgery(procedure):
            when = as_date(_performed(procedure))
            if when is not None:
                found.append((when, ref_of(procedure)))
    return sorted(found)


def systemic_therapies(medications: Iterable[MedicationUse]) -> list[tuple[date, MedicationUse]]:
    """(start, drug) of every anticancer drug given (not drafts or plans), oldest first."""
    given = [(as_date(m.start), m) for m in medications
             if not m.draft and m.drug_class and m.drug_class not in NOT_SYSTEMIC_THERAPY
             and (m.status or "").lower() in GIVEN_STATUSES]
    return sorted(((d, m) for d, m in given if d is not None), key=lambda pair: (pair[0], pair[1].resource))


def build_episode(intake: Intake, setting: SettingFinding, events: list[ClinicalEvent],
                  medications: list[MedicationUse], results: list[ReceptorResult]) -> EpisodeFinding:
    """The episode model for one patient (see the module docstring for the rules and their sources)."""
    episode = EpisodeFinding(current=setting.setting if setting.setting in ("early", "metastatic") else "unknown")
    evidence: list[str] = []

    diagnosis, diagnosis_ref = _earliest((as_date(e.date), e.evidence[0] if e.evidence else None)
                                         for e in events if e.kind == "diagnosis")
    # The first breast (or unlabelled) sample dates the diagnosis when no Condition does, and when it is older
    # than the Condition: problem lists are often written years later (at relapse), and a diagnosis dated after
    # the biopsy that made it would turn a ten-year relapse into "metastatic at diagnosis".
    first_sample, first_sample_ref = _earliest((as_date(sample_date(r)), r.resource)
                                               for r in results if r.specimen != "metastasis")
    if first_sample is not None and (diagnosis is None or first_sample < diagnosis):
        recorded = f", before the recorded diagnosis {diagnosis.isoformat()}" if diagnosis is not None else ""
        diagnosis, diagnosis_ref = first_sample, first_sample_ref
        episode.basis.append(f"diagnosis taken as the first receptor sample ({diagnosis.isoformat()}{recorded})")
    elif diagnosis is not None:
        episode.basis.append(f"diagnosis {diagnosis.isoformat()}")
    if diagnosis is not None:
        episode.diagnosis = diagnosis.isoformat()
        evidence.append(diagnosis_ref)

    metastatic_start = None
    if episode.current == "metastatic":
        relapse = [(as_date(e.date), e.evidence[0] if e.evidence else None)
                   for e in events if e.kind in ("metastasis", "recurrence")]
        relapse += [(as_date(sample_date(r)), r.resource) for r in results if r.specimen == "metastasis"]
        metastatic_start, met_ref = _earliest(relapse)
        if metastatic_start is not None:
            episode.metastatic_start = metastatic_start.isoformat()
            evidence.append(met_ref)
            if diagnosis is not None and metastatic_start <= add_months(diagnosis, DE_NOVO_MONTHS):
                episode.de_novo_metastatic = True
                episode.basis.append(f"metastatic disease {metastatic_start.isoformat()}, within "
                                     f"{DE_NOVO_MONTHS} months of the diagnosis: metastatic at diagnosis "
                                     "(de novo stage IV)")
            else:
                episode.basis.append(f"first recurrence or metastasis {metastatic_start.isoformat()}")
        else:
            episode.basis.append("metastatic disease recorded without a date")

    def in_early(when: date) -> bool:
        return metastatic_start is None or when < metastatic_start

    def for_this_tumour(drug: MedicationUse) -> bool:
        # A course that ended more than one presentation window before the diagnosis (tamoxifen for DCIS or risk
        # reduction years earlier) treated something else: it does not make this tumour's biopsies "post-treatment".
        # The window keeps a neoadjuvant course that ended weeks before a diagnosis recorded late (at surgery).
        end = as_date(drug.end)
        return diagnosis is None or end is None or add_months(end, DE_NOVO_MONTHS) >= diagnosis

    therapies = [(d, m) for d, m in systemic_therapies(medications) if in_early(d) and for_this_tumour(m)]
    if therapies and not episode.de_novo_metastatic:
        first, drug = therapies[0]
        episode.first_systemic_therapy = first.isoformat()
        evidence.append(drug.resource)
        episode.basis.append(f"first systemic therapy {first.isoformat()} ({drug.ingredient or drug.display or drug.resource})")
    surgeries = [(d, ref) for d, ref in breast_surgeries(intake) if in_early(d)]
    if surgeries and not episode.de_novo_metastatic:
        first_therapy = as_date(episode.first_systemic_therapy)
        # The surgery that ends the neoadjuvant window is the first one after therapy began; without
        # therapy (or with surgery first) it is the first surgery.
        after = [(d, ref) for d, ref in surgeries if first_therapy is not None and d >= first_therapy]
        chosen = surgeries[0] if (first_therapy is None or surgeries[0][0] < first_therapy) else after[0]
        episode.surgery = chosen[0].isoformat()
        evidence.append(chosen[1])
        if first_therapy is not None and first_therapy <= chosen[0] and surgeries[0][0] >= first_therapy:
            episode.neoadjuvant = TreatmentWindow(first_therapy.isoformat(), chosen[0].isoformat(),
                                                  [therapies[0][1].resource, chosen[1]])
            episode.basis.append(f"neoadjuvant therapy {first_therapy.isoformat()} to surgery {chosen[0].isoformat()}")
        else:
            episode.basis.append(f"breast surgery {chosen[0].isoformat()}")
    episode.evidence = list(dict.fromkeys(ref for ref in evidence if ref))
    return episode


def period_of(episode: EpisodeFinding, when: str | None) -> Period:
    """Where a date falls in the patient's history (module docstring)."""
    d = as_date(when)
    if d is None:
        return "unknown"
    met = as_date(episode.metastatic_start)
    if episode.current == "metastatic":
        if met is None:
            return "unknown"            # metastatic, but when it began is not recorded
        if episode.de_novo_metastatic and d >= add_months(met, -DE_NOVO_MONTHS):
            return "metastatic"
        if d >= met:
            return "metastatic"
    therapy = as_date(episode.first_systemic_therapy)
    if therapy is None or d < therapy:
        return "before-treatment"
    surgery = as_date(episode.surgery)
    if episode.neoadjuvant is not None:
        return "neoadjuvant" if surgery is None or d < surgery else "after-neoadjuvant"
    if surgery is not None and surgery <= therapy:
        return "adjuvant"
    return "early-on-treatment"


def residual_disease_samples(episode: EpisodeFinding, samples: Iterable[SampleCall]) -> list[SampleCall]:
    """Receptor samples of tissue taken at or after the surgery that closed a neoadjuvant window.

    Receptors can only be read on tumour, so such a result shows residual invasive disease after neoadjuvant
    therapy (the population of KATHERINE, CREATE-X and OlympiA's post-neoadjuvant arm). Without a recorded
    surgery nothing is inferred: a biopsy during treatment is not the surgical specimen.
    """
    surgery = as_date(episode.surgery)
    if episode.current != "early" or episode.neoadjuvant is None or surgery is None:
        return []
    return [c for c in samples if c.phase == "post-treatment" and (as_date(c.date) or date.min) >= surgery]


def sample_phase(episode: EpisodeFinding, result: ReceptorResult) -> str:
    """pre-treatment | post-treatment | metastatic | unknown, for the tissue a result was read on."""
    if result.specimen == "metastasis":
        return "metastatic"
    return SAMPLE_PHASE_OF_PERIOD[period_of(episode, sample_date(result))]


__all__ = ["DE_NOVO_MONTHS", "build_episode", "period_of", "sample_phase", "residual_disease_samples", "add_months",
           "as_date", "breast_surgeries",
           "systemic_therapies"]
