"""Lines of therapy: what the patient has already received, read from the medication history.

Why: several metastatic options are labelled for a place in the sequence, not for a subtype alone:
sacituzumab govitecan after two or more prior systemic therapies (ASCENT, TNBC) or after endocrine
therapy and two further systemic therapies for metastatic disease (TROPiCS-02, HR+/HER2-); T-DXd for
HER2-low disease after chemotherapy for metastatic disease or a relapse within 6 months of adjuvant
chemotherapy (DESTINY-Breast04); inavolisib for a relapse on, or within 12 months of finishing,
adjuvant endocrine therapy (INAVO120); everolimus with exemestane after letrozole or anastrozole
(BOLERO-2); a first-line CDK4/6 combination not after progression on a CDK4/6 inhibitor; capivasertib after
progression on endocrine therapy for metastatic disease or a relapse on or within 12 months of adjuvant endocrine
therapy (Truqap FDA label; CAPItello-291); extended adjuvant neratinib less than a year after trastuzumab-based
adjuvant therapy was completed (EMA label; the FDA label sets no limit); olaparib after chemotherapy in any setting
and, for hormone receptor-positive disease, endocrine therapy (Lynparza FDA label; OlympiAD); alpelisib after
progression or relapse on or after endocrine therapy (Piqray FDA label); an oral SERD after progression on a line of
endocrine therapy (Orserdu and Inluriyo FDA labels). Counting an option "applicable now" without looking at what came before
would offer a third-line drug first line.

How:
- every anticancer drug given (MedicationRequest/Statement/Administration that is active, on hold,
  completed or stopped; drafts and plans are not history) becomes a ``Course`` with its dates and the
  place of its start date in the episode model (``episodes.period_of``: early or metastatic);
- metastatic courses are grouped into ``Line``s: a course starting within ``REGIMEN_WINDOW_DAYS`` of the
  first course of the current line belongs to it (drugs of one regimen are rarely ordered the same
  day); a later start opens the next line;
- a line was progressed on when a worsening disease status, a recurrence or a metastasis is dated after
  its start and before the next line, or when a later line followed it (a switch is usually for
  progression, sometimes for toxicity: the note says which the record shows).

What the record cannot show is never assumed: medication lists from outside the hospital, older
treatment and paper records are often missing, so a requirement the history does not establish is
"unknown" (the option says "depends on prior therapy: check"), never "not met". Only first-line rows
can be settled by an empty history (nothing recorded for metastatic disease is what first line means);
even then a note says the record was the basis.

Imports: knowledge (drug classes, thresholds) and the decision model/episodes only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from ..knowledge.drugs import DRUG_CLASSES
from ..knowledge.thresholds import REGIMEN_WINDOW_DAYS
from .episodes import add_months, as_date, period_of
from .model import (GIVEN_MEDICATION_STATUSES, ONGOING_MEDICATION_STATUSES, Assessment, ClinicalEvent,
                    MedicationUse)
from .progression import is_worsening

# Statuses that show a drug was given (drafts, plans and cancelled orders did not treat anyone); an infusion under
# way ("in-progress" administration) is given and ongoing.
GIVEN_STATUSES = GIVEN_MEDICATION_STATUSES
ONGOING_STATUSES = ONGOING_MEDICATION_STATUSES

# The classes the option labels count by, from the drug table's classes (a drug may count in two:
# T-DM1 is both an anti-HER2 therapy and an antibody-drug conjugate).
LINE_CLASSES: dict[str, frozenset[str]] = {
    "aromatase-inhibitor": frozenset({"endocrine"}), "serm": frozenset({"endocrine"}),
    "serd": frozenset({"endocrine"}), "oral-serd": frozenset({"endocrine"}),
    "cdk46-inhibitor": frozenset({"cdk46"}),
    "anthracycline": frozenset({"chemotherapy"}), "alkylator": frozenset({"chemotherapy"}),
    "taxane": frozenset({"chemotherapy"}), "platinum": frozenset({"chemotherapy"}),
    "fluoropyrimidine": frozenset({"chemotherapy"}), "other-chemo": frozenset({"chemotherapy"}),
    "anti-her2-antibody": frozenset({"anti-her2"}), "her2-tki": frozenset({"anti-her2"}),
    "anti-her2-adc": frozenset({"anti-her2", "adc"}), "tdxd": frozenset({"anti-her2", "adc"}),
    "trop2-adc": frozenset({"adc"}),
    "pi3k-inhibitor": frozenset({"targeted"}), "akt-inhibitor": frozenset({"targeted"}),
    "mtor-inhibitor": frozenset({"targeted"}), "parp-inhibitor": frozenset({"targeted"}),
    "pd1-pdl1-inhibitor": frozenset({"immunotherapy"}),
}
# GnRH agonists suppress the ovaries; alone they are not a line of therapy for the tumour.
NOT_A_LINE = frozenset({"gnrh-agonist"})
NON_STEROIDAL_AI = frozenset({"letrozole", "anastrozole"})
RELAPSE_EVENTS = ("progression", "recurrence", "metastasis")

_missing = [k for k in LINE_CLASSES if k not in DRUG_CLASSES]
if _missing:
    raise ValueError(f"line classes name unknown drug classes: {_missing}")


@dataclass(frozen=True)
class Course:
    """One drug given, placed on the patient's time axis."""

    drug: MedicationUse
    start: date | None
    end: date | None
    ongoing: bool
    phase: Literal["early", "metastatic", "unknown"]
    classes: frozenset[str]
    period: str = "unknown"               # episodes.period_of of the start date

    @property
    def name(self) -> str:
        return self.drug.ingredient or self.drug.display or self.drug.resource


