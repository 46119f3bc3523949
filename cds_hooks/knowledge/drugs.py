"""Drug knowledge: RxNorm ingredients, their drug classes, and product → ingredient roll-up.

Why a shipped table: EHRs and Synthea order drugs by product (SCD/SBD) or brand (BN) codes, while
the rules reason about ingredients and classes. The reference says to resolve products to
ingredients through a table built offline, never over the network at run time
(clinical-knowledge.md a.7, "Implementation").

Sources: ingredient codes, classes, SNOMED substance codes and verification marks are copied from
clinical-knowledge.md a.7 (MOA = moalmanac-db codings, APP = mCODE trial-matching app, CPIC, BCT map);
product and brand codes from a.5 (Synthea breast-cancer modules, current and older versions).

Verification marks (reference conventions): "V2" seen in two or more public sources, "V1" one source
only, "U" not verified. V1/U rows should be re-checked against RxNav before a release; they are
flagged here so a reviewer can find them (``verification`` field).

Deliberately NOT in the product table, because the reference does not establish their ingredient
RxCUI or a class the rules use:
- 1114085 zoledronic acid (a.5, Synthea current): bone-modifying agent, no IN code in the reference;
- 203000 Megace (a.5, Synthea older module): megestrol, no IN code in the reference;
- margetuximab (section c): no RxNorm code in the reference at all.
Such codes classify as ``None`` (unknown drug), which the rules treat as "no information".

Trap kept on purpose (a.5): Synthea's chemotherapy state named "Paclitaxel" orders 202982, which is
Taxotere (docetaxel). We trust the code: 202982 rolls up to docetaxel whatever the display says.
"""
from __future__ import annotations

from dataclasses import dataclass

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
# The HL7 OID form of RxNorm, which some EHR exports still send as Coding.system.
RXNORM_OID = "urn:oid:2.16.840.1.113883.6.88"
RXNORM_SYSTEMS = frozenset({RXNORM, RXNORM_OID})


@dataclass(frozen=True)
class DrugClass:
    """A drug class the rules reason over, with the groups the order/pitfall rules need."""

    key: str
    label: str
    endocrine: bool = False          # acts on the ER pathway (P11, endocrine-for-hr-negative)
    anti_her2: bool = False          # needs HER2 (anti-her2-for-her2-negative)
    cytotoxic: bool = False          # chemotherapy (P11)


DRUG_CLASSES: dict[str, DrugClass] = {c.key: c for c in (
    DrugClass("aromatase-inhibitor", "Aromatase inhibitor", endocrine=True),
    DrugClass("serm", "Selective estrogen receptor modulator (SERM)", endocrine=True),
    DrugClass("serd", "Selective estrogen receptor degrader (SERD, intramuscular)", endocrine=True),
    DrugClass("oral-serd", "Oral SERD", endocrine=True),
    # GnRH agonists suppress the ovaries; on their own they are not "endocrine therapy for the
    # tumour" in the P11 sense (the reference excludes GnRH agonists given for ovarian protection).
    DrugClass("gnrh-agonist", "GnRH agonist (ovarian function suppression)"),
    DrugClass("cdk46-inhibitor", "CDK4/6 inhibitor"),
    DrugClass("pi3k-inhibitor", "PI3K-alpha inhibitor"),
    DrugClass("akt-inhibitor", "AKT inhibitor"),
    DrugClass("mtor-inhibitor", "mTOR inhibitor"),
    DrugClass("anti-her2-antibody", "Anti-HER2 monoclonal antibody", anti_her2=True),
    DrugClass("anti-her2-adc", "Anti-HER2 antibody-drug conjugate (T-DM1)", anti_her2=True),
    # T-DXd has its own class: it is used in HER2-low and HER2-ultralow disease, so it must not
    # be flagged as "anti-HER2 for HER2-negative" (DESTINY-Breast04/06; clinical-knowledge.md c).
    DrugClass("tdxd", "Trastuzumab deruxtecan (T-DXd)"),
    DrugClass("her2-tki", "HER2 tyrosine kinase inhibitor", anti_her2=True),
    DrugClass("trop2-adc", "TROP2 antibody-drug conjugate"),
    DrugClass("pd1-pdl1-inhibitor", "PD-1/PD-L1 inhibitor"),
    DrugClass("parp-inhibitor", "PARP inhibitor"),
    DrugClass("anthracycline", "Anthracycline", cytotoxic=True),
    DrugClass("alkylator", "Alkylating agent", cytotoxic=True),
    DrugClass("taxane", "Taxane", cytotoxic=True),
    DrugClass("platinum", "Platinum agent", cytotoxic=True),
    DrugClass("fluoropyrimidine", "Fluoropyrimidine", cytotoxic=True),
    DrugClass("other-chemo", "Other cytotoxic chemotherapy", cytotoxic=True),
)}


