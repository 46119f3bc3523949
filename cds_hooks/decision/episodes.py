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
- **a local or regional recurrence, or a new primary in the other breast**, without distant disease, ends the
  first tumour's early episode too (b.3: "to the first recurrence"): from then on that tumour's own samples
  govern and "pre-treatment" means before its own treatment; the earlier tumour's results stand in only when
  it has none (``_new_tumour``: explicit records only, see there).

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
  surgery recorded), "metastatic", "earlier-tumour" (before a local recurrence or new primary), or "unknown"
  (undated);
- ``sample_phase(episode, result) -> SamplePhase``: the same for a receptor sample, in the terms the
  receptor choice uses ("pre-treatment", "post-treatment", "metastatic", "earlier-tumour", "unknown"); a sample of a
  metastasis is metastatic whatever its date;
- ``residual_disease_samples(episode, samples)``: receptor samples of the surgical specimen after
  neoadjuvant therapy (they show residual invasive disease; ``SettingFinding.residual_disease``);
- ``earlier_tumour_phase(episode, date)``: before or after the earlier tumour's own first systemic therapy, for a
  sample of the tumour before a local recurrence or a new primary (whose stand-in call is its pre-treatment one);
- ``is_recurrence_sample(episode, result)``: tissue of the local or regional recurrence the patient now has.
"""
from __future__ import annotations

import calendar
from datetime import date
from typing import Any, Iterable

from ..knowledge import codes
from ..knowledge.thresholds import DE_NOVO_WINDOW_MONTHS, NEOADJUVANT_MIN_DAYS_BEFORE_SURGERY
from .intake import Intake, ref_of
from .laterality import opposite, side_of_condition
from .model import (GIVEN_MEDICATION_STATUSES, ClinicalEvent, EpisodeFinding, MedicationUse, Period, ReceptorResult,
                    SampleCall, SettingFinding, TreatmentWindow)
from .selection import day, sample_date
from .values import codings

# Drug statuses that show the drug was (or is being) given; drafts and plans did not start anything.
GIVEN_STATUSES = GIVEN_MEDICATION_STATUSES
# GnRH agonists alone do not open the neoadjuvant window (see the module docstring).
NOT_SYSTEMIC_THERAPY = frozenset({"gnrh-agonist"})
MCODE_SURGERY_PROFILE = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-related-surgical-procedure"
SURGERY_STATUSES = frozenset({"completed", "in-progress"})
DE_NOVO_MONTHS = int(DE_NOVO_WINDOW_MONTHS.value)     # the SEER staging time rule (knowledge.thresholds)

SAMPLE_PHASE_OF_PERIOD: dict[str, str] = {
    "before-treatment": "pre-treatment",
    "neoadjuvant": "post-treatment", "after-neoadjuvant": "post-treatment", "adjuvant": "post-treatment",
    "early-on-treatment": "post-treatment",
    "metastatic": "metastatic", "earlier-tumour": "earlier-tumour", "unknown": "unknown",
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
    """The same day ``months`` calendar months later (clamped to the month's last day).

    FHIR dates run from year 1 to 9999; a window reaching past either end stops at it (``date.min`` or
    ``date.max``), which every comparison against a recorded date answers as the unbounded window would. Before,
    an onset in year 1 or a result in 9999 raised ("year 0 is out of range"), a 500 through HTTP."""
    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    if year < date.min.year:
        return date.min
    if year > date.max.year:
        return date.max
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
    """(start, drug) of every anticancer drug given (not drafts, and not MedicationRequests whose intent is a
    proposal or plan: an adjuvant plan written before surgery opened a false 'neoadjuvant window'), oldest first."""
    given = [(as_date(m.start), m) for m in medications
             if not m.draft and not m.planned and m.drug_class and m.drug_class not in NOT_SYSTEMIC_THERAPY
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
        # A recurrence status dated within the first presentation dates nothing: it is the primary's own Condition
        # turned to "recurrence" (mCODE style) with its diagnosis dates, which made a relapse years later "de novo".
        relapse = [(as_date(e.date), e.evidence[0] if e.evidence else None)
                   for e in events if e.kind == "metastasis" or (e.kind == "recurrence" and not (
                       diagnosis is not None and as_date(e.date) is not None
                       and as_date(e.date) <= add_months(diagnosis, DE_NOVO_MONTHS)))]
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
    surgeries = [(d, ref) for d, ref in breast_surgeries(intake) if in_early(d)]
    if episode.de_novo_metastatic:
        therapies, surgeries = [], []
    first_sides: set[str] = set()
    if diagnosis is not None:
        by_ref = {ref_of(c): c for c in intake.of_type("Condition")}
        first_sides = _first_sides(by_ref, events, results, diagnosis)
        episode.first_sides = sorted(first_sides)
        if first_sides == {"left", "right"}:
            episode.bilateral = True
            episode.basis.append("cancer in both breasts at the first presentation: each breast's tumour is its own")
    if episode.current == "early" and diagnosis is not None:
        first_tumour = EpisodeFinding()
        _treatment_window(first_tumour, therapies, surgeries, [])
        found = _new_tumour(intake, events, results, diagnosis, as_date(first_tumour.surgery), first_sides)
        if found is not None:
            start, kind, refs = found
            episode.new_tumour, episode.new_tumour_kind = start.isoformat(), kind
            evidence.extend(refs)
            what = "local or regional recurrence" if kind == "recurrence" else "new primary in the other breast"
            episode.basis.append(f"{what} {start.isoformat()}: its own samples govern; earlier results describe the "
                                 "earlier tumour")
            episode.earlier_first_systemic_therapy = first_tumour.first_systemic_therapy
            therapies = [(d, m) for d, m in therapies if d >= start]
            surgeries = [(d, ref) for d, ref in surgeries if d >= start]
        episode.unplaced_samples = _unplaced_samples(results, diagnosis, as_date(first_tumour.surgery),
                                                     as_date(episode.new_tumour))
    _treatment_window(episode, therapies, surgeries, evidence)
    episode.evidence = list(dict.fromkeys(ref for ref in evidence if ref))
    return episode


def _treatment_window(episode: EpisodeFinding, therapies: list[tuple[date, MedicationUse]],
                      surgeries: list[tuple[date, str]], evidence: list[str]) -> None:
    """First systemic therapy, the surgery, and the neoadjuvant window between them, of one tumour."""
    if therapies:
        first, drug = therapies[0]
        episode.first_systemic_therapy = first.isoformat()
        evidence.append(drug.resource)
        episode.basis.append(f"first systemic therapy {first.isoformat()} ({drug.ingredient or drug.display or drug.resource})")
    if surgeries:
        first_therapy = as_date(episode.first_systemic_therapy)
        # The surgery that ends the neoadjuvant window is the first one after therapy began; without
        # therapy (or with surgery first) it is the first surgery.
        after = [(d, ref) for d, ref in surgeries if first_therapy is not None and d >= first_therapy]
        chosen = surgeries[0] if (first_therapy is None or surgeries[0][0] < first_therapy) else after[0]
        episode.surgery = chosen[0].isoformat()
        evidence.append(chosen[1])
        # A drug first given on the day of surgery is adjuvant: the window needs the first dose at least
        # NEOADJUVANT_MIN_DAYS_BEFORE_SURGERY before the surgery (a zero-length window would make the untreated
        # surgical specimen "residual disease").
        lead = int(NEOADJUVANT_MIN_DAYS_BEFORE_SURGERY.value)
        if (first_therapy is not None and (chosen[0] - first_therapy).days >= lead
                and surgeries[0][0] >= first_therapy):
            episode.neoadjuvant = TreatmentWindow(first_therapy.isoformat(), chosen[0].isoformat(),
                                                  [therapies[0][1].resource, chosen[1]])
            episode.basis.append(f"neoadjuvant therapy {first_therapy.isoformat()} to surgery {chosen[0].isoformat()}")
        else:
            episode.basis.append(f"breast surgery {chosen[0].isoformat()}")


def _first_sides(by_ref: dict[str, dict[str, Any]], events: list[ClinicalEvent], results: list[ReceptorResult],
                 diagnosis: date) -> set[str]:
    """The breasts with cancer at the first presentation (diagnosis + the presentation window): the sides of breast
    cancer Conditions dated then and of breast samples taken then (``laterality``). Two sides: synchronous bilateral
    cancers, each its own primary."""
    after_first = add_months(diagnosis, DE_NOVO_MONTHS)
    sides: set[str] = set()
    for event in events:
        when = as_date(event.date)
        if event.kind == "diagnosis" and event.evidence and event.evidence[0] in by_ref and (
                when is None or when <= after_first):
            side = side_of_condition(by_ref[event.evidence[0]])
            if side is not None:
                sides.add(side)
    for r in results:
        when = as_date(sample_date(r))
        if r.specimen != "metastasis" and r.side and when is not None and when <= after_first:
            sides.add(r.side)
    return {"left", "right"} if "both" in sides else sides


def _new_tumour(intake: Intake, events: list[ClinicalEvent], results: list[ReceptorResult], diagnosis: date,
                first_surgery: date | None, first_sides: set[str]) -> tuple[date, str, list[str]] | None:
    """A local or regional recurrence, or a new primary in the other breast, after the first presentation.

    Why: b.3 ends the early episode at the first recurrence, and a tumour's receptors describe that tumour. Without
    this, a biopsy of an in-breast recurrence or of a new contralateral cancer, taken years after the first
    tumour's treatment began, was read as "residual disease" and overruled by the first tumour's results (a
    triple-negative recurrence after a HER2-positive primary stayed "HER2-positive"). ESMO ABC 5 (Cardoso, Ann
    Oncol 2020) asks for a biopsy of a recurrence and for its receptors; ASCO/CAP test every new primary; tumours of
    the left and the right breast are separate primaries (SEER Solid Tumor Rules, breast).

    Only explicit records count, dated after the first presentation (diagnosis + the presentation window): a
    Condition whose clinical status is recurrence/relapse; a breast cancer Condition in the breast opposite the
    first tumour; or a breast sample whose recorded side (``laterality``: SNOMED left/right breast structure, the
    mCODE laterality qualifier, ICD-10-CM C50) is the breast opposite the first tumour's, which dates the new primary
    itself. A later breast cancer Condition in the same (or an unrecorded) breast can be a duplicate problem-list
    entry; reading it as a new tumour could make residual disease govern again, so it is not used. Samples taken
    within the window before a recorded Condition (the biopsy usually precedes it) and after the first tumour's
    surgery belong to the new tumour. A recurrence status with no date after the first presentation is dated by the
    first sample taken more than one window after the first tumour's surgery. Returns (start, kind, evidence) of the
    newest such event.
    """
    after_first = add_months(diagnosis, DE_NOVO_MONTHS)
    by_ref = {ref_of(c): c for c in intake.of_type("Condition")}
    # One first side (not both breasts, not unknown) is what makes "the other breast" decidable.
    first_side = next(iter(first_sides)) if len(first_sides) == 1 else None
    found: list[tuple[date, str, str, bool]] = []      # (date, kind, evidence, dated by the sample itself)
    undated_recurrence = None
    for event in events:
        when = as_date(event.date)
        if event.kind == "recurrence" and event.evidence and (when is None or when <= after_first):
            undated_recurrence = event.evidence[0]      # the Condition says "recurrence" but not when
        if when is None or when <= after_first or not event.evidence:
            continue
        if event.kind == "recurrence":
            found.append((when, "recurrence", event.evidence[0], False))
        elif event.kind == "diagnosis" and first_side is not None and event.evidence[0] in by_ref:
            if opposite(first_side, side_of_condition(by_ref[event.evidence[0]])):
                found.append((when, "new-primary", event.evidence[0], False))
    if first_side is not None:
        for r in results:
            when = as_date(sample_date(r))
            if r.specimen != "metastasis" and when is not None and when > after_first and opposite(first_side, r.side):
                found.append((when, "new-primary", r.resource, True))
    if not found and undated_recurrence is not None and first_surgery is not None:
        # mCODE style: the primary's own Condition turned to "recurrence", its dates still the diagnosis. The
        # recurrence is then dated by its tissue: the first breast or node sample taken more than one window after
        # the first tumour's surgery (never a re-excision or that surgery's specimen). Without a recorded surgery
        # nothing is inferred: residual disease after neoadjuvant therapy must not pass for a recurrence.
        floor = max(after_first, add_months(first_surgery, DE_NOVO_MONTHS))
        later = [(d, r.resource) for d, r in ((as_date(sample_date(r)), r) for r in results if r.specimen != "metastasis")
                 if d is not None and d > floor]
        if later:
            start, sample_ref = min(later)
            return start, "recurrence", [undated_recurrence, sample_ref]
    if not found:
        return None
    recorded, kind, ref, by_sample = max(found, key=lambda item: (item[0], item[1] == "new-primary", not item[3], item[2]))
    if by_sample:
        # The first sample of the other breast after the first presentation dates the new primary itself.
        first = min((d, x) for d, k, x, sampled in found if sampled and k == "new-primary")
        return first[0], kind, [first[1]]
    floor = max(after_first, first_surgery) if first_surgery is not None else after_first
    lookback = add_months(recorded, -DE_NOVO_MONTHS)
    taken = [(d, r.resource) for d, r in ((as_date(sample_date(r)), r) for r in results if r.specimen != "metastasis")
             if d is not None and d > floor and lookback <= d < recorded]
    start, first_ref = min(taken, default=(recorded, None))
    return start, kind, [ref, *([first_ref] if first_ref else [])]


def _unplaced_samples(results: list[ReceptorResult], diagnosis: date, first_surgery: date | None,
                      new_tumour: date | None) -> list[str]:
    """Breast or node samples taken more than one presentation window after the first tumour's surgery that no record
    places: no recurrence or new primary covers them and their side does not show the other breast. They may be a
    recurrence, a new primary or the first tumour: the data cannot tell, and the subtype card says so
    (``subtype_notes``) instead of silently reading them as the first tumour's treated tissue. Without a recorded
    surgery nothing is said (the tissue may be the surgical specimen itself)."""
    if first_surgery is None:
        return []
    floor = max(add_months(diagnosis, DE_NOVO_MONTHS), add_months(first_surgery, DE_NOVO_MONTHS))
    out = []
    for r in results:
        when = as_date(sample_date(r))
        if r.specimen != "metastasis" and when is not None and when > floor and (new_tumour is None or when < new_tumour):
            out.append(r.resource)
    return out


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
    new_tumour = as_date(episode.new_tumour)
    if new_tumour is not None and d < new_tumour:
        return "earlier-tumour"
    therapy = as_date(episode.first_systemic_therapy)
    if therapy is None or d < therapy:
        return "before-treatment"
    surgery = as_date(episode.surgery)
    if episode.neoadjuvant is not None:
        return "neoadjuvant" if surgery is None or d < surgery else "after-neoadjuvant"
    if surgery is not None and surgery <= therapy:
        return "adjuvant"
    return "early-on-treatment"


def earlier_tumour_phase(episode: EpisodeFinding, when: str | None) -> str:
    """pre-treatment | post-treatment | unknown, within the earlier tumour, for a sample taken before a local or
    regional recurrence ("earlier-tumour" period); "another-primary" when the current tumour is a new primary.

    Why: while the current tumour has no result of its own, the earlier tumour's call stands in, and that call is the
    earlier tumour's governing one: its samples taken before its own first systemic therapy decide, residual disease
    after it never does (b.3; KATHERINE, CREATE-X select on the pre-treatment status). Merging the two let a positive
    found only in residual disease stand in for a recurrence never biopsied.
    """
    if episode.new_tumour_kind == "new-primary":
        # Another cancer: the earlier one's results do not describe the new primary at all (ASCO/CAP test every new
        # primary), so they never stand in for it.
        return "another-primary"
    d = as_date(when)
    if d is None:
        return "unknown"
    therapy = as_date(episode.earlier_first_systemic_therapy)
    return "pre-treatment" if therapy is None or d < therapy else "post-treatment"


def is_recurrence_sample(episode: EpisodeFinding, result: ReceptorResult) -> bool:
    """Whether a breast or node sample is tissue of the local or regional recurrence the patient now has."""
    return (episode.current == "early" and episode.new_tumour_kind == "recurrence" and result.specimen != "metastasis"
            and period_of(episode, sample_date(result)) not in ("earlier-tumour", "unknown"))


def residual_disease_samples(episode: EpisodeFinding, samples: Iterable[SampleCall]) -> list[SampleCall]:
    """Receptor samples of tissue taken at or after the surgery that closed a neoadjuvant window.

    Receptors can only be read on tumour, so such a result shows residual invasive disease after neoadjuvant
    therapy (the population of KATHERINE, CREATE-X and OlympiA's post-neoadjuvant arm). Without a recorded
    surgery nothing is inferred: a biopsy during treatment is not the surgical specimen.
    """
    surgery = as_date(episode.surgery)
    if episode.current != "early" or episode.neoadjuvant is None or surgery is None:
        return []
    unplaced = set(episode.unplaced_samples)      # tissue taken long after surgery that no record places
    return [c for c in samples if c.phase == "post-treatment" and (as_date(c.date) or date.min) >= surgery
            and not unplaced.intersection(c.evidence)]


def sample_phase(episode: EpisodeFinding, result: ReceptorResult) -> str:
    """pre-treatment | post-treatment | metastatic | unknown, for the tissue a result was read on."""
    if result.specimen == "metastasis":
        return "metastatic"
    when = sample_date(result)
    period = period_of(episode, when)
    if period == "adjuvant" and _removed_on_first_dose_day(episode, when):
        return "pre-treatment"
    return SAMPLE_PHASE_OF_PERIOD[period]


def _removed_on_first_dose_day(episode: EpisodeFinding, when: str | None) -> bool:
    """Tissue removed at a surgery on the day the first drug was given (no neoadjuvant window): untreated tissue
    (``NEOADJUVANT_MIN_DAYS_BEFORE_SURGERY``)."""
    d = as_date(when)
    return (episode.neoadjuvant is None and d is not None and d == as_date(episode.surgery)
            and d == as_date(episode.first_systemic_therapy))


__all__ = ["DE_NOVO_MONTHS", "build_episode", "period_of", "sample_phase", "residual_disease_samples", "add_months",
           "as_date", "breast_surgeries", "earlier_tumour_phase", "is_recurrence_sample", "systemic_therapies"]