@dataclass
class Line:
    """One line of therapy for metastatic disease: the drugs started together."""

    number: int
    start: date
    courses: list[Course] = field(default_factory=list)
    progression: date | None = None        # a worsening/recurrence dated after its start, before the next line
    followed: bool = False                 # a later line started after it

    @property
    def classes(self) -> frozenset[str]:
        return frozenset().union(*(c.classes for c in self.courses))

    @property
    def names(self) -> list[str]:
        return sorted({c.name for c in self.courses})

    @property
    def progressed(self) -> bool:
        return self.progression is not None or self.followed

    def describe(self) -> str:
        return f"line {self.number} ({', '.join(self.names)}, from {self.start.isoformat()})"


@dataclass
class TherapyHistory:
    """What the record shows about treatment before now."""

    metastatic_start: date | None
    metastatic: bool                       # the current episode is metastatic
    today: date | None = None              # the assessment date (time since a course ended)
    hormone_receptor_positive: bool = False    # OlympiAD: HR-positive disease also needs endocrine therapy
    early: list[Course] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    unplaced: list[Course] = field(default_factory=list)   # undated, or metastatic without a start date
    any_given: bool = False
    relapses: list[date] = field(default_factory=list)     # dated recurrences, metastases, worsening statuses

    def lines_with(self, klass: str) -> list[Line]:
        return [line for line in self.lines if klass in line.classes]

    def early_with(self, klass: str) -> list[Course]:
        return [c for c in self.early if klass in c.classes]

    def ever(self, klass: str) -> list[Course]:
        """Every placed course of a class, early or metastatic."""
        return [c for c in [*self.early, *(c for line in self.lines for c in line.courses)] if klass in c.classes]

    def given(self, klass: str) -> list[Course]:
        """Every course of a class, placed on the time axis or not (for conditions where when it was given does not
        matter: olaparib after chemotherapy in any setting)."""
        return [*self.ever(klass), *(c for c in self.unplaced if klass in c.classes)]


Verdict = Literal["met", "not-met", "unknown"]


@dataclass(frozen=True)
class PriorTherapyCheck:
    """Whether the recorded history satisfies the prior-therapy condition of one option, and why."""

    verdict: Verdict
    text: str                              # what the record shows, in words (goes on the option as a note)
    need: str | None = None                # what to check when the history cannot settle it
    evidence: tuple[str, ...] = ()


def _course(drug: MedicationUse, assessment: Assessment) -> Course | None:
    if drug.draft or drug.planned or (drug.status or "").lower() not in GIVEN_STATUSES:
        return None
    if not drug.drug_class or drug.drug_class in NOT_A_LINE or drug.drug_class not in LINE_CLASSES:
        return None
    start, end = as_date(drug.start), as_date(drug.end)
    ongoing = (drug.status or "").lower() in ONGOING_STATUSES and end is None
    period = period_of(assessment.episode, drug.start) if start is not None else "unknown"
    phase = "metastatic" if period == "metastatic" else "unknown" if period == "unknown" else "early"
    return Course(drug, start, end, ongoing, phase, LINE_CLASSES[drug.drug_class], period)


def _relapse_dates(events: list[ClinicalEvent]) -> list[date]:
    # Lazy import: options imports this module, and the marker-only test lives there (P12).
    dates = [as_date(e.date) for e in events if e.kind in RELAPSE_EVENTS and is_worsening(e)]
    return sorted(d for d in dates if d is not None)


