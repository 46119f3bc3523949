"""From the clinician's ``Assessment`` to what the patient page says: statement ids, never new text.

Pure (assessment in, ``Explanation`` out), so the portal page and the printed handout, which both
render an ``Explanation``, cannot say different things, and neither can disagree with the subtype
card: the subtype shown is ``assessment.subtype`` or nothing at all. Every line names a statement
of ``cds_hooks.knowledge.patient_content`` (with its sources) and the values to fill in.

Review rule: when the subtype is indeterminate, when a pitfall questions the receptor results
themselves (``REVIEW_PITFALLS``) or when a finding rests on a preliminary result, the page says the
care team needs to review and shows no subtype, no treatment kinds and no frequency. A result the
review is about is shown as "needs checking" rather than as a value. Results that rest only on tissue
taken after treatment began (no result from before it) are a review too: treatment can change them.

Over time (the core's episode model, issue 13 section 1): the page says which sample the results come from
when it matters, from the rule that chose them (``ReceptorFinding.rule``, ``Assessment.samples``): the
biopsy before treatment when tissue taken at surgery after neoadjuvant therapy was tested too; the new
biopsy of the cancer that spread or came back; the new cancer in the other breast. When samples disagree
(a conversion at relapse, two samples before treatment) it says the care team needs to review both; the
subtype shown stays the card's, since the core's rule already settled which result counts.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from cds_hooks.decision.model import Assessment, Her2Finding, ReceptorFinding
from cds_hooks.knowledge.options import OPTIONS
from cds_hooks.knowledge.patient_content import (
    KIND_ORDER,
    PATIENT_STATEMENTS,
    QUESTION_PITFALLS,
    REVIEW_PITFALLS,
    TREATMENT_KINDS,
    WOMEN_ONLY_STATEMENTS,
    shown_sources,
)

_SUBTYPE_KEYS = {"HR+/HER2-": "hr-pos-her2-neg", "HR+/HER2+": "hr-pos-her2-pos", "HR-/HER2+": "hr-neg-her2-pos",
                 "triple-negative": "triple-negative"}
# Pitfalls whose evidence marks the results they are about as "needs checking" on the page.
_IMPLICATING = {"P1", "P6", "P18"}


@dataclass(frozen=True)
class Line:
    """One statement of the patient-content table, with the values for its placeholders."""

    statement: str
    params: tuple[tuple[str, str], ...] = ()
    extra_sources: tuple[str, ...] = ()    # e.g. the options-table sources behind a kind of treatment

    @property
    def sources(self) -> tuple[str, ...]:
        own = PATIENT_STATEMENTS[self.statement].sources
        return own + tuple(s for s in self.extra_sources if s not in own)


@dataclass(frozen=True)
class Marker:
    """One receptor in the picture: what to draw, in data (the renderer words it)."""

    name: str                    # "ER" | "PR" | "HER2"
    state: str                   # positive | low | negative | unknown | review | equivocal
    percent: float | None = None
    level: str | None = None     # HER2: "0", "0-faint", "1+", "2+", "3+"
    fish: str | None = None      # HER2: "amplified" | "not-amplified"


@dataclass
class TumourView:
    """One breast's cancer when there is cancer in both (``Assessment.tumours``): its own results and kind."""

    side: str                                 # left | right
    results: list[Line] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    subtype_lines: list[Line] = field(default_factory=list)   # only when the two kinds differ and none is in review


@dataclass
class Explanation:
    patient_name: str
    knowledge_version: str
    needs_review: bool
    subtype: str | None                       # the assessment's subtype when shown, else None
    her2_expression: str                      # the assessment's HER2 expression (always the core's value)
    sex: str | None = None                    # the assessment's: decides which sources fit (shown_sources)
    results: list[Line] = field(default_factory=list)
    sample_lines: list[Line] = field(default_factory=list)   # which sample the results come from
    markers: list[Marker] = field(default_factory=list)
    subtype_lines: list[Line] = field(default_factory=list)
    review_lines: list[Line] = field(default_factory=list)
    treatment_lines: list[Line] = field(default_factory=list)
    kinds: list[Line] = field(default_factory=list)
    change_lines: list[Line] = field(default_factory=list)
    questions: list[Line] = field(default_factory=list)
    tumours: list[TumourView] = field(default_factory=list)     # cancer in both breasts: one per breast
    notices: list[Line] = field(default_factory=list)

    def lines(self) -> list[Line]:
        """Every line on the page after the fixed 'what was tested' part, in page order."""
        per_breast = [line for t in self.tumours for line in t.results]
        kinds_per_breast = [line for t in self.tumours for line in t.subtype_lines]
        return [*self.notices, *self.results, *per_breast, *self.sample_lines, *self.review_lines,
                *self.subtype_lines, *kinds_per_breast, *self.treatment_lines, *self.kinds, *self.change_lines,
                *self.questions]

    def cite(self, line: Line) -> tuple[str, ...]:
        """The sources this patient is shown for a line: citable, fitting their sex, one per address."""
        return shown_sources(line.sources, self.sex)


