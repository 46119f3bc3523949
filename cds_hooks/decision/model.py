"""The assessment: the one structured answer the decision core gives.

This module is the contract between the pure decision core and everything around it
(CDS Hooks cards, the SMART app page, tests). It holds plain, JSON-serialisable
dataclasses and the closed vocabularies the cards expose, so that a change of wording
in a card can never change a decision, and a change in the rules shows up here first.

Two layers:
- *facts* read from the FHIR data (``ReceptorResult`` history, findings, setting,
  biomarkers, medications, events, data-quality notes), produced by the readers;
- *judgements* made from those facts (``Option``, ``Alert``), produced by the option
  and pitfall rules, each carrying the sources it rests on.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# Closed vocabularies. The string values are part of the CDS card contract
# (extension["receptor-cds"]) and of the SMART page; do not rename them.
ReceptorStatus = Literal["positive", "low-positive", "negative", "unknown"]
HrStatus = Literal["positive", "negative", "unknown"]
Her2Status = Literal["positive", "negative", "equivocal", "unknown"]
Her2Expression = Literal["positive", "low", "ultralow", "null", "zero-unspecified", "unknown"]
Subtype = Literal["HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative", "indeterminate"]
Setting = Literal["early", "metastatic", "unknown"]
MenopausalStatus = Literal["premenopausal", "postmenopausal", "suppressed", "male", "unknown"]
Severity = Literal["info", "warning", "critical"]
SpecimenKind = Literal["primary", "metastasis", "unknown"]
# "depends-on-prior-therapy": the option's label or trial asks for a place in the treatment sequence (prior lines,
# a relapse within a time after adjuvant therapy) that the recorded history does not establish (issue 13 section 3).
OptionStatus = Literal["applicable", "needs-test", "needs-review", "depends-on-prior-therapy"]
OPTION_STATUSES: tuple[str, ...] = ("applicable", "needs-test", "needs-review", "depends-on-prior-therapy")
# The patient over time (issue 13, clinical-knowledge.md b.3 "Multiple samples"; built in
# ``cds_hooks.decision.episodes``). Episode: early (diagnosis to first recurrence/metastasis) or
# metastatic (from then on). Period: where a date falls within the episodes; "earlier-tumour" is before a
# local or regional recurrence or a new primary that the patient now has (the current tumour's own biopsy governs).
Episode = Literal["early", "metastatic", "unknown"]
Period = Literal["before-treatment", "neoadjuvant", "after-neoadjuvant", "adjuvant", "early-on-treatment", "metastatic",
                 "earlier-tumour", "unknown"]
SamplePhase = Literal["pre-treatment", "post-treatment", "metastatic", "earlier-tumour", "unknown"]
# A tumour event after the first presentation that does not make the disease metastatic.
NewTumourKind = Literal["recurrence", "new-primary"]
# Why a sample governs a receptor (selection.govern): a sample of the metastatic episode; the early
# episode's pre-treatment samples (a positive on any of them governs); only post-treatment samples
# (residual disease) exist; no sample of the current episode (a metastatic one, or a local recurrence or new
# primary), so the earlier tumour's call stands in (P9 at relapse); a coded diagnosis only; nothing.
GoverningRule = Literal["metastatic-sample", "pre-treatment-samples", "post-treatment-only", "early-results-only",
                        "condition", "none"]

SUBTYPES: tuple[str, ...] = ("HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative", "indeterminate")
HER2_EXPRESSIONS: tuple[str, ...] = ("positive", "low", "ultralow", "null", "zero-unspecified", "unknown")


@dataclass(frozen=True)
class SourceRef:
    """A citation: which guideline, label or trial a rule rests on.

    ``id`` is a key of ``cds_hooks.knowledge.sources.SOURCES``; label/url/citation are
    copied in so a card or page can cite without another lookup.
    """

    id: str
    label: str
    citation: str
    url: str | None = None


@dataclass
class ReceptorResult:
    """One receptor-relevant reading, normalised from one Observation (or one component).

    The history of these is what the SMART page charts and what the pitfall rules
    (conversion at relapse, HER2-low instability, stale results) reason over.
    ``analyte`` is one of: ``ER``, ``PR``, ``HR`` (combined 10480-2), ``HER2-IHC``,
    ``HER2-ISH`` (qualitative ISH), ``HER2-ISH-ratio``, ``HER2-ISH-copies``,
    ``CEP17-copies``, ``HER2-status`` (48676-1 interpretation), ``Ki67``.
    """

    resource: str                      # "Observation/<id>" (with "#component-N" when from a component)
    analyte: str
    code: str                          # "system|code" that identified the analyte
    effective: str | None              # ISO 8601 date or dateTime as recorded
    fhir_status: str                   # Observation.status
    provisional: bool                  # preliminary/registered: never the sole basis of a recommendation
    specimen: SpecimenKind = "unknown"
    specimen_site: str | None = None   # free text or display of the site, when known
    specimen_ref: str | None = None    # "Specimen/<id>" when the Observation names its specimen
    collected: str | None = None       # Specimen.collection date, when the specimen records it
    side: str | None = None            # left | right | both: the breast the tissue came from, when recorded
    qualitative: str | None = None     # positive | negative | low-positive | equivocal | indeterminate | not-tested
    percent: float | None = None       # % positive nuclei (ER/PR) or Ki-67 %
    comparator: str | None = None      # "<", "<=", ">", ">=" as recorded with the percent/ratio
    ihc_score: str | None = None       # "0", "0-ultralow", "0-null", "1+", "2+", "3+"
    ish: str | None = None             # amplified | not-amplified | equivocal
    ratio: float | None = None         # HER2/CEP17
    copies: float | None = None        # mean signals per cell (HER2 or CEP17 by analyte)
    status: str = "unknown"            # what this reading says on its own (ReceptorStatus / Her2Status vocabulary)
    label: str = ""                    # short human text, e.g. "ER 5% (IHC)", "HER2 IHC 2+"
    # Which tumour the tissue is of, when the episode model says more than ``specimen`` does: "recurrence" for a breast
    # or node sample of the local or regional recurrence the patient now has (assess sets it from the episode).
    tumour: str | None = None


@dataclass
class TreatmentWindow:
    """A stretch of the history between two dated events, with the resources that date it."""

    start: str | None = None
    end: str | None = None
    evidence: list[str] = field(default_factory=list)


@dataclass
class EpisodeFinding:
    """The patient over time: which disease episode the patient is in, and when each began.

    Built once by ``cds_hooks.decision.episodes.build_episode`` from Conditions (diagnosis, secondary
    neoplasm, recurrence), stage and M category, receptor specimens (a metastasis biopsy dates the
    metastatic episode too), MedicationRequest/Statement dates (first systemic therapy) and breast
    surgery Procedures. ``episodes.period_of(episode, date)`` places any date (a drug start, a sample)
    on this axis; lines of therapy and the choice of receptor results both read it from there.
    """

    current: Episode = "unknown"           # early | metastatic (from the setting); unknown when neither is shown
    diagnosis: str | None = None           # first breast cancer diagnosis (Condition onset, else first sample)
    metastatic_start: str | None = None    # first recurrence/metastasis (None: not metastatic, or undated)
    de_novo_metastatic: bool = False       # metastatic within the staging window of diagnosis (SEER time rule)
    first_systemic_therapy: str | None = None   # first anticancer drug of the early episode
    surgery: str | None = None             # first breast cancer surgery of the early episode
    neoadjuvant: TreatmentWindow | None = None  # first systemic therapy -> surgery, when therapy came first
    # A local/regional recurrence or a new (contralateral) primary after the first presentation, without distant
    # disease: from this date the current tumour's samples govern, and the therapy/surgery dates above are its own.
    new_tumour: str | None = None
    new_tumour_kind: NewTumourKind | None = None
    # The earlier tumour's own first systemic therapy: its samples taken before it are its pre-treatment samples, whose
    # call stands in while the current tumour has no result of its own (residual disease never does, b.3).
    earlier_first_systemic_therapy: str | None = None
    # The breasts with cancer at the first presentation (laterality of its Conditions and samples); both: synchronous
    # bilateral cancers, each breast's tumour its own primary (SEER Solid Tumor Rules, breast).
    first_sides: list[str] = field(default_factory=list)
    bilateral: bool = False
    # Breast or node samples taken long after the first tumour's surgery that no record places (recurrence, new
    # primary or the first tumour: the data cannot tell); the subtype card says so (episodes._unplaced_samples).
    unplaced_samples: list[str] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)      # why, in words, one line per date
    evidence: list[str] = field(default_factory=list)


@dataclass
class ReceptorFinding:
    """The ER or PR status chosen for the current decision, with what it rests on."""

    receptor: Literal["ER", "PR"]
    status: ReceptorStatus = "unknown"
    percent: float | None = None
    basis: str = "none"                # percent | qualitative | interpretation | combined-hr | condition | none
    effective: str | None = None
    specimen: SpecimenKind = "unknown"
    provisional: bool = False
    evidence: list[str] = field(default_factory=list)   # resource references
    # Over the history (selection.govern): where the governing sample falls, by which rule it governs,
    # the results of valid samples that disagree with it (shown, not used), and the results of samples
    # positive for this receptor while the governing call is not (conversion at relapse, a gain in
    # residual disease): a drug aimed at it is then a warning, not a critical stop (ESMO ABC 5).
    phase: str = "unknown"             # SamplePhase
    rule: str = "none"                 # GoverningRule
    overruled: list[str] = field(default_factory=list)
    positive_elsewhere: list[str] = field(default_factory=list)


@dataclass
class Her2Finding:
    """The HER2 status and expression chosen for the current decision (ASCO/CAP 2018/2023)."""

    status: Her2Status = "unknown"
    expression: Her2Expression = "unknown"
    ihc_score: str | None = None
    ish: str | None = None             # amplified | not-amplified | equivocal | needs-ihc
    ish_group: int | None = None       # dual-probe group 1-5
    ratio: float | None = None
    copies: float | None = None
    basis: str = "none"                # ihc | ish | ihc+ish | qualitative | condition | none
    effective: str | None = None
    specimen: SpecimenKind = "unknown"
    provisional: bool = False
    evidence: list[str] = field(default_factory=list)
    # Any valid prior/concurrent sample with IHC 1+ or 2+/ISH- (or ultralow): ASCO/CAP 2023
    # asks to consider them for HER2-low eligibility even when the newest sample says 0.
    low_on_any_sample: bool = False
    ultralow_on_any_sample: bool = False
    # Over the history (selection.govern): where the governing sample falls, by which rule it governs,
    # the results of valid samples that disagree with it (shown, not used), and the results of samples
    # positive for this receptor while the governing call is not (conversion at relapse, a gain in
    # residual disease): a drug aimed at it is then a warning, not a critical stop (ESMO ABC 5).
    phase: str = "unknown"             # SamplePhase
    rule: str = "none"                 # GoverningRule
    overruled: list[str] = field(default_factory=list)
    positive_elsewhere: list[str] = field(default_factory=list)


@dataclass
class SampleCall:
    """What one sample says about one receptor, placed in the patient's history.

    Every valid sample is listed (``Assessment.samples``), the governing one marked, so the cards and
    the SMART page can show the whole picture: a negative excision beside the positive core, residual
    disease after neoadjuvant therapy, the primary beside the metastasis.
    """

    receptor: Literal["ER", "PR", "HER2"]
    status: str                        # ReceptorStatus / Her2Status vocabulary
    label: str                         # e.g. "ER 30% (IHC)", "HER2 IHC 2+, ISH not amplified"
    date: str | None                   # collection date of the tissue, else the result's date
    specimen: SpecimenKind = "unknown"
    specimen_site: str | None = None
    specimen_ref: str | None = None
    phase: str = "unknown"             # SamplePhase
    expression: str | None = None      # HER2 only (Her2Expression vocabulary)
    provisional: bool = False
    conflicted: bool = False           # the sample's own results disagree (P18)
    governs: bool = False
    evidence: list[str] = field(default_factory=list)
    side: str | None = None            # left | right | both, when the specimen records it


@dataclass
class SubtypeNote:
    """A line for the subtype card: something already settled or shown for information, not a warning.

    ``kind`` is a closed vocabulary: "resolved-ish-group" (an atypical ISH group the ASCO/CAP 2018 algorithm
    settled with the concurrent IHC), "ignored-entered-in-error" (a result withdrawn by the lab and not used),
    "residual-disease-result" (a result on tissue taken after neoadjuvant therapy: information, never a
    reason to call the receptor negative), "resolved-by-later-sample" (an unresolved result a later sample
    settled), "metastasis-not-biopsied" (de novo stage IV classified on the breast biopsy; no metastasis was
    sampled), "earlier-tumour-result" (a result of the tumour before a local recurrence or a new primary that
    differs from the current tumour's: information; the current tumour's biopsy governs), "earlier-tumour-stands-in" (a
    local or regional recurrence with no receptor result of its own: the earlier tumour's pre-treatment results stand
    in until it is biopsied), "tumour-of-sample-unclear" (breast tissue taken long after the first tumour's surgery
    that no record places: recurrence, new primary or the first tumour cannot be told; read as the first tumour's).
    """

    kind: str
    message: str
    evidence: list[str] = field(default_factory=list)


@dataclass
class TumourCall:
    """One primary tumour's own receptor call when the patient has cancer in both breasts at once.

    Built by ``cds_hooks.decision.bilateral`` from that breast's samples only (SEER: the tumours of the two breasts are
    separate primaries). ``Assessment.tumours`` holds one per breast; when their subtypes differ the patient-level
    subtype is "indeterminate" (no merged subtype is invented) and both are stated.
    """

    side: str                          # left | right
    subtype: Subtype
    hr: HrStatus
    er: ReceptorFinding
    pr: ReceptorFinding
    her2: Her2Finding
    reasons: list[str] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)


@dataclass
class SettingFinding:
    """Early vs metastatic, and whether locally advanced disease needs the clinician to confirm."""

    setting: Setting = "unknown"
    basis: str = "none"
    evidence: list[str] = field(default_factory=list)
    locally_advanced: bool = False     # stage III / inflammatory without M1 (pitfall P19)
    stage: str | None = None           # e.g. "II", "IIIB", "IV"
    residual_disease: bool | None = None
    # Sites of distant metastasis named in the record (bone, liver, lung, brain); "other" for a site we do not map.
    # Empty when none is named (which does not mean there is none).
    metastatic_sites: list[str] = field(default_factory=list)


@dataclass
class TumourFinding:
    """The primary tumour's size, T and N category, positive nodes, grade and Ki-67, as recorded.

    Read by ``cds_hooks.decision.tumour.read_tumour`` for the early-disease option criteria (chemotherapy in
    triple-negative disease, NATALEE and monarchE risk, clinical risk in HR+/HER2- disease). Each item is None when
    the record does not state it; ``missing`` says which the options needed and could not find.
    """

    size_mm: float | None = None       # longest dimension of the invasive tumour, in mm
    t_category: str | None = None      # AJCC category as recorded ("T1c", "T2"...), without the c/p prefix
    n_category: str | None = None      # "N0".."N3"
    positive_nodes: int | None = None  # number of positive regional nodes
    grade: int | None = None           # histologic grade 1-3
    ki67: float | None = None          # % of nuclei
    recurrence_score: float | None = None   # 21-gene recurrence score (0-100)
    age_at_diagnosis: int | None = None     # from Patient.birthDate and the episode model's diagnosis date
    evidence: list[str] = field(default_factory=list)

    @property
    def node_positive(self) -> bool | None:
        """True/False when nodal status is recorded (a count, or an N category), None when it is not."""
        if self.positive_nodes is not None:
            return self.positive_nodes > 0
        if self.n_category is not None:
            return self.n_category != "N0"
        return None


@dataclass
class Biomarker:
    """A companion biomarker relevant to options: BRCA1/2, PIK3CA, AKT1, PTEN, ESR1, PD-L1."""

    name: str                          # BRCA1 | BRCA2 | PIK3CA | AKT1 | PTEN | ESR1 | PD-L1
    result: Literal["present", "absent", "unknown"]
    origin: Literal["germline", "somatic", "unknown"] = "unknown"
    value: float | None = None         # PD-L1 score
    measure: str | None = None         # CPS | IC | TPS for PD-L1
    assay: str | None = None           # e.g. "22C3", "SP142"
    specimen: str | None = None        # tissue | ctDNA | blood
    effective: str | None = None
    evidence: list[str] = field(default_factory=list)


# Status codes (FHIR R4 MedicationRequest, MedicationStatement, MedicationAdministration) that show a drug was or is
# being given: one declaration for the episode model, the lines of therapy and the conflict checks. "in-progress" is
# an administration under way (an infusion running now: https://hl7.org/fhir/R4/valueset-medication-admin-status.html);
# drafts, plans and "intended" statements gave nothing.
GIVEN_MEDICATION_STATUSES = frozenset({"active", "on-hold", "completed", "stopped", "in-progress"})
# Of those, the ones that say the drug is still being given now.
ONGOING_MEDICATION_STATUSES = frozenset({"active", "on-hold", "in-progress"})


@dataclass
class MedicationUse:
    """An active (or draft) drug, rolled up from its RxNorm code to ingredient and class."""

    resource: str                      # "MedicationRequest/<id>"
    ingredient: str | None             # e.g. "letrozole"; None when the code is not in our table
    ingredient_rxcui: str | None
    drug_class: str | None             # key of cds_hooks.knowledge.drugs.DRUG_CLASSES
    status: str                        # MedicationRequest/Statement status
    code: str | None = None            # "system|code" as recorded
    display: str | None = None
    start: str | None = None
    end: str | None = None
    draft: bool = False                # from a hook's draftOrders rather than the chart
    # A MedicationRequest whose intent is a proposal, plan or option: what someone means to give, not a drug given.
    # Still checked for conflicts (catching a plan is the point), never history (episode window, lines of therapy).
    planned: bool = False


@dataclass
class ClinicalEvent:
    """A dated disease event placed on the receptor history's time axis."""

    # "progression" only for a worsened disease status (mCODE 271299001); stable/improved/undetermined
    # statuses are "disease-status" so they never read as a relapse on the chart or in the rules.
    kind: Literal["diagnosis", "metastasis", "recurrence", "progression", "disease-status", "stage"]
    date: str | None
    label: str
    evidence: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)   # e.g. {"evidence_types": ["tumor-marker"]}