def therapy_history(assessment: Assessment, today: date | None = None) -> TherapyHistory:
    """The patient's recorded treatment, split into the early episode and metastatic lines (``today``: the
    assessment date, for rules that count the time since a course ended)."""
    episode = assessment.episode
    metastatic = episode.current == "metastatic"
    history = TherapyHistory(as_date(episode.metastatic_start), metastatic, today,
                             assessment.hr == "positive" or assessment.subtype.startswith("HR+"))
    courses = [c for c in (_course(m, assessment) for m in assessment.medications) if c is not None]
    history.any_given = bool(courses)
    for course in courses:
        if course.phase == "early":
            history.early.append(course)
        elif course.phase == "unknown":
            history.unplaced.append(course)
    metastatic_courses = sorted((c for c in courses if c.phase == "metastatic"),
                                key=lambda c: (c.start or date.max, c.drug.resource))
    window = int(REGIMEN_WINDOW_DAYS.value)
    for course in metastatic_courses:
        current = history.lines[-1] if history.lines else None
        if current is not None and course.start is not None and (course.start - current.start).days <= window:
            current.courses.append(course)
        else:
            history.lines.append(Line(len(history.lines) + 1, course.start or date.min, [course]))
    relapses = _relapse_dates(assessment.events)
    history.relapses = relapses
    for index, line in enumerate(history.lines):
        following = history.lines[index + 1].start if index + 1 < len(history.lines) else None
        line.followed = following is not None
        after = [d for d in relapses if d > line.start and (following is None or d <= following)]
        line.progression = after[0] if after else None
    return history


# ---- The prior-therapy conditions of the option table ----------------------------------------------------

def _refs(courses) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.drug.resource for c in courses))


def _line_refs(lines: list[Line]) -> tuple[str, ...]:
    return _refs([c for line in lines for c in line.courses])


def _unsettled(history: TherapyHistory) -> str | None:
    """Why the history cannot be placed on the time axis at all, if so."""
    if history.metastatic and history.metastatic_start is None:
        return "the start of metastatic disease is not dated, so earlier and metastatic treatment cannot be told apart"
    return None


