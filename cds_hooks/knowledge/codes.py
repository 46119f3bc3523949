"""Code sets the readers recognise, as reviewable data (clinical-knowledge.md section a).

Every entry names the (system, code) pair it matches — displays are never matched, because
real data carries wrong displays (MII prints the 85337-4 display on 40556-3; Synthea labels
docetaxel "Paclitaxel") — the meaning the rules give it, the verification mark from the
reference (V2 = seen in two public sources, V1 = one source, U = unverified domain
knowledge) and where it was seen. ``verified`` is False for V1 and U entries so a reviewer
can list them (``unverified_entries()``) and a deployment can switch them off
(``lookup(..., accept=frozenset({"V2"}))``) without touching control flow.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

LNC = "http://loinc.org"
SCT = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
HGNC_SYSTEMS = ("http://www.genenames.org/geneId", "http://www.genenames.org")
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
MII_BASE = "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
# The MII receptor-status CodeSystem URL drifted between the FSH source and the published
# JSON (clinical-knowledge.md a.3): accept both spellings.
MII_RECEPTOR_SYSTEMS = (MII_BASE + "mii-cs-onko-mamma-rezeptorstatus-leitlinie",
                        MII_BASE + "mii-cs-onko-mamma-rezeptorstatus")
MII_HER2_SYSTEMS = (MII_BASE + "mii-cs-onko-mamma-her2neu-status-leitlinie",
                    MII_BASE + "mii-cs-onko-mamma-her2neu-status")
MCODE_EVIDENCE_TYPE_URL = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-disease-status-evidence-type"

CK = "clinical-knowledge.md"


@dataclass(frozen=True)
class CodeEntry:
    """One recognised code: what it means to the rules, and how sure we are of it."""

    system: str
    code: str
    display: str
    meaning: str          # e.g. "ER", "positive", "metastatic", "BRCA1"
    kind: str = ""        # refinement: "percent", "qualitative", "interpretation", "M1"...
    mark: str = "V2"      # V2 | V1 | U (clinical-knowledge.md conventions)
    source: str = ""
    usable: bool = True   # False: recognised but meaning not confirmed, never drives a decision

    @property
    def verified(self) -> bool:
        return self.mark == "V2"


def _e(system: str, code: str, display: str, meaning: str, kind: str = "", mark: str = "V2",
       source: str = "", usable: bool = True) -> CodeEntry:
    return CodeEntry(system, code, display, meaning, kind, mark, source, usable)


# --- a.1 / a.2: receptor analyte Observation codes ------------------------------------
# meaning = analyte (ReceptorResult.analyte vocabulary or an internal one), kind = shape.
RECEPTOR_CODES: tuple[CodeEntry, ...] = (
    _e(LNC, "85337-4", "Estrogen receptor Ag [Presence] in Breast cancer specimen by Immune stain", "ER", "qualitative", "V2", f"{CK} a.1; mCODE; Synthea"),
    _e(LNC, "40556-3", "Estrogen receptor Ag [Presence] in Tissue by Immune stain", "ER", "qualitative", "V2", f"{CK} a.1; MII ER profile"),
    _e(LNC, "16112-5", "Estrogen receptor [Interpretation] in Tissue", "ER", "interpretation", "V2", f"{CK} a.1"),
    _e(LNC, "85329-1", "Cells.estrogen receptor/100 cells in Breast cancer specimen by Immune stain", "ER", "percent", "V2", f"{CK} a.1"),
    _e(LNC, "14228-1", "Cells.estrogen receptor/100 cells in Tissue by Immune stain", "ER", "percent", "V2", f"{CK} a.1"),
    _e(LNC, "85310-1", "Estrogen receptor fluorescence intensity [Type] in Breast cancer specimen by Immune stain", "ER", "intensity", "V2", f"{CK} a.1"),
    _e(LNC, "14130-9", "Estrogen receptor [Moles/mass] in Tissue", "ER", "ligand-binding", "V2", f"{CK} a.1 (legacy; never an IHC %)"),
    _e(LNC, "85339-0", "Progesterone receptor Ag [Presence] in Breast cancer specimen by Immune stain", "PR", "qualitative", "V2", f"{CK} a.1; mCODE; Synthea"),
    _e(LNC, "40557-1", "Progesterone receptor Ag [Presence] in Tissue by Immune stain", "PR", "qualitative", "V2", f"{CK} a.1; MII PR profile"),
    _e(LNC, "16113-3", "Progesterone receptor [Interpretation] in Tissue", "PR", "interpretation", "V2", f"{CK} a.1"),
    _e(LNC, "85325-9", "Cells.progesterone receptor/100 cells in Breast cancer specimen by Immune stain", "PR", "percent", "V2", f"{CK} a.1"),
    _e(LNC, "14230-7", "Cells.progesterone receptor/100 cells in Tissue by Immune stain", "PR", "percent", "V2", f"{CK} a.1"),
    _e(LNC, "85331-7", "Progesterone receptor fluorescence intensity [Type] in Breast cancer specimen by Immune stain", "PR", "intensity", "V2", f"{CK} a.1"),
    _e(LNC, "10861-3", "PR [Mass/mass] in Tissue", "PR", "ligand-binding", "V1", f"{CK} a.1 (legacy)"),
    _e(LNC, "31207-4", "PR [Moles/mass] in Tissue", "PR", "ligand-binding", "V1", f"{CK} a.1 (legacy)"),
    _e(LNC, "10480-2", "Estrogen+Progesterone receptor Ag [Presence] in Tissue by Immune stain", "HR", "qualitative", "V2", f"{CK} a.1 (HR evidence only)"),
    _e(SCT, "1234804006", "Percent of cells with ER in primary breast cancer by IHC", "ER", "percent", "V1", f"{CK} a.1; MII ER component"),
    _e(SCT, "1236874005", "Intensity of stain of ER in primary breast cancer by IHC", "ER", "intensity", "V1", f"{CK} a.1; MII ER component"),
    _e(SCT, "1234803000", "Percent of cells with PR in primary breast cancer by IHC", "PR", "percent", "V1", f"{CK} a.1; MII PR component"),
    _e(SCT, "1237278006", "Intensity of stain of PR in primary breast cancer by IHC", "PR", "intensity", "V1", f"{CK} a.1; MII PR component"),
    _e(LNC, "85319-2", "HER2 [Presence] in Breast cancer specimen by Immune stain", "HER2-IHC", "ihc", "V2", f"{CK} a.2"),
    _e(LNC, "18474-7", "HER2 Ag [Presence] in Tissue by Immune stain", "HER2-IHC", "ihc", "V2", f"{CK} a.2"),
    _e(LNC, "48676-1", "HER2 [Interpretation] in Tissue", "HER2-status", "interpretation", "V2", f"{CK} a.2; mCODE; MII"),
    _e(LNC, "72383-3", "HER2 [Presence] in Tissue by Immunoassay", "HER2-status", "immunoassay", "V1", f"{CK} a.2"),
    _e(LNC, "72382-5", "HER2 [Units/volume] in Tissue by Immunoassay", "HER2-immunoassay-quantity", "immunoassay", "V1", f"{CK} a.2", usable=False),
    _e(LNC, "85318-4", "ERBB2 gene duplication [Presence] in Breast cancer specimen by FISH", "HER2-ISH", "ish", "V2", f"{CK} a.2; Synthea valueString"),
    _e(LNC, "31150-6", "ERBB2 gene duplication [Presence] in Tissue by FISH", "HER2-ISH", "ish", "V2", f"{CK} a.2"),
    _e(LNC, "96893-3", "ERBB2 gene duplication in Tumor by FISH", "HER2-ISH", "ish", "V2", f"{CK} a.2; MII component ISHResult"),
    _e(LNC, "49683-6", "ERBB2 gene copy number/Chromosome 17 copy number in Tissue by FISH", "HER2-ISH-ratio", "ratio", "V2", f"{CK} a.2"),
    _e(LNC, "74860-8", "ERBB2 gene copy number/nucleus in Tissue by FISH", "HER2-ISH-copies", "copies", "V2", f"{CK} a.2"),
    _e(LNC, "74861-6", "Chromosome 17 copy number/nucleus in Tissue by FISH", "CEP17-copies", "copies", "V2", f"{CK} a.2"),
    _e(LNC, "74885-5", "ERBB2 gene (HER2) duplication associated observations panel - Tissue by FISH", "HER2-ISH-panel", "panel", "V2", f"{CK} a.2 (hasMember)"),
    _e(LNC, "85330-9", "Cells.Ki-67 nuclear Ag/100 cells in Breast cancer specimen by Immune stain", "Ki67", "percent", "V2", f"{CK} a.2"),
    # HER2-group codes whose meaning the reference could not verify: recognised, never used.
    _e(LNC, "85328-3", "(HER2-group code, meaning unverified)", "HER2-unverified", "", "U", f"{CK} a.2", usable=False),
    _e(LNC, "42783-1", "(HER2-group code, meaning unverified)", "HER2-unverified", "", "U", f"{CK} a.2", usable=False),
    _e(LNC, "48675-3", "(HER2-group code, meaning unverified)", "HER2-unverified", "", "U", f"{CK} a.2", usable=False),
    _e(LNC, "104279-5", "(HER2-group code, meaning unverified)", "HER2-unverified", "", "U", f"{CK} a.2", usable=False),
)

# Serum HER2 ECD: never a tissue HER2 status (clinical-knowledge.md a.2, P17).
SERUM_HER2_CODES: tuple[CodeEntry, ...] = tuple(
    _e(LNC, c, "HER2 in Serum", "HER2-serum", "", "V1", f"{CK} a.2") for c in ("32996-1", "42914-2", "51981-9"))

# Synthea's generic "Tumor marker Cancer" (triple-negative state): not an ER/PR/HER2 result.
GENERIC_TUMOR_MARKER = _e(LNC, "21924-6", "Tumor marker Cancer", "generic-tumor-marker", "", "V1", f"{CK} a.5")

# Procedures (not results) that Synthea emits; seen as Observation.code they carry no value we use.
HER2_TEST_PROCEDURES: tuple[CodeEntry, ...] = (
    _e(SCT, "433114000", "HER2 gene detection by IHC (procedure)", "HER2-procedure", "", "V1", f"{CK} a.2"),
    _e(SCT, "434363004", "HER2 gene detection by FISH (procedure)", "HER2-procedure", "", "V1", f"{CK} a.2"),
)

# Codes known to appear under the wrong system (a.5: Synthea puts SNOMED 417181009 under LOINC).
# Receptor-code displays as given in clinical-knowledge.md a.1/a.2 (LOINC long names), used
# only to SPOT a display that names a different code than the one sent (MII prints the 85337-4
# display on 40556-3: P17 "display != code"); the code always decides.
DISPLAY_TO_CODE: dict[str, str] = {}

KNOWN_WRONG_SYSTEM: dict[tuple[str, str], str] = {
    (LNC, "417181009"): "SNOMED CT 'Hormone receptor positive malignant neoplasm of breast' sent as a LOINC code (Synthea)",
}

# --- a.3: answer / value codes ---------------------------------------------------------
VALUE_CODES: tuple[CodeEntry, ...] = (
    _e(LNC, "LA6576-8", "Positive", "positive", mark="V2", source=f"{CK} a.3"),
    _e(LNC, "LA6577-6", "Negative", "negative", mark="V2", source=f"{CK} a.3"),
    _e(LNC, "LA11885-3", "Equivocal", "equivocal", mark="V2", source=f"{CK} a.3"),
    _e(LNC, "LA11884-6", "Indeterminate", "indeterminate", mark="V2", source=f"{CK} a.3"),
    _e(LNC, "LA13538-6", "Not tested (per EOM list)", "not-tested", mark="V1", source=f"{CK} a.3"),
    _e(LNC, "LA4259-3", "Borderline", "borderline", mark="V2", source=f"{CK} a.3 (not an ASCO/CAP category)"),
    _e(LNC, "LA6111-4", "0", "ihc", "0", "V2", f"{CK} a.3 (LL4396-9)"),
    _e(LNC, "LA11841-6", "1+", "ihc", "1+", "V2", f"{CK} a.3 (LL4396-9)"),
    _e(LNC, "LA11842-4", "2+", "ihc", "2+", "V2", f"{CK} a.3 (LL4396-9)"),
    _e(LNC, "LA11843-2", "3+", "ihc", "3+", "V2", f"{CK} a.3 (LL4396-9)"),
    _e(LNC, "LA9633-4", "Present", "present", mark="V2", source=f"{CK} a.3; mCODE EX_Genomics"),
    _e(LNC, "LA9634-2", "Absent", "absent", mark="U", source="domain knowledge (LL1971-2 answer; confirm)"),
    _e(LNC, "LA6683-2", "Germline", "germline", mark="V1", source=f"{CK} a.3"),
    _e(LNC, "LA6684-0", "Somatic", "somatic", mark="V1", source=f"{CK} a.3"),
    _e(LNC, "LA13034-6", "Weak", "intensity", "weak", "V1", f"{CK} a.1 (LL4358-9)"),
    _e(LNC, "LA6751-7", "Moderate", "intensity", "moderate", "V1", f"{CK} a.1 (LL4358-9)"),
    _e(LNC, "LA14974-2", "Strong", "intensity", "strong", "V1", f"{CK} a.1 (LL4358-9)"),
    _e(SCT, "10828004", "Positive (qualifier value)", "positive", mark="V2", source=f"{CK} a.3"),
    _e(SCT, "260385009", "Negative (qualifier value)", "negative", mark="V2", source=f"{CK} a.3"),
    _e(SCT, "261665006", "Unknown (qualifier value)", "unknown", mark="V2", source=f"{CK} a.3"),
    _e(SCT, "42425007", "Equivocal (qualifier value)", "equivocal", mark="U", source=f"{CK} a.3"),
    _e(SCT, "82334004", "Indeterminate (qualifier value)", "indeterminate", mark="U", source=f"{CK} a.3"),
    *(_e(s, "positiv", ">10 %", "positive", mark="V1", source=f"{CK} a.3 MII") for s in MII_RECEPTOR_SYSTEMS),
    *(_e(s, "gering-positiv", "1-10 % (low positive)", "low-positive", mark="V1", source=f"{CK} a.3 MII") for s in MII_RECEPTOR_SYSTEMS),
    *(_e(s, "negativ", "<1 %", "negative", mark="V1", source=f"{CK} a.3 MII") for s in MII_RECEPTOR_SYSTEMS),
    *(_e(s, "positiv", "HER2 positive", "positive", mark="V1", source=f"{CK} a.3 MII") for s in MII_HER2_SYSTEMS),
    *(_e(s, "low", "HER2-low", "her2", "low", "V1", f"{CK} a.3 MII") for s in MII_HER2_SYSTEMS),
    *(_e(s, "ultralow", "HER2-ultralow", "her2", "ultralow", "V1", f"{CK} a.3 MII") for s in MII_HER2_SYSTEMS),
    *(_e(s, "negativ", "HER2 negative (IHC 0 without staining)", "her2", "null", "V1", f"{CK} a.3 MII") for s in MII_HER2_SYSTEMS),
    *(_e(s, "equivocal", "HER2 equivocal", "equivocal", mark="V1", source=f"{CK} a.3 MII") for s in MII_HER2_SYSTEMS),
)

# Free-text synonyms for qualitative values (a.3 rule: "positive", "pos", "+" are synonyms).
TEXT_SYNONYMS: dict[str, str] = {
    "positive": "positive", "pos": "positive", "+": "positive", "positiv": "positive",
    "detected": "positive", "amplified": "amplified",
    "negative": "negative", "neg": "negative", "-": "negative", "negativ": "negative",
    "not detected": "negative", "not amplified": "not-amplified", "non-amplified": "not-amplified",
    "low positive": "low-positive", "low-positive": "low-positive", "er low positive": "low-positive",
    "pr low positive": "low-positive", "gering-positiv": "low-positive", "weakly positive": "low-positive",
    "equivocal": "equivocal", "borderline": "borderline", "indeterminate": "indeterminate",
    "not tested": "not-tested", "unknown": "unknown",
    "her2-low": "her2-low", "her2 low": "her2-low", "ultralow": "her2-ultralow", "her2-ultralow": "her2-ultralow",
    "her2 ultralow": "her2-ultralow",
}

# --- a.6: conditions, staging, menopause -----------------------------------------------
BREAST_PRIMARY_CONDITIONS: tuple[CodeEntry, ...] = (
    _e(SCT, "254837009", "Malignant neoplasm of breast", "breast-cancer", mark="V2", source=f"{CK} a.6"),
    _e(SCT, "353431000119107", "Primary malignant neoplasm of female left breast", "breast-cancer", mark="V1", source=f"{CK} a.6"),
    _e(SCT, "372064008", "Malignant neoplasm of female breast", "breast-cancer", mark="V1", source=f"{CK} a.6"),
)
ICD_BREAST_PREFIX = "C50"          # C50.x: 5th character 2 = male (a.6, mCODE VS_CancerCondition)
ICD_SECONDARY_PREFIXES = ("C77", "C78", "C79")   # secondary malignant neoplasm (a.6, V1)
# C77.x is a secondary neoplasm of lymph nodes. mCODE's SecondaryCancerDisorderVS groups all of C77 with distant
# metastasis, but for breast cancer AJCC 8th ed. (Breast chapter; SEER EOD "Regional Nodes" for breast,
# https://staging.seer.cancer.gov/eod_public/table/1.3/nodes_daj/) counts the ipsilateral axillary, infraclavicular,
# internal mammary and supraclavicular nodes as regional (N1-N3), and any other node (contralateral, cervical) as
# distant (M1). C77.0 (head and neck, supraclavicular included), C77.1 (intrathoracic, internal mammary included),
# C77.3 (axilla), C77.8 (several regions) and C77.9 (unspecified) can therefore be regional: they do not establish
# metastatic disease, and the record is flagged instead. C77.2, C77.4 and C77.5 (abdominal, inguinal, pelvic) are
# never regional for the breast and stay distant.
ICD_NODES_MAYBE_REGIONAL = ("C77.0", "C77.1", "C77.3", "C77.8", "C77.9", "C770", "C771", "C773", "C778", "C779")

# Receptor status carried in Condition.code (weakest evidence after ICD Z17 in b.2 precedence).
RECEPTOR_STATUS_CONDITIONS: tuple[CodeEntry, ...] = (
    _e(SCT, "417181009", "Hormone receptor positive malignant neoplasm of breast", "HR", "positive", "V2", f"{CK} a.6"),
    _e(SCT, "706970001", "Triple negative malignant neoplasm of breast", "TNBC", "negative", "V1", f"{CK} a.6"),
    _e(SCT, "427685000", "HER2 positive carcinoma of breast", "HER2", "positive", "V2", f"{CK} a.6"),
    _e(SCT, "431396003", "HER2 negative carcinoma of breast", "HER2", "negative", "V2", f"{CK} a.6"),
    _e(SCT, "416053008", "Estrogen receptor positive tumor", "ER", "positive", "V1", f"{CK} a.6"),
    _e(SCT, "441117001", "Estrogen receptor negative neoplasm", "ER", "negative", "V1", f"{CK} a.6"),
    _e(SCT, "416561008", "Progesterone receptor positive tumor", "PR", "positive", "V1", f"{CK} a.6"),
    _e(SCT, "441118006", "Progesterone receptor negative neoplasm", "PR", "negative", "V1", f"{CK} a.6"),
    _e(ICD10CM, "Z17.0", "Estrogen receptor positive status", "ER", "positive", "V2", f"{CK} a.6"),
    _e(ICD10CM, "Z17.1", "Estrogen receptor negative status", "ER", "negative", "V2", f"{CK} a.6"),
    _e(ICD10CM, "Z17.21", "Progesterone receptor positive status", "PR", "positive", "V2", f"{CK} a.6"),
    _e(ICD10CM, "Z17.22", "Progesterone receptor negative status", "PR", "negative", "V2", f"{CK} a.6"),
    _e(ICD10CM, "Z17.31", "HER2 positive status", "HER2", "positive", "V2", f"{CK} a.6"),
    _e(ICD10CM, "Z17.32", "HER2 negative status", "HER2", "negative", "V2", f"{CK} a.6"),
    _e(ICD10CM, "Z17.410", "HR positive, HER2 positive status", "HR+HER2", "positive/positive", "V2", f"{CK} a.6"),
    _e(ICD10CM, "Z17.411", "HR positive, HER2 negative status", "HR+HER2", "positive/negative", "V2", f"{CK} a.6"),
    _e(ICD10CM, "Z17.420", "HR negative, HER2 positive status", "HR+HER2", "negative/positive", "V2", f"{CK} a.6"),
    _e(ICD10CM, "Z17.421", "HR negative, HER2 negative status", "HR+HER2", "negative/negative", "V2", f"{CK} a.6"),
)

# Secondary malignant neoplasm (SCT descendants of 128462008). Only the parent is sourced; the
# site children are domain knowledge (U) — no terminology server at run time to expand the VS.
SECONDARY_NEOPLASM_CONDITIONS: tuple[CodeEntry, ...] = (
    _e(SCT, "128462008", "Secondary malignant neoplastic disease", "metastatic", mark="V1", source=f"{CK} a.6 (mCODE SecondaryCancerDisorderVS)"),
    _e(SCT, "94222008", "Secondary malignant neoplasm of bone", "metastatic", "bone", "U", "domain knowledge"),
    _e(SCT, "94381002", "Secondary malignant neoplasm of liver", "metastatic", "liver", "U", "domain knowledge"),
    _e(SCT, "94391008", "Secondary malignant neoplasm of lung", "metastatic", "lung", "U", "domain knowledge"),
    _e(SCT, "94225005", "Secondary malignant neoplasm of brain", "metastatic", "brain", "U", "domain knowledge"),
)

# Sites of distant metastasis as Observation values (LOINC 44667-4) or body sites: SNOMED body-structure codes
# confirmed in public code lists in the search index (bone 272673000 "Bone structure", liver 10200004, lung
# 39607008, brain 12738006), and ICD-10-CM secondary-neoplasm prefixes (a.6: C79.51 bone, C78.7 liver, C79.31 brain).
METASTASIS_SITE_VALUES: tuple[CodeEntry, ...] = (
    _e(SCT, "272673000", "Bone structure", "metastasis-site", "bone", "V1", "body-site code lists in the search index"),
    _e(SCT, "10200004", "Liver structure", "metastasis-site", "liver", "V1", "body-site code lists in the search index"),
    _e(SCT, "39607008", "Lung structure", "metastasis-site", "lung", "V1", "body-site code lists in the search index"),
    _e(SCT, "12738006", "Brain structure", "metastasis-site", "brain", "V1", "body-site code lists in the search index"),
)
ICD_SECONDARY_SITE_PREFIXES: dict[str, str] = {"C79.5": "bone", "C795": "bone", "C78.7": "liver", "C787": "liver",
                                               "C78.0": "lung", "C780": "lung", "C79.3": "brain", "C793": "brain"}

STAGE_GROUP_CODES: tuple[CodeEntry, ...] = (
    _e(SCT, "399537006", "Clinical TNM stage grouping", "stage-group", "clinical", "V1", f"{CK} a.6"),
    _e(SCT, "399588009", "Pathologic TNM stage grouping", "stage-group", "pathologic", "V1", f"{CK} a.6"),
    _e(LNC, "21908-9", "Stage group.clinical Cancer", "stage-group", "clinical", "V2", f"{CK} a.5/a.6 (Synthea)"),
    _e(LNC, "21902-2", "Stage group.pathology Cancer", "stage-group", "pathologic", "V1", f"{CK} a.6"),
)
M_CATEGORY_CODES: tuple[CodeEntry, ...] = (
    _e(SCT, "399387003", "cM category", "m-category", "clinical", "V1", f"{CK} a.6"),
    _e(SCT, "371497001", "pM category", "m-category", "pathologic", "V1", f"{CK} a.6"),
    _e(LNC, "21907-1", "Distant metastases.clinical [Class] Cancer", "m-category", "clinical", "V1", f"{CK} b.5"),
    _e(LNC, "21901-4", "Distant metastases.pathology [Class] Cancer", "m-category", "pathologic", "V1", f"{CK} b.5"),
)
# ypT / ypN category codes are not in the reference; residual disease is read only when a
# coded yp category is recognised (none verified), so it stays None unless added here.
M_VALUES: tuple[CodeEntry, ...] = (
    _e(SCT, "1229901006", "AJCC cM0", "M0", mark="V2", source=f"{CK} a.6"),
    _e(SCT, "1229903009", "AJCC cM1", "M1", mark="V2", source="mCODE/CanShare VS in search index"),
    _e(SCT, "1229904003", "AJCC cM1a", "M1", mark="V1", source="lung M-stage VS in search index"),
    _e(SCT, "1229907005", "AJCC cM1b", "M1", mark="V1", source="lung M-stage VS in search index"),
    _e(SCT, "1229910003", "AJCC cM1c", "M1", mark="V1", source="lung M-stage VS in search index"),
    _e(SCT, "1229916009", "AJCC pM1", "M1", mark="V1", source=f"{CK} a.6 (UC7 script)"),
)

# Stage group values -> stage text. Synthea "Stage N" qualifiers (a.5) and AJCC 8 stage-group
# qualifiers (1222592004 family; CanShare NZ stage-group VS in the search index, V1).
STAGE_VALUES: tuple[CodeEntry, ...] = (
    _e(SCT, "258215001", "Stage 1", "stage", "I", "V2", f"{CK} a.5 (Synthea)"),
    _e(SCT, "258219007", "Stage 2", "stage", "II", "V2", f"{CK} a.5 (Synthea)"),
    _e(SCT, "258224005", "Stage 3", "stage", "III", "V2", f"{CK} a.5 (Synthea)"),
    _e(SCT, "258228008", "Stage 4", "stage", "IV", "V2", f"{CK} a.5 (Synthea)"),
    _e(SCT, "261634002", "Stage 1A", "stage", "IA", "V2", f"{CK} a.5"),
    _e(SCT, "261635001", "Stage 1B", "stage", "IB", "V2", f"{CK} a.5"),
    _e(SCT, "261614003", "Stage 2A", "stage", "IIA", "V2", f"{CK} a.5"),
    _e(SCT, "261615002", "Stage 2B", "stage", "IIB", "V2", f"{CK} a.5"),
    _e(SCT, "261638004", "Stage 3A", "stage", "IIIA", "V2", f"{CK} a.5"),
    _e(SCT, "261639007", "Stage 3B", "stage", "IIIB", "V2", f"{CK} a.5"),
    _e(SCT, "261640009", "Stage 3C", "stage", "IIIC", "V2", f"{CK} a.5"),
    *(_e(SCT, code, f"AJCC stage {text}", "stage", text, "V1", "CanShare NZ AJCC stage-group VS (search index)")
      for code, text in (("1222605001", "0"), ("1222722006", "0is"), ("1222723001", "I"), ("1222724007", "IA"),
                         ("1222728005", "IB"), ("1222765007", "II"), ("1222766008", "IIA"), ("1222769001", "IIB"),
                         ("1222801008", "III"), ("1222802001", "IIIA"), ("1222805004", "IIIB"), ("1222806003", "IIIC"),
                         ("1222837003", "IV"), ("1222838008", "IVA"), ("1222841004", "IVB"), ("1222842006", "IVC"))),
)

METASTASIS_SITE = _e(LNC, "44667-4", "Site of distant metastasis in Breast tumor", "metastasis-site", mark="V1", source=f"{CK} a.5 (Synthea)")
# Values of 44667-4 that say there is NO distant metastasis: Synthea records the site as
# SCT 260413007 "None (qualifier value)" for non-metastatic patients (seen in the Synthea
# record Emiko_Jones_6f867e8e.json, V1); a Negative qualifier means the same.
NO_METASTASIS_VALUES: tuple[CodeEntry, ...] = (
    _e(SCT, "260413007", "None (qualifier value)", "no-metastasis", mark="V1", source="Synthea record Emiko_Jones (shared data)"),
    _e(SCT, "260385009", "Negative (qualifier value)", "no-metastasis", mark="V2", source=f"{CK} a.3"),
)

DISEASE_STATUS = _e(LNC, "97509-4", "Cancer Disease Progression", "disease-status", mark="V1", source=f"{CK} a.6 (mCODE)")
DISEASE_STATUS_VALUES: tuple[CodeEntry, ...] = (
    _e(SCT, "268910001", "Patient's condition improved", "disease-status", "improved", "V1", f"{CK} a.6"),
    _e(SCT, "359746009", "Patient's condition stable", "disease-status", "stable", "V1", f"{CK} a.6"),
    _e(SCT, "271299001", "Patient's condition worsened", "disease-status", "worsened", "V1", f"{CK} a.6"),
    _e(SCT, "709137006", "Patient condition undetermined", "disease-status", "undetermined", "V1", f"{CK} a.6"),
)
EVIDENCE_TYPES: tuple[CodeEntry, ...] = (
    _e(SCT, "363679005", "Imaging", "evidence-type", "imaging", "V1", f"{CK} a.6"),
    _e(SCT, "250724005", "Tumor marker measurement", "evidence-type", "tumor-marker", "V1", f"{CK} a.6"),
)
TUMOR_MARKERS: tuple[CodeEntry, ...] = (
    _e(LNC, "6875-9", "CA 15-3", "tumor-marker", "CA 15-3", "V1", f"{CK} a.6"),
    _e(LNC, "83083-6", "CA 15-3", "tumor-marker", "CA 15-3", "V1", f"{CK} a.6"),
    _e(LNC, "17842-6", "CA 27-29", "tumor-marker", "CA 27-29", "V1", f"{CK} a.6"),
    _e(LNC, "2039-6", "CEA", "tumor-marker", "CEA", "V1", f"{CK} a.6"),
)

MENOPAUSE_CODE = _e(SCT, "161712005", "Menopause, function", "menopause", mark="V2", source=f"{CK} a.6")
# b.5 (NCCN definition): bilateral oophorectomy makes a woman postmenopausal.
BILATERAL_OOPHORECTOMY: tuple[CodeEntry, ...] = (
    _e(SCT, "29827000", "Bilateral salpingectomy with oophorectomy", "bilateral-oophorectomy", mark="V1",
       source="procedure value set in the search index (one source)"),
    _e(SCT, "116144002", "Total abdominal hysterectomy with bilateral salpingo-oophorectomy", "bilateral-oophorectomy",
       mark="V1", source="hysterectomy code list in the search index (one source)"),
)
# Breast biopsies (the date a primary sample was taken): the codes the real data we test with carries
# (Synthea breast_cancer module output; mCODE STU4 example "Jenny M"). Fetched with the Procedure read.
BREAST_BIOPSY: tuple[CodeEntry, ...] = (
    _e(SCT, "122548005", "Biopsy of breast", "breast-biopsy", mark="V1", source="Synthea breast_cancer output"),
    _e(SCT, "723990008", "Biopsy of breast using ultrasonographic guidance", "breast-biopsy", mark="V1",
       source="mCODE STU4 example bundle (Jenny M)"),
)
# Breast cancer surgery (the end of the neoadjuvant window, episodes.py). 64368001 is the code of the
# mCODE STU4 example patient's "cancer related surgical procedure" (data/mcode); the others are SNOMED
# breast-surgery procedures used in public FHIR/OMOP breast-cancer value sets found in the search index.
# Kept apart from PROCEDURE_CODES, which the menopause reader takes as oophorectomy.
BREAST_SURGERY: tuple[CodeEntry, ...] = (
    _e(SCT, "64368001", "Excision of part of breast", "breast-surgery", "partial", "V1",
       "mCODE STU4 example Procedure cancer-related-surgical-procedure-jenny-m"),
    _e(SCT, "392021009", "Lumpectomy of breast", "breast-surgery", "partial", "V1",
       "breast-surgery value sets in the search index"),
    _e(SCT, "69031006", "Excision of breast tissue", "breast-surgery", "excision", "V1",
       "breast-surgery value sets in the search index"),
    _e(SCT, "172043006", "Simple mastectomy", "breast-surgery", "mastectomy", "V1",
       "breast-surgery value sets in the search index"),
    _e(SCT, "392023007", "Excision of lesion of breast", "breast-surgery", "partial", "V1",
       "Synthea breast_cancer module output (shared Synthea record)"),
)
MENOPAUSE_VALUES: tuple[CodeEntry, ...] = (
    _e(SCT, "22636003", "Premenopausal state", "menopause", "premenopausal", "V2", f"{CK} a.6"),
    _e(SCT, "76498008", "Postmenopausal state", "menopause", "postmenopausal", "V1", f"{CK} a.6"),
    _e(SCT, "261665006", "Unknown", "menopause", "unknown", "V1", f"{CK} a.6"),
    _e(SCT, "289903006", "Menopause present", "menopause", "postmenopausal", "V1", f"{CK} a.6"),
    _e(SCT, "289904000", "Menopause absent", "menopause", "premenopausal", "V1", f"{CK} a.6"),
)

# --- Tumour size, T and N category, positive nodes, grade (issue 13 section 4: option criteria) -------------
# Codes confirmed in public FHIR guides in the search index: mCODE STU4 TumorSize profile (LOINC 21889-1 with the
# longest dimension in component 33728-7, cm or mm); mCODE CQL code lists and IG value sets (LOINC 21905-5/21906-3
# clinical T/N, 21899-0/21900-6 pathological T/N); a clinical TNM questionnaire (SNOMED 399504009 cT category,
# 399534004 cN category, AJCC 8th category values below); CH/MII oncology guides (LOINC 21893-3 number of positive
# regional nodes, 33732-9 histologic grade).
TUMOUR_SIZE = _e(LNC, "21889-1", "Size Tumor", "tumour-size", mark="V1", source="mCODE STU4 SD_TumorSize.fsh")
TUMOUR_LONGEST_DIMENSION = _e(LNC, "33728-7", "Size.maximum dimension in Tumor", "tumour-size", "longest", "V1",
                              "mCODE STU4 SD_TumorSize.fsh (component)")
T_CATEGORY_CODES: tuple[CodeEntry, ...] = (
    _e(LNC, "21905-5", "Primary tumor.clinical [Class] Cancer", "t-category", "clinical", "V1", "mCODE CQL code list"),
    _e(LNC, "21899-0", "Primary tumor.pathology [Class] Cancer", "t-category", "pathologic", "V1", "pathology data element list"),
    _e(SCT, "399504009", "cT category", "t-category", "clinical", "V1", "clinical TNM questionnaire (search index)"),
)
N_CATEGORY_CODES: tuple[CodeEntry, ...] = (
    _e(LNC, "21906-3", "Regional lymph nodes.clinical [Class] Cancer", "n-category", "clinical", "V1", "mCODE IG value set"),
    _e(LNC, "21900-6", "Regional lymph nodes.pathology [Class] Cancer", "n-category", "pathologic", "V1", "mCODE IG value set"),
    _e(SCT, "399534004", "cN category", "n-category", "clinical", "V1", "clinical TNM questionnaire (search index)"),
)
POSITIVE_NODES = _e(LNC, "21893-3", "Regional lymph nodes positive [#] Specimen", "positive-nodes", mark="V1",
                    source="CH CRL and MII oncology guides")
# The 21-gene recurrence score as the mCODE STU4 example patient (Jenny M) records it: the NCBI Genetic Testing
# Registry test 509910 ("Oncotype DX Breast Recurrence Score"), valueQuantity 0-100. No LOINC or SNOMED code for the
# score could be confirmed, so only this coding is read.
GTR = "http://www.ncbi.nlm.nih.gov/gtr"
RECURRENCE_SCORE = _e(GTR, "509910", "Oncotype DX Breast Recurrence Score", "recurrence-score", mark="V1",
                      source="mCODE STU4 example bundle (Jenny M)")
HISTOLOGIC_GRADE = _e(LNC, "33732-9", "Histology grade [Identifier] in Cancer specimen", "grade", mark="V1",
                      source="CH CRL histological grade profile")
# AJCC 8th category values (SNOMED), as listed in a clinical TNM value set in the search index. kind = category.
T_CATEGORY_VALUES: tuple[CodeEntry, ...] = tuple(
    _e(SCT, code, f"AJCC {text}", "t-value", text, "V1", "AJCC clinical T value set (search index)")
    for code, text in (("1228882005", "T0"), ("1228884006", "Tis"), ("1228889001", "T1"), ("1228891009", "T1mi"),
                       ("1228892002", "T1a"), ("1228895000", "T1b"), ("1228899006", "T1c"), ("1228929004", "T2"),
                       ("1228938002", "T3"), ("1228944003", "T4")))
N_CATEGORY_VALUES: tuple[CodeEntry, ...] = tuple(
    _e(SCT, code, f"AJCC {text}", "n-value", text, "V1", "AJCC clinical N value set (search index)")
    for code, text in (("1229967007", "N0"), ("1229973008", "N1"), ("1229978004", "N2"), ("1229984001", "N3")))

# --- a.4: genomics and PD-L1 ---------------------------------------------------------
GENOMIC_VARIANT = _e(LNC, "69548-6", "Genetic variant assessment", "genomic-variant", mark="V2", source=f"{CK} a.4 (mCODE)")
GENE_STUDIED = _e(LNC, "48018-6", "Gene studied [ID]", "gene-studied", mark="V2", source=f"{CK} a.4")
GENOMIC_SOURCE_CLASS = _e(LNC, "48002-0", "Genomic source class", "source-class", mark="V1", source="mCODE EX_ExtendedExample (Jenny M)")
GENES: dict[str, CodeEntry] = {
    "HGNC:1100": _e(HGNC_SYSTEMS[0], "HGNC:1100", "BRCA1", "BRCA1", mark="V1", source=f"{CK} a.4"),
    "HGNC:1101": _e(HGNC_SYSTEMS[0], "HGNC:1101", "BRCA2", "BRCA2", mark="V1", source=f"{CK} a.4"),
    "HGNC:9588": _e(HGNC_SYSTEMS[0], "HGNC:9588", "PTEN", "PTEN", mark="V1", source=f"{CK} a.4"),
    "HGNC:3467": _e(HGNC_SYSTEMS[0], "HGNC:3467", "ESR1", "ESR1", mark="V1", source=f"{CK} a.4"),
    "HGNC:8975": _e(HGNC_SYSTEMS[0], "HGNC:8975", "PIK3CA", "PIK3CA", mark="V1", source=f"{CK} a.4"),
    "HGNC:391": _e(HGNC_SYSTEMS[0], "HGNC:391", "AKT1", "AKT1", mark="U", source=f"{CK} a.4"),
}
BRCA_RESULT_CODES: tuple[CodeEntry, ...] = (
    _e(LNC, "21636-6", "BRCA1 gene mutations found", "BRCA1", "mutations-found", "V1", f"{CK} a.4"),
    _e(LNC, "38530-2", "BRCA2 gene mutations found", "BRCA2", "mutations-found", "V1", f"{CK} a.4"),
)
BRCA_FINDINGS: tuple[CodeEntry, ...] = (
    _e(SCT, "412734009", "BRCA1 mutation positive", "BRCA1", "present", "V1", f"{CK} a.4"),
    _e(SCT, "412736006", "BRCA1 mutation negative", "BRCA1", "absent", "V1", f"{CK} a.4"),
    _e(SCT, "412738007", "BRCA2 mutation positive", "BRCA2", "present", "V1", f"{CK} a.4"),
    _e(SCT, "412739004", "BRCA2 mutation negative", "BRCA2", "absent", "V1", f"{CK} a.4"),
)
# PD-L1: assay (clone) and measure kept apart (b.5, P15). kind = "<assay>|<measure>".
PDL1_CODES: tuple[CodeEntry, ...] = (
    _e(LNC, "83052-1", "PD-L1 by clone 22C3 [Presence] in Tissue", "PD-L1", "22C3|presence", "V1", f"{CK} a.4"),
    _e(LNC, "85147-7", "PD-L1 by clone 22C3 in Tissue Report", "PD-L1", "22C3|report", "V1", f"{CK} a.4"),
    _e(LNC, "83057-0", "PD-L1 by clone SP142", "PD-L1", "SP142|presence", "V1", f"{CK} a.4"),
    _e(LNC, "85149-3", "PD-L1 by clone SP142 Report", "PD-L1", "SP142|report", "V1", f"{CK} a.4"),
    _e(LNC, "83055-4", "PD-L1 by clone 28-8", "PD-L1", "28-8|presence", "V1", f"{CK} a.4"),
    _e(LNC, "83053-9", "Cells.PD-L1/100 viable tumor cells (tumor-cell %, not CPS)", "PD-L1", "|TPS", "V1", f"{CK} a.4"),
    _e(NCIT, "C176582", "PD-L1 Combined Positive Score", "PD-L1", "|CPS", "V1", f"{CK} a.4 (dnpm-to-fhir)"),
    _e(NCIT, "C184941", "PD-L1 Tumor Proportion Score", "PD-L1", "|TPS", "V1", f"{CK} a.4 (dnpm-to-fhir)"),
    _e(NCIT, "C199175", "PD-L1 Immune Cell Score", "PD-L1", "|IC", "V1", f"{CK} a.4 (dnpm-to-fhir)"),
)

# Where a specimen came from: SNOMED body sites read as primary breast. Anything else coded
# (liver, bone, lung, node...) is read as a metastasis site. Domain knowledge (U).
BREAST_SITES: tuple[CodeEntry, ...] = (
    _e(SCT, "76752008", "Breast structure", "breast", mark="U", source="domain knowledge"),
    _e(SCT, "80248007", "Left breast structure", "breast", mark="V1", source="mCODE Jenny M specimen"),
    _e(SCT, "73056007", "Right breast structure", "breast", mark="U", source="domain knowledge"),
)
# Regional lymph nodes are not distant metastasis; an axillary node sample is neither "primary
# breast" nor a distant site, so it stays "unknown" unless the text says otherwise.
REGIONAL_NODE_SITES: tuple[CodeEntry, ...] = (
    _e(SCT, "68171009", "Axillary lymph node structure", "regional-node", mark="U", source="domain knowledge"),
)


# --- lookups ---------------------------------------------------------------------------
def _index(*groups) -> dict[tuple[str, str], CodeEntry]:
    table: dict[tuple[str, str], CodeEntry] = {}
    for group in groups:
        entries = group.values() if isinstance(group, dict) else (group if isinstance(group, tuple) else (group,))
        for entry in entries:
            table[(entry.system, entry.code)] = entry
            if entry.system == HGNC_SYSTEMS[0]:
                table[(HGNC_SYSTEMS[1], entry.code)] = entry
    return table


DISPLAY_TO_CODE.update({e.display.lower(): e.code for e in RECEPTOR_CODES if e.system == LNC and not e.display.startswith("(")})

OBSERVATION_CODES = _index(RECEPTOR_CODES, SERUM_HER2_CODES, GENERIC_TUMOR_MARKER, HER2_TEST_PROCEDURES,
                           STAGE_GROUP_CODES, M_CATEGORY_CODES, METASTASIS_SITE, DISEASE_STATUS, TUMOR_MARKERS,
                           MENOPAUSE_CODE, GENOMIC_VARIANT, BRCA_RESULT_CODES, PDL1_CODES, TUMOUR_SIZE,
                           T_CATEGORY_CODES, N_CATEGORY_CODES, POSITIVE_NODES, HISTOLOGIC_GRADE, RECURRENCE_SCORE)
COMPONENT_CODES = _index(RECEPTOR_CODES, GENE_STUDIED, GENOMIC_SOURCE_CLASS, PDL1_CODES, TUMOUR_LONGEST_DIMENSION)
TNM_VALUE_CODES = _index(T_CATEGORY_VALUES, N_CATEGORY_VALUES)
ANSWER_CODES = _index(VALUE_CODES, BRCA_FINDINGS, GENES)
STAGE_VALUE_CODES = _index(STAGE_VALUES)
M_VALUE_CODES = _index(M_VALUES)
DISEASE_STATUS_CODES = _index(DISEASE_STATUS_VALUES)
EVIDENCE_TYPE_CODES = _index(EVIDENCE_TYPES)
MENOPAUSE_VALUE_CODES = _index(MENOPAUSE_VALUES)
NO_METASTASIS_CODES = _index(NO_METASTASIS_VALUES)
OOPHORECTOMY_CODES = _index(BILATERAL_OOPHORECTOMY)
BREAST_SURGERY_CODES = _index(BREAST_SURGERY)
# Every Procedure code a reader uses (what the Procedure read fetches, cds_hooks.decision.reads).
PROCEDURE_CODES = _index(BILATERAL_OOPHORECTOMY, BREAST_SURGERY, BREAST_BIOPSY)
CONDITION_CODES = _index(BREAST_PRIMARY_CONDITIONS, RECEPTOR_STATUS_CONDITIONS, SECONDARY_NEOPLASM_CONDITIONS)
SITE_CODES = _index(BREAST_SITES, REGIONAL_NODE_SITES, SECONDARY_NEOPLASM_CONDITIONS)
METASTASIS_SITE_CODES = _index(METASTASIS_SITE_VALUES)

ALL_MARKS = frozenset({"V2", "V1", "U"})


def lookup(table: dict[tuple[str, str], CodeEntry], system: str | None, code: str | None,
           accept: frozenset[str] = ALL_MARKS) -> CodeEntry | None:
    """The entry for (system, code), if known and its mark is accepted."""
    if not system or not code:
        return None
    entry = table.get((system, code.strip()))
    if entry is None or entry.mark not in accept:
        return None
    return entry


_LOINC_CODE = re.compile(r"^(\d{1,7}-\d|L[APLG]\d{1,7}-\d)$")
_SNOMED_CODE = re.compile(r"^\d{6,18}$")


def code_fits_system(system: str | None, code: str | None) -> bool:
    """Whether a code has the syntax of its system (LOINC nnnnn-n / LAnnnn-n; SNOMED digits only).

    Synthea sends SNOMED 417181009 under the LOINC system (a.5); a code that cannot belong
    to its system is a data-quality finding, not a result.
    """
    if not code:
        return False
    if system == LNC:
        return bool(_LOINC_CODE.match(code.strip()))
    if system == SCT:
        return bool(_SNOMED_CODE.match(code.strip()))
    return True


def unverified_entries() -> list[CodeEntry]:
    """Every V1/U entry, for review before release (clinical-knowledge.md conventions)."""
    seen: dict[tuple[str, str, str], CodeEntry] = {}
    for table in (OBSERVATION_CODES, COMPONENT_CODES, ANSWER_CODES, CONDITION_CODES, SITE_CODES,
                  STAGE_VALUE_CODES, M_VALUE_CODES, DISEASE_STATUS_CODES, EVIDENCE_TYPE_CODES, MENOPAUSE_VALUE_CODES,
                  NO_METASTASIS_CODES, PROCEDURE_CODES, BREAST_SURGERY_CODES):
        for entry in table.values():
            if not entry.verified:
                seen.setdefault((entry.system, entry.code, entry.meaning), entry)
    return list(seen.values())


# --- Allred / IRS scores (clinical-knowledge.md a.1, b.2) -------------------------------
# No LOINC or SNOMED code was verified for them; MII's senology extension uses the local codes
# below (mark U). They are matched on the code alone because their system URL is not verified,
# and only ever produce a data-quality note: ER/PR status is never derived from these totals,
# because the historic "Allred >= 3 = positive" rule conflicts with ASCO/CAP 2020 (an Allred
# total of 3 can be proportion score 1, i.e. under 1% of nuclei, which ASCO/CAP calls negative).
SEMI_QUANTITATIVE_SCORE_CODES: dict[str, str] = {
    "allred-score": "Allred score (0-8)",
    "irs-score": "immunoreactive score (IRS, 0-12)",
}
SEMI_QUANTITATIVE_SCORE_MARK = "U"


# --- data-quality note codes ------------------------------------------------------------
# Every DataQualityNote.code the decision core emits, with what it means. P17 (pitfall rules)
# and the cards/page key on these; "severity" says whether the note means data were NOT used
# (problem) or were used with a caveat (caveat).
DATA_QUALITY_CODES: dict[str, tuple[str, str]] = {
    "invalid-input": ("problem", "the resources argument was not a list of FHIR resources"),
    "invalid-resource": ("problem", "a resource failed FHIR R4 (R4B model) validation or had no resourceType; not used"),
    "dropped-entered-in-error": ("problem", "status entered-in-error (or Condition refuted/entered-in-error); dropped"),
    "dropped-cancelled": ("problem", "status cancelled; dropped"),
    "other-patient": ("problem", "the resource's subject is a different patient than the Patient given; dropped"),
    "multiple-patients": ("caveat", "more than one Patient resource given; the first is used"),
    "provisional-result": ("caveat", "preliminary/registered result: used only as provisional (b.1)"),
    "unexpected-status": ("caveat", "an Observation status outside the FHIR result statuses; treated as provisional"),
    "invalid-code-for-system": ("problem", "a code that cannot belong to its system (e.g. SNOMED 417181009 under LOINC); not read as a result"),
    "unverified-code": ("problem", "a recognised code whose meaning the reference could not verify (U); not used"),
    "serum-her2-ignored": ("problem", "serum HER2 (32996-1, 42914-2, 51981-9) is never a tumour HER2 status"),
    "generic-tumor-marker": ("problem", "Synthea's generic 21924-6 'Tumor marker Cancer' is not an ER/PR/HER2 result"),
    "procedure-code-as-result": ("problem", "a test procedure code (433114000/434363004) carries no result"),
    "legacy-ligand-binding": ("problem", "legacy ligand-binding ER/PR assay (fmol/mg) is not an IHC percent; not used"),
    "unparseable-value": ("problem", "a value (string, quantity, ratio) could not be read"),
    "unrecognised-value": ("problem", "answer codes not in the code tables (and no readable text)"),
    "unit-ambiguous": ("problem", "a 0-1 value without a % unit could be a fraction or a percent; not used (b.1)"),
    "unit-missing": ("caveat", "a number >1 without a unit under a % code; read as percent"),
    "unexpected-unit": ("problem", "a unit that is not a percent under a % code; not used"),
    "value-out-of-range": ("problem", "a percent outside 0-100; not used"),
    "percent-range": ("problem", "a percent given as a range; not used"),
    "percent-range-ambiguous": ("problem", "a percent with comparator spanning two ASCO/CAP categories (e.g. '<5 %')"),
    "percent-under-qualitative-code": ("caveat", "a % sent under a qualitative ER/PR code; read as percent"),
    "borderline-not-asco-cap": ("problem", "LA4259-3 'Borderline' is not an ASCO/CAP receptor category; needs review"),
    "conflicting-results": ("caveat", "results of one sample disagree (e.g. ER Positive and 0 %); the stronger evidence is used (P18)"),
    "combined-hr-only": ("caveat", "HR status rests on the combined ER+PR 10480-2 result; ER is not inferred from it"),
    "receptor-status-from-condition": ("caveat", "receptor status known only from a Condition code or ICD Z17 (weakest evidence, b.2)"),
    "value-as-string": ("caveat", "HER2 ISH sent as a valueString (Synthea) instead of a quantity"),
    "ish-legacy-threshold": ("caveat", "ISH ratio given against 2007 thresholds ('less than 1.8'); re-read against 2.0"),
    "ish-legacy-equivocal": ("problem", "ISH ratio '1.8-2.2' or a bound straddling 2.0: pre-2018 equivocal, cannot be re-read"),
    "ish-equivocal-pre-2018": ("problem", "ISH reported 'equivocal', a category removed in 2018"),
    "ish-copies-missing": ("caveat", "ISH ratio without mean HER2 copy number: >=2.0 read as amplified only beside IHC 3+ or IHC positive; <2.0 with IHC 2+ read as not amplified though group 3 is not excluded"),
    "medication-display-mismatch": ("caveat", "a medication coding's display names another drug than its RxNorm code (Synthea 'Paclitaxel' on Taxotere 202982); the code is used"),
    "newer-provisional-differs": ("caveat", "a newer preliminary result disagrees with the older final result the decision uses (b.1: a preliminary result is never the sole basis)"),
    "ish-ratio-unreadable": ("problem", "dual-probe ISH whose HER2/CEP17 ratio is unreadable: the copy number alone leaves two ISH groups with different calls; unresolved"),
    "nodal-code-not-distant": ("caveat", "an ICD-10-CM C77.0/.1/.3/.8/.9 lymph-node secondary that may be regional nodal disease (AJCC 8th ed.: ipsilateral axillary, internal mammary, supra/infraclavicular nodes are N, not M); not read as metastatic"),
    "single-probe-borderline": ("caveat", "single-probe ISH 4-<6 signals/cell without IHC 3+; read as not amplified"),
    "her2-basis-not-recorded": ("caveat", "HER2 positive without IHC score or ISH: basis not recorded"),
    "her2-2plus-resolved-without-ish": ("caveat", "IHC 2+ settled by the overall HER2 interpretation; the ISH result is not in the data"),
    "ish-paired-with-earlier-ihc": ("caveat", "no specimen named: ISH read with an IHC up to 21 days earlier as one sample"),
    "unresolved-reference": ("problem", "an ISH panel member (hasMember) is not among the given resources"),
    "display-code-mismatch": ("caveat", "a coding's display is the name of another LOINC code (e.g. 40556-3 shown as 85337-4); the code is used"),
    "conflicting-stage": ("caveat", "stage records disagree (e.g. Condition.stage IIIC vs stage Observation IIB)"),
    "unrecognised-stage": ("problem", "a stage-group value not in the code tables"),
    "allred-score-not-used": ("caveat", "an Allred or IRS score was recorded; ER/PR status is never derived from it (b.2: Allred >=3 'positive' conflicts with ASCO/CAP)"),
    "unrecognised-m-category": ("problem", "an M-category value not in the code tables"),
}
