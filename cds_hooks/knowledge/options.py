"""Treatment options by subtype and setting: every row of clinical-knowledge.md section c, as data.

Why data: a clinician reviewing the product must be able to read the whole option table, with its
conditions and sources, without reading control flow. ``cds_hooks.decision.options`` only filters
this table against the assessed facts (b.6 pseudo-code).

Field meanings
- ``subtypes``: assessed subtypes the row applies to (model vocabulary).
- ``setting``: "early" or "metastatic" (the table's "Setting" column; locally advanced unresectable
  disease is treated as metastatic for label purposes only after the clinician confirms, P19).
- ``line``: the line/moment the row is about, as the table says it (checked against the recorded history only
  through ``prior_therapy``).
- ``requires``: findings the option cannot be chosen without. When the finding is not in the data the
  option is returned with status "needs-test" and the test named (issue 2: never silently listed or
  dropped). Keys: ``gBRCA`` (germline BRCA1/2 pathogenic variant), ``PIK3CA``, ``PIK3CA|AKT1|PTEN``
  (any one), ``ESR1``, ``PD-L1-CPS10-22C3`` (PD-L1 CPS >= 10 by 22C3), ``PD-L1-SP142-IC1`` (SP142
  immune cells >= 1 %), ``HER2-low``, ``HER2-low-or-ultralow``, ``residual-disease``.
- ``menopause``: "any"; "post" (label says postmenopausal); "post-or-male" (elacestrant label);
  "ai-based" (postmenopausal, or premenopausal WITH ovarian suppression, or men WITH a GnRH agonist).
- ``condition``: in our own words. ``notes``: caveats, including where sources disagree.
- ``verification``: "U" where the reference marks the row as domain knowledge / not retrieved.
- ``prior_therapy``: a key of ``cds_hooks.decision.lines.PRIOR_THERAPY_RULES`` for rows whose label or trial asks
  for a place in the treatment sequence (prior lines by class, relapse within a time after adjuvant therapy). The
  row is "applicable" only when the recorded history establishes it; otherwise "depends-on-prior-therapy" with
  what to check (issue 13 section 3).
- ``risk_rule``: a key of ``cds_hooks.decision.risk.RISK_RULES`` for rows tied to tumour size, nodes, grade,
  Ki-67 (read by ``cds_hooks.decision.tumour``) or metastatic sites; unknown criteria give "needs-review" naming
  what is missing, never "applicable".
- ``stages``: for early-disease rows whose label or trial covers only some stage groups (NATALEE, KEYNOTE-522:
  stage II-III; monarchE: node-positive, so not stage IA). A recorded stage outside them rules the row out; an
  unrecorded stage sends it to review. ``nodes_needed``: the row also needs nodal status, which the product does
  not read from FHIR, so it always needs review ("applicable" would claim more than the data show).
"""
from __future__ import annotations

from dataclasses import dataclass

HR_POS = ("HR+/HER2-", "HR+/HER2+")
HER2_POS = ("HR+/HER2+", "HR-/HER2+")
HER2_NEG = ("HR+/HER2-", "triple-negative")
TNBC = ("triple-negative",)
LUMINAL = ("HR+/HER2-",)


@dataclass(frozen=True)
class OptionSpec:
    id: str
    title: str
    drug_class: str
    agents: tuple[str, ...]
    subtypes: tuple[str, ...]
    setting: str
    line: str
    condition: str
    sources: tuple[str, ...]
    requires: tuple[str, ...] = ()
    menopause: str = "any"
    notes: tuple[str, ...] = ()
    verification: str = "V"
    reference_row: str = ""
    stages: tuple[str, ...] = ()
    nodes_needed: bool = False
    prior_therapy: str = ""
    risk_rule: str = ""                       # key of cds_hooks.decision.risk.RISK_RULES (tumour/site criteria)
    # Requirement keys whose test is not asked for before any endocrine therapy is on record (it could not change
    # anything yet: HER2-ultralow re-scoring for DESTINY-Breast06, the same condition as pitfall P8).
    defer_until_endocrine_therapy: tuple[str, ...] = ()


# ASCO 2019 focused update (Burstein et al.): how long adjuvant endocrine therapy lasts.
DURATION_NOTE = ("Duration: 5 years; extending to a total of up to 10 years (including an aromatase inhibitor) is "
                 "recommended for node-positive disease and considered for node-negative disease by recurrence risk "
                 "(ASCO 2019).")