def _months_between(earlier: date, later: date) -> float:
    """Whole calendar months from one date to another (a partial month counts as more than the whole)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if add_months(earlier, months) > later:
        months -= 1
    return months + (0.5 if add_months(earlier, months) < later else 0.0)


def first_line_cdk46(history: TherapyHistory) -> PriorTherapyCheck:
    """A first-line CDK4/6 combination fits until the patient has progressed on a CDK4/6 inhibitor for
    metastatic disease (the first-line labels: initial endocrine-based therapy; ASCO 2021 update)."""
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, "prior CDK4/6 inhibitor for metastatic disease")
    progressed = [line for line in history.lines_with("cdk46") if line.progressed]
    if progressed:
        line = progressed[-1]
        how = (f"progression recorded {line.progression.isoformat()}" if line.progression
               else "followed by another line")
        return PriorTherapyCheck(
            "not-met", f"A CDK4/6 inhibitor was already given for metastatic disease: {line.describe()}, {how}. "
                       "The first-line CDK4/6 combinations no longer fit.",
            "confirm progression on the CDK4/6 inhibitor (first-line row)", _line_refs(progressed))
    current = history.lines_with("cdk46")
    if current:
        return PriorTherapyCheck("met", f"On a CDK4/6 inhibitor for metastatic disease: {current[-1].describe()}.",
                                 evidence=_line_refs(current))
    return PriorTherapyCheck("met", "No CDK4/6 inhibitor for metastatic disease on record.")


def after_non_steroidal_ai(history: TherapyHistory) -> PriorTherapyCheck:
    """Everolimus with exemestane: after failure of letrozole or anastrozole (Afinitor label; BOLERO-2): a
    relapse or progression dated after a non-steroidal AI was started."""
    need = "recurrence or progression on letrozole or anastrozole"
    given = [c for c in [*history.early, *(c for l in history.lines for c in l.courses), *history.unplaced]
             if (c.drug.ingredient or "") in NON_STEROIDAL_AI]
    if not given:
        return PriorTherapyCheck("unknown", "No letrozole or anastrozole on record.", need)
    names = ", ".join(sorted({c.name for c in given}))
    failed = [c for c in given if c.start is not None and any(d > c.start for d in history.relapses)]
    if failed:
        return PriorTherapyCheck("met", f"Relapse or progression after {names} was started.", evidence=_refs(failed))
    return PriorTherapyCheck("unknown", f"{names.capitalize()} on record, with no relapse or progression after it.",
                             need, _refs(given))


def _months_text(months: float) -> str:
    return str(int(months)) if months == int(months) else f"more than {int(months)}"


def _relapse_after_adjuvant_endocrine(history: TherapyHistory, limit: float, need: str,
                                      beyond: str) -> PriorTherapyCheck:
    """A relapse during adjuvant endocrine therapy, or within ``limit`` months of its end (INAVO120, CAPItello-291);
    ``beyond`` is said when the relapse came later."""
    relapse = history.metastatic_start
    adjuvant = history.early_with("endocrine")
    if relapse is None:
        return PriorTherapyCheck("unknown", "No dated relapse on record.", need)
    if not adjuvant:
        return PriorTherapyCheck("unknown", "No adjuvant endocrine therapy on record.", need)
    on_treatment = [c for c in adjuvant if c.ongoing or (c.end is not None and c.end >= relapse)]
    if on_treatment:
        return PriorTherapyCheck("met", f"Relapse {relapse.isoformat()} during adjuvant "
                                        f"{', '.join(sorted({c.name for c in on_treatment}))}.",
                                 evidence=_refs(on_treatment))
    if any(c.end is None for c in adjuvant):
        return PriorTherapyCheck("unknown", "Adjuvant endocrine therapy is on record without an end date.", need,
                                 _refs(adjuvant))
    last = max(adjuvant, key=lambda c: c.end)
    months = _months_between(last.end, relapse)
    text = (f"Adjuvant {last.name} ended {last.end.isoformat()}; relapse {relapse.isoformat()}, "
            f"{_months_text(months)} months later.")
    if months <= limit:
        return PriorTherapyCheck("met", text, evidence=_refs([last]))
    return PriorTherapyCheck("not-met", f"{text} {beyond}", need, _refs([last]))


def inavo120_population(history: TherapyHistory) -> PriorTherapyCheck:
    """Inavolisib: relapse during adjuvant endocrine therapy or within 12 months of finishing it (INAVO120;
    the FDA label says 'following recurrence on or after completing adjuvant endocrine therapy')."""
    from ..knowledge.thresholds import INAVO120_RELAPSE_AFTER_ADJUVANT_ET_MONTHS as limit
    need = "adjuvant endocrine therapy dates (relapse on it or within 12 months of finishing it)"
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, need)
    return _relapse_after_adjuvant_endocrine(
        history, limit.value, need,
        f"INAVO120 enrolled relapses within {limit.value:g} months of adjuvant endocrine therapy.")


def capitello291_prior_therapy(history: TherapyHistory) -> PriorTherapyCheck:
    """Capivasertib with fulvestrant: progression on at least one endocrine-based regimen for metastatic disease, or a
    recurrence on or within 12 months of completing adjuvant therapy (Truqap FDA label; CAPItello-291 enrolled relapse
    or progression during or after an aromatase inhibitor). The label's "adjuvant therapy" is read as adjuvant
    endocrine therapy, the regimen the indication is about: a relapse after adjuvant chemotherapy alone leaves the row
    to the clinician. The EMA label sets no time limit after adjuvant therapy, so a later relapse is not "not
    eligible" either: the row depends on prior therapy and its note names both labels."""
    from ..knowledge.thresholds import CAPITELLO291_RELAPSE_AFTER_ADJUVANT_ET_MONTHS as limit
    need = ("progression on endocrine therapy for metastatic disease, or relapse on or within "
            f"{limit.value:g} months of adjuvant endocrine therapy")
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, need)
    progressed = [line for line in history.lines_with("endocrine") if line.progressed]
    if progressed:
        return PriorTherapyCheck("met", f"Progression on endocrine-based therapy for metastatic disease: "
                                        f"{progressed[0].describe()}.", evidence=_line_refs(progressed))
    adjuvant = _relapse_after_adjuvant_endocrine(
        history, limit.value, need,
        f"That is beyond the FDA label's {limit.value:g} months; the EMA label sets no time limit.")
    if adjuvant.verdict == "met":
        return adjuvant
    return PriorTherapyCheck("unknown", f"{adjuvant.text} No progression on endocrine therapy for metastatic disease "
                                        "on record.", need, adjuvant.evidence)


def _progressed_endocrine_lines(history: TherapyHistory) -> list[Line]:
    return [line for line in history.lines_with("endocrine") if line.progressed]