@dataclass(frozen=True)
class Ingredient:
    """An RxNorm ingredient (IN) with its class (clinical-knowledge.md a.7)."""

    name: str
    rxcui: str
    drug_class: str
    verification: str                 # V2 | V1 | U, as marked in the reference
    snomed: str | None = None         # SNOMED substance code (BCT map), where the reference gives one
    note: str | None = None


INGREDIENTS: tuple[Ingredient, ...] = (
    Ingredient("tamoxifen", "10324", "serm", "V2", "373345002"),
    Ingredient("anastrozole", "84857", "aromatase-inhibitor", "V2", "386910003"),
    Ingredient("letrozole", "72965", "aromatase-inhibitor", "V2", "386911004"),
    Ingredient("exemestane", "258494", "aromatase-inhibitor", "V2", "387017005"),
    Ingredient("fulvestrant", "282357", "serd", "V2", "385519002"),
    Ingredient("elacestrant", "2628469", "oral-serd", "V1", note="MOA only"),
    Ingredient("imlunestrant", "2725912", "oral-serd", "V1", note="MOA only; FDA 2025-09-25"),
    Ingredient("goserelin", "50610", "gnrh-agonist", "V2", "108771008"),
    Ingredient("leuprolide", "42375", "gnrh-agonist", "V1", "397198002", note="APP (+BCT unnamed)"),
    Ingredient("palbociclib", "1601374", "cdk46-inhibitor", "V2", "715958001"),
    Ingredient("ribociclib", "1873916", "cdk46-inhibitor", "V2", "732257004"),
    Ingredient("abemaciclib", "1946825", "cdk46-inhibitor", "V2", "761851004"),
    Ingredient("alpelisib", "2169285", "pi3k-inhibitor", "V2", "788050002"),
    Ingredient("inavolisib", "2695422", "pi3k-inhibitor", "V1", note="MOA only; FDA 2024-10-10"),
    Ingredient("capivasertib", "2669967", "akt-inhibitor", "V1", note="MOA only"),
    Ingredient("everolimus", "141704", "mtor-inhibitor", "V2", "428698007"),
    Ingredient("trastuzumab", "224905", "anti-her2-antibody", "V2", "387003001"),
    Ingredient("pertuzumab", "1298944", "anti-her2-antibody", "V2", "704226002"),
    Ingredient("ado-trastuzumab emtansine", "1371041", "anti-her2-adc", "V1", "702836004",
               note="V1 named (APP named + BCT)"),
    Ingredient("trastuzumab deruxtecan", "2267582", "tdxd", "V2"),
    Ingredient("tucatinib", "2361285", "her2-tki", "V2"),
    Ingredient("neratinib", "1940643", "her2-tki", "V2", "736632003"),
    Ingredient("lapatinib", "480167", "her2-tki", "V2", "425820005"),
    Ingredient("sacituzumab govitecan", "2360232", "trop2-adc", "V1", note="MOA only"),
    Ingredient("datopotamab deruxtecan", "2703033", "trop2-adc", "V1", note="MOA only"),
    Ingredient("pembrolizumab", "1547545", "pd1-pdl1-inhibitor", "V2", "716125002"),
    Ingredient("atezolizumab", "1792776", "pd1-pdl1-inhibitor", "V2", "719371003"),
    Ingredient("olaparib", "1597582", "parp-inhibitor", "V2", "432162002"),
    Ingredient("talazoparib", "2099704", "parp-inhibitor", "V2", "782199007"),
    Ingredient("capecitabine", "194000", "fluoropyrimidine", "V2", "386906001"),
    Ingredient("fluorouracil", "4492", "fluoropyrimidine", "V2"),
    Ingredient("doxorubicin", "3639", "anthracycline", "V2", "372817009"),
    Ingredient("epirubicin", "3995", "anthracycline", "V2", "417916005"),
    Ingredient("cyclophosphamide", "3002", "alkylator", "V2", "387420009"),
    Ingredient("paclitaxel", "56946", "taxane", "V2", "387374002"),
    Ingredient("paclitaxel protein-bound", "486610", "taxane", "V1", "426653008",
               note="V1 named (MOA + BCT)"),
    Ingredient("docetaxel", "72962", "taxane", "V2", "386918005"),
    Ingredient("carboplatin", "40048", "platinum", "V2", "386905002"),
    Ingredient("gemcitabine", "12574", "other-chemo", "V2"),
    Ingredient("eribulin", "1045453", "other-chemo", "V2"),
    Ingredient("vinorelbine", "39541", "other-chemo", "V2"),
    Ingredient("methotrexate", "6851", "other-chemo", "V2"),
)

