"""The catalogue of sources every option and alert cites.

Why data: a card must name the guideline, label or trial behind it, and a reviewer must be able to
check each citation in one place. Entries are copied from clinical-knowledge.md (the team's
reference, sections a-d) and the five seed documents (cited by file name). URLs are exactly the
ones the reference gives; where it names a repository instead of an address (moalmanac-db for label
indications, the mCODE IG, Synthea, the MII module) the url is that repository's GitHub home; where it
gives neither the url is None (we never make one up). Label
indications are cited as the reference cites them ("ind:fda.<drug>:<n>", curated in
vanallenlab/moalmanac-db indications.json, snapshot 7815662b).

One deviation, documented: the reference writes the ASCO male breast cancer guideline address
without a scheme ("eguideline.guidelinecentral.com/i/1475473-..."); we prefix "https://", as for the
other eguideline.guidelinecentral.com addresses in the reference.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    id: str
    label: str
    citation: str
    url: str | None = None


# GitHub homes of the repositories the reference names as its sources (clinical-knowledge.md header and
# a.7/c): a label indication without an address of its own points to the curated indications database
# it was read from; a data-model note points to the implementation guide or module repository.
MOALMANAC_DB = "https://github.com/vanallenlab/moalmanac-db"
MCODE_IG_REPO = "https://github.com/HL7/fhir-mCODE-ig"
SYNTHEA_REPO = "https://github.com/synthetichealth/synthea"
MII_ONKO_REPO = "https://github.com/medizininformatik-initiative/kerndatensatzmodul-onkologie"


def _label(drug: str, brand: str, ind: str, trial: str | None, extra: str = "", url: str | None = MOALMANAC_DB) -> Source:
    trial_text = f"; {trial}" if trial else ""
    return Source(
        id=f"label-{ind.replace(':', '-').replace('.', '-')}",
        label=f"{brand} ({drug}) {'EMA' if ind.startswith('ema') else 'Health Canada' if ind.startswith('hc') else 'FDA'} indication{trial_text}",
        citation=f"{brand} label, ind:{ind}{(' ' + extra) if extra else ''}{trial_text} (curated in moalmanac-db indications.json)",
        url=url,
    )


_SOURCES: tuple[Source, ...] = (
    # Testing guidelines (clinical-knowledge.md b.2, b.3).
    Source("asco-cap-2020-er-pr", "ASCO/CAP 2020 ER/PR testing guideline",
           "Allison KH et al. Estrogen and Progesterone Receptor Testing in Breast Cancer: ASCO/CAP Guideline "
           "Update. J Clin Oncol 2020; Arch Pathol Lab Med 2020;144(5):545-563",
           "https://meridian.allenpress.com/aplm/article/144/5/545/427509/Estrogen-and-Progesterone-Receptor-Testing-in"),
    Source("cap-er-pr-summary", "CAP summary of the 2020 ER/PR recommendations",
           "College of American Pathologists, guideline recommendations for IHC testing of ER and PgR in breast cancer",
           "https://www.cap.org/protocols-and-guidelines/cap-guidelines/current-cap-guidelines/guideline-recommendations-for-immunohistochemical-testing-of-estrogen-and-progesterone-receptors-in-breast-cancer"),
    Source("asco-cap-2020-er-pr-rec2", "ASCO/CAP 2020 ER/PR, Rec 2.2/2.3 (discordant results)",
           "ASCO/CAP 2020 ER/PR guideline, recommendations 2.2-2.3 (work-up of unusual or discordant results)",
           "https://eguideline.guidelinecentral.com/i/1199868-estrogen-and-progesterone-receptor-testing-in-breast-cancer/4"),
    Source("asco-cap-2018-her2", "ASCO/CAP 2018 HER2 testing focused update",
           "Wolff AC et al. HER2 Testing in Breast Cancer: ASCO/CAP Clinical Practice Guideline Focused Update. "
           "J Clin Oncol 2018; Arch Pathol Lab Med 2018;142(11):1364-1382 (ISH algorithm figure)",
           "https://eguideline.guidelinecentral.com/i/1475463-her2-testing-in-breast-cancer/8"),
    Source("labce-her2-fish", "HER2 FISH interpretation summary (2018 groups; ISH 'equivocal' removed)",
           "LabCE summary of HER2 FISH interpretation under ASCO/CAP 2018",
           "https://labce.com/spg4451288_her2_fluorescence_in_situ_hybridization_fish_inter.aspx"),
    Source("asco-cap-2023-her2", "ASCO/CAP 2023 HER2 testing guideline update",
           "Wolff AC et al. HER2 Testing in Breast Cancer: ASCO-CAP Guideline Update. J Clin Oncol 2023;41:3867-3872; "
           "Arch Pathol Lab Med 2023;147(9):993",
           "https://meridian.allenpress.com/aplm/article/147/9/993/493531/Human-Epidermal-Growth-Factor-Receptor-2-Testing"),
    Source("cap-her2-page", "CAP HER2 testing recommendations page",
           "College of American Pathologists, recommendations for HER2 testing in breast cancer",
           "https://www.cap.org/protocols-and-guidelines/cap-guidelines/current-cap-guidelines/recommendations-for-human-epidermal-growth-factor-2-testing-in-breast-cancer"),
    Source("prognia-her2-2023", "Summary of ASCO/CAP 2023 HER2 update (heterogeneity, prior samples)",
           "Prognia summary of the ASCO/CAP 2023 HER2 testing update",
           "https://prognia.nl/guidelines/asco-cap-her2-testing-breast-cancer-2023"),
    Source("her2-single-probe-table", "Single-probe HER2 ISH interpretation table",
           "Single-probe ISH table (PMC9771736, table t2)",
           "https://pmc.ncbi.nlm.nih.gov/articles/PMC9771736/table/t2"),
    # Treatment guidelines and trials.
    Source("asco-2021-mbc-update", "ASCO 2021 HR+/HER2- metastatic breast cancer guideline update",
           "Burstein HJ et al. Endocrine Treatment and Targeted Therapy for HR+/HER2- Metastatic Breast Cancer: "
           "ASCO Guideline Update. J Clin Oncol 2021;39:3959",
           "https://pmc.ncbi.nlm.nih.gov/articles/PMC8659999"),
    Source("asco-2016-rugo", "ASCO 2016 endocrine therapy for HR+ metastatic breast cancer (Rugo)",
           "Rugo HS et al. Endocrine Therapy for Hormone Receptor-Positive Metastatic Breast Cancer: ASCO Guideline. "
           "J Clin Oncol 2016;34:3069",
           "https://paperexplained.cn/articles/paper/detail/3bc99a378b3c464b2c9d3164e01db2c0e98dcc37"),
    Source("asco-2016-rugo-ngc", "NGC summary of the ASCO 2016 endocrine MBC guideline",
           "National Guideline Clearinghouse summary 11061 of Rugo HS et al., JCO 2016;34:3069",
           "https://jesse.tg/ngc-archive/summary/11061"),
    Source("albain-2009-swog8814", "SWOG-8814 / INT-0100 (Albain 2009): chemotherapy then tamoxifen",
           "Albain KS et al. Adjuvant chemotherapy and timing of tamoxifen in postmenopausal patients with "
           "endocrine-responsive, node-positive breast cancer. Lancet 2009;374:2055",
           "http://www.thelancet.com/journals/lancet/article/PIIS0140-6736(09)61523-3/fulltext"),
    Source("schrijver-2018", "Schrijver 2018 meta-analysis: receptor conversion in distant metastases",
           "Schrijver WAME et al. Receptor conversion in distant breast cancer metastases: a systematic review and "
           "meta-analysis. J Natl Cancer Inst 2018",
           "https://researchinformation.umcutrecht.nl/en/publications/receptor-conversion-in-distant-breast-cancer-metastases-a-systema"),
    Source("zhao-2021", "Zhao 2021: receptor discordance between primary and metastasis",
           "Zhao 2021 (PMC8111518): ER 21.1%, PR 33.2%, HER2 11.6% discordance",
           "https://pmc.ncbi.nlm.nih.gov/articles/PMC8111518"),
    Source("paakkola-2021", "Paakkola 2021 meta-analysis: ER-low outcomes",
           "Paakkola et al. ESMO Open 2021 meta-analysis: ER-low DFS/OS not different from ER-negative",
           "https://pmc.ncbi.nlm.nih.gov/articles/PMC8531568"),
    Source("ecancer-2021-er-neg-pr-pos", "ecancer 2021: is ER-/PR+ a real pathological entity?",
           "ecancer 2021, 'Is ER-/PR+ a real pathological entity?' (article 1278; the reference gives a truncated "
           "address, so none is shown); PMC4652828: ER-/PgR+/HER2- about 6%, behaves like TNBC", None),
    Source("nccn-menopause-summary", "NCCN definition of menopause (summary)",
           "NCCN definition of menopausal status as used in breast cancer trials, summarised by arrangoizmd.com (2020)",
           "https://arrangoizmd.com/2020/06/20/menopausal-status-as-defined-in-breast-cancer-clinical-trials/"),
    Source("asco-male-bc", "ASCO guideline: management of male breast cancer",
           "ASCO male breast cancer guideline, Rec 1.1 (tamoxifen) and Rec 1.2 (GnRH agonist + AI)",
           "https://eguideline.guidelinecentral.com/i/1475473-management-of-male-breast-cancer/2"),
    Source("openonco-ultralow", "OpenOnco red flag: HER2-ultralow candidate",
           "openonco knowledge base red flag rf-breast-her2-ultralow-candidate (DESTINY-Breast06 eligibility)",
           "https://openonco.info/kb/redflags/rf-breast-her2-ultralow-candidate.html"),
    Source("tarantino-her2-low", "Tarantino et al. on HER2-low instability",
           "Tarantino et al., as cited in a clinicaloptions.com FAQ (HER2-low heterogeneity)", None),
    Source("destiny-breast06-fda-2025", "DESTINY-Breast06 / FDA approval Jan 2025 (HER2-low and ultralow)",
           "DESTINY-Breast06; FDA approval of trastuzumab deruxtecan for HER2-low/ultralow HR+ MBC, January 2025",
           "https://cancertodaymag.org/cancer-talk/treating-her2-ultralow-breast-cancer"),
    Source("keynote-522-ascopost", "KEYNOTE-522 approval (ASCO Post 2021-08-25)",
           "ASCO Post 2021-08-25: FDA approves pembrolizumab in combination for high-risk early-stage TNBC (KEYNOTE-522)",
           "https://ascopost.com/issues/august-25-2021/fda-approves-pembrolizumab-in-combination-for-high-risk-early-stage-triple-negative-breast-cancer/"),
    Source("keynote-355-cdx", "KEYNOTE-355 companion diagnostic (22C3, CPS >= 10)",
           "Clinical Oncology News 2020: Keytruda TNBC indication with PD-L1 22C3 companion diagnostic",
           "https://www.clinicaloncology.com/FDA-Watch/Article/11-20/Keytruda-Receives-Triple-Negative-Breast-Cancer-Indication/61191"),
    Source("create-x", "CREATE-X (capecitabine for residual disease)",
           "Masuda N et al. Adjuvant Capecitabine for Breast Cancer after Preoperative Chemotherapy. "
           "N Engl J Med 2017;376(22):2147-2159", "https://doi.org/10.1056/NEJMoa1612645"),
    # The patient over time (issue 13 section 1: episodes, residual disease, conversion at relapse,
    # de novo stage IV). Addresses confirmed with the search tool.
    Source("katherine-2019", "KATHERINE (T-DM1 for residual HER2-positive disease)",
           "von Minckwitz G et al. Trastuzumab Emtansine for Residual Invasive HER2-Positive Breast Cancer. "
           "N Engl J Med 2019;380(7):617-628", "https://doi.org/10.1056/NEJMoa1814017"),
    Source("olympia-2021", "OlympiA (adjuvant olaparib, germline BRCA)",
           "Tutt ANJ et al. Adjuvant Olaparib for Patients with BRCA1- or BRCA2-Mutated Breast Cancer. "
           "N Engl J Med 2021;384(25):2394-2405", "https://doi.org/10.1056/NEJMoa2105215"),
    Source("esmo-abc5-2020", "ESO-ESMO ABC 5 advanced breast cancer guideline",
           "Cardoso F et al. 5th ESO-ESMO international consensus guidelines for advanced breast cancer (ABC 5). "
           "Ann Oncol 2020;31(12):1623-1649", "https://doi.org/10.1016/j.annonc.2020.09.010"),
    Source("seer-staging-time-rule", "SEER Summary Staging Manual 2000: staging time rule",
           "National Cancer Institute SEER Program. Summary Staging Manual 2000, time rule: stage includes what is "
           "found through the first-course surgery or within four months of diagnosis, whichever is longer, in the "
           "absence of disease progression", "https://training.seer.cancer.gov/manual/"),
    Source("soft-text-domain", "SOFT/TEXT and ASCO adjuvant endocrine therapy (domain knowledge)",
           "ASCO/SOFT-TEXT adjuvant endocrine therapy by menopausal status; domain knowledge in the reference "
           "(verification U)", None),
    Source("chemo-domain", "Metastatic chemotherapy options (domain knowledge)",
           "Capecitabine, taxanes, anthracyclines, eribulin, platinum for gBRCA; domain knowledge in the reference "
           "(verification U)", None),
    # Labels (section c), cited as the reference cites them.
    _label("abemaciclib", "Verzenio", "fda.verzenio:0", "monarchE", "(2023-03-03)"),
    _label("abemaciclib", "Verzenio", "fda.verzenio:1", None),
    _label("abemaciclib", "Verzenio", "fda.verzenio:2", None),
    _label("ribociclib", "Kisqali", "fda.kisqali:2", "NATALEE", "(2024-09-17)"),
    _label("ribociclib", "Kisqali", "fda.kisqali:0", None),
    _label("ribociclib", "Kisqali", "fda.kisqali:1", None),
    _label("palbociclib", "Ibrance", "fda.ibrance:0", None),
    _label("palbociclib", "Ibrance", "fda.ibrance:1", None),
    _label("olaparib", "Lynparza", "fda.lynparza:3", "OlympiA", "(2022-03-11)"),
    _label("olaparib", "Lynparza", "fda.lynparza:4", "OlympiAD"),
    _label("talazoparib", "Talzenna", "fda.talzenna:0", "EMBRACA"),
    _label("pertuzumab", "Perjeta", "fda.perjeta:0", "CLEOPATRA"),
    _label("pertuzumab", "Perjeta", "fda.perjeta:1", "APHINITY/NeoSphere"),
    _label("pertuzumab", "Perjeta", "fda.perjeta:2", "APHINITY/NeoSphere"),
    _label("pertuzumab/trastuzumab/hyaluronidase", "Phesgo", "fda.phesgo:0", "APHINITY/NeoSphere"),
    _label("pertuzumab/trastuzumab/hyaluronidase", "Phesgo", "fda.phesgo:1", "APHINITY/NeoSphere"),
    _label("pertuzumab/trastuzumab/hyaluronidase", "Phesgo", "fda.phesgo:2", "CLEOPATRA"),
    _label("ado-trastuzumab emtansine", "Kadcyla", "fda.kadcyla:1", "KATHERINE", "(2019-05-03)"),
    _label("ado-trastuzumab emtansine", "Kadcyla", "fda.kadcyla:0", "EMILIA"),
    _label("neratinib", "Nerlynx", "fda.nerlynx:0", "ExteNET"),
    _label("neratinib", "Nerlynx", "fda.nerlynx:1", "NALA"),
    _label("pembrolizumab", "Keytruda", "fda.keytruda:14", "KEYNOTE-522"),
    _label("pembrolizumab", "Keytruda", "fda.keytruda:15", "KEYNOTE-355"),
    _label("inavolisib", "Itovebi", "fda.itovebi:0", "INAVO120", "(2024-10-10)"),
    _label("alpelisib", "Piqray", "fda.piqray:0", "SOLAR-1"),
    _label("capivasertib", "Truqap", "fda.truqap:0", "CAPItello-291", "(2023-11-16)"),
    Source("label-ema-truqap", "Truqap (capivasertib) EMA label",
           "Truqap EMA label: LHRH agonist for pre/perimenopausal women (as cited by the reference for P14)", None),
    _label("elacestrant", "Orserdu", "fda.orserdu:0", "EMERALD", "(2023-01-27)"),
    _label("imlunestrant", "Inluriyo", "fda.inluriyo:0", "EMBER-3", "(2025-09-25)"),
    _label("everolimus", "Afinitor", "fda.afinitor:0", "BOLERO-2"),
    _label("fulvestrant", "Faslodex", "fda.faslodex:0", None),
    _label("fulvestrant", "Faslodex", "fda.faslodex:1", None),
    _label("trastuzumab deruxtecan", "Enhertu", "ema.enhertu:4", "DESTINY-Breast06"),
    _label("trastuzumab deruxtecan", "Enhertu", "fda.enhertu:1", "DESTINY-Breast04", "(2022-08-05)"),
    _label("trastuzumab deruxtecan", "Enhertu", "fda.enhertu:5", "DESTINY-Breast09", "(2025-12-15)"),
    _label("trastuzumab deruxtecan", "Enhertu", "fda.enhertu:0", "DESTINY-Breast03"),
    _label("datopotamab deruxtecan", "Datroway", "fda.datroway:1", "TROPION-Breast01", "(2025-01-17)"),
    _label("sacituzumab govitecan", "Trodelvy", "fda.trodelvy:1", "TROPiCS-02", "(2023-02-03)"),
    _label("sacituzumab govitecan", "Trodelvy", "fda.trodelvy:0", "ASCENT"),
    _label("tucatinib", "Tukysa", "fda.tukysa:0", "HER2CLIMB"),
    _label("lapatinib", "Tykerb", "fda.tykerb:0", None),
    _label("lapatinib", "Tykerb", "fda.tykerb:1", None),
    _label("margetuximab", "Margenza", "fda.margenza:0", None),
    _label("trastuzumab", "Herceptin", "ema.herceptin:3", None),
    _label("atezolizumab", "Tecentriq", "ema.tecentriq:6", "IMpassion130"),
    _label("atezolizumab", "Tecentriq", "hc.tecentriq:5", "IMpassion130"),
    Source("labels-unresectable-wording", "Label wording: 'unresectable locally advanced or metastatic'",
           "FDA label indications for metastatic breast cancer drugs use 'unresectable locally advanced or metastatic' "
           "(clinical-knowledge.md d, P19)", MOALMANAC_DB),
    # Data standards and data notes (section a).
    Source("mcode-stu4", "HL7 mCODE STU4 (TumorMarkerTest, GenomicVariant, CancerDiseaseStatus)",
           "HL7/fhir-mCODE-ig STU4 (sushi-config 4.0.0), snapshot 543477b5 (2025-01-24): SD_Genomics.fsh, "
           "VS_Genomics.fsh, SD_DiseaseStatus.fsh", MCODE_IG_REPO),
    Source("synthea-breast-cancer-data", "Synthea breast-cancer module data notes",
           "synthetichealth/synthea modules breast_cancer.json, hormone_diagnosis.json, hormonetherapy_breast.json, "
           "chemotherapy_breast.json, as analysed in clinical-knowledge.md a.5", SYNTHEA_REPO),
    Source("mii-onko-mamma", "MII oncology module, breast (Mamma) profiles",
           "Medical Informatics Initiative kerndatensatzmodul-onkologie, breast receptor profiles (clinical-knowledge.md a.1-a.3)",
           MII_ONKO_REPO),
    Source("cms-eom-cde", "CMS EOM clinical data elements guide (receptor code lists)",
           "CMS Enhancing Oncology Model clinical data elements guide",
           "https://www.cms.gov/priorities/innovation/media/document/eom-clinical-data-elements-guide"),
    Source("moalmanac-db", "moalmanac-db curated FDA/EMA indications and RxNorm codings",
           "vanallenlab/moalmanac-db referenced/indications.json and codings.json, snapshot 7815662b (2026-05-15)", MOALMANAC_DB),
    # Patient-facing references for the patient page (issue 11); each address confirmed with the search tool.
    Source("seer-breast-subtypes", "SEER Cancer Stat Facts: Female Breast Cancer Subtypes",
           "National Cancer Institute, SEER 22 2017-2021: percent of female breast cancer cases by subtype "
           "(HR+/HER2- 69.5 %, HR-/HER2- 10.5 %, HR+/HER2+ 9.6 %, HR-/HER2+ 4.0 %, unknown 6.1 %)",
           "https://seer.cancer.gov/statfacts/html/breast-subtypes.html"),
    Source("acs-hormone-receptor-status", "American Cancer Society: Breast Cancer Hormone Receptor Status",
           "American Cancer Society, patient page on ER/PR status and hormone therapy",
           "https://www.cancer.org/cancer/types/breast-cancer/understanding-a-breast-cancer-diagnosis/"
           "breast-cancer-hormone-receptor-status.html"),
    Source("acs-her2-status", "American Cancer Society: Breast Cancer HER2 Status",
           "American Cancer Society, patient page on HER2, IHC and FISH testing",
           "https://www.cancer.org/cancer/breast-cancer/understanding-a-breast-cancer-diagnosis/"
           "breast-cancer-her2-status.html"),
    Source("lbbc-treatments", "Living Beyond Breast Cancer: Treatments (local and systemic therapy)",
           "Living Beyond Breast Cancer, patient page on local (surgery, radiation) and systemic treatment",
           "https://www.lbbc.org/learn/treatments-and-research"),
    Source("breastcancer-org-status-change", "Breastcancer.org: receptor and HER2 status can change after diagnosis",
           "Breastcancer.org research news, 20 June 2012, on a Journal of Clinical Oncology study of marker changes "
           "at recurrence", "https://www.breastcancer.org/research-news/20120620"),
    Source("von-minckwitz-2012-pcr", "von Minckwitz 2012: pathologic complete response and outcome by subtype",
           "von Minckwitz G et al. Definition and impact of pathologic complete response on prognosis after "
           "neoadjuvant chemotherapy in various intrinsic breast cancer subtypes. J Clin Oncol 2012",
           "https://www.themednet.org/publications/definition-and-impact-of-pathologic-complete-response-on-"
           "prognosis-after-neoadjuvant-chemotherapy-in-various-intrinsic-breast-cancer-subtypes"),
    # Lines of therapy and the options added by issue 13 (sections 3-4). Each address confirmed with the
    # search tool (trial publication DOI, guideline DOI, or the label document the reference cites).
    Source("ascent-2021", "ASCENT (sacituzumab govitecan, pretreated metastatic TNBC)",
           "Bardia A et al. Sacituzumab Govitecan in Metastatic Triple-Negative Breast Cancer. "
           "N Engl J Med 2021;384:1529-1541", "https://doi.org/10.1056/NEJMoa2028485"),
    Source("tropics02-2023", "TROPiCS-02 (sacituzumab govitecan, pretreated HR+/HER2- metastatic disease)",
           "Rugo HS et al. Overall survival with sacituzumab govitecan in hormone receptor-positive and HER2-negative "
           "metastatic breast cancer (TROPiCS-02). Lancet 2023;402(10411):1423-1433",
           "https://doi.org/10.1016/S0140-6736(23)01245-X"),
    Source("destiny-breast04-2022", "DESTINY-Breast04 (T-DXd, HER2-low after chemotherapy)",
           "Modi S et al. Trastuzumab Deruxtecan in Previously Treated HER2-Low Advanced Breast Cancer. "
           "N Engl J Med 2022;387(1):9-20", "https://doi.org/10.1056/NEJMoa2203690"),
    Source("inavo120-2024", "INAVO120 (inavolisib, endocrine-resistant PIK3CA-mutated disease)",
           "Turner NC et al. Inavolisib-Based Therapy in PIK3CA-Mutated Advanced Breast Cancer. "
           "N Engl J Med 2024;391(17):1584-1596", "https://doi.org/10.1056/NEJMoa2404625"),
    Source("bolero2-2012", "BOLERO-2 (everolimus with exemestane after a non-steroidal AI)",
           "Baselga J et al. Everolimus in Postmenopausal Hormone-Receptor-Positive Advanced Breast Cancer. "
           "N Engl J Med 2012;366:520-529", "https://doi.org/10.1056/NEJMoa1109653"),
    Source("esmo-ebc-2024", "ESMO early breast cancer guideline (2024)",
           "Loibl S et al. Early breast cancer: ESMO Clinical Practice Guideline for diagnosis, treatment and follow-up. "
           "Ann Oncol 2024;35(2):159-182", "https://doi.org/10.1016/j.annonc.2023.11.016"),
    Source("tailorx-2018", "TAILORx (21-gene recurrence score, node-negative disease)",
           "Sparano JA et al. Adjuvant Chemotherapy Guided by a 21-Gene Expression Assay in Breast Cancer. "
           "N Engl J Med 2018;379(2):111-121", "https://doi.org/10.1056/NEJMoa1804710"),
    Source("rxponder-2021", "RxPONDER (21-gene recurrence score, 1-3 positive nodes)",
           "Kalinsky K et al. 21-Gene Assay to Inform Chemotherapy Benefit in Node-Positive Breast Cancer. "
           "N Engl J Med 2021;385(25):2336-2347", "https://doi.org/10.1056/NEJMoa2108873"),
    Source("asco-biomarkers-2022", "ASCO 2022 biomarkers for adjuvant endocrine and chemotherapy",
           "Andre F et al. Biomarkers for Adjuvant Endocrine and Chemotherapy in Early-Stage Breast Cancer: ASCO "
           "Guideline Update. J Clin Oncol 2022;40(16):1816-1837", "https://doi.org/10.1200/JCO.22.00069"),
    Source("asco-extended-et-2019", "ASCO 2019 focused update: duration of adjuvant endocrine therapy",
           "Burstein HJ et al. Adjuvant Endocrine Therapy for Women With Hormone Receptor-Positive Breast Cancer: ASCO "
           "Clinical Practice Guideline Focused Update. J Clin Oncol 2019;37(5):423-438",
           "https://doi.org/10.1200/JCO.18.01160"),
    Source("natalee-2024", "NATALEE (adjuvant ribociclib)",
           "Slamon D et al. Ribociclib plus Endocrine Therapy in Early Breast Cancer. N Engl J Med 2024;390(12):1080-1091",
           "https://doi.org/10.1056/NEJMoa2305488"),
    Source("ebctcg-bisphosphonates-2015", "EBCTCG 2015 meta-analysis of adjuvant bisphosphonates",
           "Early Breast Cancer Trialists' Collaborative Group. Adjuvant bisphosphonate treatment in early breast cancer: "
           "meta-analyses of individual patient data from randomised trials. Lancet 2015;386(10001):1353-1361",
           "https://doi.org/10.1016/S0140-6736(15)60908-4"),
    Source("asco-oh-adjuvant-bma-2022", "ASCO-Ontario Health guideline: adjuvant bisphosphonates and bone-modifying agents",
           "Eisen A et al. Use of Adjuvant Bisphosphonates and Other Bone-Modifying Agents in Breast Cancer: ASCO-OH (CCO) "
           "Guideline Update. J Clin Oncol 2022", "https://doi.org/10.1200/JCO.21.02647"),
    Source("asco-cco-bma-metastatic-2017", "ASCO-CCO guideline: bone-modifying agents in metastatic breast cancer",
           "Van Poznak C et al. Role of Bone-Modifying Agents in Metastatic Breast Cancer: An ASCO-Cancer Care Ontario "
           "Focused Guideline Update. J Clin Oncol 2017;35(35):3978-3986", "https://doi.org/10.1200/JCO.2017.75.4614"),
    Source("extenet-2016", "ExteNET (extended adjuvant neratinib)",
           "Chan A et al. Neratinib after trastuzumab-based adjuvant therapy in patients with HER2-positive breast cancer "
           "(ExteNET). Lancet Oncol 2016;17:367-377 (PubMed 26874901)", "https://pubmed.ncbi.nlm.nih.gov/26874901/"),
    Source("label-ema-nerlynx-0", "Nerlynx (neratinib) EMA indication; ExteNET",
           "Nerlynx EU product information: extended adjuvant treatment of early-stage hormone receptor-positive "
           "HER2-overexpressed/amplified breast cancer, within one year of completing trastuzumab-based adjuvant therapy "
           "(ind:ema.nerlynx:0)",
           "https://www.ema.europa.eu/en/documents/product-information/nerlynx-epar-product-information_en.pdf"),
    # The team reference itself, by section.
    Source("ck-b", "Receptor CDS knowledge base, section b (decision rules)",
           "clinical-knowledge.md section b (b.1 intake, b.2 ER/PR, b.3 HER2, b.4 subtype, b.5 setting, b.6 options)", None),
    Source("ck-d", "Receptor CDS knowledge base, section d (pitfalls)", "clinical-knowledge.md section d, P1-P20", None),
    # Seeds, by file name.
    Source("seed-000", "Seed 000: ER-/HER2-negative does not mean untreatable",
           "seeds/000_d740e992cb601fff.txt (Dr.Oracle answer, updated 2026-01-19)", None),
    Source("seed-001", "Seed 001: HER2-negative breast cancer overview",
           "seeds/001_28a1607a55575c80.txt (patient-facing article on HER2-negative breast cancer)", None),
    Source("seed-002", "Seed 002: treatment options for HER2-negative breast cancer",
           "seeds/002_4eb483574655b46b.txt (Dr.Oracle answer, updated 2025-09-03; 'common pitfalls' list)", None),
    Source("seed-003", "Seed 003: Mayo Clinic on HER2-negative breast cancer",
           "seeds/003_cf623a3ef03aad0a.txt (Mayo Clinic staff, updated 2026-06-13)", None),
    Source("seed-004", "Seed 004: HER-negative explained",
           "seeds/004_a1b2dcd77fafdc50.txt (article on HER-negative status and treatment implications)", None),
)

SOURCES: dict[str, Source] = {s.id: s for s in _SOURCES}
if len(SOURCES) != len(_SOURCES):
    raise ValueError("duplicate source id in the catalogue")


def label_id(ind: str) -> str:
    """Catalogue id of a label indication given as the reference writes it ("fda.kisqali:2")."""
    return f"label-{ind.replace(':', '-').replace('.', '-')}"