def _metastatic_endocrine_progression(history: TherapyHistory) -> PriorTherapyCheck | None:
    """'met' when an endocrine line for metastatic disease progressed (the condition alpelisib and the oral SERDs
    share), naming the line; None otherwise."""
    progressed = _progressed_endocrine_lines(history)
    if not progressed:
        return None
    return PriorTherapyCheck("met", f"Progression on endocrine therapy for metastatic disease: "
                                    f"{progressed[0].describe()}.", evidence=_line_refs(progressed))


def solar1_after_endocrine(history: TherapyHistory) -> PriorTherapyCheck:
    """Alpelisib with fulvestrant: progression on or after an endocrine-based regimen (Piqray FDA label; SOLAR-1): a
    progression on endocrine therapy for metastatic disease, or a relapse dated after an endocrine therapy of the early
    episode began (during it or at any time after it; the label sets no time limit)."""
    need = "progression or relapse on or after endocrine therapy"
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, need)
    progressed = _metastatic_endocrine_progression(history)
    if progressed:
        return progressed
    relapses = sorted({*history.relapses, *([history.metastatic_start] if history.metastatic_start else [])})
    before = [c for c in history.early_with("endocrine") if c.start is not None and any(d > c.start for d in relapses)]
    if before:
        names = ", ".join(sorted({c.name for c in before}))
        return PriorTherapyCheck("met", f"Relapse after {names} for early disease was started.",
                                 evidence=_refs(before))
    return PriorTherapyCheck("unknown", "No relapse or progression on or after endocrine therapy on record.", need)


def after_endocrine_line(history: TherapyHistory) -> PriorTherapyCheck:
    """Oral SERDs (elacestrant, imlunestrant): progression after at least one line of endocrine therapy (Orserdu and
    Inluriyo FDA labels). Counted here only as progression on endocrine therapy given for metastatic disease. Whether a
    relapse on or after adjuvant endocrine therapy is such a line the labels' words do not settle, and the trials
    differ (EMERALD asked for one or two lines for advanced disease including a CDK4/6 inhibitor; EMBER-3 also took
    recurrence during or after adjuvant aromatase inhibitor therapy), so that history leaves the row to the
    clinician."""
    need = "progression after a line of endocrine therapy (after adjuvant therapy only: check the label of the drug)"
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, need)
    progressed = _metastatic_endocrine_progression(history)
    if progressed:
        return progressed
    adjuvant = history.early_with("endocrine")
    if adjuvant:
        names = ", ".join(sorted({c.name for c in adjuvant}))
        return PriorTherapyCheck("unknown", f"{names.capitalize()} before the relapse (early disease); no progression "
                                            "on endocrine therapy for metastatic disease on record.", need,
                                 _refs(adjuvant))
    return PriorTherapyCheck("unknown", "No endocrine therapy on record.", need)


def olympiad_prior_therapy(history: TherapyHistory) -> PriorTherapyCheck:
    """Olaparib for germline BRCA-mutated HER2-negative metastatic disease: chemotherapy before surgery, after it or for
    metastatic disease; for hormone receptor-positive disease also endocrine therapy, unless it was judged unsuitable
    (Lynparza FDA label; OlympiAD). When the chemotherapy was given does not matter, so undated courses count. A
    judgement that endocrine therapy is unsuitable is not in the record, so its absence leaves the row "unknown"."""
    need = "prior chemotherapy (before or after surgery, or for metastatic disease)"
    chemo = history.given("chemotherapy")
    if not chemo:
        return PriorTherapyCheck("unknown", "No chemotherapy on record.", need)
    names = ", ".join(sorted({c.name for c in chemo}))
    if not history.hormone_receptor_positive:
        return PriorTherapyCheck("met", f"Chemotherapy on record ({names}).", evidence=_refs(chemo))
    endocrine = history.given("endocrine")
    if not endocrine:
        return PriorTherapyCheck("unknown", f"Chemotherapy on record ({names}); no endocrine therapy on record.",
                                 "prior endocrine therapy, or a judgement that it is unsuitable (hormone "
                                 "receptor-positive disease)", _refs(chemo))
    return PriorTherapyCheck("met", f"Chemotherapy ({names}) and endocrine therapy "
                                    f"({', '.join(sorted({c.name for c in endocrine}))}) on record.",
                             evidence=_refs(chemo) + _refs(endocrine))