@dataclass
class DataQualityNote:
    """Something in the data the product could not use as given, and why."""

    code: str                          # e.g. "invalid-code-for-system", "dropped-entered-in-error"
    message: str
    resource: str | None = None


@dataclass
class Option:
    """A treatment option at drug-class level, with the condition that makes it apply and its source."""

    id: str                            # key in cds_hooks.knowledge.options.OPTIONS
    title: str
    drug_class: str
    agents: list[str]
    setting: Setting
    condition: str                     # when it applies, in our words
    status: OptionStatus = "applicable"
    needs: list[str] = field(default_factory=list)      # tests or facts still missing ("PIK3CA result")
    notes: list[str] = field(default_factory=list)      # caveats, incl. where sources disagree
    sources: list[SourceRef] = field(default_factory=list)


@dataclass
class Alert:
    """A pitfall the data shows, with what to do about it and the evidence behind it."""

    code: str                          # P1..P20, or an order-conflict code
    topic: str                         # card topic code, e.g. "er-neg-pr-pos-discordance"
    title: str
    severity: Severity
    message: str
    action: str
    evidence: list[str] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)
    # Order checks only: the draft order the alert is about ("MedicationRequest/103"), so a card
    # can offer to delete it, and the test that would resolve the alert, so a card can offer to
    # order it (a Coding dict: {"system", "code", "display"}).
    order: str | None = None
    missing_test: dict[str, str] | None = None


