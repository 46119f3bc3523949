"""What a clinician must never read on a card or the SMART page (issue 13 §6), as one reusable check.

``problems(text)`` lists every internal reference, enum value, file name, raw timestamp, SNOMED
semantic tag and LOINC long name found in human-readable text. Resource references
(``Observation/abc``) are the EHR's own identifiers and are removed before the scan, since a case id
may contain any word.
"""
from __future__ import annotations

import re

from cds_hooks.knowledge.codes import DATA_QUALITY_CODES

_REFERENCE = re.compile(r"\b[A-Z][A-Za-z]+/[A-Za-z0-9\-.#]+")
_URL = re.compile(r"https?://\S+")

# Enum values of the model and the rules that have words of their own (cds_hooks.wording).
ENUM_VALUES = (
    "zero-unspecified", "low-positive", "not-amplified", "needs-ihc", "needs-test", "needs-review",
    "depends-on-prior-therapy", "secondary-neoplasm-condition", "no-distant-disease-recorded", "disease-status",
    "metastatic-sample", "pre-treatment-samples", "post-treatment-only", "early-results-only",
    *DATA_QUALITY_CODES,
)
PATTERNS: dict[str, re.Pattern[str]] = {
    "reference section": re.compile(r"\((?:[a-d]\.\d[^)]*|b\.\d)\)|\bsection [a-d]\b|\b[a-d]\.[1-9]\b(?!\d)"),
    "pitfall number": re.compile(r"\(P\d{1,2}\)|\bP\d{1,2}\b"),
    "seed page": re.compile(r"\bseeds?\s*0\d\d\b|\bSeed 0\d\d\b|\bseeds/", re.I),
    "verification mark": re.compile(r"verification [UV]\b|\(U\)"),
    "our reference": re.compile(r"clinical-knowledge|knowledge base, section|domain knowledge", re.I),
    "file name": re.compile(r"\b[\w-]+\.(?:py|md|txt|json|fsh)\b"),
    "timestamp": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{2}:\d{2}:\d{2}\.\d+"),
    "SNOMED tag": re.compile(r"\((?:body structure|disorder|finding|qualifier value|morphologic abnormality)\)"),
    "LOINC long name": re.compile(r"\[Presence\]|by Immune stain|Cells\.(?:estrogen|progesterone)|/100 cells"),
    "enum value": re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(v) for v in ENUM_VALUES) + r")(?![\w-])"),
}


def readable(text: str) -> str:
    """The text a reader sees, without the EHR's resource references and web addresses."""
    return _URL.sub(" ", _REFERENCE.sub(" ", text))


def problems(text: str) -> list[str]:
    """Every forbidden item in ``text``, as "kind: match"."""
    text = readable(text)
    return [f"{kind}: {m.group(0)!r}" for kind, pattern in PATTERNS.items() for m in pattern.finditer(text)]


def card_text(card: dict) -> str:
    """Everything on a card that a person reads (not codes, not ids, not JSON keys)."""
    parts = [card.get("summary", ""), card.get("detail", ""), (card.get("source") or {}).get("label", ""),
             ((card.get("source") or {}).get("topic") or {}).get("display", "")]
    parts += [s.get("label", "") for s in card.get("suggestions", [])]
    parts += [r.get("display", "") for r in card.get("overrideReasons", [])]
    parts += [link.get("label", "") for link in card.get("links", [])]
    return "\n".join(parts)


def page_text(html: str) -> str:
    """The visible text of an HTML page: no tags, no attributes, no script or style."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("&#34;", '"')
            .replace("&#39;", "'"))