# Trastuzumab-based therapy for the extended adjuvant neratinib condition: the HER2-directed antibodies (trastuzumab;
# pertuzumab, given with trastuzumab) and T-DM1 (trastuzumab emtansine, given after neoadjuvant trastuzumab; the
# missing trial data after it are the neratinib row's own review note).
TRASTUZUMAB_BASED = frozenset({"anti-her2-antibody", "anti-her2-adc"})


def extenet_after_trastuzumab(history: TherapyHistory) -> PriorTherapyCheck:
    """Extended adjuvant neratinib: after trastuzumab-based adjuvant therapy was completed less than a year ago (EMA
    label; ExteNET). The FDA label asks only that neratinib follow trastuzumab-based therapy, so a year or more is
    "unknown" (the row depends on prior therapy and names both labels), never "not eligible"."""
    from ..knowledge.thresholds import NERATINIB_EMA_AFTER_TRASTUZUMAB_MONTHS as limit
    need = f"trastuzumab-based adjuvant therapy completed, and when (EMA label: less than {limit.value:g} months ago)"
    courses = [c for c in history.early if c.drug.drug_class in TRASTUZUMAB_BASED]
    if not courses:
        return PriorTherapyCheck("unknown", "No trastuzumab-based adjuvant therapy on record.", need)
    today = history.today
    ongoing = [c for c in courses if c.ongoing or (today is not None and c.end is not None and c.end > today)]
    if ongoing:
        return PriorTherapyCheck("unknown", f"{ongoing[0].name.capitalize()} is still under way; extended adjuvant "
                                            "neratinib follows its completion.", need, _refs(ongoing))
    if any(c.end is None for c in courses):
        return PriorTherapyCheck("unknown", "Trastuzumab-based therapy is on record without an end date.", need,
                                 _refs(courses))
    if today is None:
        return PriorTherapyCheck("unknown", "No assessment date to count the time since trastuzumab ended.", need,
                                 _refs(courses))
    last = max(courses, key=lambda c: c.end)
    months = _months_between(last.end, today)
    text = (f"Trastuzumab-based therapy ({last.name}) ended {last.end.isoformat()}, "
            f"{_months_text(months)} months ago.")
    if months < limit.value:
        return PriorTherapyCheck("met", text, evidence=_refs([last]))
    return PriorTherapyCheck("unknown", f"{text} The EMA label asks for less than {limit.value:g} months; the FDA "
                                        "label sets no limit.", need, _refs([last]))


def db04_prior_chemotherapy(history: TherapyHistory) -> PriorTherapyCheck:
    """T-DXd for HER2-low disease: prior chemotherapy for metastatic disease, or recurrence during or within
    6 months of completing adjuvant chemotherapy (Enhertu label; DESTINY-Breast04)."""
    from ..knowledge.thresholds import DB04_RELAPSE_AFTER_ADJUVANT_CHEMO_MONTHS as limit
    need = "prior chemotherapy for metastatic disease (or relapse within 6 months of adjuvant chemotherapy)"
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, need)
    metastatic = history.lines_with("chemotherapy")
    if metastatic:
        return PriorTherapyCheck("met", f"Chemotherapy for metastatic disease: {metastatic[0].describe()}.",
                                 evidence=_line_refs(metastatic))
    relapse = history.metastatic_start
    # The label speaks of adjuvant chemotherapy: chemotherapy given before breast surgery (neoadjuvant) is not
    # counted for the 6-month rule; what the record cannot place (no surgery recorded) is.
    adjuvant = [c for c in history.early_with("chemotherapy") if c.period != "neoadjuvant"]
    if relapse is not None and adjuvant:
        during = [c for c in adjuvant if c.ongoing or (c.end is not None and c.end >= relapse)]
        if during:
            return PriorTherapyCheck("met", f"Relapse {relapse.isoformat()} during adjuvant chemotherapy.",
                                     evidence=_refs(during))
        ended = [c for c in adjuvant if c.end is not None]
        if ended and len(ended) == len(adjuvant):
            last = max(ended, key=lambda c: c.end)
            months = _months_between(last.end, relapse)
            shown = _months_text(months)
            text = (f"Adjuvant chemotherapy ended {last.end.isoformat()}; relapse {relapse.isoformat()}, "
                    f"{shown} months later.")
            if months <= limit.value:
                return PriorTherapyCheck("met", text, evidence=_refs([last]))
            return PriorTherapyCheck("unknown", text + " No chemotherapy for metastatic disease on record.", need,
                                     _refs([last]))
    return PriorTherapyCheck("unknown", "No chemotherapy for metastatic disease on record.", need)