@dataclass
class Assessment:
    """Everything the product concluded about one patient's receptor picture."""

    patient: str | None
    subtype: Subtype
    hr: HrStatus
    er: ReceptorFinding
    pr: ReceptorFinding
    her2: Her2Finding
    setting: SettingFinding
    knowledge_version: str
    tumour: TumourFinding = field(default_factory=TumourFinding)
    subtype_reasons: list[str] = field(default_factory=list)   # why indeterminate, or what qualifies it
    modifiers: list[str] = field(default_factory=list)         # "ER-low", "ER-/PR+"
    sex: str | None = None
    age: int | None = None
    menopausal_status: MenopausalStatus = "unknown"
    menopausal_basis: str = "none"
    biomarkers: list[Biomarker] = field(default_factory=list)
    medications: list[MedicationUse] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    # Caveats that concern the option list as a whole (ER-low disease, a male patient): shown once per card or
    # page, not repeated under every option (issue 13 section 5).
    option_notes: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    data_quality: list[DataQualityNote] = field(default_factory=list)
    history: list[ReceptorResult] = field(default_factory=list)
    events: list[ClinicalEvent] = field(default_factory=list)
    episode: EpisodeFinding = field(default_factory=EpisodeFinding)
    samples: list[SampleCall] = field(default_factory=list)
    subtype_notes: list[SubtypeNote] = field(default_factory=list)
    # Synchronous bilateral cancer: each breast's own call (cds_hooks.decision.bilateral); empty otherwise.
    tumours: list[TumourCall] = field(default_factory=list)

    @property
    def her2_expression(self) -> Her2Expression:
        return self.her2.expression

    @property
    def evidence(self) -> list[str]:
        """Every resource the subtype rests on, in a stable order, without duplicates."""
        seen: dict[str, None] = {}
        for ref in (*self.er.evidence, *self.pr.evidence, *self.her2.evidence):
            seen.setdefault(ref, None)
        return list(seen)

    def alert(self, code: str) -> Alert | None:
        return next((a for a in self.alerts if a.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["her2_expression"] = self.her2_expression
        data["evidence"] = self.evidence
        return data