TESTED: tuple[str, ...] = ("tested.sample", "tested.three", "tested.er", "tested.pr", "tested.her2",
                           "tested.stain", "tested.ihc", "tested.fish", "tested.two-plus")


def _pct(value: float | None) -> str:
    return f"{value:g}" if value is not None else ""


def _receptor_line(f: ReceptorFinding) -> Line:
    key = f.receptor.lower()
    if f.status == "positive":
        return Line(f"result.{key}.positive", (("percent", _pct(f.percent)),)) if f.percent is not None \
            else Line(f"result.{key}.positive-no-percent")
    if f.status == "low-positive":
        if f.percent is not None:
            return Line(f"result.{key}.low", (("percent", _pct(f.percent)),))
        return Line(f"result.{key}.low-no-percent")
    if f.status == "negative":
        return Line(f"result.{key}.negative") if f.percent is not None else Line(f"result.{key}.negative-no-percent")
    return Line(f"result.{key}.unknown")


def _her2_line(h: Her2Finding) -> Line:
    if h.status == "positive":
        if h.ihc_score == "3+":
            return Line("result.her2.positive-ihc")
        if h.ish == "amplified":
            return Line("result.her2.positive-fish")
        return Line("result.her2.positive")
    if h.status == "equivocal":
        return Line("result.her2.equivocal")
    if h.status == "negative":
        if h.expression == "low":
            score = (h.ihc_score or "").split("-")[0] or "1+"
            return Line("result.her2.low", (("score", score),))
        if h.expression == "ultralow":
            return Line("result.her2.ultralow")
        if h.expression == "null":
            return Line("result.her2.null")
        if h.expression == "zero-unspecified":
            return Line("result.her2.zero")
        return Line("result.her2.negative-no-score")
    return Line("result.her2.unknown")


def _receptor_marker(f: ReceptorFinding, review: bool) -> Marker:
    if review:
        return Marker(f.receptor, "review")
    state = {"positive": "positive", "low-positive": "low", "negative": "negative"}.get(f.status, "unknown")
    return Marker(f.receptor, state, percent=f.percent)


def _her2_marker(h: Her2Finding, review: bool) -> Marker:
    if review:
        return Marker("HER2", "review")
    score = h.ihc_score or ""
    level = {"0-ultralow": "0-faint", "0-null": "0", "0": "0"}.get(score, score if score in ("1+", "2+", "3+") else None)
    if level is None and h.expression == "ultralow":
        level = "0-faint"
    elif level is None and h.expression in ("null", "zero-unspecified"):
        level = "0"
    fish = h.ish if h.ish in ("amplified", "not-amplified") else None
    state = {"positive": "positive", "negative": "low" if h.expression in ("low", "ultralow") else "negative",
             "equivocal": "equivocal"}.get(h.status, "unknown")
    return Marker("HER2", state, level=level, fish=fish)


def _analytes_of(refs: list[str], assessment: Assessment) -> set[str]:
    """Which receptors (ER, PR, HER2) the given evidence references are results of."""
    by_ref: dict[str, set[str]] = {}
    for r in assessment.history:
        name = "HER2" if r.analyte.startswith(("HER2", "CEP17")) else r.analyte
        for key in (r.resource, r.resource.split("#")[0]):
            by_ref.setdefault(key, set()).add(name)
    found: set[str] = set()
    for ref in refs:
        found |= by_ref.get(ref, set()) | by_ref.get(ref.split("#")[0], set())
    return found & {"ER", "PR", "HER2"}


def _append(lines: list[Line], line: Line) -> None:
    if all(x.statement != line.statement for x in lines):
        lines.append(line)


def _ids(alert) -> tuple[str, ...]:
    return tuple(s.id for s in alert.sources) if alert is not None else ()