OPTIONS_TABLE: tuple[OptionSpec, ...] = (
    # ---- Early disease -------------------------------------------------------------------------
    OptionSpec(
        "early-endocrine", "Adjuvant endocrine therapy", "endocrine therapy",
        ("aromatase inhibitor (anastrozole, letrozole, exemestane)", "tamoxifen",
         "ovarian function suppression (goserelin, leuprolide) + AI or tamoxifen"),
        HR_POS, "early", "adjuvant",
        "Hormone receptor-positive early cancer: an aromatase inhibitor (preferred after menopause) or tamoxifen; "
        "before menopause tamoxifen, or ovarian suppression plus an AI or tamoxifen when the risk is higher; "
        "men: tamoxifen, or a GnRH agonist plus an AI when tamoxifen cannot be used.",
        ("soft-text-domain", "asco-male-bc", "asco-extended-et-2019", "seed-002"),
        notes=("Before menopause, ovarian suppression is added to tamoxifen or an aromatase inhibitor when the risk "
               "of recurrence is higher (SOFT and TEXT trials).",
               DURATION_NOTE),
        verification="U", reference_row="c: HR+/HER2- | Early | Endocrine therapy"),
    OptionSpec(
        "early-abemaciclib", "Abemaciclib for 2 years with endocrine therapy", "cdk46-inhibitor",
        ("abemaciclib",), LUMINAL, "early", "adjuvant",
        "Node-positive early HR+/HER2- cancer at high risk of recurrence (for example 4 or more positive axillary "
        "nodes, or 1-3 nodes with grade 3 or a tumour of 5 cm or more); added to endocrine therapy for 2 years.",
        ("label-fda-verzenio-0",), stages=("IB", "II", "III"), risk_rule="monarche",
        notes=("Since the 2023 label a Ki-67 threshold is no longer required (monarchE).",
               "Label criteria differ from ribociclib (NATALEE: stage II-III incl. selected node-negative); "
               "check which label a patient meets."),
        reference_row="c: HR+/HER2- | Early | + Abemaciclib"),
    OptionSpec(
        "early-ribociclib", "Ribociclib for 3 years with an aromatase inhibitor", "cdk46-inhibitor",
        ("ribociclib", "letrozole or anastrozole"), LUMINAL, "early", "adjuvant",
        "Stage II-III HR+/HER2- cancer in the NATALEE population: any node involvement; node-negative only with a T2 "
        "tumour of grade 3, or grade 2 with Ki-67 of 20% or more or high genomic risk, or a T3 tumour; 3 years with a "
        "non-steroidal aromatase inhibitor (before menopause with a GnRH agonist, as in NATALEE).",
        ("label-fda-kisqali-2", "natalee-2024"), stages=("II", "III"), risk_rule="natalee",
        notes=("Broader than the abemaciclib label (which needs node-positive disease). The FDA label speaks of stage "
               "II-III disease at high risk of recurrence; the node-negative criteria applied here are NATALEE's.",),
        reference_row="c: HR+/HER2- | Early | + Ribociclib"),
    OptionSpec(
        "early-olaparib", "Adjuvant olaparib for 1 year (germline BRCA)", "parp-inhibitor",
        ("olaparib",), HER2_NEG, "early", "adjuvant",
        "Germline BRCA1/2 pathogenic variant, HER2-negative high-risk early cancer, after neoadjuvant or adjuvant "
        "chemotherapy.", ("label-fda-lynparza-3",), requires=("gBRCA",),
        notes=("PARP-inhibitor labels require a germline (not somatic) BRCA variant.",),
        reference_row="c: HER2- (any HR), gBRCA | Early | Olaparib 1 y"),
    OptionSpec(
        "early-et-after-chemo", "Start endocrine therapy after chemotherapy, not with it", "endocrine therapy",
        ("tamoxifen", "aromatase inhibitor"), HR_POS, "early", "sequencing",
        "When chemotherapy is given, endocrine therapy follows it rather than running alongside.",
        ("albain-2009-swog8814",),
        notes=("SWOG-8814 compared CAF followed by tamoxifen with concurrent CAF plus tamoxifen.",),
        reference_row="c: HR+ | Early | ET sequential after chemotherapy"),
    OptionSpec(
        "early-adjuvant-bisphosphonate", "Adjuvant bisphosphonate", "bone-modifying agent",
        ("zoledronic acid", "clodronate"), ("HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative"), "early",
        "adjuvant",
        "Postmenopausal patients (natural menopause, or menopause induced by ovarian suppression) who receive adjuvant "
        "systemic therapy: zoledronic acid or clodronate may be considered; they lower bone recurrence and breast "
        "cancer deaths after menopause, with the most absolute benefit at higher recurrence risk.",
        ("ebctcg-bisphosphonates-2015", "asco-oh-adjuvant-bma-2022"), menopause="post-or-suppressed",
        notes=("EBCTCG 2015 found no benefit before menopause; check dental health and kidney function first.",),
        reference_row="c.2: any early, postmenopausal | Adjuvant bisphosphonate"),
    OptionSpec(
        "early-her2-chemo-trastuzumab", "Chemotherapy with trastuzumab, with or without pertuzumab",
        "anti-her2-antibody", ("trastuzumab", "pertuzumab", "chemotherapy (e.g. taxane)"),
        HER2_POS, "early", "neoadjuvant/adjuvant",
        "HER2-positive early cancer; pertuzumab is added when the tumour is larger than 2 cm or nodes are involved "
        "(neoadjuvant), or for high-risk disease after surgery; complete one year of HER2-directed therapy.",
        ("label-fda-perjeta-1", "label-fda-perjeta-2", "label-fda-phesgo-0", "label-fda-phesgo-1", "seed-000"),
        notes=("The pertuzumab labels name tumours over 2 cm or node-positive disease before surgery, and high-risk "
               "disease after it; summaries that start at 1 cm go beyond the labels.",),
        reference_row="c: HER2+ (any HR) | Early | Chemo + trastuzumab +/- pertuzumab"),
    OptionSpec(
        "early-tdm1-residual", "T-DM1 for residual invasive disease", "anti-her2-adc",
        ("ado-trastuzumab emtansine",), HER2_POS, "early", "post-neoadjuvant",
        "Residual invasive disease after neoadjuvant taxane plus trastuzumab.",
        ("label-fda-kadcyla-1",), requires=("residual-disease",),
        reference_row="c: HER2+ | Early, residual | T-DM1"),
    OptionSpec(
        "early-neratinib-extended", "Extended adjuvant neratinib", "her2-tki",
        ("neratinib",), ("HR+/HER2+",), "early", "extended adjuvant",
        "Hormone receptor-positive, HER2-positive early cancer after trastuzumab-based adjuvant therapy (EMA: started "
        "within a year of finishing it).",
        ("label-ema-nerlynx-0", "label-fda-nerlynx-0", "extenet-2016"), risk_rule="neratinib-history",
        prior_therapy="extenet-ema",
        notes=("Labels differ: the FDA label covers HER2-positive early disease whatever the hormone receptor status, "
               "and sets no time limit after trastuzumab; the EMA label covers only hormone receptor-positive disease, "
               "where ExteNET showed the benefit, with trastuzumab-based therapy completed less than a year before.",),
        reference_row="c: HER2+ | Early, after adjuvant trastuzumab | Neratinib"),
    OptionSpec(
        "early-tnbc-chemotherapy", "Anthracycline- and taxane-based chemotherapy", "chemotherapy",
        ("doxorubicin or epirubicin", "cyclophosphamide", "paclitaxel or docetaxel", "carboplatin (selected patients)"),
        TNBC, "early", "neoadjuvant/adjuvant",
        "Triple-negative early cancer from T1c (over 10 mm) node-negative, or any node-positive disease; considered for "
        "T1b (over 5 up to 10 mm) node-negative tumours; given before or after surgery.",
        ("esmo-ebc-2024", "seed-000"), risk_rule="tnbc-early-chemo",
        notes=("Stage II-III disease also qualifies for pembrolizumab with neoadjuvant chemotherapy (KEYNOTE-522 row).",),
        reference_row="c.2: TNBC early | Chemotherapy, anthracycline and taxane based"),
    OptionSpec(
        "early-hr-chemotherapy", "Chemotherapy by clinical and genomic risk", "chemotherapy",
        ("anthracycline- and/or taxane-based regimens",), LUMINAL, "early", "adjuvant",
        "HR+/HER2- early cancer: with four or more positive nodes chemotherapy by clinical risk; node-negative or 1-3 "
        "nodes, decide with the 21-gene recurrence score: node-negative (TAILORx) chemotherapy for a score of 26 or "
        "more, and some benefit at 16-25 in women aged 50 or younger; 1-3 nodes (RxPONDER) chemotherapy for a score of "
        "26 or more, and for premenopausal women with a score up to 25, but no benefit after menopause with a score up "
        "to 25.",
        ("asco-biomarkers-2022", "tailorx-2018", "rxponder-2021"), risk_rule="hr-early-chemo",
        notes=("The recurrence score is read only when coded as in mCODE (NCBI GTR test 509910); no LOINC or SNOMED "
               "code for it could be confirmed, so a score recorded otherwise is asked for.",),
        reference_row="c.2: HR+/HER2- early | Chemotherapy by clinical and genomic risk"),
    OptionSpec(
        "early-tnbc-keynote522", "Pembrolizumab with neoadjuvant chemotherapy, then adjuvant pembrolizumab",
        "pd1-pdl1-inhibitor",
        ("pembrolizumab", "carboplatin", "paclitaxel", "doxorubicin or epirubicin", "cyclophosphamide"),
        TNBC, "early", "neoadjuvant/adjuvant",
        "High-risk early triple-negative cancer: tumour over 1 cm up to 2 cm with nodal involvement, or over 2 cm "
        "whatever the nodes. No PD-L1 result is needed.",
        ("label-fda-keytruda-14", "keynote-522-ascopost", "seed-000"), stages=("II", "III"),
        notes=("No PD-L1 result is needed in early disease: the KEYNOTE-522 indication does not ask for one, unlike "
               "the metastatic indication (CPS of 10 or more by 22C3).",),
        reference_row="c: TNBC | Early, high risk | Pembrolizumab + neoadjuvant chemo"),
    OptionSpec(
        "early-tnbc-capecitabine-residual", "Capecitabine for residual disease", "fluoropyrimidine",
        ("capecitabine",), TNBC, "early", "post-neoadjuvant",
        "Residual invasive disease after neoadjuvant chemotherapy.",
        ("create-x",), requires=("residual-disease",),
        verification="U",
        reference_row="c: TNBC | Early, residual | Capecitabine"),
    OptionSpec(
        "early-tnbc-olaparib-residual", "Olaparib for residual disease (germline BRCA)", "parp-inhibitor",
        ("olaparib",), TNBC, "early", "post-neoadjuvant",
        "Residual disease after neoadjuvant chemotherapy with a germline BRCA1/2 pathogenic variant.",
        ("label-fda-lynparza-3",), requires=("gBRCA", "residual-disease"),
        reference_row="c: TNBC | Early, residual | olaparib if gBRCA"),
    # ---- Metastatic HR+/HER2- ------------------------------------------------------------------
    OptionSpec(
        "met-ai-cdk46", "Aromatase inhibitor or fulvestrant with a CDK4/6 inhibitor", "cdk46-inhibitor",
        ("palbociclib", "ribociclib", "abemaciclib", "with letrozole/anastrozole/exemestane or fulvestrant"),
        LUMINAL, "metastatic", "1L",
        "First-line metastatic HR+/HER2- disease; before menopause only with ovarian suppression, and men with a "
        "GnRH agonist.",
        ("label-fda-ibrance-0", "label-fda-ibrance-1", "label-fda-kisqali-0", "label-fda-kisqali-1",
         "label-fda-verzenio-1", "label-fda-verzenio-2", "asco-2021-mbc-update"),
        menopause="ai-based", prior_therapy="first-line-cdk46", reference_row="c: HR+/HER2- | Metastatic 1L | AI + CDK4/6i"),
    OptionSpec(
        "met-inavolisib", "Inavolisib with palbociclib and fulvestrant", "pi3k-inhibitor",
        ("inavolisib", "palbociclib", "fulvestrant"), LUMINAL, "metastatic", "1L (endocrine-resistant)",
        "PIK3CA-mutated HR+/HER2- disease that recurred on, or within 12 months of finishing, adjuvant endocrine therapy.",
        ("label-fda-itovebi-0", "inavo120-2024"), requires=("PIK3CA",),
        prior_therapy="inavo120", reference_row="c: HR+/HER2-, PIK3CA-mut, endocrine-resistant | Metastatic | Inavolisib"),
    OptionSpec(
        "met-alpelisib", "Alpelisib with fulvestrant", "pi3k-inhibitor",
        ("alpelisib", "fulvestrant"), LUMINAL, "metastatic", ">=2L",
        "PIK3CA-mutated HR+/HER2- disease progressing on or after an endocrine-based regimen.",
        ("label-fda-piqray-0", "asco-2021-mbc-update"), requires=("PIK3CA",),
        notes=("ASCO 2021: test by NGS on tissue or ctDNA; if ctDNA shows no mutation, test tissue.",),
        prior_therapy="solar1", reference_row="c: HR+/HER2-, PIK3CA-mut | Metastatic >=2L | Alpelisib + fulvestrant"),
    OptionSpec(
        "met-capivasertib", "Capivasertib with fulvestrant", "akt-inhibitor",
        ("capivasertib", "fulvestrant"), LUMINAL, "metastatic", ">=2L",
        "HR+/HER2- disease with a PIK3CA, AKT1 or PTEN alteration that has progressed on one or more endocrine-based "
        "treatments for metastatic disease, or that came back during adjuvant therapy or in the 12 months after it ended.",
        ("label-fda-truqap-0", "capitello291-2023", "label-ema-truqap"), requires=("PIK3CA|AKT1|PTEN",),
        notes=("EMA label: pre/perimenopausal women also receive an LHRH agonist.",
               "Labels differ on the time since adjuvant therapy: the FDA label covers a relapse up to 12 months after "
               "it was completed (read here as adjuvant endocrine therapy); the EMA label covers relapse or progression "
               "on or after any endocrine-based treatment, however long ago."),
        prior_therapy="capitello291",
        reference_row="c: HR+/HER2-, PIK3CA/AKT1/PTEN-altered | Metastatic >=2L | Capivasertib"),
    OptionSpec(
        "met-oral-serd", "Oral SERD (elacestrant or imlunestrant)", "oral-serd",
        ("elacestrant", "imlunestrant"), LUMINAL, "metastatic", ">=2L",
        "ESR1-mutated ER+/HER2- disease progressing after at least one line of endocrine therapy. Elacestrant: "
        "postmenopausal women and men; imlunestrant: adults.",
        ("label-fda-orserdu-0", "label-fda-inluriyo-0", "emerald-2022", "ember3-2025", "label-ema-orserdu-0"),
        requires=("ESR1",), menopause="post-or-male",
        notes=("Labels differ: elacestrant is labelled for postmenopausal women and men, imlunestrant for adults.",
               "ESR1 mutations are acquired under endocrine therapy: test at progression, preferably on ctDNA.",
               "The EMA elacestrant label also asks that the earlier endocrine therapy included a CDK4/6 inhibitor.",
               "Whether relapse on or after adjuvant endocrine therapy counts as the earlier line is left to the "
               "clinician: EMERALD required one or two lines for advanced disease, EMBER-3 also enrolled recurrence "
               "during or after an adjuvant aromatase inhibitor."),
        prior_therapy="after-endocrine-line",
        reference_row="c: ER+/HER2-, ESR1-mut | Metastatic >=2L | Elacestrant; imlunestrant"),
    OptionSpec(
        "met-everolimus-exemestane", "Everolimus with exemestane", "mtor-inhibitor",
        ("everolimus", "exemestane"), LUMINAL, "metastatic", ">=2L",
        "Postmenopausal women after letrozole or anastrozole.",
        ("label-fda-afinitor-0", "bolero2-2012", "seed-002"), menopause="post",
        prior_therapy="after-nsai", reference_row="c: HR+/HER2- | Metastatic >=2L | Everolimus + exemestane"),
    OptionSpec(
        "met-fulvestrant", "Fulvestrant alone", "serd", ("fulvestrant",), LUMINAL, "metastatic", "any",
        "Postmenopausal women.", ("label-fda-faslodex-0", "label-fda-faslodex-1"), menopause="post",
        reference_row="c: HR+/HER2- | Metastatic | Fulvestrant monotherapy"),
    OptionSpec(
        "met-parp-gbrca", "PARP inhibitor (germline BRCA)", "parp-inhibitor", ("olaparib", "talazoparib"),
        HER2_NEG, "metastatic", "any",
        "Germline BRCA1/2 pathogenic variant, HER2-negative metastatic disease. Olaparib: after chemotherapy "
        "(neoadjuvant, adjuvant or metastatic); HR-positive disease must have had endocrine therapy or be unsuitable for it.",
        ("label-fda-lynparza-4", "olympiad-2017", "label-ema-lynparza-2", "label-fda-talzenna-0", "seed-000"),
        requires=("gBRCA",), prior_therapy="olympiad",
        notes=("Labels differ: the FDA talazoparib label asks for no earlier treatment; the olaparib labels ask for "
               "earlier chemotherapy (EMA: an anthracycline and a taxane, unless unsuitable) and, for hormone "
               "receptor-positive disease, earlier endocrine therapy unless it is unsuitable (EMA: progression on or "
               "after it).",),
        reference_row="c: HER2-, gBRCA | Metastatic | Olaparib / talazoparib"),
    OptionSpec(
        "met-tdxd-db06", "Trastuzumab deruxtecan (HER2-low or ultralow, chemotherapy-naive)", "tdxd",
        ("trastuzumab deruxtecan",), LUMINAL, "metastatic", "after >=1 endocrine therapy",
        "HR+ metastatic disease that is HER2-low (IHC 1+ or 2+ without amplification) or HER2-ultralow (IHC 0 with "
        "faint membrane staining), with no chemotherapy yet for metastatic disease, after at least one endocrine therapy.",
        ("destiny-breast06-fda-2025", "label-ema-enhertu-4", "asco-cap-2023-her2"), requires=("HER2-low-or-ultralow",),
        notes=("FDA and EMA wording differ: EMA also asks that endocrine therapy is not considered suitable as the "
               "next line.",
               "ASCO/CAP 2023: any valid prior or concurrent sample showing low/ultralow expression may count.",
               "ASCO/CAP 2023 declined to make HER2-ultralow (or HER2-low) a formal result category, while the FDA/EMA "
               "T-DXd labels use it: ultralow depends on how the pathologist annotates an IHC 0."),
        prior_therapy="db06-after-et", defer_until_endocrine_therapy=("HER2-low-or-ultralow",), reference_row="c: HR+, HER2-low or ultralow | Metastatic, chemo-naive | T-DXd"),
    OptionSpec(
        "met-tdxd-db04", "Trastuzumab deruxtecan (HER2-low, after chemotherapy)", "tdxd",
        ("trastuzumab deruxtecan",), HER2_NEG, "metastatic", "after >=1 chemotherapy",
        "HER2-low metastatic disease (any HR status) already treated with chemotherapy for metastatic disease, or that "
        "relapsed during adjuvant chemotherapy or in the 6 months after it.",
        ("label-fda-enhertu-1", "destiny-breast04-2022"), requires=("HER2-low",),
        notes=("HER2-ultralow is not covered by this indication (DESTINY-Breast04 enrolled IHC 1+ and 2+/ISH-).",),
        prior_therapy="db04-prior-chemo", reference_row="c: HER2-low (any HR) | Metastatic, after >=1 chemo | T-DXd"),
    OptionSpec(
        "met-datopotamab", "Datopotamab deruxtecan", "trop2-adc", ("datopotamab deruxtecan",),
        LUMINAL, "metastatic", "after ET and chemotherapy",
        "HR+/HER2- (IHC 0, 1+ or 2+ without amplification) metastatic disease after endocrine-based therapy and "
        "chemotherapy for advanced disease.",
        ("label-fda-datroway-1",),
        prior_therapy="tropion-breast01", reference_row="c: HR+/HER2- | Metastatic | Datopotamab deruxtecan"),
    OptionSpec(
        "met-sacituzumab-hr", "Sacituzumab govitecan (HR+/HER2-)", "trop2-adc", ("sacituzumab govitecan",),
        LUMINAL, "metastatic", "after ET and >=2 systemic lines",
        "HR+/HER2- metastatic disease after endocrine-based therapy and at least two further systemic therapies for "
        "metastatic disease.", ("label-fda-trodelvy-1", "tropics02-2023"),
        prior_therapy="tropics02", reference_row="c: HR+/HER2- | Metastatic | Sacituzumab govitecan"),
    OptionSpec(
        "met-endocrine-first", "Endocrine therapy first whenever any hormone receptor is expressed",
        "endocrine therapy", ("aromatase inhibitor", "tamoxifen", "fulvestrant", "ovarian suppression (premenopausal)"),
        HR_POS, "metastatic", "1L principle",
        "Offer endocrine therapy when the tumour expresses any level of ER or PR, unless the disease is immediately "
        "life-threatening; premenopausal women also need ovarian suppression.",
        ("asco-2016-rugo", "asco-2016-rugo-ngc", "seed-002", "seed-003"),
        notes=("Chemotherapy comes first only when the disease is immediately life-threatening or no longer responds "
               "to endocrine therapy; patient summaries that say treatment often starts with chemotherapy do not follow "
               "the ASCO guideline.",),
        reference_row="c: HR+ (any HER2) | Metastatic | ET first"),
    # ---- Metastatic HER2+ ----------------------------------------------------------------------
    OptionSpec(
        "met-her2-1l", "Pertuzumab + trastuzumab + docetaxel, or T-DXd + pertuzumab", "anti-her2-antibody",
        ("pertuzumab", "trastuzumab", "docetaxel", "trastuzumab deruxtecan + pertuzumab"),
        HER2_POS, "metastatic", "1L",
        "HER2-positive metastatic disease not yet treated, in the metastatic setting, with chemotherapy or a "
        "HER2-directed drug.",
        ("label-fda-perjeta-0", "label-fda-phesgo-2", "label-fda-enhertu-5"),
        notes=("T-DXd + pertuzumab first line rests on DESTINY-Breast09 (FDA 2025-12-15).",),
        prior_therapy="her2-first-line", reference_row="c: HER2+ (any HR) | Metastatic 1L"),
    OptionSpec(
        "met-her2-tdxd-2l", "Trastuzumab deruxtecan (second line)", "tdxd", ("trastuzumab deruxtecan",),
        HER2_POS, "metastatic", "2L",
        "After an anti-HER2 regimen for metastatic disease, or relapse within 6 months of (neo)adjuvant anti-HER2 therapy.",
        ("label-fda-enhertu-0",), prior_therapy="db03-prior-anti-her2", reference_row="c: HER2+ | Metastatic 2L | T-DXd"),
    OptionSpec(
        "met-her2-later", "Later-line HER2-directed options", "her2-tki",
        ("tucatinib + trastuzumab + capecitabine", "ado-trastuzumab emtansine", "neratinib + capecitabine",
         "lapatinib + capecitabine", "margetuximab + chemotherapy"),
        HER2_POS, "metastatic", ">=2L/3L",
        "After one (tucatinib, including brain metastases) or two (neratinib, margetuximab) prior anti-HER2 regimens.",
        ("label-fda-tukysa-0", "label-fda-kadcyla-0", "label-fda-nerlynx-1", "label-fda-tykerb-0", "label-fda-margenza-0"),
        notes=("Margetuximab has no RxNorm code in our drug table; it is named here only.",),
        prior_therapy="her2-later", reference_row="c: HER2+ | Metastatic >=2L/3L"),
    OptionSpec(
        "met-hrpos-her2pos-endocrine", "Endocrine therapy with anti-HER2 therapy when chemotherapy is not indicated",
        "endocrine therapy", ("lapatinib + letrozole", "trastuzumab + aromatase inhibitor"),
        ("HR+/HER2+",), "metastatic", "any",
        "HR+/HER2+ metastatic disease in postmenopausal women when chemotherapy is not indicated.",
        ("label-fda-tykerb-1", "label-ema-herceptin-3"), menopause="post",
        reference_row="c: HR+/HER2+ | Metastatic | ET + anti-HER2"),
    # ---- Metastatic TNBC -----------------------------------------------------------------------
    OptionSpec(
        "met-tnbc-pembrolizumab", "Pembrolizumab with chemotherapy (PD-L1 CPS >= 10)", "pd1-pdl1-inhibitor",
        ("pembrolizumab", "chemotherapy"), TNBC, "metastatic", "1L",
        "Triple-negative metastatic disease with PD-L1 CPS of 10 or more by the 22C3 assay.",
        ("label-fda-keytruda-15", "keynote-355-cdx", "seed-000"), requires=("PD-L1-CPS10-22C3",),
        notes=("EMA adds: no prior chemotherapy for metastatic disease.",
               "SP142 immune-cell % and tumour-cell % are not CPS and cannot establish eligibility.",
               "A PD-L1 'positive' by another assay or cut-off does not qualify: the label needs CPS of 10 or more "
               "measured with the 22C3 assay."),
        reference_row="c: TNBC, PD-L1 CPS >=10 (22C3) | Metastatic 1L"),
    OptionSpec(
        "met-tnbc-atezolizumab", "Atezolizumab with nab-paclitaxel (PD-L1 SP142 IC >= 1%)", "pd1-pdl1-inhibitor",
        ("atezolizumab", "nab-paclitaxel"), TNBC, "metastatic", "1L",
        "Triple-negative metastatic disease with PD-L1 SP142 immune-cell staining of 1% or more.",
        ("label-ema-tecentriq-6", "label-hc-tecentriq-5", "seed-002"), requires=("PD-L1-SP142-IC1",),
        notes=("Approved by EMA and Health Canada only; the US indication was withdrawn.",),
        reference_row="c: TNBC, PD-L1 SP142 IC >=1% | Metastatic 1L"),
    OptionSpec(
        "met-tnbc-sacituzumab", "Sacituzumab govitecan (TNBC)", "trop2-adc", ("sacituzumab govitecan",),
        TNBC, "metastatic", ">=2L",
        "Triple-negative metastatic disease after two or more systemic therapies, at least one for metastatic disease.",
        ("label-fda-trodelvy-0", "ascent-2021", "seed-002"),
        notes=("The label (ASCENT) counts two or more earlier systemic therapies of which at least one was for "
               "metastatic disease, so a (neo)adjuvant treatment can be one of them.",),
        prior_therapy="ascent", reference_row="c: TNBC | Metastatic >=2L | Sacituzumab govitecan"),
    OptionSpec(
        "met-bone-modifying-agent", "Bone-modifying agent for bone metastases", "bone-modifying agent",
        ("denosumab", "zoledronic acid", "pamidronate"), ("HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative"),
        "metastatic", "supportive",
        "Bone metastases: a bone-modifying agent (denosumab, zoledronic acid or pamidronate) alongside cancer treatment; "
        "it is not a treatment for bone pain on its own.",
        ("asco-cco-bma-metastatic-2017", "seed-002"), risk_rule="bone-metastases",
        notes=("Check dental health, calcium and vitamin D before starting; no agent is shown to be better than another.",),
        reference_row="c.2: any, metastatic with bone metastases | Zoledronic acid or denosumab"),
    OptionSpec(
        "met-chemotherapy", "Chemotherapy (single agents in sequence)", "chemotherapy",
        ("capecitabine", "taxanes", "anthracyclines", "eribulin", "platinum (germline BRCA)", "vinorelbine", "gemcitabine"),
        HER2_NEG, "metastatic", "any",
        "Triple-negative disease, or HR+ disease that no longer responds to endocrine therapy or is in visceral crisis.",
        ("chemo-domain", "seed-002", "seed-000"), verification="U",
        reference_row="c: TNBC / HER2- any | Metastatic | Chemotherapy"),
)

