"""Clinical sources are primary and confirmed (issue 13 §6).

Every address a clinician can be shown is in ``CONFIRMED`` below, with how it was confirmed with the
project's search tool; an address added to the catalogue without being confirmed and listed here
fails. Hosts are limited to the primary kinds the issue names: a DOI (journal article or guideline),
the society's own page (ASCO, NCCN), the label itself (Drugs@FDA, the EMA's EPAR, Health Canada's
product monograph), and a government manual (SEER). Mirrors, summary sites, repositories and our own
reference or seed pages never reach a card or the SMART page.
"""
from __future__ import annotations

import datetime
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.decision.citations import refs
from cds_hooks.knowledge.options import OPTIONS_TABLE
from cds_hooks.knowledge.pitfalls import PITFALLS_TABLE
from cds_hooks.knowledge.sources import HEADLINE_SOURCES, LABEL_DOCUMENTS, SOURCES

REPO = Path(__file__).resolve().parents[2]
CASES = sorted((REPO / "fixtures" / "cases").glob("*.json"))

PRIMARY_HOSTS = {"doi.org", "ace.asco.org", "www.nccn.org", "www.cancercareontario.ca", "www.accessdata.fda.gov",
                 "www.ema.europa.eu", "pdf.hres.ca", "training.seer.cancer.gov", "seer.cancer.gov"}
_LABELS = "fetched vanallenlab/moalmanac-db 7815662b: documents.json + urls.json record of the agency's document"
CONFIRMED: dict[str, str] = {
    "https://seer.cancer.gov/tools/solidtumor/": "pages: the SEER Solid Tumor Rules page as named by a state registry "
                                                 "manual (KCR) and SEER inquiry records on breast multiple primaries",
    "https://doi.org/10.1200/JCO.19.02309": "pages: guidelinecentral record 'J Clin Oncol 2020;38(12):1346-1366 doi'",
    "https://doi.org/10.1200/JCO.2018.77.8738": "find_string: three bibliographies, JCO 2018;36(20):2105-2122",
    "https://doi.org/10.1200/JCO.22.02864": "pages: copy of the article showing its DOI, JCO 2023;41:3867",
    "https://doi.org/10.1200/JCO.21.01392": "pages: PMC8659999 and guidelinecentral record",
    "https://doi.org/10.1200/JCO.2016.67.1487": "pages: copy of the JCO article with its DOI",
    "https://doi.org/10.1200/JCO.19.03120": "pages: EPA HERO and bohrium records; find_string ascopubs link",
    "https://doi.org/10.1200/JCO.22.01064": "pages: PMC10419413 (JCO 2023;41(7):1376)",
    "https://doi.org/10.1016/S0140-6736(09)61523-3": "pages: PubMed-derived record PMID 20004966",
    "https://doi.org/10.1016/S0140-6736(20)32531-9": "pages: Elsevier linkinghub page of the article",
    "https://doi.org/10.1016/S0140-6736(23)01245-X": "find_string: 2 records (Lancet 402:1423, PMID 37633306)",
    "https://doi.org/10.1016/j.annonc.2020.09.010": "pages: journal pre-proof and CORD record",
    "https://doi.org/10.1016/j.annonc.2023.11.016": "find_string: 10 hits, Ann Oncol 35(2):159-182, PMID 38101773",
    "https://doi.org/10.1016/j.esmoop.2021.100289": "pages: PMC8531568",
    "https://doi.org/10.1056/NEJMoa1109653": "find_string: 4 hits (BOLERO-2, PMID 22149876)",
    "https://doi.org/10.1056/NEJMoa1412379": "pages: copy of the NEJM article with its DOI",
    "https://doi.org/10.1056/NEJMoa1612645": "find_string: 7 hits (CREATE-X, PMID 28564564)",
    "https://doi.org/10.1056/NEJMoa1814017": "find_string: 9 hits (KATHERINE, PMID 30516102)",
    "https://doi.org/10.1056/NEJMoa1910549": "find_string: 9 hits (KEYNOTE-522, NEJM 382:810)",
    "https://doi.org/10.1056/NEJMoa2028485": "find_string: 10 hits (ASCENT, NEJM 384:1529)",
    "https://doi.org/10.1056/NEJMoa2105215": "find_string: 7 hits (OlympiA, PMID 34081848)",
    "https://doi.org/10.1056/NEJMoa2203690": "find_string: DESTINY-Breast04 cited with this DOI",
    "https://doi.org/10.1056/NEJMoa2404625": "find_string: 6 hits (INAVO120, PMID 39476340)",
    "https://doi.org/10.1056/NEJMoa1706450": "search pages: PubMed record 28578601 (NEJM 2017;377(6):523-533, OlympiAD)",
    "https://doi.org/10.1056/NEJMoa2410858": "search pages: PubMed record 39660834 (NEJM 2025;392(12):1189-1202, EMBER-3)",
    "https://doi.org/10.1200/JCO.22.00338": "search pages: review page citing 10.1200/JCO.22.00338, JCO 40(28):3246-3256 (EMERALD)",
    "https://doi.org/10.1056/NEJMoa2214131": "search pages: PubMed record (NEJM 2023;388(22):2058-2070, CAPItello-291)",
    "https://doi.org/10.1056/NEJMoa2407086": "find_string: 6 hits (DESTINY-Breast06, PMID 39270104)",
    "https://doi.org/10.1093/jnci/djx273": "pages: ouci record, JNCI 2018 No 6 p. 568-580",
    "https://doi.org/10.1056/NEJMoa1804710": "find_string: 6 hits (TAILORx, PMID 29860917)",
    "https://doi.org/10.1056/NEJMoa2108873": "find_string: 2 hits (RxPONDER, PMID 34914339)",
    "https://doi.org/10.1200/JCO.22.00069": "find_string: 3 hits (ASCO 2022 biomarkers, PMID 35439025)",
    "https://doi.org/10.1200/JCO.18.01160": "find_string: ascopubs link titled the ASCO adjuvant endocrine update",
    "https://doi.org/10.1056/NEJMoa2305488": "find_string: 7 hits (NATALEE, PMID 38507751)",
    "https://doi.org/10.1016/S0140-6736(15)60908-4": "pages: the Lancet article page and PubMed 26211824",
    "https://doi.org/10.1200/JCO.21.02647": "pages: guideline records, JCO 2022;40(7):787-800",
    "https://doi.org/10.1016/S1470-2045(15)00551-3": "pages: Curtin repository record (dc.identifier.doi)",
    "https://www.cancercareontario.ca/en/guidelines-advice/types-of-cancer/43266": "pages: the CCO page itself",
    "https://www.ema.europa.eu/en/documents/product-information/nerlynx-epar-product-information_en.pdf": _LABELS,
    "https://ace.asco.org/guidelines/9781": "pages: the ASCO page itself",
    "https://ace.asco.org/guidelines/9676": "pages: the ASCO page itself",
    "https://www.nccn.org/guidelines/guidelines-detail?category=1&id=1419": "find_string: 10 uses titled NCCN Breast",
    "https://training.seer.cancer.gov/manual/": "pages: the SEER page itself, with the time rule",
    **{address: _LABELS for address, _ in LABEL_DOCUMENTS.values()},
}


