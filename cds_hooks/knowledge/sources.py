"""The catalogue of sources every option and alert cites, each with an address a clinician can open.

Why data: a card must name the guideline, label or trial behind it, and a reviewer must be able to
check each citation in one place. What may reach a clinician (issue 13 §6):
- a guideline, by its journal DOI or the society's own page (ASCO, NCCN);
- a drug label itself: the FDA prescribing information on Drugs@FDA (the label PDF of the revision the
  rules were checked against) or the EMA's EPAR page, or Health Canada's product monograph;
- a trial publication, by its DOI.
Never a mirror or summary site, never a repository, never our own reference or the seed pages. Every
address below was confirmed with the project's search tool (how, and what was dropped, is in the
words developer's notes for the closing note of issue 13); an entry whose address could not be
confirmed is not shown to anyone (``audience="internal"``).

``audience`` says who may see a source: ``clinician`` (cards, the SMART page, options), ``patient``
(the patient page, issue 11) or ``internal`` (provenance for reviewers: the seed pages, the team's
reference, data-standard repositories, unconfirmed addresses). ``cds_hooks.decision.citations.refs``
never hands an internal source to an Assessment, so a card or page cannot cite one.

Label indications keep the ids the reference uses ("label-fda-enhertu-1" for ``ind:fda.enhertu:1``,
curated in vanallenlab/moalmanac-db indications.json, snapshot 7815662b); every indication of one drug
points to that drug's label document, so a card citing two indications of one label lists it once
(``refs`` removes sources that share an address).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    id: str
    label: str
    citation: str
    url: str | None = None
    audience: str = "clinician"     # clinician | patient | internal


AUDIENCES = ("clinician", "patient", "internal")
# Sources about one sex only: never shown for a patient of the other sex (the male breast cancer guideline is
# never the headline source for a woman; the ovarian-suppression trials are not cited to a man).
MALE_ONLY_SOURCES = frozenset({"asco-male-bc"})
# SEER's subtype figures are for women only (the page says "Female Breast Cancer Subtypes").
FEMALE_ONLY_SOURCES = frozenset({"soft-text-domain", "soft-2015", "seer-breast-subtypes"})
# The options card's headline source: a guideline covering every subtype of the setting (a card lists the
# label or trial of each option under that option); for a man, the male breast cancer guideline.
HEADLINE_SOURCES = {"early": "esmo-ebc-2024", "metastatic": "esmo-abc5-2020", "male": "asco-male-bc"}


def doi(value: str) -> str:
    return f"https://doi.org/{value}"


# The label documents, by (agency, brand): address, application or procedure number, revision date. Read from
# vanallenlab/moalmanac-db referenced/documents.json and urls.json (snapshot 7815662b), where each record is
# the agency's own document: the Drugs@FDA label PDF, the EMA EPAR page, Health Canada's product monograph.
_FDA = "https://www.accessdata.fda.gov/drugsatfda_docs/label/"
_EMA = "https://www.ema.europa.eu/en/medicines/human/EPAR/"
LABEL_DOCUMENTS: dict[tuple[str, str], tuple[str, str]] = {
    ("fda", "Verzenio"): (_FDA + "2023/208716s010s011lbl.pdf", "NDA 208716, revised 2023-03"),
    ("fda", "Kisqali"): (_FDA + "2024/209092Orig1s018lbl.pdf", "NDA 209092, revised 2024-09"),
    ("fda", "Ibrance"): (_FDA + "2023/207103s017s018lbl.pdf", "NDA 207103, revised 2023-09"),
    ("fda", "Lynparza"): (_FDA + "2023/208558s028lbl.pdf", "NDA 208558, revised 2023-11"),
    ("fda", "Talzenna"): (_FDA + "2024/211651s012lbl.pdf", "NDA 211651, revised 2024-02"),
    ("fda", "Perjeta"): (_FDA + "2020/125409s124lbl.pdf", "BLA 125409, revised 2020-01"),
    ("fda", "Phesgo"): (_FDA + "2020/761170s000lbl.pdf", "BLA 761170, 2020-06"),
    ("fda", "Kadcyla"): (_FDA + "2022/125427s111lbl.pdf", "BLA 125427, revised 2022-02"),
    ("fda", "Nerlynx"): (_FDA + "2021/208051s009lbl.pdf", "NDA 208051, revised 2021-06"),
    ("fda", "Keytruda"): (_FDA + "2026/125514Orig1s186lbl.pdf", "BLA 125514, revised 2026-02"),
    ("fda", "Itovebi"): (_FDA + "2024/219249s000lbl.pdf", "NDA 219249, 2024-10"),
    ("fda", "Piqray"): (_FDA + "2024/212526s009lbl.pdf", "NDA 212526, revised 2024-01"),
    ("fda", "Truqap"): (_FDA + "2023/218197s000lbl.pdf", "NDA 218197, 2023-11"),
    ("fda", "Orserdu"): (_FDA + "2023/217639Orig1s001lbl.pdf", "NDA 217639, revised 2023-11"),
    ("fda", "Inluriyo"): (_FDA + "2025/218881s000lbl.pdf", "NDA 218881, 2025-09"),
    ("fda", "Afinitor"): (_FDA + "2022/203985s023,022334s051lbl.pdf", "NDA 022334, revised 2022-02"),
    ("fda", "Faslodex"): (_FDA + "2021/021344s044lbl.pdf", "NDA 021344, revised 2021-01"),
    ("fda", "Enhertu"): (_FDA + "2025/761139s038s042lbl.pdf", "BLA 761139, revised 2025-12"),
    ("fda", "Datroway"): (_FDA + "2025/761464s000lbl.pdf", "BLA 761464, 2025"),
    ("fda", "Trodelvy"): (_FDA + "2023/761115s035lbl.pdf", "BLA 761115, revised 2023-02"),
    ("fda", "Tukysa"): (_FDA + "2023/213411s004lbl.pdf", "NDA 213411, revised 2023-01"),
    ("fda", "Tykerb"): (_FDA + "2022/022059s031lbl.pdf", "NDA 022059, revised 2022-03"),
    ("fda", "Margenza"): (_FDA + "2023/761150s005lbl.pdf", "BLA 761150, revised 2023-05"),
    ("fda", "Herceptin"): (_FDA + "2024/103792s5354lbl.pdf", "BLA 103792, revised 2024-06"),
    ("fda", "Tecentriq"): (_FDA + "2024/761034s053lbl.pdf", "BLA 761034, revised 2024-04"),
    ("ema", "Enhertu"): (_EMA + "enhertu", "EPAR, product information 2025-04"),
    ("ema", "Herceptin"): (_EMA + "herceptin", "EPAR, product information 2023-03"),
    ("ema", "Tecentriq"): (_EMA + "tecentriq", "EPAR, product information 2024-03"),
    ("ema", "Truqap"): (_EMA + "truqap", "EPAR, product information 2024-07"),
    ("ema", "Nerlynx"): (_EMA + "nerlynx", "EPAR, product information 2023-06"),
    ("ema", "Kisqali"): (_EMA + "kisqali", "EPAR, product information 2025-04"),
    ("ema", "Lynparza"): (_EMA + "lynparza", "EPAR, product information 2024-08"),
    ("ema", "Keytruda"): (_EMA + "keytruda", "EPAR, product information 2024-01"),
    ("ema", "Itovebi"): (_EMA + "itovebi", "EPAR, product information 2025-08"),
    ("ema", "Orserdu"): (_EMA + "orserdu", "EPAR, product information 2024-02"),
    ("ema", "Inluriyo"): (_EMA + "inluriyo", "EPAR, product information 2026-02"),
    ("hc", "Tecentriq"): ("https://pdf.hres.ca/dpd_pm/00082952.PDF", "Health Canada product monograph, 2025-12"),
}
_AGENCY = {"fda": "FDA label", "ema": "EMA product information", "hc": "Health Canada product monograph"}


def _label(drug: str, brand: str, ind: str, trial: str | None, extra: str = "", url: str | None = None) -> Source:
    """One indication of a label, cited as the reference cites it, pointing to the label document itself."""
    agency = ind.split(".", 1)[0]
    address, revision = LABEL_DOCUMENTS[(agency, brand)]
    trial_text = f"; {trial}" if trial else ""
    return Source(
        id=f"label-{ind.replace(':', '-').replace('.', '-')}",
        label=f"{brand} ({drug}) {_AGENCY[agency]}",
        citation=f"{brand} {_AGENCY[agency]} ({revision}), indication {ind}{(' ' + extra) if extra else ''}{trial_text}",
        url=url or address,
    )


_ASCO_CAP_2020 = doi("10.1200/JCO.19.02309")
_ASCO_CAP_2018 = doi("10.1200/JCO.2018.77.8738")
_ASCO_CAP_2023 = doi("10.1200/JCO.22.02864")
_RUGO_2016 = doi("10.1200/JCO.2016.67.1487")
_NCCN_BREAST = "https://www.nccn.org/guidelines/guidelines-detail?category=1&id=1419"

_SOURCES: tuple[Source, ...] = (
    # Testing guidelines.
    Source("asco-cap-2020-er-pr", "ASCO/CAP 2020 ER/PR testing guideline",
           "Allison KH et al. Estrogen and Progesterone Receptor Testing in Breast Cancer: ASCO/CAP Guideline "
           "Update. J Clin Oncol 2020;38(12):1346-1366 (also Arch Pathol Lab Med 2020;144(5):545-563)", _ASCO_CAP_2020),
    Source("cap-er-pr-summary", "ASCO/CAP 2020 ER/PR testing guideline",
           "The same guideline (the CAP summary page is not cited: one address per guideline)", _ASCO_CAP_2020),
    Source("asco-cap-2020-er-pr-rec2", "ASCO/CAP 2020 ER/PR testing guideline",
           "Allison KH et al. J Clin Oncol 2020;38:1346-1366, recommendations on working up unusual or discordant "
           "results", _ASCO_CAP_2020),
    Source("asco-cap-2018-her2", "ASCO/CAP 2018 HER2 testing focused update",
           "Wolff AC et al. Human Epidermal Growth Factor Receptor 2 Testing in Breast Cancer: ASCO/CAP Clinical "
           "Practice Guideline Focused Update. J Clin Oncol 2018;36(20):2105-2122 (ISH groups 1-5, single-probe ISH)",
           _ASCO_CAP_2018),
    Source("labce-her2-fish", "ASCO/CAP 2018 HER2 testing focused update",
           "Wolff AC et al. J Clin Oncol 2018;36:2105-2122: ISH 'equivocal' removed, ISH groups (the LabCE summary "
           "is not cited)", _ASCO_CAP_2018),
    Source("asco-cap-2023-her2", "ASCO/CAP 2023 HER2 testing guideline update",
           "Wolff AC et al. Human Epidermal Growth Factor Receptor 2 Testing in Breast Cancer: ASCO-College of "
           "American Pathologists Guideline Update. J Clin Oncol 2023;41:3867-3872", _ASCO_CAP_2023),
    Source("cap-her2-page", "ASCO/CAP 2023 HER2 testing guideline update",
           "The same guideline (the CAP page is not cited: one address per guideline)", _ASCO_CAP_2023),
    Source("prognia-her2-2023", "ASCO/CAP 2023 HER2 testing guideline update",
           "Wolff AC et al. J Clin Oncol 2023;41:3867-3872: prior and concurrent samples, heterogeneity of low "
           "expression (the Prognia summary is not cited)", _ASCO_CAP_2023),
    Source("her2-single-probe-table", "ASCO/CAP 2018 HER2 testing focused update",
           "Wolff AC et al. J Clin Oncol 2018;36:2105-2122: single-probe ISH thresholds (average HER2 copy number "
           ">= 6.0 positive, < 4.0 negative, 4.0 to < 6.0 with concurrent IHC)", _ASCO_CAP_2018),
    # Treatment guidelines and trials.
    Source("asco-2021-mbc-update", "ASCO 2021 HR+/HER2- metastatic breast cancer guideline update",
           "Burstein HJ et al. Endocrine Treatment and Targeted Therapy for Hormone Receptor-Positive, Human "
           "Epidermal Growth Factor Receptor 2-Negative Metastatic Breast Cancer: ASCO Guideline Update. "
           "J Clin Oncol 2021;39(35):3959-3977", doi("10.1200/JCO.21.01392")),
    Source("asco-biomarkers-mbc", "ASCO guideline: biomarkers for systemic therapy in metastatic breast cancer",
           "ASCO guideline page, biomarkers for systemic therapy in metastatic breast cancer, with the rapid updates "
           "on ESR1, PIK3CA, AKT1 and PTEN testing", "https://ace.asco.org/guidelines/9676"),
    Source("asco-2016-rugo", "ASCO 2016 endocrine therapy for HR+ metastatic breast cancer",
           "Rugo HS et al. Endocrine Therapy for Hormone Receptor-Positive Metastatic Breast Cancer: American Society "
           "of Clinical Oncology Guideline. J Clin Oncol 2016;34(25):3069-3103", _RUGO_2016),
    Source("asco-2016-rugo-ngc", "ASCO 2016 endocrine therapy for HR+ metastatic breast cancer",
           "Rugo HS et al. J Clin Oncol 2016;34:3069-3103 (the National Guideline Clearinghouse copy is not cited)",
           _RUGO_2016),
    Source("albain-2009-swog8814", "SWOG-8814 (Albain et al., Lancet 2009): chemotherapy, then tamoxifen",
           "Albain KS et al. Adjuvant chemotherapy and timing of tamoxifen in postmenopausal patients with "
           "endocrine-responsive, node-positive breast cancer. Lancet 2009;374(9707):2055-2063",
           doi("10.1016/S0140-6736(09)61523-3")),
    Source("schrijver-2018", "Schrijver et al., JNCI 2018: receptor conversion in distant metastases",
           "Schrijver WAME et al. Receptor Conversion in Distant Breast Cancer Metastases: A Systematic Review and "
           "Meta-analysis. J Natl Cancer Inst 2018;110(6):568-580", doi("10.1093/jnci/djx273")),
    Source("zhao-2021", "Zhao 2021: receptor discordance between primary and metastasis",
           "Cited by the team reference as PMC8111518; the article could not be identified with the search tool, "
           "so it is not shown", None, "internal"),
    Source("paakkola-2021", "Paakkola et al., ESMO Open 2021: ER-low outcomes (meta-analysis)",
           "Paakkola NM et al. The prognostic and predictive impact of low estrogen receptor expression in early "
           "breast cancer: a systematic review and meta-analysis. ESMO Open 2021;6(6):100289",
           doi("10.1016/j.esmoop.2021.100289")),
    Source("ecancer-2021-er-neg-pr-pos", "ecancer 2021: is ER-/PR+ a real pathological entity?",
           "ecancermedicalscience 2021, article 1278; the reference gives a truncated address that could not be "
           "confirmed, so it is not shown", None, "internal"),
    Source("nccn-menopause-summary", "NCCN Guidelines: Breast Cancer (definition of menopause)",
           "NCCN Clinical Practice Guidelines in Oncology: Breast Cancer, definition of menopause (bilateral "
           "oophorectomy; age 60 or over; under 60, amenorrhoea for 12 months or more without chemotherapy, "
           "tamoxifen, toremifene or ovarian suppression and FSH and estradiol in the postmenopausal range)",
           _NCCN_BREAST),
    Source("asco-male-bc", "ASCO guideline: management of male breast cancer",
           "Hassett MJ et al. Management of Male Breast Cancer: ASCO Guideline. J Clin Oncol 2020;38(16):1849-1863 "
           "(tamoxifen; a GnRH agonist with an aromatase inhibitor when tamoxifen cannot be used)",
           doi("10.1200/JCO.19.03120")),
    Source("openonco-ultralow", "DESTINY-Breast06 (Bardia et al., NEJM 2024)",
           "Bardia A et al. Trastuzumab Deruxtecan after Endocrine Therapy in Metastatic Breast Cancer. "
           "N Engl J Med 2024;391(22):2110-2122 (the OpenOnco note is not cited)", doi("10.1056/NEJMoa2407086")),
    Source("tarantino-her2-low", "Tarantino et al. on HER2-low instability",
           "Cited by the reference only through a clinicaloptions.com FAQ; no address confirmed, not shown",
           None, "internal"),
    Source("destiny-breast06-fda-2025", "DESTINY-Breast06 (Bardia et al., NEJM 2024)",
           "Bardia A et al. Trastuzumab Deruxtecan after Endocrine Therapy in Metastatic Breast Cancer. "
           "N Engl J Med 2024;391(22):2110-2122; the FDA approval for HER2-low and HER2-ultralow disease is in the "
           "Enhertu label", doi("10.1056/NEJMoa2407086")),
    Source("keynote-522-ascopost", "KEYNOTE-522 (Schmid et al., NEJM 2020)",
           "Schmid P et al. Pembrolizumab for Early Triple-Negative Breast Cancer. N Engl J Med 2020;382(9):810-821",
           doi("10.1056/NEJMoa1910549")),
    Source("keynote-355-cdx", "KEYNOTE-355 (Cortes et al., Lancet 2020)",
           "Cortes J et al. Pembrolizumab plus chemotherapy versus placebo plus chemotherapy for previously untreated "
           "locally recurrent inoperable or metastatic triple-negative breast cancer (KEYNOTE-355). Lancet "
           "2020;396(10265):1817-1828; PD-L1 CPS >= 10 by the 22C3 assay, the companion test named in the "
           "Keytruda label", doi("10.1016/S0140-6736(20)32531-9")),
    Source("create-x", "CREATE-X (Masuda et al., NEJM 2017)",
           "Masuda N et al. Adjuvant Capecitabine for Breast Cancer after Preoperative Chemotherapy. "
           "N Engl J Med 2017;376(22):2147-2159", doi("10.1056/NEJMoa1612645")),
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
    # Laterality (issue 13 section 1 review): tumours of the left and the right breast are separate primaries.
    # Address confirmed with the search tool.
    Source("seer-solid-tumor-rules", "SEER Solid Tumor Rules (multiple primaries, breast)",
           "National Cancer Institute SEER Program. Solid Tumor Rules: breast multiple primary rules (site, "
           "laterality, histology and timing decide how many primaries a patient has)",
           "https://seer.cancer.gov/tools/solidtumor/"),
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
    Source("soft-text-domain", "SOFT and TEXT trials (Pagani et al., JCO 2023)",
           "Pagani O et al. Adjuvant Exemestane With Ovarian Suppression in Premenopausal Breast Cancer: Long-Term "
           "Follow-Up of the Combined TEXT and SOFT Trials. J Clin Oncol 2023;41(7):1376-1382",
           doi("10.1200/JCO.22.01064")),
    Source("soft-2015", "SOFT trial (Francis et al., NEJM 2015)",
           "Francis PA et al. Adjuvant Ovarian Suppression in Premenopausal Breast Cancer. N Engl J Med "
           "2015;372:436-446", doi("10.1056/NEJMoa1412379")),
    Source("chemo-domain", "ASCO guideline: chemotherapy and targeted therapy for HER2-negative metastatic breast cancer",
           "Moy B et al. Chemotherapy and Targeted Therapy for Patients With HER2-Negative Metastatic Breast Cancer "
           "That is Either Endocrine-Pretreated or Hormone Receptor-Negative: ASCO Guideline Update (2021, rapid "
           "updates 2022 and 2023); ASCO guideline page", "https://ace.asco.org/guidelines/9781"),
    Source("nccn-breast", "NCCN Guidelines: Breast Cancer", "NCCN Clinical Practice Guidelines in Oncology: Breast "
           "Cancer (society page; registration needed to read the guideline)", _NCCN_BREAST),
    # Labels (section c), cited as the reference cites them, each pointing to the label document.
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
    _label("olaparib", "Lynparza", "ema.lynparza:2", "OlympiAD"),
    Source("olympiad-2017", "OlympiAD (olaparib, germline BRCA metastatic disease)",
           "Robson M et al. Olaparib for Metastatic Breast Cancer in Patients with a Germline BRCA Mutation. N Engl J Med "
           "2017;377(6):523-533", doi("10.1056/NEJMoa1706450")),
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
    Source("label-ema-truqap", "Truqap (capivasertib) EMA product information",
           "Truqap EMA product information (EPAR, 2024-07): pre- and perimenopausal women also receive an LHRH "
           "agonist", LABEL_DOCUMENTS[("ema", "Truqap")][0]),
    Source("capitello291-2023", "CAPItello-291 (capivasertib with fulvestrant)",
           "Turner NC et al. Capivasertib in Hormone Receptor-Positive Advanced Breast Cancer. N Engl J Med "
           "2023;388(22):2058-2070", doi("10.1056/NEJMoa2214131")),
    _label("elacestrant", "Orserdu", "fda.orserdu:0", "EMERALD", "(2023-01-27)"),
    _label("imlunestrant", "Inluriyo", "fda.inluriyo:0", "EMBER-3", "(2025-09-25)"),
    _label("elacestrant", "Orserdu", "ema.orserdu:0", "EMERALD"),
    Source("emerald-2022", "EMERALD (elacestrant)",
           "Bidard FC et al. Elacestrant (oral selective estrogen receptor degrader) versus standard endocrine therapy "
           "for ER-positive, HER2-negative advanced breast cancer: results from the randomized phase III EMERALD trial. "
           "J Clin Oncol 2022;40(28):3246-3256", doi("10.1200/JCO.22.00338")),
    Source("ember3-2025", "EMBER-3 (imlunestrant)",
           "Jhaveri KL et al. Imlunestrant with or without Abemaciclib in Advanced Breast Cancer. N Engl J Med "
           "2025;392(12):1189-1202", doi("10.1056/NEJMoa2410858")),
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
    Source("labels-unresectable-wording", "Trodelvy (sacituzumab govitecan) FDA label",
           "Drug labels for advanced breast cancer name 'unresectable locally advanced or metastatic' disease, for "
           "example the Trodelvy FDA label (BLA 761115, revised 2023-02)", LABEL_DOCUMENTS[("fda", "Trodelvy")][0]),
    # Data standards and data notes: provenance of the code tables, for reviewers (never cited to a clinician).
    Source("mcode-stu4", "HL7 mCODE STU4 (TumorMarkerTest, GenomicVariant, CancerDiseaseStatus)",
           "HL7/fhir-mCODE-ig STU4 (sushi-config 4.0.0), snapshot 543477b5 (2025-01-24): SD_Genomics.fsh, "
           "VS_Genomics.fsh, SD_DiseaseStatus.fsh", "https://github.com/HL7/fhir-mCODE-ig", "internal"),
    Source("synthea-breast-cancer-data", "Synthea breast-cancer module data notes",
           "synthetichealth/synthea modules breast_cancer.json, hormone_diagnosis.json, hormonetherapy_breast.json, "
           "chemotherapy_breast.json", "https://github.com/synthetichealth/synthea", "internal"),
    Source("mii-onko-mamma", "MII oncology module, breast (Mamma) profiles",
           "Medical Informatics Initiative kerndatensatzmodul-onkologie, breast receptor profiles",
           "https://github.com/medizininformatik-initiative/kerndatensatzmodul-onkologie", "internal"),
    Source("cms-eom-cde", "CMS EOM clinical data elements guide (receptor code lists)",
           "CMS Enhancing Oncology Model clinical data elements guide",
           "https://www.cms.gov/priorities/innovation/media/document/eom-clinical-data-elements-guide", "internal"),
    Source("moalmanac-db", "moalmanac-db curated FDA/EMA indications and RxNorm codings",
           "vanallenlab/moalmanac-db referenced/indications.json, documents.json and codings.json, snapshot 7815662b "
           "(2026-05-15)", "https://github.com/vanallenlab/moalmanac-db", "internal"),
    # Patient-facing references for the patient page (issue 11); addresses confirmed by its developer with the search tool.
    Source("seer-breast-subtypes", "SEER Cancer Stat Facts: Female Breast Cancer Subtypes",
           "National Cancer Institute, SEER 22 2017-2021: percent of female breast cancer cases by subtype "
           "(HR+/HER2- 69.5 %, HR-/HER2- 10.5 %, HR+/HER2+ 9.6 %, HR-/HER2+ 4.0 %, unknown 6.1 %)",
           "https://seer.cancer.gov/statfacts/html/breast-subtypes.html", "patient"),
    Source("acs-hormone-receptor-status", "American Cancer Society: Breast Cancer Hormone Receptor Status",
           "American Cancer Society, patient page on ER/PR status and hormone therapy",
           "https://www.cancer.org/cancer/types/breast-cancer/understanding-a-breast-cancer-diagnosis/"
           "breast-cancer-hormone-receptor-status.html", "patient"),
    Source("acs-her2-status", "American Cancer Society: Breast Cancer HER2 Status",
           "American Cancer Society, patient page on HER2, IHC and FISH testing",
           "https://www.cancer.org/cancer/types/breast-cancer/understanding-a-breast-cancer-diagnosis/"
           "breast-cancer-her2-status.html", "patient"),
    Source("lbbc-treatments", "Living Beyond Breast Cancer: Treatments (local and systemic therapy)",
           "Living Beyond Breast Cancer, patient page on local (surgery, radiation) and systemic treatment",
           "https://www.lbbc.org/learn/treatments-and-research", "patient"),
    Source("breastcancer-org-status-change", "Breastcancer.org: receptor and HER2 status can change after diagnosis",
           "Breastcancer.org research news, 20 June 2012, on a Journal of Clinical Oncology study of marker changes "
           "at recurrence", "https://www.breastcancer.org/research-news/20120620", "patient"),
    Source("cancer-ca-targeted-therapy", "Canadian Cancer Society: targeted therapy (glossary)",
           "Canadian Cancer Society, glossary entry: treatment with drugs aimed at molecules (usually proteins) that "
           "cancer cells use to grow", "https://cancer.ca/en/cancer-information/resources/glossary/t/targeted-therapy",
           "patient"),
    Source("nci-clinical-trials", "National Cancer Institute: Clinical Trials Information for Patients and Caregivers",
           "National Cancer Institute, patient pages on what cancer clinical trials are and how to find one",
           "https://www.cancer.gov/about-cancer/treatment/clinical-trials", "patient"),
    Source("cortazar-2014-pcr", "Cortazar et al., Lancet 2014: complete response after treatment before surgery",
           "Cortazar P et al. Pathological complete response and long-term clinical benefit in breast cancer: the "
           "CTNeoBC pooled analysis. Lancet 2014;384(9938):164-172 (no invasive cancer left in breast and nodes at "
           "surgery goes with longer event-free and overall survival)", doi("10.1016/S0140-6736(13)62422-8"), "patient"),
    Source("yilmaz-2022-neoadjuvant-change", "Yilmaz and Cavdar, Curr Oncol 2022: receptor changes after treatment "
           "before surgery", "Yilmaz C, Kocatepe Cavdar D. Biomarker Discordances and Alterations Observed in Breast "
           "Cancer Treated with Neoadjuvant Chemotherapy: Causes, Frequencies, and Clinical Significances. Curr Oncol "
           "2022;29(12):9695-9710 (ER, PR and HER2 compared between the biopsy and the tissue left at surgery)",
           doi("10.3390/curroncol29120761"), "patient"),
    Source("von-minckwitz-2012-pcr", "von Minckwitz et al., J Clin Oncol 2012: pathologic complete response by subtype",
           "von Minckwitz G et al. Definition and impact of pathologic complete response on prognosis after "
           "neoadjuvant chemotherapy in various intrinsic breast cancer subtypes. J Clin Oncol 2012;30(15):1796-1804; "
           "the address the patient page had was a mirror (themednet.org) and the DOI could not be confirmed, so it is "
           "not shown", None, "internal"),
    # Options added by issue 13 section 4 (therapy); addresses confirmed again by the words developer.
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
           "Focused Guideline Update. J Clin Oncol 2017;35(35):3978-3986; the guideline page of Cancer Care Ontario, "
           "its co-author (the DOI could not be confirmed)",
           "https://www.cancercareontario.ca/en/guidelines-advice/types-of-cancer/43266"),
    Source("extenet-2016", "ExteNET (extended adjuvant neratinib)",
           "Chan A et al. Neratinib after trastuzumab-based adjuvant therapy in patients with HER2-positive breast cancer "
           "(ExteNET). Lancet Oncol 2016;17(3):367-377", doi("10.1016/S1470-2045(15)00551-3")),
    Source("label-ema-nerlynx-0", "Nerlynx (neratinib) EMA indication; ExteNET",
           "Nerlynx EU product information: extended adjuvant treatment of early-stage hormone receptor-positive "
           "HER2-overexpressed/amplified breast cancer, within one year of completing trastuzumab-based adjuvant therapy "
           "(ind:ema.nerlynx:0)",
           "https://www.ema.europa.eu/en/documents/product-information/nerlynx-epar-product-information_en.pdf"),
    # The team reference itself, by section, and the seed pages (AI-written Q&A pages): where a rule came from,
    # for reviewers; never a citation for a clinician or a patient.
    Source("ck-b", "Receptor CDS knowledge base, section b (decision rules)",
           "clinical-knowledge.md section b (b.1 intake, b.2 ER/PR, b.3 HER2, b.4 subtype, b.5 setting, b.6 options)",
           None, "internal"),
    Source("ck-d", "Receptor CDS knowledge base, section d (pitfalls)", "clinical-knowledge.md section d, P1-P20",
           None, "internal"),
    Source("seed-000", "Seed 000: ER-/HER2-negative does not mean untreatable",
           "seeds/000_d740e992cb601fff.txt (Dr.Oracle answer, updated 2026-01-19)", None, "internal"),
    Source("seed-001", "Seed 001: HER2-negative breast cancer overview",
           "seeds/001_28a1607a55575c80.txt (patient-facing article on HER2-negative breast cancer)", None, "internal"),
    Source("seed-002", "Seed 002: treatment options for HER2-negative breast cancer",
           "seeds/002_4eb483574655b46b.txt (Dr.Oracle answer, updated 2025-09-03; 'common pitfalls' list)", None,
           "internal"),
    Source("seed-003", "Seed 003: Mayo Clinic on HER2-negative breast cancer",
           "seeds/003_cf623a3ef03aad0a.txt (Mayo Clinic staff, updated 2026-06-13)", None, "internal"),
    Source("seed-004", "Seed 004: HER-negative explained",
           "seeds/004_a1b2dcd77fafdc50.txt (article on HER-negative status and treatment implications)", None,
           "internal"),
)

SOURCES: dict[str, Source] = {s.id: s for s in _SOURCES}
if len(SOURCES) != len(_SOURCES):
    raise ValueError("duplicate source id in the catalogue")
for _s in _SOURCES:
    if _s.audience not in AUDIENCES:
        raise ValueError(f"{_s.id}: unknown audience {_s.audience!r}")
    if _s.audience != "internal" and not _s.url:
        raise ValueError(f"{_s.id}: a source shown to anyone needs a confirmed address")


def label_id(ind: str) -> str:
    """Catalogue id of a label indication given as the reference writes it ("fda.kisqali:2")."""
    return f"label-{ind.replace(':', '-').replace('.', '-')}"
