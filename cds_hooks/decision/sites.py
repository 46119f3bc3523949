"""A body site as recorded, by its plain name ("Left breast structure (body structure)" reads "left breast").

Why here, in the decision core: the core writes the sentences that name samples (the sample discordance card,
the lines on the subtype card), and the wording layer above it names the same sites on cards and pages; both
use this one function, so a site never reads one way in a message and another in a table.
"""
from __future__ import annotations

import re

# SNOMED CT fully specified names end with a semantic tag in brackets; a clinician never needs it.
_SEMANTIC_TAG = re.compile(r"\s*\((?:body structure|morphologic abnormality|specimen|qualifier value|finding|"
                           r"disorder|organ|tissue)\)\s*$", re.I)


def site_text(site: str | None) -> str | None:
    """A body site by its plain name: "Left breast structure (body structure)" reads "left breast"."""
    if not isinstance(site, str) or not site.strip():
        return None
    text = _SEMANTIC_TAG.sub("", " ".join(site.split()))
    text = re.sub(r"(?i)^(?:entire\s+)?structure\s+of\s+", "", text)
    text = re.sub(r"(?i)\s+structure$", "", text).strip() or site.strip()
    # Lower-case a capitalised common word ("Liver"), keep acronyms and codes ("ICD", "C78.7").
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


__all__ = ["site_text"]