def db06_after_endocrine(history: TherapyHistory) -> PriorTherapyCheck:
    """T-DXd for HR+ HER2-low/ultralow disease: progression on one or more endocrine therapies for metastatic
    disease and no chemotherapy for it yet (DESTINY-Breast06; FDA 2025)."""
    need = "progression on endocrine therapy for metastatic disease (no chemotherapy for it yet)"
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, need)
    chemo = history.lines_with("chemotherapy")
    if chemo:
        return PriorTherapyCheck("not-met", f"Chemotherapy was already given for metastatic disease "
                                            f"({chemo[0].describe()}); DESTINY-Breast06 enrolled patients without it.",
                                 need, _line_refs(chemo))
    endocrine = [line for line in history.lines_with("endocrine") if line.progressed]
    if endocrine:
        return PriorTherapyCheck("met", f"Endocrine therapy for metastatic disease, then progression: "
                                        f"{endocrine[-1].describe()}.", evidence=_line_refs(endocrine))
    return PriorTherapyCheck("unknown", "No progression on endocrine therapy for metastatic disease on record.", need)


def ascent_prior_lines(history: TherapyHistory) -> PriorTherapyCheck:
    """Sacituzumab govitecan for TNBC (Trodelvy label; ASCENT): the label asks for at least two earlier systemic
    treatments, one or more of which was given for metastatic disease."""
    from ..knowledge.thresholds import SACITUZUMAB_TNBC_PRIOR_SYSTEMIC_MIN as minimum
    need = "at least two earlier systemic treatments, one or more for metastatic disease"
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, need)
    metastatic = len(history.lines)
    early = 1 if history.early else 0
    text = (f"{metastatic} line(s) for metastatic disease"
            + (" and (neo)adjuvant systemic therapy." if early else ", no (neo)adjuvant systemic therapy."))
    refs = _line_refs(history.lines) + _refs(history.early)
    if metastatic >= 1 and metastatic + early >= minimum.value:
        return PriorTherapyCheck("met", text, evidence=refs)
    return PriorTherapyCheck("unknown", text, need, refs)


def tropics02_prior_lines(history: TherapyHistory) -> PriorTherapyCheck:
    """Sacituzumab govitecan, HR+/HER2-: endocrine-based therapy and at least two additional systemic
    therapies for metastatic disease (Trodelvy label; TROPiCS-02)."""
    from ..knowledge.thresholds import SACITUZUMAB_HR_ADDITIONAL_SYSTEMIC_MIN as minimum
    need = "endocrine therapy and at least two further systemic therapies for metastatic disease"
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, need)
    endocrine = history.ever("endocrine")
    additional = [line for line in history.lines if "endocrine" not in line.classes]
    text = (f"{'Endocrine therapy' if endocrine else 'No endocrine therapy'}, and {len(additional)} "
            "line(s) for metastatic disease without endocrine therapy.")
    refs = _refs(endocrine) + _line_refs(additional)
    if endocrine and len(additional) >= minimum.value:
        return PriorTherapyCheck("met", text, evidence=refs)
    return PriorTherapyCheck("unknown", text, need, refs)


def tropion_prior_lines(history: TherapyHistory) -> PriorTherapyCheck:
    """Datopotamab deruxtecan: prior endocrine-based therapy and chemotherapy for unresectable or metastatic
    disease (Datroway label; TROPION-Breast01)."""
    need = "prior endocrine therapy and chemotherapy for metastatic disease"
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, need)
    endocrine, chemo = history.lines_with("endocrine"), history.lines_with("chemotherapy")
    if endocrine and chemo:
        return PriorTherapyCheck("met", f"Endocrine therapy ({endocrine[0].describe()}) and chemotherapy "
                                        f"({chemo[0].describe()}) for metastatic disease.",
                                 evidence=_line_refs(endocrine + chemo))
    return PriorTherapyCheck("unknown", "For metastatic disease: "
                                        f"{'endocrine therapy' if endocrine else 'no endocrine therapy'}, "
                                        f"{'chemotherapy' if chemo else 'no chemotherapy'}.", need,
                             _line_refs(endocrine + chemo))