def _receptor_refs(a: Assessment) -> set[str]:
    return {*a.er.evidence, *a.pr.evidence, *a.her2.evidence}


def _sample_lines(a: Assessment) -> list[Line]:
    """Which sample the results come from, when the history makes it matter (never for a single sample)."""
    findings = (a.er, a.pr, a.her2)
    lines: list[Line] = []
    if len(a.tumours) == 2:
        lines.append(Line("sample.bilateral"))
    metastasis = [f for f in findings if f.rule == "metastatic-sample"
                  and (f.specimen == "metastasis" or not a.episode.de_novo_metastatic)]
    earlier_tumour = any(s.phase == "earlier-tumour" for s in a.samples)
    current_tumour = [f for f in findings if f.rule == "pre-treatment-samples"]
    # A change from the first cancer is said only where the core established one: a conversion (P9 naming it,
    # with no test to order) or the earlier tumour's differing results after a recurrence (its subtype note). A
    # result the new biopsy overrules is not enough: it may be tissue left after treatment before surgery, which
    # never counted (review-residual-loss-then-metastasis-her2pos, review-early-recurrence-residual-not-pulled-in).
    differs: tuple[str, ...] | None = None
    if metastasis:
        lines.append(Line("sample.metastasis"))
        p9 = a.alert("P9")
        if p9 is not None and p9.missing_test is None:
            differs = _ids(p9)
    elif a.episode.current == "early" and a.episode.new_tumour and earlier_tumour and current_tumour:
        if a.episode.new_tumour_kind == "new-primary":
            lines.append(Line("sample.new-primary"))
            # another cancer: its results are its own, not a conflict with the first
        else:
            lines.append(Line("sample.recurrence"))
            if any(n.kind == "earlier-tumour-result" for n in a.subtype_notes):
                differs = ()
    if differs is not None:
        lines.append(Line("sample.differs-from-first", extra_sources=differs))
    if a.episode.unplaced_samples:
        # Breast tissue taken long after the first cancer that no record places (its side, a recurrence or a new
        # primary): the core reads it as the first cancer's and says the data cannot tell; so does the page.
        lines.append(Line("sample.unplaced"))
    elif current_tumour and not a.episode.new_tumour and any(
            s.phase == "post-treatment" and not s.governs for s in a.samples):
        lines.append(Line("sample.after-treatment"))
    discordance = a.alert("receptor-sample-discordance")
    if discordance is not None:
        lines.append(Line("sample.samples-differ", extra_sources=_ids(discordance)))
    if any(n.code == "newer-provisional-differs" for n in a.data_quality):
        lines.append(Line("sample.newer-not-final"))
    return lines


def _result_lines(er: ReceptorFinding, pr: ReceptorFinding, her2: Her2Finding,
                  implicated: set[str]) -> tuple[list[Line], list[Marker]]:
    """The result lines and picture marks of one set of findings (the patient's, or one breast's)."""
    results: list[Line] = []
    markers: list[Marker] = []
    for finding in (er, pr):
        if finding.receptor in implicated:
            results.append(Line("result.needs-review", (("name", finding.receptor),)))
        else:
            results.append(_receptor_line(finding))
        markers.append(_receptor_marker(finding, finding.receptor in implicated))
    if "HER2" in implicated:
        results.append(Line("result.needs-review", (("name", "HER2"),)))
    else:
        results.append(_her2_line(her2))
    markers.append(_her2_marker(her2, "HER2" in implicated))
    dates = sorted(d[:10] for d in (er.effective, pr.effective, her2.effective) if d)
    if dates:
        results.append(Line("result.date", (("date", dates[-1]),)))
    return results, markers


def _subtype_lines(subtype: str, modifiers: list[str], her2_expression: str, *, frequency: bool) -> list[Line]:
    """The kind of cancer in words, with how common it is (when ``frequency``) and its qualifiers."""
    key = _SUBTYPE_KEYS[subtype]
    lines = [Line(f"subtype.{key}")]
    if frequency:
        lines.append(Line(f"frequency.{key}"))
    if "ER-low" in modifiers:
        lines.append(Line("qualifier.er-low"))
    if subtype in ("HR+/HER2-", "triple-negative") and her2_expression in ("low", "ultralow"):
        lines.append(Line(f"qualifier.her2-{her2_expression}"))
    return lines