OPTIONS: dict[str, OptionSpec] = {o.id: o for o in OPTIONS_TABLE}
if len(OPTIONS) != len(OPTIONS_TABLE):
    raise ValueError("duplicate option id")

# What each requirement key asks for when the finding is missing (shown as "needs test X").
REQUIREMENT_TESTS: dict[str, str] = {
    "gBRCA": "germline BRCA1/2 testing",
    "PIK3CA": "PIK3CA mutation testing (tissue or ctDNA)",
    "PIK3CA|AKT1|PTEN": "PIK3CA/AKT1/PTEN alteration testing",
    "ESR1": "ESR1 mutation testing at progression (ctDNA preferred)",
    "PD-L1-CPS10-22C3": "PD-L1 CPS by 22C3 assay",
    "PD-L1-SP142-IC1": "PD-L1 SP142 immune-cell score",
    "HER2-low": "HER2 IHC score (0 vs 1+/2+)",
    "HER2-low-or-ultralow": "HER2 IHC score with ultralow/null annotation",
    "residual-disease": "pathology after neoadjuvant therapy (residual invasive disease)",
}

# Wording for a male patient (issue 13 section 5; ASCO male breast cancer guideline, Hassett et al. 2020): an
# aromatase inhibitor only with a GnRH agonist, else tamoxifen; never "menopause" or "ovarian suppression".
# Rows not listed here are either dropped for men (postmenopausal-only labels) or say nothing sex-specific.
MALE_WORDING: dict[str, tuple[str, tuple[str, ...]]] = {
    "early-endocrine": (
        "Hormone receptor-positive early cancer in a man: tamoxifen; when tamoxifen cannot be used, an aromatase "
        "inhibitor given together with a GnRH agonist.",
        ("tamoxifen", "aromatase inhibitor (anastrozole, letrozole, exemestane) with a GnRH agonist (goserelin, "
         "leuprolide)")),
    "met-ai-cdk46": (
        "First-line metastatic HR+/HER2- disease in a man: a CDK4/6 inhibitor with fulvestrant, or with an aromatase "
        "inhibitor given together with a GnRH agonist.",
        ("palbociclib", "ribociclib", "abemaciclib", "with fulvestrant, or with an aromatase inhibitor plus a GnRH agonist")),
    "met-endocrine-first": (
        "Offer endocrine therapy when the tumour expresses any level of ER or PR, unless the disease is immediately "
        "life-threatening; in a man tamoxifen, or an aromatase inhibitor together with a GnRH agonist.",
        ("tamoxifen", "aromatase inhibitor with a GnRH agonist", "fulvestrant")),
    "met-oral-serd": (
        "ESR1-mutated ER+/HER2- disease progressing after at least one line of endocrine therapy; elacestrant's label "
        "includes men and imlunestrant's covers adults.",
        ("elacestrant", "imlunestrant")),
    "early-hr-chemotherapy": (
        "HR+/HER2- early cancer in a man: with four or more positive nodes chemotherapy by clinical risk; otherwise decide "
        "with the 21-gene recurrence score (node-negative: TAILORx; 1-3 nodes: RxPONDER), chemotherapy for a score of 26 "
        "or more. Both trials enrolled women, so their finer cut-offs by age do not transfer directly.",
        ("anthracycline- and/or taxane-based regimens",)),
    "early-ribociclib": (
        "Stage II-III HR+/HER2- cancer in a man meeting the NATALEE risk criteria: ribociclib for 3 years with a "
        "non-steroidal aromatase inhibitor, given together with a GnRH agonist.",
        ("ribociclib", "letrozole or anastrozole", "GnRH agonist (goserelin, leuprolide)")),
}
# Words that belong to women's endocrine care and must not reach a card or page about a man.
FEMALE_ONLY_WORDS: tuple[str, ...] = ("menopaus", "ovarian", "ovaries", "premenopausal", "postmenopausal")