INGREDIENT_BY_NAME: dict[str, Ingredient] = {i.name: i for i in INGREDIENTS}
INGREDIENT_BY_RXCUI: dict[str, Ingredient] = {i.rxcui: i for i in INGREDIENTS}


@dataclass(frozen=True)
class ProductCode:
    """An RxNorm code that is not the ingredient itself (SCD, SBD, BN, PIN or salt form)."""

    rxcui: str
    ingredient: str                   # key of INGREDIENT_BY_NAME
    tty: str                          # SCD | SBD | BN | PIN | IN-variant (as far as the reference says)
    display: str
    source: str                       # where the reference saw it
    verification: str = "V1"


PRODUCTS: tuple[ProductCode, ...] = (
    # Synthea, current breast-cancer modules (clinical-knowledge.md a.5 "Meds (current)").
    ProductCode("198240", "tamoxifen", "SCD", "tamoxifen 10 MG Oral Tablet", "a.5 Synthea current"),
    ProductCode("199224", "anastrozole", "SCD", "anastrozole 1 MG Oral Tablet", "a.5 Synthea current"),
    ProductCode("200064", "letrozole", "SCD", "letrozole 2.5 MG Oral Tablet", "a.5 Synthea current"),
    ProductCode("310261", "exemestane", "SCD", "exemestane 25 MG Oral Tablet", "a.5 Synthea current"),
    ProductCode("727762", "fulvestrant", "SCD", "fulvestrant 50 MG/ML 5 ML Prefilled Syringe",
                "a.5 Synthea current"),
    ProductCode("1601380", "palbociclib", "SCD", "palbociclib 100 MG Oral Capsule", "a.5 Synthea current"),
    ProductCode("1873983", "ribociclib", "SCD", "ribociclib 200 MG Oral Tablet", "a.5 Synthea current"),
    ProductCode("1946840", "abemaciclib", "SBD", "Verzenio 100 MG Oral Tablet", "a.5 Synthea current"),
    # Multi-ingredient product (trastuzumab + hyaluronidase); rolled up to the active anti-HER2 ingredient.
    ProductCode("2119714", "trastuzumab", "SCD", "trastuzumab and hyaluronidase-oysk injection",
                "a.5 Synthea current"),
    ProductCode("1658084", "ado-trastuzumab emtansine", "SCD", "ado-trastuzumab emtansine 100 MG Injection",
                "a.5 Synthea current"),
    ProductCode("672149", "lapatinib", "SCD", "lapatinib 250 MG Oral Tablet", "a.5 Synthea current"),
    ProductCode("1940648", "neratinib", "SCD", "neratinib 40 MG Oral Tablet", "a.5 Synthea current"),
    ProductCode("583214", "paclitaxel", "SCD", "paclitaxel 100 MG Injection", "a.5 Synthea current"),
    ProductCode("1734919", "cyclophosphamide", "SCD", "cyclophosphamide 1000 MG Injection", "a.5 Synthea current"),
    ProductCode("1790099", "doxorubicin", "SCD", "doxorubicin 2 MG/ML 10 ML Injection", "a.5 Synthea current"),
    ProductCode("1732186", "epirubicin", "SCD", "epirubicin injection", "a.5 Synthea current"),
    ProductCode("597195", "carboplatin", "SCD", "carboplatin injection", "a.5 Synthea current"),
    ProductCode("1791701", "fluorouracil", "SCD", "fluorouracil injection", "a.5 Synthea current"),
    # Synthea, older module: brand-name codes (a.5 "Meds (older module)").
    ProductCode("203769", "letrozole", "BN", "Femara", "a.5 Synthea older module"),
    ProductCode("262485", "anastrozole", "BN", "Arimidex", "a.5 Synthea older module"),
    ProductCode("262105", "exemestane", "BN", "Aromasin", "a.5 Synthea older module"),
    ProductCode("203870", "fulvestrant", "BN", "Faslodex", "a.5 Synthea older module"),
    ProductCode("101306", "trastuzumab", "BN", "Herceptin", "a.5 Synthea older module"),
    ProductCode("1298949", "pertuzumab", "BN", "Perjeta", "a.5 Synthea older module"),
    ProductCode("1371046", "ado-trastuzumab emtansine", "BN", "Kadcyla", "a.5 Synthea older module"),
    ProductCode("659616", "lapatinib", "BN", "Tykerb", "a.5 Synthea older module"),
    ProductCode("1940649", "neratinib", "BN", "Nerlynx", "a.5 Synthea older module"),
    ProductCode("42512", "doxorubicin", "BN", "Adriamycin", "a.5 Synthea older module"),
    ProductCode("203766", "epirubicin", "BN", "Ellence", "a.5 Synthea older module"),
    # Synthea labels this state "Paclitaxel" but the code is Taxotere = docetaxel; trust the code (a.5).
    ProductCode("202982", "docetaxel", "BN", "Taxotere", "a.5 Synthea older module (state labelled 'Paclitaxel')"),
    # Salt / precise-ingredient / suffixed forms named in a.7.
    ProductCode("2267574", "trastuzumab deruxtecan", "PIN", "fam-trastuzumab deruxtecan-nxki",
                "a.7 APP (likely PIN; reference says map both)", "U"),
    ProductCode("1940642", "neratinib", "PIN", "neratinib maleate", "a.7"),
    ProductCode("481474", "lapatinib", "PIN", "lapatinib ditosylate", "a.7"),
    ProductCode("2099703", "talazoparib", "PIN", "talazoparib tosylate", "a.7"),
    ProductCode("2360231", "sacituzumab govitecan", "IN-variant", "sacituzumab",
                "a.7 APP (reference: confirm with RxNav and map all)", "U"),
    ProductCode("2360530", "sacituzumab govitecan", "IN-variant", "sacituzumab govitecan-hziy",
                "a.7 APP (reference: confirm with RxNav and map all)", "U"),
    # Elacestrant product RxCUIs from openFDA NDC 72187-0101/0102 (a.7).
    ProductCode("2628478", "elacestrant", "SCD/SBD", "elacestrant product (openFDA NDC 72187-0101/0102)", "a.7 openFDA"),
    ProductCode("2628484", "elacestrant", "SCD/SBD", "elacestrant product (openFDA NDC 72187-0101/0102)", "a.7 openFDA"),
    ProductCode("2628487", "elacestrant", "SCD/SBD", "elacestrant product (openFDA NDC 72187-0101/0102)", "a.7 openFDA"),
    ProductCode("2628489", "elacestrant", "SCD/SBD", "elacestrant product (openFDA NDC 72187-0101/0102)", "a.7 openFDA"),
)