def explain(assessment: Assessment, patient_name: str, *, partial_data: bool = False) -> Explanation:
    """What the page says about this assessment. ``partial_data``: some records could not be read."""
    a = assessment
    codes = {alert.code for alert in a.alerts}
    provisional = {f.receptor for f in (a.er, a.pr) if f.provisional} | ({"HER2"} if a.her2.provisional else set())
    review_alerts = [alert for alert in a.alerts if alert.code in REVIEW_PITFALLS]
    # Only tissue taken after treatment began: treatment can change the results, so no subtype is shown.
    treated_only = {f.receptor if isinstance(f, ReceptorFinding) else "HER2"
                    for f in (a.er, a.pr, a.her2) if f.rule == "post-treatment-only"}
    # Cancer in both breasts (the core's Assessment.tumours): each breast's results and kind are its own. Two different
    # kinds are not a result to review: the core leaves the patient-level subtype indeterminate only because no merged
    # subtype exists, and the page names both instead.
    tumours = list(a.tumours) if len(a.tumours) == 2 else []
    two_kinds = bool(tumours) and len({t.subtype for t in tumours}) > 1 and \
        all(t.subtype != "indeterminate" for t in tumours)
    undetermined = a.subtype == "indeterminate" and not two_kinds
    needs_review = undetermined or bool(review_alerts) or bool(provisional) or bool(treated_only)
    implicated = set(provisional)
    for alert in review_alerts:
        if alert.code in _IMPLICATING:
            implicated |= _analytes_of(alert.evidence, a) or {"ER", "PR", "HER2"}
    if "P1" in codes:
        implicated |= {"ER", "PR"}
    implicated |= treated_only

    ex = Explanation(patient_name=patient_name, knowledge_version=a.knowledge_version, needs_review=needs_review,
                     subtype=None if needs_review or two_kinds else a.subtype, her2_expression=a.her2.expression,
                     sex=a.sex)
    if partial_data:
        ex.notices.append(Line("notice.partial-data"))

    # Results, one line each; a result under review is not stated as a value. With cancer in both breasts, each
    # breast's own results (the patient-level findings merge both breasts: they are never shown as one cancer's).
    if tumours:
        for t in tumours:
            view = TumourView(t.side)
            view.results, view.markers = _result_lines(t.er, t.pr, t.her2, implicated)
            ex.tumours.append(view)
    else:
        ex.results, ex.markers = _result_lines(a.er, a.pr, a.her2, implicated)
    ex.sample_lines = _sample_lines(a)

    if needs_review:
        ex.review_lines.append(Line("review.intro", extra_sources=tuple(s for al in review_alerts for s in _ids(al))))
        for alert in review_alerts:
            _append(ex.review_lines, Line(REVIEW_PITFALLS[alert.code], extra_sources=_ids(alert)))
        if treated_only:
            _append(ex.review_lines, Line("review.after-treatment-only"))
        untested_new_primary = a.episode.new_tumour_kind == "new-primary" and all(
            f.rule == "none" for f in (a.er, a.pr, a.her2))
        if untested_new_primary:
            _append(ex.review_lines, Line("review.new-primary-untested"))
        elif a.her2.status in ("equivocal", "unknown") and a.her2.ish != "amplified" and \
                any(r.analyte.startswith("HER2") for r in a.history):
            _append(ex.review_lines, Line("review.her2-unsettled"))
        if provisional:
            _append(ex.review_lines, Line("review.preliminary"))
        if "unknown" in (a.er.status, a.pr.status, a.her2.status) or len(ex.review_lines) == 1:
            _append(ex.review_lines, Line("review.missing"))
    elif two_kinds:
        # Two cancers of different kinds: each named for its breast, never one merged kind (the core's
        # bilateral-subtypes-differ warning asks the care team to plan treatment covering both).
        both = a.alert("bilateral-subtypes-differ")
        ex.subtype_lines.append(Line("subtype.two-kinds", extra_sources=_ids(both)))
        for t, view in zip(tumours, ex.tumours):
            view.subtype_lines = _subtype_lines(t.subtype, t.modifiers, t.her2.expression, frequency=False)
        _treatments(a, ex)
    else:
        key = _SUBTYPE_KEYS[a.subtype]
        male = (a.sex or "").lower() == "male"
        # Both breasts of one kind: a qualifier is said of "your cancer" only when it holds for both.
        modifiers = a.modifiers if not tumours else [m for m in tumours[0].modifiers if m in tumours[1].modifiers]
        expressions = {t.her2.expression for t in tumours}
        expression = a.her2.expression if not tumours else (expressions.pop() if len(expressions) == 1 else "")
        ex.subtype_lines = _subtype_lines(a.subtype, modifiers, expression,
                                          frequency=f"frequency.{key}" not in WOMEN_ONLY_STATEMENTS or not male)
        if tumours:
            ex.subtype_lines.insert(1, Line("subtype.both-breasts"))
        _treatments(a, ex)

    # When results can change. P9 either asks for a biopsy of the relapse (it has a test to order) or names a
    # conversion the new biopsy showed (said above, with the sample). P13 (as revised): a receptor result that
    # predates the current disease state, never an age limit; its ESR1 part is not a receptor result.
    p9, p13 = a.alert("P9"), a.alert("P13")
    retest = p9 is not None and p9.missing_test is not None
    outdated = p13 is not None and bool(set(p13.evidence) & _receptor_refs(a))
    ex.change_lines.append(Line("change.general"))
    if retest:
        ex.change_lines.append(Line("change.relapse-not-retested", extra_sources=_ids(p9)))
    elif outdated:
        ex.change_lines.append(Line("change.since-tests", extra_sources=_ids(p13)))
    if "P10" in codes:
        ex.change_lines.append(Line("change.her2-low-differs"))

    # Questions chosen from the assessment.
    samples_disagree = any(line.statement in ("sample.differs-from-first", "sample.samples-differ", "sample.unplaced")
                           for line in ex.sample_lines)
    if needs_review or samples_disagree:
        _append(ex.questions, Line("question.review"))
    if two_kinds:
        _append(ex.questions, Line("question.both-cancers", extra_sources=_ids(a.alert("bilateral-subtypes-differ"))))
    if retest:
        _append(ex.questions, Line("question.retest"))
    elif outdated:
        _append(ex.questions, Line("question.up-to-date"))
    for alert in a.alerts:
        if alert.code in QUESTION_PITFALLS:
            _append(ex.questions, Line(QUESTION_PITFALLS[alert.code]))
    if a.pr.status in ("positive", "low-positive") and a.pr.percent is None and "PR" not in implicated:
        _append(ex.questions, Line("question.pr-percent"))
    if not needs_review:
        if "ER-low" in a.modifiers:
            _append(ex.questions, Line("question.er-low"))
        if a.her2.expression in ("low", "ultralow"):
            _append(ex.questions, Line("question.her2-low"))
    if a.setting.setting == "unknown":
        _append(ex.questions, Line("question.stage"))
    if any(line.statement == "treatment.before-surgery" for line in ex.treatment_lines):
        _append(ex.questions, Line("question.before-surgery"))
    _append(ex.questions, Line("question.treatments"))
    _append(ex.questions, Line("question.trials"))
    return ex