def test_every_address_shown_is_primary_and_confirmed():
    """Clinician and patient sources: a primary host, and (for clinicians) an address confirmed and listed here."""
    for source in SOURCES.values():
        if source.audience == "internal":
            continue
        assert source.url, source.id
        if source.audience == "clinician":
            assert urlsplit(source.url).netloc in PRIMARY_HOSTS, (source.id, source.url)
            assert source.url in CONFIRMED, f"{source.id}: {source.url} was not confirmed (add it here with how)"
        assert "github.com" not in source.url and "guidelinecentral" not in source.url, source.id


def test_internal_sources_never_reach_an_assessment_and_duplicates_collapse():
    """refs() drops seeds, our reference and unconfirmed entries, and lists one document once."""
    got = refs("seed-000", "ck-d", "zhao-2021", "asco-cap-2020-er-pr", "asco-cap-2020-er-pr-rec2",
               "label-fda-enhertu-1", "label-fda-enhertu-5", "destiny-breast06-fda-2025", "openonco-ultralow")
    assert [r.url for r in got] == [
        "https://doi.org/10.1200/JCO.19.02309",
        LABEL_DOCUMENTS[("fda", "Enhertu")][0],
        "https://doi.org/10.1056/NEJMoa2407086"]


@pytest.mark.parametrize("spec", [*PITFALLS_TABLE, *OPTIONS_TABLE], ids=lambda s: getattr(s, "code", None) or s.id)
def test_every_rule_keeps_a_citable_source(spec):
    """Dropping the seeds and our reference leaves every pitfall and option with a source a clinician can open."""
    assert refs(*spec.sources), f"{spec} cites nothing a clinician can open"


def test_headline_sources_are_guidelines_in_the_catalogue():
    for key, source_id in HEADLINE_SOURCES.items():
        assert SOURCES[source_id].audience == "clinician", key


@pytest.mark.parametrize("case_path", CASES, ids=[p.stem for p in CASES])
def test_every_source_an_assessment_carries_is_confirmed(case_path):
    """For every case: each SourceRef on an alert or option is a confirmed primary address."""
    case = json.loads(case_path.read_text())
    config = DecisionConfig(today=datetime.date.fromisoformat(case["today"]), **case.get("config", {}))
    assessment = assess([e["resource"] for e in case["bundle"]["entry"]], config)
    for item in [*assessment.alerts, *assessment.options]:
        for ref in item.sources:
            assert SOURCES[ref.id].audience == "clinician" and ref.url in CONFIRMED, (item, ref)
        assert len({r.url for r in item.sources}) == len(item.sources), f"duplicate source on {item}"