def her2_first_line(history: TherapyHistory) -> PriorTherapyCheck:
    """HER2-positive first line (pertuzumab + trastuzumab + docetaxel, or T-DXd + pertuzumab): no chemotherapy or
    HER2-directed therapy yet for metastatic disease (Perjeta label; CLEOPATRA; DESTINY-Breast09)."""
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, "prior chemotherapy or HER2-directed therapy for metastatic disease")
    given = [line for line in history.lines if line.classes & {"anti-her2", "chemotherapy"}]
    if given:
        return PriorTherapyCheck("not-met", f"Already treated for metastatic disease: {given[0].describe()}; the "
                                            "first-line row no longer fits.",
                                 "confirm no earlier treatment for metastatic disease (first-line row)",
                                 _line_refs(given))
    return PriorTherapyCheck("met", "No chemotherapy or HER2-directed therapy for metastatic disease on record.")


def db03_prior_anti_her2(history: TherapyHistory) -> PriorTherapyCheck:
    """T-DXd for HER2-positive disease: a prior anti-HER2 regimen for metastatic disease, or relapse during or within
    6 months of completing (neo)adjuvant anti-HER2 therapy (Enhertu label; DESTINY-Breast03)."""
    from ..knowledge.thresholds import DB03_RELAPSE_AFTER_ANTI_HER2_MONTHS as limit
    need = "prior HER2-directed therapy for metastatic disease (or relapse within 6 months of (neo)adjuvant therapy)"
    problem = _unsettled(history)
    if problem:
        return PriorTherapyCheck("unknown", problem, need)
    metastatic = history.lines_with("anti-her2")
    if metastatic:
        return PriorTherapyCheck("met", f"HER2-directed therapy for metastatic disease: {metastatic[0].describe()}.",
                                 evidence=_line_refs(metastatic))
    relapse, early = history.metastatic_start, history.early_with("anti-her2")
    if relapse is not None and early:
        during = [c for c in early if c.ongoing or (c.end is not None and c.end >= relapse)]
        if during:
            return PriorTherapyCheck("met", f"Relapse {relapse.isoformat()} during (neo)adjuvant HER2-directed therapy.",
                                     evidence=_refs(during))
        if all(c.end is not None for c in early):
            last = max(early, key=lambda c: c.end)
            months = _months_between(last.end, relapse)
            shown = _months_text(months)
            text = (f"(Neo)adjuvant {last.name} ended {last.end.isoformat()}; relapse {relapse.isoformat()}, "
                    f"{shown} months later.")
            if months <= limit.value:
                return PriorTherapyCheck("met", text, evidence=_refs([last]))
            return PriorTherapyCheck("unknown", text + " No HER2-directed therapy for metastatic disease on record.",
                                     need, _refs([last]))
    return PriorTherapyCheck("unknown", "No HER2-directed therapy for metastatic disease on record.", need)


def her2_later_lines(history: TherapyHistory) -> PriorTherapyCheck:
    """Later HER2-directed options: tucatinib after one or more anti-HER2 regimens for metastatic disease (Tukysa
    label); neratinib and margetuximab after two (their labels; named in the row's condition)."""
    problem = _unsettled(history)
    need = "at least one HER2-directed regimen for metastatic disease"
    if problem:
        return PriorTherapyCheck("unknown", problem, need)
    lines = history.lines_with("anti-her2")
    if lines:
        return PriorTherapyCheck("met", f"{len(lines)} HER2-directed line(s) for metastatic disease.",
                                 evidence=_line_refs(lines))
    return PriorTherapyCheck("unknown", "No HER2-directed therapy for metastatic disease on record.", need)


PRIOR_THERAPY_RULES = {
    "her2-first-line": her2_first_line,
    "db03-prior-anti-her2": db03_prior_anti_her2,
    "her2-later": her2_later_lines,
    "first-line-cdk46": first_line_cdk46,
    "after-nsai": after_non_steroidal_ai,
    "inavo120": inavo120_population,
    "capitello291": capitello291_prior_therapy,
    "extenet-ema": extenet_after_trastuzumab,
    "olympiad": olympiad_prior_therapy,
    "solar1": solar1_after_endocrine,
    "after-endocrine-line": after_endocrine_line,
    "db04-prior-chemo": db04_prior_chemotherapy,
    "db06-after-et": db06_after_endocrine,
    "ascent": ascent_prior_lines,
    "tropics02": tropics02_prior_lines,
    "tropion-breast01": tropion_prior_lines,
}


def check_prior_therapy(rule: str, history: TherapyHistory) -> PriorTherapyCheck:
    return PRIOR_THERAPY_RULES[rule](history)


__all__ = ["Course", "Line", "TherapyHistory", "PriorTherapyCheck", "therapy_history", "check_prior_therapy",
           "PRIOR_THERAPY_RULES", "LINE_CLASSES"]