def _treatments(a: Assessment, ex: Explanation) -> None:
    """Kinds of treatment from the options the clinician sees (drug classes, never drugs or doses)."""
    if not a.options:
        return
    ex.treatment_lines.append(Line("treatment.intro"))
    setting = a.setting.setting
    if setting == "early":
        ex.treatment_lines.append(Line("treatment.early-local"))
    elif setting == "metastatic":
        ex.treatment_lines.append(Line("treatment.metastatic"))
    else:
        ex.treatment_lines.append(Line("treatment.unknown-stage"))
    sources: dict[str, list[str]] = {}
    for option in a.options:
        kind = TREATMENT_KINDS.get(option.drug_class)
        if kind is None:
            continue
        bucket = sources.setdefault(kind, [])
        bucket += [s.id for s in option.sources if s.id not in bucket]
    ex.kinds = [Line(kind, extra_sources=tuple(sources[kind])) for kind in KIND_ORDER if kind in sources]
    if setting != "early":
        return
    # Medicine before surgery: what the record shows happened (the episode's neoadjuvant window, residual
    # disease at surgery), else the general note while neither medicine nor surgery is on record yet.
    episode = a.episode
    if episode.neoadjuvant is not None:
        ex.treatment_lines.append(Line("treatment.residual-after-medicine" if a.setting.residual_disease
                                       else "treatment.had-before-surgery"))
    elif episode.surgery is None and episode.first_systemic_therapy is None and any(
            "neoadjuvant" in (OPTIONS[o.id].line if o.id in OPTIONS else "") for o in a.options):
        ex.treatment_lines.append(Line("treatment.before-surgery"))
