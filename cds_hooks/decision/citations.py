"""Turning catalogue ids into the SourceRefs an Alert or Option carries.

It lives on the decision side so the knowledge tables stay plain data with no import of the
decision package (which would make ``import cds_hooks.knowledge.sources`` circular).

Only sources a clinician may read reach an Assessment: ``internal`` entries (the seed pages, the
team's reference, data-standard repositories, addresses we could not confirm) document where a rule
came from for reviewers and are left out here, so no card, page or export can cite them. Two ids that
point to one document (two indications of one drug label, a guideline cited for two of its
recommendations) become one citation.
"""
from __future__ import annotations

from ..knowledge.sources import SOURCES
from .model import SourceRef


def refs(*ids: str) -> list[SourceRef]:
    """SourceRefs for catalogue ids, clinician-facing only, one per document; an unknown id fails loudly."""
    out: list[SourceRef] = []
    seen: set[str] = set()
    for source in (SOURCES[i] for i in ids):
        key = source.url or source.id
        if source.audience != "clinician" or key in seen:
            continue
        seen.add(key)
        out.append(SourceRef(id=source.id, label=source.label, citation=source.citation, url=source.url))
    return out