# Response evaluation in metastatic disease (seed 002; ESO-ESMO ABC 5): said once for the metastatic option list.
RESPONSE_EVALUATION_NOTE = (
    "Response evaluation in metastatic disease: after about 3 months of endocrine-based therapy, and every 2-3 cycles "
    "of chemotherapy (ESO-ESMO ABC 5)."
)

MALE_NOTE = (
    "The patient is male. Endocrine options follow the ASCO male breast cancer guideline: tamoxifen, or an aromatase "
    "inhibitor only together with a GnRH agonist."
)

# ER-low: options for TNBC may be discussed (P2; b.6 "ER-low -> flag consider TNBC-like approach").
# Shown once per card (Assessment.option_notes), not under every option.
ER_LOW_NOTE = (
    "ER-low (1-10% of nuclei): endocrine benefit is uncertain and outcomes resemble ER-negative disease "
    "(Paakkola 2021); triple-negative-type options may be discussed. Some papers draw the boundary at 1-9%."
)
# ER-low with PR clearly positive: no triple-negative-type rows are offered (b.4), so the caveat does not name them.
ER_LOW_PR_POSITIVE_NOTE = (
    "ER-low (1-10% of nuclei): endocrine benefit is less certain than in strongly ER-positive disease; with PR "
    "clearly positive the tumour is treated as hormone receptor-positive. Some papers draw the boundary at 1-9%."
)
# ER-low with HER2-positive disease: the comparison is HR-negative/HER2-positive care, not triple-negative care.
ER_LOW_HER2_POSITIVE_NOTE = (
    "ER-low (1-10% of nuclei) with HER2-positive disease: endocrine benefit is uncertain and such tumours tend to "
    "behave like hormone receptor-negative, HER2-positive cancer; plan HER2-directed treatment as for HR-/HER2+ "
    "disease and discuss whether endocrine therapy adds anything."
)
ER_NEG_PR_POS_NOTE = (
    "An ER-negative, PR-positive result is uncommon and frequently a testing artefact: the HR+ call stays provisional "
    "until pathology has re-checked ER; endocrine therapy remains an option."
)