PRODUCT_BY_RXCUI: dict[str, ProductCode] = {p.rxcui: p for p in PRODUCTS}
INGREDIENT_BY_SNOMED: dict[str, Ingredient] = {i.snomed: i for i in INGREDIENTS if i.snomed}


def _check_tables() -> None:
    """Fail at import if the tables contradict each other (a product pointing nowhere, a code twice)."""
    for product in PRODUCTS:
        if product.ingredient not in INGREDIENT_BY_NAME:
            raise ValueError(f"product {product.rxcui} rolls up to unknown ingredient {product.ingredient}")
        if product.rxcui in INGREDIENT_BY_RXCUI:
            raise ValueError(f"code {product.rxcui} is both an ingredient and a product")
    for ingredient in INGREDIENTS:
        if ingredient.drug_class not in DRUG_CLASSES:
            raise ValueError(f"{ingredient.name} has unknown class {ingredient.drug_class}")
    if len(PRODUCT_BY_RXCUI) != len(PRODUCTS) or len(INGREDIENT_BY_RXCUI) != len(INGREDIENTS):
        raise ValueError("duplicate RxNorm code in the drug tables")


_check_tables()


def lookup_ingredient(system: str, code: str) -> Ingredient | None:
    """The ingredient behind an RxNorm (IN, SCD, SBD, BN, PIN) or SNOMED substance code, if we know it."""
    if not isinstance(system, str) or not isinstance(code, str):
        return None
    system = system.strip().rstrip("/")
    code = code.strip()
    if system in RXNORM_SYSTEMS:
        if code in INGREDIENT_BY_RXCUI:
            return INGREDIENT_BY_RXCUI[code]
        product = PRODUCT_BY_RXCUI.get(code)
        return INGREDIENT_BY_NAME[product.ingredient] if product else None
    if system == SNOMED:
        return INGREDIENT_BY_SNOMED.get(code)
    return None


def classify_medication(system: str, code: str) -> tuple[str, str, str] | None:
    """(ingredient name, ingredient RxCUI, drug class key) for a medication coding, or None if unknown."""
    ingredient = lookup_ingredient(system, code)
    if ingredient is None:
        return None
    return ingredient.name, ingredient.rxcui, ingredient.drug_class


def drug_class(key: str | None) -> DrugClass | None:
    return DRUG_CLASSES.get(key) if key else None


def is_endocrine(class_key: str | None) -> bool:
    cls = drug_class(class_key)
    return bool(cls and cls.endocrine)


def is_anti_her2(class_key: str | None) -> bool:
    cls = drug_class(class_key)
    return bool(cls and cls.anti_her2)


def is_cytotoxic(class_key: str | None) -> bool:
    cls = drug_class(class_key)
    return bool(cls and cls.cytotoxic)
